//! The same model in Cedar (`cedar-policy` 4): one policy set and entity
//! store per project, encoded the fastest honest way found (PERFORMANCE.md).
//!
//! The encoding is derived from the [`Model`] and the [`Catalogue`] alone,
//! never from a Gatehouse snapshot, so that the two engines check each other.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use anyhow::{Context as _, Result};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, Policy, PolicyId, PolicySet,
    Request,
};
use gatehouse_authz::{Catalogue, Model};
use serde_json::json;

use crate::peer_model::{Names, PeerModel, PeerProject, index_u32};
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
    /// The names checks are resolved with.
    names: Names,
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

impl CedarModel {
    /// Translates `model` (over `catalogue`) into per-project policy sets
    /// and entity stores.
    ///
    /// # Errors
    /// A model that refers to unknown names, or Cedar refusing a policy or entities.
    pub fn build(catalogue: &Catalogue, model: &Model) -> Result<Self> {
        let types = Types::new()?;
        let peer = PeerModel::new(catalogue, model)?;

        // Prepared request ids.
        let users: Vec<EntityUid> = model.users.iter().map(|u| uid(&types.user, &u.name)).collect();
        let actions: Vec<EntityUid> = catalogue.actions().iter().map(|a| uid(&types.action, &a.id)).collect();
        let mut resources: Vec<EntityUid> = model.environments.iter().map(|e| uid(&types.env, &e.name)).collect();
        resources.push(uid(&types.env, NO_ENV));

        let mut projects = Vec::with_capacity(peer.projects.len());
        let (mut policy_count, mut entity_count) = (0, 0);
        for project in &peer.projects {
            let built = build_project(&types, catalogue, model, &peer, project, &users)
                .with_context(|| format!("project `{}`", project.key))?;
            policy_count += built.policies.policies().count();
            entity_count += built.entities.iter().count();
            projects.push(built);
        }
        Ok(Self {
            projects,
            users,
            actions,
            resources,
            names: peer.names,
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

    /// Resolves a check to prepared ids ([`Names::resolve`]): a check with
    /// no environment (a non-scoped action) has the synthetic `Env::"*"` as
    /// its resource; an environment the project does not see is one its
    /// entities lack, so that Cedar denies, as SPEC §2.1 denies an unknown
    /// environment.
    ///
    /// # Errors
    /// Names the model does not have.
    pub fn resolve(&self, catalogue: &Catalogue, check: &NamedCheck) -> Result<CedarCheck> {
        let c = self.names.resolve(catalogue, check)?;
        let synthetic = index_u32(self.resources.len() - 1);
        Ok(CedarCheck {
            project: c.project,
            principal: c.user,
            action: c.action,
            resource: c.env.unwrap_or(synthetic),
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

/// One project's policy set and entities: a policy per role held there
/// and the admin policy, over the entities of [`CedarModel::build`].
fn build_project(
    types: &Types,
    catalogue: &Catalogue,
    model: &Model,
    peer: &PeerModel<'_>,
    input: &PeerProject<'_>,
    user_uids: &[EntityUid],
) -> Result<CedarProject> {
    let grants = &input.grants;

    // Short per-project role keys: entity ids are opaque to Cedar, and short
    // ones hash faster.
    let keys: HashMap<&str, String> = grants.keys().enumerate().map(|(i, r)| (*r, i.to_string())).collect();
    let key = |role: &str| keys.get(role).map_or("", String::as_str);
    let role_uid = |role: &str| uid(&types.role, key(role));
    let action_group = |role: &str| uid(&types.action, &format!("role:{}", key(role)));
    let env_set = |role: &str| uid(&types.env_set, &format!("role:{}", key(role)));

    let mut entities: Vec<Entity> = Vec::new();
    let mut policies = PolicySet::new();
    for (role, (actions, _)) in grants {
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
    for (user, roles) in &input.users {
        user_parents.entry(*user).or_default().extend(role_uids(roles));
    }
    for (group, roles) in &input.groups {
        let name = model
            .groups
            .get(*group)
            .map(|g| g.name.as_str())
            .context("bad group index")?;
        let group_uid = uid(&types.group, name);
        entities.push(Entity::new_no_attrs(group_uid.clone(), role_uids(roles)));
        for user in peer.group_users.get(*group).into_iter().flatten() {
            user_parents.entry(*user).or_default().insert(group_uid.clone());
        }
    }
    for admin in &peer.admins {
        user_parents.entry(*admin).or_default().insert(all_admins.clone());
    }
    for (user, parents) in user_parents {
        if peer.blocked.get(user as usize).copied().unwrap_or(true) {
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
        let checks = crate::peer_model::widened_checks(&catalogue, &w);
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
