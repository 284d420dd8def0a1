//! The same model in Cedar (`cedar-policy` 4): one policy set and entity
//! store per project, encoded the fastest honest way found (PERFORMANCE.md).
//!
//! The encoding is derived from the [`Model`] and the [`Catalogue`] alone,
//! never from a Gatehouse snapshot, so that the two engines check each other.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::str::FromStr;

use anyhow::{Context as _, Result, bail};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, Policy, PolicyId, PolicySet,
    Request,
};
use gatehouse_authz::{ActionSet, Catalogue, Model, Principal, RoleGrants, RoleType};
use serde_json::json;

use gatehouse_workload::NamedCheck;

/// The encoding, in one sentence, for the benchmark's output.
pub const ENCODING: &str = "one policy set per project, with one policy per role held there, \
`permit(principal in Role::\"k\", action, resource) when { action in Action::\"role:k\" && resource in EnvSet::\"role:k\" }` \
(built from JSON, short role keys), over per-role action groups and environment sets (a synthetic `Env::\"*\"` \
for non-scoped actions is in every set), users being children of their direct roles and member groups and \
groups of their roles, plus `permit(principal in Admins::\"all\", action, resource) when { resource in Project::\"<key>\" }` \
for platform admins who are not disabled (the project's environments are in `Project::\"<key>\"`), and no \
entity at all for disabled users (a lock guards the password alone and is decided as enabled); schema-less";

/// The resource that stands for "no environment" (not a valid environment name).
const NO_ENV: &str = "*";

/// One project's policies and entities.
struct CedarProject {
    policies: PolicySet,
    entities: Entities,
}

/// A check resolved to prepared entity ids (indices into [`CedarModel`]'s tables).
#[derive(Clone, Copy, Debug)]
pub struct CedarCheck {
    project: u32,
    principal: u32,
    action: u32,
    resource: u32,
}

/// The whole model in Cedar, with the entity ids requests are built from.
pub struct CedarModel {
    projects: Vec<CedarProject>,
    /// `User::"<name>"` by model user index.
    users: Vec<EntityUid>,
    /// `Action::"<id>"` by catalogue action index.
    actions: Vec<EntityUid>,
    /// `Env::"<name>"` by model environment index, then `Env::"*"`.
    resources: Vec<EntityUid>,
    /// Whether each catalogue action is environment-scoped.
    scoped: Vec<bool>,
    /// The environments each project sees (indices into `resources`).
    visible: Vec<Vec<u32>>,
    user_index: HashMap<String, u32>,
    project_index: HashMap<String, u32>,
    env_index: HashMap<String, u32>,
    policy_count: usize,
    entity_count: usize,
}

/// Entity type names, parsed once.
struct Types {
    user: EntityTypeName,
    group: EntityTypeName,
    role: EntityTypeName,
    action: EntityTypeName,
    env: EntityTypeName,
    env_set: EntityTypeName,
    admins: EntityTypeName,
    project: EntityTypeName,
}

impl Types {
    fn new() -> Result<Self> {
        let t = |name: &str| EntityTypeName::from_str(name).with_context(|| format!("entity type `{name}`"));
        Ok(Self {
            user: t("User")?,
            group: t("Group")?,
            role: t("Role")?,
            action: t("Action")?,
            env: t("Env")?,
            env_set: t("EnvSet")?,
            admins: t("Admins")?,
            project: t("Project")?,
        })
    }
}

fn uid(ty: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
}

fn index_u32(i: usize) -> u32 {
    // Models hold far fewer than 2^32 users, projects or environments.
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// What one role grants, straight from the model.
struct RoleInfo<'a> {
    actions: ActionSet,
    envs: &'a [String],
    admin: bool,
}

