//! Authentication over HTTP (SPEC §6): unknown users and wrong passwords
//! alike, lockout, rate limits, sessions with their cookie flags and CSRF
//! token, and the first admin's password file.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::spawn::{Backend, TestServer, config, password_of, spawn, start_sqlite, start_with};

async fn timed_login(t: &TestServer, username: &str, password: &str) -> (crate::spawn::Answer, Duration) {
    let started = Instant::now();
    let answer = t.login_token(username, password).await;
    (answer, started.elapsed())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_users_and_wrong_passwords_answer_alike_and_cost_the_same() {
    let t = start_sqlite().await;
    t.user("dora").await;
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for i in 0..5 {
        let (a, da) = timed_login(&t, &format!("nobody{i}"), "some-long-password").await;
        let (b, db) = timed_login(&t, "dora", &format!("wrong-password-{i}")).await;
        assert_eq!(a.status, 401);
        assert_eq!(b.status, 401);
        assert_eq!(a.code(), "invalid_credentials");
        assert_eq!(a.body["detail"], b.body["detail"], "the same words");
        assert_eq!(a.body["title"], b.body["title"]);
        unknown.push(da);
        wrong.push(db);
    }
    let (unknown, wrong) = (median(unknown), median(wrong));
    // Without the dummy hash an unknown user answers in well under a
    // millisecond; an argon2id verification takes tens.
    assert!(
        unknown * 2 >= wrong && wrong * 2 >= unknown,
        "unknown user {unknown:?} vs wrong password {wrong:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_failures_lock_the_account_until_an_admin_unlocks_it() {
    let t = start_sqlite().await;
    t.user("erin").await;
    for i in 1..=10 {
        let failed = t.login_token("erin", "not-the-password").await;
        assert_eq!(failed.status, 401, "attempt {i}");
        assert_eq!(failed.code(), "invalid_credentials", "attempt {i}");
    }
    let locked = t.login_token("erin", &password_of("erin")).await;
    assert_eq!(locked.status, 401);
    assert_eq!(
        locked.code(),
        "user_locked",
        "the 11th attempt, even with the right password"
    );
    let user = t.get("/api/v1/users/erin", &t.admin).await;
    assert_eq!(user.body["status"], "locked");

    let unlocked = t.post("/api/v1/users/erin/unlock", &t.admin, &json!({})).await;
    assert_eq!(unlocked.status, 200, "{:?}", unlocked.body);
    assert_eq!(unlocked.body["status"], "enabled");
    t.token_for("erin", &password_of("erin")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn password_attempts_are_rate_limited_per_address() {
    let t = start_with(&Backend::Sqlite, |c| c.login_attempts_per_minute = 6).await;
    // The admin's login at start spent one attempt.
    let mut answers = Vec::new();
    for i in 0..6 {
        answers.push(t.login_token(&format!("someone{i}"), "some-long-password").await);
    }
    assert!(answers[..5].iter().all(|a| a.status == 401), "{answers:?}");
    let limited = &answers[5];
    assert_eq!(limited.status, 429);
    assert_eq!(limited.code(), "rate_limited");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let login = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": "admin", "password": "x"})),
        )
        .await;
    assert_eq!(login.status, 429, "login and token exchange share the limit");
}

fn session_cookie(answer: &crate::spawn::Answer) -> (String, String) {
    let set = answer.header("set-cookie").unwrap().to_owned();
    let pair = set.split(';').next().unwrap().to_owned();
    (pair, set)
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_carry_strict_cookies_and_need_the_csrf_token_on_writes() {
    let t = start_sqlite().await;
    t.user("fay").await;
    let login = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": "fay@example.com", "password": password_of("fay")})),
        )
        .await;
    assert_eq!(login.status, 200, "{:?}", login.body);
    assert_eq!(
        login.body["user"]["username"], "fay",
        "email accepted as the login name"
    );
    let csrf = login.body["csrf_token"].as_str().unwrap().to_owned();
    let (cookie, set) = session_cookie(&login);
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(!set.contains("Secure"), "plain http without an https public_url: {set}");

    let with_cookie = |method: Method, path: &str| {
        t.http
            .request(method, format!("{}{path}", t.url))
            .header("cookie", cookie.clone())
    };
    let me = with_cookie(Method::GET, "/api/v1/me").send().await.unwrap();
    assert_eq!(me.status(), 200);
    let no_csrf = with_cookie(Method::POST, "/api/v1/tokens")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403, "a write without the CSRF token");
    let wrong = with_cookie(Method::POST, "/api/v1/tokens")
        .header("x-csrf-token", "forged")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let ok = with_cookie(Method::POST, "/api/v1/tokens")
        .header("x-csrf-token", &csrf)
        .json(&json!({"description": "from the UI"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);

    let logout = with_cookie(Method::POST, "/api/v1/auth/logout")
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let after = with_cookie(Method::GET, "/api/v1/me").send().await.unwrap();
    assert_eq!(after.status(), 401, "logout deletes the session");
}

#[tokio::test(flavor = "multi_thread")]
async fn cookies_are_secure_behind_an_https_public_url() {
    let t = start_with(&Backend::Sqlite, |c| {
        c.public_url = Some("https://gate.example.com".into())
    })
    .await;
    let login = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": "admin", "password": crate::spawn::ADMIN_PASSWORD})),
        )
        .await;
    let (_, set) = session_cookie(&login);
    assert!(set.contains("Secure"), "{set}");
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_generated_admin_password_removes_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url) = spawn(config(dir.path())).await;
    let file = server.initial_admin().unwrap().file.clone();
    let generated = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{url}/api/v1/auth/token"))
        .json(&json!({"username": "admin", "password": generated}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap();
    let put = |body: serde_json::Value| {
        http.put(format!("{url}/api/v1/users/admin/password"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let without_current = put(json!({"new_password": "a brand new admin password"}))
        .await
        .unwrap();
    assert_eq!(
        without_current.status(),
        422,
        "one's own password needs the current one"
    );
    assert!(file.exists());
    let changed = put(json!({"current_password": generated, "new_password": "a brand new admin password"}))
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    assert!(!file.exists(), "the one-time password file is gone");
    let old = http
        .post(format!("{url}/api/v1/auth/token"))
        .json(&json!({"username": "admin", "password": generated}))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_whose_time_is_over_ends_at_the_next_request() {
    use gatehouse_domain::Store as _;
    use gatehouse_domain::names::Username;

    let t = start_sqlite().await;
    let token = t.user("gina").await;
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/projects",
            json!({"key": "web", "display_name": "Web"}),
        ),
        (
            Method::POST,
            "/api/v1/projects/web/roles",
            json!({"name": "Reader", "categories": ["artifacts.read"], "environments": ["DEV"]}),
        ),
        (
            Method::PUT,
            "/api/v1/projects/web/members/users/gina",
            json!({"roles": ["Reader"]}),
        ),
    ] {
        assert!(
            t.call(method, path, Some(&t.admin), Some(&body))
                .await
                .status
                .is_success(),
            "{path}"
        );
    }
    let check =
        json!({"user": "gina", "action": "repository.read", "project": "web", "environment": "DEV", "explain": true});
    for _ in 0..10 {
        assert_eq!(t.login_token("gina", "not-the-password").await.status, 401);
    }
    assert_eq!(t.get("/api/v1/me", &token).await.status, 401, "locked: its tokens too");
    assert_eq!(
        t.post("/api/v1/check", &t.admin, &check).await.body["denial"],
        "user_locked"
    );

    // Fifteen minutes later, as the store sees it.
    let store = t.server.app().store();
    let mut user = store.user(&Username::parse("gina").unwrap()).await.unwrap().unwrap();
    user.locked_until = Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(1));
    let commit = gatehouse_domain::Commit {
        mutations: vec![gatehouse_domain::Mutation::UpdateUser(user)],
        audit: gatehouse_domain::AuditEntry {
            actor: gatehouse_domain::AuditActor::default(),
            event: "test.time_passes".into(),
            target_type: "user".into(),
            target_id: "gina".into(),
            project: None,
            before: None,
            after: None,
            request_id: None,
        },
        expected_revision: None,
    };
    store.commit(&commit, time::OffsetDateTime::now_utc()).await.unwrap();

    let me = t.get("/api/v1/me", &token).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert_eq!(me.body["status"], "enabled");
    let answer = t.post("/api/v1/check", &t.admin, &check).await;
    assert_eq!(
        answer.body["allowed"], true,
        "no longer locked in the snapshot: {:?}",
        answer.body
    );
    let expired = t
        .get("/api/v1/audit?event=user.lock_expired&target=gina", &t.admin)
        .await;
    assert_eq!(expired.body["items"].as_array().unwrap().len(), 1);
}
