//! The SQL of single-use secrets — invitations and password resets
//! (SPEC §5.1) — of which only the SHA-256 is kept.

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::{Invitation, SecretPurpose};
use gatehouse_domain::names::Username;
use time::OffsetDateTime;

use crate::codec::{self, nanos, time};
use crate::conn::{Conn, Row as _, args};
use crate::error::{corrupt, missing};

/// Inserts a secret.
pub(crate) async fn create<C: Conn>(c: &mut C, invitation: &Invitation) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO invitations (secret_sha256, username, expires_at, purpose) VALUES ($1, $2, $3, $4)",
        args![
            invitation.secret_sha256.as_str(),
            invitation.username.as_str(),
            nanos(invitation.expires_at)?,
            invitation.purpose.as_str()
        ],
    )
    .await?;
    Ok(())
}

/// Deletes an invitation (accepted or replaced).
pub(crate) async fn delete<C: Conn>(c: &mut C, sha256: &str) -> Result<(), StoreError> {
    let deleted = c
        .execute("DELETE FROM invitations WHERE secret_sha256 = $1", args![sha256])
        .await?;
    if deleted == 0 {
        Err(missing("invitation", sha256))
    } else {
        Ok(())
    }
}

/// Deletes the secrets of `username` of `purpose` (`None`: all of them);
/// none is no error.
pub(crate) async fn delete_of<C: Conn>(
    c: &mut C,
    username: &Username,
    purpose: Option<SecretPurpose>,
) -> Result<(), StoreError> {
    match purpose {
        Some(purpose) => {
            c.execute(
                "DELETE FROM invitations WHERE username = $1 AND purpose = $2",
                args![username.as_str(), purpose.as_str()],
            )
            .await?
        }
        None => {
            c.execute("DELETE FROM invitations WHERE username = $1", args![username.as_str()])
                .await?
        }
    };
    Ok(())
}

/// Replaces the hash of the unexpired secret of `username` for `purpose`
/// with `sha256` (the sender minted a new secret to send); answers whether
/// there was one.
pub(crate) async fn mint<C: Conn>(
    c: &mut C,
    username: &str,
    purpose: SecretPurpose,
    sha256: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let updated = c
        .execute(
            "UPDATE invitations SET secret_sha256 = $1 WHERE username = $2 AND purpose = $3 AND expires_at > $4",
            args![sha256, username, purpose.as_str(), nanos(now)?],
        )
        .await?;
    Ok(updated > 0)
}

/// Deletes every secret expired at `now`; answers how many.
pub(crate) async fn purge_expired<C: Conn>(c: &mut C, now: OffsetDateTime) -> Result<u64, StoreError> {
    c.execute("DELETE FROM invitations WHERE expires_at <= $1", args![nanos(now)?])
        .await
}

/// A secret by the hex SHA-256 of its value.
pub(crate) async fn get<C: Conn>(c: &mut C, sha256: &str) -> Result<Option<Invitation>, StoreError> {
    let row = c
        .fetch_optional(
            "SELECT secret_sha256, username, expires_at, purpose FROM invitations WHERE secret_sha256 = $1",
            args![sha256],
        )
        .await?;
    row.map(|row| {
        let purpose = row.text("purpose")?;
        Ok(Invitation {
            secret_sha256: row.text("secret_sha256")?,
            username: codec::username(&row.text("username")?)?,
            expires_at: time(row.int("expires_at")?)?,
            purpose: SecretPurpose::parse(&purpose).ok_or_else(|| corrupt("secret purpose", &purpose))?,
        })
    })
    .transpose()
}
