//! Projects (SPEC §5.3): the project shape and its requests.

use gatehouse_authz as authz;
use gatehouse_domain::entities;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::time_format::utc;

/// Which project-management actions the project's Project Admins keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminPrivileges {
    /// `project.manage_members`.
    pub manage_members: bool,
    /// `project.manage_resources`.
    pub manage_resources: bool,
    /// `project.index_resources`.
    pub index_resources: bool,
}

impl From<authz::AdminPrivileges> for AdminPrivileges {
    fn from(p: authz::AdminPrivileges) -> Self {
        Self {
            manage_members: p.manage_members,
            manage_resources: p.manage_resources,
            index_resources: p.index_resources,
        }
    }
}

impl From<AdminPrivileges> for authz::AdminPrivileges {
    fn from(p: AdminPrivileges) -> Self {
        Self {
            manage_members: p.manage_members,
            manage_resources: p.manage_resources,
            index_resources: p.index_resources,
        }
    }
}

impl Default for AdminPrivileges {
    fn default() -> Self {
        authz::AdminPrivileges::default().into()
    }
}

/// A project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Project {
    /// Unique, immutable key.
    pub key: String,
    /// Display name.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// What its Project Admins keep.
    pub admin_privileges: AdminPrivileges,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&entities::Project> for Project {
    fn from(p: &entities::Project) -> Self {
        Self {
            key: p.key.as_str().to_owned(),
            display_name: p.display_name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            admin_privileges: p.admin_privileges.into(),
            created_at: utc(p.created_at),
        }
    }
}

/// `POST /api/v1/projects`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    /// Unique key, `^[a-z][a-z0-9-]{1,31}$`.
    pub key: String,
    /// Display name.
    pub display_name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// What its Project Admins keep (default: everything).
    #[serde(default)]
    pub admin_privileges: AdminPrivileges,
    /// Users who become members with Project Admin.
    #[serde(default)]
    pub admins: Vec<String>,
}

/// `PATCH /api/v1/projects/{key}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchProject {
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New admin privileges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_privileges: Option<AdminPrivileges>,
}
