//! The permission model as plain data, by name: what the store loads and what
//! a [`Change`] edits. [`crate::Snapshot::compile`] turns it into the
//! compiled form checks read.

use serde::{Deserialize, Serialize};

use crate::account::AccountPermissions;
use crate::catalogue::{Catalogue, PROTECTED_ENVIRONMENTS, RoleType};

/// A user's status (SPEC §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserStatus {
    /// Created, never logged in. Holds its permissions.
    Invited,
    /// Logged in at least once (`enabled` on the wire).
    Active,
    /// Disabled by an admin: denied everything.
    Disabled,
    /// Locked after failed password logins: refused a password login only;
    /// its checks, tokens and sessions are those of an enabled user, so
    /// that no one takes another's access away by failing logins in its
    /// name (SPEC §2.1).
    Locked,
}

impl UserStatus {
    /// Whether the user is denied everything: disabled. A lock guards the
    /// password alone and blocks nothing here.
    #[must_use]
    pub const fn is_blocked(self) -> bool {
        matches!(self, Self::Disabled)
    }

    /// Wire name, as JFrog spells it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::Active => "enabled",
            Self::Disabled => "disabled",
            Self::Locked => "locked",
        }
    }
}

/// A person or a service account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserKind {
    /// A person.
    Person,
    /// A service account (never has a password).
    Service,
}

/// A user as the model knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSpec {
    /// Unique username.
    pub name: String,
    /// Status.
    pub status: UserStatus,
    /// Platform admin.
    pub admin: bool,
    /// Person or service.
    pub kind: UserKind,
    /// Instance-wide permissions (SPEC §3.1).
    pub account_permissions: AccountPermissions,
}

impl UserSpec {
    /// An active person without permissions.
    #[must_use]
    pub fn person(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            status: UserStatus::Active,
            admin: false,
            kind: UserKind::Person,
            account_permissions: AccountPermissions::NONE,
        }
    }
}

/// A group and its users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSpec {
    /// Unique group name.
    pub name: String,
    /// Usernames.
    pub members: Vec<String>,
}

/// Which project-management actions the project's Project Admins keep (SPEC §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
// three independent switches, as on the wire.
pub struct AdminPrivileges {
    /// `project.manage_members`.
    pub manage_members: bool,
    /// `project.manage_resources`.
    pub manage_resources: bool,
    /// `project.index_resources`.
    pub index_resources: bool,
}

impl Default for AdminPrivileges {
    fn default() -> Self {
        Self {
            manage_members: true,
            manage_resources: true,
            index_resources: true,
        }
    }
}

/// A project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSpec {
    /// Unique key.
    pub key: String,
    /// What its Project Admins keep.
    pub admin_privileges: AdminPrivileges,
}

/// An environment: global, or of one project (named `<key>-<NAME>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentSpec {
    /// Full name, unique on the instance.
    pub name: String,
    /// The owning project's key; `None` for a global environment.
    pub project: Option<String>,
}

/// What a role grants: Basic categories or Advanced actions (SPEC §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleGrants {
    /// Basic mode: category ids.
    Categories(Vec<String>),
    /// Advanced mode: action ids or wire names.
    Actions(Vec<String>),
}

/// A global or project role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSpec {
    /// Name, unique among the global roles and the project's roles.
    pub name: String,
    /// The owning project's key; `None` for a global role.
    pub project: Option<String>,
    /// ADMIN, PREDEFINED, CUSTOM or CUSTOM_GLOBAL.
    pub role_type: RoleType,
    /// Categories or actions.
    pub grants: RoleGrants,
    /// Environment names the role is limited to.
    pub environments: Vec<String>,
}

/// Who a membership is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Principal {
    /// A user, by username.
    User(String),
    /// A group, by name.
    Group(String),
}

/// A project membership: a principal and the roles it holds there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSpec {
    /// Project key.
    pub project: String,
    /// The member.
    pub principal: Principal,
    /// Role names (global or this project's); never empty.
    pub roles: Vec<String>,
}

