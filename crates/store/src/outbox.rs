//! The SQL of the outbox (SPEC §9.4): messages queued by commits, listed
//! oldest first.

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::OutboxMessage;
use gatehouse_domain::store::{Page, PageRequest};

use crate::codec::{self, int, uint};
use crate::conn::{Conn, Row as _, args};
use crate::cursor;

/// Queues a message, committed with `revision`.
pub(crate) async fn enqueue<C: Conn>(c: &mut C, message: &OutboxMessage, revision: u64) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO outbox (to_address, subject, body, revision) VALUES ($1, $2, $3, $4)",
        args![
            message.to.as_str(),
            message.subject.as_str(),
            message.body.as_str(),
            int(revision)?
        ],
    )
    .await?;
    Ok(())
}

/// Queued messages with their ids, oldest first.
pub(crate) async fn list<C: Conn>(c: &mut C, page: &PageRequest) -> Result<Page<(u64, OutboxMessage)>, StoreError> {
    let after: u64 = cursor::after("outbox", page)?.unwrap_or(0);
    let rows = c
        .fetch_all(
            "SELECT id, to_address, subject, body FROM outbox WHERE id > $1 ORDER BY id LIMIT $2",
            args![int(after)?, cursor::fetch_limit(page)],
        )
        .await?;
    let messages = rows
        .iter()
        .map(|row| {
            Ok((
                uint(row.int("id")?)?,
                OutboxMessage {
                    to: codec::email(&row.text("to_address")?)?,
                    subject: row.text("subject")?,
                    body: row.text("body")?,
                },
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    cursor::finish("outbox", page, messages, |(id, _)| *id)
}
