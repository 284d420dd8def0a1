//! Wake-ups when another instance commits (SPEC §8): PostgreSQL
//! `LISTEN gatehouse_revision`. A lost notification only delays a change —
//! the server also polls the revision.

use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use crate::revision::CHANNEL;
use crate::store::{Pool, Store};

impl Store {
    /// A channel that receives a revision each time a commit is announced,
    /// on PostgreSQL; `None` on SQLite (one file, polled) or when the
    /// listening connection cannot be made. The listener reconnects by
    /// itself.
    pub async fn revision_announcements(&self) -> Option<mpsc::Receiver<u64>> {
        let Pool::Postgres(pool) = &self.pool else {
            return None;
        };
        let mut listener = PgListener::connect_with(pool).await.ok()?;
        listener.listen(CHANNEL).await.ok()?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => {
                        let revision = notification.payload().parse().unwrap_or(0);
                        if tx.send(revision).await.is_err() {
                            return;
                        }
                    }
                    // The listener reconnects on the next `recv`; the
                    // server's polling covers what was missed meanwhile.
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
                }
            }
        });
        Some(rx)
    }
}
