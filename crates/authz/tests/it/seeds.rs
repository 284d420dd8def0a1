//! The two seed examples of SPEC §2.1, exactly.
//!
//! Fixture choice (as §2.1 asks to state it): the seed's *Developer* is a
//! custom global role named "Seed Developer" granting read and write on
//! artifacts in DEV and PROD, beside the catalogue's predefined Developer.

use gatehouse_authz::{Denial, Explanation, Grant, GroupSpec, Member, Model, RoleGrants, UserSpec};

use crate::fixtures::{allows, compile, group, member, platform, project, role, user};

const ARTIFACT_TYPES: [&str; 3] = ["repository", "build", "release_bundle"];

fn seed_one() -> Model {
    let mut model = Model::new(&platform());
    model.users.push(UserSpec::person("alice"));
    model.projects.push(project("web"));
    let mut developer = role("Seed Developer", None, &[], &["DEV", "PROD"]);
    developer.grants = RoleGrants::Categories(vec!["artifacts.read".into(), "artifacts.write".into()]);
    model.roles.push(developer);
    let mut lead = role("Lead Developer", Some("web"), &[], &["DEV"]);
    lead.grants = RoleGrants::Categories(vec![
        "artifacts.read".into(),
        "artifacts.write".into(),
        "artifacts.delete".into(),
    ]);
    model.roles.push(lead);
    model
        .members
        .push(member("web", user("alice"), &["Seed Developer", "Lead Developer"]));
    model
}

#[test]
fn developer_and_lead_developer_delete_only_in_dev() {
    let snapshot = compile(&seed_one());
    for ty in ARTIFACT_TYPES {
        let write = if ty == "release_bundle" { "create" } else { "deploy" };
        for (action, env, expected) in [
            ("read", "DEV", true),
            ("read", "PROD", true),
            (write, "DEV", true),
            (write, "PROD", true),
            ("delete", "DEV", true),
            ("delete", "PROD", false),
        ] {
            let action = format!("{ty}.{action}");
            assert_eq!(
                allows(&snapshot, "alice", &action, "web", Some(env)),
                expected,
                "{action} in {env}"
            );
        }
    }
}

#[test]
fn seed_one_explains_both_roles_and_the_environment() {
    let snapshot = compile(&seed_one());
    let q = snapshot
        .query("alice", "repository.read", "web", Some("DEV"))
        .unwrap()
        .unwrap();
    let Explanation::Allow(grants) = snapshot.explain(&q).unwrap() else {
        panic!("read in DEV is allowed")
    };
    let alice = snapshot.user_id("alice").unwrap();
    let names: Vec<&str> = grants
        .iter()
        .map(|g| match g {
            Grant::Role { via, role } => {
                assert_eq!(*via, Member::User(alice));
                snapshot.role(*role).unwrap().name()
            }
            Grant::PlatformAdmin => panic!("alice is no admin"),
        })
        .collect();
    assert_eq!(names, ["Seed Developer", "Lead Developer"]);

    let q = snapshot
        .query("alice", "repository.delete", "web", Some("DEV"))
        .unwrap()
        .unwrap();
    let Explanation::Allow(grants) = snapshot.explain(&q).unwrap() else {
        panic!("delete in DEV is allowed")
    };
    assert_eq!(grants.len(), 1);
    let Grant::Role { role, .. } = grants[0] else {
        panic!("a role grant")
    };
    let role = snapshot.role(role).unwrap();
    assert_eq!(role.name(), "Lead Developer");
    assert_eq!(role.environment_names().collect::<Vec<_>>(), ["DEV"]);

    let q = snapshot
        .query("alice", "DELETE_OVERWRITE_REPOSITORY", "web", Some("PROD"))
        .unwrap()
        .unwrap();
    assert_eq!(
        snapshot.explain(&q).unwrap(),
        Explanation::Deny(Denial::EnvironmentNotGranted)
    );
    let q = snapshot
        .query("alice", "pipeline.trigger", "web", None)
        .unwrap()
        .unwrap();
    assert_eq!(
        snapshot.explain(&q).unwrap(),
        Explanation::Deny(Denial::ActionNotGranted)
    );
}

#[test]
fn qa_tester_grants_exactly_its_actions() {
    let catalogue = platform();
    let mut model = Model::new(&catalogue);
    model.users.push(UserSpec::person("quinn"));
    model.users.push(UserSpec::person("gina"));
    model.groups.push(GroupSpec {
        name: "qa".into(),
        members: vec!["gina".into()],
    });
    model.projects.push(project("us-rnd"));
    let granted = [
        "repository.read",
        "repository.deploy",
        "build.delete",
        "release_bundle.promote",
        "pipeline.trigger",
    ];
    model
        .roles
        .push(role("QA Tester", Some("us-rnd"), &granted, &["DEV", "PROD"]));
    model.members.push(member("us-rnd", user("quinn"), &["QA Tester"]));
    model.members.push(member("us-rnd", group("qa"), &["QA Tester"]));
    let snapshot = compile(&model);
    for who in ["quinn", "gina"] {
        for action in catalogue.actions() {
            for env in ["DEV", "PROD"] {
                let expected = granted.contains(&action.id.as_str());
                let env = action.env_scoped.then_some(env);
                assert_eq!(
                    allows(&snapshot, who, &action.id, "us-rnd", env),
                    expected,
                    "{who}: {} in {env:?}",
                    action.id
                );
            }
        }
    }
    // Through the group, the explanation names the group.
    let q = snapshot
        .query("gina", "TRIGGER_PIPELINE", "us-rnd", None)
        .unwrap()
        .unwrap();
    let qa = snapshot.group_id("qa").unwrap();
    let role = snapshot.role_id(snapshot.project_id("us-rnd"), "QA Tester").unwrap();
    assert_eq!(
        snapshot.explain(&q).unwrap(),
        Explanation::Allow(gatehouse_authz::Grants::from_vec(vec![Grant::Role {
            via: Member::Group(qa),
            role
        }]))
    );
    // A member of one project gets nothing in another.
    model.projects.push(project("other"));
    let snapshot = compile(&model);
    assert!(!allows(&snapshot, "quinn", "repository.read", "other", Some("DEV")));
}

#[test]
fn unknown_things_are_denied_first_even_for_admins() {
    let mut model = seed_one();
    model.users.push(UserSpec {
        admin: true,
        ..UserSpec::person("root")
    });
    model.projects.push(project("api"));
    model.environments.push(crate::fixtures::project_env("api", "QA"));
    let snapshot = compile(&model);
    assert!(allows(&snapshot, "root", "repository.delete", "web", Some("PROD")));
    assert_eq!(
        snapshot
            .query("root", "repository.read", "nowhere", Some("DEV"))
            .unwrap(),
        Err(Denial::UnknownProject)
    );
    assert_eq!(
        snapshot.query("ghost", "repository.read", "web", Some("DEV")).unwrap(),
        Err(Denial::UnknownUser)
    );
    assert_eq!(
        snapshot
            .query("root", "repository.read", "web", Some("api-QA"))
            .unwrap(),
        Err(Denial::UnknownEnvironment)
    );
    assert_eq!(
        snapshot.query("root", "repository.read", "web", None),
        Err(gatehouse_authz::QueryError::EnvironmentRequired)
    );
    assert_eq!(
        snapshot.query("root", "repository.fly", "web", Some("DEV")),
        Err(gatehouse_authz::QueryError::UnknownAction)
    );
}
