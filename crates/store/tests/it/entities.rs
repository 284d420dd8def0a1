//! Create, read, update and delete of every entity; records come back equal
//! to what was written (times to the nanosecond), with the revision of the
//! commit that last changed them.

use gatehouse_authz::UserStatus;
use gatehouse_domain::entities::{Principal, RoleMode};
use gatehouse_domain::store::{PageRequest, UserFilter};
use gatehouse_domain::{Mutation, Store as _, StoreError};

use crate::backend::{Db, conformance};
use crate::fixtures::*;

fn all() -> PageRequest {
    PageRequest {
        cursor: None,
        limit: 1000,
    }
}

/// The roles `user` holds directly in `project` (it must be a member).
async fn user_roles(db: &Db, project: &str, user: &str) -> Vec<gatehouse_domain::names::RoleName> {
    let member = db
        .store
        .member(&pkey(project), &Principal::User(uname(user)))
        .await
        .unwrap();
    member
        .unwrap_or_else(|| panic!("{user} is not a member of {project}"))
        .roles
}

async fn users(db: Db) {
    let s = &db.store;
    let rev = apply(
        &db,
        vec![
            Mutation::CreateUser(full_user("alice")),
            Mutation::CreateUser(user("bob")),
        ],
    )
    .await;
    let alice = s.user(&uname("alice")).await.unwrap().unwrap();
    assert_eq!(
        alice,
        gatehouse_domain::entities::User {
            revision: rev,
            ..full_user("alice")
        }
    );
    assert_eq!(
        s.user_by_email("ALICE@example.COM").await.unwrap().unwrap().username,
        uname("alice")
    );
    assert_eq!(
        s.user_by_external_id("ext-alice").await.unwrap().unwrap().username,
        uname("alice"),
        "the SCIM externalId index"
    );
    assert_eq!(s.user_by_external_id("EXT-ALICE").await.unwrap(), None, "exact");
    assert_eq!(s.user(&uname("nobody")).await.unwrap(), None);
    assert_eq!(s.user_by_email("nobody@example.com").await.unwrap(), None);

    // The email is unique without regard to case.
    let clash = gatehouse_domain::entities::User {
        email: alice.email.clone(),
        ..user("carol")
    };
    let err = s
        .commit(&commit(vec![Mutation::CreateUser(clash)]), at(0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    // A user without an email (SCIM) is fine, twice.
    let scim = |n: &str| gatehouse_domain::entities::User { email: None, ..user(n) };
    apply(
        &db,
        vec![Mutation::CreateUser(scim("scim1")), Mutation::CreateUser(scim("scim2"))],
    )
    .await;

    let mut changed = s.user(&uname("bob")).await.unwrap().unwrap();
    changed.status = UserStatus::Disabled;
    changed.admin = true;
    let rev = apply(&db, vec![Mutation::UpdateUser(changed.clone())]).await;
    assert_eq!(
        s.user(&uname("bob")).await.unwrap().unwrap(),
        gatehouse_domain::entities::User {
            revision: rev,
            ..changed
        }
    );

    // Login book-keeping moves no revision.
    let before = s.revision().await.unwrap();
    let mut login = s.user(&uname("bob")).await.unwrap().unwrap();
    login.recent_failures = vec![at(48), at(49), at(50)];
    login.last_login_at = Some(at(51));
    s.save_login_state(&login).await.unwrap();
    assert_eq!(s.user(&uname("bob")).await.unwrap().unwrap(), login);
    assert_eq!(s.revision().await.unwrap(), before);

    let listed: Vec<_> = s.users(&UserFilter::default(), &all()).await.unwrap().items;
    let names: Vec<_> = listed.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "scim1", "scim2"]);

    apply(&db, vec![Mutation::DeleteUser(uname("bob"))]).await;
    assert_eq!(s.user(&uname("bob")).await.unwrap(), None);
}
conformance!(users_round_trip, users);

