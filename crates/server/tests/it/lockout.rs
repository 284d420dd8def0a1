//! The lockout of SPEC §5.1 over HTTP: a sliding window, never a service
//! account, and a lock that never changes whether the user has logged in.

use gatehouse_domain::Store as _;
use gatehouse_domain::names::Username;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::spawn::{TestServer, password_of, start_sqlite};

fn uname(name: &str) -> Username {
    Username::parse(name).unwrap()
}

/// Moves `username`'s lock 16 minutes into the past, as if its time had
/// passed (the store is the clock the server reads the lock from).
pub async fn time_passes(t: &TestServer, username: &str) {
    let store = t.server.app().store();
    let mut user = store.user(&uname(username)).await.unwrap().unwrap();
    let now = OffsetDateTime::now_utc();
    user.locked_until = Some(now - Duration::minutes(1));
    for at in &mut user.recent_failures {
        *at -= Duration::minutes(16);
    }
    let commit = gatehouse_domain::Commit {
        mutations: vec![gatehouse_domain::Mutation::UpdateUser(user)],
        audit: gatehouse_domain::AuditEntry {
            actor: gatehouse_domain::AuditActor::default(),
            event: "test.time_passes".into(),
            target_type: "user".into(),
            target_id: username.into(),
            project: None,
            before: None,
            after: None,
            request_id: None,
        },
        expected_revision: None,
    };
    store.commit(&commit, now).await.unwrap();
}

async fn fail_logins(t: &TestServer, username: &str, times: usize) {
    for i in 0..times {
        let answer = t.login_token(username, "not-the-password").await;
        assert_eq!(answer.status, 401, "attempt {i}: {:?}", answer.body);
        assert_eq!(answer.code(), "invalid_credentials", "attempt {i}");
    }
}

/// A user created with a password that never logged in: `invited`.
async fn invited(t: &TestServer, username: &str) {
    let body = json!({"username": username, "email": format!("{username}@example.com"),
        "password": password_of(username)});
    let created = t.post("/api/v1/users", &t.admin, &body).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["status"], "invited");
}

async fn status(t: &TestServer, username: &str) -> String {
    let user = t.get(&format!("/api/v1/users/{username}"), &t.admin).await;
    assert_eq!(user.status, 200, "{:?}", user.body);
    user.body["status"].as_str().unwrap().to_owned()
}

/// SPEC §5.1: an `invited` user locked and unlocked — by an admin, or by
/// time — is `invited` again, and its first login is its first.
#[tokio::test(flavor = "multi_thread")]
async fn an_invited_user_locked_and_unlocked_is_invited_again() {
    let t = start_sqlite().await;
    invited(&t, "ivy").await;
    fail_logins(&t, "ivy", 10).await;
    assert_eq!(status(&t, "ivy").await, "locked");
    let unlocked = t.post("/api/v1/users/ivy/unlock", &t.admin, &json!({})).await;
    assert_eq!(unlocked.status, 200, "{:?}", unlocked.body);
    assert_eq!(
        unlocked.body["status"], "invited",
        "never logged in: invited, not enabled"
    );
    assert_eq!(status(&t, "ivy").await, "invited");

    // By time.
    invited(&t, "ian").await;
    fail_logins(&t, "ian", 10).await;
    assert_eq!(status(&t, "ian").await, "locked");
    time_passes(&t, "ian").await;
    assert_eq!(status(&t, "ian").await, "invited");
    let users = t.get("/api/v1/users?q=ian", &t.admin).await;
    assert_eq!(users.body["items"][0]["status"], "invited", "{:?}", users.body);
    // Its first login after the lock activates it, audited as the first.
    t.token_for("ian", &password_of("ian")).await;
    assert_eq!(status(&t, "ian").await, "enabled");
    let activated = t.get("/api/v1/audit?event=user.activated&target=ian", &t.admin).await;
    assert_eq!(activated.body["items"].as_array().unwrap().len(), 1);
}

/// SPEC §5.1: ten failures within ANY 15 minutes lock — the window slides.
/// Nine failures 14 minutes ago and one now lock; nine failures 16 minutes
/// ago and one now do not.
#[tokio::test(flavor = "multi_thread")]
async fn the_lockout_window_slides() {
    let t = start_sqlite().await;
    t.user("sam").await;
    t.user("sid").await;
    let store = t.server.app().store();
    let now = OffsetDateTime::now_utc();
    for (name, ago) in [("sam", 14), ("sid", 16)] {
        let mut user = store.user(&uname(name)).await.unwrap().unwrap();
        user.recent_failures = (0..9)
            .map(|i| now - Duration::minutes(ago) + Duration::seconds(i))
            .collect();
        store.save_login_state(&user).await.unwrap();
    }
    fail_logins(&t, "sam", 1).await;
    assert_eq!(status(&t, "sam").await, "locked", "the tenth within 15 minutes");
    fail_logins(&t, "sid", 1).await;
    assert_eq!(
        status(&t, "sid").await,
        "enabled",
        "the nine before have left the window"
    );
    let sid = store.user(&uname("sid")).await.unwrap().unwrap();
    assert_eq!(sid.recent_failures.len(), 1, "the window forgets what left it");
}

/// SPEC §5.1: service accounts have no password and are never locked; and
/// failing logins in the admin's name takes nothing from it (§2.1).
#[tokio::test(flavor = "multi_thread")]
async fn no_one_locks_a_service_account_or_takes_the_admin_s_access_away() {
    let t = start_sqlite().await;
    let body = json!({"username": "ci-bot", "email": "ci-bot@example.com", "kind": "service"});
    let created = t.post("/api/v1/users", &t.admin, &body).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    fail_logins(&t, "ci-bot", 12).await;
    assert_ne!(status(&t, "ci-bot").await, "locked");
    let bot = t.server.app().store().user(&uname("ci-bot")).await.unwrap().unwrap();
    assert!(bot.recent_failures.is_empty(), "nothing counted");

    fail_logins(&t, "admin", 10).await;
    assert_eq!(status(&t, "admin").await, "locked");
    let me = t.get("/api/v1/me", &t.admin).await;
    assert_eq!(me.status, 200, "the admin's token works: {:?}", me.body);
    let write = t
        .post(
            "/api/v1/projects",
            &t.admin,
            &json!({"key": "web", "display_name": "Web"}),
        )
        .await;
    assert_eq!(write.status, 201, "and still writes as an admin: {:?}", write.body);
}
