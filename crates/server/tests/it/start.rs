//! First start (SPEC §6.4): the admin, its password file, and restarts.

use std::os::unix::fs::PermissionsExt as _;

use gatehouse_authz::UserStatus;
use gatehouse_domain::Store as _;
use gatehouse_domain::names::Username;
use gatehouse_server::password;
use gatehouse_server::start::INITIAL_ADMIN_PASSWORD_FILE;

use crate::spawn::{config, spawn};

async fn admin_hash(server: &gatehouse_server::Server) -> String {
    let admin = server
        .app()
        .store()
        .user(&Username::parse("admin").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.status, UserStatus::Invited);
    assert!(admin.admin);
    admin.password_hash.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn first_start_creates_an_invited_admin_and_a_private_password_file() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = spawn(config(dir.path())).await;
    assert!(server.initialized());
    assert!(dir.path().join("data/gatehouse.db").exists());
    let initial = server.initial_admin().unwrap();
    let file = dir.path().join("data").join(INITIAL_ADMIN_PASSWORD_FILE);
    assert_eq!(initial.file, file);
    assert!(initial.password.len() >= 20);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let content = std::fs::read_to_string(&file).unwrap();
    assert_eq!(content.trim_end(), initial.password);
    let hash = admin_hash(&server).await;
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(password::verify(content.trim_end(), &hash));
    let revision = server.app().store().revision().await.unwrap();
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    drop(server);

    let (again, _) = spawn(config(dir.path())).await;
    assert!(!again.initialized());
    assert!(again.initial_admin().is_none());
    assert_eq!(again.app().store().revision().await.unwrap(), revision);
    assert_eq!(admin_hash(&again).await, hash);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), content);
    assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), modified);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configured_admin_password_is_used_and_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.admin_password = Some("correct horse battery staple".to_owned());
    let (server, _) = spawn(config).await;
    assert!(server.initialized());
    assert!(server.initial_admin().is_none());
    assert!(!dir.path().join("data").join(INITIAL_ADMIN_PASSWORD_FILE).exists());
    let hash = admin_hash(&server).await;
    assert!(password::verify("correct horse battery staple", &hash));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configured_admin_password_obeys_the_password_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.admin_password = Some("short".to_owned());
    let err = gatehouse_server::start::start(config.clone())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("admin_password"), "{err}");
    // Nothing was initialised: a later start with a good password succeeds.
    config.admin_password = Some("correct horse battery staple".to_owned());
    let (server, _) = spawn(config).await;
    assert!(server.initialized());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_catalogue_is_kept_in_the_store_and_another_is_refused_unless_every_role_validates() {
    use gatehouse_domain::store::{AuditFilter, PageRequest};

    let dir = tempfile::tempdir().unwrap();
    let first = gatehouse_server::start(config(dir.path())).await.unwrap();
    first.app().store().close().await;
    drop(first);

    // `connect` lacks the actions of `platform`'s predefined roles: refused,
    // naming both.
    let mut other = config(dir.path());
    other.catalogue = "connect".to_owned();
    let Err(refused) = gatehouse_server::start(other.clone()).await else {
        panic!("another catalogue was accepted")
    };
    let refused = refused.to_string();
    assert!(
        refused.contains("`platform`") && refused.contains("`connect`"),
        "{refused}"
    );

    // A catalogue every stored role validates against: switched, audited.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../authz/catalogues/platform.toml"
    ))
    .unwrap()
    .replacen("name = \"platform\"", "name = \"platform-plus\"", 1);
    let file = dir.path().join("platform-plus.toml");
    std::fs::write(&file, text).unwrap();
    let mut plus = config(dir.path());
    plus.catalogue = file.display().to_string();
    let switched = gatehouse_server::start(plus.clone()).await.unwrap();
    let events = switched
        .app()
        .store()
        .audit(
            &AuditFilter {
                event: Some("catalogue.switched".to_owned()),
                ..AuditFilter::default()
            },
            &PageRequest {
                cursor: None,
                limit: 10,
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].entry.before.as_ref().unwrap()["catalogue"], "platform");
    assert_eq!(events[0].entry.after.as_ref().unwrap()["catalogue"], "platform-plus");
    switched.app().store().close().await;
    drop(switched);

    // Now the store keeps `platform-plus`: the same start switches nothing,
    // and `connect` is refused naming it.
    let again = gatehouse_server::start(plus).await.unwrap();
    let total = again.app().store().verify_audit().await.unwrap().unwrap();
    again.app().store().close().await;
    drop(again);
    let Err(refused) = gatehouse_server::start(other).await else {
        panic!("another catalogue was accepted")
    };
    let refused = refused.to_string();
    assert!(
        refused.contains("`platform-plus`") && refused.contains("`connect`"),
        "{refused}"
    );
    let last = gatehouse_server::start(config(dir.path())).await.unwrap();
    assert_eq!(
        last.app().store().verify_audit().await.unwrap().unwrap(),
        total + 1,
        "back to platform: one more switch"
    );
}