/// A registered resource (SPEC §5.6): a thing of a catalogue resource type,
/// owned by one project, living in one environment when its type is
/// environment-scoped. Its name is unique per type across the instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSpec {
    /// A resource type of the catalogue, e.g. `repository`.
    pub resource_type: String,
    /// Name, unique among the resources of its type.
    pub name: String,
    /// The owning project's key.
    pub project: String,
    /// Full environment name: required for an environment-scoped type (a
    /// global environment or one of the project's), absent otherwise.
    pub environment: Option<String>,
}

/// The whole permission model, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// Users.
    pub users: Vec<UserSpec>,
    /// Groups.
    pub groups: Vec<GroupSpec>,
    /// Projects.
    pub projects: Vec<ProjectSpec>,
    /// Global and project environments.
    pub environments: Vec<EnvironmentSpec>,
    /// Global and project roles.
    pub roles: Vec<RoleSpec>,
    /// Memberships.
    pub members: Vec<MemberSpec>,
    /// Registered resources (SPEC §5.6).
    #[serde(default)]
    pub resources: Vec<ResourceSpec>,
}

impl Model {
    /// An empty instance of `catalogue`: the `DEV` and `PROD` environments
    /// and the predefined roles, nothing else.
    #[must_use]
    pub fn new(catalogue: &Catalogue) -> Self {
        Self {
            environments: PROTECTED_ENVIRONMENTS
                .iter()
                .map(|name| EnvironmentSpec {
                    name: (*name).to_owned(),
                    project: None,
                })
                .collect(),
            roles: catalogue
                .predefined_roles()
                .iter()
                .map(|r| RoleSpec {
                    name: r.name.clone(),
                    project: None,
                    role_type: r.role_type,
                    grants: RoleGrants::Categories(r.categories.clone()),
                    environments: r.environments.clone(),
                })
                .collect(),
            ..Self::default()
        }
    }
}

/// One edit of the model, applied to a snapshot without recompiling it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// Adds a user, or replaces its status, admin flag, kind and account permissions.
    PutUser(UserSpec),
    /// Removes a user with its memberships and group memberships.
    RemoveUser(String),
    /// Adds an empty group (members come with [`Change::AddGroupMember`]).
    AddGroup(String),
    /// Removes a group with its memberships.
    RemoveGroup(String),
    /// Adds a user to a group.
    AddGroupMember {
        /// Group name.
        group: String,
        /// Username.
        user: String,
    },
    /// Removes a user from a group.
    RemoveGroupMember {
        /// Group name.
        group: String,
        /// Username.
        user: String,
    },
    /// Adds a project, or replaces its admin privileges.
    PutProject(ProjectSpec),
    /// Removes a project with its roles, environments, members and resources.
    RemoveProject(String),
    /// Adds an environment.
    AddEnvironment(EnvironmentSpec),
    /// Removes an environment, removes it from every role naming it, and
    /// removes the resources registered in it.
    RemoveEnvironment(String),
    /// Adds a role, or replaces the grants and environments of the role with
    /// that name and project.
    PutRole(RoleSpec),
    /// Removes a role from every member holding it; a member left without a
    /// role stops being a member (SPEC §4).
    RemoveRole {
        /// Owning project key; `None` for a global role.
        project: Option<String>,
        /// Role name.
        name: String,
    },
    /// Sets a member's roles (replacing them); an empty list is an error.
    SetMember(MemberSpec),
    /// Removes a member.
    RemoveMember {
        /// Project key.
        project: String,
        /// The member.
        principal: Principal,
    },
    /// Registers a resource, or moves the resource of that type and name
    /// to the given project and environment.
    PutResource(ResourceSpec),
    /// Removes a registered resource.
    RemoveResource {
        /// Resource type.
        resource_type: String,
        /// Resource name.
        name: String,
    },
}