async fn groups(db: Db) {
    let s = &db.store;
    apply(
        &db,
        vec![Mutation::CreateUser(user("zed")), Mutation::CreateUser(user("amy"))],
    )
    .await;
    let rev = apply(
        &db,
        vec![
            Mutation::CreateGroup(group("devs")),
            Mutation::AddGroupMember(gname("devs"), uname("zed")),
            Mutation::AddGroupMember(gname("devs"), uname("amy")),
            Mutation::CreateGroup(group("Ops team")),
        ],
    )
    .await;
    let devs = s.group(&gname("devs")).await.unwrap().unwrap();
    assert_eq!(devs.members, [uname("amy"), uname("zed")], "members sorted");
    assert_eq!(devs.revision, rev);
    assert_eq!(devs.description, describe("the devs"));

    let mut renamed = devs.clone();
    renamed.description = describe("developers");
    let rev = apply(
        &db,
        vec![
            Mutation::UpdateGroup(renamed),
            Mutation::RemoveGroupMember(gname("devs"), uname("zed")),
        ],
    )
    .await;
    let devs = s.group(&gname("devs")).await.unwrap().unwrap();
    assert_eq!(
        (devs.description.as_str(), devs.members.len(), devs.revision),
        ("developers", 1, rev)
    );

    let page = s.groups(&all()).await.unwrap();
    let names: Vec<_> = page.items.iter().map(|g| (g.name.as_str(), g.members.len())).collect();
    assert_eq!(names, [("Ops team", 0), ("devs", 1)], "byte order: upper case first");

    // A group is created empty: users join through AddGroupMember.
    let mut full = group("full");
    full.members = vec![uname("amy")];
    assert!(matches!(
        s.commit(&commit(vec![Mutation::CreateGroup(full)]), at(0)).await,
        Err(StoreError::Conflict(_))
    ));

    apply(&db, vec![Mutation::DeleteGroup(gname("devs"))]).await;
    assert_eq!(s.group(&gname("devs")).await.unwrap(), None);
    assert!(s.user(&uname("amy")).await.unwrap().is_some());
}
conformance!(groups_round_trip, groups);

async fn projects_and_environments(db: Db) {
    let s = &db.store;
    let rev = apply(
        &db,
        vec![
            Mutation::CreateProject(project("web")),
            Mutation::CreateProject(project("api")),
            Mutation::CreateEnvironment(env("DEV", None)),
            Mutation::CreateEnvironment(env("PROD", None)),
        ],
    )
    .await;
    assert_eq!(
        s.project(&pkey("web")).await.unwrap().unwrap(),
        gatehouse_domain::entities::Project {
            revision: rev,
            ..project("web")
        }
    );
    let keys: Vec<_> = s
        .projects(&all())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| p.key)
        .collect();
    assert_eq!(keys, [pkey("api"), pkey("web")]);

    let mut changed = project("web");
    changed.admin_privileges.manage_members = false;
    let rev = apply(&db, vec![Mutation::UpdateProject(changed.clone())]).await;
    assert_eq!(
        s.project(&pkey("web")).await.unwrap().unwrap(),
        gatehouse_domain::entities::Project {
            revision: rev,
            ..changed
        }
    );

    // A project's own environment moves the project's revision.
    let rev = apply(&db, vec![Mutation::CreateEnvironment(env("web-QA", Some("web")))]).await;
    assert_eq!(s.project(&pkey("web")).await.unwrap().unwrap().revision, rev);
    assert_eq!(
        s.environments(None).await.unwrap(),
        [env("DEV", None), env("PROD", None)]
    );
    assert_eq!(
        s.environments(Some(&pkey("web"))).await.unwrap(),
        [env("web-QA", Some("web"))]
    );
    assert_eq!(s.environments(Some(&pkey("api"))).await.unwrap(), []);

    apply(&db, vec![Mutation::DeleteEnvironment(ename("web-QA"))]).await;
    assert_eq!(s.environments(Some(&pkey("web"))).await.unwrap(), []);
    apply(&db, vec![Mutation::DeleteProject(pkey("web"))]).await;
    assert_eq!(s.project(&pkey("web")).await.unwrap(), None);
}
conformance!(projects_and_environments_round_trip, projects_and_environments);

