//! The audit log (SPEC §9.1): append-only records in one hash chain,
//! `hash = hex(SHA-256(prev_hash_hex ‖ RFC 8785 of the exported record
//! without its hash))`, the first record's `prev_hash` being 64 zeros;
//! verification, filtered listing, and the one-time upgrade of a chain
//! written in the legacy form.
//!
//! The legacy form (before RFC 8785) was serde_json's compact text of the
//! record without `prev_hash`, with the keys in whatever order the writing
//! build's map kept them — sorted, or as inserted when some dependency
//! switched on `preserve_order` — so a record verifies in it if either
//! order matches, `before` and `after` taken as stored.

use gatehouse_domain::store::{AuditFilter, AuditRecord, Page, PageRequest, audit_export, audit_hash};
use gatehouse_domain::{AuditActor, AuditEntry, StoreError, Via};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::codec::{from_json, int, nanos, opt_nanos, rfc3339, time, to_json, uint};
use crate::conn::{Conn, Row, args};
use crate::cursor;

/// The `prev_hash` of the first record.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How many records verification reads at a time.
const VERIFY_BATCH: i64 = 1_000;

macro_rules! audit_columns {
    () => {
        "id, at, revision, actor_username, actor_token_id, actor_address, actor_user_agent, event, \
         target_type, target_id, project, before_json, after_json, request_id, prev_hash, hash, actor_via"
    };
}

/// The chain hash of a record whose predecessor's hash is `prev_hash`.
pub(crate) fn chain_hash(
    prev_hash: &str,
    id: u64,
    at: &str,
    revision: Option<u64>,
    entry: &AuditEntry,
) -> Result<String, StoreError> {
    audit_hash(prev_hash, &audit_export(id, at, revision, entry, prev_hash)).map_err(StoreError::Backend)
}

/// The two hashes a record of the legacy form may have: its keys in the
/// order the `json!` of the old code inserted them, or sorted;
/// `before` and `after` are the stored text, as they were hashed.
fn legacy_hashes(
    prev_hash: &str,
    id: u64,
    at: &str,
    revision: Option<u64>,
    entry: &AuditEntry,
    stored: [Option<&str>; 2],
) -> Result<[String; 2], StoreError> {
    let actor = &entry.actor;
    let [before, after] = stored.map(|t| t.unwrap_or("null"));
    let (id, at, revision) = (to_json(&id)?, to_json(&at)?, to_json(&revision)?);
    let (user, token, address, agent) = (
        to_json(&actor.username)?,
        to_json(&actor.token_id)?,
        to_json(&actor.address)?,
        to_json(&actor.user_agent)?,
    );
    let (event, target_type, target_id) = (
        to_json(&entry.event)?,
        to_json(&entry.target_type)?,
        to_json(&entry.target_id)?,
    );
    let (project, request_id) = (to_json(&entry.project)?, to_json(&entry.request_id)?);
    let inserted = format!(
        "{{\"id\":{id},\"at\":{at},\"revision\":{revision},\"actor\":{{\"username\":{user},\"token_id\":{token},\
         \"address\":{address},\"user_agent\":{agent}}},\"event\":{event},\"target\":{{\"type\":{target_type},\
         \"id\":{target_id}}},\"project\":{project},\"before\":{before},\"after\":{after},\"request_id\":{request_id}}}"
    );
    let sorted = format!(
        "{{\"actor\":{{\"address\":{address},\"token_id\":{token},\"user_agent\":{agent},\"username\":{user}}},\
         \"after\":{after},\"at\":{at},\"before\":{before},\"event\":{event},\"id\":{id},\"project\":{project},\
         \"request_id\":{request_id},\"revision\":{revision},\"target\":{{\"id\":{target_id},\"type\":{target_type}}}}}"
    );
    Ok([inserted, sorted].map(|canonical| {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(canonical.as_bytes());
        hex::encode(hasher.finalize())
    }))
}

