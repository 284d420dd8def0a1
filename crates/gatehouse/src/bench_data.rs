//! `gatehouse bench-data`: the SPEC §10 reference workload — exactly the
//! model the benchmarks generate (`gatehouse-workload`, same seed) — as an
//! import document. Users get `<name>@example.test` emails; statuses are not
//! part of a document (imported users are invited).

use std::collections::BTreeMap;

use anyhow::ensure;
use gatehouse_api::{AdminPrivileges, DOCUMENT_VERSION, DocGroup, DocProject, DocRole, DocUser, Document};
use gatehouse_authz::catalogue::PROTECTED_ENVIRONMENTS;
use gatehouse_authz::{Model, Principal, RoleGrants, RoleSpec, RoleType};

/// The seed of the reference workload.
pub use gatehouse_workload::DEFAULT_SEED;

/// The reference workload at `scale` from `seed`, as a document.
///
/// # Errors
/// A scale below 1; a workload that cannot be generated.
pub fn generate(scale: usize, seed: u64) -> anyhow::Result<Document> {
    ensure!(scale >= 1, "`--scale` must be at least 1");
    let workload = gatehouse_workload::reference(scale, seed, 0)?;
    Ok(document(&workload.model))
}

fn doc_role(role: &RoleSpec) -> DocRole {
    let (categories, actions) = match &role.grants {
        RoleGrants::Categories(c) => (Some(c.clone()), None),
        RoleGrants::Actions(a) => (None, Some(a.clone())),
    };
    DocRole {
        name: role.name.clone(),
        description: String::new(),
        categories,
        actions,
        environments: role.environments.clone(),
    }
}

/// The document of `model`: its users, groups, custom global roles and
/// extra global environments, and every project with what it holds.
fn document(model: &Model) -> Document {
    let mut projects: BTreeMap<&str, DocProject> = model
        .projects
        .iter()
        .map(|p| {
            let project = DocProject {
                key: p.key.clone(),
                display_name: p.key.clone(),
                description: String::new(),
                admin_privileges: AdminPrivileges::from(p.admin_privileges),
                environments: Vec::new(),
                roles: Vec::new(),
                users: BTreeMap::new(),
                groups: BTreeMap::new(),
                resources: Vec::new(),
            };
            (p.key.as_str(), project)
        })
        .collect();
    let mut environments = Vec::new();
    for env in &model.environments {
        match env.project.as_deref().and_then(|key| projects.get_mut(key)) {
            Some(project) => {
                let prefix = format!("{}-", project.key);
                let part = env.name.strip_prefix(&prefix).unwrap_or(&env.name);
                project.environments.push(part.to_owned());
            }
            None if !PROTECTED_ENVIRONMENTS.contains(&env.name.as_str()) => environments.push(env.name.clone()),
            None => {}
        }
    }
    let mut roles = Vec::new();
    for role in &model.roles {
        match (
            role.role_type,
            role.project.as_deref().and_then(|key| projects.get_mut(key)),
        ) {
            (RoleType::Custom, Some(project)) => project.roles.push(doc_role(role)),
            (RoleType::CustomGlobal, None) => roles.push(doc_role(role)),
            // Predefined roles come with every instance.
            _ => {}
        }
    }
    for member in &model.members {
        let Some(project) = projects.get_mut(member.project.as_str()) else {
            continue;
        };
        match &member.principal {
            Principal::User(user) => project.users.insert(user.clone(), member.roles.clone()),
            Principal::Group(group) => project.groups.insert(group.clone(), member.roles.clone()),
        };
    }
    Document {
        version: DOCUMENT_VERSION,
        users: model
            .users
            .iter()
            .map(|u| DocUser {
                username: u.name.clone(),
                email: Some(format!("{}@example.test", u.name)),
                kind: u.kind.into(),
                admin: u.admin,
                account_permissions: u.account_permissions.iter().map(|p| p.as_str().to_owned()).collect(),
            })
            .collect(),
        groups: model
            .groups
            .iter()
            .map(|g| DocGroup {
                name: g.name.clone(),
                description: String::new(),
                members: g.members.clone(),
            })
            .collect(),
        environments,
        roles,
        projects: projects.into_values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_SEED, generate};

    #[test]
    fn the_document_is_the_benchmarks_workload() -> anyhow::Result<()> {
        let a = generate(1, DEFAULT_SEED)?;
        assert_eq!(a, generate(1, DEFAULT_SEED)?);
        assert_ne!(a, generate(1, 7)?);
        let w = gatehouse_workload::reference(1, DEFAULT_SEED, 0)?;
        assert_eq!(a.users.len(), w.model.users.len());
        assert_eq!(a.users.len(), 10_000);
        assert_eq!(a.groups.len(), 1_000);
        assert_eq!(a.projects.len(), 500);
        assert_eq!(a.roles.len(), 5);
        let members: usize = a.projects.iter().map(|p| p.users.len() + p.groups.len()).sum();
        assert_eq!(members, w.model.members.len());
        assert!(a.projects.iter().all(|p| p.roles.len() == 10));
        Ok(())
    }
}
