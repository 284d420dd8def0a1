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

/// SPEC §5.1, §6.1: ten failures lock the password; a locked account
/// answers exactly as a wrong password and an unknown user do.
#[tokio::test(flavor = "multi_thread")]
async fn ten_failures_lock_the_password_until_an_admin_unlocks_it() {
    let t = start_sqlite().await;
    let token = t.user("erin").await;
    for i in 1..=10 {
        let failed = t.login_token("erin", "not-the-password").await;
        assert_eq!(failed.status, 401, "attempt {i}");
        assert_eq!(failed.code(), "invalid_credentials", "attempt {i}");
    }
    let locked = t.login_token("erin", &password_of("erin")).await;
    let unknown = t.login_token("nobody-at-all", &password_of("erin")).await;
    assert_eq!(locked.status, 401);
    assert_eq!(
        locked.code(),
        "invalid_credentials",
        "the 11th attempt, even with the right password, answers as a wrong one"
    );
    assert_eq!(
        locked.body["detail"], unknown.body["detail"],
        "no hint that the account exists"
    );
    assert_eq!(locked.body["title"], unknown.body["title"]);
    let user = t.get("/api/v1/users/erin", &t.admin).await;
    assert_eq!(user.body["status"], "locked", "the admin's view tells the lock");
    let refused = t.get("/api/v1/audit?event=login.refused&target=erin", &t.admin).await;
    assert_eq!(
        refused.body["items"].as_array().unwrap().len(),
        1,
        "the audit log tells it"
    );
    assert_eq!(
        t.get("/api/v1/me", &token).await.status,
        200,
        "the lock guards the password alone"
    );

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

/// SPEC §2.1: a lock guards the password alone — the locked user's token
/// keeps working and its checks still allow; after 15 minutes its password
/// works again.
#[tokio::test(flavor = "multi_thread")]
async fn a_locked_users_token_and_checks_keep_working_until_its_lock_ends() {
    let t = start_sqlite().await;
    let token = t.user("gina").await;
    t.web_with_reader(vec![(
        Method::PUT,
        "/api/v1/projects/web/members/users/gina".to_owned(),
        json!({"roles": ["Reader"]}),
    )])
    .await;
    let check =
        json!({"user": "gina", "action": "repository.read", "project": "web", "environment": "DEV", "explain": true});
    for _ in 0..10 {
        assert_eq!(t.login_token("gina", "not-the-password").await.status, 401);
    }
    assert_eq!(t.get("/api/v1/users/gina", &t.admin).await.body["status"], "locked");
    let me = t.get("/api/v1/me", &token).await;
    assert_eq!(me.status, 200, "locked: its token still works: {:?}", me.body);
    let answer = t.post("/api/v1/check", &t.admin, &check).await;
    assert_eq!(
        answer.body["allowed"], true,
        "locked: its checks still allow: {:?}",
        answer.body
    );
    let own = json!({"action": "repository.read", "project": "web", "environment": "DEV"});
    let answer = t.post("/api/v1/check", &token, &own).await;
    assert_eq!(
        answer.body["allowed"], true,
        "locked: asking with its own token: {:?}",
        answer.body
    );
    assert_eq!(
        t.login_token("gina", &password_of("gina")).await.code(),
        "invalid_credentials",
        "but not its password"
    );

    // Fifteen minutes later, as the store sees it.
    super::lockout::time_passes(&t, "gina").await;
    assert_eq!(t.get("/api/v1/users/gina", &t.admin).await.body["status"], "enabled");
    t.token_for("gina", &password_of("gina")).await;
}
