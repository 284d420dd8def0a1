//! The audit log over HTTP (SPEC §9.1): a record per change and per
//! security event, with actor and request id, in a chain that verifies;
//! filters, paging and NDJSON export — on every backend.

use gatehouse_domain::Store as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{TestServer, backends, start_on};

async fn with_request_id(t: &TestServer, method: Method, path: &str, body: &Value, id: &str) -> u16 {
    t.http
        .request(method, format!("{}{path}", t.url))
        .bearer_auth(&t.admin)
        .header("x-request-id", id)
        .json(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn records(t: &TestServer, query: &str) -> Vec<Value> {
    let answer = t.get(&format!("/api/v1/audit?{query}"), &t.admin).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_change_and_security_event_is_recorded_in_a_verified_chain() {
    for backend in backends() {
        let t = start_on(&backend).await;
        let changes = [
            (
                Method::POST,
                "/api/v1/users",
                json!({"email": "lee@example.com", "password": "lee-secret-password"}),
                "user.created",
                "lee@example.com",
            ),
            (
                Method::PATCH,
                "/api/v1/users/lee@example.com",
                json!({"account_permissions": ["audit.read"]}),
                "user.updated",
                "lee@example.com",
            ),
            (
                Method::POST,
                "/api/v1/groups",
                json!({"name": "ops"}),
                "group.created",
                "ops",
            ),
            (
                Method::PATCH,
                "/api/v1/groups/ops/members",
                json!({"add": ["lee@example.com"]}),
                "group.members_changed",
                "ops",
            ),
            (
                Method::PUT,
                "/api/v1/settings",
                json!({"billing": {"plan": "team", "contact": "billing@example.com"}}),
                "settings.billing_updated",
                "billing",
            ),
            (
                Method::POST,
                "/api/v1/users/lee@example.com/disable",
                json!({}),
                "user.disabled",
                "lee@example.com",
            ),
            (
                Method::DELETE,
                "/api/v1/groups/ops",
                json!(null),
                "group.deleted",
                "ops",
            ),
        ];
        for (i, (method, path, body, event, target)) in changes.iter().enumerate() {
            let id = format!("req-{i}");
            let status = with_request_id(&t, method.clone(), path, body, &id).await;
            assert!((200..300).contains(&status), "{path}: {status}");
            let found = records(&t, &format!("event={event}&target={target}")).await;
            let record = found.last().unwrap_or_else(|| unreachable!("no {event} record"));
            assert_eq!(record["actor"]["username"], "admin", "{event}");
            assert_eq!(record["request_id"], id.as_str(), "{event}");
            assert!(record["actor"]["address"].as_str().unwrap().starts_with("127.0.0.1"));
            assert!(record["actor"]["token_id"].is_string(), "{event}: made with a token");
        }
        let created = records(&t, "event=user.created").await;
        assert!(
            !created[0]["after"].to_string().contains("secret-password"),
            "no secret in the log"
        );

        // Security events: failed login, token creation and revocation.
        assert_eq!(t.login_token("lee@example.com", "wrong-password!").await.status, 401);
        assert_eq!(t.login_token("ghost", "wrong-password!").await.status, 401);
        let failures = records(&t, "event=login.failed").await;
        assert!(failures.iter().any(|r| r["target"]["id"] == "ghost"));
        assert!(failures.iter().any(|r| r["target"]["id"] == "lee@example.com"));
        let token = t.post("/api/v1/tokens", &t.admin, &json!({})).await;
        let id = token.body["id"].as_str().unwrap();
        t.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&t.admin), None)
            .await;
        assert_eq!(records(&t, &format!("event=token.revoked&target={id}")).await.len(), 1);
        assert!(!records(&t, "event=login.succeeded&actor=admin").await.is_empty());

        let total = t.server.app().store().verify_audit().await.unwrap();
        let count = total.unwrap_or_else(|bad| unreachable!("record {bad} does not verify"));
        assert!(count >= 12, "{count}");
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn export_streams_every_matching_record_as_ndjson() {
    let t = start_on(&backends()[0]).await;
    for i in 0..30 {
        t.post("/api/v1/groups", &t.admin, &json!({"name": format!("g{i}")}))
            .await;
    }
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let answer = t.get(&format!("/api/v1/audit?limit=7{cursor}"), &t.admin).await;
        paged.extend(answer.body["items"].as_array().unwrap().clone());
        match answer.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let response = t
        .http
        .get(format!("{}/api/v1/audit/export", t.url))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let text = response.text().await.unwrap();
    let exported: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(exported, paged, "the export is the whole log, in order");
    for pair in exported.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"], "chained");
    }

    let filtered = t
        .http
        .get(format!("{}/api/v1/audit/export?event=group.created", t.url))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(filtered.lines().count(), 30);
    let bad = t.get("/api/v1/audit?since=yesterday", &t.admin).await;
    assert_eq!(bad.status, 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_recomputes_the_chain_in_the_store() {
    let t = start_on(&backends()[0]).await;
    for i in 0..3 {
        t.post("/api/v1/groups", &t.admin, &json!({"name": format!("v{i}")}))
            .await;
    }
    let answer = t.get("/api/v1/audit/verify", &t.admin).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let stored = t.server.app().store().verify_audit().await.unwrap().unwrap();
    assert_eq!(answer.body, json!({"verified": true, "records": stored}));
    assert!(stored >= 4, "{stored}");
    t.finish().await;
}
