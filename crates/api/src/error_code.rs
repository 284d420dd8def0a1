//! The one table from the native API's stable error codes to HTTP statuses
//! (SPEC §7): the only place a code meets a status.

use gatehouse_authz::{Escalation, QueryError};
use gatehouse_domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every stable error code of the native API. Never rename; add a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not JSON (400).
    MalformedJson,
    /// A list cursor that this instance did not issue (400).
    InvalidCursor,
    /// One or more invalid fields, including unknown fields; a body that is
    /// JSON but not an object (422).
    ValidationFailed,
    /// A check names an action not in the catalogue (422).
    UnknownAction,
    /// A check of an environment-scoped action names no environment (422).
    EnvironmentRequired,
    /// A role must grant at least one action (422).
    RoleEmpty,
    /// A member must hold at least one role (422).
    MemberNeedsRole,
    /// Deleting a project needs its key repeated (422).
    ConfirmationRequired,
    /// No valid session or token (401).
    Unauthenticated,
    /// Wrong username or password, or no such user (401).
    InvalidCredentials,
    /// The caller may not do this (403).
    Forbidden,
    /// The caller would act on a user it does not dominate: that user holds
    /// something the caller does not (403, SPEC §2.5).
    Escalation,
    /// The thing does not exist or the caller may not know it does (404).
    NotFound,
    /// The name is taken (409).
    AlreadyExists,
    /// A limit of SPEC §4–§5 (409).
    LimitExceeded,
    /// Switching a role to Basic mode would lose actions (409).
    WouldDiscardActions,
    /// The role or environment is in use (409).
    InUse,
    /// `DEV` and `PROD` cannot be deleted (409).
    EnvironmentProtected,
    /// The last active platform admin stays (409).
    LastAdmin,
    /// The user is managed upstream (SCIM or OIDC): its profile, status and
    /// password change only through its source (409, SPEC §13).
    ManagedUpstream,
    /// A concurrent write won; read again and retry (409).
    Conflict,
    /// The route exists but does not answer this method (405).
    MethodNotAllowed,
    /// The request took longer than the server allows (408).
    RequestTimeout,
    /// `If-Match` named another version (412).
    PreconditionFailed,
    /// The body is over 1 MiB (413).
    PayloadTooLarge,
    /// The body is not `application/json` (or `…+json`) (415).
    UnsupportedMediaType,
    /// Too many requests; see `Retry-After` (429).
    RateLimited,
    /// Something failed inside; nothing was written (500).
    Internal,
    /// The store is unreachable or no snapshot is loaded yet (503).
    NotReady,
    /// No snapshot as new as `min_revision` within 2 s (503).
    StaleSnapshot,
    /// Too many passwords are being hashed at once; see `Retry-After` (503).
    Busy,
    /// The store's disk is full; nothing was written (507).
    InsufficientStorage,
}

impl ErrorCode {
    /// Every code, in table order.
    pub const ALL: [Self; 32] = [
        Self::MalformedJson,
        Self::InvalidCursor,
        Self::ValidationFailed,
        Self::UnknownAction,
        Self::EnvironmentRequired,
        Self::RoleEmpty,
        Self::MemberNeedsRole,
        Self::ConfirmationRequired,
        Self::Unauthenticated,
        Self::InvalidCredentials,
        Self::Forbidden,
        Self::Escalation,
        Self::NotFound,
        Self::AlreadyExists,
        Self::LimitExceeded,
        Self::WouldDiscardActions,
        Self::InUse,
        Self::EnvironmentProtected,
        Self::LastAdmin,
        Self::ManagedUpstream,
        Self::Conflict,
        Self::MethodNotAllowed,
        Self::RequestTimeout,
        Self::PreconditionFailed,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::RateLimited,
        Self::Internal,
        Self::NotReady,
        Self::StaleSnapshot,
        Self::Busy,
        Self::InsufficientStorage,
    ];

