//! Incremental edits that the random properties found wrong once, kept as
//! named cases.

use gatehouse_authz::{Change, Explanation, Grant, GroupSpec, Model, UserSpec};

use crate::fixtures::{allows, compile, group, member, platform, project, role};

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
