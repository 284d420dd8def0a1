//! The model as the peers (Cedar, casbin) read it: names indexed, each
//! project's members, visible environments and what each role held there
//! grants, and checks resolved to indices.
//!
//! Derived from the [`Model`] and the [`Catalogue`] alone, never from a
//! Gatehouse snapshot, so that each peer checks Gatehouse; every peer encodes
//! the same derivation.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context as _, Result, bail};
use gatehouse_authz::{ActionSet, Catalogue, Model, Principal, RoleGrants, RoleType};
use gatehouse_workload::NamedCheck;

/// Converts an index to `u32`: models hold far fewer than 2^32 users,
/// projects or environments.
pub fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// What a role held in a project grants there: its actions (an ADMIN role
/// without the privileges the project withholds) and its environment names.
pub type Grant<'a> = (ActionSet, &'a [String]);

/// One project as the peers encode it.
pub struct PeerProject<'a> {
    pub key: &'a str,
    /// Direct user members (model user index) and their role names.
    pub users: Vec<(u32, &'a [String])>,
    /// Group members (model group index) and their role names.
    pub groups: Vec<(usize, &'a [String])>,
    /// The environments the project sees: the global ones, then its own.
    pub envs: Vec<&'a str>,
    /// The roles held here (by a user or a group), by name.
    pub grants: BTreeMap<&'a str, Grant<'a>>,
}

/// The names checks are resolved with, kept by each peer after its build.
pub struct Names {
    user_index: HashMap<String, u32>,
    project_index: HashMap<String, u32>,
    env_index: HashMap<String, u32>,
    /// Whether each catalogue action is environment-scoped.
    scoped: Vec<bool>,
    /// The environments each project sees (model environment indices).
    visible: Vec<Vec<u32>>,
}

/// A check resolved to model indices.
#[derive(Clone, Copy, Debug)]
pub struct PeerCheck {
    pub project: u32,
    pub user: u32,
    /// Catalogue action index.
    pub action: u32,
    /// The environment (model index), or `None` for "no environment": a
    /// non-scoped action, with no environment named or one the project sees.
    pub env: Option<u32>,
}

/// The whole derivation, borrowed from the model.
pub struct PeerModel<'a> {
    pub names: Names,
    /// Users of each group (model user indices).
    pub group_users: Vec<Vec<u32>>,
    /// Platform admins who are not disabled (model user indices).
    pub admins: Vec<u32>,
    /// Whether each user is disabled (denied everything; a lock guards the
    /// password alone and is decided as enabled: SPEC §2.1).
    pub blocked: Vec<bool>,
    pub projects: Vec<PeerProject<'a>>,
}

/// What one role grants before a project's admin privileges apply.
struct RoleInfo<'a> {
    actions: ActionSet,
    envs: &'a [String],
    admin: bool,
}

/// Indexes `items` by the name `name` gives each.
fn index_by<T>(items: &[T], name: impl Fn(&T) -> &str) -> HashMap<String, u32> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (name(item).to_owned(), index_u32(i)))
        .collect()
}

