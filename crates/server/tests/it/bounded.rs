//! What a caller cannot grow (SPEC §7, §9): metric labels come from fixed
//! sets, a client's request id is kept only when short and safe, repeated
//! refusals are not each an audit record; and the security events that are
//! recorded (`access.denied`, `token.first_used`), the Swagger UI's
//! security headers (§12) and the check-latency and snapshot-lag metrics.

use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{TestServer, start_sqlite};

async fn metrics_text(t: &TestServer) -> String {
    t.http
        .get(format!("{}/metrics", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn records(t: &TestServer, query: &str) -> Vec<Value> {
    let answer = t.get(&format!("/api/v1/audit?{query}"), &t.admin).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["items"].as_array().unwrap().clone()
}

fn is_safe_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[tokio::test(flavor = "multi_thread")]
async fn made_up_methods_do_not_grow_the_metrics() {
    let t = start_sqlite().await;
    let (http, url) = (t.http.clone(), t.url.clone());
    let send = move |method: String, path: &'static str| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            http.request(method, format!("{url}{path}"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Every label the made-up methods can reach exists before measuring.
    send("WARMUP".to_owned(), "/api/v1/me").await;
    send("WARMUP".to_owned(), "/nowhere").await;
    let before = metrics_text(&t).await;
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let send = send.clone();
            tokio::spawn(async move {
                for i in 0..1_250 {
                    let path = if i % 2 == 0 { "/api/v1/me" } else { "/nowhere" };
                    let status = send(format!("MADEUP{task}X{i}"), path).await;
                    assert!(status.is_client_error(), "{status}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let after = metrics_text(&t).await;
    assert!(!after.contains("MADEUP"), "a made-up method became a label");
    let methods = |text: &str| -> std::collections::BTreeSet<String> {
        text.split(r#"method=""#)
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_owned))
            .collect()
    };
    let fixed = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other"];
    assert!(
        methods(&after).iter().all(|m| fixed.contains(&m.as_str())),
        "{:?}",
        methods(&after)
    );
    // The series of the made-up methods are exactly those of the warm-up.
    let series = |text: &str| text.lines().filter(|l| l.contains(r#"method="other""#)).count();
    assert!(series(&before) > 0, "{before}");
    assert_eq!(series(&after), series(&before));
    // The recorder is the process's: other tests running meanwhile add some
    // series of their own; 10,000 new label values would add megabytes.
    assert!(
        after.len() < before.len() + 512 * 1024,
        "/metrics grew from {} to {} bytes",
        before.len(),
        after.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_short_safe_request_id_is_kept() {
    let t = start_sqlite().await;
    let create = |name: &str, id: String| {
        t.http
            .post(format!("{}/api/v1/groups", t.url))
            .bearer_auth(&t.admin)
            .header("x-request-id", id)
            .json(&json!({"name": name}))
            .send()
    };
    let safe = "client-1.a_B";
    let kept = create("kept", safe.to_owned()).await.unwrap();
    assert_eq!(kept.status(), 201);
    assert_eq!(kept.headers()["x-request-id"], safe);

    let long = "a".repeat(10_000);
    for (name, id) in [
        ("long", long.clone()),
        ("sixty-five", "b".repeat(65)),
        ("spaces", "two words".to_owned()),
        ("slashes", "../../etc".to_owned()),
    ] {
        let answer = create(name, id.clone()).await.unwrap();
        assert_eq!(answer.status(), 201, "{name}");
        let given = answer.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(given, id, "{name}: replaced");
        assert!(is_safe_id(&given), "{name}: a generated id, got {given:?}");
        let audited = records(&t, &format!("event=group.created&target={name}")).await;
        assert_eq!(audited.len(), 1, "{name}");
        assert_eq!(
            audited[0]["request_id"],
            given.as_str(),
            "{name}: the audit keeps the replacement"
        );
    }
    let audited = records(&t, "event=group.created&target=kept").await;
    assert_eq!(audited[0]["request_id"], safe);
    let export = t
        .http
        .get(format!("{}/api/v1/audit/export", t.url))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!export.contains(&long[..100]), "the long id reached the audit chain");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_request_is_audited_once_however_often_repeated() {
    let t = start_sqlite().await;
    let kim = t.user("kim").await;
    for _ in 0..30 {
        let refused = t.get("/api/v1/users", &kim).await;
        assert_eq!(refused.status, 403);
    }
    for i in 0..10 {
        let refused = t.get(&format!("/api/v1/users/someone{i}"), &kim).await;
        assert_eq!(refused.status, 403);
    }
    let denied = records(&t, "event=access.denied&actor=kim").await;
    assert_eq!(
        denied.len(),
        2,
        "one per route pattern, not one per refusal: {denied:?}"
    );
    let list = denied
        .iter()
        .find(|r| r["target"]["id"] == "/api/v1/users" || r["target_id"] == "/api/v1/users")
        .unwrap_or_else(|| panic!("the refusal of GET /api/v1/users: {denied:?}"));
    assert_eq!(list["after"]["method"], "GET");
    assert_eq!(list["after"]["needs"], "`accounts.manage`");
    assert_eq!(list["actor"]["username"], "kim");
    assert!(
        denied.iter().any(|r| r["after"]["route"] == "/api/v1/users/{username}"),
        "{denied:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tokens_first_use_is_audited_once() {
    let t = start_sqlite().await;
    let lou = t.user("lou").await;
    let created = t.post("/api/v1/tokens", &lou, &json!({"description": "ci"})).await;
    assert_eq!(created.status, 201);
    let (secret, id) = (
        created.body["token"].as_str().unwrap().to_owned(),
        created.body["id"].as_str().unwrap().to_owned(),
    );
    assert!(
        records(&t, &format!("event=token.first_used&target={id}"))
            .await
            .is_empty()
    );
    for _ in 0..3 {
        assert_eq!(t.get("/api/v1/me", &secret).await.status, 200);
    }
    // Recorded off the request path: wait for it.
    let mut found = Vec::new();
    for _ in 0..50 {
        found = records(&t, &format!("event=token.first_used&target={id}")).await;
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["actor"]["username"], "lou");
    assert_eq!(found[0]["actor"]["token_id"], id.as_str());
    assert!(found[0]["revision"].is_null(), "book-keeping moves no revision");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_swagger_ui_carries_the_security_headers() {
    let t = start_sqlite().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in [
        "/api/docs",
        "/api/docs/",
        "/api/docs/swagger-ui.css",
        "/api/docs/nothing-here",
    ] {
        let answer = no_redirects.get(format!("{}{path}", t.url)).send().await.unwrap();
        let header = |name: &str| {
            answer
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp:?}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp:?}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp:?}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
    }
    let page = no_redirects.get(format!("{}/api/docs/", t.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(!page.text().await.unwrap().contains("<script>"), "no inline script");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_latency_is_sampled_and_snapshot_lag_is_how_far_behind() {
    let t = start_sqlite().await;
    t.post(
        "/api/v1/projects",
        &t.admin,
        &json!({"key": "web", "display_name": "Web"}),
    )
    .await;
    let check = json!({"action": "repository.read", "project": "web", "environment": "DEV"});
    let checks: Vec<Value> = (0..1_000).map(|_| check.clone()).collect();
    let batch = t
        .post("/api/v1/check/batch", &t.admin, &json!({"checks": checks}))
        .await;
    assert_eq!(batch.status, 200, "{:?}", batch.body);
    let text = metrics_text(&t).await;
    let count: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("gatehouse_check_duration_seconds_count "))
        .unwrap_or_else(|| panic!("no check latency histogram in:\n{text}"))
        .trim()
        .parse()
        .unwrap();
    assert!(count >= 1.0, "{count}");
    let all_checks: f64 = text
        .lines()
        .filter(|l| l.starts_with("gatehouse_checks_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(count < all_checks / 10.0, "sampled: {count} of {all_checks} timed");
    assert!(
        text.contains(r#"gatehouse_check_duration_seconds_bucket{le="0.000001"}"#),
        "sub-microsecond buckets: {text}"
    );
    assert!(text.contains("gatehouse_change_log_lag_revisions 0"), "{text}");
    assert!(text.contains("gatehouse_snapshot_behind_seconds 0"), "{text}");
    assert!(!text.contains("gatehouse_snapshot_age_seconds"), "{text}");
}
