//! The real binary's graceful shutdown (SPEC §8.1): on SIGTERM `/readyz`
//! answers 503 at once, new connections are refused, every request in
//! flight on every keep-alive connection gets its answer, the process
//! exits 0.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Reads one HTTP/1.1 response (Content-Length bodies): status, head
/// (lower case) and body; `None` when the connection ends before a
/// complete one.
pub(crate) fn read_response(stream: &mut TcpStream) -> Option<(u16, String, String)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_lowercase();
    let status = head.get(9..12)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    Some((status, head, String::from_utf8_lossy(&body).into_owned()))
}

fn start(dir: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("serve")
        .current_dir(dir)
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env("GATEHOUSE_ADMIN_PASSWORD", crate::client_cli::ADMIN_PASSWORD)
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_DATA_DIR", dir.join("data"))
        .env("GATEHOUSE_SHUTDOWN_GRACE_SECS", "10")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (addr, _) = crate::serve_cli::listening(&mut child);
    (child, addr)
}

#[test]
fn sigterm_answers_every_request_in_flight_refuses_new_connections_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(dir.path());

    let mut login = TcpStream::connect(&addr).unwrap();
    let body = format!(
        r#"{{"username": "admin", "password": "{}"}}"#,
        crate::client_cli::ADMIN_PASSWORD
    );
    write!(
        login,
        "POST /api/v1/auth/token HTTP/1.1\r\nhost: g\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let (status, _, answer) = read_response(&mut login).unwrap();
    assert_eq!(status, 201, "{answer}");
    let token: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let token = token["token"].as_str().unwrap().to_owned();

    // A `/readyz` whose head is half sent when SIGTERM comes.
    let mut ready = TcpStream::connect(&addr).unwrap();
    ready.write_all(b"GET /readyz HTTP/1.1\r\nhost: g\r\n").unwrap();

    // Eight keep-alive connections sending requests back to back.
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (addr, token) = (addr.clone(), token.clone());
            let (stop, answered, lost) = (Arc::clone(&stop), Arc::clone(&answered), Arc::clone(&lost));
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(&addr).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                while !stop.load(Ordering::SeqCst) {
                    let request =
                        format!("GET /api/v1/me HTTP/1.1\r\nhost: g\r\nauthorization: Bearer {token}\r\n\r\n");
                    if stream.write_all(request.as_bytes()).is_err() {
                        lost.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    match read_response(&mut stream) {
                        Some((200, head, _)) => {
                            answered.fetch_add(1, Ordering::SeqCst);
                            if head.contains("connection: close") {
                                return;
                            }
                        }
                        _ => {
                            lost.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let before = answered.load(Ordering::SeqCst);
    assert!(before > 0, "the load runs");

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    std::thread::sleep(Duration::from_millis(200));

    // New connections are refused.
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(&addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    // `/readyz` says 503, and the connection is closed after it.
    ready.write_all(b"\r\n").unwrap();
    let (status, head, _) = read_response(&mut ready).expect("the half-sent /readyz is answered");
    assert_eq!(status, 503);
    assert!(head.contains("connection: close"), "{head}");

    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(lost.load(Ordering::SeqCst), 0, "a request sent was not answered");
    let status = child.wait().unwrap();
    assert!(status.success(), "exits 0 after SIGTERM: {status:?}");
}

/// `packaging/gatehouse.service` with `ExecStart` pointing at the binary
/// under test, in a temporary directory.
fn unit_under_test(dir: &std::path::Path) -> std::path::PathBuf {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../packaging/gatehouse.service"
    ))
    .unwrap();
    assert!(unit.contains("ExecStart=/usr/local/bin/gatehouse serve"), "{unit}");
    let unit = unit.replace("/usr/local/bin/gatehouse", env!("CARGO_BIN_EXE_gatehouse"));
    let path = dir.join("gatehouse.service");
    std::fs::write(&path, unit).unwrap();
    path
}

/// Fails the test when `systemd-analyze` does not run here: the unit file
/// is checked on every run, never skipped.
fn require_systemd_analyze() {
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "systemd-analyze is not installed, so packaging/gatehouse.service cannot be verified: \
         `apt-get install -y systemd` (.ci/run does)"
    );
}

#[test]
fn the_systemd_unit_verifies_and_rates_ok() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../packaging/gatehouse.service"
    ))
    .unwrap();
    for line in [
        "User=gatehouse",
        "StateDirectory=gatehouse",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=",
        "SystemCallFilter=@system-service",
    ] {
        assert!(unit.contains(line), "the unit lacks `{}`", line.trim());
    }
    require_systemd_analyze();
    let dir = tempfile::tempdir().unwrap();
    let path = unit_under_test(dir.path());
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(verify.status.success(), "systemd-analyze verify: {said}");
    assert!(
        !said.contains("gatehouse.service:"),
        "systemd-analyze verify complains: {said}"
    );

    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&security.stdout);
    let overall = said
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_default()
        .to_owned();
    eprintln!("systemd-analyze security: {overall}");
    assert!(
        overall.contains(" OK") || overall.contains(" SAFE"),
        "rated worse than OK: {overall}\n{said}"
    );
}
