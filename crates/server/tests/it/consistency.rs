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

/// The `ETag` of `GET path`, as sent back in `If-Match`.
async fn etag(t: &TestServer, path: &str) -> String {
    let answer = t.get(path, &t.admin).await;
    assert_eq!(answer.status, 200, "{path}: {:?}", answer.body);
    answer.header("etag").expect("an ETag").to_owned()
}

/// The model's revision as a tag: what records without a revision of their
/// own are matched against.
async fn model_tag(t: &TestServer) -> String {
    format!("\"{}\"", t.revision().await)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_single_resource_write_honours_if_match() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    t.user("target").await;
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/projects",
            json!({"key": "web", "display_name": "Web"}),
        ),
        (
            Method::POST,
            "/api/v1/projects",
            json!({"key": "gone", "display_name": "Gone"}),
        ),
        (Method::POST, "/api/v1/environments", json!({"name": "UAT"})),
        (Method::POST, "/api/v1/projects/web/environments", json!({"name": "QA"})),
        (
            Method::POST,
            "/api/v1/roles",
            json!({"name": "Global-Reader", "categories": ["artifacts.read"]}),
        ),
        (
            Method::POST,
            "/api/v1/projects/web/roles",
            json!({"name": "Reader", "categories": ["artifacts.read"]}),
        ),
        (Method::POST, "/api/v1/groups", json!({"name": "devs"})),
        (
            Method::PUT,
            "/api/v1/projects/web/members/groups/devs",
            json!({"roles": ["Reader"]}),
        ),
        (
            Method::POST,
            "/api/v1/projects/web/resources",
            json!({"type": "repository", "name": "web-libs-dev", "environment": "DEV"}),
        ),
    ] {
        let answer = t.call(method.clone(), path, Some(&admin), Some(&body)).await;
        assert!(answer.status.is_success(), "{method} {path}: {:?}", answer.body);
    }
    let token = t
        .post(
            "/api/v1/tokens",
            &admin,
            &json!({"description": "ci", "expires_in": 3600}),
        )
        .await;
    assert_eq!(token.status, 201, "{:?}", token.body);
    let token_path = format!("/api/v1/tokens/{}", token.body["id"].as_str().unwrap());

    let stale = "\"1\"";
    let member = json!({"roles": ["Reader"]});
    let billing = json!({"billing": {"plan": "gold", "contact": "ops@example.com", "renewal_date": null}});
    let password = json!({"new_password": "an-entirely-new-password"});
    let members = json!({"add": ["target"]});
    // (method, path, body, the tag it is at: a record's ETag, or the model's).
    let writes: Vec<(Method, String, Option<Value>, Option<&str>)> = vec![
        (
            Method::POST,
            "/api/v1/users/target/disable".into(),
            None,
            Some("/api/v1/users/target"),
        ),
        (
            Method::POST,
            "/api/v1/users/target/enable".into(),
            None,
            Some("/api/v1/users/target"),
        ),
        (
            Method::POST,
            "/api/v1/users/target/unlock".into(),
            None,
            Some("/api/v1/users/target"),
        ),
        (
            Method::PUT,
            "/api/v1/users/target/password".into(),
            Some(password),
            Some("/api/v1/users/target"),
        ),
        (
            Method::PATCH,
            "/api/v1/groups/devs/members".into(),
            Some(members),
            Some("/api/v1/groups/devs"),
        ),
        (
            Method::PUT,
            "/api/v1/settings".into(),
            Some(billing),
            Some("/api/v1/settings"),
        ),
        (
            Method::PUT,
            "/api/v1/projects/web/members/users/target".into(),
            Some(member),
            None,
        ),
        (
            Method::DELETE,
            "/api/v1/projects/web/members/groups/devs".into(),
            None,
            None,
        ),
        (
            Method::DELETE,
            "/api/v1/projects/web/resources/repository/web-libs-dev".into(),
            None,
            None,
        ),
        (Method::DELETE, token_path, None, None),
        (Method::DELETE, "/api/v1/environments/UAT".into(), None, None),
        (
            Method::DELETE,
            "/api/v1/projects/web/environments/QA".into(),
            None,
            None,
        ),
        (
            Method::DELETE,
            "/api/v1/roles/Global-Reader".into(),
            None,
            Some("/api/v1/roles/Global-Reader"),
        ),
        (
            Method::DELETE,
            "/api/v1/projects/web/roles/Reader?force=true".into(),
            None,
            Some("/api/v1/projects/web/roles/Reader"),
        ),
        (
            Method::DELETE,
            "/api/v1/projects/gone?confirm=gone".into(),
            None,
            Some("/api/v1/projects/gone"),
        ),
    ];
    for (method, path, body, tagged) in writes {
        let revision = t.revision().await;
        let refused = send_if(&t, method.clone(), &path, Some(stale), body.as_ref()).await;
        assert_eq!(
            refused.status, 412,
            "{method} {path} with a stale If-Match: {:?}",
            refused.body
        );
        assert_eq!(refused.code(), "precondition_failed");
        assert_eq!(t.revision().await, revision, "{method} {path}: a refused write wrote");
        let tag = match tagged {
            Some(read) => etag(&t, read).await,
            None => model_tag(&t).await,
        };
        let done = send_if(&t, method.clone(), &path, Some(&tag), body.as_ref()).await;
        assert!(
            done.status.is_success(),
            "{method} {path} with If-Match {tag}: {:?}",
            done.body
        );
        assert!(t.revision().await > revision, "{method} {path} did not write");
    }
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_user_who_is_not_a_member_is_named() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    t.user("alice").await;
    t.user("bob").await;
    let created = t
        .post("/api/v1/groups", &admin, &json!({"name": "devs", "members": ["alice"]}))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let revision = t.revision().await;
    let path = "/api/v1/groups/devs/members";
    let answer = send_if(
        &t,
        Method::PATCH,
        path,
        None,
        Some(&json!({"remove": ["alice", "bob"]})),
    )
    .await;
    assert_names(&answer, "remove[1]");
    assert_eq!(t.revision().await, revision, "nothing is written");
    let group = t.get("/api/v1/groups/devs", &admin).await;
    assert_eq!(group.body["members"], json!(["alice"]));
    // A user added and removed in one request was a member in between.
    let answer = send_if(
        &t,
        Method::PATCH,
        path,
        None,
        Some(&json!({"add": ["bob"], "remove": ["alice", "bob"]})),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["members"], json!([]));
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_naming_a_project_and_a_resource_is_refused() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    let project = t
        .post(
            "/api/v1/projects",
            &admin,
            &json!({"key": "web", "display_name": "Web"}),
        )
        .await;
    assert_eq!(project.status, 201);
    let resource = json!({"type": "repository", "name": "web-libs-dev"});
    let registered = t
        .post(
            "/api/v1/projects/web/resources",
            &admin,
            &json!({"type": "repository", "name": "web-libs-dev", "environment": "DEV"}),
        )
        .await;
    assert_eq!(registered.status, 201, "{:?}", registered.body);
    let both = json!({"action": "repository.read", "project": "web", "environment": "DEV", "resource": resource});
    let answer = t.post("/api/v1/check", &admin, &both).await;
    assert_names(&answer, "resource");
    let answer = t.post("/api/v1/check/batch", &admin, &json!({"checks": [both]})).await;
    assert_names(&answer, "checks[0].resource");
    t.finish().await;
}

