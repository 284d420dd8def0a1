//! Keyset paging: 100,000 members of one project page through with no gap
//! and no duplicate, users before groups; the user listing's filters; and
//! a cursor that is forged, or belongs to another listing, is refused.

use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_authz::UserStatus;
use gatehouse_domain::entities::{ManagedBy, Principal, User};
use gatehouse_domain::store::{MemberFilter, PageRequest, UserFilter};
use gatehouse_domain::{Mutation, Store as _, StoreError};

use crate::backend::{Db, conformance};
use crate::fixtures::*;

const USERS: usize = 99_900;
const GROUPS: usize = 100;
const BATCH: usize = 10_000;

async fn hundred_thousand(db: Db) {
    let s = &db.store;
    let started = Instant::now();
    apply(
        &db,
        vec![
            Mutation::CreateProject(project("big")),
            Mutation::CreateProject(project("small")),
            Mutation::PutRole(role(None, "Viewer", &[])),
            Mutation::PutRole(role(Some("big"), "Builder", &[])),
        ],
    )
    .await;
    let user_names: Vec<String> = (0..USERS).map(|i| format!("user{i:06}")).collect();
    let group_names: Vec<String> = (0..GROUPS).map(|i| format!("Group {i:03}")).collect();
    for chunk in user_names.chunks(BATCH) {
        let users = chunk
            .iter()
            .map(|n| Mutation::CreateUser(User { email: None, ..user(n) }))
            .collect();
        apply(&db, users).await;
    }
    apply(
        &db,
        group_names.iter().map(|n| Mutation::CreateGroup(group(n))).collect(),
    )
    .await;
    for (i, chunk) in user_names.chunks(BATCH).enumerate() {
        let roles: &[&str] = if i.is_multiple_of(2) {
            &["Viewer"]
        } else {
            &["Builder", "Viewer"]
        };
        apply(
            &db,
            chunk
                .iter()
                .map(|n| Mutation::SetMember(user_member("big", n, roles)))
                .collect(),
        )
        .await;
    }
    apply(
        &db,
        group_names
            .iter()
            .map(|n| Mutation::SetMember(group_member("big", n, &["Builder"])))
            .collect(),
    )
    .await;
    apply(
        &db,
        vec![Mutation::SetMember(user_member("small", "user000001", &["Viewer"]))],
    )
    .await;
    eprintln!("{:?}: wrote 100,000 members in {:.1?}", db.backend(), started.elapsed());

    let started = Instant::now();
    let mut seen: Vec<(String, usize)> = Vec::with_capacity(USERS + GROUPS);
    let mut page = PageRequest {
        cursor: None,
        limit: 1000,
    };
    let mut pages = 0;
    loop {
        let got = s.members(&pkey("big"), &MemberFilter::default(), &page).await.unwrap();
        pages += 1;
        for member in &got.items {
            assert_eq!(member.project, pkey("big"));
            let name = match &member.principal {
                Principal::User(u) => format!("user:{u}"),
                Principal::Group(g) => format!("group:{g}"),
            };
            seen.push((name, member.roles.len()));
        }
        match got.next_cursor {
            Some(next) => page.cursor = Some(next),
            None => break,
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{:?}: paged 100,000 members in {pages} pages, {elapsed:.1?}",
        db.backend()
    );
    let expected: Vec<(String, usize)> = user_names
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("user:{n}"), if (i / BATCH).is_multiple_of(2) { 1 } else { 2 }))
        .chain(group_names.iter().map(|n| (format!("group:{n}"), 1)))
        .collect();
    assert_eq!(seen.len(), expected.len());
    assert!(seen == expected, "no gap, no duplicate, users then groups by name");
    assert_eq!(pages, 100);
    assert!(elapsed.as_secs() < 20, "paging took {elapsed:?}");

    // Filters page too.
    let groups = s
        .members(
            &pkey("big"),
            &MemberFilter {
                kind: Some("group".to_owned()),
                q: None,
            },
            &PageRequest {
                cursor: None,
                limit: 60,
            },
        )
        .await
        .unwrap();
    assert_eq!(groups.items.len(), 60);
    let rest = s
        .members(
            &pkey("big"),
            &MemberFilter {
                kind: Some("group".to_owned()),
                q: None,
            },
            &PageRequest {
                cursor: groups.next_cursor,
                limit: 60,
            },
        )
        .await
        .unwrap();
    assert_eq!((rest.items.len(), rest.next_cursor), (40, None));
    let found = s
        .members(
            &pkey("big"),
            &MemberFilter {
                kind: None,
                q: Some("ER09989".to_owned()),
            },
            &PageRequest {
                cursor: None,
                limit: 100,
            },
        )
        .await
        .unwrap();
    let names: Vec<_> = found.items.iter().map(|m| m.principal.name().to_owned()).collect();
    assert_eq!(
        names,
        (99_890..=99_899).map(|i| format!("user{i:06}")).collect::<Vec<_>>()
    );
    // A search that finds ten among 100,000 users, far past the first
    // pages (SQLite's trigram index, PostgreSQL's pg_trgm), pages like the
    // rest, case-insensitively; a common one stops at the first page.
    let mut page = page_of(3);
    let mut sparse = Vec::new();
    loop {
        let got = s
            .users(
                &UserFilter {
                    q: Some("SER09989".to_owned()),
                    ..UserFilter::default()
                },
                &page,
            )
            .await
            .unwrap();
        sparse.extend(got.items.iter().map(|u| u.username.as_str().to_owned()));
        match got.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(
        sparse,
        (99_890..=99_899).map(|i| format!("user{i:06}")).collect::<Vec<_>>()
    );
    let common = s
        .users(
            &UserFilter {
                q: Some("user0".to_owned()),
                ..UserFilter::default()
            },
            &page_of(50),
        )
        .await
        .unwrap();
    assert_eq!(common.items.len(), 50);
    assert_eq!(common.items[49].username.as_str(), "user000049");
    assert!(common.next_cursor.is_some());
    let small = s
        .members(&pkey("small"), &MemberFilter::default(), &page_of(10))
        .await
        .unwrap();
    assert_eq!(small.items, [user_member("small", "user000001", &["Viewer"])]);
}
conformance!(hundred_thousand_members_page_without_gaps, hundred_thousand);

