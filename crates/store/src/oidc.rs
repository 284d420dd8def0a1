//! The SQL of OIDC logins (SPEC §13): identity links (a mutation of a
//! commit) and started logins (book-keeping, never a revision).

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::OidcIdentity;
use gatehouse_domain::names::Username;
use gatehouse_domain::store::OidcPending;
use time::OffsetDateTime;

use crate::codec::{self, nanos, time};
use crate::conn::{Conn, Row as _, args};

fn identity(row: &impl crate::conn::Row) -> Result<OidcIdentity, StoreError> {
    Ok(OidcIdentity {
        issuer: row.text("issuer")?,
        subject: row.text("subject")?,
        username: codec::username(&row.text("username")?)?,
        display_name: row.opt_text("display_name")?,
        linked_at: time(row.int("linked_at")?)?,
    })
}

/// Inserts or replaces the link of (issuer, subject); a user linked to
/// another subject of the same issuer is a conflict.
pub(crate) async fn link<C: Conn>(c: &mut C, link: &OidcIdentity) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO oidc_identities (issuer, subject, username, display_name, linked_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (issuer, subject) DO UPDATE SET username = excluded.username, display_name = excluded.display_name",
        args![
            link.issuer.as_str(),
            link.subject.as_str(),
            link.username.as_str(),
            link.display_name.as_deref(),
            nanos(link.linked_at)?,
        ],
    )
    .await?;
    Ok(())
}

/// The link of (issuer, subject).
pub(crate) async fn get<C: Conn>(c: &mut C, issuer: &str, subject: &str) -> Result<Option<OidcIdentity>, StoreError> {
    c.fetch_optional(
        "SELECT issuer, subject, username, display_name, linked_at FROM oidc_identities \
         WHERE issuer = $1 AND subject = $2",
        args![issuer, subject],
    )
    .await?
    .map(|row| identity(&row))
    .transpose()
}

/// The identity at `issuer` linked to `username`.
pub(crate) async fn of<C: Conn>(
    c: &mut C,
    issuer: &str,
    username: &Username,
) -> Result<Option<OidcIdentity>, StoreError> {
    c.fetch_optional(
        "SELECT issuer, subject, username, display_name, linked_at FROM oidc_identities \
         WHERE issuer = $1 AND username = $2",
        args![issuer, username.as_str()],
    )
    .await?
    .map(|row| identity(&row))
    .transpose()
}

/// Keeps a started login; forgets those started before `expired_before`.
pub(crate) async fn put_pending<C: Conn>(
    c: &mut C,
    pending: &OidcPending,
    expired_before: OffsetDateTime,
) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM oidc_pending WHERE created_at < $1",
        args![nanos(expired_before)?],
    )
    .await?;
    c.execute(
        "INSERT INTO oidc_pending (state_sha256, nonce, pkce_verifier, created_at) VALUES ($1, $2, $3, $4)",
        args![
            pending.state_sha256.as_str(),
            pending.nonce.as_str(),
            pending.pkce_verifier.as_str(),
            nanos(pending.created_at)?,
        ],
    )
    .await?;
    Ok(())
}

/// Deletes the started login of a state and answers it: one statement, so
/// two callbacks with the same state cannot both find it.
pub(crate) async fn take_pending<C: Conn>(c: &mut C, state_sha256: &str) -> Result<Option<OidcPending>, StoreError> {
    let row = c
        .fetch_optional(
            "DELETE FROM oidc_pending WHERE state_sha256 = $1 RETURNING state_sha256, nonce, pkce_verifier, created_at",
            args![state_sha256],
        )
        .await?;
    row.map(|row| {
        Ok(OidcPending {
            state_sha256: row.text("state_sha256")?,
            nonce: row.text("nonce")?,
            pkce_verifier: row.text("pkce_verifier")?,
            created_at: time(row.int("created_at")?)?,
        })
    })
    .transpose()
}
