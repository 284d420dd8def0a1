//! The third-party SCIM conformance tester (`scim2-tester` from PyPI,
//! pinned in tests/python/requirements.txt) against the real server on port
//! 0. `.ci/run` creates tests/python/.venv; without it this test fails and
//! says how to make it.

use std::path::PathBuf;

use crate::spawn::start_sqlite;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread")]
async fn scim2_tester_passes_every_check() {
    let python = workspace().join("tests/python/.venv/bin/python");
    assert!(
        python.exists(),
        "the SCIM conformance tester is missing: run\n  python3 -m venv tests/python/.venv && \
         tests/python/.venv/bin/pip install -r tests/python/requirements.txt\n(from the workspace root; `.ci/run` does it)"
    );
    let t = start_sqlite().await;
    let script = workspace().join("tests/python/scim_conformance.py");
    let base = format!("{}/scim/v2", t.url);
    let admin = t.admin.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .arg(base)
            .arg(admin)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "scim2-tester found violations:\n{stdout}\n{stderr}"
    );
    t.finish().await;
}
