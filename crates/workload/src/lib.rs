//! The SPEC §10 reference workload: a deterministic generator of a whole
//! permission model (users, groups, projects, roles, members) and of the
//! checks asked of it, from a scale and a seed.
//!
//! Everything comes out by name ([`Model`], [`NamedCheck`]) so that any
//! engine, Gatehouse or a peer, resolves the same workload its own way.

use std::sync::Arc;

use gatehouse_authz::{
    AccountPermissions, AdminPrivileges, Catalogue, EnvironmentSpec, GroupSpec, MemberSpec, Model, Principal,
    ProjectSpec, RoleGrants, RoleSpec, RoleType, UserKind, UserSpec, UserStatus,
};
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand::seq::{IndexedRandom, index};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Why a workload cannot be generated.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// The built-in catalogue does not load.
    #[error("loading the platform catalogue: {0}")]
    Catalogue(#[from] gatehouse_authz::CatalogueError),
    /// Parameters the catalogue or the generator cannot serve.
    #[error("{0}")]
    Params(&'static str),
}

/// A workload, or why there is none.
pub type Result<T, E = WorkloadError> = std::result::Result<T, E>;

/// Refuses with `message` unless `condition` holds.
fn ensure(condition: bool, message: &'static str) -> Result<()> {
    if condition {
        Ok(())
    } else {
        Err(WorkloadError::Params(message))
    }
}

/// The seed of the reference workload.
pub const DEFAULT_SEED: u64 = 0x6761_7465_686f_7573;

/// Project environments a project may add, in order (`<key>-QA`, `<key>-STAGING`).
const PROJECT_ENV_NAMES: [&str; 2] = ["QA", "STAGING"];
/// The global environments every project sees.
const GLOBAL_ENVS: [&str; 2] = ["DEV", "PROD"];

/// The knobs of the generator; [`Params::scale`] gives the SPEC §10 values.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Users (10,000 per scale unit).
    pub users: usize,
    /// Groups (1,000 per scale unit).
    pub groups: usize,
    /// Projects (500 per scale unit).
    pub projects: usize,
    /// Each user is in 0 to this many groups.
    pub max_groups_per_user: usize,
    /// Platform admins (5 per scale unit), statuses drawn as for anyone.
    pub admins: usize,
    /// Share of users that are disabled.
    pub disabled_share: f64,
    /// Share of users that are locked.
    pub locked_share: f64,
    /// Share of the remaining users that are invited rather than active.
    pub invited_share: f64,
    /// Custom global roles.
    pub custom_global_roles: usize,
    /// Project roles per project.
    pub roles_per_project: usize,
    /// Fewest and most actions of a custom role.
    pub role_actions: (usize, usize),
    /// Direct user members per project: about this many (±10%).
    pub user_members: usize,
    /// Group members per project: about this many (±10%).
    pub group_members: usize,
    /// How many roles a member holds: `member_roles[k]` is the weight of
    /// `k + 1` roles (SPEC §10: 1–3).
    pub member_roles: Vec<f64>,
    /// Chance that a member holds a predefined role among its roles.
    pub predefined_role_share: f64,
    /// Checks to generate.
    pub checks: usize,
    /// Share of checks asked by a member of the project (direct or through a group).
    pub member_check_share: f64,
    /// Share of member checks by a direct member (the rest go through a group).
    pub direct_member_share: f64,
    /// Share of checks of a project-management action (the rest are resource actions).
    pub project_action_share: f64,
}

impl Params {
    /// The SPEC §10 reference workload at scale `n` with `checks` checks.
    #[must_use]
    pub fn scale(n: usize, checks: usize) -> Self {
        Self {
            users: 10_000 * n,
            groups: 1_000 * n,
            projects: 500 * n,
            max_groups_per_user: 5,
            admins: 5 * n,
            disabled_share: 0.02,
            locked_share: 0.01,
            invited_share: 0.25,
            custom_global_roles: 5,
            roles_per_project: 10,
            role_actions: (3, 12),
            user_members: 100,
            group_members: 20,
            // Slightly more members with 3 roles than with 1: the allow rate
            // then stays within 0.28–0.38 at every scale (it falls a little
            // as groups overlap less in larger workloads).
            member_roles: vec![0.25, 0.35, 0.40],
            predefined_role_share: 0.03,
            checks,
            member_check_share: 0.95,
            direct_member_share: 0.5,
            project_action_share: 0.01,
        }
    }
}

