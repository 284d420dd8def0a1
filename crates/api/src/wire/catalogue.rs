//! `GET /api/v1/catalogue` (SPEC §7): the instance's resource types, their
//! actions, the Basic-mode categories and the account permissions.

use gatehouse_authz::{AccountPermission, Catalogue as Source};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One action of a resource type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogueAction {
    /// Dotted id, e.g. `repository.read`.
    pub id: String,
    /// JFrog wire name, e.g. `READ_REPOSITORY`.
    pub wire_name: String,
    /// What it allows.
    pub description: String,
}

/// A resource type and its actions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResourceTypeEntry {
    /// Id, e.g. `repository`.
    pub id: String,
    /// Whether its actions are limited by environment.
    pub env_scoped: bool,
    /// Its actions.
    pub actions: Vec<CatalogueAction>,
}

/// A Basic-mode category and the actions it bundles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CategoryEntry {
    /// Id, e.g. `repository.deploy`.
    pub id: String,
    /// The actions it grants.
    pub actions: Vec<String>,
}

/// The catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Catalogue {
    /// `platform`, `connect`, or a custom catalogue's name.
    pub name: String,
    /// Resource types with their actions.
    pub resource_types: Vec<ResourceTypeEntry>,
    /// Basic-mode categories.
    pub categories: Vec<CategoryEntry>,
    /// The account permissions (SPEC §3.1).
    pub account_permissions: Vec<String>,
}

impl From<&Source> for Catalogue {
    fn from(c: &Source) -> Self {
        let action = |id| {
            let a = c.action(id);
            CatalogueAction {
                id: a.id.clone(),
                wire_name: a.wire_name.clone(),
                description: a.description.clone(),
            }
        };
        Self {
            name: c.name().to_owned(),
            resource_types: c
                .resource_types()
                .iter()
                .map(|t| ResourceTypeEntry {
                    id: t.id.clone(),
                    env_scoped: t.env_scoped,
                    actions: t.actions.iter().map(|a| action(*a)).collect(),
                })
                .collect(),
            categories: c
                .categories()
                .iter()
                .map(|k| CategoryEntry {
                    id: k.id.clone(),
                    actions: k.actions.iter().map(|a| c.action(a).id.clone()).collect(),
                })
                .collect(),
            account_permissions: AccountPermission::ALL.iter().map(|p| p.as_str().to_owned()).collect(),
        }
    }
}
