//! The domain's errors: what a command refuses and why, with the stable code
//! the API turns into an HTTP status (SPEC §7).

use gatehouse_authz::Escalation;
use serde::Serialize;

/// One invalid field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct FieldError {
    /// The field's path in the request, e.g. `roles[2]`.
    pub field: String,
    /// A stable code: `invalid`, `required`, `unknown`, `too_long`.
    pub code: &'static str,
    /// What is wrong, for people.
    pub message: String,
}

impl FieldError {
    /// A value that breaks its rule.
    #[must_use]
    pub fn invalid(field: &str, message: &str) -> Self {
        Self {
            field: field.to_owned(),
            code: "invalid",
            message: message.to_owned(),
        }
    }

    /// A field that must be present.
    #[must_use]
    pub fn required(field: &str) -> Self {
        Self {
            field: field.to_owned(),
            code: "required",
            message: "is required".to_owned(),
        }
    }

    /// A name that refers to nothing.
    #[must_use]
    pub fn unknown(field: &str, value: &str) -> Self {
        Self {
            field: field.to_owned(),
            code: "unknown",
            message: format!("`{value}` does not exist"),
        }
    }

    /// The same error under another field path.
    #[must_use]
    pub fn at(mut self, field: &str) -> Self {
        self.field = field.to_owned();
        self
    }
}

/// Why a command is refused. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// One or more invalid fields (422 `validation_failed`).
    #[error("invalid request: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),
    /// The thing does not exist, or the actor may not know it does (404).
    #[error("{kind} `{name}` not found")]
    NotFound {
        /// `user`, `group`, `project`, `role`, `environment`, `member`, `token`, `resource`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The actor may not do this (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Granting this would escalate the actor's own rights (403, SPEC §2.5).
    #[error("forbidden: {0}")]
    Escalation(Escalation),
    /// The name is taken (409 `already_exists`).
    #[error("{kind} `{name}` already exists")]
    AlreadyExists {
        /// What kind of thing.
        kind: &'static str,
        /// The taken name.
        name: String,
    },
    /// A limit of SPEC §4–§5 (409 `limit_exceeded`).
    #[error("limit exceeded: at most {limit} {what}")]
    LimitExceeded {
        /// What is limited.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A role must grant at least one action (422 `role_empty`).
    #[error("a role must grant at least one action")]
    RoleEmpty,
    /// A member must hold at least one role (422 `member_needs_role`).
    #[error("a member must hold at least one role")]
    MemberNeedsRole,
    /// Switching to Basic mode would lose actions; confirm with
    /// `discard_advanced` (409 `would_discard_actions`).
    #[error("switching to basic mode would discard actions: {}", .0.join(", "))]
    WouldDiscardActions(Vec<String>),
    /// The role or environment is in use; delete with `force` (409 `in_use`).
    #[error("in use by: {}", .0.join(", "))]
    InUse(Vec<String>),
    /// `DEV` and `PROD` cannot be deleted (409 `environment_protected`).
    #[error("environment `{0}` is protected")]
    EnvironmentProtected(String),
    /// Deleting a project needs its key repeated (422 `confirmation_required`).
    #[error("repeat the project key as `confirm` to delete it")]
    ConfirmationRequired,
    /// The last active platform admin stays (409 `last_admin`).
    #[error("the last active platform admin cannot be disabled, demoted or deleted")]
    LastAdmin,
    /// The user is managed upstream (SCIM or OIDC): its profile, status and
    /// password change only through its source (409 `managed_upstream`,
    /// SPEC §13).
    #[error("user `{0}` is managed upstream; its profile, status and password change only through its source")]
    ManagedUpstream(String),
    /// `If-Match` named another version (412).
    #[error("the resource changed since it was read")]
    PreconditionFailed,
    /// A concurrent write won; read again and retry (409 `conflict`).
    #[error("a concurrent change was committed first")]
    Conflict,
    /// The store failed; nothing was written (500 `internal`).
    #[error("store failure: {0}")]
    Store(String),
    /// The store cannot be reached or cannot write just now (a lost
    /// connection, a failover, a full disk when `full`); nothing was
    /// written, retrying may succeed (503 `not_ready`, 507
    /// `insufficient_storage`).
    #[error("store unavailable: {detail}")]
    Unavailable {
        /// The disk is full.
        full: bool,
        /// What the driver said (logged, never returned).
        detail: String,
    },
}

impl DomainError {
    /// One invalid field.
    #[must_use]
    pub fn field(error: FieldError) -> Self {
        Self::Validation(vec![error])
    }

    /// The stable code clients match on.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::NotFound { .. } => "not_found",
            Self::Escalation(Escalation::NotDominating(_)) => "escalation",
            Self::Forbidden(_) | Self::Escalation(_) => "forbidden",
            Self::AlreadyExists { .. } => "already_exists",
            Self::LimitExceeded { .. } => "limit_exceeded",
            Self::RoleEmpty => "role_empty",
            Self::MemberNeedsRole => "member_needs_role",
            Self::WouldDiscardActions(_) => "would_discard_actions",
            Self::InUse(_) => "in_use",
            Self::EnvironmentProtected(_) => "environment_protected",
            Self::ConfirmationRequired => "confirmation_required",
            Self::LastAdmin => "last_admin",
            Self::ManagedUpstream(_) => "managed_upstream",
            Self::PreconditionFailed => "precondition_failed",
            Self::Conflict => "conflict",
            Self::Store(_) => "internal",
            Self::Unavailable { full: false, .. } => "not_ready",
            Self::Unavailable { full: true, .. } => "insufficient_storage",
        }
    }
}

impl From<FieldError> for DomainError {
    fn from(error: FieldError) -> Self {
        Self::field(error)
    }
}

impl From<Escalation> for DomainError {
    fn from(error: Escalation) -> Self {
        Self::Escalation(error)
    }
}
