//! Deletes cascade exactly as SPEC §4–§5 say — and no further. Each case
//! starts from the fixture world, deletes one thing, and compares every
//! membership, group and role environment with what should remain.

use std::collections::BTreeSet;

use gatehouse_authz::Principal;
use gatehouse_domain::{Mutation, Store as _};

use crate::backend::{Db, conformance};
use crate::fixtures::*;

/// (project, "user:name" or "group:name", roles) of every member.
type Memberships = BTreeSet<(String, String, Vec<String>)>;

async fn memberships(db: &Db) -> Memberships {
    let (model, _) = db.store.load_model().await.unwrap();
    model
        .members
        .into_iter()
        .map(|m| {
            let who = match m.principal {
                Principal::User(u) => format!("user:{u}"),
                Principal::Group(g) => format!("group:{g}"),
            };
            (m.project, who, m.roles)
        })
        .collect()
}

fn m(project: &str, who: &str, roles: &[&str]) -> (String, String, Vec<String>) {
    (
        project.to_owned(),
        who.to_owned(),
        roles.iter().map(|r| (*r).to_owned()).collect(),
    )
}

/// The world's memberships (see `fixtures::world`).
fn world_members() -> Memberships {
    [
        m("api", "group:ops", &["Operator"]),
        m("api", "user:alice", &["Reader"]),
        m("api", "user:carol", &["Operator", "Reader"]),
        m("web", "group:devs", &["Reader"]),
        m("web", "user:alice", &["Deployer", "Reader"]),
        m("web", "user:bob", &["Deployer"]),
    ]
    .into_iter()
    .collect()
}

fn without(mut all: Memberships, gone: &[(&str, &str)]) -> Memberships {
    all.retain(|(p, who, _)| !gone.contains(&(p.as_str(), who.as_str())));
    all
}

fn replaced(all: Memberships, new: &[(&str, &str, &[&str])]) -> Memberships {
    let mut all = without(all, &new.iter().map(|(p, w, _)| (*p, *w)).collect::<Vec<_>>());
    all.extend(new.iter().map(|(p, w, r)| m(p, w, r)));
    all
}

async fn group_members(db: &Db) -> Vec<(String, Vec<String>)> {
    let (model, _) = db.store.load_model().await.unwrap();
    model.groups.into_iter().map(|g| (g.name, g.members)).collect()
}

