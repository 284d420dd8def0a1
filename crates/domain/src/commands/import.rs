//! Import (SPEC §11): bring the instance to a desired state — users,
//! groups, environments, roles, projects, members, resources — in one
//! commit. Import adds and updates; it never deletes what the document does
//! not name, and importing the same document twice changes nothing the
//! second time (no commit at all).

use std::collections::{BTreeMap, BTreeSet};

use gatehouse_authz::Snapshot;
use serde_json::json;

use super::{Ctx, read};
use crate::commit::{Commit, Mutation};
use crate::entities::{Environment, Group, Member, Principal, Project, Resource, Role, User};
use crate::error::{DomainError, FieldError};
use crate::limits::{MAX_CUSTOM_GLOBAL_ROLES, MAX_GLOBAL_ENVIRONMENTS, MAX_PROJECT_ENVIRONMENTS, MAX_PROJECT_ROLES};
use crate::names::{GroupName, ProjectKey, Username};
use crate::store::{MemberFilter, Store, UserFilter, every_page};

/// The state a document describes, validated name by name at the edge.
#[derive(Clone, Debug, Default)]
pub struct Desired {
    /// Users (new ones are created `invited`, without a password).
    pub users: Vec<User>,
    /// Groups with their members.
    pub groups: Vec<Group>,
    /// Global and project environments.
    pub environments: Vec<Environment>,
    /// Custom global roles and project roles.
    pub roles: Vec<Role>,
    /// Projects.
    pub projects: Vec<Project>,
    /// Memberships, each with its full set of roles.
    pub members: Vec<Member>,
    /// Resources.
    pub resources: Vec<Resource>,
}

/// What an import changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Things created.
    pub created: u64,
    /// Things changed.
    pub updated: u64,
    /// Things already as desired.
    pub unchanged: u64,
}

/// The commit an import needs (`None` when nothing changes) and its counts.
#[derive(Clone, Debug)]
pub struct ImportPlan {
    /// The commit, if anything changes, with the snapshot it leads to: the
    /// context's snapshot with the commit's model changes applied (checked
    /// before anything is written, and published once it is).
    pub commit: Option<(Commit, Snapshot)>,
    /// What it does.
    pub counts: ImportCounts,
}

/// The mutations an import needs, counted as they are found.
#[derive(Default)]
struct Tally {
    mutations: Vec<Mutation>,
    counts: ImportCounts,
}

impl Tally {
    /// Records one item: `Some` change (a creation or an update), or
    /// `None` when it is already as desired.
    fn record(&mut self, mutation: Option<Mutation>, created: bool) {
        match mutation {
            Some(m) if created => {
                self.counts.created += 1;
                self.mutations.push(m);
            }
            Some(m) => {
                self.counts.updated += 1;
                self.mutations.push(m);
            }
            None => self.counts.unchanged += 1,
        }
    }
}