async fn roles(db: Db) {
    let s = &db.store;
    apply(
        &db,
        vec![
            Mutation::CreateProject(project("web")),
            Mutation::CreateEnvironment(env("DEV", None)),
            Mutation::CreateEnvironment(env("PROD", None)),
            Mutation::CreateEnvironment(env("web-QA", Some("web"))),
        ],
    )
    .await;
    let rev = apply(
        &db,
        vec![
            Mutation::PutRole(role(None, "Reader", &["PROD", "DEV"])),
            Mutation::PutRole(advanced_role(Some("web"), "Deployer", &["web-QA"])),
            Mutation::PutRole(role(Some("web"), "Reader", &[])),
        ],
    )
    .await;
    let reader = s.role(None, &rname("Reader")).await.unwrap().unwrap();
    assert_eq!(
        reader,
        gatehouse_domain::entities::Role {
            revision: rev,
            ..role(None, "Reader", &["PROD", "DEV"])
        }
    );
    assert_eq!(
        reader.environments,
        [ename("PROD"), ename("DEV")],
        "environment order kept"
    );
    let deployer = s.role(Some(&pkey("web")), &rname("Deployer")).await.unwrap().unwrap();
    assert_eq!(deployer.mode, RoleMode::Advanced);
    assert_eq!(deployer.actions.len(), 2);
    assert_eq!(s.role(Some(&pkey("web")), &rname("Nope")).await.unwrap(), None);
    assert_eq!(s.role(None, &rname("Deployer")).await.unwrap(), None);
    assert_eq!(
        s.project(&pkey("web")).await.unwrap().unwrap().revision,
        rev,
        "a project role moves its project"
    );

    let globals: Vec<_> = s.roles(None).await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(globals, [rname("Reader")]);
    let web: Vec<_> = s
        .roles(Some(&pkey("web")))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.name, r.environments))
        .collect();
    assert_eq!(
        web,
        [(rname("Deployer"), vec![ename("web-QA")]), (rname("Reader"), vec![])]
    );

    // Put again: replaced by (project, name), members keep it.
    apply(
        &db,
        vec![
            Mutation::CreateUser(user("amy")),
            Mutation::SetMember(user_member("web", "amy", &["Deployer"])),
        ],
    )
    .await;
    let replaced = role(Some("web"), "Deployer", &["PROD", "web-QA"]);
    let rev = apply(&db, vec![Mutation::PutRole(replaced.clone())]).await;
    assert_eq!(
        s.role(Some(&pkey("web")), &rname("Deployer")).await.unwrap().unwrap(),
        gatehouse_domain::entities::Role {
            revision: rev,
            ..replaced
        }
    );
    assert_eq!(user_roles(&db, "web", "amy").await, [rname("Deployer")]);

    // A run replaces and creates alike (multi-row statements).
    let again = role(Some("web"), "Deployer", &["web-QA"]);
    let fresh = role(None, "Auditor", &["DEV", "PROD"]);
    let rev = apply(
        &db,
        vec![Mutation::PutRole(again.clone()), Mutation::PutRole(fresh.clone())],
    )
    .await;
    assert_eq!(
        s.role(Some(&pkey("web")), &rname("Deployer")).await.unwrap().unwrap(),
        gatehouse_domain::entities::Role { revision: rev, ..again }
    );
    assert_eq!(
        s.role(None, &rname("Auditor")).await.unwrap().unwrap(),
        gatehouse_domain::entities::Role { revision: rev, ..fresh }
    );
    assert_eq!(s.project(&pkey("web")).await.unwrap().unwrap().revision, rev);
    assert_eq!(
        user_roles(&db, "web", "amy").await,
        [rname("Deployer")],
        "a member keeps a role a run replaces"
    );

    // A member's role name means its project's role, else the global one,
    // in a run of members as alone: deleting web's `Reader` takes it from
    // the web members only.
    apply(
        &db,
        vec![
            Mutation::CreateProject(project("api")),
            Mutation::CreateUser(user("bea")),
            Mutation::CreateUser(user("cid")),
            Mutation::SetMember(user_member("web", "bea", &["Reader", "Deployer"])),
            Mutation::SetMember(user_member("api", "bea", &["Reader"])),
            Mutation::SetMember(user_member("web", "cid", &["Reader", "Deployer"])),
        ],
    )
    .await;
    apply(
        &db,
        vec![Mutation::SetMember(user_member("web", "amy", &["Reader", "Deployer"]))],
    )
    .await;
    apply(&db, vec![Mutation::DeleteRole(Some(pkey("web")), rname("Reader"))]).await;
    for (project, name, roles) in [
        ("web", "bea", vec![rname("Deployer")]),
        ("web", "cid", vec![rname("Deployer")]),
        ("web", "amy", vec![rname("Deployer")]),
        ("api", "bea", vec![rname("Reader")]),
    ] {
        assert_eq!(user_roles(&db, project, name).await, roles, "{project}/{name}");
    }

    // An unknown environment is refused.
    let bad = role(None, "Bad", &["NOPE"]);
    assert!(matches!(
        s.commit(&commit(vec![Mutation::PutRole(bad)]), at(0)).await,
        Err(StoreError::Conflict(_))
    ));
}
conformance!(roles_round_trip, roles);

