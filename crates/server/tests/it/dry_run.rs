//! Dry runs over HTTP (SPEC §7.2): every write kind that can change a
//! decision answers its impact and writes nothing — no revision, no audit
//! record — and the impact is what the real write then does, as `/check`
//! sees it; a dry run is refused exactly as its write would be; what the
//! caller may not ask about is counted, never listed; and a query parameter
//! a route does not take is refused (SPEC §7), so a dry run can never write
//! through a route without one.

use gatehouse_domain::Store as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{TestServer, start_sqlite};

/// The audit chain's length and the store's revision: what a dry run must
/// leave as it found.
async fn written(t: &TestServer) -> (u64, u64) {
    let chain = t.server.app().store().verify_audit().await.unwrap().unwrap();
    (t.revision().await, chain)
}

/// `/check` as the admin; a user or project that is gone is denied.
async fn allowed(t: &TestServer, change: &Value) -> bool {
    let mut body = json!({"user": change["user"], "project": change["project"], "action": change["action"]});
    if !change["environment"].is_null() {
        body["environment"] = change["environment"].clone();
    }
    let answer = t.post("/api/v1/check", &t.admin, &body).await;
    answer.status == 200 && answer.body["allowed"] == json!(true)
}

/// Users ann, bob, carl, dan; group devs {bob}; project web (Reader:
/// `artifacts.read` in DEV) with ann and devs as Readers; project api with
/// ann as Deployer, a global role in DEV and STAGE.
async fn world(t: &TestServer) {
    for name in ["ann", "bob", "carl", "dan"] {
        t.user(name).await;
    }
    let steps = vec![
        (
            Method::POST,
            "/api/v1/environments".to_owned(),
            json!({"name": "STAGE"}),
        ),
        (
            Method::POST,
            "/api/v1/roles".to_owned(),
            json!({"name": "Deployer", "categories": ["artifacts.write"], "environments": ["DEV", "STAGE"]}),
        ),
        (Method::POST, "/api/v1/groups".to_owned(), json!({"name": "devs"})),
        (
            Method::PATCH,
            "/api/v1/groups/devs/members".to_owned(),
            json!({"add": ["bob"]}),
        ),
        (
            Method::PUT,
            "/api/v1/projects/web/members/users/ann".to_owned(),
            json!({"roles": ["Reader"]}),
        ),
        (
            Method::PUT,
            "/api/v1/projects/web/members/groups/devs".to_owned(),
            json!({"roles": ["Reader"]}),
        ),
        (
            Method::POST,
            "/api/v1/projects".to_owned(),
            json!({"key": "api", "display_name": "API"}),
        ),
        (
            Method::PUT,
            "/api/v1/projects/api/members/users/ann".to_owned(),
            json!({"roles": ["Deployer"]}),
        ),
    ];
    t.web_with_reader(steps).await;
}

/// With `?dry_run=true` (joined to a query the path may have).
fn dry(path: &str) -> String {
    let joiner = if path.contains('?') { '&' } else { '?' };
    format!("{path}{joiner}dry_run=true")
}

