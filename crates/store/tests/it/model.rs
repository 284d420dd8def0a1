//! `load_model`: the whole model, equal to what the commits described and
//! to the change log replayed; fast at the reference scale (10,000 users,
//! 500 projects, 60,000 members).

use std::time::Instant;

use gatehouse_authz::{Model, RoleGrants};
use gatehouse_domain::commit::{member_spec, role_spec, user_spec};
use gatehouse_domain::entities::User;
use gatehouse_domain::{Mutation, Store as _};
use gatehouse_store::Backend;

use crate::backend::{Db, conformance};
use crate::fixtures::*;

async fn world_model(db: Db) {
    let rev = build_world(&db).await;
    let (model, at_rev) = db.store.load_model().await.unwrap();
    assert_eq!(at_rev, rev);

    let users: Vec<_> = ["alice", "bob", "carol", "dave"].map(|n| user_spec(&user(n))).into();
    assert_eq!(model.users, users);
    let groups: Vec<_> = model
        .groups
        .iter()
        .map(|g| (g.name.as_str(), g.members.clone()))
        .collect();
    assert_eq!(
        groups,
        [
            ("devs", vec!["alice".to_owned(), "bob".to_owned()]),
            ("ops", vec!["carol".to_owned()])
        ]
    );
    let projects: Vec<_> = model.projects.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(projects, ["api", "web"]);
    let envs: Vec<_> = model
        .environments
        .iter()
        .map(|e| (e.name.as_str(), e.project.as_deref()))
        .collect();
    assert_eq!(envs, [("DEV", None), ("PROD", None), ("web-QA", Some("web"))]);
    let roles = vec![
        role_spec(&role(None, "Reader", &["DEV"])),
        role_spec(&role(Some("api"), "Operator", &["PROD"])),
        role_spec(&advanced_role(Some("web"), "Deployer", &["web-QA", "PROD"])),
    ];
    assert_eq!(model.roles, roles);
    assert!(
        matches!(model.roles[2].grants, RoleGrants::Actions(_)),
        "Advanced → actions"
    );
    assert!(
        matches!(model.roles[0].grants, RoleGrants::Categories(_)),
        "Basic → categories"
    );
    let members = vec![
        member_spec(&group_member("api", "ops", &["Operator"])),
        member_spec(&user_member("api", "alice", &["Reader"])),
        member_spec(&user_member("api", "carol", &["Operator", "Reader"])),
        member_spec(&group_member("web", "devs", &["Reader"])),
        member_spec(&user_member("web", "alice", &["Deployer", "Reader"])),
        member_spec(&user_member("web", "bob", &["Deployer"])),
    ];
    // Users before groups within a project.
    let mut expected = members;
    expected.sort_by_key(|m| {
        (
            m.project.clone(),
            matches!(m.principal, gatehouse_authz::Principal::Group(_)),
            format!("{:?}", m.principal),
        )
    });
    assert_eq!(model.members, expected);
}
conformance!(load_model_reads_the_whole_model, world_model);

/// A model read while commits land is the model of the revision it
/// answers: the store reads the members in a transaction of their own
/// beside the rest, and joins the two only when they saw one revision.
async fn read_while_committing(db: Db) {
    const COMMITS: usize = 150;
    let base = build_world(&db).await;
    let (model, _) = db.store.load_model().await.unwrap();
    let (users, members) = (model.users.len(), model.members.len());
    let store = db.store.clone();
    let writer = tokio::spawn(async move {
        for i in 0..COMMITS {
            let name = format!("w{i:03}");
            let mutations = vec![
                Mutation::CreateUser(user(&name)),
                Mutation::SetMember(user_member("web", &name, &["Reader"])),
            ];
            store.commit(&commit(mutations), at(0)).await.unwrap();
        }
    });
    let mut reads = 0;
    while !writer.is_finished() {
        let (model, revision) = db.store.load_model().await.unwrap();
        let landed = usize::try_from(revision - base).unwrap();
        assert_eq!(
            (model.users.len(), model.members.len()),
            (users + landed, members + landed),
            "the model read at revision {revision}"
        );
        reads += 1;
    }
    writer.await.unwrap();
    assert!(reads > 1, "{reads} reads while {COMMITS} commits landed");
}
conformance!(a_model_read_while_commits_land_is_one_revision, read_while_committing);

/// Commits at the reference scale; answers the revision.
async fn reference_scale(db: &Db) -> u64 {
    let mut last = 0;
    let users: Vec<String> = (0..10_000).map(|i| format!("u{i:05}")).collect();
    for chunk in users.chunks(5_000) {
        apply(
            db,
            chunk
                .iter()
                .map(|n| Mutation::CreateUser(User { email: None, ..user(n) }))
                .collect(),
        )
        .await;
    }
    let mut setup = vec![
        Mutation::CreateEnvironment(env("DEV", None)),
        Mutation::CreateEnvironment(env("PROD", None)),
    ];
    for r in 0..5 {
        setup.push(Mutation::PutRole(role(None, &format!("Global {r}"), &["DEV", "PROD"])));
    }
    for g in 0..1_000 {
        setup.push(Mutation::CreateGroup(group(&format!("g{g:04}"))));
        for k in 0..(g % 6) {
            setup.push(Mutation::AddGroupMember(
                gatehouse_domain::names::GroupName::parse(&format!("g{g:04}")).unwrap(),
                uname(&users[(g * 7 + k * 1_013) % users.len()]),
            ));
        }
    }
    apply(db, setup).await;
    for chunk in (0..500).collect::<Vec<usize>>().chunks(50) {
        let mut mutations = Vec::new();
        for &p in chunk {
            let key = format!("p{p:03}");
            mutations.push(Mutation::CreateProject(project(&key)));
            mutations.push(Mutation::CreateEnvironment(env(&format!("{key}-QA"), Some(&key))));
            for r in 0..10 {
                mutations.push(Mutation::PutRole(advanced_role(
                    Some(&key),
                    &format!("Role {r}"),
                    &[&format!("{key}-QA")],
                )));
            }
            for m in 0..100 {
                let name = &users[(p * 101 + m * 37) % users.len()];
                mutations.push(Mutation::SetMember(user_member(&key, name, &["Role 1", "Global 2"])));
            }
            for m in 0..20 {
                let name = format!("g{:04}", (p * 13 + m * 7) % 1_000);
                mutations.push(Mutation::SetMember(group_member(&key, &name, &["Role 3"])));
            }
        }
        last = apply(db, mutations).await;
    }
    last
}

