//! How domain values sit in columns: times as unix nanoseconds, revisions as
//! `BIGINT`, enums as fixed lower-case words, lists as JSON text; and back,
//! re-validating every name read.

use gatehouse_authz::{RoleType, UserKind, UserStatus};
use gatehouse_domain::StoreError;
use gatehouse_domain::entities::{ManagedBy, RoleMode};
use gatehouse_domain::names::{Description, DisplayName, Email, GroupName, ProjectKey, RoleName, Username};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::corrupt;

/// A time as unix nanoseconds: exact, and an `i64` holds years 1678–2262.
pub(crate) fn nanos(t: OffsetDateTime) -> Result<i64, StoreError> {
    i64::try_from(t.unix_timestamp_nanos())
        .map_err(|_| StoreError::Backend(format!("time `{t}` is outside what the store keeps (1678–2262)")))
}

/// An optional time as unix nanoseconds.
pub(crate) fn opt_nanos(t: Option<OffsetDateTime>) -> Result<Option<i64>, StoreError> {
    t.map(nanos).transpose()
}

/// Unix nanoseconds as a UTC time.
pub(crate) fn time(n: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(n)).map_err(|e| corrupt("time", e))
}

/// Optional unix nanoseconds as a UTC time.
pub(crate) fn opt_time(n: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    n.map(time).transpose()
}

/// RFC 3339 text of a stored time, as the audit chain hashes it.
pub(crate) fn rfc3339(n: i64) -> Result<String, StoreError> {
    time(n)?.format(&Rfc3339).map_err(|e| corrupt("time", e))
}

/// A count or revision as a column value.
pub(crate) fn int(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Backend(format!("{n} does not fit a BIGINT column")))
}

/// A column value as a count or revision.
pub(crate) fn uint(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt("counter", n))
}

/// Serializes a value as JSON text.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("cannot encode JSON: {e}")))
}

/// Parses JSON text read from a column.
pub(crate) fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

/// The stored word of a user status.
pub(crate) const fn status_str(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Invited => "invited",
        UserStatus::Active => "active",
        UserStatus::Disabled => "disabled",
        UserStatus::Locked => "locked",
    }
}

/// A user status from its stored word.
pub(crate) fn status(raw: &str) -> Result<UserStatus, StoreError> {
    Ok(match raw {
        "invited" => UserStatus::Invited,
        "active" => UserStatus::Active,
        "disabled" => UserStatus::Disabled,
        "locked" => UserStatus::Locked,
        _ => return Err(corrupt("user status", raw)),
    })
}

/// The stored word of a user kind.
pub(crate) const fn kind_str(kind: UserKind) -> &'static str {
    match kind {
        UserKind::Person => "person",
        UserKind::Service => "service",
    }
}

/// A user kind from its stored word.
pub(crate) fn kind(raw: &str) -> Result<UserKind, StoreError> {
    match raw {
        "person" => Ok(UserKind::Person),
        "service" => Ok(UserKind::Service),
        _ => Err(corrupt("user kind", raw)),
    }
}

/// The stored word of who manages a user.
pub(crate) const fn managed_by_str(managed_by: ManagedBy) -> &'static str {
    match managed_by {
        ManagedBy::Local => "local",
        ManagedBy::Scim => "scim",
        ManagedBy::Oidc => "oidc",
    }
}

/// Who manages a user, from its stored word.
pub(crate) fn managed_by(raw: &str) -> Result<ManagedBy, StoreError> {
    match raw {
        "local" => Ok(ManagedBy::Local),
        "scim" => Ok(ManagedBy::Scim),
        "oidc" => Ok(ManagedBy::Oidc),
        _ => Err(corrupt("managed_by", raw)),
    }
}

/// A role type from its stored (wire) word.
pub(crate) fn role_type(raw: &str) -> Result<RoleType, StoreError> {
    [
        RoleType::Admin,
        RoleType::Predefined,
        RoleType::Custom,
        RoleType::CustomGlobal,
    ]
    .into_iter()
    .find(|t| t.as_str() == raw)
    .ok_or_else(|| corrupt("role type", raw))
}

/// The stored word of a role mode.
pub(crate) const fn mode_str(mode: RoleMode) -> &'static str {
    match mode {
        RoleMode::Basic => "basic",
        RoleMode::Advanced => "advanced",
    }
}

/// A role mode from its stored word.
pub(crate) fn mode(raw: &str) -> Result<RoleMode, StoreError> {
    match raw {
        "basic" => Ok(RoleMode::Basic),
        "advanced" => Ok(RoleMode::Advanced),
        _ => Err(corrupt("role mode", raw)),
    }
}

/// The member kind column: users (0) list before groups (1).
pub(crate) const KIND_USER: i64 = 0;
/// The member kind column of a group.
pub(crate) const KIND_GROUP: i64 = 1;

/// A username read back.
pub(crate) fn username(raw: &str) -> Result<Username, StoreError> {
    Username::parse(raw).map_err(|e| corrupt("username", e))
}

/// A group name read back.
pub(crate) fn group_name(raw: &str) -> Result<GroupName, StoreError> {
    GroupName::parse(raw).map_err(|e| corrupt("group name", e))
}

/// A project key read back.
pub(crate) fn project_key(raw: &str) -> Result<ProjectKey, StoreError> {
    ProjectKey::parse(raw).map_err(|e| corrupt("project key", e))
}

/// A role name read back.
pub(crate) fn role_name(raw: &str) -> Result<RoleName, StoreError> {
    RoleName::parse(raw).map_err(|e| corrupt("role name", e))
}

/// An email read back.
pub(crate) fn email(raw: &str) -> Result<Email, StoreError> {
    Email::parse(raw).map_err(|e| corrupt("email", e))
}

/// A display name read back.
pub(crate) fn display_name(raw: &str) -> Result<DisplayName, StoreError> {
    DisplayName::parse(raw).map_err(|e| corrupt("display name", e))
}

/// A description read back (the length limit was checked on the way in).
pub(crate) fn description(raw: &str) -> Result<Description, StoreError> {
    Description::parse("description", raw, usize::MAX).map_err(|e| corrupt("description", e))
}