async fn members(db: Db) {
    let s = &db.store;
    build_world(&db).await;
    let alice = Principal::User(uname("alice"));
    let got = s.member(&pkey("web"), &alice).await.unwrap().unwrap();
    assert_eq!(got, user_member("web", "alice", &["Deployer", "Reader"]));
    assert_eq!(
        s.member(&pkey("web"), &Principal::User(uname("dave"))).await.unwrap(),
        None
    );

    // Setting replaces the roles (sorted on the way out).
    apply(&db, vec![Mutation::SetMember(user_member("web", "alice", &["Reader"]))]).await;
    assert_eq!(
        s.member(&pkey("web"), &alice).await.unwrap().unwrap().roles,
        [rname("Reader")]
    );

    // In one commit, a run of memberships; one member set twice ends with
    // the second set.
    apply(
        &db,
        vec![
            Mutation::SetMember(user_member("web", "dave", &["Reader"])),
            Mutation::SetMember(user_member("web", "bob", &["Reader", "Deployer"])),
            Mutation::SetMember(group_member("web", "ops", &["Deployer"])),
            Mutation::SetMember(user_member("web", "dave", &["Deployer"])),
        ],
    )
    .await;
    let web = s
        .members(
            &pkey("web"),
            &Default::default(),
            &PageRequest {
                cursor: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        web.items,
        [
            user_member("web", "alice", &["Reader"]),
            user_member("web", "bob", &["Deployer", "Reader"]),
            user_member("web", "dave", &["Deployer"]),
            group_member("web", "devs", &["Reader"]),
            group_member("web", "ops", &["Deployer"]),
        ]
    );

    // A role of another project, an unknown principal, no role: refused.
    for bad in [
        user_member("web", "carol", &["Operator"]),
        user_member("web", "nobody", &["Reader"]),
        user_member("web", "carol", &[]),
        user_member("nope", "carol", &["Reader"]),
    ] {
        let err = s
            .commit(&commit(vec![Mutation::SetMember(bad.clone())]), at(0))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{bad:?}: {err:?}");
    }

    apply(&db, vec![Mutation::RemoveMember(pkey("web"), alice.clone())]).await;
    assert_eq!(s.member(&pkey("web"), &alice).await.unwrap(), None);
    let err = s
        .commit(&commit(vec![Mutation::RemoveMember(pkey("web"), alice)]), at(0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}
conformance!(members_round_trip, members);

async fn tokens_invitations_sessions(db: Db) {
    let s = &db.store;
    build_world(&db).await;
    assert_eq!(
        s.token("tok-alice").await.unwrap().unwrap(),
        token("tok-alice", "alice", 5)
    );
    let by_hash = s
        .token_by_secret_hash(&token("tok-alice", "alice", 5).secret_sha256)
        .await
        .unwrap();
    assert_eq!(by_hash.unwrap().id, "tok-alice");
    apply(
        &db,
        vec![
            Mutation::CreateToken(token("tok-new", "alice", 9)),
            Mutation::CreateToken(token("tok-old", "alice", 1)),
        ],
    )
    .await;
    let ids: Vec<_> = s
        .tokens(&uname("alice"))
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, ["tok-new", "tok-alice", "tok-old"], "newest first");

    let rev = s.revision().await.unwrap();
    s.touch_token("tok-new", at(77)).await.unwrap();
    assert_eq!(s.token("tok-new").await.unwrap().unwrap().last_used_at, Some(at(77)));
    assert_eq!(s.revision().await.unwrap(), rev, "a use is book-keeping");
    apply(&db, vec![Mutation::RevokeToken("tok-new".to_owned())]).await;
    assert_eq!(s.token("tok-new").await.unwrap(), None);
    assert!(
        s.commit(&commit(vec![Mutation::RevokeToken("tok-new".to_owned())]), at(0))
            .await
            .is_err()
    );

    let inv = invitation("inv-alice", "alice");
    assert_eq!(s.invitation(&inv.secret_sha256).await.unwrap().unwrap(), inv);
    apply(&db, vec![Mutation::DeleteInvitation(inv.secret_sha256.clone())]).await;
    assert_eq!(s.invitation(&inv.secret_sha256).await.unwrap(), None);

    let rev = s.revision().await.unwrap();
    let sess = session("sess-alice", "alice");
    assert_eq!(s.session(&sess.id_sha256).await.unwrap().unwrap(), sess);
    s.touch_session(&sess.id_sha256, at(500)).await.unwrap();
    assert_eq!(s.session(&sess.id_sha256).await.unwrap().unwrap().last_seen_at, at(500));
    s.delete_session(&sess.id_sha256).await.unwrap();
    assert_eq!(s.session(&sess.id_sha256).await.unwrap(), None);
    assert!(
        s.create_session(&session("x", "nobody")).await.is_err(),
        "a session needs a user"
    );
    assert_eq!(s.revision().await.unwrap(), rev, "sessions are book-keeping");
}
conformance!(tokens_invitations_sessions_round_trip, tokens_invitations_sessions);

async fn outbox_and_billing(db: Db) {
    let s = &db.store;
    assert_eq!(s.billing().await.unwrap(), Default::default());
    apply(
        &db,
        vec![
            Mutation::PutBilling(billing()),
            Mutation::Enqueue(message("a@example.com")),
        ],
    )
    .await;
    apply(
        &db,
        vec![
            Mutation::Enqueue(message("b@example.com")),
            Mutation::PutBilling(billing()),
        ],
    )
    .await;
    assert_eq!(s.billing().await.unwrap(), billing());
    let first = s.outbox(&PageRequest { cursor: None, limit: 1 }).await.unwrap();
    assert_eq!(
        first.items.iter().map(|m| m.message.clone()).collect::<Vec<_>>(),
        [message("a@example.com")]
    );
    let second = s
        .outbox(&PageRequest {
            cursor: first.next_cursor,
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!(
        second.items.iter().map(|m| m.message.clone()).collect::<Vec<_>>(),
        [message("b@example.com")]
    );
    assert_eq!(second.next_cursor, None);
    assert!(first.items[0].id < second.items[0].id);
    let fresh = &first.items[0];
    assert_eq!(
        (fresh.sent_at, fresh.attempts, fresh.last_error.as_deref()),
        (None, 0, None)
    );
    assert!(fresh.next_attempt_at.is_some(), "a new message is due at once");
}
conformance!(outbox_and_billing_round_trip, outbox_and_billing);

/// The sender's book-keeping: claims exclude each other for a lease, a
/// failure is retried when due or given up, a sent message keeps no body,
/// and none of it moves the revision.
async fn outbox_delivery(db: Db) {
    let s = &db.store;
    let revision = apply(
        &db,
        vec![
            Mutation::Enqueue(message("a@example.com")),
            Mutation::Enqueue(message("b@example.com")),
            Mutation::Enqueue(message("c@example.com")),
        ],
    )
    .await;
    let t0 = time::OffsetDateTime::from_unix_timestamp(2_000_000_000).unwrap();
    let minutes = |m: i64| t0 + time::Duration::minutes(m);

    let claimed = s.claim_outbox(t0, minutes(5), 2).await.unwrap();
    let to: Vec<&str> = claimed.iter().map(|m| m.message.to.as_str()).collect();
    assert_eq!(
        to,
        ["a@example.com", "b@example.com"],
        "oldest first, at most the limit"
    );
    assert_eq!(
        claimed[0].next_attempt_at,
        Some(minutes(5)),
        "claimed until the lease ends"
    );
    let rest = s.claim_outbox(t0, minutes(5), 10).await.unwrap();
    assert_eq!(rest.len(), 1, "a claimed message is not claimed twice during its lease");
    assert_eq!(rest[0].message.to.as_str(), "c@example.com");
    assert!(s.claim_outbox(minutes(1), minutes(6), 10).await.unwrap().is_empty());

    s.outbox_sent(claimed[0].id, minutes(1)).await.unwrap();
    s.outbox_failed(claimed[1].id, "451 try again later", Some(minutes(10)))
        .await
        .unwrap();
    s.outbox_failed(rest[0].id, "550 no such mailbox", None).await.unwrap();

    let listed = s.outbox(&all()).await.unwrap().items;
    assert_eq!(listed[0].sent_at, Some(minutes(1)));
    assert_eq!(
        listed[0].message.body, "",
        "a sent message keeps no body (it may carry a secret link)"
    );
    assert_eq!(listed[0].next_attempt_at, None);
    assert_eq!(
        (
            listed[1].attempts,
            listed[1].last_error.as_deref(),
            listed[1].next_attempt_at
        ),
        (1, Some("451 try again later"), Some(minutes(10)))
    );
    assert_eq!(
        listed[1].message,
        message("b@example.com"),
        "an unsent message keeps its body"
    );
    assert_eq!((listed[2].attempts, listed[2].next_attempt_at), (1, None), "given up");

    assert!(s.claim_outbox(minutes(9), minutes(14), 10).await.unwrap().is_empty());
    let again = s.claim_outbox(minutes(10), minutes(15), 10).await.unwrap();
    assert_eq!(
        again.iter().map(|m| m.id).collect::<Vec<_>>(),
        [claimed[1].id],
        "due again after its retry time"
    );
    assert_eq!(s.revision().await.unwrap(), revision, "delivery is book-keeping");
}
conformance!(outbox_delivery_round_trip, outbox_delivery);
