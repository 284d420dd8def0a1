//! The SQL of web sessions (SPEC §6.2): book-keeping, never a revision.

use gatehouse_domain::StoreError;
use gatehouse_domain::store::Session;
use time::OffsetDateTime;

use crate::codec::{self, nanos, time};
use crate::conn::{Conn, Row as _, args};

/// Inserts a session (a conflict if its user does not exist).
pub(crate) async fn create<C: Conn>(c: &mut C, session: &Session) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO sessions (id_sha256, username, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)",
        args![
            session.id_sha256.as_str(),
            session.username.as_str(),
            session.csrf_token.as_str(),
            nanos(session.created_at)?,
            nanos(session.last_seen_at)?,
        ],
    )
    .await?;
    Ok(())
}

/// A session by the hex SHA-256 of its cookie.
pub(crate) async fn get<C: Conn>(c: &mut C, id_sha256: &str) -> Result<Option<Session>, StoreError> {
    let row = c
        .fetch_optional(
            "SELECT id_sha256, username, csrf_token, created_at, last_seen_at FROM sessions WHERE id_sha256 = $1",
            args![id_sha256],
        )
        .await?;
    row.map(|row| {
        Ok(Session {
            id_sha256: row.text("id_sha256")?,
            username: codec::username(&row.text("username")?)?,
            csrf_token: row.text("csrf_token")?,
            created_at: time(row.int("created_at")?)?,
            last_seen_at: time(row.int("last_seen_at")?)?,
        })
    })
    .transpose()
}

/// Marks a session seen at `now`; a session gone meanwhile is no error.
pub(crate) async fn touch<C: Conn>(c: &mut C, id_sha256: &str, now: OffsetDateTime) -> Result<(), StoreError> {
    c.execute(
        "UPDATE sessions SET last_seen_at = $2 WHERE id_sha256 = $1",
        args![id_sha256, nanos(now)?],
    )
    .await?;
    Ok(())
}

/// Deletes a session; deleting one that is gone is no error.
pub(crate) async fn delete<C: Conn>(c: &mut C, id_sha256: &str) -> Result<(), StoreError> {
    c.execute("DELETE FROM sessions WHERE id_sha256 = $1", args![id_sha256])
        .await?;
    Ok(())
}

/// Ends every session of `username` but the one whose cookie hash is
/// `except` (a password change or reset; SPEC §5.1).
pub(crate) async fn end_of<C: Conn>(c: &mut C, username: &str, except: Option<&str>) -> Result<(), StoreError> {
    match except {
        Some(keep) => {
            c.execute(
                "DELETE FROM sessions WHERE username = $1 AND id_sha256 <> $2",
                args![username, keep],
            )
            .await?
        }
        None => {
            c.execute("DELETE FROM sessions WHERE username = $1", args![username])
                .await?
        }
    };
    Ok(())
}
