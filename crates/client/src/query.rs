//! Query strings of the list endpoints: paging and filters (SPEC §7, §9.1).

use serde::Serialize;
use time::OffsetDateTime;

/// `?limit=&cursor=`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Paging {
    /// At most this many items (server default 100, at most 1,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// `GET /api/v1/users?q=&status=&limit=&cursor=`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UserQuery {
    /// Text in the username or email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Only users with this status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<gatehouse_api::UserStatus>,
    /// Paging.
    #[serde(flatten)]
    pub paging: Paging,
}

/// `GET /api/v1/projects/{key}/members?kind=&q=&limit=&cursor=`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MemberQuery {
    /// Only users or only groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<gatehouse_api::MemberKind>,
    /// Text in the member's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Paging.
    #[serde(flatten)]
    pub paging: Paging,
}

/// `GET /api/v1/audit?actor=&event=&target=&project=&since=&until=&limit=&cursor=`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuditQuery {
    /// Acting username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Event, e.g. `user.created`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Target id, e.g. a username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Project key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Not before.
    #[serde(skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub since: Option<OffsetDateTime>,
    /// Before.
    #[serde(skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub until: Option<OffsetDateTime>,
    /// Paging.
    #[serde(flatten)]
    pub paging: Paging,
}
