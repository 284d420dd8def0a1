//! The revision: one more per commit, every commit in the change log in
//! order, and a commit decided at an older revision refused whole.

use gatehouse_domain::{Commit, Mutation, Store as _, StoreError};

use crate::backend::{Db, conformance};
use crate::fixtures::*;

async fn one_per_commit(db: Db) {
    let s = &db.store;
    assert_eq!(s.revision().await.unwrap(), 0);
    let mut commits = Vec::new();
    for i in 0..20 {
        let mutations = match i % 3 {
            0 => vec![Mutation::CreateUser(user(&format!("u{i}")))],
            1 => vec![
                Mutation::CreateGroup(group(&format!("g{i}"))),
                Mutation::AddGroupMember(gname(&format!("g{i}")), uname(&format!("u{}", i - 1))),
            ],
            // A commit with no model change still takes a revision.
            _ => vec![Mutation::PutBilling(billing())],
        };
        let c = commit(mutations);
        let rev = s.commit(&c, at(i)).await.unwrap();
        assert_eq!(rev, u64::try_from(i).unwrap() + 1);
        assert_eq!(s.revision().await.unwrap(), rev);
        commits.push(c);
    }
    let log = s.changes_since(0).await.unwrap();
    assert_eq!(log.len(), 20);
    for (i, (entry, c)) in log.iter().zip(&commits).enumerate() {
        assert_eq!(entry.revision, u64::try_from(i).unwrap() + 1);
        assert_eq!(entry.changes, c.model_changes());
    }
    let tail: Vec<_> = s
        .changes_since(17)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.revision)
        .collect();
    assert_eq!(tail, [18, 19, 20]);
    assert!(s.changes_since(20).await.unwrap().is_empty());
}
conformance!(revision_rises_by_one_per_commit, one_per_commit);

async fn stale(db: Db) {
    let s = &db.store;
    let decided_at = apply(&db, vec![Mutation::CreateUser(user("alice"))]).await;
    apply(&db, vec![Mutation::CreateUser(user("bob"))]).await;
    let (audit_rows, log_rows) = (db.count("audit").await, db.count("change_log").await);

    let late = Commit {
        expected_revision: Some(decided_at),
        ..commit(vec![Mutation::CreateUser(user("carol"))])
    };
    let err = s.commit(&late, at(0)).await.unwrap_err();
    assert_eq!(
        err,
        StoreError::Stale {
            expected: decided_at,
            actual: decided_at + 1
        }
    );
    assert_eq!(s.revision().await.unwrap(), decided_at + 1);
    assert_eq!(s.user(&uname("carol")).await.unwrap(), None);
    assert_eq!(db.count("users").await, 2);
    assert_eq!(db.count("audit").await, audit_rows, "no audit record");
    assert_eq!(db.count("change_log").await, log_rows);

    let fresh = Commit {
        expected_revision: Some(decided_at + 1),
        ..late
    };
    assert_eq!(s.commit(&fresh, at(0)).await.unwrap(), decided_at + 2);
    assert!(s.user(&uname("carol")).await.unwrap().is_some());
}
conformance!(stale_commit_is_refused_whole, stale);

async fn notifications(db: Db) {
    if db.backend() != gatehouse_store::Backend::Postgres {
        return; // SQLite has one instance: nobody to wake.
    }
    let mut listener = sqlx::postgres::PgListener::connect(&db.url).await.unwrap();
    listener.listen(gatehouse_store::REVISION_CHANNEL).await.unwrap();
    let rev = apply(&db, vec![Mutation::CreateUser(user("alice"))]).await;
    let stale = Commit {
        expected_revision: Some(0),
        ..commit(vec![Mutation::CreateUser(user("bob"))])
    };
    assert!(db.store.commit(&stale, at(0)).await.is_err());
    let rev2 = apply(&db, vec![Mutation::CreateUser(user("carol"))]).await;
    let wait = std::time::Duration::from_secs(10);
    for expected in [rev, rev2] {
        let note = tokio::time::timeout(wait, listener.recv()).await.unwrap().unwrap();
        assert_eq!(
            note.payload(),
            expected.to_string(),
            "a refused commit announces nothing"
        );
    }
}
conformance!(commit_notifies_other_instances, notifications);
