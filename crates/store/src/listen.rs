//! Wake-ups when another instance commits (SPEC §8): PostgreSQL
//! `LISTEN gatehouse_revision`. A lost notification only delays a change —
//! the server also polls the revision.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use crate::revision::CHANNEL;
use crate::store::{Pool, Store};

/// The first wait after a failed attempt to listen; doubled each time.
const FIRST_RETRY: Duration = Duration::from_millis(200);
/// The longest wait between two attempts.
const MAX_RETRY: Duration = Duration::from_secs(30);

impl Store {
    /// A channel that receives a revision each time a commit is announced,
    /// on PostgreSQL; `None` on SQLite (one file, polled). The listening
    /// connection is made, and made again whenever it fails (at start or
    /// later), with a doubling wait up to 30 s, for as long as the channel
    /// is held; each (re)connection sends a `0` so that the receiver looks
    /// at once for what it missed meanwhile. The server's polling covers
    /// the time without a listener.
    pub async fn revision_announcements(&self) -> Option<mpsc::Receiver<u64>> {
        let Pool::Postgres(pool) = &self.pool else {
            return None;
        };
        let pool = pool.clone();
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            let mut wait = FIRST_RETRY;
            loop {
                let listening = async {
                    let mut listener = PgListener::connect_with(&pool).await?;
                    listener.listen(CHANNEL).await?;
                    Ok::<_, sqlx::Error>(listener)
                };
                let mut listener = match listening.await {
                    Ok(listener) => listener,
                    Err(_) if tx.is_closed() => return,
                    Err(_) => {
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(MAX_RETRY);
                        continue;
                    }
                };
                wait = FIRST_RETRY;
                if tx.send(0).await.is_err() {
                    return;
                }
                // `try_recv` ends (Ok(None) or Err) when the connection is
                // lost; a new listener is then made, as above.
                while let Ok(Some(notification)) = listener.try_recv().await {
                    let revision = notification.payload().parse().unwrap_or(0);
                    if tx.send(revision).await.is_err() {
                        return;
                    }
                }
                if tx.is_closed() {
                    return;
                }
            }
        });
        Some(rx)
    }
}
