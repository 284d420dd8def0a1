//! A `Commit`: everything one command writes — the mutations, the audit
//! record, the revision it was decided at — applied by the store in one
//! transaction or not at all.

use gatehouse_authz::{self as authz, Change};
use serde_json::Value;

use crate::entities::{
    BillingSettings, Environment, Group, Invitation, Member, OidcIdentity, OutboxMessage, Principal, Project, Resource,
    Role, RoleMode, SecretPurpose, Token, User,
};
use crate::names::{EnvName, GroupName, ProjectKey, ResourceName, RoleName, Username};

/// One row-level change. Deletes cascade exactly as SPEC §4–§5 say; the
/// store implements each variant, and the snapshot learns it through
/// [`Mutation::model_change`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// Insert a user.
    CreateUser(User),
    /// Replace a user's record (profile, status, permissions, password hash).
    UpdateUser(User),
    /// Delete a user with its memberships, group memberships, tokens,
    /// sessions and invitations.
    DeleteUser(Username),
    /// Insert an empty group (with its description).
    CreateGroup(Group),
    /// Change a group's description.
    UpdateGroup(Group),
    /// Delete a group with its memberships.
    DeleteGroup(GroupName),
    /// Add a user to a group.
    AddGroupMember(GroupName, Username),
    /// Remove a user from a group.
    RemoveGroupMember(GroupName, Username),
    /// Insert a project.
    CreateProject(Project),
    /// Change a project's settings.
    UpdateProject(Project),
    /// Delete a project with its roles, environments, members and resources.
    DeleteProject(ProjectKey),
    /// Insert an environment.
    CreateEnvironment(Environment),
    /// Delete an environment, remove it from every role, and delete the
    /// resources registered in it.
    DeleteEnvironment(EnvName),
    /// Insert or replace a role (by project and name).
    PutRole(Role),
    /// Delete a role, remove it from its members, and delete the members
    /// left without a role.
    DeleteRole(Option<ProjectKey>, RoleName),
    /// Insert or replace a membership.
    SetMember(Member),
    /// Delete a membership.
    RemoveMember(ProjectKey, Principal),
    /// Insert a token.
    CreateToken(Token),
    /// Delete (revoke) a token.
    RevokeToken(String),
    /// Insert an invitation.
    CreateInvitation(Invitation),
    /// Delete an invitation (accepted or replaced).
    DeleteInvitation(String),
    /// Delete a user's single-use secrets of one purpose (`None`: all).
    DeleteSecrets {
        /// Whose.
        username: Username,
        /// Which (`None`: invitations and password resets).
        purpose: Option<SecretPurpose>,
    },
    /// End a user's web sessions, but the one whose cookie hash is `except`.
    EndSessions {
        /// Whose.
        username: Username,
        /// The session that stays (the caller's own), if any.
        except: Option<String>,
    },
    /// Queue a message.
    Enqueue(OutboxMessage),
    /// Replace the billing details.
    PutBilling(BillingSettings),
    /// Register a resource. A taken (type, name) is a conflict: the store
    /// inserts, never replaces.
    PutResource(Resource),
    /// Insert or replace the link of an OIDC identity (by issuer and
    /// subject) to its user.
    LinkOidc(OidcIdentity),
    /// Delete a registered resource.
    DeleteResource {
        /// Its type.
        resource_type: String,
        /// Its name.
        name: ResourceName,
    },
}

fn authz_principal(p: &Principal) -> authz::Principal {
    match p {
        Principal::User(u) => authz::Principal::User(u.as_str().to_owned()),
        Principal::Group(g) => authz::Principal::Group(g.as_str().to_owned()),
    }
}

/// The model form of a user.
#[must_use]
pub fn user_spec(user: &User) -> authz::UserSpec {
    authz::UserSpec {
        name: user.username.as_str().to_owned(),
        status: user.status,
        admin: user.admin,
        kind: user.kind,
        account_permissions: user.account_permissions,
    }
}

/// The model form of a role.
#[must_use]
pub fn role_spec(role: &Role) -> authz::RoleSpec {
    authz::RoleSpec {
        name: role.name.as_str().to_owned(),
        project: role.project.as_ref().map(|p| p.as_str().to_owned()),
        role_type: role.role_type,
        grants: match role.mode {
            RoleMode::Basic => authz::RoleGrants::Categories(role.categories.clone()),
            RoleMode::Advanced => authz::RoleGrants::Actions(role.actions.clone()),
        },
        environments: role.environments.iter().map(|e| e.as_str().to_owned()).collect(),
    }
}

/// The model form of a membership.
#[must_use]
pub fn member_spec(member: &Member) -> authz::MemberSpec {
    authz::MemberSpec {
        project: member.project.as_str().to_owned(),
        principal: authz_principal(&member.principal),
        roles: member.roles.iter().map(|r| r.as_str().to_owned()).collect(),
    }
}

/// The model form of a registered resource.
#[must_use]
pub fn resource_spec(resource: &Resource) -> authz::ResourceSpec {
    authz::ResourceSpec {
        resource_type: resource.resource_type.clone(),
        name: resource.name.as_str().to_owned(),
        project: resource.project.as_str().to_owned(),
        environment: resource.environment.as_ref().map(|e| e.as_str().to_owned()),
    }
}

