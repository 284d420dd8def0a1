//! Audit records (SPEC §9.1) as `GET /api/v1/audit` answers them.

use gatehouse_domain::store;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::time_format::utc;

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditActor {
    /// Acting user; `null` for the system.
    pub username: Option<String>,
    /// Token used, if any.
    pub token_id: Option<String>,
    /// Client address.
    pub address: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
}

/// What it was done to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditTarget {
    /// `user`, `role`, …
    #[serde(rename = "type")]
    pub target_type: String,
    /// Its id.
    pub id: String,
}

/// One audit record, hash-chained to the one before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditRecord {
    /// Sequence number, from 1.
    pub id: u64,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who.
    pub actor: AuditActor,
    /// What happened, e.g. `user.created`.
    pub event: String,
    /// To what.
    pub target: AuditTarget,
    /// The project concerned, if any.
    pub project: Option<String>,
    /// State before (never a secret).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// State after (never a secret).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Hash of the previous record, hex.
    pub prev_hash: String,
    /// This record's hash, hex.
    pub hash: String,
}

impl From<&store::AuditRecord> for AuditRecord {
    fn from(r: &store::AuditRecord) -> Self {
        let e = &r.entry;
        Self {
            id: r.id,
            at: utc(r.at),
            actor: AuditActor {
                username: e.actor.username.clone(),
                token_id: e.actor.token_id.clone(),
                address: e.actor.address.clone(),
                user_agent: e.actor.user_agent.clone(),
            },
            event: e.event.clone(),
            target: AuditTarget {
                target_type: e.target_type.clone(),
                id: e.target_id.clone(),
            },
            project: e.project.clone(),
            before: e.before.clone(),
            after: e.after.clone(),
            request_id: e.request_id.clone(),
            prev_hash: r.prev_hash.clone(),
            hash: r.hash.clone(),
        }
    }
}