impl<'a> PeerModel<'a> {
    /// Derives the peers' view of `model` (over `catalogue`).
    ///
    /// # Errors
    /// A model that refers to unknown names.
    pub fn new(catalogue: &Catalogue, model: &'a Model) -> Result<Self> {
        let user_index = index_by(&model.users, |u| &u.name);
        let project_index = index_by(&model.projects, |p| &p.key);
        let env_index = index_by(&model.environments, |e| &e.name);
        let group_users = group_users(model, &user_index)?;
        let (global_roles, project_roles) = roles(catalogue, model, &project_index)?;
        let (user_members, group_members) = members(model, &user_index, &project_index)?;

        let global_ids: Vec<u32> = (0..model.environments.len())
            .filter(|e| model.environments.get(*e).is_some_and(|env| env.project.is_none()))
            .map(index_u32)
            .collect();
        let mut visible: Vec<Vec<u32>> = vec![global_ids; model.projects.len()];
        for (e, env) in model.environments.iter().enumerate() {
            if let Some(key) = &env.project {
                let p = *project_index
                    .get(key)
                    .with_context(|| format!("unknown project `{key}`"))? as usize;
                if let Some(ids) = visible.get_mut(p) {
                    ids.push(index_u32(e));
                }
            }
        }

        let mut projects = Vec::with_capacity(model.projects.len());
        let no_roles = HashMap::new();
        let (mut user_members, mut group_members) = (user_members.into_iter(), group_members.into_iter());
        for (p, spec) in model.projects.iter().enumerate() {
            let removed: ActionSet = [
                ("manage_members", spec.admin_privileges.manage_members),
                ("manage_resources", spec.admin_privileges.manage_resources),
                ("index_resources", spec.admin_privileges.index_resources),
            ]
            .into_iter()
            .filter(|(_, kept)| !kept)
            .filter_map(|(short, _)| catalogue.project_action(short))
            .collect();
            let local = project_roles.get(p).unwrap_or(&no_roles);
            let users = user_members.next().unwrap_or_default();
            let groups = group_members.next().unwrap_or_default();
            let mut grants = BTreeMap::new();
            for role in users
                .iter()
                .flat_map(|(_, roles)| roles.iter())
                .chain(groups.iter().flat_map(|(_, roles)| roles.iter()))
            {
                let info = local
                    .get(role.as_str())
                    .or_else(|| global_roles.get(role.as_str()))
                    .with_context(|| format!("unknown role `{role}` in project `{}`", spec.key))?;
                let actions = if info.admin {
                    info.actions.difference(removed)
                } else {
                    info.actions
                };
                grants.insert(role.as_str(), (actions, info.envs));
            }
            let envs = visible
                .get(p)
                .into_iter()
                .flatten()
                .filter_map(|e| model.environments.get(*e as usize))
                .map(|e| e.name.as_str())
                .collect();
            projects.push(PeerProject {
                key: &spec.key,
                users,
                groups,
                envs,
                grants,
            });
        }

        Ok(Self {
            names: Names {
                user_index,
                project_index,
                env_index,
                scoped: catalogue.actions().iter().map(|a| a.env_scoped).collect(),
                visible,
            },
            group_users,
            admins: model
                .users
                .iter()
                .enumerate()
                .filter(|(_, u)| u.admin && !u.status.is_blocked())
                .map(|(i, _)| index_u32(i))
                .collect(),
            blocked: model.users.iter().map(|u| u.status.is_blocked()).collect(),
            projects,
        })
    }
}

/// The users of each group, as model user indices.
fn group_users(model: &Model, user_index: &HashMap<String, u32>) -> Result<Vec<Vec<u32>>> {
    model
        .groups
        .iter()
        .map(|g| {
            g.members
                .iter()
                .map(|u| {
                    user_index
                        .get(u)
                        .copied()
                        .with_context(|| format!("unknown user `{u}` in group `{}`", g.name))
                })
                .collect()
        })
        .collect()
}

/// Global roles by name, and each project's roles by name.
type Roles<'a> = (HashMap<&'a str, RoleInfo<'a>>, Vec<HashMap<&'a str, RoleInfo<'a>>>);

/// Every role's actions and environments, global ones apart from each
/// project's.
fn roles<'a>(catalogue: &Catalogue, model: &'a Model, project_index: &HashMap<String, u32>) -> Result<Roles<'a>> {
    let mut global_roles = HashMap::new();
    let mut project_roles: Vec<HashMap<&str, RoleInfo<'_>>> =
        (0..model.projects.len()).map(|_| HashMap::new()).collect();
    for role in &model.roles {
        let actions = match &role.grants {
            RoleGrants::Categories(ids) => catalogue
                .expand_categories(ids.iter().map(String::as_str))
                .map_err(|id| anyhow::anyhow!("unknown category `{id}`"))?,
            RoleGrants::Actions(names) => names
                .iter()
                .map(|n| {
                    catalogue
                        .resolve_action(n)
                        .with_context(|| format!("unknown action `{n}`"))
                })
                .collect::<Result<ActionSet>>()?,
        };
        let info = RoleInfo {
            actions,
            envs: &role.environments,
            admin: role.role_type == RoleType::Admin,
        };
        match &role.project {
            None => {
                global_roles.insert(role.name.as_str(), info);
            }
            Some(key) => {
                let p = project_index
                    .get(key)
                    .with_context(|| format!("unknown project `{key}`"))?;
                if let Some(roles) = project_roles.get_mut(*p as usize) {
                    roles.insert(role.name.as_str(), info);
                }
            }
        }
    }
    Ok((global_roles, project_roles))
}

