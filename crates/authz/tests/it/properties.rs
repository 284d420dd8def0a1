//! Properties on random models, against the naive reference of
//! `reference.rs`: check, explain, the reverse questions, incremental
//! changes, token scopes, monotonicity, disabled and locked users, and
//! dominance (SPEC §2.5).

use std::collections::BTreeSet;
use std::sync::Arc;

use gatehouse_authz::{
    AdminPrivileges, Catalogue, Change, Denial, EnvironmentSpec, Explanation, Grant, GroupSpec, Member, MemberSpec,
    Model, Principal, ProjectSpec, Query, ResourceSpec, RoleGrants, RoleSpec, RoleType, ScopeEntrySpec, Snapshot,
    UserKind, UserSpec, UserStatus,
};
use proptest::prelude::*;

use crate::reference::{NamedGrant, Reference};
use crate::split_mix::Rng;

/// Up to `max` picks of `items`, repeats allowed, in the order drawn.
fn picks<T: Clone>(rng: &mut Rng, items: &[T], max: usize) -> Vec<T> {
    if items.is_empty() {
        return Vec::new();
    }
    let n = rng.below(max + 1);
    (0..n).map(|_| rng.pick(items).clone()).collect()
}

pub(crate) fn catalogue() -> Arc<Catalogue> {
    crate::fixtures::platform()
}

fn random_status(rng: &mut Rng) -> UserStatus {
    match rng.below(10) {
        0 => UserStatus::Disabled,
        1 => UserStatus::Locked,
        2 | 3 => UserStatus::Invited,
        _ => UserStatus::Active,
    }
}

fn random_privileges(rng: &mut Rng) -> AdminPrivileges {
    AdminPrivileges {
        manage_members: rng.chance(70),
        manage_resources: rng.chance(70),
        index_resources: rng.chance(70),
    }
}

/// Environments a role in `project` may name.
fn env_choices(model: &Model, project: Option<&str>) -> Vec<String> {
    model
        .environments
        .iter()
        .filter(|e| e.project.is_none() || e.project.as_deref() == project && project.is_some())
        .map(|e| e.name.clone())
        .collect()
}

fn random_grants(rng: &mut Rng, cat: &Catalogue) -> RoleGrants {
    if rng.chance(40) {
        let ids: Vec<String> = cat.categories().iter().map(|c| c.id.clone()).collect();
        let mut chosen = picks(rng, &ids, 3);
        if chosen.is_empty() {
            chosen.push(ids[0].clone());
        }
        RoleGrants::Categories(chosen)
    } else {
        let ids: Vec<String> = cat.actions().iter().map(|a| a.id.clone()).collect();
        let mut chosen = picks(rng, &ids, 8);
        chosen.push(rng.pick(&ids).clone());
        // Advanced mode also takes JFrog wire names.
        if rng.chance(20) {
            chosen.push(cat.actions()[rng.below(cat.actions().len())].wire_name.clone());
        }
        RoleGrants::Actions(chosen)
    }
}

fn random_role(rng: &mut Rng, cat: &Catalogue, model: &Model, name: String, project: Option<&str>) -> RoleSpec {
    let envs = env_choices(model, project);
    let mut environments = picks(rng, &envs, 3);
    environments.sort();
    environments.dedup();
    RoleSpec {
        name,
        project: project.map(str::to_owned),
        role_type: if project.is_some() {
            RoleType::Custom
        } else {
            RoleType::CustomGlobal
        },
        grants: random_grants(rng, cat),
        environments,
    }
}

fn roles_usable(model: &Model, project: &str) -> Vec<String> {
    model
        .roles
        .iter()
        .filter(|r| r.project.is_none() || r.project.as_deref() == Some(project))
        .map(|r| r.name.clone())
        .collect()
}

fn random_member(rng: &mut Rng, model: &Model, project: &str) -> Option<MemberSpec> {
    let principal = if (rng.chance(65) || model.groups.is_empty()) && !model.users.is_empty() {
        Principal::User(rng.pick(&model.users).name.clone())
    } else if !model.groups.is_empty() {
        Principal::Group(rng.pick(&model.groups).name.clone())
    } else {
        return None;
    };
    let usable = roles_usable(model, project);
    let mut roles = picks(rng, &usable, 3);
    roles.push(rng.pick(&usable).clone());
    roles.sort();
    roles.dedup();
    Some(MemberSpec {
        project: project.into(),
        principal,
        roles,
    })
}

fn set_member(model: &mut Model, spec: MemberSpec) {
    model
        .members
        .retain(|m| !(m.project == spec.project && m.principal == spec.principal));
    model.members.push(spec);
}