/// One check by name: may `user` do `action` in `project` (in `environment`)?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedCheck {
    /// Username.
    pub user: String,
    /// Dotted action id.
    pub action: String,
    /// Project key.
    pub project: String,
    /// Full environment name: one the project sees, also for actions that
    /// are not environment-scoped (which ignore it, SPEC §2.1).
    pub environment: Option<String>,
}

/// A generated workload: the model and the checks, by name.
#[derive(Clone, Debug)]
pub struct Workload {
    /// What it was generated from.
    pub params: Params,
    /// The seed.
    pub seed: u64,
    /// The catalogue the model uses.
    pub catalogue: Arc<Catalogue>,
    /// The permission model.
    pub model: Model,
    /// The checks, in the order they are asked.
    pub checks: Vec<NamedCheck>,
}

/// The SPEC §10 reference workload at `scale` with the `platform` catalogue.
///
/// # Errors
/// Only if the built-in catalogue fails to load.
pub fn reference(scale: usize, seed: u64, checks: usize) -> Result<Workload> {
    let catalogue = Arc::new(Catalogue::platform()?);
    generate(catalogue, &Params::scale(scale, checks), seed)
}

/// Generates a workload from `params` and `seed`; the same inputs always
/// give the same workload.
///
/// # Errors
/// Parameters the catalogue cannot serve (no resource actions, empty ranges).
pub fn generate(catalogue: Arc<Catalogue>, params: &Params, seed: u64) -> Result<Workload> {
    ensure(
        params.users > 0 && params.projects > 0,
        "a workload needs users and projects",
    )?;
    ensure(
        params.role_actions.0 >= 1 && params.role_actions.0 <= params.role_actions.1,
        "bad role action range",
    )?;
    let role_counts =
        WeightedIndex::new(&params.member_roles).map_err(|_| WorkloadError::Params("bad member role weights"))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut model = Model::new(&catalogue);
    let pools = ActionPools::of(&catalogue);
    ensure(
        pools.resource.len() >= params.role_actions.1,
        "the catalogue has fewer resource actions than a role needs",
    )?;

    // Users: statuses, then a handful of platform admins.
    model.users = (1..=params.users)
        .map(|i| UserSpec {
            name: format!("user-{i:06}"),
            status: draw_status(&mut rng, params),
            admin: false,
            kind: UserKind::Person,
            account_permissions: AccountPermissions::NONE,
        })
        .collect();
    for i in index::sample(&mut rng, params.users, params.admins.min(params.users)) {
        if let Some(user) = model.users.get_mut(i) {
            user.admin = true;
        }
    }

    // Groups: each user joins 0..=max of them.
    let mut group_users: Vec<Vec<u32>> = vec![Vec::new(); params.groups];
    if params.groups > 0 {
        for user in 0..params.users {
            let k = rng.random_range(0..=params.max_groups_per_user).min(params.groups);
            for g in index::sample(&mut rng, params.groups, k) {
                if let Some(members) = group_users.get_mut(g) {
                    members.push(index_u32(user));
                }
            }
        }
    }
    model.groups = group_users
        .iter()
        .enumerate()
        .map(|(g, members)| GroupSpec {
            name: group_name(g),
            members: members.iter().map(|u| user_name(&model.users, *u)).collect(),
        })
        .collect();

    // Custom global roles.
    let global_role_names: Vec<String> = (1..=params.custom_global_roles)
        .map(|i| format!("Custom Global {i}"))
        .collect();
    for name in &global_role_names {
        let spec = custom_role(
            &mut rng,
            params,
            &pools.resource,
            name,
            None,
            &global_environments(),
            RoleType::CustomGlobal,
        );
        model.roles.push(spec);
    }
    let predefined: Vec<String> = catalogue.predefined_roles().iter().map(|r| r.name.clone()).collect();

    // Projects, their environments, roles and members.
    let mut projects = Vec::with_capacity(params.projects);
    for p in 0..params.projects {
        let key = format!("p-{:05}", p + 1);
        model.projects.push(ProjectSpec {
            key: key.clone(),
            admin_privileges: AdminPrivileges::default(),
        });
        let own_envs = rng.random_range(0..=PROJECT_ENV_NAMES.len());
        let mut visible = global_environments();
        for suffix in PROJECT_ENV_NAMES.iter().take(own_envs) {
            let name = format!("{key}-{suffix}");
            model.environments.push(EnvironmentSpec {
                name: name.clone(),
                project: Some(key.clone()),
            });
            visible.push(name);
        }
        let role_names: Vec<String> = (1..=params.roles_per_project)
            .map(|i| format!("Project Role {i}"))
            .collect();
        for name in &role_names {
            let spec = custom_role(
                &mut rng,
                params,
                &pools.resource,
                name,
                Some(&key),
                &visible,
                RoleType::Custom,
            );
            model.roles.push(spec);
        }
        let pool: Vec<&String> = global_role_names.iter().chain(&role_names).collect();

        let users = about(&mut rng, params.user_members).min(params.users);
        let direct: Vec<u32> = index::sample(&mut rng, params.users, users)
            .into_iter()
            .map(index_u32)
            .collect();
        let groups = about(&mut rng, params.group_members).min(params.groups);
        let via: Vec<u32> = index::sample(&mut rng, params.groups, groups)
            .into_iter()
            .map(index_u32)
            .collect();
        for user in &direct {
            let roles = member_roles(&mut rng, params, &role_counts, &pool, &predefined);
            model.members.push(MemberSpec {
                project: key.clone(),
                principal: Principal::User(user_name(&model.users, *user)),
                roles,
            });
        }
        for group in &via {
            let roles = member_roles(&mut rng, params, &role_counts, &pool, &predefined);
            model.members.push(MemberSpec {
                project: key.clone(),
                principal: Principal::Group(group_name(*group as usize)),
                roles,
            });
        }
        projects.push(GenProject {
            key,
            visible,
            direct,
            via,
        });
    }

    let checks = (0..params.checks)
        .map(|_| draw_check(&mut rng, params, &pools, &model, &projects, &group_users))
        .collect::<Result<Vec<_>>>()?;
    Ok(Workload {
        params: params.clone(),
        seed,
        catalogue,
        model,
        checks,
    })
}