/// Plans the import of `desired`: platform admins only; validated whole
/// against the resulting model before anything is written.
///
/// # Errors
/// Forbidden; `limit_exceeded`; a resource registered elsewhere; a model
/// that does not hold together (`validation_failed` naming the problem).
pub async fn plan<S: Store>(ctx: &Ctx<'_, S>, desired: Desired) -> Result<ImportPlan, DomainError> {
    ctx.require_admin()?;
    let store = ctx.store;
    let mut out = Tally::default();

    // Users: create, or update what a document carries.
    let users: BTreeMap<Username, User> =
        read(every_page(|page| async move { store.users(&UserFilter::default(), &page).await }).await)?
            .into_iter()
            .map(|u| (u.username.clone(), u))
            .collect();
    for user in desired.users {
        match users.get(&user.username) {
            None => out.record(Some(Mutation::CreateUser(user)), true),
            Some(current) => {
                let same = current.email == user.email
                    && current.kind == user.kind
                    && current.admin == user.admin
                    && current.account_permissions == user.account_permissions;
                let next = User {
                    email: user.email,
                    kind: user.kind,
                    admin: user.admin,
                    account_permissions: user.account_permissions,
                    ..current.clone()
                };
                out.record((!same).then_some(Mutation::UpdateUser(next)), false);
            }
        }
    }

    // Groups: create or describe, then set members exactly.
    let groups: BTreeMap<GroupName, Group> = read(every_page(|page| async move { store.groups(&page).await }).await)?
        .into_iter()
        .map(|g| (g.name.clone(), g))
        .collect();
    let mut member_changes = Vec::new();
    for group in desired.groups {
        let (before, mutation, created): (BTreeSet<Username>, _, _) = match groups.get(&group.name) {
            None => (
                BTreeSet::new(),
                Some(Mutation::CreateGroup(Group {
                    members: Vec::new(),
                    ..group.clone()
                })),
                true,
            ),
            Some(current) => (
                current.members.iter().cloned().collect(),
                (current.description != group.description).then(|| {
                    Mutation::UpdateGroup(Group {
                        description: group.description.clone(),
                        ..current.clone()
                    })
                }),
                false,
            ),
        };
        let after: BTreeSet<Username> = group.members.iter().cloned().collect();
        let changed_members = before != after;
        if mutation.is_none() && changed_members && !created {
            out.counts.updated += 1;
        } else {
            out.record(mutation, created);
        }
        for user in after.difference(&before) {
            member_changes.push(Mutation::AddGroupMember(group.name.clone(), user.clone()));
        }
        for user in before.difference(&after) {
            member_changes.push(Mutation::RemoveGroupMember(group.name.clone(), user.clone()));
        }
    }

    // Global environments and projects (before what they hold).
    let globals: BTreeSet<String> = read(store.environments(None).await)?
        .into_iter()
        .map(|e| e.name.as_str().to_owned())
        .collect();
    let projects: BTreeMap<ProjectKey, Project> =
        read(every_page(|page| async move { store.projects(&page).await }).await)?
            .into_iter()
            .map(|p| (p.key.clone(), p))
            .collect();
    let (project_envs, global_envs): (Vec<_>, Vec<_>) =
        desired.environments.into_iter().partition(|e| e.project.is_some());
    for env in global_envs {
        let exists = globals.contains(env.name.as_str());
        out.record((!exists).then_some(Mutation::CreateEnvironment(env)), true);
    }
    out.mutations.extend(member_changes);
    for project in desired.projects {
        match projects.get(&project.key) {
            None => out.record(Some(Mutation::CreateProject(project)), true),
            Some(current) => {
                let same = current.display_name == project.display_name
                    && current.description == project.description
                    && current.admin_privileges == project.admin_privileges;
                let next = Project {
                    created_at: current.created_at,
                    revision: current.revision,
                    ..project
                };
                out.record((!same).then_some(Mutation::UpdateProject(next)), false);
            }
        }
    }
    let mut known_envs: BTreeMap<ProjectKey, BTreeSet<String>> = BTreeMap::new();
    for env in project_envs {
        let Some(key) = env.project.clone() else { continue };
        if !known_envs.contains_key(&key) {
            let current = if projects.contains_key(&key) {
                read(store.environments(Some(&key)).await)?
                    .into_iter()
                    .map(|e| e.name.as_str().to_owned())
                    .collect()
            } else {
                BTreeSet::new()
            };
            known_envs.insert(key.clone(), current);
        }
        let exists = known_envs
            .get(&key)
            .is_some_and(|names| names.contains(env.name.as_str()));
        out.record((!exists).then_some(Mutation::CreateEnvironment(env)), true);
    }

    // Roles: put when new or different.
    let mut current_roles: BTreeMap<Option<ProjectKey>, BTreeMap<String, Role>> = BTreeMap::new();
    for role in desired.roles {
        if !current_roles.contains_key(&role.project) {
            let existing = match &role.project {
                Some(key) if !projects.contains_key(key) => Vec::new(),
                project => read(store.roles(project.as_ref()).await)?,
            };
            current_roles.insert(
                role.project.clone(),
                existing.into_iter().map(|r| (r.name.as_str().to_owned(), r)).collect(),
            );
        }
        let current = current_roles
            .get(&role.project)
            .and_then(|roles| roles.get(role.name.as_str()));
        let same = current.is_some_and(|c| {
            c.description == role.description
                && c.mode == role.mode
                && c.categories == role.categories
                && c.actions == role.actions
                && c.environments == role.environments
        });
        let created = current.is_none();
        out.record((!same).then_some(Mutation::PutRole(role)), created);
    }

    // Members: set when new or different.
    let mut current_members: BTreeMap<ProjectKey, BTreeMap<Principal, Vec<String>>> = BTreeMap::new();
    for member in desired.members {
        if !current_members.contains_key(&member.project) {
            let existing = if projects.contains_key(&member.project) {
                let key = &member.project;
                read(every_page(|page| async move { store.members(key, &MemberFilter::default(), &page).await }).await)?
            } else {
                Vec::new()
            };
            current_members.insert(
                member.project.clone(),
                existing
                    .into_iter()
                    .map(|m| (m.principal, m.roles.iter().map(|r| r.as_str().to_owned()).collect()))
                    .collect(),
            );
        }
        let mut roles: Vec<String> = member.roles.iter().map(|r| r.as_str().to_owned()).collect();
        roles.sort();
        let current = current_members
            .get(&member.project)
            .and_then(|m| m.get(&member.principal))
            .map(|r| {
                let mut r = r.clone();
                r.sort();
                r
            });
        let created = current.is_none();
        let same = current.as_ref() == Some(&roles);
        out.record((!same).then_some(Mutation::SetMember(member)), created);
    }

    // Resources: register what is missing; one registered elsewhere is refused.
    for resource in desired.resources {
        match read(store.resource(&resource.resource_type, resource.name.as_str()).await)? {
            None => out.record(Some(Mutation::PutResource(resource)), true),
            Some(current) if current.project == resource.project && current.environment == resource.environment => {
                out.counts.unchanged += 1;
            }
            Some(current) => {
                return Err(DomainError::AlreadyExists {
                    kind: "resource",
                    name: format!(
                        "{}/{} (in project `{}`)",
                        resource.resource_type, resource.name, current.project
                    ),
                });
            }
        }
    }

    let Tally { mutations, counts } = out;
    if mutations.is_empty() {
        return Ok(ImportPlan { commit: None, counts });
    }
    let mut audit = ctx.audit("instance.imported", "instance", "import");
    audit.after = Some(json!({"created": counts.created, "updated": counts.updated, "unchanged": counts.unchanged}));
    let commit = ctx.commit(mutations, audit);
    let after = check_result(ctx, &commit)?;
    Ok(ImportPlan {
        commit: Some((commit, after)),
        counts,
    })
}

