//! A commit whose later mutation fails leaves nothing behind: no change, no
//! audit record, no change-log row, no revision.

use gatehouse_domain::entities::{Principal, User};
use gatehouse_domain::{Mutation, Store as _, StoreError};

use crate::backend::{Db, conformance};
use crate::fixtures::*;

/// Commits that fail on their last mutation, after three that succeed.
fn failing() -> Vec<(&'static str, Vec<Mutation>)> {
    use Mutation::*;
    let with = |last: Mutation| {
        vec![
            CreateUser(user("newbie")),
            CreateGroup(group("newgroup")),
            AddGroupMember(gname("newgroup"), uname("newbie")),
            last,
        ]
    };
    let email_clash = User {
        email: user("alice").email,
        ..user("other")
    };
    vec![
        ("duplicate username", with(CreateUser(user("alice")))),
        ("duplicate email", with(CreateUser(email_clash))),
        ("duplicate group", with(CreateGroup(group("devs")))),
        ("duplicate project", with(CreateProject(project("web")))),
        ("duplicate environment", with(CreateEnvironment(env("DEV", None)))),
        ("duplicate token", with(CreateToken(token("tok-alice", "bob", 0)))),
        (
            "group member twice",
            with(AddGroupMember(gname("devs"), uname("alice"))),
        ),
        ("unknown role", with(SetMember(user_member("web", "newbie", &["Nope"])))),
        (
            "unknown project",
            with(SetMember(user_member("nope", "newbie", &["Reader"]))),
        ),
        ("unknown environment", with(PutRole(role(None, "Fresh", &["NOPE"])))),
        ("token of nobody", with(CreateToken(token("t-x", "ghost", 0)))),
        ("missing user", with(UpdateUser(user("ghost")))),
        ("missing group", with(DeleteGroup(gname("ghosts")))),
        ("missing role", with(DeleteRole(None, rname("Ghost")))),
        (
            "missing member",
            with(RemoveMember(pkey("web"), Principal::User(uname("dave")))),
        ),
        // Runs of creations and memberships go through multi-row statements.
        (
            "duplicate username in a run",
            vec![CreateUser(user("newbie")), CreateUser(user("alice"))],
        ),
        (
            "unknown role in a run",
            vec![
                CreateUser(user("newbie")),
                SetMember(user_member("web", "newbie", &["Reader"])),
                SetMember(user_member("web", "dave", &["Nope"])),
            ],
        ),
        (
            "group member twice in a run",
            vec![
                CreateUser(user("newbie")),
                AddGroupMember(gname("devs"), uname("newbie")),
                AddGroupMember(gname("devs"), uname("alice")),
            ],
        ),
        (
            "missing group in a run",
            vec![
                CreateUser(user("newbie")),
                AddGroupMember(gname("devs"), uname("newbie")),
                AddGroupMember(gname("ghosts"), uname("newbie")),
            ],
        ),
        (
            "the same join twice in a run",
            vec![
                CreateUser(user("newbie")),
                AddGroupMember(gname("devs"), uname("newbie")),
                AddGroupMember(gname("devs"), uname("newbie")),
            ],
        ),
        (
            "unknown environment in a run of roles",
            vec![
                CreateUser(user("newbie")),
                PutRole(role(None, "Fresh", &["DEV"])),
                PutRole(role(None, "Fresher", &["NOPE"])),
            ],
        ),
        (
            "a run of roles of a missing project",
            vec![
                CreateUser(user("newbie")),
                PutRole(role(Some("web"), "Fresh", &["DEV"])),
                PutRole(role(Some("nope"), "Fresh", &["DEV"])),
            ],
        ),
        (
            "no role in a run",
            vec![
                CreateUser(user("newbie")),
                SetMember(user_member("api", "newbie", &["Reader"])),
                SetMember(user_member("api", "dave", &[])),
            ],
        ),
    ]
}

async fn counts(db: &Db) -> Vec<i64> {
    let mut all = Vec::new();
    for table in [
        "users",
        "user_groups",
        "group_members",
        "members",
        "member_roles",
        "roles",
        "tokens",
        "audit",
        "change_log",
    ] {
        all.push(db.count(table).await);
    }
    all
}

async fn all_or_nothing(db: Db) {
    let s = &db.store;
    build_world(&db).await;
    let (model, rev) = s.load_model().await.unwrap();
    let before = counts(&db).await;
    for (case, mutations) in failing() {
        let err = s.commit(&commit(mutations), at(0)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{case}: {err:?}");
        assert_eq!(s.revision().await.unwrap(), rev, "{case}: revision");
        assert_eq!(
            s.user(&uname("newbie")).await.unwrap(),
            None,
            "{case}: the first mutation is undone"
        );
        assert_eq!(s.load_model().await.unwrap(), (model.clone(), rev), "{case}: model");
        assert_eq!(counts(&db).await, before, "{case}: rows");
    }
    assert_eq!(s.verify_audit().await.unwrap(), Ok(1));
}
conformance!(failed_commit_leaves_nothing, all_or_nothing);

/// A run of group joins names the group that does not exist, as one join
/// alone would.
async fn missing_group_in_a_run(db: Db) {
    use Mutation::*;
    build_world(&db).await;
    let joins = vec![
        CreateUser(user("newbie")),
        AddGroupMember(gname("devs"), uname("newbie")),
        AddGroupMember(gname("ghosts"), uname("newbie")),
    ];
    let err = db.store.commit(&commit(joins), at(0)).await.unwrap_err();
    let StoreError::Conflict(message) = err else {
        panic!("{err:?}")
    };
    assert!(message.contains("group `ghosts` does not exist"), "{message}");
}
conformance!(a_run_of_joins_names_the_missing_group, missing_group_in_a_run);
