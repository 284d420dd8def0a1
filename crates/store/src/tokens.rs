//! The SQL of access tokens (SPEC §6.3): only the secret's SHA-256 is kept.
//! Create, revoke, look up by id or secret hash, list a user's, and record
//! a use (book-keeping: the revision does not move).

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::{Scope, Token};
use gatehouse_domain::names::Username;
use gatehouse_domain::store::{Page, PageRequest};
use time::OffsetDateTime;

use crate::codec::{self, from_json, nanos, opt_nanos, opt_time, time, to_json};
use crate::conn::{Conn, Row, args};
use crate::cursor;
use crate::error::missing;

macro_rules! token_columns {
    () => {
        "id, username, description, scope, secret_sha256, created_at, expires_at, last_used_at, created_by"
    };
}

fn from_row(row: &impl Row) -> Result<Token, StoreError> {
    Ok(Token {
        id: row.text("id")?,
        username: codec::username(&row.text("username")?)?,
        description: codec::description(&row.text("description")?)?,
        scope: from_json("token scope", &row.text("scope")?)?,
        secret_sha256: row.text("secret_sha256")?,
        created_at: time(row.int("created_at")?)?,
        expires_at: opt_time(row.opt_int("expires_at")?)?,
        last_used_at: opt_time(row.opt_int("last_used_at")?)?,
        created_by: codec::username(&row.text("created_by")?)?,
    })
}

/// Inserts a token.
pub(crate) async fn create<C: Conn>(c: &mut C, token: &Token) -> Result<(), StoreError> {
    c.execute(
        concat!(
            "INSERT INTO tokens (",
            token_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ),
        args![
            token.id.as_str(),
            token.username.as_str(),
            token.description.as_str(),
            to_json(&token.scope)?,
            token.secret_sha256.as_str(),
            nanos(token.created_at)?,
            opt_nanos(token.expires_at)?,
            opt_nanos(token.last_used_at)?,
            token.created_by.as_str(),
        ],
    )
    .await?;
    Ok(())
}

/// Deletes (revokes) a token.
pub(crate) async fn revoke<C: Conn>(c: &mut C, id: &str) -> Result<(), StoreError> {
    let deleted = c.execute("DELETE FROM tokens WHERE id = $1", args![id]).await?;
    if deleted == 0 {
        Err(missing("token", id))
    } else {
        Ok(())
    }
}

/// A token by id.
pub(crate) async fn get<C: Conn>(c: &mut C, id: &str) -> Result<Option<Token>, StoreError> {
    let row = c
        .fetch_optional(
            concat!("SELECT ", token_columns!(), " FROM tokens WHERE id = $1"),
            args![id],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A token by the hex SHA-256 of its secret.
pub(crate) async fn by_secret_hash<C: Conn>(c: &mut C, sha256: &str) -> Result<Option<Token>, StoreError> {
    let row = c
        .fetch_optional(
            concat!("SELECT ", token_columns!(), " FROM tokens WHERE secret_sha256 = $1"),
            args![sha256],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A user's tokens, newest first.
pub(crate) async fn list<C: Conn>(c: &mut C, username: &Username) -> Result<Vec<Token>, StoreError> {
    let rows = c
        .fetch_all(
            concat!(
                "SELECT ",
                token_columns!(),
                " FROM tokens WHERE username = $1 ORDER BY created_at DESC, id DESC"
            ),
            args![username.as_str()],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// A page of every user's tokens, by id (time-ordered UUIDs).
pub(crate) async fn all<C: Conn>(c: &mut C, page: &PageRequest) -> Result<Page<Token>, StoreError> {
    let listing = "tokens";
    let after: String = cursor::after(listing, page)?.unwrap_or_default();
    let rows = c
        .fetch_all(
            concat!(
                "SELECT ",
                token_columns!(),
                " FROM tokens WHERE id > $1 ORDER BY id LIMIT $2"
            ),
            args![after, cursor::fetch_limit(page)],
        )
        .await?;
    let tokens = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    cursor::finish(listing, page, tokens, |t| t.id.clone())
}

/// The tokens whose restricted scope names the environment `name` (the
/// `LIKE` narrows the scan; the decoded scope decides).
pub(crate) async fn scoped_to_environment<C: Conn>(c: &mut C, name: &str) -> Result<Vec<Token>, StoreError> {
    let quoted = serde_json::to_string(name).map_err(|e| StoreError::Backend(e.to_string()))?;
    let rows = c
        .fetch_all(
            concat!(
                "SELECT ",
                token_columns!(),
                " FROM tokens WHERE scope LIKE '%' || $1 || '%' ORDER BY id"
            ),
            args![quoted.as_str()],
        )
        .await?;
    let tokens: Vec<Token> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok(tokens
        .into_iter()
        .filter(|t| match &t.scope {
            Scope::Entries(entries) => entries.iter().any(|e| e.environments.iter().any(|n| n == name)),
            Scope::User(_) => false,
        })
        .collect())
}

/// Records a token's use; a token revoked meanwhile is no error.
pub(crate) async fn touch<C: Conn>(c: &mut C, id: &str, now: OffsetDateTime) -> Result<(), StoreError> {
    c.execute(
        "UPDATE tokens SET last_used_at = $2 WHERE id = $1",
        args![id, nanos(now)?],
    )
    .await?;
    Ok(())
}