/// Every action of `catalogue` but the §3.2 project-management ones: what
/// custom roles draw their actions from.
#[must_use]
pub fn resource_actions(catalogue: &Catalogue) -> Vec<String> {
    ActionPools::of(catalogue).resource
}

/// The global environments every project sees.
#[must_use]
pub fn global_environments() -> Vec<String> {
    GLOBAL_ENVS.iter().map(|e| (*e).to_owned()).collect()
}

/// The actions roles and checks draw from.
struct ActionPools {
    /// Every action but the §3.2 project-management ones.
    resource: Vec<String>,
    /// The §3.2 project-management actions.
    project: Vec<String>,
}

impl ActionPools {
    fn of(catalogue: &Catalogue) -> Self {
        let (project, resource): (Vec<String>, Vec<String>) = catalogue
            .actions()
            .iter()
            .map(|a| a.id.clone())
            .partition(|id| id.starts_with("project."));
        Self { resource, project }
    }
}

/// What check generation needs to know about one project.
struct GenProject {
    key: String,
    /// Global environments, then the project's own.
    visible: Vec<String>,
    /// Direct user members (user indices).
    direct: Vec<u32>,
    /// Group members (group indices).
    via: Vec<u32>,
}

fn index_u32(i: usize) -> u32 {
    // Workloads hold far fewer than 2^32 users or groups.
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn group_name(g: usize) -> String {
    format!("group-{:05}", g + 1)
}

fn user_name(users: &[UserSpec], user: u32) -> String {
    users.get(user as usize).map(|u| u.name.clone()).unwrap_or_default()
}

fn draw_status(rng: &mut ChaCha8Rng, params: &Params) -> UserStatus {
    let r: f64 = rng.random();
    if r < params.disabled_share {
        UserStatus::Disabled
    } else if r < params.disabled_share + params.locked_share {
        UserStatus::Locked
    } else if rng.random_bool(params.invited_share) {
        UserStatus::Invited
    } else {
        UserStatus::Active
    }
}

/// About `n`: uniform in n ± 10%.
fn about(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let spread = n / 10;
    rng.random_range(n - spread..=n + spread)
}

/// A custom role in Advanced mode: `params.role_actions` of the `resource`
/// actions, 1–2 of `envs`.
pub fn custom_role<R: Rng + ?Sized>(
    rng: &mut R,
    params: &Params,
    resource: &[String],
    name: &str,
    project: Option<&str>,
    envs: &[String],
    role_type: RoleType,
) -> RoleSpec {
    let (lo, hi) = params.role_actions;
    let k = rng.random_range(lo..=hi).min(resource.len());
    let mut actions: Vec<usize> = index::sample(rng, resource.len(), k).into_vec();
    actions.sort_unstable();
    let env_count = rng.random_range(1..=2usize).min(envs.len());
    let mut env_idx: Vec<usize> = index::sample(rng, envs.len(), env_count).into_vec();
    env_idx.sort_unstable();
    RoleSpec {
        name: name.to_owned(),
        project: project.map(str::to_owned),
        role_type,
        grants: RoleGrants::Actions(actions.iter().filter_map(|a| resource.get(*a).cloned()).collect()),
        environments: env_idx.iter().filter_map(|e| envs.get(*e).cloned()).collect(),
    }
}

/// 1–3 distinct roles from `pool`, occasionally one of them predefined.
fn member_roles(
    rng: &mut ChaCha8Rng,
    params: &Params,
    counts: &WeightedIndex<f64>,
    pool: &[&String],
    predefined: &[String],
) -> Vec<String> {
    let k = (counts.sample(rng) + 1).min(pool.len());
    let mut roles: Vec<String> = index::sample(rng, pool.len(), k)
        .into_iter()
        .filter_map(|i| pool.get(i).map(|r| (*r).clone()))
        .collect();
    if rng.random_bool(params.predefined_role_share)
        && let Some(role) = predefined.choose(rng)
    {
        match roles.first_mut() {
            Some(first) => *first = role.clone(),
            None => roles.push(role.clone()),
        }
    }
    roles
}

fn draw_check(
    rng: &mut ChaCha8Rng,
    params: &Params,
    pools: &ActionPools,
    model: &Model,
    projects: &[GenProject],
    group_users: &[Vec<u32>],
) -> Result<NamedCheck> {
    let project = projects.choose(rng).ok_or(WorkloadError::Params("no project"))?;
    let any_user = |rng: &mut ChaCha8Rng| index_u32(rng.random_range(0..params.users));
    let user = if rng.random_bool(params.member_check_share) {
        let through_group = !rng.random_bool(params.direct_member_share);
        let via_group = if through_group {
            project
                .via
                .choose(rng)
                .and_then(|g| group_users.get(*g as usize))
                .and_then(|members| members.choose(rng).copied())
        } else {
            None
        };
        match via_group {
            Some(user) => user,
            None => project.direct.choose(rng).copied().unwrap_or_else(|| any_user(rng)),
        }
    } else {
        any_user(rng)
    };
    let pool = if rng.random_bool(params.project_action_share) && !pools.project.is_empty() {
        &pools.project
    } else {
        &pools.resource
    };
    let action = pool.choose(rng).ok_or(WorkloadError::Params("no action"))?.clone();
    let environment = project.visible.choose(rng).cloned();
    Ok(NamedCheck {
        user: user_name(&model.users, user),
        action,
        project: project.key.clone(),
        environment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Params {
        Params {
            users: 300,
            groups: 30,
            projects: 12,
            admins: 2,
            user_members: 20,
            group_members: 5,
            checks: 2_000,
            ..Params::scale(1, 0)
        }
    }

    #[test]
    fn same_seed_same_workload() -> Result<()> {
        let catalogue = Arc::new(Catalogue::platform()?);
        let a = generate(Arc::clone(&catalogue), &small(), 7)?;
        let b = generate(Arc::clone(&catalogue), &small(), 7)?;
        let c = generate(catalogue, &small(), 8)?;
        assert_eq!(a.model, b.model);
        assert_eq!(a.checks, b.checks);
        assert_ne!(a.checks, c.checks);
        Ok(())
    }

    #[test]
    fn reference_shape() -> Result<()> {
        let w = reference(1, DEFAULT_SEED, 1_000)?;
        assert_eq!(w.model.users.len(), 10_000);
        assert_eq!(w.model.groups.len(), 1_000);
        assert_eq!(w.model.projects.len(), 500);
        assert_eq!(w.model.users.iter().filter(|u| u.admin).count(), 5);
        let custom = w.model.roles.iter().filter(|r| r.role_type == RoleType::Custom).count();
        assert_eq!(custom, 5_000);
        assert_eq!(w.checks.len(), 1_000);
        Ok(())
    }
}
