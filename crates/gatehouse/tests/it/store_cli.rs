//! `gatehouse migrate`, `backup`, `restore` and `audit verify` on a real
//! SQLite store in a temporary data directory.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use gatehouse_authz::Catalogue;
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::init::initialize;
use gatehouse_store::Store;
use time::OffsetDateTime;

fn gatehouse(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env_remove("GATEHOUSE_DATA_DIR")
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("gatehouse.db").display())
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_backup_restore_and_verify() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("one");
    let dir_arg = dir.to_str().unwrap();
    let (ok, out, err) = gatehouse(&["migrate", "--data-dir", dir_arg]);
    assert!(ok, "{err}");
    assert!(out.contains("revision 0"), "{out}");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the data directory is private");

    // First start, as `serve` will do it: one commit through the store.
    let store = Store::open(&url(&dir)).await.unwrap();
    let catalogue = Arc::new(Catalogue::platform().unwrap());
    let commit = initialize(
        &catalogue,
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_eq!(store.commit(&commit, OffsetDateTime::now_utc()).await.unwrap(), 1);
    let (model, revision) = store.load_model().await.unwrap();
    store.close().await;

    let (ok, out, err) = gatehouse(&["audit", "verify", "--data-dir", dir_arg]);
    assert!(ok, "{err}");
    assert!(out.contains("audit chain verified: 1 records"), "{out}");

    let backup = data.path().join("backup.db");
    let backup_arg = backup.to_str().unwrap();
    let (ok, out, err) = gatehouse(&["backup", "--data-dir", dir_arg, backup_arg]);
    assert!(ok, "{err}");
    assert!(out.contains("backed up revision 1"), "{out}");
    let (ok, _, err) = gatehouse(&["backup", "--data-dir", dir_arg, backup_arg]);
    assert!(!ok && err.contains("exists"), "a backup never overwrites: {err}");

    let other = data.path().join("two");
    let other_arg = other.to_str().unwrap();
    let (ok, out, err) = gatehouse(&["restore", "--data-dir", other_arg, backup_arg]);
    assert!(ok, "{err}");
    assert!(out.contains("restored revision 1"), "{out}");
    let restored = Store::open(&url(&other)).await.unwrap();
    assert_eq!(restored.load_model().await.unwrap(), (model, revision));
    restored.close().await;

    let (ok, _, err) = gatehouse(&["restore", "--data-dir", other_arg, backup_arg]);
    assert!(!ok, "restore only into an empty store: {err}");
}
