//! `gatehouse serve`: the real binary starts, says where it listens and,
//! on first start, prints the one-time admin password.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

#[test]
fn serve_prints_the_listening_line_and_the_initial_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env_remove("GATEHOUSE_ADMIN_PASSWORD")
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_DATA_DIR", &data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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
