//! Invitations, password resets and the outbox (SPEC §5.1, §9.4).

use gatehouse_domain::entities::{LINK_PLACEHOLDER, LINK_WITHHELD, QueuedMessage};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::time_format::utc;

use super::users::{Membership, User};
use crate::secret::Secret;

/// `POST /api/v1/invitations`: invite a new user by email, or re-send the
/// invitation of the user with this email while it is still invited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    /// Email.
    pub email: String,
    /// Username; defaults to the email, lowercased, when that is valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Instance-wide permissions of a new user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_permissions: Vec<String>,
    /// Initial memberships of a new user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memberships: Vec<Membership>,
}

/// The answer to `POST /api/v1/invitations` (201 created, 200 re-sent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvitationSent {
    /// The invited user.
    pub user: User,
    /// When the link stops working (7 days).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The link, shown once — only to a platform admin, and only when no
    /// SMTP server is configured (the admin passes it on). Otherwise the
    /// link goes to the invited address alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// `POST /api/v1/auth/password-reset`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestPasswordReset {
    /// The account's email.
    pub email: String,
}

/// `POST /api/v1/auth/password-reset/{secret}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// The new password.
    pub password: Secret,
}

/// `POST /api/v1/invitations/{secret}/accept`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The password the invited user chooses.
    pub password: Secret,
}

/// A message in the outbox with where its delivery stands. Without an SMTP
/// server these are delivered by hand, by an admin who reads them here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    /// Sequence number.
    pub id: u64,
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body, its link withheld (only the recipient receives
    /// it); empty once sent.
    pub body: String,
    /// `pending` (waiting for the sender or for an admin), `sent`, or
    /// `failed` (the sender gave up; see `last_error`).
    pub status: DeliveryStatus,
    /// When the SMTP sender delivered it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    /// Failed attempts to send it.
    pub attempts: u32,
    /// Why the last attempt failed.
    #[serde(default)]
    pub last_error: Option<String>,
}

/// Where a message's delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not sent yet.
    Pending,
    /// Delivered to the SMTP server.
    Sent,
    /// The sender gave up after repeated failures.
    Failed,
}

impl Message {
    /// The wire shape of a queued message.
    #[must_use]
    pub fn new(m: &QueuedMessage) -> Self {
        let status = match (m.sent_at, m.next_attempt_at) {
            (Some(_), _) => DeliveryStatus::Sent,
            (None, None) => DeliveryStatus::Failed,
            (None, Some(_)) => DeliveryStatus::Pending,
        };
        Self {
            id: m.id,
            to: m.message.to.as_str().to_owned(),
            subject: m.message.subject.clone(),
            body: m.message.body.replace(LINK_PLACEHOLDER, LINK_WITHHELD),
            status,
            sent_at: m.sent_at.map(utc),
            attempts: m.attempts,
            last_error: m.last_error.clone(),
        }
    }
}
