//! Wake-ups from other instances (SPEC §8): on PostgreSQL the LISTEN
//! connection is made again when it is lost, for the life of the process.

use std::time::Duration;

use gatehouse_domain::{Mutation, Store as _};

use crate::backend::{Db, conformance};
use crate::fixtures::*;

/// The next announcement of at least `revision`, within 10 s.
async fn announced(rx: &mut tokio::sync::mpsc::Receiver<u64>, revision: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("revision {revision} not announced within 10 s"))
            .unwrap_or_else(|| panic!("the announcements stopped"));
        if got >= revision {
            return;
        }
    }
}

async fn reconnects(db: Db) {
    let Some(mut rx) = db.store.revision_announcements().await else {
        assert_eq!(
            db.backend(),
            gatehouse_store::Backend::Sqlite,
            "only SQLite is polled alone"
        );
        return;
    };
    // The listener connects in the background and says so with a 0 (a
    // wake-up to poll); a commit before that is found by polling only.
    announced(&mut rx, 0).await;
    let r1 = db
        .store
        .commit(&commit(vec![Mutation::CreateUser(user("u1"))]), at(0))
        .await
        .unwrap();
    announced(&mut rx, r1).await;

    // The listening connection is killed, twice: announcements resume.
    for round in 0..2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let listeners = "FROM pg_stat_activity WHERE datname = current_database() \
                         AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'";
        assert_eq!(
            db.scalar(&format!("SELECT COUNT(*) {listeners}")).await,
            1,
            "round {round}"
        );
        db.exec(&format!("SELECT pg_terminate_backend(pid) {listeners}")).await;
        let mut revision = 0;
        // Commits until one is announced: those during the reconnection
        // are only polled for, which is the fallback.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round}: no announcement after the kill"
            );
            revision = db
                .store
                .commit(
                    &commit(vec![Mutation::CreateUser(user(&format!("r{round}-{revision}")))]),
                    at(1),
                )
                .await
                .unwrap();
            let until = tokio::time::Instant::now() + Duration::from_millis(500);
            let mut seen = false;
            while let Ok(Some(n)) = tokio::time::timeout_at(until, rx.recv()).await {
                if n >= revision {
                    seen = true;
                    break;
                }
            }
            if seen {
                break;
            }
        }
    }
}
conformance!(the_listener_reconnects_after_its_connection_is_killed, reconnects);