/// With `?dry_run=true&limit=1000`.
fn dry_all(path: &str) -> String {
    format!("{}&limit=1000", dry(path))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_write_kind_previews_what_the_write_then_does_and_writes_nothing() {
    let t = start_sqlite().await;
    world(&t).await;
    // (method, path, body, what the impact must hold)
    let cases: Vec<(Method, &str, Value, &str)> = vec![
        (
            Method::PATCH,
            "/api/v1/projects/web/roles/Reader",
            json!({"environments": ["DEV", "PROD"]}),
            "gained",
        ),
        (
            Method::PATCH,
            "/api/v1/roles/Deployer",
            json!({"categories": ["artifacts.write", "artifacts.delete"]}),
            "gained",
        ),
        (
            Method::PUT,
            "/api/v1/projects/web/members/users/carl",
            json!({"roles": ["Reader"]}),
            "gained",
        ),
        (
            Method::PATCH,
            "/api/v1/groups/devs/members",
            json!({"add": ["dan"]}),
            "gained",
        ),
        (
            Method::PUT,
            "/api/v1/projects/web/members/groups/devs",
            json!({"roles": ["Reader", "Deployer"]}),
            "gained",
        ),
        (
            Method::PATCH,
            "/api/v1/users/carl",
            json!({"account_permissions": ["audit.read"]}),
            "account",
        ),
        (Method::PATCH, "/api/v1/users/bob", json!({"admin": true}), "gained"),
        (Method::POST, "/api/v1/users/bob/disable", json!({}), "lost"),
        (
            Method::DELETE,
            "/api/v1/projects/web/members/users/carl",
            Value::Null,
            "lost",
        ),
        (
            Method::DELETE,
            "/api/v1/environments/STAGE?force=true",
            Value::Null,
            "lost",
        ),
        (
            Method::DELETE,
            "/api/v1/projects/web/roles/Reader?force=true",
            Value::Null,
            "lost",
        ),
        (Method::DELETE, "/api/v1/groups/devs", Value::Null, "lost"),
        (Method::DELETE, "/api/v1/users/ann", Value::Null, "lost"),
        (Method::DELETE, "/api/v1/projects/api?confirm=api", Value::Null, "lost"),
    ];
    for (method, path, body, expect) in cases {
        let body = (!body.is_null()).then_some(body);
        let before = written(&t).await;
        let preview = t
            .call(method.clone(), &dry_all(path), Some(&t.admin), body.as_ref())
            .await;
        assert_eq!(preview.status, 200, "{method} {path}: {:?}", preview.body);
        assert_eq!(preview.body["dry_run"], json!(true));
        assert_eq!(
            preview.body["revision"],
            json!(before.0),
            "computed against the model as it is"
        );
        assert_eq!(written(&t).await, before, "{method} {path}: a dry run writes nothing");
        let impact = &preview.body["impact"];
        let changes = impact["changes"].as_array().unwrap().clone();
        match expect {
            "account" => {
                assert_eq!(
                    impact["account_changes"],
                    json!([{"user": "carl", "permission": "audit.read", "change": "gained"}])
                );
                assert!(changes.is_empty());
            }
            "gained" => assert!(impact["gained"].as_u64().unwrap() > 0, "{path}: {impact}"),
            _ => assert!(impact["lost"].as_u64().unwrap() > 0, "{path}: {impact}"),
        }
        let total = impact["gained"].as_u64().unwrap() + impact["lost"].as_u64().unwrap();
        assert_eq!(
            changes.len() as u64,
            total.min(1_000),
            "{path}: the admin sees every change"
        );
        assert_eq!(impact["truncated"], json!(total > 1_000));
        assert_eq!(impact["hidden"], json!(0));
        for change in changes.iter().take(25) {
            let gained = change["change"] == json!("gained");
            assert_eq!(allowed(&t, change).await, !gained, "before {path}: {change}");
        }

        let real = t.call(method.clone(), path, Some(&t.admin), body.as_ref()).await;
        assert!(real.status.is_success(), "{method} {path}: {:?}", real.body);
        assert!(written(&t).await.0 > before.0, "the real write moves the revision");
        for change in changes.iter().take(25) {
            let gained = change["change"] == json!("gained");
            assert_eq!(allowed(&t, change).await, gained, "after {path}: {change}");
        }
    }
}

/// Who, method, path, body, `If-Match`, then the status and code expected.
type Refusal<'a> = (&'a str, Method, &'a str, Value, Option<&'a str>, u16, &'a str);

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_is_refused_exactly_as_its_write() {
    let t = start_sqlite().await;
    world(&t).await;
    let ann = t.token_for("ann", &crate::spawn::password_of("ann")).await;
    let before = written(&t).await;
    let cases: Vec<Refusal<'_>> = vec![
        (
            "ann",
            Method::PATCH,
            "/api/v1/roles/Deployer",
            json!({"environments": ["PROD"]}),
            None,
            403,
            "forbidden",
        ),
        (
            "admin",
            Method::PATCH,
            "/api/v1/roles/Deployer",
            json!({"environments": ["NOPE"]}),
            None,
            422,
            "validation_failed",
        ),
        (
            "admin",
            Method::PATCH,
            "/api/v1/roles/Deployer",
            json!({"bogus": 1}),
            None,
            422,
            "validation_failed",
        ),
        (
            "admin",
            Method::PATCH,
            "/api/v1/roles/Deployer",
            json!({"environments": ["PROD"]}),
            Some("\"1\""),
            412,
            "precondition_failed",
        ),
        (
            "admin",
            Method::DELETE,
            "/api/v1/environments/STAGE",
            Value::Null,
            None,
            409,
            "in_use",
        ),
        (
            "admin",
            Method::DELETE,
            "/api/v1/projects/nowhere/members/users/ann",
            Value::Null,
            None,
            404,
            "not_found",
        ),
    ];
    for (who, method, path, body, if_match, status, code) in cases {
        let token = if who == "admin" { t.admin.clone() } else { ann.clone() };
        for target in [dry(path), path.to_owned()] {
            let mut request = t
                .http
                .request(method.clone(), format!("{}{target}", t.url))
                .bearer_auth(&token);
            if !body.is_null() {
                request = request.json(&body);
            }
            if let Some(tag) = if_match {
                request = request.header("if-match", tag);
            }
            let answer = TestServer::answer(request.send().await.unwrap()).await;
            assert_eq!(
                (answer.status.as_u16(), answer.code()),
                (status, code),
                "{who} {method} {target}: {:?}",
                answer.body
            );
        }
    }
    // A refusal may be audited as such; nothing else is written.
    assert_eq!(written(&t).await.0, before.0, "no refusal moved the revision");
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_caller_may_not_ask_about_is_counted_never_listed_and_the_list_is_capped() {
    let t = start_sqlite().await;
    world(&t).await;
    // accounts.manage and Reader in web: it may disable carl, a Reader in
    // web (it holds all he holds), not ask about anyone's access there.
    let clerk = t
        .user_with("clerk", json!({"account_permissions": ["accounts.manage"]}))
        .await;
    let reader = json!({"roles": ["Reader"]});
    for who in ["clerk", "carl"] {
        let path = format!("/api/v1/projects/web/members/users/{who}");
        let made = t.call(Method::PUT, &path, Some(&t.admin), Some(&reader)).await;
        assert_eq!(made.status, 200, "{:?}", made.body);
    }
    let path = dry("/api/v1/users/carl/disable");
    let preview = t.call(Method::POST, &path, Some(&clerk), None).await;
    assert_eq!(preview.status, 200, "{:?}", preview.body);
    let impact = &preview.body["impact"];
    assert!(impact["lost"].as_u64().unwrap() > 0);
    assert_eq!(impact["hidden"], impact["lost"]);
    assert_eq!(impact["changes"], json!([]));
    assert_eq!(
        (impact["users"].clone(), impact["truncated"].clone()),
        (json!(1), json!(false))
    );
    let admin_view = t.call(Method::POST, &path, Some(&t.admin), None).await;
    assert_eq!(admin_view.body["impact"]["hidden"], json!(0));
    let listed = admin_view.body["impact"]["changes"].as_array().unwrap().len() as u64;
    assert_eq!(listed, impact["lost"].as_u64().unwrap());

    let capped = t
        .call(
            Method::POST,
            "/api/v1/users/carl/disable?dry_run=true&limit=1",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(capped.status, 200);
    assert_eq!(capped.body["impact"]["changes"].as_array().unwrap().len(), 1);
    assert_eq!(capped.body["impact"]["truncated"], json!(true));
    assert_eq!(
        capped.body["impact"]["lost"], impact["lost"],
        "counts are exact whatever is listed"
    );

    for (path, field) in [
        ("/api/v1/users/ann/disable?dry_run=true&limit=0", "limit"),
        ("/api/v1/users/ann/disable?dry_run=true&limit=1001", "limit"),
        ("/api/v1/users/ann/disable?limit=5", "limit"),
    ] {
        let refused = t.call(Method::POST, path, Some(&t.admin), None).await;
        assert_eq!(refused.status, 422, "{path}");
        assert_eq!(refused.body["errors"][0]["field"], json!(field), "{path}");
    }
    let status = t.get("/api/v1/users/carl", &t.admin).await.body["status"].clone();
    assert_eq!(status, json!("enabled"), "no dry run disabled him");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_parameter_a_route_does_not_take_is_refused_and_nothing_is_written() {
    let t = start_sqlite().await;
    world(&t).await;
    let token = t.post("/api/v1/tokens", &t.admin, &json!({"description": "ci"})).await;
    assert_eq!(token.status, 201, "{:?}", token.body);
    let id = token.body["id"].as_str().unwrap().to_owned();
    let secret = token.body["token"].as_str().unwrap().to_owned();
    let before = written(&t).await;
    let cases: Vec<(Method, String, Option<Value>, &str)> = vec![
        (
            Method::POST,
            "/api/v1/check?dry_run=true".to_owned(),
            Some(json!({"action": "repository.read", "project": "web", "environment": "DEV"})),
            "dry_run",
        ),
        (
            Method::DELETE,
            format!("/api/v1/tokens/{id}?dry_run=true"),
            None,
            "dry_run",
        ),
        (
            Method::POST,
            "/api/v1/projects?dry_run=true".to_owned(),
            Some(json!({"key": "new", "display_name": "New"})),
            "dry_run",
        ),
        (Method::GET, "/api/v1/users?bogus=1".to_owned(), None, "bogus"),
        (Method::GET, "/api/v1/users?limit=5&Limit=6".to_owned(), None, "Limit"),
    ];
    for (method, path, body, field) in cases {
        let answer = t.call(method.clone(), &path, Some(&t.admin), body.as_ref()).await;
        assert_eq!(answer.status, 422, "{method} {path}: {:?}", answer.body);
        assert_eq!(answer.body["errors"][0]["field"], json!(field), "{path}");
        assert_eq!(answer.body["errors"][0]["code"], json!("unknown_field"), "{path}");
    }
    assert_eq!(written(&t).await, before, "nothing was written");
    assert_eq!(t.get("/api/v1/me", &secret).await.status, 200, "the token still works");
    assert_eq!(
        t.get("/api/v1/projects/new", &t.admin).await.status,
        404,
        "no project was made"
    );
    // Unauthenticated, the route's parameters are nobody's business.
    let stranger = t.call(Method::GET, "/api/v1/users?bogus=1", None, None).await;
    assert_eq!(stranger.status, 401);
}
