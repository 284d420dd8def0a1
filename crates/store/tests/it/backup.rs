//! Backup while writes go on, and restore into a fresh store: the restored
//! store is the store as of the backup's revision — same model, same change
//! log, a verifying audit chain — on its own backend and on the other one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use gatehouse_domain::{Commit, Mutation, Store as _, StoreError};
use gatehouse_store::{Backend, Store};

use crate::backend::{self, Db, conformance};
use crate::fixtures::*;

/// The `i`-th commit of the writer: deterministic, so that any prefix can
/// be rebuilt elsewhere.
fn nth(i: u64) -> Commit {
    let name = format!("w{i:05}");
    let mut mutations = vec![Mutation::CreateUser(user(&name))];
    if i.is_multiple_of(3) {
        mutations.push(Mutation::SetMember(user_member("web", &name, &["Reader"])));
    }
    if i.is_multiple_of(5) {
        mutations.push(Mutation::Enqueue(message("someone@example.com")));
    }
    if i.is_multiple_of(7) {
        mutations.push(Mutation::AddGroupMember(gname("devs"), uname(&name)));
    }
    let mut c = commit(mutations);
    c.audit = entry("user.created", &name);
    c
}

/// The world, then `n` writer commits: revision 1 + n.
async fn rebuild(store: &Store, n: u64) {
    store.commit(&commit(world()), at(0)).await.unwrap();
    for i in 1..=n {
        store.commit(&nth(i), at(i64::try_from(i).unwrap())).await.unwrap();
    }
}

async fn while_writing(db: Db) {
    build_world(&db).await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, stop) = (db.store.clone(), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && i < 5_000 {
                i += 1;
                store.commit(&nth(i), at(i64::try_from(i).unwrap())).await.unwrap();
            }
            i
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let file = db.dir.join("backup.gh");
    let backed_up = db.store.backup(&file).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(backed_up > 1, "the writer had started");
    assert!(written + 1 >= backed_up, "the backup holds only what was written");
    assert!(
        db.store.backup(&file).await.is_err(),
        "an existing file is not overwritten"
    );

    // Restore onto every backend this run has.
    for target in backend::backends() {
        let fresh = backend::fresh(target).await;
        let restored = &fresh.db.store;
        assert_eq!(restored.restore(&file).await.unwrap(), backed_up, "{target:?}");
        check_restored(restored, backed_up).await;

        // The reference: the same commits into another fresh store.
        let reference = backend::fresh(target).await;
        rebuild(&reference.db.store, backed_up - 1).await;
        assert_eq!(
            restored.load_model().await.unwrap(),
            reference.db.store.load_model().await.unwrap(),
            "{target:?}"
        );
        reference.remove().await;

        // And it goes on from there.
        let next = restored
            .commit(&commit(vec![Mutation::CreateUser(user("after"))]), at(0))
            .await
            .unwrap();
        assert_eq!(next, backed_up + 1);
        let next = restored
            .commit(
                &commit(vec![Mutation::SetMember(user_member("web", "after", &["Reader"]))]),
                at(0),
            )
            .await;
        assert!(
            next.is_ok(),
            "{target:?}: member ids continue after the restored ones: {next:?}"
        );
        assert_eq!(restored.verify_audit().await.unwrap(), Ok(backed_up + 2));
        fresh.remove().await;
    }
}
conformance!(backup_while_writing_restores_to_its_revision, while_writing);

async fn check_restored(store: &Store, revision: u64) {
    assert_eq!(store.revision().await.unwrap(), revision);
    let log: Vec<_> = store
        .changes_since(0)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.revision)
        .collect();
    assert_eq!(log, (1..=revision).collect::<Vec<_>>());
    assert_eq!(store.verify_audit().await.unwrap(), Ok(revision));
    assert!(
        store
            .user(&uname(&format!("w{:05}", revision - 1)))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.user(&uname(&format!("w{:05}", revision))).await.unwrap(), None);
}

async fn refuses_non_empty(db: Db) {
    build_world(&db).await;
    let file = db.dir.join("backup.gh");
    db.store.backup(&file).await.unwrap();
    let err = db.store.restore(&file).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    // Not even a store with only a security event in it.
    let fresh = backend::fresh(db.backend()).await;
    fresh
        .db
        .store
        .record_event(&entry("login.failed", "x"), at(0))
        .await
        .unwrap();
    assert!(matches!(
        fresh.db.store.restore(&file).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(fresh.db.count("users").await, 0);
    fresh.remove().await;

    // Garbage is no backup.
    let junk = db.dir.join("junk");
    std::fs::write(&junk, b"{\"format\": \"something else\"}").unwrap();
    let empty = backend::fresh(db.backend()).await;
    assert!(matches!(
        empty.db.store.restore(&junk).await,
        Err(StoreError::Backend(_))
    ));
    assert_eq!(empty.db.store.revision().await.unwrap(), 0);
    empty.remove().await;
}
conformance!(restore_needs_an_empty_store, refuses_non_empty);

async fn sessions_and_secrets_travel(db: Db) {
    build_world(&db).await;
    let file = db.dir.join("backup.gh");
    db.store.backup(&file).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a backup holds password and token hashes");
    }
    for target in [Backend::Sqlite]
        .into_iter()
        .chain(backend::backends().into_iter().filter(|b| *b == Backend::Postgres))
    {
        let fresh = backend::fresh(target).await;
        let s = &fresh.db.store;
        s.restore(&file).await.unwrap();
        assert_eq!(
            s.token("tok-alice").await.unwrap(),
            db.store.token("tok-alice").await.unwrap()
        );
        assert_eq!(
            s.user(&uname("alice")).await.unwrap(),
            db.store.user(&uname("alice")).await.unwrap()
        );
        let sid = session("sess-alice", "alice").id_sha256;
        assert_eq!(s.session(&sid).await.unwrap(), db.store.session(&sid).await.unwrap());
        let all = gatehouse_domain::store::PageRequest {
            cursor: None,
            limit: 1000,
        };
        assert_eq!(
            s.audit(&Default::default(), &all).await.unwrap(),
            db.store.audit(&Default::default(), &all).await.unwrap()
        );
        fresh.remove().await;
    }
}
conformance!(restore_keeps_every_record, sessions_and_secrets_travel);
