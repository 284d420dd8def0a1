//! `/metrics` (SPEC §9.3): Prometheus text with request counts and
//! latencies by route and status, and login failures.

use serde_json::json;

use crate::spawn::start_sqlite;

#[tokio::test(flavor = "multi_thread")]
async fn requests_and_login_failures_are_counted() {
    let t = start_sqlite().await;
    assert_eq!(t.get("/api/v1/me", &t.admin).await.status, 200);
    assert_eq!(t.get("/api/v1/users/nobody", &t.admin).await.status, 404);
    assert_eq!(t.login_token("admin", "a wrong password").await.status, 401);
    t.post("/api/v1/groups", &t.admin, &json!({"name": "metrics"})).await;
    t.post(
        "/api/v1/projects",
        &t.admin,
        &json!({"key": "web", "display_name": "Web"}),
    )
    .await;
    let check = json!({"action": "repository.read", "project": "web", "environment": "DEV"});
    assert_eq!(t.post("/api/v1/check", &t.admin, &check).await.body["allowed"], true);

    let text = t
        .http
        .get(format!("{}/metrics", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        r#"gatehouse_http_requests_total{method="GET",route="/api/v1/me",status="200"}"#,
        r#"gatehouse_http_requests_total{method="GET",route="/api/v1/users/{username}",status="404"}"#,
        r#"gatehouse_http_requests_total{method="POST",route="/api/v1/auth/token",status="401"}"#,
        r#"gatehouse_http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",status="200",le="0.001"}"#,
        "gatehouse_login_failures_total ",
        "gatehouse_snapshot_revision ",
        "gatehouse_snapshot_behind_seconds 0",
        "gatehouse_change_log_lag_revisions 0",
        r#"gatehouse_checks_total{decision="allow"}"#,
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    assert!(!text.contains("nobody"), "routes are labelled by pattern, not by path");
}
