//! No account takeover (SPEC §2.5): acting on another user's credentials or
//! standing — its password, email, status, deletion, tokens and groups —
//! needs the actor to dominate that user, else 403 `escalation` and
//! nothing changes. Adding a user to a group is a grant (`may_join`), and
//! the last admin stays (409 `last_admin`).

use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{Answer, TestServer, password_of, start_sqlite};

async fn must(t: &TestServer, method: Method, path: &str, body: Value) -> Answer {
    let answer = t.call(method, path, Some(&t.admin), Some(&body)).await;
    assert!(
        answer.status.is_success(),
        "{path}: {} {:?}",
        answer.status,
        answer.body
    );
    answer
}

/// `accounts` holds `accounts.manage` only. `billing` holds
/// `billing.manage`; `lead` is a Project Admin of `secret`, which
/// `accounts` cannot touch; `plain` holds nothing. Answers the tokens of
/// `accounts`, `billing`, `lead` and `plain`.
async fn setup(t: &TestServer) -> [String; 4] {
    let accounts = t
        .user_with("accounts", json!({"account_permissions": ["accounts.manage"]}))
        .await;
    let billing = t
        .user_with("billing", json!({"account_permissions": ["billing.manage"]}))
        .await;
    let lead = t.user("lead").await;
    let plain = t.user("plain").await;
    must(
        t,
        Method::POST,
        "/api/v1/projects",
        json!({"key": "secret", "display_name": "Secret", "admins": ["lead"]}),
    )
    .await;
    [accounts, billing, lead, plain]
}

fn refused_as_escalation(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 403, "{what}: {:?}", answer.body);
    assert_eq!(answer.code(), "escalation", "{what}: {:?}", answer.body);
}

/// The takeover of the security review: an `accounts.manage` holder resets
/// the password of a user holding more than it, then logs in as that user.
#[tokio::test(flavor = "multi_thread")]
async fn an_accounts_manager_cannot_take_over_a_user_holding_more() {
    let t = start_sqlite().await;
    let [accounts, ..] = setup(&t).await;
    let reset = json!({"new_password": "taken-over-password"});
    for victim in ["billing", "lead", "admin"] {
        let before = t.revision().await;
        let answer = t
            .call(
                Method::PUT,
                &format!("/api/v1/users/{victim}/password"),
                Some(&accounts),
                Some(&reset),
            )
            .await;
        assert_eq!(answer.status, 403, "reset {victim}: {:?}", answer.body);
        if victim != "admin" {
            // Only admins manage admins (a `forbidden` that predates §2.5).
            refused_as_escalation(&answer, &format!("reset {victim}"));
        }
        assert_eq!(t.revision().await, before, "reset {victim}: nothing written");
        assert_eq!(
            t.login_token(victim, "taken-over-password").await.status,
            401,
            "the new password does not work for {victim}"
        );
    }
    t.token_for("billing", &password_of("billing")).await;
    t.token_for("lead", &password_of("lead")).await;
    // A user the actor dominates: allowed.
    let answer = t
        .call(
            Method::PUT,
            "/api/v1/users/plain/password",
            Some(&accounts),
            Some(&reset),
        )
        .await;
    assert_eq!(answer.status, 204, "{:?}", answer.body);
    t.token_for("plain", "taken-over-password").await;
    // The platform admin dominates everyone.
    let answer = t
        .call(Method::PUT, "/api/v1/users/lead/password", Some(&t.admin), Some(&reset))
        .await;
    assert_eq!(answer.status, 204, "{:?}", answer.body);
}

