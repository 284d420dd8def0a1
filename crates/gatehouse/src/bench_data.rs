//! `gatehouse bench-data`: writes the SPEC §10 reference workload as an
//! import document — 10,000·N users, 1,000·N groups (each user in 0–5),
//! 500·N projects with 0–2 own environments, 5 custom global roles, 10
//! project roles per project (3–12 actions in 1–2 environments), about 100
//! user and 20 group members per project holding 1–3 roles. Deterministic
//! from the seed; mirrors the generator of `crates/bench/src/workload.rs`
//! at the level of its distributions (not draw for draw).

use std::collections::BTreeMap;

use anyhow::{Context as _, ensure};
use gatehouse_api::{AdminPrivileges, DOCUMENT_VERSION, DocGroup, DocProject, DocRole, DocUser, Document, UserKind};
use gatehouse_authz::Catalogue;
use rand::distr::{Distribution as _, weighted::WeightedIndex};
use rand::seq::{IndexedRandom as _, index};
use rand::{Rng, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

/// The seed of the reference workload (the bench crate's).
pub const DEFAULT_SEED: u64 = 0x6761_7465_686f_7573;

const PROJECT_ENV_NAMES: [&str; 2] = ["QA", "STAGING"];
const GLOBAL_ENVS: [&str; 2] = ["DEV", "PROD"];
const MAX_GROUPS_PER_USER: usize = 5;
const ADMINS_PER_SCALE: usize = 5;
const CUSTOM_GLOBAL_ROLES: usize = 5;
const ROLES_PER_PROJECT: usize = 10;
const ROLE_ACTIONS: (usize, usize) = (3, 12);
const USER_MEMBERS: usize = 100;
const GROUP_MEMBERS: usize = 20;
/// Weights of holding 1, 2 or 3 roles.
const MEMBER_ROLES: [f64; 3] = [0.25, 0.35, 0.40];
const PREDEFINED_ROLE_SHARE: f64 = 0.03;

/// The reference workload at `scale` from `seed`, as a document.
pub fn generate(scale: usize, seed: u64) -> anyhow::Result<Document> {
    ensure!(scale >= 1, "`--scale` must be at least 1");
    let catalogue = Catalogue::platform().context("loading the platform catalogue")?;
    let resource: Vec<String> = catalogue
        .actions()
        .iter()
        .map(|a| a.id.clone())
        .filter(|id| !id.starts_with("project."))
        .collect();
    ensure!(resource.len() >= ROLE_ACTIONS.1, "the catalogue has too few actions");
    let predefined: Vec<String> = catalogue.predefined_roles().iter().map(|r| r.name.clone()).collect();
    let role_counts = WeightedIndex::new(MEMBER_ROLES).context("bad member role weights")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (users_n, groups_n, projects_n) = (10_000 * scale, 1_000 * scale, 500 * scale);

    let mut users: Vec<DocUser> = (1..=users_n)
        .map(|i| DocUser {
            username: user_name(i - 1),
            email: Some(format!("{}@example.test", user_name(i - 1))),
            kind: UserKind::Person,
            admin: false,
            account_permissions: Vec::new(),
        })
        .collect();
    for i in index::sample(&mut rng, users_n, ADMINS_PER_SCALE * scale) {
        if let Some(u) = users.get_mut(i) {
            u.admin = true;
        }
    }

    let mut group_members: Vec<Vec<String>> = vec![Vec::new(); groups_n];
    for user in &users {
        let k = rng.random_range(0..=MAX_GROUPS_PER_USER);
        for g in index::sample(&mut rng, groups_n, k) {
            if let Some(members) = group_members.get_mut(g) {
                members.push(user.username.clone());
            }
        }
    }
    let groups: Vec<DocGroup> = group_members
        .into_iter()
        .enumerate()
        .map(|(g, mut members)| {
            members.sort();
            DocGroup {
                name: group_name(g),
                description: String::new(),
                members,
            }
        })
        .collect();

    let global_envs: Vec<String> = GLOBAL_ENVS.iter().map(|e| (*e).to_owned()).collect();
    let roles: Vec<DocRole> = (1..=CUSTOM_GLOBAL_ROLES)
        .map(|i| custom_role(&mut rng, &resource, &format!("Custom Global {i}"), &global_envs))
        .collect();
    let global_role_names: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();

    let mut projects = Vec::with_capacity(projects_n);
    for p in 0..projects_n {
        let key = format!("p-{:05}", p + 1);
        let own = rng.random_range(0..=PROJECT_ENV_NAMES.len());
        let environments: Vec<String> = PROJECT_ENV_NAMES.iter().take(own).map(|e| (*e).to_owned()).collect();
        let mut visible = global_envs.clone();
        visible.extend(environments.iter().map(|e| format!("{key}-{e}")));
        let project_roles: Vec<DocRole> = (1..=ROLES_PER_PROJECT)
            .map(|i| custom_role(&mut rng, &resource, &format!("Project Role {i}"), &visible))
            .collect();
        let pool: Vec<&String> = global_role_names
            .iter()
            .chain(project_roles.iter().map(|r| &r.name))
            .collect();
        let mut member_users = BTreeMap::new();
        let n = about(&mut rng, USER_MEMBERS).min(users_n);
        for u in index::sample(&mut rng, users_n, n) {
            let roles = member_roles(&mut rng, &role_counts, &pool, &predefined);
            member_users.insert(user_name(u), roles);
        }
        let mut member_groups = BTreeMap::new();
        let n = about(&mut rng, GROUP_MEMBERS).min(groups_n);
        for g in index::sample(&mut rng, groups_n, n) {
            let roles = member_roles(&mut rng, &role_counts, &pool, &predefined);
            member_groups.insert(group_name(g), roles);
        }
        projects.push(DocProject {
            key: key.clone(),
            display_name: format!("Project {:05}", p + 1),
            description: String::new(),
            admin_privileges: AdminPrivileges::default(),
            environments,
            roles: project_roles,
            users: member_users,
            groups: member_groups,
            resources: Vec::new(),
        });
    }
    Ok(Document {
        version: DOCUMENT_VERSION,
        users,
        groups,
        environments: Vec::new(),
        roles,
        projects,
    })
}

fn user_name(i: usize) -> String {
    format!("user-{:06}", i + 1)
}

fn group_name(g: usize) -> String {
    format!("group-{:05}", g + 1)
}

/// About `n`: ±10%.
fn about(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let spread = n / 10;
    rng.random_range(n - spread..=n + spread)
}

/// A custom Advanced-mode role: 3–12 resource actions in 1–2 of `envs`.
fn custom_role<R: Rng + ?Sized>(rng: &mut R, resource: &[String], name: &str, envs: &[String]) -> DocRole {
    let (lo, hi) = ROLE_ACTIONS;
    let k = rng.random_range(lo..=hi).min(resource.len());
    let mut actions: Vec<usize> = index::sample(rng, resource.len(), k).into_vec();
    actions.sort_unstable();
    let env_count = rng.random_range(1..=2usize).min(envs.len());
    let mut env_idx: Vec<usize> = index::sample(rng, envs.len(), env_count).into_vec();
    env_idx.sort_unstable();
    DocRole {
        name: name.to_owned(),
        description: String::new(),
        categories: None,
        actions: Some(actions.iter().filter_map(|a| resource.get(*a).cloned()).collect()),
        environments: env_idx.iter().filter_map(|e| envs.get(*e).cloned()).collect(),
    }
}

/// 1–3 distinct roles from `pool`, sometimes a predefined one first.
fn member_roles(
    rng: &mut ChaCha8Rng,
    counts: &WeightedIndex<f64>,
    pool: &[&String],
    predefined: &[String],
) -> Vec<String> {
    let k = (counts.sample(rng) + 1).min(pool.len());
    let mut roles: Vec<String> = index::sample(rng, pool.len(), k)
        .into_iter()
        .filter_map(|i| pool.get(i).map(|r| (*r).clone()))
        .collect();
    if rng.random_bool(PREDEFINED_ROLE_SHARE)
        && let Some(role) = predefined.choose(rng)
        && !roles.contains(role)
        && let Some(first) = roles.first_mut()
    {
        *first = role.clone();
    }
    roles.sort();
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_document_and_reference_shape() -> anyhow::Result<()> {
        let a = generate(1, DEFAULT_SEED)?;
        assert_eq!(a, generate(1, DEFAULT_SEED)?);
        assert_ne!(a, generate(1, 7)?);
        assert_eq!(a.users.len(), 10_000);
        assert_eq!(a.groups.len(), 1_000);
        assert_eq!(a.projects.len(), 500);
        assert_eq!(a.roles.len(), 5);
        assert_eq!(a.users.iter().filter(|u| u.admin).count(), 5);
        assert!(a.projects.iter().all(|p| p.roles.len() == 10));
        Ok(())
    }
}
