//! The audit log: one chained record per commit and per security event,
//! recomputable from outside; tampering and truncation are detected; the
//! table refuses updates; listing filters and pages.

use gatehouse_domain::store::{AuditFilter, PageRequest, canonical_audit};
use gatehouse_domain::{Commit, Mutation, Store as _};
use sha2::{Digest as _, Sha256};
use time::format_description::well_known::Rfc3339;

use crate::backend::{Db, conformance};
use crate::fixtures::*;

fn everything() -> PageRequest {
    PageRequest {
        cursor: None,
        limit: 1000,
    }
}

/// Five commits and two security events, interleaved.
async fn history(db: &Db) {
    for i in 0..5_i64 {
        let mut c = commit(vec![Mutation::CreateUser(user(&format!("u{i}")))]);
        c.audit = entry("user.created", &format!("u{i}"));
        c.audit.project = (i % 2 == 0).then(|| "web".to_owned());
        db.store.commit(&c, at(i * 10)).await.unwrap();
        if i % 2 == 1 {
            db.store
                .record_event(&entry("login.failed", &format!("u{i}")), at(i * 10 + 5))
                .await
                .unwrap();
        }
    }
}

async fn chain(db: Db) {
    history(&db).await;
    let s = &db.store;
    assert_eq!(s.revision().await.unwrap(), 5, "security events move no revision");
    let records = s.audit(&AuditFilter::default(), &everything()).await.unwrap().items;
    assert_eq!(records.len(), 7);
    let revisions: Vec<_> = records.iter().map(|r| r.revision).collect();
    assert_eq!(revisions, [Some(1), Some(2), None, Some(3), Some(4), None, Some(5)]);
    // Recomputed here from the definition, not with the store's code.
    let mut prev = "0".repeat(64);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.id, u64::try_from(i).unwrap() + 1);
        assert_eq!(r.prev_hash, prev);
        let canonical = canonical_audit(r.id, &r.at.format(&Rfc3339).unwrap(), r.revision, &r.entry);
        let mut h = Sha256::new();
        h.update(prev.as_bytes());
        h.update(canonical.as_bytes());
        assert_eq!(r.hash, hex::encode(h.finalize()));
        prev = r.hash.clone();
    }
    assert_eq!(records[1].entry, {
        let mut e = entry("user.created", "u1");
        e.project = None;
        e
    });
    assert_eq!(records[2].at, at(15), "time kept to the nanosecond");
    assert_eq!(s.verify_audit().await.unwrap(), Ok(7));
}
conformance!(audit_chain_verifies, chain);

async fn tampering(db: Db) {
    history(&db).await;
    // The table itself refuses changes.
    assert!(!db.try_exec("UPDATE audit SET event = 'x' WHERE id = 3").await);
    assert!(!db.try_exec("DELETE FROM audit WHERE id = 7").await);
    // Someone with the database's keys drops the guard and edits record 3.
    drop_guards(&db).await;
    db.exec("UPDATE audit SET event = 'login.succeeded' WHERE id = 3").await;
    assert_eq!(db.store.verify_audit().await.unwrap(), Err(3));
}
conformance!(audit_tampering_is_detected, tampering);

async fn truncation(db: Db) {
    history(&db).await;
    drop_guards(&db).await;
    db.exec("DELETE FROM audit WHERE id = 7").await;
    assert_eq!(db.store.verify_audit().await.unwrap(), Err(7), "cut off the end");
    db.exec("DELETE FROM audit WHERE id = 4").await;
    assert_eq!(db.store.verify_audit().await.unwrap(), Err(4), "a gap");
}
conformance!(audit_truncation_is_detected, truncation);

async fn drop_guards(db: &Db) {
    match db.backend() {
        gatehouse_store::Backend::Sqlite => {
            db.exec("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete")
                .await;
        }
        gatehouse_store::Backend::Postgres => db.exec("DROP TRIGGER audit_no_update ON audit").await,
    }
}

async fn listing(db: Db) {
    history(&db).await;
    let s = &db.store;
    let ids = |filter: AuditFilter| {
        let store = s.clone();
        async move {
            store
                .audit(&filter, &everything())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        ids(AuditFilter {
            event: Some("login.failed".to_owned()),
            ..Default::default()
        })
        .await,
        [3, 6]
    );
    assert_eq!(
        ids(AuditFilter {
            project: Some("web".to_owned()),
            ..Default::default()
        })
        .await,
        [1, 4, 7]
    );
    assert_eq!(
        ids(AuditFilter {
            target: Some("u1".to_owned()),
            ..Default::default()
        })
        .await,
        [2, 3]
    );
    assert_eq!(
        ids(AuditFilter {
            actor: Some("admin".to_owned()),
            ..Default::default()
        })
        .await
        .len(),
        7
    );
    assert!(
        ids(AuditFilter {
            actor: Some("nobody".to_owned()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        ids(AuditFilter {
            since: Some(at(15)),
            until: Some(at(30)),
            ..Default::default()
        })
        .await,
        [3, 4]
    );

    let mut seen = Vec::new();
    let mut page = PageRequest { cursor: None, limit: 3 };
    loop {
        let got = s.audit(&AuditFilter::default(), &page).await.unwrap();
        seen.extend(got.items.iter().map(|r| r.id));
        match got.next_cursor {
            Some(next) => page.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, (1..=7).collect::<Vec<_>>());

    // A stale commit writes no record.
    let stale = Commit {
        expected_revision: Some(0),
        ..commit(vec![])
    };
    assert!(s.commit(&stale, at(0)).await.is_err());
    assert_eq!(s.verify_audit().await.unwrap(), Ok(7));
}
conformance!(audit_listing_filters_and_pages, listing);
