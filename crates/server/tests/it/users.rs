//! Users over HTTP (SPEC §5.1): the seed flow on every backend, invitations,
//! passwords, ETags and paging.

use reqwest::Method;
use serde_json::json;

use crate::spawn::{backends, password_of, start_on, start_sqlite};

#[tokio::test(flavor = "multi_thread")]
async fn seed_flow_invited_until_first_login_then_disable_and_enable() {
    for backend in backends() {
        let t = start_on(&backend).await;
        let created = t
            .post(
                "/api/v1/users",
                &t.admin,
                &json!({"email": "Alice@Example.com", "password": password_of("alice@example.com")}),
            )
            .await;
        assert_eq!(created.status, 201, "{backend:?}: {:?}", created.body);
        assert_eq!(created.body["username"], "alice@example.com", "the email, lowercased");
        assert_eq!(created.body["status"], "invited");
        assert_eq!(created.body["created_by"], "admin");
        assert!(created.header("gatehouse-revision").is_some());

        let token = t
            .token_for("alice@example.com", &password_of("alice@example.com"))
            .await;
        let me = t.get("/api/v1/me", &token).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.body["status"], "enabled", "active after the first login");
        assert!(me.body["last_login_at"].is_string());

        let disabled = t
            .post("/api/v1/users/alice@example.com/disable", &t.admin, &json!({}))
            .await;
        assert_eq!(disabled.status, 200, "{:?}", disabled.body);
        assert_eq!(disabled.body["status"], "disabled");
        assert_eq!(t.get("/api/v1/me", &token).await.status, 401, "the token stops at once");
        let refused = t
            .login_token("alice@example.com", &password_of("alice@example.com"))
            .await;
        assert_eq!(refused.status, 401);
        assert_eq!(refused.code(), "invalid_credentials");

        let enabled = t
            .post("/api/v1/users/alice@example.com/enable", &t.admin, &json!({}))
            .await;
        assert_eq!(enabled.body["status"], "enabled", "back to active: it logged in before");
        assert_eq!(t.get("/api/v1/me", &token).await.status, 200);
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_invited_by_email_accepts_and_logs_in() {
    let t = start_sqlite().await;
    let created = t
        .post("/api/v1/users", &t.admin, &json!({"email": "bob@example.com"}))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["status"], "invited");
    let outbox = t.get("/api/v1/invitations", &t.admin).await;
    let message = &outbox.body["items"][0];
    assert_eq!(message["to"], "bob@example.com");
    assert_eq!(message["status"], "pending", "no SMTP server: an admin delivers it");
    assert_eq!(message["attempts"], 0);
    let body = message["body"].as_str().unwrap();
    assert!(!body.contains("/invitations/"), "the outbox shows no link: {body}");
    // What the SMTP sender does when it sends the message.
    let secret = t
        .mint_link("bob@example.com", gatehouse_domain::entities::SecretPurpose::Invitation)
        .await;

    let accept = format!("/api/v1/invitations/{secret}/accept");
    let short = t
        .call(Method::POST, &accept, None, Some(&json!({"password": "short"})))
        .await;
    assert_eq!(short.status, 422);
    assert_eq!(short.body["errors"][0]["field"], "password");
    let ok = t
        .call(
            Method::POST,
            &accept,
            None,
            Some(&json!({"password": password_of("bob")})),
        )
        .await;
    assert_eq!(ok.status, 204, "{:?}", ok.body);
    let again = t
        .call(
            Method::POST,
            &accept,
            None,
            Some(&json!({"password": password_of("bob")})),
        )
        .await;
    assert_eq!(again.status, 404, "an invitation works once");
    let forged = t
        .call(
            Method::POST,
            "/api/v1/invitations/forged/accept",
            None,
            Some(&json!({"password": password_of("bob")})),
        )
        .await;
    assert_eq!(forged.status, 404);

    let token = t.token_for("bob@example.com", &password_of("bob")).await;
    assert_eq!(t.get("/api/v1/me", &token).await.body["status"], "enabled");
}

