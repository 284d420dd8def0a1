//! `kill -9` of a serving `gatehouse serve` under write load (SPEC §8): on
//! SQLite, and on PostgreSQL when `GATEHOUSE_TEST_POSTGRES` is set (set and
//! unreachable fails the test). After each kill the server starts again;
//! every write that was answered 2xx is there, the audit chain verifies,
//! and `gatehouse backup` and `restore` work.

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gatehouse_store::ScratchDatabase;

const ROUNDS: usize = 3;

/// Starts `gatehouse serve` in `dir` on the store of `database_url` (the
/// SQLite file in `dir/data` when `None`); answers the child and its address.
fn serve(dir: &Path, database_url: Option<&str>) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env("GATEHOUSE_ADMIN_PASSWORD", crate::client_cli::ADMIN_PASSWORD)
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_DATA_DIR", dir.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        command.env("GATEHOUSE_DATABASE_URL", url);
    }
    let mut child = command.spawn().unwrap();
    let (addr, stdout) = crate::serve_cli::listening(&mut child);
    std::thread::spawn(move || for _ in stdout.lines() {});
    (child, addr)
}

/// One HTTP/1.1 request on a new connection; answers the status and body,
/// or `None` when the server is gone.
fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\n{auth}content-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.get(9..12)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

fn admin_token(addr: &str) -> String {
    let body = format!(
        r#"{{"username": "admin", "password": "{}"}}"#,
        crate::client_cli::ADMIN_PASSWORD
    );
    let (status, body) = http(addr, "POST", "/api/v1/auth/token", None, &body).unwrap();
    assert_eq!(status, 201, "{body}");
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    value["token"].as_str().unwrap().to_owned()
}

/// `gatehouse ARGS` with the store of `dir` / `database_url`; answers
/// (success, stdout, stderr).
fn operator(dir: &Path, database_url: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env("GATEHOUSE_DATA_DIR", dir.join("data"));
    if let Some(url) = database_url {
        command.env("GATEHOUSE_DATABASE_URL", url);
    }
    let out = command.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Kills a serving instance [`ROUNDS`] times under write load, then checks
/// that every acknowledged write survived, the audit chain verifies, and
/// backup and restore (into `restore_into`, an empty store's place) work.
fn kill_under_load(dir: &Path, database_url: Option<&str>, restore_into: (&Path, Option<&str>)) {
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    let mut acked = Vec::new();
    for round in 0..ROUNDS {
        let (mut child, addr) = serve(dir, database_url);
        let token = admin_token(&addr);
        let (tx, rx) = mpsc::channel();
        let writer = {
            let addr = addr.clone();
            std::thread::spawn(move || {
                for i in 0_u64.. {
                    let key = format!("r{round}w{i}");
                    let body = format!(r#"{{"key": "{key}", "display_name": "{key}"}}"#);
                    match http(&addr, "POST", "/api/v1/projects", Some(&token), &body) {
                        Some((201, _)) => tx.send(key).unwrap(),
                        Some((status, body)) => return Err(format!("write {key}: {status} {body}")),
                        None => return Ok(()),
                    }
                }
                Ok(())
            })
        };
        let wait = 300 + u64::from(seed.rotate_left(u32::try_from(round).unwrap() * 7) % 700);
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        writer.join().unwrap().unwrap();
        let before = acked.len();
        acked.extend(rx.try_iter());
        assert!(
            acked.len() > before,
            "round {round}: no write was acknowledged before the kill"
        );
    }

    let (mut child, addr) = serve(dir, database_url);
    let token = admin_token(&addr);
    for key in &acked {
        let (status, body) = http(&addr, "GET", &format!("/api/v1/projects/{key}"), Some(&token), "").unwrap();
        assert_eq!(status, 200, "acknowledged write {key} lost after kill -9: {body}");
    }
    eprintln!("{} acknowledged writes over {ROUNDS} kills, all present", acked.len());
    child.kill().unwrap();
    child.wait().unwrap();

    let (ok, out, err) = operator(dir, database_url, &["audit", "verify"]);
    assert!(ok && out.contains("audit chain verified"), "{out}{err}");
    let backup = dir.join("after-kill.backup");
    let backup_arg = backup.to_str().unwrap();
    let (ok, out, err) = operator(dir, database_url, &["backup", backup_arg]);
    assert!(ok, "backup after kill -9: {out}{err}");
    let (ok, out, err) = operator(restore_into.0, restore_into.1, &["restore", backup_arg]);
    assert!(
        ok && out.contains("restored revision"),
        "restore after kill -9: {out}{err}"
    );
    let (ok, out, err) = operator(restore_into.0, restore_into.1, &["audit", "verify"]);
    assert!(ok, "the restored store verifies: {out}{err}");
}

#[test]
fn kill_9_under_write_load_loses_no_acknowledged_write_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    kill_under_load(dir.path(), None, (other.path(), None));
}

#[test]
fn kill_9_under_write_load_loses_no_acknowledged_write_on_postgres() {
    let Ok(admin_url) = std::env::var("GATEHOUSE_TEST_POSTGRES") else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let suffix = format!("crash_{}", std::process::id());
    let (first, second) = runtime.block_on(async {
        let first = ScratchDatabase::create(&admin_url, &format!("{suffix}_a"))
            .await
            .expect("GATEHOUSE_TEST_POSTGRES is set but the server is unreachable");
        let second = ScratchDatabase::create(&admin_url, &format!("{suffix}_b"))
            .await
            .unwrap();
        (first, second)
    });
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kill_under_load(dir.path(), Some(&first.url), (other.path(), Some(&second.url)));
    }));
    runtime.block_on(async {
        first.drop_database().await.ok();
        second.drop_database().await.ok();
    });
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
