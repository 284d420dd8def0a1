//! Grants, decisions and reverse answers named for people from a snapshot.

use std::sync::Arc;

use gatehouse_api::{CheckResponse, Grant, ScopeKind, Via, grant};
use gatehouse_authz::{Catalogue, MemberSpec, Model, Principal, ProjectSpec, Snapshot, UserSpec};

fn snapshot() -> Snapshot {
    let catalogue = Arc::new(Catalogue::platform().unwrap());
    let mut model = Model::new(&catalogue);
    model.users.push(UserSpec::person("alice"));
    let mut root = UserSpec::person("root");
    root.admin = true;
    model.users.push(root);
    model.projects.push(ProjectSpec {
        key: "web".into(),
        admin_privileges: Default::default(),
    });
    model.members.push(MemberSpec {
        project: "web".into(),
        principal: Principal::User("alice".into()),
        roles: vec!["Developer".into()],
    });
    Snapshot::compile(catalogue, &model).unwrap()
}

#[test]
fn an_allow_names_its_grants() {
    let snap = snapshot();
    let q = snap
        .query("alice", "repository.deploy", "web", Some("DEV"))
        .unwrap()
        .unwrap();
    let answer = CheckResponse::explained(&snap, q.user, &snap.explain(&q).unwrap());
    assert!(answer.allowed);
    assert_eq!(
        answer.reasons.unwrap(),
        vec![Grant {
            via: Via::User,
            name: "alice".into(),
            role: "Developer".into(),
            role_scope: ScopeKind::Global,
            environments: vec!["DEV".into()],
        }]
    );
}

#[test]
fn a_deny_names_its_code() {
    let snap = snapshot();
    let q = snap
        .query("alice", "repository.deploy", "web", Some("PROD"))
        .unwrap()
        .unwrap();
    let answer = serde_json::to_value(CheckResponse::explained(&snap, q.user, &snap.explain(&q).unwrap())).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"allowed": false, "revision": snap.revision(), "denial": "environment_not_granted"})
    );
}

#[test]
fn a_platform_admin_grant_names_the_admin() {
    let snap = snapshot();
    let root = snap.user_id("root").unwrap();
    let g = serde_json::to_value(grant(&snap, root, &gatehouse_authz::Grant::PlatformAdmin)).unwrap();
    assert_eq!(
        g,
        serde_json::json!({"via": "admin", "name": "root", "role": "Platform Admin", "role_scope": "global", "environments": []})
    );
}