pub(crate) fn random_model(seed: u64) -> Model {
    let cat = catalogue();
    let mut rng = Rng(seed);
    let mut model = Model::new(&cat);
    for i in 0..2 + rng.below(5) {
        model.users.push(UserSpec {
            name: format!("u{i}"),
            status: random_status(&mut rng),
            admin: rng.chance(8),
            kind: if rng.chance(10) {
                UserKind::Service
            } else {
                UserKind::Person
            },
            account_permissions: Default::default(),
        });
    }
    for i in 0..rng.below(4) {
        let names: Vec<String> = model.users.iter().map(|u| u.name.clone()).collect();
        let mut members = picks(&mut rng, &names, 4);
        members.sort();
        members.dedup();
        model.groups.push(GroupSpec {
            name: format!("g{i}"),
            members,
        });
    }
    if rng.chance(30) {
        model.environments.push(EnvironmentSpec {
            name: "STAGE".into(),
            project: None,
        });
    }
    for i in 0..1 + rng.below(3) {
        let key = format!("p{i}");
        model.projects.push(ProjectSpec {
            key: key.clone(),
            admin_privileges: random_privileges(&mut rng),
        });
        for env in ["QA", "UAT"].iter().take(rng.below(3)) {
            model.environments.push(EnvironmentSpec {
                name: format!("{key}-{env}"),
                project: Some(key.clone()),
            });
        }
    }
    for i in 0..rng.below(3) {
        let role = random_role(&mut rng, &cat, &model, format!("G{i}"), None);
        model.roles.push(role);
    }
    let keys: Vec<String> = model.projects.iter().map(|p| p.key.clone()).collect();
    for key in &keys {
        for i in 0..rng.below(4) {
            let role = random_role(&mut rng, &cat, &model, format!("{key}-R{i}"), Some(key));
            model.roles.push(role);
        }
        for _ in 0..rng.below(7) {
            if let Some(member) = random_member(&mut rng, &model, key) {
                set_member(&mut model, member);
            }
        }
        for i in 0..rng.below(4) {
            let resource = random_resource(&mut rng, &model, format!("{key}-res{i}"), key);
            model.resources.push(resource);
        }
    }
    model
}

/// A valid resource of `project`: a repository in one of its environments,
/// or a pipeline (not environment-scoped).
fn random_resource(rng: &mut Rng, model: &Model, name: String, project: &str) -> ResourceSpec {
    if rng.chance(60) {
        let envs = env_choices(model, Some(project));
        ResourceSpec {
            resource_type: "repository".into(),
            name,
            project: project.to_owned(),
            environment: Some(rng.pick(&envs).clone()),
        }
    } else {
        ResourceSpec {
            resource_type: "pipeline".into(),
            name,
            project: project.to_owned(),
            environment: None,
        }
    }
}

/// Every registered resource of a snapshot, by names.
fn resource_view(s: &Snapshot) -> Vec<(String, String, String, Option<String>)> {
    s.resources()
        .map(|(t, n, p, e)| {
            (
                t.to_owned(),
                n.to_owned(),
                s.project_key(p).unwrap().to_owned(),
                e.map(|e| s.env_name(e).unwrap().to_owned()),
            )
        })
        .collect()
}

/// Each project's members by name: its direct and group memberships with
/// their roles, and every user who holds a role there.
fn membership_view(s: &Snapshot) -> Vec<String> {
    let roles = |ids: &[gatehouse_authz::RoleId]| {
        let mut names: Vec<&str> = ids.iter().map(|r| s.role(*r).unwrap().name()).collect();
        names.sort_unstable();
        names.join(",")
    };
    let mut out = Vec::new();
    for (key, project) in s.projects() {
        for (user, held) in s.user_members(project) {
            out.push(format!("{key} user {} {}", s.user_name(user).unwrap(), roles(&held)));
        }
        for (group, held) in s.group_members_of(project) {
            out.push(format!("{key} group {} {}", s.group_name(group).unwrap(), roles(&held)));
        }
        for (name, user) in s.users() {
            if s.is_member(user, project) {
                out.push(format!("{key} member {name}"));
            }
        }
    }
    out.sort();
    out
}

/// Every question worth asking of a model: its names plus unknown ones.
struct Universe {
    users: Vec<String>,
    projects: Vec<String>,
    envs: Vec<Option<String>>,
    actions: Vec<String>,
}

