//! Durability (SPEC §8): a writer process is killed (SIGKILL) at random
//! moments; after reopening, every revision it was told had committed is
//! there. The writer is this test binary itself, re-run with
//! `GATEHOUSE_CRASH_WRITER` naming the database: a SQLite file always, and
//! a PostgreSQL database when `GATEHOUSE_TEST_POSTGRES` is set.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gatehouse_domain::{Mutation, Store as _};
use gatehouse_store::Store;

use crate::fixtures::*;

const WRITER_VAR: &str = "GATEHOUSE_CRASH_WRITER";
const KILLS: usize = 20;

/// The writer: commits until killed, printing `ack <revision>` after each
/// commit returns. Does nothing unless run by `killed_writer_loses_no_commit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_writer() {
    let Ok(path) = std::env::var(WRITER_VAR) else { return };
    let store = Store::open(&path).await.unwrap();
    println!("ready");
    loop {
        let next = store.revision().await.unwrap() + 1;
        let c = commit(vec![
            Mutation::CreateUser(user(&format!("crash{next}"))),
            Mutation::Enqueue(message("someone@example.com")),
        ]);
        let rev = store.commit(&c, at(0)).await.unwrap();
        println!("ack {rev}");
    }
}

/// A small xorshift generator: enough randomness for kill timings.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_writer_loses_no_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db").display().to_string();
    kill_writer_rounds(&path).await;
}

/// The same on PostgreSQL, when `GATEHOUSE_TEST_POSTGRES` is set (and then
/// it must be reachable: the test fails, it never skips).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_writer_loses_no_commit_on_postgres() {
    if !crate::backend::backends().contains(&gatehouse_store::Backend::Postgres) {
        return;
    }
    let fresh = crate::backend::fresh(gatehouse_store::Backend::Postgres).await;
    fresh.db.store.close().await;
    let url = fresh.db.url.clone();
    let outcome = tokio::spawn(async move { kill_writer_rounds(&url).await }).await;
    fresh.remove().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// Waits until the killed writer is gone from the database as well. On
/// PostgreSQL its server session outlives the process: a commit sent just
/// before the kill still lands, and it could land between two of the
/// checks below. On SQLite the process was the writer: nothing to wait for.
async fn settle(path: &str) {
    if !path.starts_with("postgres") {
        return;
    }
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(path).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let others: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if others == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the killed writer's session did not end");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    conn.close().await.unwrap();
}

/// Kills a writer of the store at `path` (a SQLite file or a database URL)
/// [`KILLS`] times at random moments; after each, every acknowledged commit
/// is there, the change log has no gap and the audit chain verifies.
async fn kill_writer_rounds(path: &str) {
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let mut rng = Rng(u64::try_from(seed % u128::from(u64::MAX)).unwrap() | 1);
    let mut acknowledged = BTreeSet::new();
    for round in 0..KILLS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["crash::crash_writer", "--exact", "--nocapture", "--test-threads=1"])
            .env(WRITER_VAR, path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines, received) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait until the writer is up, then let it write for a while.
        let deadline = Instant::now() + Duration::from_secs(60);
        // (libtest may print "test crash::crash_writer ... " before it.)
        while !received
            .recv_timeout(Duration::from_secs(60))
            .unwrap()
            .ends_with("ready")
        {
            assert!(Instant::now() < deadline, "the writer did not start");
        }
        std::thread::sleep(Duration::from_millis(20 + rng.below(300)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        settle(path).await;
        let mut this_round = 0;
        for line in received.try_iter() {
            if let Some(rev) = line.strip_prefix("ack ") {
                acknowledged.insert(rev.parse::<u64>().unwrap());
                this_round += 1;
            }
        }

        let store = Store::open(path).await.unwrap();
        let revision = store.revision().await.unwrap();
        let max = acknowledged.last().copied().unwrap_or(0);
        assert!(
            revision >= max,
            "round {round}: revision {revision} < acknowledged {max}"
        );
        let logged: BTreeSet<u64> = store
            .changes_since(0)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.revision)
            .collect();
        assert_eq!(
            logged,
            (1..=revision).collect(),
            "round {round}: the change log has every revision"
        );
        for rev in &acknowledged {
            assert!(
                store.user(&uname(&format!("crash{rev}"))).await.unwrap().is_some(),
                "round {round}: {rev} lost"
            );
        }
        assert_eq!(store.verify_audit().await.unwrap(), Ok(revision), "round {round}");
        store.close().await;
        eprintln!("round {round}: {this_round} acknowledged, store at {revision}");
    }
    assert!(acknowledged.len() > KILLS, "the writer got some commits through");
}