/// Whether `r` (read from `row`) carries the hash of the current form or,
/// failing that, of the legacy form.
fn record_verifies(row: &impl Row, r: &AuditRecord) -> Result<bool, StoreError> {
    let at = rfc3339(nanos(r.at)?)?;
    if chain_hash(&r.prev_hash, r.id, &at, r.revision, &r.entry)? == r.hash {
        return Ok(true);
    }
    let stored = [row.opt_text("before_json")?, row.opt_text("after_json")?];
    let legacy = legacy_hashes(
        &r.prev_hash,
        r.id,
        &at,
        r.revision,
        &r.entry,
        [stored[0].as_deref(), stored[1].as_deref()],
    )?;
    Ok(legacy.contains(&r.hash))
}

/// Appends a record at time `at`, for the commit of `revision` (`None` for
/// a security event), and answers its id.
///
/// The `audit_head` row is updated first: on PostgreSQL its row lock puts
/// concurrent appends in one line.
// INVARIANT: `audit_head` holds the id and hash of the last record; only
// this function (and restore, into an empty store) writes it, in the same
// transaction as the record. `verify` relies on it to notice records cut
// off the end of the chain.
pub(crate) async fn append<C: Conn>(
    c: &mut C,
    at: OffsetDateTime,
    revision: Option<u64>,
    entry: &AuditEntry,
) -> Result<u64, StoreError> {
    let head = c
        .fetch_one(
            "UPDATE audit_head SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id, last_hash",
            args![],
        )
        .await?;
    let id = uint(head.int("last_id")?)?;
    let prev_hash = head.text("last_hash")?;
    let at = nanos(at)?;
    let hash = chain_hash(&prev_hash, id, &rfc3339(at)?, revision, entry)?;
    let json = |v: &Option<Value>| v.as_ref().map(to_json).transpose();
    // On PostgreSQL the head takes the new hash in the same statement (one
    // round trip less per commit); SQLite has no DML in `WITH`.
    let insert: &'static str = if C::POSTGRES {
        concat!(
            "WITH appended AS (INSERT INTO audit (",
            audit_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)) ",
            "UPDATE audit_head SET last_hash = $16 WHERE id = 1"
        )
    } else {
        concat!(
            "INSERT INTO audit (",
            audit_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        )
    };
    c.execute(
        insert,
        args![
            int(id)?,
            at,
            revision.map(int).transpose()?,
            entry.actor.username.clone(),
            entry.actor.token_id.clone(),
            entry.actor.address.clone(),
            entry.actor.user_agent.clone(),
            entry.event.as_str(),
            entry.target_type.as_str(),
            entry.target_id.as_str(),
            entry.project.clone(),
            json(&entry.before)?,
            json(&entry.after)?,
            entry.request_id.clone(),
            prev_hash,
            hash.as_str(),
            entry.actor.via.map(|v| v.as_str()),
        ],
    )
    .await?;
    if !C::POSTGRES {
        c.execute("UPDATE audit_head SET last_hash = $1 WHERE id = 1", args![hash])
            .await?;
    }
    Ok(id)
}

fn record(row: &impl Row) -> Result<AuditRecord, StoreError> {
    let json = |column: &str| -> Result<Option<Value>, StoreError> {
        row.opt_text(column)?
            .map(|text| from_json("audit record", &text))
            .transpose()
    };
    Ok(AuditRecord {
        id: uint(row.int("id")?)?,
        at: time(row.int("at")?)?,
        revision: row.opt_int("revision")?.map(uint).transpose()?,
        entry: AuditEntry {
            actor: AuditActor {
                username: row.opt_text("actor_username")?,
                token_id: row.opt_text("actor_token_id")?,
                address: row.opt_text("actor_address")?,
                user_agent: row.opt_text("actor_user_agent")?,
                via: row
                    .opt_text("actor_via")?
                    .map(|raw| Via::parse(&raw).ok_or_else(|| StoreError::Backend(format!("unknown face `{raw}`"))))
                    .transpose()?,
            },
            event: row.text("event")?,
            target_type: row.text("target_type")?,
            target_id: row.text("target_id")?,
            project: row.opt_text("project")?,
            before: json("before_json")?,
            after: json("after_json")?,
            request_id: row.opt_text("request_id")?,
        },
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
    })
}

