//! A published JFrog client, py-jfrog-client (pinned in
//! `tests/python/requirements.txt`), drives the real server through its
//! own methods: `tests/python/drive_jfrog.py` checks every result and
//! exits non-zero at the first wrong one. Fails loudly without the venv.

use std::path::PathBuf;
use std::process::Command;

use crate::spawn::start_sqlite;

fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/python")
}

#[tokio::test]
async fn py_jfrog_client_drives_the_access_api() {
    let dir = python_dir();
    let python = dir.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `python3 -m venv tests/python/.venv && \
         tests/python/.venv/bin/pip install -r tests/python/requirements.txt` (as .ci/run does)",
        python.display()
    );
    let t = start_sqlite().await;
    let (url, admin) = (t.url.clone(), t.admin.clone());
    let script = dir.join("drive_jfrog.py");
    let output = tokio::task::spawn_blocking(move || Command::new(python).arg(script).arg(url).arg(admin).output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "py-jfrog-client run failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    t.finish().await;
}