fn universe(model: &Model, cat: &Catalogue) -> Universe {
    let mut users: Vec<String> = model.users.iter().map(|u| u.name.clone()).collect();
    users.push("ghost".into());
    let mut projects: Vec<String> = model.projects.iter().map(|p| p.key.clone()).collect();
    projects.push("nowhere".into());
    let mut envs: Vec<Option<String>> = model.environments.iter().map(|e| Some(e.name.clone())).collect();
    envs.push(None);
    envs.push(Some("NOPE".into()));
    let actions = cat.actions().iter().map(|a| a.id.clone()).collect();
    Universe {
        users,
        projects,
        envs,
        actions,
    }
}

/// A decision by names, for comparing snapshots that number things differently.
fn named(
    s: &Snapshot,
    user: &str,
    action: &str,
    project: &str,
    env: Option<&str>,
) -> Option<Result<Vec<NamedGrant>, Denial>> {
    let q = match s.query(user, action, project, env) {
        Err(_) => return None,
        Ok(Err(denial)) => return Some(Err(denial)),
        Ok(Ok(q)) => q,
    };
    let allowed = s.check(&q).unwrap();
    let explained = s.explain(&q).unwrap();
    assert_eq!(
        explained.is_allow(),
        allowed,
        "explain agrees with check for {user} {action} {project} {env:?}"
    );
    Some(match explained {
        Explanation::Deny(denial) => Err(denial),
        Explanation::Allow(grants) => {
            let mut out: Vec<NamedGrant> = grants
                .iter()
                .filter_map(|g| match g {
                    Grant::PlatformAdmin => None,
                    Grant::Role { via, role } => {
                        assert!(s.grant_allows(g, &q), "every reason really grants");
                        let via = match via {
                            Member::User(u) => Principal::User(s.user_name(*u).unwrap().to_owned()),
                            Member::Group(g) => Principal::Group(s.group_name(*g).unwrap().to_owned()),
                        };
                        Some((via, s.role(*role).unwrap().name().to_owned()))
                    }
                })
                .collect();
            out.sort();
            Ok(out)
        }
    })
}

fn for_each_question(u: &Universe, mut f: impl FnMut(&str, &str, &str, Option<&str>)) {
    for user in &u.users {
        for project in &u.projects {
            for action in &u.actions {
                for env in &u.envs {
                    f(user, action, project, env.as_deref());
                }
            }
        }
    }
}

fn assert_matches_reference(s: &Snapshot, model: &Model) {
    let cat = s.catalogue().clone();
    let reference = Reference { catalogue: &cat, model };
    for_each_question(&universe(model, &cat), |user, action, project, env| {
        let scoped = cat.action(cat.resolve_action(action).unwrap()).env_scoped;
        let got = named(s, user, action, project, env);
        let want = reference.decide(user, action, project, env);
        if env.is_none() && scoped {
            // A validation error, not a deny, unless something is unknown first.
            if got.is_some() {
                assert!(
                    matches!(want, Err(Denial::UnknownUser | Denial::UnknownProject)),
                    "{user} {action} {project}"
                );
            }
            return;
        }
        let want = want.map(|mut grants| {
            grants.sort();
            grants
        });
        assert_eq!(got, Some(want), "{user} may {action} in {project} {env:?}");
    });
    assert_batch_answers_as_check(s, &universe(model, &cat));
}

/// `check_each` answers every question as `check` does, in order: the
/// valid questions of the universe, each also without its environment
/// (an error for an environment-scoped action); and so do batches shorter
/// than its pipeline (every prefix of up to 40 questions).
fn assert_batch_answers_as_check(s: &Snapshot, u: &Universe) {
    let mut queries = Vec::new();
    for_each_question(u, |user, action, project, env| {
        if let Ok(Ok(q)) = s.query(user, action, project, env) {
            queries.push(q);
            queries.push(Query { environment: None, ..q });
        }
    });
    let one_by_one: Vec<_> = queries.iter().map(|q| s.check(q)).collect();
    let batch: Vec<_> = s.check_each(&queries).collect();
    assert_eq!(batch, one_by_one, "check_each answers as check, in order");
    for n in 0..=queries.len().min(40) {
        let short: Vec<_> = s.check_each(&queries[..n]).collect();
        assert_eq!(short, one_by_one[..n], "a batch of {n} answers as check");
    }
}

/// Every (user, action, project, env) decision of a snapshot, by names.
fn decisions(s: &Snapshot, u: &Universe) -> Vec<(String, Decision)> {
    let mut out = Vec::new();
    for_each_question(u, |user, action, project, env| {
        out.push((
            format!("{user} {action} {project} {env:?}"),
            named(s, user, action, project, env),
        ));
    });
    out
}