impl CedarModel {
    /// Translates `model` (over `catalogue`) into per-project policy sets
    /// and entity stores.
    ///
    /// # Errors
    /// A model that refers to unknown names, or Cedar refusing a policy or entities.
    pub fn build(catalogue: &Catalogue, model: &Model) -> Result<Self> {
        let types = Types::new()?;
        let user_index: HashMap<String, u32> = model
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.name.clone(), index_u32(i)))
            .collect();
        let project_index: HashMap<String, u32> = model
            .projects
            .iter()
            .enumerate()
            .map(|(i, p)| (p.key.clone(), index_u32(i)))
            .collect();
        let env_index: HashMap<String, u32> = model
            .environments
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), index_u32(i)))
            .collect();
        let group_index: HashMap<&str, usize> = model
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.name.as_str(), i))
            .collect();
        let group_users: Vec<Vec<u32>> = model
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
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<_>>()?;

        // Roles: global ones by name, project ones by (project, name).
        let mut global_roles: HashMap<&str, RoleInfo<'_>> = HashMap::new();
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
                    global_roles.insert(&role.name, info);
                }
                Some(key) => {
                    let p = project_index
                        .get(key)
                        .with_context(|| format!("unknown project `{key}`"))?;
                    if let Some(roles) = project_roles.get_mut(*p as usize) {
                        roles.insert(&role.name, info);
                    }
                }
            }
        }

        // Members per project.
        let mut user_members: Vec<Vec<(u32, &[String])>> = vec![Vec::new(); model.projects.len()];
        let mut group_members: Vec<Vec<(usize, &[String])>> = vec![Vec::new(); model.projects.len()];
        for member in &model.members {
            let p = *project_index
                .get(&member.project)
                .with_context(|| format!("unknown project `{}`", member.project))? as usize;
            match &member.principal {
                Principal::User(name) => {
                    let u = *user_index.get(name).with_context(|| format!("unknown user `{name}`"))?;
                    if let Some(list) = user_members.get_mut(p) {
                        list.push((u, &member.roles));
                    }
                }
                Principal::Group(name) => {
                    let g = *group_index
                        .get(name.as_str())
                        .with_context(|| format!("unknown group `{name}`"))?;
                    if let Some(list) = group_members.get_mut(p) {
                        list.push((g, &member.roles));
                    }
                }
            }
        }

        // Prepared request ids.
        let users: Vec<EntityUid> = model.users.iter().map(|u| uid(&types.user, &u.name)).collect();
        let actions: Vec<EntityUid> = catalogue.actions().iter().map(|a| uid(&types.action, &a.id)).collect();
        let scoped: Vec<bool> = catalogue.actions().iter().map(|a| a.env_scoped).collect();
        let mut resources: Vec<EntityUid> = model.environments.iter().map(|e| uid(&types.env, &e.name)).collect();
        resources.push(uid(&types.env, NO_ENV));
        let global_envs: Vec<&str> = model
            .environments
            .iter()
            .filter(|e| e.project.is_none())
            .map(|e| e.name.as_str())
            .collect();
        let mut own_envs: Vec<Vec<&str>> = vec![Vec::new(); model.projects.len()];
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
                if let (Some(names), Some(ids)) = (own_envs.get_mut(p), visible.get_mut(p)) {
                    names.push(&env.name);
                    ids.push(index_u32(e));
                }
            }
        }
        let admins: Vec<u32> = model
            .users
            .iter()
            .enumerate()
            .filter(|(_, u)| u.admin && !u.status.is_blocked())
            .map(|(i, _)| index_u32(i))
            .collect();
        let blocked: Vec<bool> = model.users.iter().map(|u| u.status.is_blocked()).collect();

        let mut projects = Vec::with_capacity(model.projects.len());
        let (mut policy_count, mut entity_count) = (0, 0);
        let no_roles = HashMap::new();
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
            let lookup = |name: &str| -> Result<(ActionSet, &[String])> {
                let info = local
                    .get(name)
                    .or_else(|| global_roles.get(name))
                    .with_context(|| format!("unknown role `{name}` in project `{}`", spec.key))?;
                let actions = if info.admin {
                    info.actions.difference(removed)
                } else {
                    info.actions
                };
                Ok((actions, info.envs))
            };
            let input = ProjectInput {
                key: &spec.key,
                users: user_members.get(p).map_or(&[][..], Vec::as_slice),
                groups: group_members.get(p).map_or(&[][..], Vec::as_slice),
                envs: global_envs
                    .iter()
                    .copied()
                    .chain(own_envs.get(p).into_iter().flatten().copied())
                    .collect(),
            };
            let built = build_project(
                &types,
                catalogue,
                model,
                &input,
                &group_users,
                &admins,
                &blocked,
                &users,
                lookup,
            )
            .with_context(|| format!("project `{}`", spec.key))?;
            policy_count += built.policies.policies().count();
            entity_count += built.entities.iter().count();
            projects.push(built);
        }
        Ok(Self {
            projects,
            users,
            actions,
            resources,
            scoped,
            visible,
            user_index,
            project_index,
            env_index,
            policy_count,
            entity_count,
        })
    }

    /// Policies over all projects.
    #[must_use]
    pub fn policy_count(&self) -> usize {
        self.policy_count
    }

    /// Entities over all projects.
    #[must_use]
    pub fn entity_count(&self) -> usize {
        self.entity_count
    }

    /// Resolves a check to prepared ids. A non-scoped action's resource is
    /// the synthetic `Env::"*"` when the environment named (if any) is one
    /// the project sees; otherwise the resource is that environment, which
    /// the project's entities lack, so that Cedar denies, as SPEC §2.1
    /// denies an unknown environment.
    ///
    /// # Errors
    /// Names the model does not have.
    pub fn resolve(&self, catalogue: &Catalogue, check: &NamedCheck) -> Result<CedarCheck> {
        let principal = *self
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
        let scoped = self.scoped.get(action.index()).copied().unwrap_or(true);
        let synthetic = index_u32(self.resources.len() - 1);
        let resource = match &check.environment {
            None if scoped => bail!(
                "`{}` is environment-scoped and the check names no environment",
                check.action
            ),
            None => synthetic,
            Some(env) => {
                let e = *self
                    .env_index
                    .get(env)
                    .with_context(|| format!("unknown environment `{env}`"))?;
                let seen = self.visible.get(project as usize).is_some_and(|v| v.contains(&e));
                if seen && !scoped { synthetic } else { e }
            }
        };
        Ok(CedarCheck {
            project,
            principal,
            action: index_u32(action.index()),
            resource,
        })
    }

    /// Cedar's decision: builds the request from the prepared ids and asks
    /// the project's policy set. This is the timed unit.
    ///
    /// # Errors
    /// A check not made by [`CedarModel::resolve`], or a request Cedar refuses.
    #[inline]
    pub fn is_authorized(&self, authorizer: &Authorizer, check: &CedarCheck) -> Result<bool> {
        let project = self.projects.get(check.project as usize).context("bad project index")?;
        let principal = self.users.get(check.principal as usize).context("bad user index")?;
        let action = self.actions.get(check.action as usize).context("bad action index")?;
        let resource = self
            .resources
            .get(check.resource as usize)
            .context("bad resource index")?;
        let request = Request::new(
            principal.clone(),
            action.clone(),
            resource.clone(),
            Context::empty(),
            None,
        )?;
        let response = authorizer.is_authorized(&request, &project.policies, &project.entities);
        Ok(response.decision() == Decision::Allow)
    }
}

