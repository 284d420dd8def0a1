//! Concurrent writers: of two commits decided at the same revision exactly
//! one wins; of two creations of one username exactly one wins; many
//! writers at once get distinct, gap-free revisions.

use std::collections::BTreeSet;

use gatehouse_domain::{Commit, Mutation, Store as _, StoreError};

use crate::backend::{Db, conformance};
use crate::fixtures::*;

async fn same_expected_revision(db: Db) {
    for round in 0..10 {
        let rev = db.store.revision().await.unwrap();
        let tasks: Vec<_> = (0..2)
            .map(|i| {
                let store = db.store.clone();
                let c = Commit {
                    expected_revision: Some(rev),
                    ..commit(vec![Mutation::CreateUser(user(&format!("r{round}w{i}")))])
                };
                tokio::spawn(async move { store.commit(&c, at(0)).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        let won: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(won, [&(rev + 1)], "round {round}: {outcomes:?}");
        let lost: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
        assert_eq!(
            lost,
            [&StoreError::Stale {
                expected: rev,
                actual: rev + 1
            }],
            "round {round}"
        );
        assert_eq!(db.store.revision().await.unwrap(), rev + 1);
    }
    assert_eq!(db.count("users").await, 10);
    assert_eq!(db.count("audit").await, 10);
}
conformance!(two_writers_at_one_revision_one_wins, same_expected_revision);

async fn same_username(db: Db) {
    for round in 0..10 {
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let store = db.store.clone();
                let c = commit(vec![Mutation::CreateUser(user(&format!("twin{round}")))]);
                tokio::spawn(async move { store.commit(&c, at(0)).await })
            })
            .collect();
        let mut oks = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => oks += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(other) => panic!("round {round}: {other:?}"),
            }
        }
        assert_eq!(oks, 1, "round {round}");
    }
    assert_eq!(db.count("users").await, 10);
    assert_eq!(db.store.revision().await.unwrap(), 10);
}
conformance!(two_creations_of_one_username_one_wins, same_username);

async fn many_writers(db: Db) {
    let tasks: Vec<_> = (0..8)
        .map(|w| {
            let store = db.store.clone();
            tokio::spawn(async move {
                let mut revs = Vec::new();
                for i in 0..10 {
                    let c = commit(vec![Mutation::CreateUser(user(&format!("w{w}i{i}")))]);
                    revs.push(store.commit(&c, at(i)).await.unwrap());
                }
                revs
            })
        })
        .collect();
    let mut all = BTreeSet::new();
    for task in tasks {
        let revs = task.await.unwrap();
        assert!(revs.windows(2).all(|w| w[0] < w[1]), "one writer's revisions rise");
        all.extend(revs);
    }
    assert_eq!(all, (1..=80).collect());
    let log: Vec<_> = db
        .store
        .changes_since(0)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.revision)
        .collect();
    assert_eq!(log, (1..=80).collect::<Vec<_>>());
    assert_eq!(db.store.verify_audit().await.unwrap(), Ok(80));
}
conformance!(many_writers_get_distinct_revisions, many_writers);