type Decision = Option<Result<Vec<NamedGrant>, Denial>>;

/// The first question two snapshots answer differently.
fn first_difference(a: &[(String, Decision)], b: &[(String, Decision)]) -> Option<String> {
    a.iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .map(|(x, y)| format!("{}: {:?} vs {:?}", x.0, x.1, y.1))
}

fn allowed_set(s: &Snapshot, u: &Universe) -> BTreeSet<(String, String, String, Option<String>)> {
    let mut out = BTreeSet::new();
    for_each_question(u, |user, action, project, env| {
        if let Ok(Ok(q)) = s.query(user, action, project, env)
            && s.check(&q).unwrap()
        {
            out.insert((
                user.to_owned(),
                action.to_owned(),
                project.to_owned(),
                env.map(str::to_owned),
            ));
        }
    });
    out
}

// ---- the model-side meaning of each change (the reference for `apply`) ----

pub(crate) fn apply_to_model(model: &mut Model, change: &Change) {
    match change {
        Change::PutUser(spec) => match model.users.iter_mut().find(|u| u.name == spec.name) {
            Some(u) => *u = spec.clone(),
            None => model.users.push(spec.clone()),
        },
        Change::RemoveUser(name) => {
            model.users.retain(|u| &u.name != name);
            for g in &mut model.groups {
                g.members.retain(|m| m != name);
            }
            model.members.retain(|m| m.principal != Principal::User(name.clone()));
        }
        Change::AddGroup(name) => model.groups.push(GroupSpec {
            name: name.clone(),
            members: vec![],
        }),
        Change::RemoveGroup(name) => {
            model.groups.retain(|g| &g.name != name);
            model.members.retain(|m| m.principal != Principal::Group(name.clone()));
        }
        Change::AddGroupMember { group, user } => {
            let g = model.groups.iter_mut().find(|g| &g.name == group).unwrap();
            if !g.members.contains(user) {
                g.members.push(user.clone());
            }
        }
        Change::RemoveGroupMember { group, user } => {
            model
                .groups
                .iter_mut()
                .find(|g| &g.name == group)
                .unwrap()
                .members
                .retain(|m| m != user);
        }
        Change::PutProject(spec) => match model.projects.iter_mut().find(|p| p.key == spec.key) {
            Some(p) => *p = spec.clone(),
            None => model.projects.push(spec.clone()),
        },
        Change::RemoveProject(key) => {
            model.projects.retain(|p| &p.key != key);
            model.environments.retain(|e| e.project.as_ref() != Some(key));
            model.roles.retain(|r| r.project.as_ref() != Some(key));
            model.members.retain(|m| &m.project != key);
            model.resources.retain(|r| &r.project != key);
        }
        Change::AddEnvironment(spec) => model.environments.push(spec.clone()),
        Change::RemoveEnvironment(name) => {
            model.environments.retain(|e| &e.name != name);
            for r in &mut model.roles {
                r.environments.retain(|e| e != name);
            }
            model.resources.retain(|r| r.environment.as_ref() != Some(name));
        }
        Change::PutRole(spec) => {
            match model
                .roles
                .iter_mut()
                .find(|r| r.name == spec.name && r.project == spec.project)
            {
                Some(r) => *r = spec.clone(),
                None => model.roles.push(spec.clone()),
            }
        }
        Change::RemoveRole { project, name } => {
            model.roles.retain(|r| !(&r.name == name && &r.project == project));
            for m in &mut model.members {
                if project.is_none() || project.as_ref() == Some(&m.project) {
                    m.roles.retain(|r| r != name);
                }
            }
            model.members.retain(|m| !m.roles.is_empty());
        }
        Change::SetMember(spec) => set_member(model, spec.clone()),
        Change::RemoveMember { project, principal } => {
            model
                .members
                .retain(|m| !(&m.project == project && &m.principal == principal));
        }
        Change::PutResource(spec) => {
            match model
                .resources
                .iter_mut()
                .find(|r| r.resource_type == spec.resource_type && r.name == spec.name)
            {
                Some(r) => *r = spec.clone(),
                None => model.resources.push(spec.clone()),
            }
        }
        Change::RemoveResource { resource_type, name } => {
            model
                .resources
                .retain(|r| !(&r.resource_type == resource_type && &r.name == name));
        }
    }
}

