//! The full compile, which sets memberships in bulk rather than one change
//! at a time: the first bad membership in the model's order is the error,
//! and a member listed twice holds what its later listing says, on any
//! number of threads (a large model's memberships are resolved in runs,
//! one a thread).

use std::num::NonZeroUsize;

use gatehouse_authz::{GroupSpec, MemberSpec, Model, ModelError, Snapshot, UserSpec};

use crate::fixtures::{allows, compile, group, member, platform, project, role, user};

/// One to four threads, for [`Snapshot::compile_on`] and
/// [`Snapshot::compile_owned_on`].
fn thread_counts() -> impl Iterator<Item = NonZeroUsize> {
    (1..=4).filter_map(NonZeroUsize::new)
}

/// Users `ann` and `bob`, group `team` (ann), projects `web` and `api`,
/// global roles `Reader` (read) and `Writer` (deploy), in DEV and PROD.
fn base() -> Model {
    let mut model = Model::new(&platform());
    model.users.push(UserSpec::person("ann"));
    model.users.push(UserSpec::person("bob"));
    model.groups.push(GroupSpec {
        name: "team".into(),
        members: vec!["ann".into()],
    });
    model.projects.push(project("web"));
    model.projects.push(project("api"));
    for (name, action) in [("Reader", "repository.read"), ("Writer", "repository.deploy")] {
        model.roles.push(role(name, None, &[action], &["DEV", "PROD"]));
    }
    model
}

#[test]
fn the_first_bad_membership_is_the_error() {
    let good = member("web", user("ann"), &["Reader"]);
    let cases: [(&str, Vec<MemberSpec>, ModelError); 7] = [
        (
            "unknown project",
            vec![good.clone(), member("nowhere", user("ann"), &["Reader"])],
            ModelError::UnknownProject("nowhere".into()),
        ),
        (
            "unknown user",
            vec![member("web", user("ghost"), &["Reader"]), good.clone()],
            ModelError::UnknownUser("ghost".into()),
        ),
        (
            "unknown group",
            vec![good.clone(), member("api", group("crowd"), &["Reader"])],
            ModelError::UnknownGroup("crowd".into()),
        ),
        (
            "unknown role",
            vec![member("api", group("team"), &["Reader", "Nobody"])],
            ModelError::UnknownRole("Nobody".into()),
        ),
        (
            "no role",
            vec![good.clone(), member("api", user("bob"), &[])],
            ModelError::MemberNeedsRole("bob".into()),
        ),
        (
            "the first of two, by the model's order",
            vec![
                member("web", user("bob"), &["Nobody"]),
                member("api", user("ghost"), &["Reader"]),
            ],
            ModelError::UnknownRole("Nobody".into()),
        ),
        (
            "the first of two, across projects",
            vec![
                member("web", group("crowd"), &["Reader"]),
                member("api", user("ghost"), &["Reader"]),
            ],
            ModelError::UnknownGroup("crowd".into()),
        ),
    ];
    for (case, members, error) in cases {
        let mut model = base();
        model.members = members;
        assert_eq!(
            Snapshot::compile(platform(), &model).err(),
            Some(error.clone()),
            "{case}"
        );
        for threads in thread_counts() {
            let borrowed = Snapshot::compile_on(platform(), &model, threads).err();
            assert_eq!(borrowed, Some(error.clone()), "{case}, {threads} threads");
            let owned = Snapshot::compile_owned_on(platform(), model.clone(), threads).err();
            assert_eq!(owned, Some(error.clone()), "{case}, {threads} threads, owned");
        }
    }
}

#[test]
fn a_group_naming_an_unknown_user_is_refused() {
    let mut model = base();
    model.groups[0].members.push("ghost".into());
    assert_eq!(
        Snapshot::compile(platform(), &model).err(),
        Some(ModelError::UnknownUser("ghost".into()))
    );
}

#[test]
fn a_member_listed_twice_holds_what_its_later_listing_says() {
    let mut model = base();
    model.members = vec![
        member("web", user("bob"), &["Writer"]),
        member("api", user("bob"), &["Reader"]),
        member("web", group("team"), &["Reader"]),
        member("web", user("bob"), &["Reader"]),
        member("web", group("team"), &["Writer"]),
    ];
    let on_threads = thread_counts().flat_map(|threads| {
        let borrowed = Snapshot::compile_on(platform(), &model, threads);
        let owned = Snapshot::compile_owned_on(platform(), model.clone(), threads);
        [borrowed, owned].map(|s| s.unwrap_or_else(|e| panic!("{threads} threads: {e}")))
    });
    for s in std::iter::once(compile(&model)).chain(on_threads) {
        for env in ["DEV", "PROD"] {
            assert!(allows(&s, "bob", "repository.read", "web", Some(env)));
            assert!(!allows(&s, "bob", "repository.deploy", "web", Some(env)));
            assert!(allows(&s, "bob", "repository.read", "api", Some(env)));
            assert!(allows(&s, "ann", "repository.deploy", "web", Some(env)));
            assert!(!allows(&s, "ann", "repository.read", "web", Some(env)));
            assert!(!allows(&s, "ann", "repository.read", "api", Some(env)));
        }
    }
}

#[test]
fn a_user_listed_twice_in_a_group_is_one_member() {
    let mut model = base();
    model.groups[0].members = vec!["bob".into(), "ann".into(), "bob".into()];
    model.members = vec![member("api", group("team"), &["Reader"])];
    let s = compile(&model);
    let team = s.group_id("team").expect("the group exists");
    let members: Vec<&str> = s
        .group_members(team)
        .iter()
        .map(|u| s.user_name(*u).unwrap_or("?"))
        .collect();
    assert_eq!(members, ["ann", "bob"]);
    assert!(allows(&s, "bob", "repository.read", "api", Some("DEV")));
}
