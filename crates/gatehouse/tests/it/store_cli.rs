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

/// `gatehouse ARGS` run in `cwd` (where `gatehouse.toml` is read), with
/// `env` set and no ambient store settings; answers (exit code, stdout, stderr).
fn gatehouse_in(cwd: &Path, env: &[(&str, &Path)], args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env_remove("GATEHOUSE_DATA_DIR");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn operator_commands_read_the_configuration_and_refuse_a_place_without_a_store() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    std::fs::write(cwd.join("gatehouse.toml"), "data_dir = \"configured\"\n").unwrap();
    let configured = cwd.join("configured");

    // No store yet: backup and audit verify refuse and create nothing.
    let (code, _, err) = gatehouse_in(cwd, &[], &["backup", "out.db"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no Gatehouse store") && err.contains("configured"),
        "{err}"
    );
    let (code, _, err) = gatehouse_in(cwd, &[], &["audit", "verify"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no Gatehouse store"), "{err}");
    assert!(!configured.exists(), "no data directory made up");
    assert!(!cwd.join("out.db").exists(), "no backup of nothing");
    assert!(!cwd.join("gatehouse-data").exists(), "the default was not used either");

    // A directory that exists but holds no store, and a file that is no store.
    std::fs::create_dir(&configured).unwrap();
    let (code, _, err) = gatehouse_in(cwd, &[], &["backup", "out.db"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(std::fs::read_dir(&configured).unwrap().count(), 0, "nothing created");
    std::fs::write(configured.join("gatehouse.db"), b"").unwrap();
    let (code, _, err) = gatehouse_in(cwd, &[], &["audit", "verify"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("holds no Gatehouse store"), "{err}");
    assert_eq!(
        std::fs::read_dir(&configured).unwrap().count(),
        1,
        "nothing created beside it"
    );
    std::fs::remove_file(configured.join("gatehouse.db")).unwrap();

    // migrate reads gatehouse.toml too, and makes the store there.
    let (code, out, err) = gatehouse_in(cwd, &[], &["migrate"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("revision 0"), "{out}");
    assert!(configured.join("gatehouse.db").is_file());
    let (code, out, err) = gatehouse_in(cwd, &[], &["audit", "verify"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("audit chain verified: 0 records"), "{out}");
    let (code, out, err) = gatehouse_in(cwd, &[], &["backup", "out.db"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("backed up revision 0"), "{out}");

    // GATEHOUSE_DATA_DIR wins over the file, and --data-dir over both.
    let elsewhere = cwd.join("elsewhere");
    let (code, _, err) = gatehouse_in(cwd, &[("GATEHOUSE_DATA_DIR", &elsewhere)], &["backup", "two.db"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("elsewhere"), "{err}");
    let (code, _, err) = gatehouse_in(
        cwd,
        &[("GATEHOUSE_DATA_DIR", &elsewhere)],
        &["backup", "--data-dir", configured.to_str().unwrap(), "two.db"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!elsewhere.exists());

    // A bad key stops them as it stops serve.
    std::fs::write(
        cwd.join("gatehouse.toml"),
        "data_dir = \"configured\"\ntoken_max_days = 0\n",
    )
    .unwrap();
    let (code, _, err) = gatehouse_in(cwd, &[], &["audit", "verify"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("token_max_days"), "{err}");
}

#[test]
fn store_files_are_private_and_a_shared_data_dir_is_refused_without_the_flag() {
    use std::io::BufRead as _;
    use std::os::unix::fs::PermissionsExt as _;
    use std::process::Stdio;

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let serve = |extra: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        cmd.arg("serve")
            .args(extra)
            .current_dir(tmp.path())
            .env_remove("GATEHOUSE_DATABASE_URL")
            .env("GATEHOUSE_ADMIN_PASSWORD", crate::client_cli::ADMIN_PASSWORD)
            .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
            .env("GATEHOUSE_DATA_DIR", &data);
        cmd
    };
    let refused = serve(&[]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("755") && err.contains("--allow-shared-data-dir"), "{err}");
    assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0, "nothing created");

    let mut child = serve(&["--allow-shared-data-dir"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("Gatehouse listening") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "serve ended before listening");
    }
    let modes: Vec<(String, u32)> = ["gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm"]
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(data.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            ((*f).to_owned(), meta.permissions().mode() & 0o777)
        })
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    for (file, mode) in modes {
        assert_eq!(mode, 0o600, "{file} is its owner's only");
    }

    // A private data directory starts without the flag.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut child = serve(&[]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("Gatehouse listening") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "serve ended before listening");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