async fn at_scale(db: Db) {
    let started = Instant::now();
    let rev = reference_scale(&db).await;
    eprintln!(
        "{:?}: wrote the reference scale in {:.1?}",
        db.backend(),
        started.elapsed()
    );
    let started = Instant::now();
    let (model, at_rev) = db.store.load_model().await.unwrap();
    let elapsed = started.elapsed();
    eprintln!("{:?}: load_model in {elapsed:.1?}", db.backend());
    assert_eq!(at_rev, rev);
    assert_eq!(
        (
            model.users.len(),
            model.groups.len(),
            model.projects.len(),
            model.roles.len(),
            model.members.len()
        ),
        (10_000, 1_000, 500, 5_005, 60_000)
    );
    if db.backend() == Backend::Sqlite {
        // The target, "well under 2 s", is for a release build. An
        // unoptimised SQLite and sqlx take about 0.9 s alone on this
        // machine, more beside the other tests on two cores.
        let limit_ms = if cfg!(debug_assertions) { 5_000 } else { 2_000 };
        assert!(elapsed.as_millis() < limit_ms, "load_model took {elapsed:?}");
    }
    // The change log replayed onto an empty model gives the same model.
    assert_eq!(replay(&db).await, model);
}
conformance!(load_model_at_reference_scale, at_scale);

/// Applies the change log, change by change, to an empty model by hand.
async fn replay(db: &Db) -> Model {
    use gatehouse_authz::Change;
    let mut m = Model::default();
    for entry in db.store.changes_since(0).await.unwrap() {
        for change in entry.changes {
            match change {
                Change::PutUser(u) => match m.users.iter_mut().find(|x| x.name == u.name) {
                    Some(x) => *x = u,
                    None => m.users.push(u),
                },
                Change::AddGroup(g) => m.groups.push(gatehouse_authz::GroupSpec {
                    name: g,
                    members: Vec::new(),
                }),
                Change::AddGroupMember { group, user } => {
                    if let Some(g) = m.groups.iter_mut().find(|g| g.name == group) {
                        g.members.push(user);
                    }
                }
                Change::PutProject(p) => m.projects.push(p),
                Change::AddEnvironment(e) => m.environments.push(e),
                Change::PutRole(r) => m.roles.push(r),
                Change::SetMember(mut s) => {
                    s.roles.sort();
                    m.members.push(s);
                }
                other => unreachable!("the scale fixture makes no {other:?}"),
            }
        }
    }
    m.users.sort_by(|a, b| a.name.cmp(&b.name));
    m.groups.sort_by(|a, b| a.name.cmp(&b.name));
    for g in &mut m.groups {
        g.members.sort();
    }
    m.projects.sort_by(|a, b| a.key.cmp(&b.key));
    m.environments.sort_by(|a, b| a.name.cmp(&b.name));
    m.roles.sort_by(|a, b| {
        (a.project.clone().unwrap_or_default(), &a.name).cmp(&(b.project.clone().unwrap_or_default(), &b.name))
    });
    m.members.sort_by_key(|s| {
        let (kind, name) = match &s.principal {
            gatehouse_authz::Principal::User(u) => (0, u.clone()),
            gatehouse_authz::Principal::Group(g) => (1, g.clone()),
        };
        (s.project.clone(), kind, name)
    });
    m
}

async fn first_start(db: Db) {
    let catalogue = gatehouse_authz::Catalogue::platform().unwrap();
    let init = gatehouse_domain::commands::init::initialize(&catalogue, "$argon2id$x".to_owned(), at(0)).unwrap();
    assert_eq!(db.store.commit(&init, at(0)).await.unwrap(), 1);
    let (model, rev) = db.store.load_model().await.unwrap();
    assert_eq!(rev, 1);
    let expected = Model::new(&catalogue);
    assert_eq!(model.environments, expected.environments);
    assert_eq!(model.roles.len(), expected.roles.len());
    assert!(
        model.roles.iter().all(|r| expected.roles.contains(r)),
        "the predefined roles, as the catalogue has them"
    );
    assert_eq!(
        model
            .users
            .iter()
            .map(|u| (u.name.as_str(), u.admin))
            .collect::<Vec<_>>(),
        [("admin", true)]
    );
    // What the store loads, the core compiles.
    gatehouse_authz::Snapshot::compile(std::sync::Arc::new(catalogue), &model).unwrap();
    // First start happens once.
    let again = db.store.commit(&init, at(0)).await.unwrap_err();
    assert_eq!(again, gatehouse_domain::StoreError::Stale { expected: 0, actual: 1 });
}
conformance!(first_start_loads_and_compiles, first_start);
