//! Invitations and the outbox (SPEC §5.1, §9.4).

use gatehouse_domain::entities::QueuedMessage;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::time_format::utc;

use crate::secret::Secret;

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
    /// Plain-text body (carries the invitation link); empty once sent.
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
            body: m.message.body.clone(),
            status,
            sent_at: m.sent_at.map(utc),
            attempts: m.attempts,
            last_error: m.last_error.clone(),
        }
    }
}