fn page_of(limit: usize) -> PageRequest {
    PageRequest { cursor: None, limit }
}

async fn user_filters(db: Db) {
    let s = &db.store;
    let mut mutations = Vec::new();
    let (person, service) = (gatehouse_authz::UserKind::Person, gatehouse_authz::UserKind::Service);
    let (local, scim, oidc) = (ManagedBy::Local, ManagedBy::Scim, ManagedBy::Oidc);
    for (name, email, status, kind, managed_by) in [
        ("alice", "Alice.Smith@Example.com", UserStatus::Active, person, local),
        ("bob", "bob@example.org", UserStatus::Invited, person, scim),
        ("carol_smith", "c@example.net", UserStatus::Active, service, local),
        ("dave", "dave%x@example.com", UserStatus::Disabled, person, oidc),
        ("erin", "erin@SMITHS.example", UserStatus::Active, service, scim),
    ] {
        let email = Some(gatehouse_domain::names::Email::parse(email).unwrap());
        mutations.push(Mutation::CreateUser(User {
            email,
            status,
            kind,
            managed_by,
            ..user(name)
        }));
    }
    apply(&db, mutations).await;
    let names = |filter: UserFilter, limit: usize| {
        let store = s.clone();
        async move {
            let mut all = Vec::new();
            let mut page = page_of(limit);
            loop {
                let got = store.users(&filter, &page).await.unwrap();
                all.extend(got.items.into_iter().map(|u| u.username.as_str().to_owned()));
                match got.next_cursor {
                    Some(c) => page.cursor = Some(c),
                    None => break all,
                }
            }
        }
    };
    let q = |q: &str| UserFilter {
        q: Some(q.to_owned()),
        ..UserFilter::default()
    };
    let kind = |kind| UserFilter {
        kind: Some(kind),
        ..UserFilter::default()
    };
    let managed = |managed_by| UserFilter {
        managed_by: Some(managed_by),
        ..UserFilter::default()
    };
    assert_eq!(names(kind(service), 1).await, ["carol_smith", "erin"]);
    assert_eq!(names(kind(person), 1).await, ["alice", "bob", "dave"]);
    assert_eq!(names(managed(scim), 1).await, ["bob", "erin"]);
    assert_eq!(names(managed(oidc), 10).await, ["dave"]);
    assert_eq!(
        names(
            UserFilter {
                q: Some("smith".to_owned()),
                kind: Some(service),
                managed_by: Some(local),
                ..UserFilter::default()
            },
            10
        )
        .await,
        ["carol_smith"]
    );
    assert_eq!(
        names(UserFilter::default(), 2).await,
        ["alice", "bob", "carol_smith", "dave", "erin"]
    );
    assert_eq!(names(q("SMITH"), 1).await, ["alice", "carol_smith", "erin"]);
    assert_eq!(names(q("example.org"), 10).await, ["bob"]);
    assert_eq!(names(q("%"), 10).await, ["dave"], "LIKE wildcards match themselves");
    assert_eq!(names(q("_"), 10).await, ["carol_smith"]);
    assert_eq!(
        names(
            UserFilter {
                q: None,
                status: Some(UserStatus::Active),
                ..UserFilter::default()
            },
            1
        )
        .await,
        ["alice", "carol_smith", "erin"]
    );
    assert_eq!(
        names(
            UserFilter {
                q: Some("smith".to_owned()),
                status: Some(UserStatus::Active),
                ..UserFilter::default()
            },
            10
        )
        .await
        .len(),
        3
    );
    assert!(
        names(
            UserFilter {
                q: None,
                status: Some(UserStatus::Locked),
                ..UserFilter::default()
            },
            10
        )
        .await
        .is_empty()
    );
    assert_eq!(names(q("e%x"), 10).await, ["dave"], "wildcards in a longer search too");
    assert!(
        names(q("a\"b"), 10).await.is_empty(),
        "a quote is a character like any other"
    );

    // The search follows a changed email and a deleted user.
    let bob = s.user(&uname("bob")).await.unwrap().unwrap();
    let robert = Some(gatehouse_domain::names::Email::parse("robert@Example.org").unwrap());
    apply(&db, vec![Mutation::UpdateUser(User { email: robert, ..bob })]).await;
    assert_eq!(names(q("robert@"), 10).await, ["bob"]);
    assert!(names(q("bob@example"), 10).await.is_empty());
    apply(&db, vec![Mutation::DeleteUser(uname("erin"))]).await;
    assert_eq!(names(q("smith"), 10).await, ["alice", "carol_smith"]);
}
conformance!(user_listing_filters, user_filters);

