//! `gatehouse serve`: the real binary starts, says where it listens and,
//! on first start, prints the one-time admin password.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

#[test]
fn serve_prints_the_listening_line_and_the_initial_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = first_start(dir.path(), &data).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Gatehouse listening on http://127.0.0.1:");
        lines.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let out = lines.join("\n");
    assert!(out.contains("Gatehouse listening on http://127.0.0.1:"), "{out}");
    let password = std::fs::read_to_string(data.join("initial-admin-password")).unwrap();
    assert!(out.contains(password.trim_end()), "{out}");
    assert!(out.contains("initial-admin-password"), "{out}");
}

/// `gatehouse serve` in `dir` on a free port, first start of a fresh
/// SQLite store in `data` with a generated one-time admin password;
/// standard output piped, standard error dropped.
pub fn first_start(dir: &std::path::Path, data: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env_remove("GATEHOUSE_ADMIN_PASSWORD")
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_DATA_DIR", data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

#[test]
fn serve_refuses_a_bad_value_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("serve")
        .current_dir(dir.path())
        .env("GATEHOUSE_LISTEN", "nonsense")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`listen`"), "{err}");
}

/// Starts `gatehouse serve` in `dir` on a free port, logging as `log_format`
/// to `stderr`; answers the child, its address and its standard output.
pub fn serve_in(
    dir: &std::path::Path,
    log_format: &str,
    stderr: Stdio,
) -> (std::process::Child, String, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("serve")
        .current_dir(dir)
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env("GATEHOUSE_ADMIN_PASSWORD", crate::client_cli::ADMIN_PASSWORD)
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_DATA_DIR", dir.join("data"))
        .env("GATEHOUSE_LOG_FORMAT", log_format)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let (addr, stdout) = listening(&mut child);
    (child, addr, stdout)
}

#[test]
fn sigterm_lets_a_request_in_flight_finish_and_json_logs_name_no_secret() {
    use std::io::{Read as _, Write as _};

    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr, _stdout) = serve_in(dir.path(), "json", Stdio::piped());
    let body = r#"{"username": "admin", "password": "correct horse battery staple"}"#;
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /api/v1/auth/token HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nx-request-id: in-flight-1\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let (first, rest) = body.split_at(10);
    stream.write_all(first.as_bytes()).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    stream.write_all(rest.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight is answered: {answer}"
    );
    assert!(answer.contains("gate_"), "{answer}");

    let status = child.wait().unwrap();
    assert!(status.success(), "exits cleanly after SIGTERM: {status:?}");
    let mut logs = String::new();
    child.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    let request_line = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["request_id"] == "in-flight-1")
        .unwrap_or(serde_json::Value::Null);
    assert_eq!(request_line["fields"]["route"], "/api/v1/auth/token", "{logs}");
    assert_eq!(request_line["fields"]["status"], 201, "{logs}");
    assert_eq!(request_line["fields"]["method"], "POST", "{logs}");
    assert!(request_line["fields"]["latency_us"].is_u64(), "{logs}");
    assert!(!logs.contains("correct horse"), "no password in the logs");
    let token = answer.split("\"token\":\"").nth(1).unwrap_or_default();
    let token = token.split('"').next().unwrap_or_default();
    assert!(!token.is_empty() && !logs.contains(token), "no token in the logs");
}

#[test]
fn log_format_json_on_the_command_line_wins_over_the_configuration() {
    use std::io::Read as _;

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gatehouse.toml"), "log_format = \"human\"\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["serve", "--log-format", "json"])
        .current_dir(dir.path())
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env("GATEHOUSE_LOG_FORMAT", "human")
        .env("GATEHOUSE_ADMIN_PASSWORD", crate::client_cli::ADMIN_PASSWORD)
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_DATA_DIR", dir.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("Gatehouse listening") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "serve ended before listening");
    }
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    child.wait().unwrap();
    let mut logs = String::new();
    child.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "it logged");
    for l in lines {
        let parsed: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(parsed["level"].is_string(), "{l}");
    }
}

/// Waits for a spawned `gatehouse serve` to say where it listens; answers
/// that address (`host:port`) and the rest of its standard output.
///
/// # Panics
/// When serve ends before listening.
pub fn listening(child: &mut std::process::Child) -> (String, BufReader<std::process::ChildStdout>) {
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("Gatehouse listening on http://") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "serve ended before listening");
    }
    let addr = line
        .trim()
        .trim_start_matches("Gatehouse listening on http://")
        .to_owned();
    (addr, stdout)
}
