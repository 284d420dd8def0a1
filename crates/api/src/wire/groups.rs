//! Groups (SPEC §5.2): the group shape and its requests.

use gatehouse_domain::entities;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Group {
    /// Unique name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Its users' names, sorted.
    pub members: Vec<String>,
}

impl From<&entities::Group> for Group {
    fn from(g: &entities::Group) -> Self {
        Self {
            name: g.name.as_str().to_owned(),
            description: g.description.as_str().to_owned(),
            members: g.members.iter().map(|u| u.as_str().to_owned()).collect(),
        }
    }
}

/// `POST /api/v1/groups`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// Unique name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Initial users.
    #[serde(default)]
    pub members: Vec<String>,
}

/// `PATCH /api/v1/groups/{name}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchGroup {
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `PATCH /api/v1/groups/{name}/members`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchGroupMembers {
    /// Users to add.
    #[serde(default)]
    pub add: Vec<String>,
    /// Users to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}
