//! The SQL of invitations (SPEC §5.1): single-use secrets, of which only
//! the SHA-256 is kept.

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::Invitation;

use crate::codec::{self, nanos, time};
use crate::conn::{Conn, Row as _, args};
use crate::error::missing;

/// Inserts an invitation.
pub(crate) async fn create<C: Conn>(c: &mut C, invitation: &Invitation) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO invitations (secret_sha256, username, expires_at) VALUES ($1, $2, $3)",
        args![
            invitation.secret_sha256.as_str(),
            invitation.username.as_str(),
            nanos(invitation.expires_at)?
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

/// An invitation by the hex SHA-256 of its secret.
pub(crate) async fn get<C: Conn>(c: &mut C, sha256: &str) -> Result<Option<Invitation>, StoreError> {
    let row = c
        .fetch_optional(
            "SELECT secret_sha256, username, expires_at FROM invitations WHERE secret_sha256 = $1",
            args![sha256],
        )
        .await?;
    row.map(|row| {
        Ok(Invitation {
            secret_sha256: row.text("secret_sha256")?,
            username: codec::username(&row.text("username")?)?,
            expires_at: time(row.int("expires_at")?)?,
        })
    })
    .transpose()
}