/// Disable, enable, unlock, delete, the email (a credential: where reset
/// links go), tokens and groups of a user the actor does not dominate:
/// 403 `escalation`, nothing changed; of one it dominates: allowed.
#[tokio::test(flavor = "multi_thread")]
async fn acting_on_a_users_standing_needs_to_dominate_it() {
    let t = start_sqlite().await;
    let [accounts, billing_token, _, plain_token] = setup(&t).await;
    must(
        &t,
        Method::POST,
        "/api/v1/groups",
        json!({"name": "staff", "description": "staff"}),
    )
    .await;
    must(
        &t,
        Method::POST,
        "/api/v1/groups",
        json!({"name": "leads", "description": "leads", "members": ["lead"]}),
    )
    .await;
    let billing_token_id = t.get("/api/v1/tokens", &billing_token).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let plain_token_id = t.get("/api/v1/tokens", &plain_token).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let attempts: Vec<(&str, Method, String, Value)> = vec![
        (
            "disable",
            Method::POST,
            "/api/v1/users/billing/disable".into(),
            json!({}),
        ),
        ("enable", Method::POST, "/api/v1/users/lead/enable".into(), json!({})),
        ("unlock", Method::POST, "/api/v1/users/billing/unlock".into(), json!({})),
        ("delete", Method::DELETE, "/api/v1/users/lead".into(), json!({})),
        (
            "change the email",
            Method::PATCH,
            "/api/v1/users/billing".into(),
            json!({"email": "mine@example.com"}),
        ),
        (
            "revoke a token",
            Method::DELETE,
            format!("/api/v1/tokens/{billing_token_id}"),
            json!({}),
        ),
        (
            "add to a group",
            Method::PATCH,
            "/api/v1/groups/staff/members".into(),
            json!({"add": ["billing"]}),
        ),
        (
            "remove from a group",
            Method::PATCH,
            "/api/v1/groups/leads/members".into(),
            json!({"remove": ["lead"]}),
        ),
        (
            "create a group holding it",
            Method::POST,
            "/api/v1/groups".into(),
            json!({"name": "mine", "description": "mine", "members": ["lead"]}),
        ),
    ];
    for (what, method, path, body) in attempts {
        let before = t.revision().await;
        let body = (method != Method::DELETE).then_some(body);
        let answer = t.call(method, &path, Some(&accounts), body.as_ref()).await;
        refused_as_escalation(&answer, what);
        assert_eq!(t.revision().await, before, "{what}: nothing written");
    }
    let listed = t.get("/api/v1/users/billing/tokens", &accounts).await;
    refused_as_escalation(&listed, "list its tokens");
    assert_eq!(t.get("/api/v1/me", &billing_token).await.status, 200, "its token lives");
    assert_eq!(
        t.get("/api/v1/users/billing", &t.admin).await.body["email"],
        "billing@example.com"
    );
    assert_eq!(
        t.get("/api/v1/groups/leads", &t.admin).await.body["members"],
        json!(["lead"])
    );

    // `plain` holds nothing: `accounts` dominates it.
    assert_eq!(t.get("/api/v1/users/plain/tokens", &accounts).await.status, 200);
    let email = t
        .call(
            Method::PATCH,
            "/api/v1/users/plain",
            Some(&accounts),
            Some(&json!({"email": "plain2@example.com"})),
        )
        .await;
    assert_eq!(email.status, 200, "{:?}", email.body);
    let joined = t
        .call(
            Method::PATCH,
            "/api/v1/groups/staff/members",
            Some(&accounts),
            Some(&json!({"add": ["plain"]})),
        )
        .await;
    assert!(joined.status.is_success(), "{:?}", joined.body);
    let revoked = t
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{plain_token_id}"),
            Some(&accounts),
            None,
        )
        .await;
    assert!(revoked.status.is_success(), "{:?}", revoked.body);
    for what in ["disable", "enable"] {
        let answer = t
            .post(&format!("/api/v1/users/plain/{what}"), &accounts, &json!({}))
            .await;
        assert_eq!(answer.status, 200, "{what}: {:?}", answer.body);
    }
    // And the admin dominates everyone.
    must(&t, Method::POST, "/api/v1/users/billing/disable", json!({})).await;
    assert_eq!(t.get("/api/v1/me", &billing_token).await.status, 401, "disabled");
}

/// SPEC §2.5: adding a user to a group hands it the group's roles — a grant
/// the actor must be able to make (`may_join`), even for a user it
/// dominates.
#[tokio::test(flavor = "multi_thread")]
async fn adding_a_user_to_a_group_is_a_grant() {
    let t = start_sqlite().await;
    let [accounts, ..] = setup(&t).await;
    must(
        &t,
        Method::POST,
        "/api/v1/projects/secret/roles",
        json!({"name": "Reader", "categories": ["artifacts.read"], "environments": ["DEV"]}),
    )
    .await;
    must(
        &t,
        Method::POST,
        "/api/v1/groups",
        json!({"name": "readers", "description": "r"}),
    )
    .await;
    must(
        &t,
        Method::PUT,
        "/api/v1/projects/secret/members/groups/readers",
        json!({"roles": ["Reader"]}),
    )
    .await;
    let before = t.revision().await;
    let answer = t
        .call(
            Method::PATCH,
            "/api/v1/groups/readers/members",
            Some(&accounts),
            Some(&json!({"add": ["plain"]})),
        )
        .await;
    assert_eq!(answer.status, 403, "{:?}", answer.body);
    assert_eq!(answer.code(), "forbidden", "{:?}", answer.body);
    assert_eq!(t.revision().await, before);
    let check = json!({"user": "plain", "action": "repository.read", "project": "secret", "environment": "DEV"});
    assert_eq!(t.post("/api/v1/check", &t.admin, &check).await.body["allowed"], false);
    must(
        &t,
        Method::PATCH,
        "/api/v1/groups/readers/members",
        json!({"add": ["plain"]}),
    )
    .await;
    assert_eq!(t.post("/api/v1/check", &t.admin, &check).await.body["allowed"], true);
}

/// SPEC §2.5: the last active platform admin cannot be demoted, disabled or
/// deleted (409 `last_admin`); with a second admin it can.
#[tokio::test(flavor = "multi_thread")]
async fn the_last_admin_stays() {
    let t = start_sqlite().await;
    for (method, path, body) in [
        (Method::PATCH, "/api/v1/users/admin", json!({"admin": false})),
        (Method::POST, "/api/v1/users/admin/disable", json!({})),
        (Method::DELETE, "/api/v1/users/admin", Value::Null),
    ] {
        let before = t.revision().await;
        let body = (!body.is_null()).then_some(body);
        let answer = t.call(method, path, Some(&t.admin), body.as_ref()).await;
        assert_eq!(answer.status, 409, "{path}: {:?}", answer.body);
        assert_eq!(answer.code(), "last_admin", "{path}");
        assert_eq!(t.revision().await, before, "{path}: nothing written");
    }
    assert_eq!(t.get("/api/v1/me", &t.admin).await.body["admin"], true);
    t.user_with("second", json!({"admin": true})).await;
    let demoted = t
        .call(
            Method::PATCH,
            "/api/v1/users/admin",
            Some(&t.admin),
            Some(&json!({"admin": false})),
        )
        .await;
    assert_eq!(demoted.status, 200, "{:?}", demoted.body);
}
