//! The audit log (SPEC §9.1): append-only records in one hash chain,
//! `hash = hex(SHA-256(prev_hash_hex ‖ canonical))`, the first record's
//! `prev_hash` being 64 zeros; verification and filtered listing.

use gatehouse_domain::store::{AuditFilter, AuditRecord, Page, PageRequest, canonical_audit};
use gatehouse_domain::{AuditActor, AuditEntry, StoreError};
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
         target_type, target_id, project, before_json, after_json, request_id, prev_hash, hash"
    };
}

/// The chain hash of a record whose predecessor's hash is `prev_hash`.
pub(crate) fn chain_hash(prev_hash: &str, id: u64, at: &str, revision: Option<u64>, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_audit(id, at, revision, entry).as_bytes());
    hex::encode(hasher.finalize())
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
    let hash = chain_hash(&prev_hash, id, &rfc3339(at)?, revision, entry);
    let json = |v: &Option<Value>| v.as_ref().map(to_json).transpose();
    c.execute(
        concat!(
            "INSERT INTO audit (",
            audit_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ),
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
        ],
    )
    .await?;
    c.execute("UPDATE audit_head SET last_hash = $1 WHERE id = 1", args![hash])
        .await?;
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

/// Records matching `filter`, oldest first, by id.
pub(crate) async fn list<C: Conn>(
    c: &mut C,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditRecord>, StoreError> {
    let after: u64 = cursor::after("audit", page)?.unwrap_or(0);
    let rows = c
        .fetch_all(
            concat!(
                "SELECT ",
                audit_columns!(),
                " FROM audit WHERE id > $1",
                " AND ($2 IS NULL OR actor_username = $2)",
                " AND ($3 IS NULL OR event = $3)",
                " AND ($4 IS NULL OR target_id = $4)",
                " AND ($5 IS NULL OR project = $5)",
                " AND ($6 IS NULL OR at >= $6)",
                " AND ($7 IS NULL OR at < $7)",
                " ORDER BY id LIMIT $8"
            ),
            args![
                int(after)?,
                filter.actor.clone(),
                filter.event.clone(),
                filter.target.clone(),
                filter.project.clone(),
                opt_nanos(filter.since)?,
                opt_nanos(filter.until)?,
                cursor::fetch_limit(page),
            ],
        )
        .await?;
    let records = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
    cursor::finish("audit", page, records, |r| r.id)
}

/// Recomputes the chain: `Ok(number of records)`, or `Err(id)` of the first
/// record that does not verify — altered, out of line, or missing (a gap,
/// or records cut off the end, which `audit_head` still remembers).
pub(crate) async fn verify<C: Conn>(c: &mut C) -> Result<Result<u64, u64>, StoreError> {
    let mut expected_id: u64 = 1;
    let mut prev_hash = GENESIS.to_owned();
    loop {
        let rows = c
            .fetch_all(
                concat!(
                    "SELECT ",
                    audit_columns!(),
                    " FROM audit WHERE id >= $1 ORDER BY id LIMIT $2"
                ),
                args![int(expected_id)?, VERIFY_BATCH],
            )
            .await?;
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
            let Ok(at) = rfc3339(nanos(r.at)?) else {
                return Ok(Err(r.id));
            };
            if chain_hash(&r.prev_hash, r.id, &at, r.revision, &r.entry) != r.hash {
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