async fn role_envs(db: &Db) -> Vec<(Option<String>, String, Vec<String>)> {
    let (model, _) = db.store.load_model().await.unwrap();
    model
        .roles
        .into_iter()
        .map(|r| (r.project, r.name, r.environments))
        .collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

fn world_groups() -> Vec<(String, Vec<String>)> {
    vec![
        ("devs".to_owned(), s(&["alice", "bob"])),
        ("ops".to_owned(), s(&["carol"])),
    ]
}

fn world_roles() -> Vec<(Option<String>, String, Vec<String>)> {
    vec![
        (None, "Reader".to_owned(), s(&["DEV"])),
        (Some("api".to_owned()), "Operator".to_owned(), s(&["PROD"])),
        (Some("web".to_owned()), "Deployer".to_owned(), s(&["web-QA", "PROD"])),
    ]
}

async fn delete_user(db: Db) {
    build_world(&db).await;
    apply(&db, vec![Mutation::DeleteUser(uname("alice"))]).await;
    assert_eq!(
        memberships(&db).await,
        without(world_members(), &[("web", "user:alice"), ("api", "user:alice")])
    );
    assert_eq!(
        group_members(&db).await,
        [("devs".to_owned(), s(&["bob"])), ("ops".to_owned(), s(&["carol"]))]
    );
    assert_eq!(db.store.token("tok-alice").await.unwrap(), None);
    assert_eq!(
        db.store
            .session(&session("sess-alice", "alice").id_sha256)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.store
            .invitation(&invitation("inv-alice", "alice").secret_sha256)
            .await
            .unwrap(),
        None
    );
    assert_eq!(db.count("users").await, 3);
    assert_eq!(role_envs(&db).await, world_roles());
    // The group alice left moved on; the other did not.
    let rev = db.store.revision().await.unwrap();
    assert_eq!(db.store.group(&gname("devs")).await.unwrap().unwrap().revision, rev);
    assert_eq!(db.store.group(&gname("ops")).await.unwrap().unwrap().revision, rev - 1);
}
conformance!(delete_user_cascades, delete_user);

async fn delete_group(db: Db) {
    build_world(&db).await;
    apply(&db, vec![Mutation::DeleteGroup(gname("devs"))]).await;
    assert_eq!(
        memberships(&db).await,
        without(world_members(), &[("web", "group:devs")])
    );
    assert_eq!(group_members(&db).await, [("ops".to_owned(), s(&["carol"]))]);
    assert_eq!(db.count("users").await, 4, "its users stay");
}
conformance!(delete_group_cascades, delete_group);

async fn delete_project(db: Db) {
    build_world(&db).await;
    apply(&db, vec![Mutation::DeleteProject(pkey("web"))]).await;
    assert_eq!(
        memberships(&db).await,
        without(
            world_members(),
            &[("web", "group:devs"), ("web", "user:alice"), ("web", "user:bob")]
        )
    );
    assert_eq!(
        role_envs(&db).await,
        [
            (None, "Reader".to_owned(), s(&["DEV"])),
            (Some("api".to_owned()), "Operator".to_owned(), s(&["PROD"]))
        ]
    );
    assert!(db.store.environments(Some(&pkey("web"))).await.unwrap().is_empty());
    assert_eq!(db.store.environments(None).await.unwrap().len(), 2);
    assert_eq!(db.count("environments").await, 2);
    assert_eq!(group_members(&db).await, world_groups());
    assert_eq!(db.count("users").await, 4);
}
conformance!(delete_project_cascades, delete_project);

async fn delete_global_role(db: Db) {
    build_world(&db).await;
    apply(&db, vec![Mutation::DeleteRole(None, rname("Reader"))]).await;
    // Across every project: members keep their other roles; members left
    // with none are gone.
    let expected = replaced(
        without(world_members(), &[("web", "group:devs"), ("api", "user:alice")]),
        &[
            ("web", "user:alice", &["Deployer"]),
            ("api", "user:carol", &["Operator"]),
        ],
    );
    assert_eq!(memberships(&db).await, expected);
    assert_eq!(db.count("roles").await, 2);
}
conformance!(delete_global_role_cascades, delete_global_role);

async fn delete_project_role(db: Db) {
    build_world(&db).await;
    let rev = apply(&db, vec![Mutation::DeleteRole(Some(pkey("web")), rname("Deployer"))]).await;
    let expected = replaced(
        without(world_members(), &[("web", "user:bob")]),
        &[("web", "user:alice", &["Reader"])],
    );
    assert_eq!(memberships(&db).await, expected);
    assert_eq!(db.store.project(&pkey("web")).await.unwrap().unwrap().revision, rev);
}
conformance!(delete_project_role_cascades, delete_project_role);

async fn delete_environment(db: Db) {
    build_world(&db).await;
    let rev = apply(&db, vec![Mutation::DeleteEnvironment(ename("web-QA"))]).await;
    let mut expected = world_roles();
    expected[2].2 = s(&["PROD"]);
    assert_eq!(role_envs(&db).await, expected);
    assert_eq!(
        db.store
            .role(Some(&pkey("web")), &rname("Deployer"))
            .await
            .unwrap()
            .unwrap()
            .revision,
        rev
    );
    assert_eq!(
        db.store.role(None, &rname("Reader")).await.unwrap().unwrap().revision,
        rev - 1
    );
    // A role left with no environment stays.
    apply(&db, vec![Mutation::DeleteEnvironment(ename("DEV"))]).await;
    expected[0].2 = Vec::new();
    assert_eq!(role_envs(&db).await, expected);
    assert_eq!(memberships(&db).await, world_members(), "members are untouched");
}
conformance!(delete_environment_cascades, delete_environment);