/// Applies the commit's model changes to a copy of the snapshot: the model
/// after the import must hold together and keep the limits. Answers it.
fn check_result<S: Store>(ctx: &Ctx<'_, S>, commit: &Commit) -> Result<Snapshot, DomainError> {
    let after = ctx
        .snapshot
        .apply_all(&commit.model_changes())
        .map_err(|e| DomainError::field(FieldError::invalid("document", &e.to_string())))?;
    if after.active_admins().next().is_none() {
        return Err(DomainError::LastAdmin);
    }
    let custom_globals = after
        .global_roles()
        .filter(|r| {
            after
                .role(*r)
                .is_some_and(|v| v.role_type() == gatehouse_authz::RoleType::CustomGlobal)
        })
        .count();
    if custom_globals > MAX_CUSTOM_GLOBAL_ROLES {
        return Err(DomainError::LimitExceeded {
            what: "custom global roles",
            limit: MAX_CUSTOM_GLOBAL_ROLES,
        });
    }
    let globals = after.global_environments().len();
    if globals > MAX_GLOBAL_ENVIRONMENTS {
        return Err(DomainError::LimitExceeded {
            what: "global environments",
            limit: MAX_GLOBAL_ENVIRONMENTS,
        });
    }
    for (_, project) in after.projects() {
        if after.project_roles(project).len() > MAX_PROJECT_ROLES {
            return Err(DomainError::LimitExceeded {
                what: "roles per project",
                limit: MAX_PROJECT_ROLES,
            });
        }
        if after.project_environments(project).len() - globals > MAX_PROJECT_ENVIRONMENTS {
            return Err(DomainError::LimitExceeded {
                what: "environments per project",
                limit: MAX_PROJECT_ENVIRONMENTS,
            });
        }
    }
    Ok(after)
}