/// The records after `$1` matching the filter of `$2`…`$7` (the arguments
/// of [`filtered`]), as the tail of a `SELECT`.
macro_rules! audit_filtered {
    () => {
        concat!(
            " FROM audit WHERE id > $1",
            " AND ($2 IS NULL OR actor_username = $2)",
            " AND ($3 IS NULL OR event = $3)",
            " AND ($4 IS NULL OR target_id = $4)",
            " AND ($5 IS NULL OR project = $5)",
            " AND ($6 IS NULL OR at >= $6)",
            " AND ($7 IS NULL OR at < $7)"
        )
    };
}

/// The records after `after` matching `filter`, in `order`, at most
/// `limit`.
async fn filtered<C: Conn>(
    c: &mut C,
    filter: &AuditFilter,
    after: u64,
    newest_first: bool,
    limit: i64,
) -> Result<Vec<AuditRecord>, StoreError> {
    let sql = if newest_first {
        concat!(
            "SELECT ",
            audit_columns!(),
            audit_filtered!(),
            " ORDER BY id DESC LIMIT $8"
        )
    } else {
        concat!("SELECT ", audit_columns!(), audit_filtered!(), " ORDER BY id LIMIT $8")
    };
    let rows = c
        .fetch_all(
            sql,
            args![
                int(after)?,
                filter.actor.clone(),
                filter.event.clone(),
                filter.target.clone(),
                filter.project.clone(),
                opt_nanos(filter.since)?,
                opt_nanos(filter.until)?,
                limit,
            ],
        )
        .await?;
    rows.iter().map(record).collect()
}

/// Records matching `filter`, oldest first, by id.
pub(crate) async fn list<C: Conn>(
    c: &mut C,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditRecord>, StoreError> {
    let after: u64 = cursor::after("audit", page)?.unwrap_or(0);
    let records = filtered(c, filter, after, false, cursor::fetch_limit(page)).await?;
    cursor::finish("audit", page, records, |r| r.id)
}

/// The last `n` records matching `filter`, newest first.
pub(crate) async fn latest<C: Conn>(c: &mut C, filter: &AuditFilter, n: u32) -> Result<Vec<AuditRecord>, StoreError> {
    filtered(c, filter, 0, true, i64::from(n)).await
}

/// The next records of the chain in id order, from `id` on, at most
/// `VERIFY_BATCH` of them.
async fn batch_from<C: Conn>(c: &mut C, id: u64) -> Result<Vec<C::Row>, StoreError> {
    c.fetch_all(
        concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit WHERE id >= $1 ORDER BY id LIMIT $2"
        ),
        args![int(id)?, VERIFY_BATCH],
    )
    .await
}

/// Recomputes the chain: `Ok(number of records)`, or `Err(id)` of the first
/// record that does not verify — altered, out of line, or missing (a gap,
/// or records cut off the end, which `audit_head` still remembers).
pub(crate) async fn verify<C: Conn>(c: &mut C) -> Result<Result<u64, u64>, StoreError> {
    let mut expected_id: u64 = 1;
    let mut prev_hash = GENESIS.to_owned();
    loop {
        let rows = batch_from(c, expected_id).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let Ok(r) = record(row) else {
                return Ok(Err(expected_id));
            };
            if r.id != expected_id || r.prev_hash != prev_hash {
                return Ok(Err(expected_id));
            }
            if !record_verifies(row, &r).unwrap_or(false) {
                return Ok(Err(r.id));
            }
            prev_hash = r.hash;
            expected_id += 1;
        }
    }
    let count = expected_id - 1;
    let head = c
        .fetch_one("SELECT last_id, last_hash FROM audit_head WHERE id = 1", args![])
        .await?;
    let last_id = uint(head.int("last_id")?)?;
    if last_id > count {
        return Ok(Err(count + 1));
    }
    if last_id < count || head.text("last_hash")? != prev_hash {
        return Ok(Err(count.max(1)));
    }
    Ok(Ok(count))
}