async fn forged_cursors(db: Db) {
    let s = &db.store;
    build_world(&db).await;
    let first = s.users(&UserFilter::default(), &page_of(1)).await.unwrap();
    let users_cursor = first.next_cursor.clone().unwrap();
    let web_cursor = s
        .members(&pkey("web"), &MemberFilter::default(), &page_of(1))
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    let json = |text: &str| URL_SAFE_NO_PAD.encode(text);
    for forged in [
        "garbage!".to_owned(),
        json("not json"),
        json(r#"{"l":"users"}"#),
        json(r#"{"l":"users","a":17}"#),
        json(r#"{"l":"users","a":"bob","x":1}"#),
        format!("{users_cursor}="),
    ] {
        let page = PageRequest {
            cursor: Some(forged.clone()),
            limit: 10,
        };
        assert_eq!(
            s.users(&UserFilter::default(), &page).await.unwrap_err(),
            StoreError::InvalidCursor,
            "{forged}"
        );
    }
    let users_page = PageRequest {
        cursor: Some(users_cursor),
        limit: 10,
    };
    assert_eq!(s.groups(&users_page).await.unwrap_err(), StoreError::InvalidCursor);
    assert_eq!(s.projects(&users_page).await.unwrap_err(), StoreError::InvalidCursor);
    assert_eq!(s.outbox(&users_page).await.unwrap_err(), StoreError::InvalidCursor);
    assert_eq!(
        s.audit(&Default::default(), &users_page).await.unwrap_err(),
        StoreError::InvalidCursor
    );
    let web_page = PageRequest {
        cursor: Some(web_cursor.clone()),
        limit: 10,
    };
    assert_eq!(
        s.members(&pkey("api"), &MemberFilter::default(), &web_page)
            .await
            .unwrap_err(),
        StoreError::InvalidCursor,
        "a cursor of another project's members"
    );
    assert_eq!(
        s.members(&pkey("web"), &MemberFilter::default(), &web_page)
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    // A well-formed cursor anywhere in the key space is just a position.
    let made = PageRequest {
        cursor: Some(json(r#"{"l":"users","a":"c"}"#)),
        limit: 10,
    };
    let after_c: Vec<_> = s
        .users(&UserFilter::default(), &made)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(after_c, [uname("carol"), uname("dave")]);
}
conformance!(forged_cursor_is_refused, forged_cursors);

async fn member_projects(db: Db) {
    let s = &db.store;
    build_world(&db).await;
    apply(
        &db,
        vec![
            Mutation::CreateProject(project("tools")),
            Mutation::SetMember(group_member("tools", "devs", &["Reader"])),
        ],
    )
    .await;
    let keys = |name: &'static str, limit: u32| {
        let store = s.clone();
        async move {
            let found = store.member_projects(&uname(name), limit).await.unwrap();
            found.iter().map(|k| k.as_str().to_owned()).collect::<Vec<_>>()
        }
    };
    // Directly, through a group, or both (once), by key.
    assert_eq!(keys("alice", 10).await, ["api", "tools", "web"]);
    assert_eq!(keys("bob", 10).await, ["tools", "web"]);
    assert_eq!(keys("carol", 10).await, ["api"]);
    assert!(keys("dave", 10).await.is_empty());
    assert!(keys("nobody", 10).await.is_empty());
    assert_eq!(keys("alice", 2).await, ["api", "tools"], "the first `limit`");
    apply(&db, vec![Mutation::RemoveGroupMember(gname("devs"), uname("bob"))]).await;
    assert_eq!(keys("bob", 10).await, ["web"]);
}
conformance!(
    a_users_projects_come_from_its_memberships_and_its_groups,
    member_projects
);
