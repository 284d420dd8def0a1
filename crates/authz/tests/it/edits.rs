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

/// Removing a global role held in every project leaves the projects as
/// they were and the role behind in no answer: a member who held only it
/// is a member no more, one who held another role keeps that one, and the
/// next change to a member's entry, a new role of the same name included,
/// finds nothing of it.
#[test]
fn a_removed_global_role_is_gone_from_every_membership() {
    let mut model = Model::new(&platform());
    for name in ["ann", "bob", "cy"] {
        model.users.push(UserSpec::person(name));
    }
    model.groups.push(GroupSpec {
        name: "team".into(),
        members: vec!["bob".into()],
    });
    model.projects.push(project("web"));
    model
        .roles
        .push(role("Reader", None, &["repository.read"], &["DEV", "PROD"]));
    model
        .roles
        .push(role("Deployer", None, &["repository.deploy"], &["DEV"]));
    model.members.push(member("web", user("ann"), &["Reader"]));
    model
        .members
        .push(member("web", group("team"), &["Reader", "Deployer"]));
    let before = compile(&model);
    let question = |s: &gatehouse_authz::Snapshot, who: &str, action: &str| {
        s.query(who, action, "web", Some("DEV")).unwrap().unwrap()
    };

    let after = before
        .apply(&Change::RemoveRole {
            project: None,
            name: "Reader".into(),
        })
        .unwrap();
    let web = after.project_id("web").unwrap();
    let ann = after.user_id("ann").unwrap();
    let bob = after.user_id("bob").unwrap();
    assert_eq!(
        after.explain(&question(&after, "ann", "repository.read")).unwrap(),
        Explanation::Deny(Denial::NotAMember)
    );
    assert!(!after.is_member(ann, web));
    assert_eq!(after.user_members(web).count(), 0);
    assert!(!allows(&after, "bob", "repository.read", "web", Some("DEV")));
    assert!(allows(&after, "bob", "repository.deploy", "web", Some("DEV")));
    assert!(after.is_member(bob, web));
    let held: Vec<Vec<&str>> = after
        .group_members_of(web)
        .map(|(_, roles)| roles.iter().map(|r| after.role(*r).unwrap().name()).collect())
        .collect();
    assert_eq!(held, vec![vec!["Deployer"]]);

    // A role of the same name is a new role: no one holds it.
    let again = after
        .apply_all(&[
            Change::PutRole(role("Reader", None, &["repository.read"], &["DEV"])),
            Change::AddGroupMember {
                group: "team".into(),
                user: "cy".into(),
            },
        ])
        .unwrap();
    for who in ["ann", "bob", "cy"] {
        assert!(!allows(&again, who, "repository.read", "web", Some("DEV")), "{who}");
    }
    assert!(allows(&again, "cy", "repository.deploy", "web", Some("DEV")));
    assert_eq!(
        again.explain(&question(&again, "ann", "repository.read")).unwrap(),
        Explanation::Deny(Denial::NotAMember)
    );
}

/// A removed user's entries may stay in the member tables it was in, and
/// decide nothing: a question resolved before is about an unknown user, no
/// one asks who is a member and finds it, and removing most of a project's
/// members (which rebuilds its tables) leaves the others as they were.
#[test]
fn a_removed_user_is_in_no_answer() {
    let mut model = Model::new(&platform());
    let names: Vec<String> = (0..40).map(|i| format!("u{i:02}")).collect();
    for name in &names {
        model.users.push(UserSpec::person(name));
    }
    model.groups.push(GroupSpec {
        name: "team".into(),
        members: names.iter().skip(20).cloned().collect(),
    });
    model.projects.push(project("web"));
    model
        .roles
        .push(role("Reader", None, &["repository.read"], &["DEV", "PROD"]));
    for name in names.iter().take(20) {
        model.members.push(member("web", user(name), &["Reader"]));
    }
    model.members.push(member("web", group("team"), &["Reader"]));
    let before = compile(&model);
    let web = before.project_id("web").unwrap();
    let first = before.user_id("u00").unwrap();
    let in_web = before
        .query("u00", "repository.read", "web", Some("DEV"))
        .unwrap()
        .unwrap();

    let after = before.apply(&Change::RemoveUser("u00".into())).unwrap();
    assert_eq!(after.explain(&in_web).unwrap(), Explanation::Deny(Denial::UnknownUser));
    assert!(!after.is_member(first, web));
    assert!(after.user_members(web).all(|(u, _)| u != first));
    let env = after.env_id("DEV");
    let action = in_web.action;
    let who: Vec<_> = after
        .who_can(web, action, env)
        .unwrap()
        .into_iter()
        .map(|a| a.user)
        .collect();
    assert_eq!(who.len(), 39);
    assert!(!who.contains(&first));

    // Every direct member but one and every group member but one leave.
    let leaving: Vec<Change> = names
        .iter()
        .skip(1)
        .filter(|n| *n != "u19" && *n != "u39")
        .map(|n| Change::RemoveUser(n.clone()))
        .collect();
    let emptied = after.apply_all(&leaving).unwrap();
    for (name, allowed) in [("u19", true), ("u39", true), ("u20", false), ("u01", false)] {
        let expected = if allowed { Some(true) } else { None };
        let answer = emptied
            .query(name, "repository.read", "web", Some("DEV"))
            .unwrap()
            .ok()
            .map(|q| emptied.check(&q).unwrap());
        assert_eq!(answer, expected, "{name}");
    }
    let mut members: Vec<&str> = emptied
        .users()
        .filter(|(_, id)| emptied.is_member(*id, web))
        .map(|(name, _)| name)
        .collect();
    members.sort_unstable();
    assert_eq!(members, ["u19", "u39"]);
}
