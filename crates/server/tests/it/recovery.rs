//! Invitations, password resets and password changes an attacker cannot
//! turn against a user (SPEC §5.1, §6): no live link is ever readable from
//! the outbox, links die with their purpose, a wrong current password is a
//! failed login, sessions end with a reset, argon2 work is bounded, weak
//! hashes are upgraded, and sessions time out by the server's clock.

use std::time::Duration;

use gatehouse_domain::Store as _;
use gatehouse_domain::entities::{LINK_PLACEHOLDER, SecretPurpose};
use gatehouse_domain::names::Username;
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{Answer, Backend, TestServer, password_of, start_sqlite, start_with};

/// The secret at the end of an answer's `link`.
fn link_secret(answer: &Answer) -> String {
    let link = answer.body["link"]
        .as_str()
        .unwrap_or_else(|| unreachable!("no link: {:?}", answer.body));
    link.rsplit('/').next().unwrap().to_owned()
}

async fn accept(t: &TestServer, secret: &str, password: &str) -> Answer {
    t.call(
        Method::POST,
        &format!("/api/v1/invitations/{secret}/accept"),
        None,
        Some(&json!({"password": password})),
    )
    .await
}

/// A web session: (cookie pair, CSRF token).
async fn session(t: &TestServer, username: &str, password: &str) -> (String, String) {
    let login = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": username, "password": password})),
        )
        .await;
    assert_eq!(login.status, 200, "{:?}", login.body);
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (cookie, login.body["csrf_token"].as_str().unwrap().to_owned())
}