/// One project's key, members and visible environments.
struct ProjectInput<'a> {
    key: &'a str,
    users: &'a [(u32, &'a [String])],
    groups: &'a [(usize, &'a [String])],
    envs: Vec<&'a str>,
}

#[expect(
    clippy::too_many_arguments,
    reason = "the shared tables of one build, passed down once"
)]
fn build_project<'a>(
    types: &Types,
    catalogue: &Catalogue,
    model: &Model,
    input: &ProjectInput<'a>,
    group_users: &[Vec<u32>],
    admins: &[u32],
    blocked: &[bool],
    user_uids: &[EntityUid],
    lookup: impl Fn(&str) -> Result<(ActionSet, &'a [String])>,
) -> Result<CedarProject> {
    // The roles held here, each with what it grants in this project.
    let held: BTreeSet<&str> = input
        .users
        .iter()
        .flat_map(|(_, roles)| roles.iter())
        .chain(input.groups.iter().flat_map(|(_, roles)| roles.iter()))
        .map(String::as_str)
        .collect();
    let mut grants: BTreeMap<&str, (ActionSet, &[String])> = BTreeMap::new();
    for role in &held {
        grants.insert(role, lookup(role)?);
    }

    // Short per-project role keys: entity ids are opaque to Cedar, and short
    // ones hash faster.
    let keys: HashMap<&str, String> = grants.keys().enumerate().map(|(i, r)| (*r, i.to_string())).collect();
    let key = |role: &str| keys.get(role).map_or("", String::as_str);
    let role_uid = |role: &str| uid(&types.role, key(role));
    let action_group = |role: &str| uid(&types.action, &format!("role:{}", key(role)));
    let env_set = |role: &str| uid(&types.env_set, &format!("role:{}", key(role)));

    let mut entities: Vec<Entity> = Vec::new();
    let mut policies = PolicySet::new();
    for (role, (actions, _)) in &grants {
        if actions.is_empty() {
            continue;
        }
        let k = key(role);
        policies
            .add(role_policy(k).with_context(|| format!("policy of role `{role}`"))?)
            .context("adding a role policy")?;
        entities.push(Entity::new_no_attrs(role_uid(role), HashSet::new()));
        entities.push(Entity::new_no_attrs(action_group(role), HashSet::new()));
        entities.push(Entity::new_no_attrs(env_set(role), HashSet::new()));
    }
    policies
        .add(admin_policy(input.key)?)
        .context("adding the admin policy")?;
    let all_admins = uid(&types.admins, "all");
    entities.push(Entity::new_no_attrs(all_admins.clone(), HashSet::new()));
    let project = uid(&types.project, input.key);
    entities.push(Entity::new_no_attrs(project.clone(), HashSet::new()));

    // Actions in the action group of each role granting them.
    for (a, action) in catalogue.actions().iter().enumerate() {
        let parents: HashSet<EntityUid> = grants
            .iter()
            .filter(|(_, (actions, _))| actions.iter().any(|id| id.index() == a))
            .map(|(role, _)| action_group(role))
            .collect();
        entities.push(Entity::new_no_attrs(uid(&types.action, &action.id), parents));
    }
    // Environments in the environment set of each role naming them; the
    // synthetic non-scoped resource in every set.
    for env in &input.envs {
        let mut parents: HashSet<EntityUid> = grants
            .iter()
            .filter(|(_, (_, envs))| envs.iter().any(|e| e == env))
            .map(|(role, _)| env_set(role))
            .collect();
        parents.insert(project.clone());
        entities.push(Entity::new_no_attrs(uid(&types.env, env), parents));
    }
    let mut every_set: HashSet<EntityUid> = grants.keys().map(|role| env_set(role)).collect();
    every_set.insert(project);
    entities.push(Entity::new_no_attrs(uid(&types.env, NO_ENV), every_set));

    // Groups under their roles; users under their direct roles, their member
    // groups and (admins) `Admins::"all"`. Disabled users get no entity (locked
    // ones are decided as enabled: SPEC §2.1).
    let role_uids = |roles: &[String]| -> HashSet<EntityUid> { roles.iter().map(|r| role_uid(r)).collect() };
    let mut user_parents: BTreeMap<u32, HashSet<EntityUid>> = BTreeMap::new();
    for (user, roles) in input.users {
        user_parents.entry(*user).or_default().extend(role_uids(roles));
    }
    for (group, roles) in input.groups {
        let name = model
            .groups
            .get(*group)
            .map(|g| g.name.as_str())
            .context("bad group index")?;
        let group_uid = uid(&types.group, name);
        entities.push(Entity::new_no_attrs(group_uid.clone(), role_uids(roles)));
        for user in group_users.get(*group).into_iter().flatten() {
            user_parents.entry(*user).or_default().insert(group_uid.clone());
        }
    }
    for admin in admins {
        user_parents.entry(*admin).or_default().insert(all_admins.clone());
    }
    for (user, parents) in user_parents {
        if blocked.get(user as usize).copied().unwrap_or(true) {
            continue;
        }
        let user_uid = user_uids.get(user as usize).context("bad user index")?;
        entities.push(Entity::new_no_attrs(user_uid.clone(), parents));
    }
    let entities = Entities::from_entities(entities, None).context("building entities")?;
    Ok(CedarProject { policies, entities })
}