pub(crate) fn random_change(rng: &mut Rng, model: &Model, serial: usize) -> Option<Change> {
    let cat = catalogue();
    let user = |rng: &mut Rng| {
        model
            .users
            .get(rng.below(model.users.len().max(1)))
            .map(|u| u.name.clone())
    };
    let group = |rng: &mut Rng| {
        model
            .groups
            .get(rng.below(model.groups.len().max(1)))
            .map(|g| g.name.clone())
    };
    let project = |rng: &mut Rng| {
        model
            .projects
            .get(rng.below(model.projects.len().max(1)))
            .map(|p| p.key.clone())
    };
    Some(match rng.below(17) {
        0 => Change::PutUser(UserSpec {
            name: if rng.chance(50) {
                user(rng)?
            } else {
                format!("new{serial}")
            },
            status: random_status(rng),
            admin: rng.chance(10),
            kind: UserKind::Person,
            account_permissions: Default::default(),
        }),
        1 => Change::RemoveUser(user(rng)?),
        2 => Change::AddGroup(format!("ng{serial}")),
        3 => Change::RemoveGroup(group(rng)?),
        4 => Change::AddGroupMember {
            group: group(rng)?,
            user: user(rng)?,
        },
        5 => Change::RemoveGroupMember {
            group: group(rng)?,
            user: user(rng)?,
        },
        6 => Change::PutProject(ProjectSpec {
            key: if rng.chance(60) {
                project(rng)?
            } else {
                format!("np{serial}")
            },
            admin_privileges: random_privileges(rng),
        }),
        7 => Change::RemoveProject(project(rng)?),
        8 => {
            let owner = if rng.chance(50) { Some(project(rng)?) } else { None };
            let name = match &owner {
                Some(key) => format!("{key}-E{serial}"),
                None => format!("E{serial}"),
            };
            Change::AddEnvironment(EnvironmentSpec { name, project: owner })
        }
        9 => {
            let removable: Vec<&EnvironmentSpec> = model
                .environments
                .iter()
                .filter(|e| e.name != "DEV" && e.name != "PROD")
                .collect();
            Change::RemoveEnvironment(removable.get(rng.below(removable.len().max(1)))?.name.clone())
        }
        10 => {
            let existing = model.roles.get(rng.below(model.roles.len()))?;
            if existing.role_type == RoleType::Admin || existing.role_type == RoleType::Predefined {
                // Predefined roles keep their actions; only environments change.
                let mut role = existing.clone();
                role.environments = picks(rng, &env_choices(model, None), 2);
                role.environments.sort();
                role.environments.dedup();
                Change::PutRole(role)
            } else {
                Change::PutRole(random_role(
                    rng,
                    &cat,
                    model,
                    existing.name.clone(),
                    existing.project.as_deref(),
                ))
            }
        }
        11 => {
            let owner = if rng.chance(60) { Some(project(rng)?) } else { None };
            Change::PutRole(random_role(rng, &cat, model, format!("NR{serial}"), owner.as_deref()))
        }
        12 => {
            let role = model.roles.get(rng.below(model.roles.len()))?;
            Change::RemoveRole {
                project: role.project.clone(),
                name: role.name.clone(),
            }
        }
        13 => {
            let key = project(rng)?;
            Change::SetMember(random_member(rng, model, &key)?)
        }
        15 => {
            let key = project(rng)?;
            let name = match model.resources.get(rng.below(model.resources.len().max(1))) {
                Some(existing) if rng.chance(40) => existing.name.clone(),
                _ => format!("nres{serial}"),
            };
            let mut spec = random_resource(rng, model, name, &key);
            if rng.chance(10) {
                // Sometimes invalid: an environment of no project, or none for a scoped type.
                spec.environment = if spec.environment.is_some() {
                    None
                } else {
                    Some("NOPE".into())
                };
            }
            Change::PutResource(spec)
        }
        16 => {
            let r = model.resources.get(rng.below(model.resources.len().max(1)))?;
            Change::RemoveResource {
                resource_type: r.resource_type.clone(),
                name: if rng.chance(10) { "ghost".into() } else { r.name.clone() },
            }
        }
        _ => {
            let m = model.members.get(rng.below(model.members.len().max(1)))?;
            Change::RemoveMember {
                project: m.project.clone(),
                principal: m.principal.clone(),
            }
        }
    })
}

