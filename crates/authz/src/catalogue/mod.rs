//! The permission catalogue (SPEC §3): resource types, their actions, the
//! Basic-mode categories and the predefined roles, loaded from TOML.

mod error;
mod load;

use std::collections::HashMap;

pub use error::{CatalogueError, CatalogueErrorKind};

use crate::ids::ActionId;
use crate::sets::ActionSet;

/// The most actions a catalogue may hold (they must fit an [`ActionSet`]).
pub const MAX_ACTIONS: usize = 128;

/// The name of the predefined role that holds the project-management actions.
pub const PROJECT_ADMIN_ROLE: &str = "Project Admin";

/// The global environments that always exist (SPEC §5.4).
pub const PROTECTED_ENVIRONMENTS: [&str; 2] = ["DEV", "PROD"];

const PLATFORM_TOML: &str = include_str!("../../catalogues/platform.toml");
const CONNECT_TOML: &str = include_str!("../../catalogues/connect.toml");

/// A kind of thing in a project, with a fixed list of actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// Identifier, e.g. `repository`.
    pub id: String,
    /// Whether checks of its actions name an environment.
    pub env_scoped: bool,
    /// Its actions, in catalogue order.
    pub actions: Vec<ActionId>,
}

/// One thing that can be done to resources of one type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    /// Dotted identifier, e.g. `repository.delete`.
    pub id: String,
    /// JFrog wire name, e.g. `DELETE_OVERWRITE_REPOSITORY`.
    pub wire_name: String,
    /// What the action allows.
    pub description: String,
    /// Index of its resource type in [`Catalogue::resource_types`].
    pub resource_type: usize,
    /// Copied from the resource type.
    pub env_scoped: bool,
}

/// A Basic-mode bundle of actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    /// Dotted identifier, e.g. `artifacts.read`.
    pub id: String,
    /// What the category grants.
    pub description: String,
    /// The actions it bundles.
    pub actions: ActionSet,
}

/// The type of a role (SPEC §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoleType {
    /// The Project Admin role, limited by each project's admin privileges.
    Admin,
    /// A predefined global role of the catalogue.
    Predefined,
    /// A role defined in one project.
    Custom,
    /// A global role defined on this instance.
    CustomGlobal,
}

impl RoleType {
    /// Wire name, as JFrog spells it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "ADMIN",
            Self::Predefined => "PREDEFINED",
            Self::Custom => "CUSTOM",
            Self::CustomGlobal => "CUSTOM_GLOBAL",
        }
    }
}

/// A global role every instance of the catalogue starts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PredefinedRole {
    /// Display name, unique among roles.
    pub name: String,
    /// What the role is for.
    pub description: String,
    /// `Admin` for Project Admin, `Predefined` otherwise.
    pub role_type: RoleType,
    /// Its Basic-mode categories.
    pub categories: Vec<String>,
    /// The global environments it is limited to.
    pub environments: Vec<String>,
}

/// Actions by id or wire name; foldhash rather than SipHash, as every
/// check asked by name resolves its action here.
pub(crate) type ActionNames = HashMap<String, ActionId, foldhash::fast::RandomState>;

/// A loaded, validated catalogue.
#[derive(Clone, Debug)]
pub struct Catalogue {
    name: String,
    resource_types: Vec<ResourceType>,
    // INVARIANT: at most MAX_ACTIONS entries; ActionId(i) is actions[i].
    actions: Vec<Action>,
    categories: Vec<Category>,
    predefined_roles: Vec<PredefinedRole>,
    env_scoped: ActionSet,
    by_id: ActionNames,
    by_wire_name: ActionNames,
}

impl Catalogue {
    /// The default catalogue: the resource types of the JFrog Platform (SPEC §3.3).
    ///
    /// # Errors
    /// Never in a released build: the embedded file is checked by the tests.
    pub fn platform() -> Result<Self, CatalogueError> {
        Self::parse("platform.toml", PLATFORM_TOML)
    }

    /// The device-management catalogue of seed 000 (SPEC §3.4).
    ///
    /// # Errors
    /// Never in a released build: the embedded file is checked by the tests.
    pub fn connect() -> Result<Self, CatalogueError> {
        Self::parse("connect.toml", CONNECT_TOML)
    }

    /// A built-in catalogue by name (`platform` or `connect`).
    #[must_use]
    pub fn builtin(name: &str) -> Option<Result<Self, CatalogueError>> {
        match name {
            "platform" => Some(Self::platform()),
            "connect" => Some(Self::connect()),
            _ => None,
        }
    }

    /// Parses and validates catalogue TOML; errors name `file`, the line and
    /// the field.
    ///
    /// # Errors
    /// The first problem found, as a [`CatalogueError`].
    pub fn parse(file: &str, text: &str) -> Result<Self, CatalogueError> {
        load::parse(file, text)
    }

    /// The catalogue's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Resource types in catalogue order.
    #[must_use]
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.resource_types
    }

    /// Every action, indexed by [`ActionId::index`].
    #[must_use]
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Every action as a set.
    #[must_use]
    pub fn all_actions(&self) -> ActionSet {
        (0..self.actions.len())
            .filter_map(|i| u8::try_from(i).ok().map(ActionId))
            .collect()
    }

    /// One action.
    #[must_use]
    pub fn action(&self, id: ActionId) -> &Action {
        // INVARIANT: ActionIds are only made by this catalogue's lookups.
        &self.actions[id.index()]
    }

    /// Basic-mode categories in catalogue order.
    #[must_use]
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// Predefined global roles, Project Admin first.
    #[must_use]
    pub fn predefined_roles(&self) -> &[PredefinedRole] {
        &self.predefined_roles
    }

    /// The actions whose checks name an environment.
    #[must_use]
    pub fn env_scoped(&self) -> ActionSet {
        self.env_scoped
    }

    /// Resolves a dotted id (`repository.delete`) or a JFrog wire name
    /// (`DELETE_OVERWRITE_REPOSITORY`).
    #[must_use]
    pub fn resolve_action(&self, name: &str) -> Option<ActionId> {
        self.by_id.get(name).or_else(|| self.by_wire_name.get(name)).copied()
    }

    /// A category by id.
    #[must_use]
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The union of the named categories' actions; the first unknown name is
    /// the error.
    ///
    /// # Errors
    /// The first name that is not a category.
    pub fn expand_categories<'a, I>(&self, ids: I) -> Result<ActionSet, &'a str>
    where
        I: IntoIterator<Item = &'a str>,
    {
        ids.into_iter().try_fold(ActionSet::EMPTY, |set, id| {
            self.category(id).map(|c| set.union(c.actions)).ok_or(id)
        })
    }

    /// The categories all of whose actions are in `actions`: what a role keeps
    /// when it switches from Advanced to Basic mode (SPEC §4).
    #[must_use]
    pub fn categories_within(&self, actions: ActionSet) -> Vec<&Category> {
        self.categories
            .iter()
            .filter(|c| c.actions.is_subset(actions))
            .collect()
    }

    /// The §3.2 project-management action with the given short name.
    #[must_use]
    pub fn project_action(&self, short: &str) -> Option<ActionId> {
        self.by_id.get(&format!("project.{short}")).copied()
    }
}
