//! The model edits whose `Snapshot::apply` time is measured: one member's
//! roles, one group membership, one custom global role, each drawn at random
//! from the generated workload.

use std::collections::HashMap;

use anyhow::{Context, Result};
use gatehouse_authz::{
    Change, EnvironmentSpec, GroupSpec, MemberSpec, Principal, RoleSpec, RoleType, UserSpec, UserStatus,
};
use rand::seq::{IndexedRandom, index};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use gatehouse_workload::{Workload, custom_role, global_environments, resource_actions};

/// `n` edits of each kind.
pub struct Edits {
    /// `Change::SetMember`: new roles for a direct user member of a project.
    pub set_member: Vec<Change>,
    /// `Change::AddGroupMember`: a user joins a group it is not in.
    pub add_group_member: Vec<Change>,
    /// `Change::PutRole`: new actions and environments for a custom global role.
    pub put_global_role: Vec<Change>,
}

/// Draws `n` edits of each kind from `workload`, deterministically from `seed`.
///
/// # Errors
/// A workload without user members, groups or custom global roles.
pub fn draw(workload: &Workload, n: usize, seed: u64) -> Result<Edits> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6564_6974);
    let model = &workload.model;
    let global: Vec<&str> = model
        .roles
        .iter()
        .filter(|r| r.role_type == RoleType::CustomGlobal)
        .map(|r| r.name.as_str())
        .collect();
    let mut local: HashMap<&str, Vec<&str>> = HashMap::new();
    for role in &model.roles {
        if let Some(project) = &role.project {
            local.entry(project).or_default().push(&role.name);
        }
    }
    let user_members: Vec<&MemberSpec> = model
        .members
        .iter()
        .filter(|m| matches!(m.principal, Principal::User(_)))
        .collect();

    let mut set_member = Vec::with_capacity(n);
    while set_member.len() < n {
        let member = user_members.choose(&mut rng).context("no user member")?;
        let pool: Vec<&str> = global
            .iter()
            .copied()
            .chain(local.get(member.project.as_str()).into_iter().flatten().copied())
            .collect();
        let k = rng.random_range(1..=3usize).min(pool.len());
        let mut roles: Vec<String> = index::sample(&mut rng, pool.len(), k)
            .into_iter()
            .filter_map(|i| pool.get(i).map(|r| (*r).to_owned()))
            .collect();
        roles.sort();
        let mut current = member.roles.clone();
        current.sort();
        if roles.is_empty() || roles == current {
            continue;
        }
        set_member.push(Change::SetMember(MemberSpec {
            project: member.project.clone(),
            principal: member.principal.clone(),
            roles,
        }));
    }

    let mut add_group_member = Vec::with_capacity(n);
    while add_group_member.len() < n {
        let group = model.groups.choose(&mut rng).context("no group")?;
        let user = model.users.choose(&mut rng).context("no user")?;
        if group.members.contains(&user.name) {
            continue;
        }
        add_group_member.push(Change::AddGroupMember {
            group: group.name.clone(),
            user: user.name.clone(),
        });
    }

    let resource = resource_actions(&workload.catalogue);
    let envs = global_environments();
    let mut put_global_role = Vec::with_capacity(n);
    for _ in 0..n {
        let name = global.choose(&mut rng).context("no custom global role")?;
        let spec = custom_role(
            &mut rng,
            &workload.params,
            &resource,
            name,
            None,
            &envs,
            RoleType::CustomGlobal,
        );
        put_global_role.push(Change::PutRole(spec));
    }
    Ok(Edits {
        set_member,
        add_group_member,
        put_global_role,
    })
}

/// One kind of change and the drawn instances of it.
pub struct Kind {
    /// A label, as the report prints it.
    pub name: &'static str,
    /// The changes, each applied alone to the compiled workload.
    pub changes: Vec<Change>,
}