/// The policy of role key `k`, built from Cedar's JSON form (no source text
/// is kept, which makes each evaluation a little cheaper than a parsed one):
/// `permit(principal in Role::"k", action, resource)
///  when { action in Action::"role:k" && resource in EnvSet::"role:k" };`
fn role_policy(k: &str) -> Result<Policy> {
    let group = format!("role:{k}");
    let json = json!({
        "effect": "permit",
        "principal": { "op": "in", "entity": { "type": "Role", "id": k } },
        "action": { "op": "All" },
        "resource": { "op": "All" },
        "conditions": [{ "kind": "when", "body": { "&&": {
            "left": { "in": {
                "left": { "Var": "action" },
                "right": { "Value": { "__entity": { "type": "Action", "id": group } } },
            } },
            "right": { "in": {
                "left": { "Var": "resource" },
                "right": { "Value": { "__entity": { "type": "EnvSet", "id": group } } },
            } },
        } } }],
    });
    Ok(Policy::from_json(Some(PolicyId::new(format!("r{k}"))), json)?)
}

/// `permit(principal in Admins::"all", action, resource) when { resource in Project::"<key>" };`
/// (the project's environments and `Env::"*"` are in `Project::"<key>"`).
fn admin_policy(key: &str) -> Result<Policy> {
    let json = json!({
        "effect": "permit",
        "principal": { "op": "in", "entity": { "type": "Admins", "id": "all" } },
        "action": { "op": "All" },
        "resource": { "op": "All" },
        "conditions": [{ "kind": "when", "body": { "in": {
            "left": { "Var": "resource" },
            "right": { "Value": { "__entity": { "type": "Project", "id": key } } },
        } } }],
    });
    Ok(Policy::from_json(Some(PolicyId::new("admin")), json)?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use gatehouse_authz::Snapshot;

    use super::*;
    use gatehouse_workload::{Params, generate};

    /// Cedar and Gatehouse agree on every check of a small workload.
    #[test]
    fn agrees_with_gatehouse() -> Result<()> {
        let catalogue = Arc::new(Catalogue::platform()?);
        let params = Params {
            users: 400,
            groups: 40,
            projects: 15,
            admins: 4,
            user_members: 30,
            group_members: 6,
            checks: 5_000,
            disabled_share: 0.05,
            locked_share: 0.05,
            predefined_role_share: 0.3,
            project_action_share: 0.2,
            ..Params::scale(1, 0)
        };
        let w = generate(Arc::clone(&catalogue), &params, 42)?;
        // Also every check with no environment (valid for non-scoped
        // actions) and with an environment of another project (unknown
        // there, so denied, even to admins).
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
        let snapshot = Snapshot::compile(Arc::clone(&catalogue), &w.model)?;
        let cedar = CedarModel::build(&catalogue, &w.model)?;
        let authorizer = Authorizer::new();
        let mut allows = 0;
        for check in &checks {
            let gatehouse =
                match snapshot.query(&check.user, &check.action, &check.project, check.environment.as_deref())? {
                    Ok(q) => snapshot.check(&q)?,
                    Err(_) => false,
                };
            let c = cedar.resolve(&catalogue, check)?;
            assert_eq!(cedar.is_authorized(&authorizer, &c)?, gatehouse, "{check:?}");
            allows += usize::from(gatehouse);
        }
        assert!(allows > 0 && allows < checks.len());
        Ok(())
    }
}
