//! Incremental edits that the random properties found wrong once, kept as
//! named cases.

use gatehouse_authz::{Change, Denial, Explanation, Grant, GroupSpec, Model, UserSpec};

use crate::fixtures::{allows, compile, group, member, platform, project, role, user};

/// A global role edited while nobody in a project holds it (its only group
/// there is empty) applies, as edited, to whoever joins the group later.
#[test]
fn a_role_edited_while_nobody_holds_it_applies_as_edited_to_later_holders() {
    let mut model = Model::new(&platform());
    model.users.push(UserSpec::person("early"));
    model.users.push(UserSpec::person("late"));
    model.groups.push(GroupSpec {
        name: "team".into(),
        members: vec!["early".into()],
    });
    model.projects.push(project("web"));
    model
        .roles
        .push(role("Reader", None, &["repository.read"], &["DEV", "PROD"]));
    model.members.push(member("web", group("team"), &["Reader"]));
    let before = compile(&model);
    assert!(allows(&before, "early", "repository.read", "web", Some("PROD")));

    let after = before
        .apply_all(&[
            Change::RemoveGroupMember {
                group: "team".into(),
                user: "early".into(),
            },
            Change::PutRole(role("Reader", None, &["repository.read"], &["DEV"])),
            Change::AddGroupMember {
                group: "team".into(),
                user: "late".into(),
            },
        ])
        .unwrap();

    assert!(!allows(&after, "late", "repository.read", "web", Some("PROD")));
    let q = after
        .query("late", "repository.read", "web", Some("DEV"))
        .unwrap()
        .unwrap();
    let Explanation::Allow(grants) = after.explain(&q).unwrap() else {
        panic!("the edited role still grants reading in DEV")
    };
    assert_eq!(grants.len(), 1);
    assert!(
        grants
            .iter()
            .all(|g| matches!(g, Grant::Role { .. }) && after.grant_allows(g, &q))
    );
}

/// A global role's edit reaches every project where it is held, directly or
/// through a group, and alone with a project role; Project Admin, held
/// beside it, stays limited by each project's own privileges.
#[test]
fn a_global_role_edit_reaches_every_holder_and_project_admin_stays_per_project() {
    use gatehouse_authz::catalogue::PROJECT_ADMIN_ROLE;
    use gatehouse_authz::{AdminPrivileges, ProjectSpec};

    let mut model = Model::new(&platform());
    for name in ["ann", "bob"] {
        model.users.push(UserSpec::person(name));
    }
    model.groups.push(GroupSpec {
        name: "team".into(),
        members: vec!["bob".into()],
    });
    model.projects.push(project("web"));
    model.projects.push(ProjectSpec {
        key: "api".into(),
        admin_privileges: AdminPrivileges {
            manage_members: false,
            ..AdminPrivileges::default()
        },
    });
    model.roles.push(role("Reader", None, &["repository.read"], &["DEV"]));
    model
        .roles
        .push(role("Builder", Some("web"), &["build.read"], &["DEV"]));
    model.members.push(member("web", user("ann"), &["Reader", "Builder"]));
    model
        .members
        .push(member("api", group("team"), &["Reader", PROJECT_ADMIN_ROLE]));
    model
        .members
        .push(member("web", group("team"), &["Reader", PROJECT_ADMIN_ROLE]));
    let before = compile(&model);
    assert!(!allows(&before, "ann", "repository.read", "web", Some("PROD")));
    assert!(allows(&before, "bob", "project.manage_members", "web", None));
    assert!(!allows(&before, "bob", "project.manage_members", "api", None));

    let edited = role(
        "Reader",
        None,
        &["repository.read", "repository.deploy"],
        &["DEV", "PROD"],
    );
    let after = before.apply(&Change::PutRole(edited.clone())).unwrap();
    for (who, project) in [("ann", "web"), ("bob", "web"), ("bob", "api")] {
        assert!(
            allows(&after, who, "repository.deploy", project, Some("PROD")),
            "{who} in {project}"
        );
    }
    assert!(allows(&after, "ann", "build.read", "web", Some("DEV")));
    assert!(!allows(&after, "ann", "build.read", "web", Some("PROD")));
    assert!(allows(&after, "bob", "project.manage_members", "web", None));
    assert!(!allows(&after, "bob", "project.manage_members", "api", None));
    // The snapshot before the edit still answers as before.
    assert!(!allows(&before, "ann", "repository.deploy", "web", Some("PROD")));

    let q = after
        .query("ann", "repository.deploy", "web", Some("PROD"))
        .unwrap()
        .unwrap();
    let Explanation::Allow(grants) = after.explain(&q).unwrap() else {
        panic!("the edited role grants writing in PROD")
    };
    assert_eq!(grants.len(), 1);
    assert!(grants.iter().all(|g| after.grant_allows(g, &q)));
}

/// A question resolved before its project was removed is answered about
/// an unknown project, not a project the user is not a member of; a
/// project without members stays known.
#[test]
fn a_removed_project_is_unknown_and_an_empty_one_is_not() {
    let mut model = Model::new(&platform());
    model.users.push(UserSpec::person("dev"));
    model.projects.push(project("web"));
    model.projects.push(project("empty"));
    model
        .roles
        .push(role("Reader", None, &["repository.read"], &["DEV", "PROD"]));
    model.members.push(member("web", user("dev"), &["Reader"]));
    let before = compile(&model);
    let in_web = before
        .query("dev", "repository.read", "web", Some("DEV"))
        .unwrap()
        .unwrap();
    let in_empty = before
        .query("dev", "repository.read", "empty", Some("DEV"))
        .unwrap()
        .unwrap();
    assert!(before.explain(&in_web).unwrap().is_allow());
    assert_eq!(
        before.explain(&in_empty).unwrap(),
        Explanation::Deny(Denial::NotAMember)
    );

    let after = before.apply(&Change::RemoveProject("web".into())).unwrap();
    assert_eq!(
        after.explain(&in_web).unwrap(),
        Explanation::Deny(Denial::UnknownProject)
    );
    assert!(!after.check(&in_web).unwrap());
    assert_eq!(after.explain(&in_empty).unwrap(), Explanation::Deny(Denial::NotAMember));
}
