//! The SQL of the outbox (SPEC §9.4): messages queued by commits, listed
//! oldest first with their delivery, claimed by the SMTP sender for a lease
//! and marked sent (body dropped) or failed (retried later, or given up).

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::{MessageLink, OutboxMessage, QueuedMessage, SecretPurpose};
use gatehouse_domain::store::{Page, PageRequest};
use time::OffsetDateTime;

use crate::codec::{self, int, nanos, opt_nanos, opt_time, uint};
use crate::conn::{Conn, Row, args};
use crate::cursor;

/// The columns [`queued`] reads (a macro, so that `concat!` can build
/// static statements from it).
macro_rules! columns {
    () => {
        "id, to_address, subject, body, sent_at, attempts, last_error, next_attempt_at, link_username, link_purpose"
    };
}

/// Queues a message, committed with `revision`.
pub(crate) async fn enqueue<C: Conn>(c: &mut C, message: &OutboxMessage, revision: u64) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO outbox (to_address, subject, body, revision, link_username, link_purpose) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        args![
            message.to.as_str(),
            message.subject.as_str(),
            message.body.as_str(),
            int(revision)?,
            message.link.as_ref().map(|l| l.username.as_str().to_owned()),
            message.link.as_ref().map(|l| l.purpose.as_str().to_owned())
        ],
    )
    .await?;
    Ok(())
}

fn queued(row: &impl Row) -> Result<QueuedMessage, StoreError> {
    let link = match (row.opt_text("link_username")?, row.opt_text("link_purpose")?) {
        (Some(username), Some(purpose)) => Some(MessageLink {
            username: codec::username(&username)?,
            purpose: SecretPurpose::parse(&purpose).ok_or_else(|| crate::error::corrupt("link purpose", &purpose))?,
        }),
        _ => None,
    };
    Ok(QueuedMessage {
        id: uint(row.int("id")?)?,
        message: OutboxMessage {
            to: codec::email(&row.text("to_address")?)?,
            subject: row.text("subject")?,
            body: row.text("body")?,
            link,
        },
        sent_at: opt_time(row.opt_int("sent_at")?)?,
        attempts: u32::try_from(row.int("attempts")?).map_err(|e| crate::error::corrupt("attempts", e))?,
        last_error: row.opt_text("last_error")?,
        next_attempt_at: opt_time(row.opt_int("next_attempt_at")?)?,
    })
}

/// Queued messages with their delivery, oldest first.
pub(crate) async fn list<C: Conn>(c: &mut C, page: &PageRequest) -> Result<Page<QueuedMessage>, StoreError> {
    let after: u64 = cursor::after("outbox", page)?.unwrap_or(0);
    let rows = c
        .fetch_all(
            concat!("SELECT ", columns!(), " FROM outbox WHERE id > $1 ORDER BY id LIMIT $2"),
            args![int(after)?, cursor::fetch_limit(page)],
        )
        .await?;
    let messages = rows.iter().map(queued).collect::<Result<Vec<_>, StoreError>>()?;
    cursor::finish("outbox", page, messages, |m| m.id)
}

/// Claims up to `limit` due messages until `lease_until`. Each claim is one
/// conditional update, so of two senders claiming the same message one
/// wins and the other skips it.
pub(crate) async fn claim<C: Conn>(
    c: &mut C,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: u32,
) -> Result<Vec<QueuedMessage>, StoreError> {
    let rows = c
        .fetch_all(
            "SELECT id FROM outbox WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
            args![nanos(now)?, i64::from(limit)],
        )
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = row.int("id")?;
        let won = c
            .fetch_all(
                concat!(
                    "UPDATE outbox SET next_attempt_at = $1 ",
                    "WHERE id = $2 AND next_attempt_at IS NOT NULL AND next_attempt_at <= $3 RETURNING ",
                    columns!()
                ),
                args![nanos(lease_until)?, id, nanos(now)?],
            )
            .await?;
        for row in &won {
            claimed.push(queued(row)?);
        }
    }
    Ok(claimed)
}

/// Marks message `id` sent at `at` and drops its body.
pub(crate) async fn sent<C: Conn>(c: &mut C, id: u64, at: OffsetDateTime) -> Result<(), StoreError> {
    c.execute(
        "UPDATE outbox SET sent_at = $2, next_attempt_at = NULL, last_error = NULL, body = '' WHERE id = $1",
        args![int(id)?, nanos(at)?],
    )
    .await?;
    Ok(())
}

/// Records a failed attempt at message `id`.
pub(crate) async fn failed<C: Conn>(
    c: &mut C,
    id: u64,
    error: &str,
    retry_at: Option<OffsetDateTime>,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1",
        args![int(id)?, error, opt_nanos(retry_at)?],
    )
    .await?;
    Ok(())
}