pub(crate) fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1_000);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn check_and_explain_equal_the_reference(seed in any::<u64>()) {
        let model = random_model(seed);
        let s = Snapshot::compile(catalogue(), &model).unwrap();
        assert_matches_reference(&s, &model);
    }

    #[test]
    fn reverse_questions_agree_with_check(seed in any::<u64>()) {
        let model = random_model(seed);
        let s = Snapshot::compile(catalogue(), &model).unwrap();
        let cat = s.catalogue().clone();
        let users: Vec<_> = s.users().map(|(_, id)| id).collect();
        for (_, project) in s.projects() {
            let envs = s.project_environments(project);
            for user in &users {
                let perms = s.effective_permissions(*user, project).unwrap();
                for action in cat.all_actions().iter() {
                    let listed = perms.iter().find(|p| p.action == action);
                    if cat.env_scoped().contains(action) {
                        for env in &envs {
                            let q = Query { user: *user, action, project, environment: Some(*env) };
                            let in_list = listed.is_some_and(|p| p.environments.as_ref().unwrap().contains(env));
                            prop_assert_eq!(s.check(&q).unwrap(), in_list);
                        }
                    } else {
                        let q = Query { user: *user, action, project, environment: None };
                        prop_assert_eq!(s.check(&q).unwrap(), listed.is_some());
                        prop_assert!(listed.is_none_or(|p| p.environments.is_none()));
                    }
                    if let Some(p) = listed {
                        prop_assert!(!p.grants.is_empty());
                    }
                }
            }
            for action in cat.all_actions().iter() {
                let places: Vec<_> =
                    if cat.env_scoped().contains(action) { envs.iter().copied().map(Some).collect() } else { vec![None] };
                for environment in places {
                    let who: BTreeSet<_> = s.who_can(project, action, environment).unwrap().into_iter().map(|a| a.user).collect();
                    let expected: BTreeSet<_> = users
                        .iter()
                        .copied()
                        .filter(|u| s.check(&Query { user: *u, action, project, environment }).unwrap())
                        .collect();
                    prop_assert_eq!(who, expected);
                }
            }
        }
    }

    #[test]
    fn incremental_changes_equal_recompiling(seed in any::<u64>(), steps in 1usize..12) {
        let cat = catalogue();
        let mut model = random_model(seed);
        let mut s = Snapshot::compile(cat.clone(), &model).unwrap();
        let mut rng = Rng(seed ^ 0xA5A5);
        for step in 0..steps {
            let Some(change) = random_change(&mut rng, &model, step) else { continue };
            let Ok(next) = s.apply(&change) else { continue };
            apply_to_model(&mut model, &change);
            s = next;
            let fresh = Snapshot::compile(cat.clone(), &model).unwrap();
            let u = universe(&model, &cat);
            let diff = first_difference(&decisions(&s, &u), &decisions(&fresh, &u));
            prop_assert!(diff.is_none(), "after {:?}: {}", change, diff.unwrap_or_default());
            prop_assert_eq!(resource_view(&s), resource_view(&fresh), "after {:?}", change);
            prop_assert_eq!(membership_view(&s), membership_view(&fresh), "after {:?}", change);
            for r in &model.resources {
                let (key, env) = s.resolve_resource(&r.resource_type, &r.name).unwrap();
                prop_assert_eq!((key, env), (r.project.as_str(), r.environment.as_deref()));
            }
        }
        assert_matches_reference(&s, &model);
    }

    #[test]
    fn an_owned_model_compiles_as_a_borrowed_one(seed in any::<u64>()) {
        let cat = catalogue();
        let model = random_model(seed);
        let borrowed = Snapshot::compile(cat.clone(), &model).unwrap();
        let owned = Snapshot::compile_owned(cat.clone(), model.clone()).unwrap();
        let u = universe(&model, &cat);
        let diff = first_difference(&decisions(&borrowed, &u), &decisions(&owned, &u));
        prop_assert!(diff.is_none(), "{}", diff.unwrap_or_default());
        prop_assert_eq!(resource_view(&borrowed), resource_view(&owned));
        prop_assert_eq!(membership_view(&borrowed), membership_view(&owned));
        assert_matches_reference(&owned, &model);
    }

    #[test]
    fn a_model_compiles_alike_on_any_number_of_threads(seed in any::<u64>(), threads in 2usize..5, steps in 0usize..6) {
        let cat = catalogue();
        let mut model = random_model(seed);
        let one = Snapshot::compile(cat.clone(), &model).unwrap();
        let threads = std::num::NonZeroUsize::new(threads).unwrap();
        let borrowed = Snapshot::compile_on(cat.clone(), &model, threads).unwrap();
        let mut s = Snapshot::compile_owned_on(cat.clone(), model.clone(), threads).unwrap();
        let u = universe(&model, &cat);
        for on_threads in [&borrowed, &s] {
            let diff = first_difference(&decisions(&one, &u), &decisions(on_threads, &u));
            prop_assert!(diff.is_none(), "{}", diff.unwrap_or_default());
            prop_assert_eq!(resource_view(&one), resource_view(on_threads));
            prop_assert_eq!(membership_view(&one), membership_view(on_threads));
        }
        // The snapshot compiled on threads takes later changes as one does.
        let mut rng = Rng(seed ^ 0x5A5A);
        for step in 0..steps {
            let Some(change) = random_change(&mut rng, &model, step) else { continue };
            let Ok(next) = s.apply(&change) else { continue };
            apply_to_model(&mut model, &change);
            s = next;
        }
        assert_matches_reference(&s, &model);
    }

    #[test]
    fn a_token_never_allows_more_than_its_user(seed in any::<u64>()) {
        let model = random_model(seed);
        let s = Snapshot::compile(catalogue(), &model).unwrap();
        let mut rng = Rng(seed.rotate_left(7));
        let cat = s.catalogue().clone();
        let actions: Vec<String> = cat.actions().iter().map(|a| a.id.clone()).collect();
        let entries: Vec<ScopeEntrySpec> = (0..1 + rng.below(3))
            .map(|_| {
                let project = rng.pick(&model.projects).key.clone();
                let environments = picks(&mut rng, &env_choices(&model, Some(&project)), 2);
                ScopeEntrySpec { project, actions: picks(&mut rng, &actions, 10), categories: vec![], environments }
            })
            .collect();
        let scope = s.token_scope(&entries).unwrap();
        for_each_question(&universe(&model, &cat), |user, action, project, env| {
            if let Ok(Ok(q)) = s.query(user, action, project, env) {
                let through_token = s.check_scoped(&q, &scope).unwrap();
                assert!(!through_token || s.check(&q).unwrap());
                let explained = s.explain_scoped(&q, &scope).unwrap();
                assert_eq!(explained.is_allow(), through_token);
                if s.check(&q).unwrap() && !through_token {
                    assert_eq!(explained, Explanation::Deny(Denial::TokenScopeExcludes));
                }
            }
        });
        // What a token reads of its own permissions is what its checks allow.
        let users: Vec<_> = s.users().map(|(_, id)| id).collect();
        for (_, project) in s.projects() {
            for user in &users {
                let perms = s.effective_permissions_within(*user, project, &scope).unwrap();
                for env in s.project_environments(project).into_iter().map(Some).chain([None]) {
                    for action in cat.all_actions().iter() {
                        if cat.env_scoped().contains(action) != env.is_some() {
                            continue;
                        }
                        let q = Query { user: *user, action, project, environment: env };
                        let listed = perms.iter().find(|p| p.action == action).is_some_and(|p| match (&p.environments, env) {
                            (Some(envs), Some(env)) => envs.contains(&env),
                            (None, None) => true,
                            _ => false,
                        });
                        prop_assert_eq!(listed, s.check_scoped(&q, &scope).unwrap());
                    }
                }
            }
        }
        // A stored scope whose environments were all deleted since fails
        // closed: no environment-scoped action, and never an error.
        let stale: Vec<ScopeEntrySpec> = entries
            .iter()
            .map(|e| ScopeEntrySpec { environments: vec!["DELETED".to_owned()], ..e.clone() })
            .collect();
        prop_assert!(s.token_scope(&stale).is_err());
        let stored = s.stored_token_scope(&stale);
        for_each_question(&universe(&model, &cat), |user, action, project, env| {
            if let Ok(Ok(q)) = s.query(user, action, project, env) {
                let allowed = s.check_scoped(&q, &stored).unwrap();
                assert!(!allowed || !cat.env_scoped().contains(q.action), "{user} {action} {project} {env:?}");
                assert!(!allowed || s.check_scoped(&q, &scope).unwrap());
            }
        });
    }

    #[test]
    fn adding_a_grant_never_removes_an_allow(seed in any::<u64>()) {
        let cat = catalogue();
        let mut model = random_model(seed);
        let before = Snapshot::compile(cat.clone(), &model).unwrap();
        let mut rng = Rng(seed ^ 0x5151);
        let key = rng.pick(&model.projects).key.clone();
        let Some(mut grant) = random_member(&mut rng, &model, &key) else { return Ok(()) };
        if let Some(existing) = model.members.iter().find(|m| m.project == key && m.principal == grant.principal) {
            grant.roles.extend(existing.roles.iter().cloned());
            grant.roles.sort();
            grant.roles.dedup();
        }
        let after = before.apply(&Change::SetMember(grant.clone())).unwrap();
        apply_to_model(&mut model, &Change::SetMember(grant));
        let u = universe(&model, &cat);
        let (was, now) = (allowed_set(&before, &u), allowed_set(&after, &u));
        prop_assert!(was.is_subset(&now), "lost: {:?}", was.difference(&now).collect::<Vec<_>>());
    }

    #[test]
    fn a_disabled_user_is_denied_everything(seed in any::<u64>()) {
        let cat = catalogue();
        let model = random_model(seed);
        let mut s = Snapshot::compile(cat.clone(), &model).unwrap();
        for user in &model.users {
            s = s.apply(&Change::PutUser(UserSpec { status: UserStatus::Disabled, ..user.clone() })).unwrap();
        }
        for_each_question(&universe(&model, &cat), |user, action, project, env| {
            if let Ok(Ok(q)) = s.query(user, action, project, env) {
                assert!(!s.check(&q).unwrap());
                assert_eq!(s.explain(&q).unwrap(), Explanation::Deny(Denial::UserDisabled));
            }
        });
    }

    /// SPEC §2.1: a lock guards the password alone; a locked user's checks
    /// are those of an enabled one, explanations included.
    #[test]
    fn a_locked_user_is_decided_as_an_enabled_one(seed in any::<u64>()) {
        let cat = catalogue();
        let model = random_model(seed);
        let (mut enabled, mut locked) = (
            Snapshot::compile(cat.clone(), &model).unwrap(),
            Snapshot::compile(cat.clone(), &model).unwrap(),
        );
        for user in model.users.iter().filter(|u| u.status != UserStatus::Disabled) {
            enabled = enabled.apply(&Change::PutUser(UserSpec { status: UserStatus::Active, ..user.clone() })).unwrap();
            locked = locked.apply(&Change::PutUser(UserSpec { status: UserStatus::Locked, ..user.clone() })).unwrap();
        }
        let u = universe(&model, &cat);
        let diff = first_difference(&decisions(&enabled, &u), &decisions(&locked, &u));
        prop_assert!(diff.is_none(), "{}", diff.unwrap_or_default());
    }

    /// SPEC §2.5: if A dominates B, every check B passes A passes, and A
    /// holds every account permission B holds; and the other way round, if
    /// A (not disabled) does not dominate B (not disabled), B holds
    /// something A lacks.
    #[test]
    fn dominance_is_holding_everything_the_other_holds(seed in any::<u64>()) {
        let cat = catalogue();
        let mut model = random_model(seed);
        let mut rng = Rng(seed ^ 0xD0D0);
        let all: Vec<gatehouse_authz::AccountPermission> = gatehouse_authz::AccountPermission::ALL.to_vec();
        for user in &mut model.users {
            user.account_permissions = picks(&mut rng, &all, 2).into_iter().collect();
        }
        let s = Snapshot::compile(cat.clone(), &model).unwrap();
        let full = gatehouse_authz::TokenScope::user();
        let users: Vec<_> = s.users().map(|(_, id)| id).collect();
        let mut questions = Vec::new();
        for (_, project) in s.projects() {
            for action in cat.all_actions().iter() {
                if cat.env_scoped().contains(action) {
                    for env in s.project_environments(project) {
                        questions.push((action, project, Some(env)));
                    }
                } else {
                    questions.push((action, project, None));
                }
            }
        }
        for a in &users {
            for b in &users {
                let actor = gatehouse_authz::Actor { user: *a, scope: &full };
                let dominates = s.may_act_on_user(&actor, *b).is_ok();
                let passes = |user, (action, project, environment): &(_, _, _)| {
                    s.check(&Query { user, action: *action, project: *project, environment: *environment }).unwrap()
                };
                let b_beyond_a = questions.iter().find(|q| passes(*b, q) && !passes(*a, q));
                let a_admin = s.is_admin(*a) && s.user_status(*a) != Some(UserStatus::Disabled);
                let perms_beyond = !a_admin
                    && !s.account_permissions(*b).iter().all(|p| s.account_permissions(*a).contains(p));
                let admin_beyond = s.is_admin(*b) && !a_admin;
                if dominates {
                    prop_assert!(b_beyond_a.is_none(), "{a:?} dominates {b:?}, yet {b_beyond_a:?}");
                    prop_assert!(!perms_beyond && !admin_beyond, "{a:?} dominates {b:?}");
                } else if s.user_status(*a) != Some(UserStatus::Disabled)
                    && s.user_status(*b) != Some(UserStatus::Disabled)
                {
                    prop_assert!(
                        b_beyond_a.is_some() || perms_beyond || admin_beyond,
                        "{a:?} does not dominate {b:?}, yet holds everything it holds"
                    );
                }
            }
        }
    }
}