/// `n` changes of every kind a write can make to the snapshot (SPEC §10:
/// applying any single change under 1 ms): the three of [`draw`], and
/// memberships removed, groups' roles, project roles, admin privileges,
/// users created and disabled, users removed, environments added and
/// removed, groups created and removed, roles and projects removed.
///
/// # Errors
/// A workload without the members, groups or roles the kinds draw from.
pub fn sweep(workload: &Workload, n: usize, seed: u64) -> Result<Vec<Kind>> {
    let Edits {
        set_member,
        add_group_member,
        put_global_role,
    } = draw(workload, n, seed)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0073_7765_6570);
    let model = &workload.model;
    let resource = resource_actions(&workload.catalogue);
    let pick =
        |rng: &mut ChaCha8Rng, k: usize| -> Vec<usize> { (0..n).map(|_| rng.random_range(0..k.max(1))).collect() };
    let members = &model.members;
    let group_members: Vec<&MemberSpec> = members
        .iter()
        .filter(|m| matches!(m.principal, Principal::Group(_)))
        .collect();
    let set_group_member: Vec<Change> = pick(&mut rng, group_members.len())
        .into_iter()
        .filter_map(|i| group_members.get(i))
        .map(|m| {
            let mut spec = (*m).clone();
            spec.roles.truncate(1);
            Change::SetMember(spec)
        })
        .collect();
    let remove_member: Vec<Change> = pick(&mut rng, members.len())
        .into_iter()
        .filter_map(|i| members.get(i))
        .map(|m| Change::RemoveMember {
            project: m.project.clone(),
            principal: m.principal.clone(),
        })
        .collect();
    let with_members: Vec<&GroupSpec> = model.groups.iter().filter(|g| !g.members.is_empty()).collect();
    let remove_group_member: Vec<Change> = pick(&mut rng, with_members.len())
        .into_iter()
        .filter_map(|i| with_members.get(i))
        .filter_map(|g| {
            g.members.choose(&mut rng).map(|u| Change::RemoveGroupMember {
                group: g.name.clone(),
                user: u.clone(),
            })
        })
        .collect();
    let project_roles: Vec<&RoleSpec> = model.roles.iter().filter(|r| r.project.is_some()).collect();
    let put_project_role: Vec<Change> = pick(&mut rng, project_roles.len())
        .into_iter()
        .filter_map(|i| project_roles.get(i))
        .map(|r| {
            let visible: Vec<String> = global_environments()
                .into_iter()
                .chain(
                    model
                        .environments
                        .iter()
                        .filter(|e| e.project == r.project)
                        .map(|e| e.name.clone()),
                )
                .collect();
            Change::PutRole(custom_role(
                &mut rng,
                &workload.params,
                &resource,
                &r.name,
                r.project.as_deref(),
                &visible,
                RoleType::Custom,
            ))
        })
        .collect();
    let put_project: Vec<Change> = pick(&mut rng, model.projects.len())
        .into_iter()
        .filter_map(|i| model.projects.get(i))
        .map(|p| {
            let mut spec = p.clone();
            spec.admin_privileges.manage_members = !spec.admin_privileges.manage_members;
            Change::PutProject(spec)
        })
        .collect();
    let put_user: Vec<Change> = pick(&mut rng, model.users.len())
        .into_iter()
        .filter_map(|i| model.users.get(i))
        .map(|u| {
            let mut spec = u.clone();
            spec.status = if spec.status.is_blocked() {
                UserStatus::Active
            } else {
                UserStatus::Disabled
            };
            Change::PutUser(spec)
        })
        .collect();
    let add_user: Vec<Change> = (0..n)
        .map(|i| Change::PutUser(UserSpec::person(&format!("bench-new-user-{i}"))))
        .collect();
    let remove_user: Vec<Change> = pick(&mut rng, model.users.len())
        .into_iter()
        .filter_map(|i| model.users.get(i))
        .map(|u| Change::RemoveUser(u.name.clone()))
        .collect();
    let add_group: Vec<Change> = (0..n)
        .map(|i| Change::AddGroup(format!("bench-new-group-{i}")))
        .collect();
    let add_global_env: Vec<Change> = (0..n)
        .map(|i| {
            Change::AddEnvironment(EnvironmentSpec {
                name: format!("BENCH{i}"),
                project: None,
            })
        })
        .collect();
    let add_project_env: Vec<Change> = pick(&mut rng, model.projects.len())
        .into_iter()
        .filter_map(|i| model.projects.get(i))
        .map(|p| {
            Change::AddEnvironment(EnvironmentSpec {
                name: format!("{}-BENCH", p.key),
                project: Some(p.key.clone()),
            })
        })
        .collect();
    let project_envs: Vec<&EnvironmentSpec> = model.environments.iter().filter(|e| e.project.is_some()).collect();
    let remove_project_env: Vec<Change> = pick(&mut rng, project_envs.len())
        .into_iter()
        .filter_map(|i| project_envs.get(i))
        .map(|e| Change::RemoveEnvironment(e.name.clone()))
        .collect();
    let custom_global: Vec<&RoleSpec> = model
        .roles
        .iter()
        .filter(|r| r.role_type == RoleType::CustomGlobal)
        .collect();
    let remove_global_role: Vec<Change> = pick(&mut rng, custom_global.len())
        .into_iter()
        .filter_map(|i| custom_global.get(i))
        .map(|r| Change::RemoveRole {
            project: None,
            name: r.name.clone(),
        })
        .collect();
    let remove_project_role: Vec<Change> = pick(&mut rng, project_roles.len())
        .into_iter()
        .filter_map(|i| project_roles.get(i))
        .map(|r| Change::RemoveRole {
            project: r.project.clone(),
            name: r.name.clone(),
        })
        .collect();
    let remove_project: Vec<Change> = pick(&mut rng, model.projects.len())
        .into_iter()
        .filter_map(|i| model.projects.get(i))
        .map(|p| Change::RemoveProject(p.key.clone()))
        .collect();
    let remove_group: Vec<Change> = pick(&mut rng, model.groups.len())
        .into_iter()
        .filter_map(|i| model.groups.get(i))
        .map(|g| Change::RemoveGroup(g.name.clone()))
        .collect();
    // The generated global environments are DEV and PROD, which cannot be
    // removed: the kind is measured only on a workload with others.
    let removable_global_envs: Vec<&EnvironmentSpec> = model
        .environments
        .iter()
        .filter(|e| e.project.is_none() && !global_environments().contains(&e.name))
        .collect();
    let remove_global_env: Vec<Change> = pick(&mut rng, removable_global_envs.len())
        .into_iter()
        .filter_map(|i| removable_global_envs.get(i))
        .map(|e| Change::RemoveEnvironment(e.name.clone()))
        .collect();
    let kinds = vec![
        Kind {
            name: "SetMember (user)",
            changes: set_member,
        },
        Kind {
            name: "SetMember (group)",
            changes: set_group_member,
        },
        Kind {
            name: "RemoveMember",
            changes: remove_member,
        },
        Kind {
            name: "AddGroupMember",
            changes: add_group_member,
        },
        Kind {
            name: "RemoveGroupMember",
            changes: remove_group_member,
        },
        Kind {
            name: "PutRole (global)",
            changes: put_global_role,
        },
        Kind {
            name: "PutRole (project)",
            changes: put_project_role,
        },
        Kind {
            name: "PutProject (privileges)",
            changes: put_project,
        },
        Kind {
            name: "PutUser (status)",
            changes: put_user,
        },
        Kind {
            name: "PutUser (new)",
            changes: add_user,
        },
        Kind {
            name: "RemoveUser",
            changes: remove_user,
        },
        Kind {
            name: "AddGroup",
            changes: add_group,
        },
        Kind {
            name: "AddEnvironment (global)",
            changes: add_global_env,
        },
        Kind {
            name: "AddEnvironment (project)",
            changes: add_project_env,
        },
        Kind {
            name: "RemoveEnvironment (project)",
            changes: remove_project_env,
        },
        Kind {
            name: "RemoveEnvironment (global)",
            changes: remove_global_env,
        },
        Kind {
            name: "RemoveRole (global)",
            changes: remove_global_role,
        },
        Kind {
            name: "RemoveRole (project)",
            changes: remove_project_role,
        },
        Kind {
            name: "RemoveProject",
            changes: remove_project,
        },
        Kind {
            name: "RemoveGroup",
            changes: remove_group,
        },
    ];
    Ok(kinds.into_iter().filter(|k| !k.changes.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use gatehouse_authz::{Catalogue, Model, Snapshot};

    use super::*;
    use gatehouse_workload::{NamedCheck, Params, generate};

    /// The model with `change` made by hand, as the store would hold it.
    fn edit_model(model: &mut Model, change: &Change) {
        match change {
            Change::SetMember(spec) => {
                for member in &mut model.members {
                    if member.project == spec.project && member.principal == spec.principal {
                        member.roles.clone_from(&spec.roles);
                    }
                }
            }
            Change::AddGroupMember { group, user } => {
                for g in &mut model.groups {
                    if &g.name == group {
                        g.members.push(user.clone());
                    }
                }
            }
            Change::PutRole(spec) => {
                for role in &mut model.roles {
                    if role.name == spec.name && role.project == spec.project {
                        *role = spec.clone();
                    }
                }
            }
            other => unreachable!("not drawn: {other:?}"),
        }
    }

    fn decisions(snapshot: &Snapshot, checks: &[NamedCheck]) -> Vec<bool> {
        checks
            .iter()
            .map(|c| {
                let q = snapshot
                    .query(&c.user, &c.action, &c.project, c.environment.as_deref())
                    .unwrap()
                    .unwrap();
                snapshot.check(&q).unwrap()
            })
            .collect()
    }

    /// `apply` of each drawn edit, and of all of them in a row, decides as a
    /// full compile of the edited model does.
    #[test]
    fn apply_agrees_with_recompile() -> Result<()> {
        let catalogue = Arc::new(Catalogue::platform()?);
        let params = Params {
            users: 600,
            groups: 60,
            projects: 20,
            admins: 2,
            user_members: 40,
            group_members: 8,
            checks: 20_000,
            ..Params::scale(1, 0)
        };
        let w = generate(Arc::clone(&catalogue), &params, 3)?;
        let base = Snapshot::compile(Arc::clone(&catalogue), &w.model)?;
        let edits = draw(&w, 8, 5)?;
        let all: Vec<&Change> = edits
            .set_member
            .iter()
            .chain(&edits.add_group_member)
            .chain(&edits.put_global_role)
            .collect();
        let mut model = w.model.clone();
        let mut chained = base.clone();
        for change in all {
            let mut one = w.model.clone();
            edit_model(&mut one, change);
            let applied = base.apply(change)?;
            let compiled = Snapshot::compile(Arc::clone(&catalogue), &one)?;
            assert_eq!(
                decisions(&applied, &w.checks),
                decisions(&compiled, &w.checks),
                "{change:?}"
            );
            edit_model(&mut model, change);
            chained = chained.apply(change)?;
        }
        let compiled = Snapshot::compile(Arc::clone(&catalogue), &model)?;
        assert_eq!(decisions(&chained, &w.checks), decisions(&compiled, &w.checks));
        Ok(())
    }
}
