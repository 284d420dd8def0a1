//! The revision counter and the change log (SPEC §8): one row updated
//! inside every write transaction — so revisions follow commit order, which
//! a sequence would not — and one change-log row per revision.

use gatehouse_authz::Change;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::ChangeLogEntry;

use crate::codec::{from_json, int, to_json, uint};
use crate::conn::{Conn, Row as _, args};

/// The current revision.
pub(crate) async fn current<C: Conn>(c: &mut C) -> Result<u64, StoreError> {
    let row = c.fetch_one("SELECT value FROM revision WHERE id = 1", args![]).await?;
    uint(row.int("value")?)
}

/// Moves the revision on by one and answers `(previous, new)`.
///
/// Run first in a write transaction: on PostgreSQL the update locks the
/// row until commit, so a second writer waits here, then sees the first
/// one's revision (`READ COMMITTED` re-reads the row it waited for).
// INVARIANT: every transaction that commits a revision calls this exactly
// once, before anything else; nothing else writes `revision.value` (but
// restore, into an empty store).
pub(crate) async fn bump<C: Conn>(c: &mut C) -> Result<(u64, u64), StoreError> {
    let row = c
        .fetch_one(
            "UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value",
            args![],
        )
        .await?;
    let new = uint(row.int("value")?)?;
    Ok((new.saturating_sub(1), new))
}

/// The PostgreSQL channel on which every commit announces its revision
/// (SPEC §8: a wake-up for other instances; polling by revision remains
/// the fallback, so a lost notification delays a change, never loses it).
pub const CHANNEL: &str = "gatehouse_revision";

/// Appends the change-log row of `revision` and, on PostgreSQL, announces
/// the revision on [`CHANNEL`] in the same statement (one round trip less
/// per commit); PostgreSQL delivers the notification when the transaction
/// commits, and not at all if it rolls back. SQLite has no other instances
/// to wake.
pub(crate) async fn log<C: Conn>(c: &mut C, revision: u64, changes: &[Change]) -> Result<(), StoreError> {
    if C::POSTGRES {
        c.execute(
            "WITH logged AS (INSERT INTO change_log (revision, changes) VALUES ($1, $2)) \
             SELECT pg_notify('gatehouse_revision', $3)",
            args![int(revision)?, to_json(changes)?, revision.to_string()],
        )
        .await?;
    } else {
        c.execute(
            "INSERT INTO change_log (revision, changes) VALUES ($1, $2)",
            args![int(revision)?, to_json(changes)?],
        )
        .await?;
    }
    Ok(())
}

/// Every change-log row after `revision`, in order.
pub(crate) async fn since<C: Conn>(c: &mut C, revision: u64) -> Result<Vec<ChangeLogEntry>, StoreError> {
    let rows = c
        .fetch_all(
            "SELECT revision, changes FROM change_log WHERE revision > $1 ORDER BY revision",
            args![int(revision)?],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ChangeLogEntry {
                revision: uint(row.int("revision")?)?,
                changes: from_json("change log", &row.text("changes")?)?,
            })
        })
        .collect()
}