/// Each project's user members and group members, with their role names.
type Members<'a> = (Vec<Vec<(u32, &'a [String])>>, Vec<Vec<(usize, &'a [String])>>);

/// The memberships of each project.
fn members<'a>(
    model: &'a Model,
    user_index: &HashMap<String, u32>,
    project_index: &HashMap<String, u32>,
) -> Result<Members<'a>> {
    let group_index: HashMap<&str, usize> = model
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.name.as_str(), i))
        .collect();
    let mut users: Vec<Vec<(u32, &[String])>> = vec![Vec::new(); model.projects.len()];
    let mut groups: Vec<Vec<(usize, &[String])>> = vec![Vec::new(); model.projects.len()];
    for member in &model.members {
        let p = *project_index
            .get(&member.project)
            .with_context(|| format!("unknown project `{}`", member.project))? as usize;
        match &member.principal {
            Principal::User(name) => {
                let u = *user_index.get(name).with_context(|| format!("unknown user `{name}`"))?;
                if let Some(list) = users.get_mut(p) {
                    list.push((u, &member.roles));
                }
            }
            Principal::Group(name) => {
                let g = *group_index
                    .get(name.as_str())
                    .with_context(|| format!("unknown group `{name}`"))?;
                if let Some(list) = groups.get_mut(p) {
                    list.push((g, &member.roles));
                }
            }
        }
    }
    Ok((users, groups))
}

impl Names {
    /// Whether catalogue action `action` is environment-scoped.
    #[must_use]
    pub fn scoped(&self, action: usize) -> bool {
        self.scoped.get(action).copied().unwrap_or(true)
    }

    /// Resolves a check to model indices. A non-scoped action has no
    /// environment when the environment named (if any) is one the project
    /// sees; otherwise the environment is kept, which no peer grants in
    /// that project, so that the peer denies, as SPEC §2.1 denies an unknown
    /// environment.
    ///
    /// # Errors
    /// Names the model does not have, or a scoped action without an environment.
    pub fn resolve(&self, catalogue: &Catalogue, check: &NamedCheck) -> Result<PeerCheck> {
        let user = *self
            .user_index
            .get(&check.user)
            .with_context(|| format!("unknown user `{}`", check.user))?;
        let project = *self
            .project_index
            .get(&check.project)
            .with_context(|| format!("unknown project `{}`", check.project))?;
        let action = catalogue
            .resolve_action(&check.action)
            .with_context(|| format!("unknown action `{}`", check.action))?;
        let scoped = self.scoped(action.index());
        let env = match &check.environment {
            None if scoped => bail!(
                "`{}` is environment-scoped and the check names no environment",
                check.action
            ),
            None => None,
            Some(env) => {
                let e = *self
                    .env_index
                    .get(env)
                    .with_context(|| format!("unknown environment `{env}`"))?;
                let seen = self.visible.get(project as usize).is_some_and(|v| v.contains(&e));
                if seen && !scoped { None } else { Some(e) }
            }
        };
        Ok(PeerCheck {
            project,
            user,
            action: index_u32(action.index()),
            env,
        })
    }
}

/// The workload's checks, and each again with no environment (valid for a
/// non-scoped action) and with an environment of another project (unknown
/// there, so denied, even to admins): what the peers' agreement tests ask.
#[cfg(test)]
pub fn widened_checks(catalogue: &Catalogue, w: &gatehouse_workload::Workload) -> Vec<NamedCheck> {
    let foreign = w
        .model
        .environments
        .iter()
        .find(|e| e.project.is_some())
        .map(|e| e.name.clone());
    let mut checks = w.checks.clone();
    for check in &w.checks {
        let scoped = catalogue
            .resolve_action(&check.action)
            .is_some_and(|a| catalogue.action(a).env_scoped);
        if !scoped {
            checks.push(NamedCheck {
                environment: None,
                ..check.clone()
            });
        }
        checks.push(NamedCheck {
            environment: foreign.clone(),
            ..check.clone()
        });
    }
    checks
}