/// Rewrites a chain that holds records of the legacy form in the current
/// form, in the caller's write transaction, and appends one
/// `audit.chain_upgraded` record saying so (with the legacy chain's last
/// hash and its length). Answers the number of records rewritten; 0 when
/// the chain is empty or already of the current form (its first record is).
///
/// # Errors
/// [`StoreError::Backend`] naming the first record that verifies in no
/// form: a chain that does not verify is left as it is (the transaction
/// is rolled back), for `audit verify` to report.
pub(crate) async fn upgrade<C: Conn>(c: &mut C, now: OffsetDateTime) -> Result<u64, StoreError> {
    // Lock the head first: concurrent appends and upgrades wait.
    let head = c
        .fetch_one(
            "UPDATE audit_head SET last_id = last_id WHERE id = 1 RETURNING last_id, last_hash",
            args![],
        )
        .await?;
    let (last_id, legacy_head) = (uint(head.int("last_id")?)?, head.text("last_hash")?);
    let first = c
        .fetch_optional(
            concat!("SELECT ", audit_columns!(), " FROM audit WHERE id = 1"),
            args![],
        )
        .await?;
    let Some(first) = first else { return Ok(0) };
    let r = record(&first)?;
    if chain_hash(&r.prev_hash, r.id, &rfc3339(nanos(r.at)?)?, r.revision, &r.entry)? == r.hash {
        return Ok(0);
    }
    if C::POSTGRES {
        c.execute("ALTER TABLE audit DISABLE TRIGGER audit_no_update", args![])
            .await?;
    } else {
        c.execute("DROP TRIGGER audit_no_update", args![]).await?;
    }
    let broken =
        |id: u64| StoreError::Backend(format!("audit record {id} does not verify; the chain was not upgraded"));
    let (mut old_prev, mut new_prev) = (GENESIS.to_owned(), GENESIS.to_owned());
    let mut expected_id: u64 = 1;
    loop {
        let rows = batch_from(c, expected_id).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let r = record(row).map_err(|_| broken(expected_id))?;
            if r.id != expected_id || r.prev_hash != old_prev || !record_verifies(row, &r)? {
                return Err(broken(expected_id));
            }
            let hash = chain_hash(&new_prev, r.id, &rfc3339(nanos(r.at)?)?, r.revision, &r.entry)?;
            c.execute(
                "UPDATE audit SET prev_hash = $1, hash = $2 WHERE id = $3",
                args![new_prev.as_str(), hash.as_str(), int(r.id)?],
            )
            .await?;
            old_prev = r.hash;
            new_prev = hash;
            expected_id += 1;
        }
    }
    let count = expected_id - 1;
    if count != last_id || old_prev != legacy_head {
        return Err(broken(count + 1));
    }
    c.execute(
        "UPDATE audit_head SET last_hash = $1 WHERE id = 1",
        args![new_prev.as_str()],
    )
    .await?;
    if C::POSTGRES {
        c.execute("ALTER TABLE audit ENABLE TRIGGER audit_no_update", args![])
            .await?;
    } else {
        c.execute(
            "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit \
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            args![],
        )
        .await?;
    }
    let entry = AuditEntry {
        actor: AuditActor {
            via: Some(Via::System),
            ..AuditActor::default()
        },
        event: "audit.chain_upgraded".to_owned(),
        target_type: "audit".to_owned(),
        target_id: "chain".to_owned(),
        project: None,
        before: Some(serde_json::json!({"form": "legacy", "records": count, "last_hash": legacy_head})),
        after: Some(serde_json::json!({"form": "RFC 8785", "records": count, "last_hash": new_prev})),
        request_id: None,
    };
    append(c, now, None, &entry).await?;
    Ok(count)
}

impl crate::Store {
    /// Rewrites an audit chain written in the legacy form in the current
    /// one (RFC 8785 over the exported record), in one transaction with an
    /// `audit.chain_upgraded` record; answers how many records it
    /// rewrote (0: nothing to do).
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the store fails, or a record verifies in
    /// no form (the chain is then left as it was).
    pub async fn upgrade_audit_chain(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        crate::store::with_write_tx!(self, |c| upgrade(c, now).await)
    }
}