async fn me_with(t: &TestServer, cookie: &str) -> u16 {
    t.http
        .get(format!("{}/api/v1/me", t.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn outbox(t: &TestServer, as_token: &str) -> Vec<Value> {
    let answer = t.get("/api/v1/invitations", as_token).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_cannot_read_or_take_a_pending_invitation_link() {
    let t = start_sqlite().await;
    let manager = t
        .user_with("manager", json!({"account_permissions": ["accounts.manage"]}))
        .await;
    // An admin invites a new platform admin, and a fellow account manager
    // (whom the manager dominates: re-sending its link is allowed, SPEC §2.5).
    let boss = t
        .post(
            "/api/v1/users",
            &t.admin,
            &json!({"email": "boss@example.com", "username": "boss", "admin": true}),
        )
        .await;
    assert_eq!(boss.status, 201, "{:?}", boss.body);
    let auditor = t
        .post(
            "/api/v1/invitations",
            &t.admin,
            &json!({"email": "auditor@example.com", "username": "auditor", "account_permissions": ["accounts.manage"]}),
        )
        .await;
    assert_eq!(auditor.status, 201, "{:?}", auditor.body);
    let admins_secret = link_secret(&auditor);

    // The outbox, as the manager reads it, holds no link.
    let messages = outbox(&t, &manager).await;
    assert_eq!(messages.len(), 2);
    for m in &messages {
        let body = m["body"].as_str().unwrap();
        assert!(!body.contains("/invitations/"), "{body}");
        assert!(!body.contains(&admins_secret), "{body}");
        assert!(body.contains("[link withheld"), "{body}");
    }
    // Nor does the store: only the secret's hash is kept.
    let store = t.server.app().store();
    let kept = store
        .invitation(&gatehouse_server::credentials::sha256_hex(&admins_secret))
        .await
        .unwrap();
    assert!(kept.is_some(), "the invitation is stored under the secret's SHA-256");
    assert!(store.invitation(&admins_secret).await.unwrap().is_none());
    let page = gatehouse_domain::store::PageRequest {
        cursor: None,
        limit: 100,
    };
    for queued in store.outbox(&page).await.unwrap().items {
        assert!(
            queued.message.body.contains(LINK_PLACEHOLDER),
            "{:?}",
            queued.message.body
        );
        assert!(!queued.message.body.contains(&admins_secret));
    }

    // Re-sending the platform admin's invitation is refused to the manager…
    let resend_boss = t
        .post("/api/v1/invitations", &manager, &json!({"email": "boss@example.com"}))
        .await;
    assert_eq!(resend_boss.status, 403, "{:?}", resend_boss.body);
    // …and a re-send it may make never shows it the new link.
    let resend = t
        .post(
            "/api/v1/invitations",
            &manager,
            &json!({"email": "auditor@example.com"}),
        )
        .await;
    assert_eq!(resend.status, 200, "{:?}", resend.body);
    assert!(resend.body.get("link").is_none(), "{:?}", resend.body);
    assert_eq!(
        accept(&t, &admins_secret, "the-takeover-password").await.status,
        404,
        "the re-send killed the old link"
    );
    assert!(
        outbox(&t, &manager)
            .await
            .iter()
            .all(|m| !m["body"].as_str().unwrap().contains("/invitations/"))
    );
    // The manager has no way to the boss's account.
    assert_eq!(t.login_token("boss", "the-takeover-password").await.status, 401);

    // Nor to a user holding what the manager lacks: a new link for it is
    // acting on its credentials, which needs dominance (SPEC §2.5).
    let reader = t
        .post(
            "/api/v1/invitations",
            &t.admin,
            &json!({"email": "reader@example.com", "username": "reader", "account_permissions": ["audit.read"]}),
        )
        .await;
    assert_eq!(reader.status, 201, "{:?}", reader.body);
    let resend_reader = t
        .post("/api/v1/invitations", &manager, &json!({"email": "reader@example.com"}))
        .await;
    assert_eq!(resend_reader.status, 403, "{:?}", resend_reader.body);
    assert_eq!(resend_reader.code(), "escalation");
    assert_eq!(
        accept(&t, &link_secret(&reader), &password_of("reader")).await.status,
        204,
        "the refused re-send left the reader's link alive"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invitations_are_resent_with_a_new_link_and_refused_once_enabled() {
    let t = start_sqlite().await;
    let first = t
        .post(
            "/api/v1/invitations",
            &t.admin,
            &json!({"email": "gus@example.com", "username": "gus"}),
        )
        .await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert_eq!(first.body["user"]["status"], "invited");
    assert!(first.body["expires_at"].is_string());
    let old = link_secret(&first);

    // A week later the link has expired: not a dead end, re-send.
    t.server.app().advance_clock(time::Duration::days(8));
    assert_eq!(accept(&t, &old, &password_of("gus")).await.status, 404, "expired");
    let again = t
        .post("/api/v1/invitations", &t.admin, &json!({"email": "gus@example.com"}))
        .await;
    assert_eq!(again.status, 200, "a re-send: {:?}", again.body);
    let new = link_secret(&again);
    assert_ne!(new, old);
    let changes = t
        .post(
            "/api/v1/invitations",
            &t.admin,
            &json!({"email": "gus@example.com", "account_permissions": ["audit.read"]}),
        )
        .await;
    assert_eq!(
        changes.status, 422,
        "a re-send changes nothing else: {:?}",
        changes.body
    );
    assert_eq!(changes.body["errors"][0]["field"], "account_permissions");
    let other = t
        .post(
            "/api/v1/invitations",
            &t.admin,
            &json!({"email": "gus@example.com", "username": "not-gus"}),
        )
        .await;
    assert_eq!(other.status, 409, "{:?}", other.body);

    assert_eq!(accept(&t, &new, &password_of("gus")).await.status, 204);
    t.token_for("gus", &password_of("gus")).await;
    let enabled = t
        .post("/api/v1/invitations", &t.admin, &json!({"email": "gus@example.com"}))
        .await;
    assert_eq!(
        enabled.status, 409,
        "an enabled user is not invited: {:?}",
        enabled.body
    );
    assert_eq!(enabled.code(), "already_exists");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_old_invitation_never_overwrites_a_password() {
    let t = start_sqlite().await;
    // Set by an admin: the link dies.
    let invited = t
        .post(
            "/api/v1/invitations",
            &t.admin,
            &json!({"email": "hal@example.com", "username": "hal"}),
        )
        .await;
    let link = link_secret(&invited);
    let set = t
        .call(
            Method::PUT,
            "/api/v1/users/hal/password",
            Some(&t.admin.clone()),
            Some(&json!({"new_password": password_of("hal")})),
        )
        .await;
    assert_eq!(set.status, 204, "{:?}", set.body);
    assert_eq!(accept(&t, &link, "the-attackers-password").await.status, 404);
    t.token_for("hal", &password_of("hal")).await;

    // Created with a password, re-invited, then logged in: the link dies.
    let created = t
        .post(
            "/api/v1/users",
            &t.admin,
            &json!({"email": "ida@example.com", "username": "ida", "password": password_of("ida")}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let resent = t
        .post("/api/v1/invitations", &t.admin, &json!({"email": "ida@example.com"}))
        .await;
    assert_eq!(resent.status, 200, "still invited: {:?}", resent.body);
    let link = link_secret(&resent);
    t.token_for("ida", &password_of("ida")).await;
    assert_eq!(accept(&t, &link, "the-attackers-password").await.status, 404);
    t.token_for("ida", &password_of("ida")).await;
    assert_eq!(t.login_token("ida", "the-attackers-password").await.status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_reset_link_sets_the_password_ends_the_lock_and_the_sessions() {
    let t = start_sqlite().await;
    let token = t.user("jo").await;
    let (cookie, _) = session(&t, "jo", &password_of("jo")).await;
    let reset_path = "/api/v1/auth/password-reset";
    for email in ["jo@example.com", "nobody-here@example.com", "JO@EXAMPLE.COM"] {
        let answer = t
            .call(Method::POST, reset_path, None, Some(&json!({"email": email})))
            .await;
        assert_eq!(answer.status, 202, "{email}: {:?}", answer.body);
        assert_eq!(answer.body, Value::Null, "no body, whatever the address");
    }
    let bad = t
        .call(
            Method::POST,
            reset_path,
            None,
            Some(&json!({"email": "not an address"})),
        )
        .await;
    assert_eq!(bad.status, 422);
    let old = t.mint_link("jo", SecretPurpose::PasswordReset).await;
    // The second request replaced the first link; take the newest.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let secret = t.mint_link("jo", SecretPurpose::PasswordReset).await;
    assert_ne!(old, secret);
    let messages = outbox(&t, &t.admin).await;
    let resets: Vec<_> = messages.iter().filter(|m| m["to"] == "jo@example.com").collect();
    assert!(!resets.is_empty());
    assert!(
        messages.iter().all(|m| m["to"] != "nobody-here@example.com"),
        "an unknown address gets nothing"
    );

    // Locked by failures, jo resets its password.
    for _ in 0..10 {
        t.login_token("jo", "not-the-password").await;
    }
    assert_eq!(t.get("/api/v1/users/jo", &t.admin).await.body["status"], "locked");
    let path = format!("{reset_path}/{secret}");
    let weak = t
        .call(Method::POST, &path, None, Some(&json!({"password": "short"})))
        .await;
    assert_eq!(weak.status, 422);
    let done = t
        .call(
            Method::POST,
            &path,
            None,
            Some(&json!({"password": "jo-has-a-new-password"})),
        )
        .await;
    assert_eq!(done.status, 204, "{:?}", done.body);
    assert_eq!(
        t.get("/api/v1/users/jo", &t.admin).await.body["status"],
        "enabled",
        "the lock ended"
    );
    assert_eq!(me_with(&t, &cookie).await, 401, "a reset ends every session");
    assert_eq!(t.get("/api/v1/me", &token).await.status, 200, "tokens stay");
    t.token_for("jo", "jo-has-a-new-password").await;
    let again = t
        .call(
            Method::POST,
            &path,
            None,
            Some(&json!({"password": "jo-tries-once-more"})),
        )
        .await;
    assert_eq!(again.status, 404, "single use");
    let forged = t
        .call(
            Method::POST,
            &format!("{reset_path}/forged"),
            None,
            Some(&json!({"password": "jo-tries-once-more"})),
        )
        .await;
    assert_eq!(forged.status, 404);

    // An hour later a link is dead.
    t.call(
        Method::POST,
        reset_path,
        None,
        Some(&json!({"email": "jo@example.com"})),
    )
    .await;
    let late = t.mint_link("jo", SecretPurpose::PasswordReset).await;
    t.server.app().advance_clock(time::Duration::minutes(61));
    let expired = t
        .call(
            Method::POST,
            &format!("{reset_path}/{late}"),
            None,
            Some(&json!({"password": "jo-is-too-late-now"})),
        )
        .await;
    assert_eq!(expired.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_or_invited_account_gets_no_reset_link() {
    let t = start_sqlite().await;
    t.user("kim").await;
    assert_eq!(
        t.post("/api/v1/users/kim/disable", &t.admin, &json!({})).await.status,
        200
    );
    t.post(
        "/api/v1/users",
        &t.admin,
        &json!({"email": "lee@example.com", "username": "lee"}),
    )
    .await;
    let before = outbox(&t, &t.admin).await.len();
    for email in ["kim@example.com", "lee@example.com"] {
        let answer = t
            .call(
                Method::POST,
                "/api/v1/auth/password-reset",
                None,
                Some(&json!({"email": email})),
            )
            .await;
        assert_eq!(answer.status, 202);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(outbox(&t, &t.admin).await.len(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_current_password_is_a_failed_login() {
    let t = start_with(&Backend::Sqlite, |c| c.login_attempts_per_minute = 10_000).await;
    let token = t.user("max").await;
    let path = "/api/v1/users/max/password";
    for i in 1..=10 {
        let wrong = t
            .call(
                Method::PUT,
                path,
                Some(&token),
                Some(&json!({"current_password": format!("guess-number-{i:02}"), "new_password": "max-new-password"})),
            )
            .await;
        assert_eq!(wrong.status, 422, "guess {i}: {:?}", wrong.body);
        assert_eq!(wrong.body["errors"][0]["field"], "current_password");
    }
    let user = t.get("/api/v1/users/max", &t.admin).await;
    assert_eq!(
        user.body["status"], "locked",
        "ten wrong guesses lock, as ten failed logins do"
    );
    let right = t
        .call(
            Method::PUT,
            path,
            Some(&token),
            Some(&json!({"current_password": password_of("max"), "new_password": "max-new-password"})),
        )
        .await;
    assert_ne!(right.status, 204, "no more guesses while locked: {:?}", right.body);
    assert_ne!(t.login_token("max", &password_of("max")).await.status, 201);
    let audit = t
        .get("/api/v1/audit?event=login.failed&target=max&limit=100", &t.admin)
        .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 10, "{:?}", audit.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn current_password_guesses_are_rate_limited_like_logins() {
    // 6 attempts a minute per address; the admin's and the user's own
    // logins spent two.
    let t = start_with(&Backend::Sqlite, |c| c.login_attempts_per_minute = 6).await;
    let token = t.user("ned").await;
    for i in 1..=5 {
        let answer = t
            .call(
                Method::PUT,
                "/api/v1/users/ned/password",
                Some(&token),
                Some(&json!({"current_password": format!("guess-number-{i:02}"), "new_password": "ned-new-password"})),
            )
            .await;
        if i <= 4 {
            assert_eq!(answer.status, 422, "guess {i}: {:?}", answer.body);
        } else {
            assert_eq!(answer.status, 429, "guess {i}: {:?}", answer.body);
            assert!(answer.header("retry-after").is_some());
        }
    }
    let login = t.login_token("ned", &password_of("ned")).await;
    assert_eq!(login.status, 429, "guesses and logins share the limit");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_is_rate_limited_per_account_apart_from_the_address() {
    // 36 a minute per address, 12 per account.
    let t = start_with(&Backend::Sqlite, |c| c.login_attempts_per_minute = 36).await;
    for i in 1..=12 {
        let answer = t.login_token("no-such-account", "not-the-password").await;
        assert_eq!(answer.status, 401, "attempt {i}");
    }
    let limited = t.login_token("NO-SUCH-ACCOUNT", "not-the-password").await;
    assert_eq!(limited.status, 429, "the account's limit, whatever its case");
    assert!(limited.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    let other = t.login_token("another-account", "not-the-password").await;
    assert_eq!(other.status, 401, "the address has attempts left");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_change_ends_the_other_sessions_and_a_reset_all_of_them() {
    let t = start_sqlite().await;
    let token = t.user("ola").await;
    let (mine, csrf) = session(&t, "ola", &password_of("ola")).await;
    let (other, _) = session(&t, "ola", &password_of("ola")).await;
    let changed = t
        .http
        .put(format!("{}/api/v1/users/ola/password", t.url))
        .header("cookie", &mine)
        .header("x-csrf-token", &csrf)
        .json(&json!({"current_password": password_of("ola"), "new_password": "ola-second-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    assert_eq!(me_with(&t, &mine).await, 200, "the session that changed it stays");
    assert_eq!(me_with(&t, &other).await, 401, "every other session ends");
    assert_eq!(t.get("/api/v1/me", &token).await.status, 200, "tokens stay");

    let reset = t
        .call(
            Method::PUT,
            "/api/v1/users/ola/password",
            Some(&t.admin.clone()),
            Some(&json!({"new_password": "ola-third-password"})),
        )
        .await;
    assert_eq!(reset.status, 204, "{:?}", reset.body);
    assert_eq!(me_with(&t, &mine).await, 401, "a reset by an admin ends every session");
    assert_eq!(t.get("/api/v1/me", &token).await.status, 200, "tokens stay");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_weaker_hash_is_upgraded_at_the_next_login() {
    let t = start_sqlite().await;
    t.user("pat").await;
    let store = t.server.app().store();
    let pat = Username::parse("pat").unwrap();
    let stored = store.user(&pat).await.unwrap().unwrap().password_hash.unwrap();
    let params = argon2::Params::new(8 * 1024, 1, 1, None).unwrap();
    let weak = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let weak = argon2::password_hash::PasswordHasher::hash_password(&weak, password_of("pat").as_bytes())
        .unwrap()
        .to_string();
    assert!(store.upgrade_password_hash(&pat, &stored, &weak).await.unwrap());
    assert!(gatehouse_server::password::needs_rehash(&weak));

    t.token_for("pat", &password_of("pat")).await;
    let upgraded = store.user(&pat).await.unwrap().unwrap().password_hash.unwrap();
    assert_ne!(upgraded, weak);
    assert!(!gatehouse_server::password::needs_rehash(&upgraded), "{upgraded}");
    assert!(upgraded.contains("m=19456,t=2,p=1"), "{upgraded}");
    t.token_for("pat", &password_of("pat")).await;
    assert_eq!(
        store.user(&pat).await.unwrap().unwrap().password_hash.unwrap(),
        upgraded,
        "a current hash stays"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_password_change_costs_no_hashing() {
    let t = start_sqlite().await;
    let narrow = t.user("quinn").await;
    let before = t.server.app().password_jobs();
    for _ in 0..20 {
        let refused = t
            .call(
                Method::PUT,
                "/api/v1/users/admin/password",
                Some(&narrow),
                Some(&json!({"new_password": "quinn-wants-to-be-admin"})),
            )
            .await;
        assert_eq!(refused.status, 403, "{:?}", refused.body);
    }
    assert_eq!(t.server.app().password_jobs(), before, "authorized before hashing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_logins_past_the_queue_gets_503_with_retry_after() {
    let t = start_with(&Backend::Sqlite, |c| c.login_attempts_per_minute = 100_000).await;
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let burst = workers * 17 + 80;
    let mut calls = Vec::new();
    for i in 0..burst {
        let http = t.http.clone();
        let url = format!("{}/api/v1/auth/token", t.url);
        calls.push(tokio::spawn(async move {
            let response = http
                .post(url)
                .json(&json!({"username": format!("nobody-{i}"), "password": "not-the-password"}))
                .send()
                .await
                .unwrap();
            let retry = response.headers().get("retry-after").is_some();
            (response.status().as_u16(), retry)
        }));
    }
    let (mut busy, mut refused) = (0, 0);
    for call in calls {
        match call.await.unwrap() {
            (503, retry) => {
                assert!(retry, "503 carries Retry-After");
                busy += 1;
            }
            (401, _) => refused += 1,
            other => unreachable!("unexpected answer {other:?}"),
        }
    }
    assert!(busy > 0, "past the queue the gate refuses ({refused} answered)");
    assert!(
        refused >= workers,
        "the gate's workers and queue were served ({busy} refused)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_ends_after_30_idle_minutes_and_12_hours_whatever_happens() {
    let t = start_sqlite().await;
    t.user("ray").await;
    let app = t.server.app();
    let (idle, _) = session(&t, "ray", &password_of("ray")).await;
    app.advance_clock(time::Duration::minutes(29));
    assert_eq!(me_with(&t, &idle).await, 200, "29 idle minutes");
    app.advance_clock(time::Duration::minutes(29));
    assert_eq!(me_with(&t, &idle).await, 200, "the last request reset the idle time");
    app.advance_clock(time::Duration::minutes(31));
    assert_eq!(me_with(&t, &idle).await, 401, "31 idle minutes");

    let (busy, _) = session(&t, "ray", &password_of("ray")).await;
    for step in 1..=30 {
        app.advance_clock(time::Duration::minutes(25));
        let status = me_with(&t, &busy).await;
        let elapsed = step * 25;
        if elapsed < 12 * 60 {
            assert_eq!(status, 200, "after {elapsed} busy minutes");
        } else {
            assert_eq!(status, 401, "after {elapsed} minutes: the absolute limit");
            return;
        }
    }
    unreachable!("the session outlived 12 hours");
}