impl Mutation {
    /// What the permission model learns from this mutation, if anything.
    #[must_use]
    pub fn model_change(&self) -> Option<Change> {
        Some(match self {
            Self::CreateUser(u) | Self::UpdateUser(u) => Change::PutUser(user_spec(u)),
            Self::DeleteUser(u) => Change::RemoveUser(u.as_str().to_owned()),
            Self::CreateGroup(g) => Change::AddGroup(g.name.as_str().to_owned()),
            Self::DeleteGroup(g) => Change::RemoveGroup(g.as_str().to_owned()),
            Self::AddGroupMember(g, u) => Change::AddGroupMember {
                group: g.as_str().to_owned(),
                user: u.as_str().to_owned(),
            },
            Self::RemoveGroupMember(g, u) => Change::RemoveGroupMember {
                group: g.as_str().to_owned(),
                user: u.as_str().to_owned(),
            },
            Self::CreateProject(p) | Self::UpdateProject(p) => Change::PutProject(authz::ProjectSpec {
                key: p.key.as_str().to_owned(),
                admin_privileges: p.admin_privileges,
            }),
            Self::DeleteProject(k) => Change::RemoveProject(k.as_str().to_owned()),
            Self::CreateEnvironment(e) => Change::AddEnvironment(authz::EnvironmentSpec {
                name: e.name.as_str().to_owned(),
                project: e.project.as_ref().map(|p| p.as_str().to_owned()),
            }),
            Self::DeleteEnvironment(e) => Change::RemoveEnvironment(e.as_str().to_owned()),
            Self::PutRole(r) => Change::PutRole(role_spec(r)),
            Self::DeleteRole(p, r) => Change::RemoveRole {
                project: p.as_ref().map(|p| p.as_str().to_owned()),
                name: r.as_str().to_owned(),
            },
            Self::SetMember(m) => Change::SetMember(member_spec(m)),
            Self::RemoveMember(p, who) => Change::RemoveMember {
                project: p.as_str().to_owned(),
                principal: authz_principal(who),
            },
            Self::PutResource(r) => Change::PutResource(resource_spec(r)),
            Self::DeleteResource { resource_type, name } => Change::RemoveResource {
                resource_type: resource_type.clone(),
                name: name.as_str().to_owned(),
            },
            Self::UpdateGroup(_)
            | Self::CreateToken(_)
            | Self::RevokeToken(_)
            | Self::CreateInvitation(_)
            | Self::DeleteInvitation(_)
            | Self::DeleteSecrets { .. }
            | Self::EndSessions { .. }
            | Self::Enqueue(_)
            | Self::PutBilling(_)
            | Self::LinkOidc(_) => return None,
        })
    }
}

/// The face a command came through (SPEC §13): recorded in every audit
/// record, and what lets a user's upstream source (SCIM, OIDC) edit what
/// the native faces may not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Via {
    /// The native API, `/api/v1` (and the CLI, which speaks it).
    Api,
    /// The web UI.
    Ui,
    /// The CLI, when it calls the operations itself.
    Cli,
    /// SCIM 2.0, `/scim/v2`.
    Scim,
    /// The JFrog Access-compatible API.
    Jfrog,
    /// An OIDC login.
    Oidc,
    /// The server itself: first start, upgrades, the catalogue switch.
    System,
}

impl Via {
    /// Every face, in declaration order.
    pub const ALL: [Self; 7] = [
        Self::Api,
        Self::Ui,
        Self::Cli,
        Self::Scim,
        Self::Jfrog,
        Self::Oidc,
        Self::System,
    ];

    /// Its name in audit records.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Ui => "ui",
            Self::Cli => "cli",
            Self::Scim => "scim",
            Self::Jfrog => "jfrog",
            Self::Oidc => "oidc",
            Self::System => "system",
        }
    }

    /// The face named `raw` in an audit record.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == raw)
    }
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who did it, from where (SPEC §9.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditActor {
    /// Acting user (`None` for the system, e.g. first start).
    pub username: Option<String>,
    /// Token used, if any.
    pub token_id: Option<String>,
    /// Client address.
    pub address: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// The face the command or event came through (`None` only in records
    /// written before faces were recorded).
    pub via: Option<Via>,
}

/// One audit record as a command describes it; the store adds id, time and
/// the hash chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who.
    pub actor: AuditActor,
    /// What happened, e.g. `user.created`, `role.updated`, `login.failed`.
    pub event: String,
    /// The target's type (`user`, `role`, …).
    pub target_type: String,
    /// The target's id.
    pub target_id: String,
    /// The project concerned, if any.
    pub project: Option<String>,
    /// State before (never a secret).
    pub before: Option<Value>,
    /// State after (never a secret).
    pub after: Option<Value>,
    /// The request that caused it.
    pub request_id: Option<String>,
}

/// Everything one command writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    /// The changes, applied in order.
    pub mutations: Vec<Mutation>,
    /// The audit record (one per command, cascades included).
    pub audit: AuditEntry,
    /// The revision the command read its state at: if the store has moved
    /// on, the commit is refused whole (optimistic concurrency).
    pub expected_revision: Option<u64>,
}

impl Commit {
    /// The model changes of every mutation, in order.
    #[must_use]
    pub fn model_changes(&self) -> Vec<Change> {
        self.mutations.iter().filter_map(Mutation::model_change).collect()
    }
}
