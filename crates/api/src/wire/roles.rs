//! Roles (SPEC §4): the role shape and its requests.

use gatehouse_authz::{Catalogue, RoleType};
use gatehouse_domain::entities;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::scope_kind::ScopeKind;

/// Basic (categories) or Advanced (actions) editing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleMode {
    /// Bundled categories.
    Basic,
    /// Every action.
    Advanced,
}

impl From<entities::RoleMode> for RoleMode {
    fn from(m: entities::RoleMode) -> Self {
        match m {
            entities::RoleMode::Basic => Self::Basic,
            entities::RoleMode::Advanced => Self::Advanced,
        }
    }
}

impl From<RoleMode> for entities::RoleMode {
    fn from(m: RoleMode) -> Self {
        match m {
            RoleMode::Basic => Self::Basic,
            RoleMode::Advanced => Self::Advanced,
        }
    }
}

/// `ADMIN`, `PREDEFINED`, `CUSTOM` or `CUSTOM_GLOBAL`, as JFrog spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoleKind {
    /// Project Admin.
    Admin,
    /// A predefined global role.
    Predefined,
    /// A project's own role.
    Custom,
    /// A global role defined on this instance.
    CustomGlobal,
}

impl From<RoleType> for RoleKind {
    fn from(t: RoleType) -> Self {
        match t {
            RoleType::Admin => Self::Admin,
            RoleType::Predefined => Self::Predefined,
            RoleType::Custom => Self::Custom,
            RoleType::CustomGlobal => Self::CustomGlobal,
        }
    }
}

/// A role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Role {
    /// Name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Global or of one project.
    pub scope: ScopeKind,
    /// The owning project's key; `null` for a global role.
    pub project: Option<String>,
    /// The role's type.
    #[serde(rename = "type")]
    pub role_type: RoleKind,
    /// Basic or Advanced.
    pub mode: RoleMode,
    /// Basic mode: its categories (empty in Advanced mode).
    pub categories: Vec<String>,
    /// Every action it grants, in catalogue order.
    pub actions: Vec<String>,
    /// The environments it is limited to.
    pub environments: Vec<String>,
}

impl Role {
    /// The wire shape of `role`; `catalogue` expands Basic-mode categories
    /// into the actions they grant.
    #[must_use]
    pub fn new(role: &entities::Role, catalogue: &Catalogue) -> Self {
        let actions = match role.mode {
            entities::RoleMode::Advanced => role.actions.clone(),
            entities::RoleMode::Basic => {
                let set = role
                    .categories
                    .iter()
                    .filter_map(|c| catalogue.category(c))
                    .fold(gatehouse_authz::ActionSet::EMPTY, |set, c| set.union(c.actions));
                set.iter().map(|a| catalogue.action(a).id.clone()).collect()
            }
        };
        Self {
            name: role.name.as_str().to_owned(),
            description: role.description.as_str().to_owned(),
            scope: ScopeKind::of(role.project.as_ref()),
            project: role.project.as_ref().map(|p| p.as_str().to_owned()),
            role_type: role.role_type.into(),
            mode: role.mode.into(),
            categories: role.categories.clone(),
            actions,
            environments: role.environments.iter().map(|e| e.as_str().to_owned()).collect(),
        }
    }
}

/// `POST /api/v1/roles` or `/api/v1/projects/{key}/roles`: `categories`
/// makes a Basic role, `actions` an Advanced one. The [`Role`] shape as read
/// back is accepted too: its `mode` says which of the two counts (and must
/// agree with them), and `scope`, `project` and `type` must be the route's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    /// Name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// `basic` (the role grants `categories`) or `advanced` (it grants
    /// `actions`); when absent, whichever of the two is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RoleMode>,
    /// As read back: `global` at `/api/v1/roles`, `project` under a project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeKind>,
    /// As read back: the route's project key (`null` for a global role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// As read back: `CUSTOM_GLOBAL` at `/api/v1/roles`, `CUSTOM` under a
    /// project.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub role_type: Option<RoleKind>,
    /// Basic mode: category ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// Advanced mode: action ids or JFrog wire names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<String>>,
    /// Environments it is limited to.
    #[serde(default)]
    pub environments: Vec<String>,
}

/// `PATCH` of a role: any field, including `mode`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRole {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Switch mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RoleMode>,
    /// New categories (Basic mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// New actions (Advanced mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<String>>,
    /// New environments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
    /// Confirms a switch to Basic mode that loses actions (else 409
    /// `would_discard_actions`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub discard_advanced: bool,
}
