//! `/healthz`, `/readyz`, the 404 problem and request ids over real HTTP.

use gatehouse_domain::Store as _;
use serde_json::Value;

use crate::spawn::{config, spawn};

#[tokio::test(flavor = "multi_thread")]
async fn ops_endpoints_404_and_request_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url) = spawn(config(dir.path())).await;
    let client = reqwest::Client::new();

    let health = client.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let generated = health
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!generated.is_empty());
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        serde_json::json!({"status": "ok"})
    );

    let ready = client.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    let revision = server.app().store().revision().await.unwrap();
    assert!(revision > 0);
    assert_eq!(body["status"], "ready");
    assert_eq!(body["revision"], revision);

    let missing = client
        .get(format!("{url}/no/such/route"))
        .header("x-request-id", "req-123")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers().get("x-request-id").unwrap(), "req-123");
    assert_eq!(
        missing.headers().get("content-type").unwrap(),
        gatehouse_api::PROBLEM_CONTENT_TYPE
    );
    let problem: Value = missing.json().await.unwrap();
    assert_eq!(problem["code"], "not_found");
    assert_eq!(problem["status"], 404);
    assert_eq!(problem["request_id"], "req-123");
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_is_a_503_problem_when_the_store_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url) = spawn(config(dir.path())).await;
    server.app().store().close().await;
    let response = reqwest::get(format!("{url}/readyz")).await.unwrap();
    assert_eq!(response.status(), 503);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "not_ready");
}
