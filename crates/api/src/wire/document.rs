//! The import/export document (SPEC §11): the whole instance or one project
//! — users without secrets, groups, environments, roles, projects with
//! their environments, roles, members and resources. YAML for people (the
//! CLI converts), JSON on the wire. Every list is sorted, so exporting the
//! same state twice gives the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::projects::AdminPrivileges;
use super::users::UserKind;

/// The document's format version.
pub const DOCUMENT_VERSION: u32 = 1;

/// An instance, or one project of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Format version, `1`.
    pub version: u32,
    /// Users (no passwords, tokens or status: imported users are invited).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<DocUser>,
    /// Groups and their members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<DocGroup>,
    /// Global environments beyond `DEV` and `PROD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// Custom global roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<DocRole>,
    /// Projects with what they hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<DocProject>,
}

/// A user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocUser {
    /// Username.
    pub username: String,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Person (default) or service.
    #[serde(default, skip_serializing_if = "is_person")]
    pub kind: UserKind,
    /// Platform admin.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
    /// Account permissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_permissions: Vec<String>,
}

fn is_person(kind: &UserKind) -> bool {
    *kind == UserKind::Person
}

/// A group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocGroup {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Its users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

/// A role: `categories` (Basic mode) or `actions` (Advanced mode).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocRole {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Basic mode: categories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// Advanced mode: actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<String>>,
    /// Environments (full names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

/// A project and what it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocProject {
    /// Key.
    pub key: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What Project Admins keep.
    #[serde(default)]
    pub admin_privileges: AdminPrivileges,
    /// The project's own environments (`NAME`, created as `<key>-NAME`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// The project's roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<DocRole>,
    /// Members: users by name → roles.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub users: BTreeMap<String, Vec<String>>,
    /// Members: groups by name → roles.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Registered resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<DocResource>,
}

/// A resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocResource {
    /// Type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Name.
    pub name: String,
    /// Environment (full name), for scoped types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// What an import did (or, refused, would have done).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// Things created.
    pub created: u64,
    /// Things changed.
    pub updated: u64,
    /// Things already as the document says.
    pub unchanged: u64,
    /// The revision after the import (unchanged when nothing changed).
    pub revision: u64,
}