/// Every item of `path`, `limit` at a time, asserting that no page is empty
/// while a `next_cursor` follows it.
async fn walk(t: &TestServer, path: &str, token: &str, limit: usize) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let join = if path.contains('?') { '&' } else { '?' };
    for _ in 0..1_000 {
        let url = match &cursor {
            Some(c) => format!("{path}{join}limit={limit}&cursor={c}"),
            None => format!("{path}{join}limit={limit}"),
        };
        let answer = t.get(&url, token).await;
        assert_eq!(answer.status, 200, "{url}: {:?}", answer.body);
        let page = answer.body["items"].as_array().unwrap().clone();
        assert!(page.len() <= limit, "{url}: {} items", page.len());
        cursor = answer.body["next_cursor"].as_str().map(str::to_owned);
        assert!(
            !page.is_empty() || cursor.is_none(),
            "{url}: an empty page carries a next_cursor"
        );
        items.extend(page);
        if cursor.is_none() {
            return items;
        }
    }
    unreachable!("{path}: the pages never end");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_list_pages_and_a_filter_never_yields_an_empty_page_with_a_cursor() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    let alice = t.user("alice").await;
    for key in ["p0", "p1", "p2", "p3", "p4"] {
        let created = t
            .post("/api/v1/projects", &admin, &json!({"key": key, "display_name": key}))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
    }
    for name in ["QA", "UAT", "PERF"] {
        assert_eq!(
            t.post("/api/v1/environments", &admin, &json!({"name": name}))
                .await
                .status,
            201
        );
        assert_eq!(
            t.post("/api/v1/projects/p4/environments", &admin, &json!({"name": name}))
                .await
                .status,
            201
        );
    }
    for name in ["1", "2", "3"] {
        let global = json!({"name": format!("G{name}"), "categories": ["artifacts.read"]});
        assert_eq!(t.post("/api/v1/roles", &admin, &global).await.status, 201);
        let own = json!({"name": format!("R{name}"), "categories": ["artifacts.read"]});
        assert_eq!(t.post("/api/v1/projects/p4/roles", &admin, &own).await.status, 201);
    }
    let member = t
        .call(
            Method::PUT,
            "/api/v1/projects/p4/members/users/alice",
            Some(&admin),
            Some(&json!({"roles": ["R1"]})),
        )
        .await;
    assert_eq!(member.status, 200, "{:?}", member.body);
    for i in 0..3 {
        let made = t
            .post(
                "/api/v1/tokens",
                &alice,
                &json!({"description": format!("t{i}"), "expires_in": 3600}),
            )
            .await;
        assert_eq!(made.status, 201, "{:?}", made.body);
    }

    // Each list, a page at a time, gives what one page of 1,000 gives.
    for (path, token) in [
        ("/api/v1/tokens", &alice),
        ("/api/v1/users/alice/tokens", &admin),
        ("/api/v1/roles", &admin),
        ("/api/v1/projects/p4/roles", &admin),
        ("/api/v1/environments", &admin),
        ("/api/v1/projects/p4/environments", &admin),
        ("/api/v1/projects", &admin),
    ] {
        let whole = walk(&t, path, token, 1_000).await;
        assert!(whole.len() >= 3, "{path}: {whole:?}");
        for limit in [1, 2] {
            assert_eq!(walk(&t, path, token, limit).await, whole, "{path} by {limit}");
        }
        let garbage = t.get(&format!("{path}?cursor=not-a-cursor"), token).await;
        assert_eq!(garbage.status, 400, "{path}: {:?}", garbage.body);
        assert_eq!(garbage.code(), "invalid_cursor");
        let over = t.get(&format!("{path}?limit=1001"), token).await;
        assert_names(&over, "limit");
    }
    // A cursor of one list is refused by another.
    let roles = t.get("/api/v1/roles?limit=1", &admin).await;
    let cursor = roles.body["next_cursor"].as_str().unwrap();
    let foreign = t
        .get(&format!("/api/v1/projects/p4/roles?cursor={cursor}"), &admin)
        .await;
    assert_eq!(foreign.code(), "invalid_cursor");

    // Alice sees one project of five, on the first page, with no cursor.
    let seen = walk(&t, "/api/v1/projects", &alice, 1).await;
    let keys: Vec<_> = seen.iter().map(|p| p["key"].clone()).collect();
    assert_eq!(keys, [json!("p4")]);
    t.finish().await;
}