    /// Wire name. Never rename; add a variant.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::InvalidCursor => "invalid_cursor",
            Self::ValidationFailed => "validation_failed",
            Self::UnknownAction => "unknown_action",
            Self::EnvironmentRequired => "environment_required",
            Self::RoleEmpty => "role_empty",
            Self::MemberNeedsRole => "member_needs_role",
            Self::ConfirmationRequired => "confirmation_required",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::Escalation => "escalation",
            Self::NotFound => "not_found",
            Self::AlreadyExists => "already_exists",
            Self::LimitExceeded => "limit_exceeded",
            Self::WouldDiscardActions => "would_discard_actions",
            Self::InUse => "in_use",
            Self::EnvironmentProtected => "environment_protected",
            Self::LastAdmin => "last_admin",
            Self::ManagedUpstream => "managed_upstream",
            Self::Conflict => "conflict",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RequestTimeout => "request_timeout",
            Self::PreconditionFailed => "precondition_failed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
            Self::NotReady => "not_ready",
            Self::StaleSnapshot => "stale_snapshot",
            Self::Busy => "busy",
            Self::InsufficientStorage => "insufficient_storage",
        }
    }

    /// The HTTP status of SPEC §7: malformed JSON 400, validation 422,
    /// unauthenticated 401, forbidden 403, not visible 404, wrong method
    /// 405, too slow 408, conflicts and
    /// limits 409, stale `If-Match` 412, body over 1 MiB 413, not JSON 415, rate limited
    /// 429, internal 500, not ready 503.
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            Self::MalformedJson | Self::InvalidCursor => 400,
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::Forbidden | Self::Escalation => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::AlreadyExists
            | Self::LimitExceeded
            | Self::WouldDiscardActions
            | Self::InUse
            | Self::EnvironmentProtected
            | Self::LastAdmin
            | Self::ManagedUpstream
            | Self::Conflict => 409,
            Self::PreconditionFailed => 412,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::ValidationFailed
            | Self::UnknownAction
            | Self::EnvironmentRequired
            | Self::RoleEmpty
            | Self::MemberNeedsRole
            | Self::ConfirmationRequired => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::NotReady | Self::StaleSnapshot | Self::Busy => 503,
            Self::InsufficientStorage => 507,
        }
    }

    /// A short, fixed summary for the problem's `title`.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::MalformedJson => "Malformed JSON",
            Self::InvalidCursor => "Invalid cursor",
            Self::ValidationFailed => "Validation failed",
            Self::UnknownAction => "Unknown action",
            Self::EnvironmentRequired => "Environment required",
            Self::RoleEmpty => "Role grants nothing",
            Self::MemberNeedsRole => "Member needs a role",
            Self::ConfirmationRequired => "Confirmation required",
            Self::Unauthenticated => "Unauthenticated",
            Self::InvalidCredentials => "Invalid credentials",
            Self::Forbidden => "Forbidden",
            Self::Escalation => "Escalation",
            Self::NotFound => "Not found",
            Self::AlreadyExists => "Already exists",
            Self::LimitExceeded => "Limit exceeded",
            Self::WouldDiscardActions => "Would discard actions",
            Self::InUse => "In use",
            Self::EnvironmentProtected => "Environment protected",
            Self::LastAdmin => "Last admin",
            Self::ManagedUpstream => "Managed upstream",
            Self::Conflict => "Conflict",
            Self::MethodNotAllowed => "Method not allowed",
            Self::RequestTimeout => "Request timeout",
            Self::PreconditionFailed => "Precondition failed",
            Self::PayloadTooLarge => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::RateLimited => "Rate limited",
            Self::Internal => "Internal error",
            Self::NotReady => "Not ready",
            Self::StaleSnapshot => "Stale snapshot",
            Self::Busy => "Busy",
            Self::InsufficientStorage => "Insufficient storage",
        }
    }

    /// The problem's `type` URI.
    #[must_use]
    pub fn type_uri(self) -> String {
        format!("urn:gatehouse:problem:{}", self.as_str())
    }

    /// The code with this wire name.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&DomainError> for ErrorCode {
    fn from(error: &DomainError) -> Self {
        match error {
            DomainError::Validation(_) => Self::ValidationFailed,
            DomainError::NotFound { .. } => Self::NotFound,
            DomainError::Escalation(Escalation::NotDominating(_)) => Self::Escalation,
            DomainError::Forbidden(_) | DomainError::Escalation(_) => Self::Forbidden,
            DomainError::AlreadyExists { .. } => Self::AlreadyExists,
            DomainError::LimitExceeded { .. } => Self::LimitExceeded,
            DomainError::RoleEmpty => Self::RoleEmpty,
            DomainError::MemberNeedsRole => Self::MemberNeedsRole,
            DomainError::WouldDiscardActions(_) => Self::WouldDiscardActions,
            DomainError::InUse(_) => Self::InUse,
            DomainError::EnvironmentProtected(_) => Self::EnvironmentProtected,
            DomainError::ConfirmationRequired => Self::ConfirmationRequired,
            DomainError::LastAdmin => Self::LastAdmin,
            DomainError::ManagedUpstream(_) => Self::ManagedUpstream,
            DomainError::PreconditionFailed => Self::PreconditionFailed,
            DomainError::Conflict => Self::Conflict,
            DomainError::Store(_) => Self::Internal,
            DomainError::Unavailable { full: false, .. } => Self::NotReady,
            DomainError::Unavailable { full: true, .. } => Self::InsufficientStorage,
        }
    }
}

impl From<QueryError> for ErrorCode {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::UnknownAction => Self::UnknownAction,
            QueryError::EnvironmentRequired => Self::EnvironmentRequired,
            QueryError::ActionNotOfResourceType => Self::ValidationFailed,
        }
    }
}
