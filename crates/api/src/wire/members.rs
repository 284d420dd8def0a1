//! Project members (SPEC §5.5): the member shape and `SetRoles`.

use gatehouse_domain::entities::{self, Principal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `user` or `group`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    /// A user.
    User,
    /// A group.
    Group,
}

/// A project member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    /// User or group.
    pub kind: MemberKind,
    /// The user's or group's name.
    pub name: String,
    /// Its roles, sorted, never empty.
    pub roles: Vec<String>,
}

impl From<&entities::Member> for Member {
    fn from(m: &entities::Member) -> Self {
        Self {
            kind: match m.principal {
                Principal::User(_) => MemberKind::User,
                Principal::Group(_) => MemberKind::Group,
            },
            name: m.principal.name().to_owned(),
            roles: m.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        }
    }
}

/// `PUT /api/v1/projects/{key}/members/{users|groups}/{name}`: replaces the
/// roles; an empty list is 422 `member_needs_role`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRoles {
    /// Global roles and this project's roles.
    pub roles: Vec<String>,
}
