//! HTTP consistency (SPEC §7, §7.1, Appendix A): a role read back can be
//! sent to create one; `If-Match` on every single-resource write; paging on
//! every list; a check naming a project and a resource; removing a
//! non-member from a group.

use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{Answer, TestServer, start_sqlite};

/// The field errors of a 422 problem, as `(field, code)`.
fn fields(answer: &Answer) -> Vec<(String, String)> {
    answer.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Asserts `answer` is a 422 naming `field`.
fn assert_names(answer: &Answer, field: &str) {
    assert_eq!(answer.status, 422, "{:?}", answer.body);
    assert!(
        fields(answer).iter().any(|(f, _)| f == field),
        "no error naming `{field}`: {:?}",
        answer.body
    );
}

/// `role` as read back, renamed `name`.
fn renamed(role: &Value, name: &str) -> Value {
    let mut body = role.clone();
    body["name"] = json!(name);
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_read_back_creates_a_role_and_a_mode_that_disagrees_is_named() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    let created = t
        .post(
            "/api/v1/roles",
            &admin,
            &json!({"name": "Readers", "mode": "basic", "categories": ["artifacts.read"], "environments": ["DEV"]}),
        )
        .await;
    assert_eq!(created.status, 201, "mode basic with categories: {:?}", created.body);
    let basic = t.get("/api/v1/roles/Readers", &admin).await.body;
    assert_eq!(basic["mode"], "basic");
    assert!(!basic["actions"].as_array().unwrap().is_empty(), "{basic}");

    // What was read back, under another name: the same role.
    let copy = t.post("/api/v1/roles", &admin, &renamed(&basic, "Readers-2")).await;
    assert_eq!(copy.status, 201, "a basic role read back: {:?}", copy.body);
    for field in ["mode", "categories", "actions", "environments", "type", "scope"] {
        assert_eq!(copy.body[field], basic[field], "{field}");
    }

    let advanced = t
        .post(
            "/api/v1/roles",
            &admin,
            &json!({"name": "Deleters", "mode": "advanced", "actions": ["repository.read", "repository.delete"]}),
        )
        .await;
    assert_eq!(advanced.status, 201, "mode advanced with actions: {:?}", advanced.body);
    let read = t.get("/api/v1/roles/Deleters", &admin).await.body;
    let copy = t.post("/api/v1/roles", &admin, &renamed(&read, "Deleters-2")).await;
    assert_eq!(copy.status, 201, "an advanced role read back: {:?}", copy.body);
    assert_eq!(copy.body["mode"], "advanced");
    assert_eq!(copy.body["actions"], read["actions"]);

    // A project role read back, created in the project.
    let project = t
        .post(
            "/api/v1/projects",
            &admin,
            &json!({"key": "web", "display_name": "Web"}),
        )
        .await;
    assert_eq!(project.status, 201, "{:?}", project.body);
    let own = t
        .post(
            "/api/v1/projects/web/roles",
            &admin,
            &json!({"name": "Web-Readers", "mode": "basic", "categories": ["artifacts.read"]}),
        )
        .await;
    assert_eq!(own.status, 201, "{:?}", own.body);
    let copy = t
        .post(
            "/api/v1/projects/web/roles",
            &admin,
            &renamed(&own.body, "Web-Readers-2"),
        )
        .await;
    assert_eq!(copy.status, 201, "a project role read back: {:?}", copy.body);

    let revision = t.revision().await;
    for (label, path, body, field) in [
        (
            "basic with actions only",
            "/api/v1/roles",
            json!({"name": "X1", "mode": "basic", "actions": ["repository.read"]}),
            "mode",
        ),
        (
            "advanced with categories only",
            "/api/v1/roles",
            json!({"name": "X2", "mode": "advanced", "categories": ["artifacts.read"]}),
            "mode",
        ),
        (
            "advanced with categories beside its actions",
            "/api/v1/roles",
            json!({"name": "X3", "mode": "advanced", "categories": ["artifacts.read"], "actions": ["repository.read"]}),
            "mode",
        ),
        (
            "basic whose actions are not its categories'",
            "/api/v1/roles",
            json!({"name": "X4", "mode": "basic", "categories": ["artifacts.read"], "actions": ["repository.delete"]}),
            "mode",
        ),
        (
            "a project role's scope at the global route",
            "/api/v1/roles",
            json!({"name": "X5", "scope": "project", "categories": ["artifacts.read"]}),
            "scope",
        ),
        (
            "another project",
            "/api/v1/projects/web/roles",
            json!({"name": "X6", "project": "api", "categories": ["artifacts.read"]}),
            "project",
        ),
        (
            "a global role's type in a project",
            "/api/v1/projects/web/roles",
            json!({"name": "X7", "type": "CUSTOM_GLOBAL", "categories": ["artifacts.read"]}),
            "type",
        ),
    ] {
        let answer = t.post(path, &admin, &body).await;
        assert_names(&answer, field);
        assert_eq!(t.revision().await, revision, "{label} wrote");
    }
    t.finish().await;
}

/// Sends `method path` as the admin with `If-Match: if_match` (when given).
async fn send_if(t: &TestServer, method: Method, path: &str, if_match: Option<&str>, body: Option<&Value>) -> Answer {
    let mut request = t.http.request(method, format!("{}{path}", t.url)).bearer_auth(&t.admin);
    if let Some(tag) = if_match {
        request = request.header(reqwest::header::IF_MATCH, tag);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    TestServer::answer(request.send().await.unwrap()).await
}