#[tokio::test(flavor = "multi_thread")]
async fn etag_and_if_match_guard_updates() {
    let t = start_sqlite().await;
    t.user("carol").await;
    let read = t.get("/api/v1/users/carol", &t.admin).await;
    let etag = read.header("etag").unwrap().to_owned();
    let patch = |tag: &str| {
        t.http
            .patch(format!("{}/api/v1/users/carol", t.url))
            .bearer_auth(&t.admin)
            .header("if-match", tag)
            .json(&json!({"account_permissions": ["audit.read"]}))
            .send()
    };
    let stale = patch("\"999999\"").await.unwrap();
    assert_eq!(stale.status(), 412);
    let ok = patch(&etag).await.unwrap();
    assert_eq!(ok.status(), 200);
    let again = patch(&etag).await.unwrap();
    assert_eq!(again.status(), 412, "the tag moved with the change");
    let read = t.get("/api/v1/users/carol", &t.admin).await;
    assert_ne!(read.header("etag").unwrap(), etag);
    assert_eq!(read.body["account_permissions"], json!(["audit.read"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_over_a_thousand_users_has_no_gap_or_duplicate() {
    for backend in backends() {
        let t = start_on(&backend).await;
        for i in 0..1_000 {
            let created = t
                .post(
                    "/api/v1/users",
                    &t.admin,
                    &json!({"email": format!("u{i:04}@example.com")}),
                )
                .await;
            assert_eq!(created.status, 201, "{:?}", created.body);
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/users?limit=137&cursor={c}"),
                None => "/api/v1/users?limit=137".to_owned(),
            };
            let page = t.get(&path, &t.admin).await;
            assert_eq!(page.status, 200, "{:?}", page.body);
            for item in page.body["items"].as_array().unwrap() {
                seen.push(item["username"].as_str().unwrap().to_owned());
            }
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let mut expected: Vec<String> = (0..1_000).map(|i| format!("u{i:04}@example.com")).collect();
        expected.push("admin".to_owned());
        expected.sort();
        assert_eq!(seen, expected, "{backend:?}");

        let filtered = t.get("/api/v1/users?q=U099&status=invited", &t.admin).await;
        let names: Vec<_> = filtered.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].clone())
            .collect();
        assert_eq!(names.len(), 10, "{names:?}");
        assert_eq!(t.get("/api/v1/users?limit=1001", &t.admin).await.status, 422);
        let forged = t.get("/api/v1/users?cursor=bm90LWEtY3Vyc29y", &t.admin).await;
        assert_eq!(forged.status, 400);
        assert_eq!(forged.code(), "invalid_cursor");
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_filters_on_kind_and_manager() {
    for backend in backends() {
        let t = start_on(&backend).await;
        for (email, kind) in [("ann@example.com", "person"), ("ci@example.com", "service")] {
            let created = t
                .post("/api/v1/users", &t.admin, &json!({"email": email, "kind": kind}))
                .await;
            assert_eq!(created.status, 201, "{:?}", created.body);
        }
        let names = |body: &serde_json::Value| -> Vec<String> {
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_owned())
                .collect()
        };
        let service = t.get("/api/v1/users?kind=service", &t.admin).await;
        assert_eq!(service.status, 200, "{:?}", service.body);
        assert_eq!(names(&service.body), ["ci@example.com"], "{backend:?}");
        let persons = t.get("/api/v1/users?kind=person&managed_by=local", &t.admin).await;
        assert_eq!(names(&persons.body), ["admin", "ann@example.com"], "{backend:?}");
        let scim = t.get("/api/v1/users?managed_by=scim", &t.admin).await;
        assert!(names(&scim.body).is_empty(), "{:?}", scim.body);
        let one = t.get("/api/v1/users?managed_by=local&limit=1", &t.admin).await;
        assert_eq!(names(&one.body), ["admin"]);
        let cursor = one.body["next_cursor"].as_str().unwrap().to_owned();
        let next = t
            .get(
                &format!("/api/v1/users?managed_by=local&limit=1&cursor={cursor}"),
                &t.admin,
            )
            .await;
        assert_eq!(names(&next.body), ["ann@example.com"]);
        let bad = t.get("/api/v1/users?kind=robot", &t.admin).await;
        assert!(bad.status.is_client_error(), "{:?}", bad.body);
        t.finish().await;
    }
}
