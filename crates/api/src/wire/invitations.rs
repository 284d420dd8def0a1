//! Invitations and the outbox (SPEC §5.1, §9.4).

use gatehouse_domain::entities::OutboxMessage;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::secret::Secret;

/// `POST /api/v1/invitations/{secret}/accept`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The password the invited user chooses.
    pub password: Secret,
}

/// A message in the outbox, shown to admins while no SMTP server is
/// configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    /// Sequence number.
    pub id: u64,
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (carries the invitation link).
    pub body: String,
}

impl Message {
    /// The wire shape of message `id`.
    #[must_use]
    pub fn new(id: u64, m: &OutboxMessage) -> Self {
        Self {
            id,
            to: m.to.as_str().to_owned(),
            subject: m.subject.clone(),
            body: m.body.clone(),
        }
    }
}
