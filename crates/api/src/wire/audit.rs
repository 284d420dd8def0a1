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

/// One audit record, hash-chained to the one before: `hash` is the hex
/// SHA-256 of `prev_hash` followed by RFC 8785 of this object without
/// `hash` (SPEC §9.1; `gatehouse_domain::store::audit_hash`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditRecord {
    /// Sequence number, from 1.
    pub id: u64,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The store revision the change produced; `null` for an event that
    /// changed no stored state (a failed login).
    pub revision: Option<u64>,
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
    /// The face it came through: `api`, `ui`, `cli`, `scim`, `jfrog`,
    /// `oidc` or `system`; absent from records written before faces were
    /// recorded (their hashes leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
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
            revision: r.revision,
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
            via: e.actor.via.map(|v| v.as_str().to_owned()),
            prev_hash: r.prev_hash.clone(),
            hash: r.hash.clone(),
        }
    }
}

/// `GET /api/v1/audit/verify`: the hash chain in the store recomputed
/// (SPEC §9.1), as `gatehouse audit verify` does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditChain {
    /// Whether every record verifies.
    pub verified: bool,
    /// The records verified (all of them when `verified`).
    pub records: u64,
    /// The id of the first record that does not verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_bad_record: Option<u64>,
}

#[cfg(test)]
mod tests {
    use gatehouse_domain::store::{self, audit_export, audit_hash};
    use gatehouse_domain::{AuditActor as Actor, AuditEntry};
    use time::format_description::well_known::Rfc3339;
    use time::macros::datetime;

    use super::AuditRecord;

    #[test]
    fn the_export_is_exactly_what_the_chain_hashes() {
        let entry = AuditEntry {
            actor: Actor {
                username: Some("admin".into()),
                token_id: None,
                address: Some("127.0.0.1".into()),
                user_agent: Some("curl/8 \u{e9}\u{1F600}".into()),
                via: Some(gatehouse_domain::Via::Api),
            },
            event: "user.created".into(),
            target_type: "user".into(),
            target_id: "alice".into(),
            project: None,
            before: None,
            after: Some(serde_json::json!({"z": 1, "a": [true, null, "x\n"], "m": {"b": 2, "a": 1}})),
            request_id: Some("r-1".into()),
        };
        let at = datetime!(2026-03-01 12:00:00.123456789 +02:00);
        let prev = "ab".repeat(32);
        let at_text = at.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap();
        let hashed = audit_export(7, &at_text, Some(3), &entry, &prev);
        let record = store::AuditRecord {
            id: 7,
            at,
            revision: Some(3),
            entry,
            prev_hash: prev.clone(),
            hash: audit_hash(&prev, &hashed).unwrap(),
        };
        let mut exported = serde_json::to_value(AuditRecord::from(&record)).unwrap();
        let hash = exported.as_object_mut().unwrap().remove("hash").unwrap();
        assert_eq!(exported, hashed, "every hashed field is exported, nothing else");
        assert_eq!(hash, record.hash.as_str());
        assert_eq!(audit_hash(&prev, &exported).unwrap(), record.hash);
    }
}
