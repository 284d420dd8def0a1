//! The audit log: one chained record per commit and per security event,
//! recomputable from outside; tampering and truncation are detected; the
//! table refuses updates; listing filters and pages.

use gatehouse_domain::store::{AuditFilter, AuditRecord, PageRequest, audit_export, canonical_json};
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
        assert_eq!(r.hash, new_form_hash(r), "record {}", r.id);
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

/// SHA-256 of `prev_hash` then RFC 8785 of the exported record without its hash.
fn new_form_hash(r: &AuditRecord) -> String {
    let exported = audit_export(
        r.id,
        &r.at.format(&Rfc3339).unwrap(),
        r.revision,
        &r.entry,
        &r.prev_hash,
    );
    let canonical = canonical_json(&exported).unwrap();
    assert!(
        canonical.starts_with("{\"actor\":{\"address\":"),
        "keys sorted: {canonical}"
    );
    let mut h = Sha256::new();
    h.update(r.prev_hash.as_bytes());
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

/// The chain of `records` rewritten as the code before RFC 8785 wrote it:
/// serde_json's compact text of the record without `prev_hash`, keys as
/// inserted (a build with `preserve_order`: odd ids) or sorted (even ids).
async fn rewrite_in_legacy_form(db: &Db, records: &[AuditRecord]) -> String {
    use std::collections::BTreeMap;
    let mut prev = "0".repeat(64);
    for r in records {
        let e = &r.entry;
        let s = |v: &Option<String>| serde_json::to_string(v).unwrap();
        let after = serde_json::to_string(&e.after).unwrap();
        let at = serde_json::to_string(&r.at.format(&Rfc3339).unwrap()).unwrap();
        let revision = serde_json::to_string(&r.revision).unwrap();
        let canonical = if r.id % 2 == 1 {
            format!(
                "{{\"id\":{},\"at\":{at},\"revision\":{revision},\"actor\":{{\"username\":{},\"token_id\":{},\"address\":{},\"user_agent\":{}}},\"event\":{:?},\"target\":{{\"type\":{:?},\"id\":{:?}}},\"project\":{},\"before\":null,\"after\":{after},\"request_id\":{}}}",
                r.id,
                s(&e.actor.username),
                s(&e.actor.token_id),
                s(&e.actor.address),
                s(&e.actor.user_agent),
                e.event,
                e.target_type,
                e.target_id,
                s(&e.project),
                s(&e.request_id),
            )
        } else {
            let actor: BTreeMap<&str, &Option<String>> = [
                ("username", &e.actor.username),
                ("token_id", &e.actor.token_id),
                ("address", &e.actor.address),
                ("user_agent", &e.actor.user_agent),
            ]
            .into();
            let target: BTreeMap<&str, &str> = [("type", e.target_type.as_str()), ("id", e.target_id.as_str())].into();
            let record: BTreeMap<&str, serde_json::Value> = [
                ("id", serde_json::json!(r.id)),
                ("at", serde_json::json!(r.at.format(&Rfc3339).unwrap())),
                ("revision", serde_json::json!(r.revision)),
                ("actor", serde_json::to_value(&actor).unwrap()),
                ("event", serde_json::json!(e.event)),
                ("target", serde_json::to_value(&target).unwrap()),
                ("project", serde_json::json!(e.project)),
                ("before", serde_json::Value::Null),
                ("after", e.after.clone().unwrap_or_default()),
                ("request_id", serde_json::json!(e.request_id)),
            ]
            .into();
            // Sorted at every level, whatever this build's map does.
            let text = serde_json::to_string(&record).unwrap();
            assert!(text.starts_with("{\"actor\":{\"address\""), "{text}");
            text
        };
        let mut h = Sha256::new();
        h.update(prev.as_bytes());
        h.update(canonical.as_bytes());
        let hash = hex::encode(h.finalize());
        db.exec(&format!(
            "UPDATE audit SET prev_hash = '{prev}', hash = '{hash}' WHERE id = {}",
            r.id
        ))
        .await;
        prev = hash;
    }
    db.exec(&format!("UPDATE audit_head SET last_hash = '{prev}'")).await;
    prev
}

async fn legacy_upgrade(db: Db) {
    history(&db).await;
    let s = &db.store;
    let before = s.audit(&AuditFilter::default(), &everything()).await.unwrap().items;
    drop_guards(&db).await;
    let legacy_head = rewrite_in_legacy_form(&db, &before).await;
    restore_guards(&db).await;
    assert_eq!(
        s.verify_audit().await.unwrap(),
        Ok(7),
        "the legacy form verifies, either key order"
    );

    // One audited step rewrites the chain in the current form.
    assert_eq!(s.upgrade_audit_chain(at(100)).await.unwrap(), 7);
    assert_eq!(s.verify_audit().await.unwrap(), Ok(8));
    let after = s.audit(&AuditFilter::default(), &everything()).await.unwrap().items;
    let mut prev = "0".repeat(64);
    for (old, new) in before.iter().zip(&after) {
        assert_eq!((old.id, &old.entry, old.revision), (new.id, &new.entry, new.revision));
        assert_eq!(new.prev_hash, prev);
        assert_eq!(new.hash, new_form_hash(new));
        prev = new.hash.clone();
    }
    let step = &after[7];
    assert_eq!(step.entry.event, "audit.chain_upgraded");
    assert_eq!(step.revision, None);
    assert_eq!(step.entry.before.as_ref().unwrap()["last_hash"], legacy_head.as_str());
    assert_eq!(step.hash, new_form_hash(step));
    // The guard is back, and a second upgrade has nothing to do.
    assert!(!db.try_exec("UPDATE audit SET event = 'x' WHERE id = 3").await);
    assert_eq!(s.upgrade_audit_chain(at(101)).await.unwrap(), 0);
    assert_eq!(s.verify_audit().await.unwrap(), Ok(8));
}
conformance!(audit_legacy_chain_is_upgraded_in_one_audited_step, legacy_upgrade);

async fn legacy_tampered(db: Db) {
    history(&db).await;
    let s = &db.store;
    let before = s.audit(&AuditFilter::default(), &everything()).await.unwrap().items;
    drop_guards(&db).await;
    rewrite_in_legacy_form(&db, &before).await;
    db.exec("UPDATE audit SET event = 'login.succeeded' WHERE id = 3").await;
    restore_guards(&db).await;
    assert_eq!(s.verify_audit().await.unwrap(), Err(3));
    // A chain that does not verify is not laundered into one that does.
    let refused = s.upgrade_audit_chain(at(100)).await.unwrap_err().to_string();
    assert!(refused.contains("audit record 3"), "{refused}");
    assert_eq!(s.verify_audit().await.unwrap(), Err(3));
    assert_eq!(db.count("audit").await, 7);
    assert!(
        !db.try_exec("UPDATE audit SET event = 'x' WHERE id = 2").await,
        "guard kept"
    );
}
conformance!(audit_tampered_legacy_chain_is_not_upgraded, legacy_tampered);

async fn restore_guards(db: &Db) {
    match db.backend() {
        gatehouse_store::Backend::Sqlite => {
            db.exec(
                "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit \
                 BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END; \
                 CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit \
                 BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
            )
            .await;
        }
        gatehouse_store::Backend::Postgres => {
            db.exec(
                "CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit \
                 FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
            )
            .await;
        }
    }
}

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

async fn latest(db: Db) {
    history(&db).await;
    let s = &db.store;
    let ids = |filter: AuditFilter, n: u32| {
        let store = s.clone();
        async move {
            let records = store.latest_audit(&filter, n).await.unwrap();
            records.into_iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(AuditFilter::default(), 3).await, [7, 6, 5], "newest first");
    assert_eq!(ids(AuditFilter::default(), 100).await, [7, 6, 5, 4, 3, 2, 1]);
    let about_u1 = AuditFilter {
        target: Some("u1".to_owned()),
        ..Default::default()
    };
    assert_eq!(ids(about_u1.clone(), 10).await, [3, 2]);
    assert_eq!(ids(about_u1, 1).await, [3]);
    let failures = AuditFilter {
        event: Some("login.failed".to_owned()),
        until: Some(at(30)),
        ..Default::default()
    };
    assert_eq!(ids(failures, 10).await, [3]);
    assert!(ids(AuditFilter::default(), 0).await.is_empty());
}

conformance!(audit_latest_records_come_newest_first, latest);
