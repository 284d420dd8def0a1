//! Export and import over HTTP (SPEC §11): export → import into a fresh
//! server → export gives the same document; a second import changes
//! nothing; a document with errors changes nothing and lists every error
//! with its path.

use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{TestServer, backends, start_on, start_sqlite};

async fn send(t: &TestServer, method: Method, path: &str, body: Value) {
    let answer = t.call(method, path, Some(&t.admin), Some(&body)).await;
    assert!(answer.status.is_success(), "{path}: {:?}", answer.body);
}

async fn populate(t: &TestServer) {
    send(t, Method::POST, "/api/v1/environments", json!({"name": "STAGING"})).await;
    send(
        t,
        Method::POST,
        "/api/v1/roles",
        json!({"name": "Seed Developer",
        "categories": ["artifacts.read", "artifacts.write"], "environments": ["DEV", "PROD"]}),
    )
    .await;
    for (username, extra) in [
        ("alice", json!({})),
        ("bob", json!({"account_permissions": ["audit.read"]})),
    ] {
        let mut body = json!({"email": format!("{username}@example.com"), "username": username});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        send(t, Method::POST, "/api/v1/users", body).await;
    }
    send(
        t,
        Method::POST,
        "/api/v1/groups",
        json!({"name": "qa", "description": "testers", "members": ["bob"]}),
    )
    .await;
    send(
        t,
        Method::POST,
        "/api/v1/projects",
        json!({"key": "web", "display_name": "Web", "description": "the site"}),
    )
    .await;
    send(
        t,
        Method::POST,
        "/api/v1/projects/web/environments",
        json!({"name": "QA"}),
    )
    .await;
    send(
        t,
        Method::POST,
        "/api/v1/projects/web/roles",
        json!({"name": "Lead Developer",
        "actions": ["repository.delete", "build.delete"], "environments": ["DEV", "QA"]}),
    )
    .await;
    send(
        t,
        Method::PUT,
        "/api/v1/projects/web/members/users/alice",
        json!({"roles": ["Lead Developer", "Seed Developer"]}),
    )
    .await;
    send(
        t,
        Method::PUT,
        "/api/v1/projects/web/members/groups/qa",
        json!({"roles": ["Seed Developer"]}),
    )
    .await;
    send(
        t,
        Method::POST,
        "/api/v1/projects/web/resources",
        json!({"type": "repository", "name": "web-libs", "environment": "web-QA"}),
    )
    .await;
}

async fn export(t: &TestServer, query: &str) -> Value {
    let answer = t.get(&format!("/api/v1/export{query}"), &t.admin).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

#[tokio::test(flavor = "multi_thread")]
async fn export_import_export_round_trips_and_a_second_import_changes_nothing() {
    for backend in backends() {
        let source = start_on(&backend).await;
        populate(&source).await;
        let document = export(&source, "").await;
        assert_eq!(document["projects"][0]["environments"], json!(["QA"]));
        assert_eq!(
            document["projects"][0]["users"]["alice"],
            json!(["Lead Developer", "Seed Developer"])
        );

        let target = start_on(&backend).await;
        let first = target.post("/api/v1/import", &target.admin, &document).await;
        assert_eq!(first.status, 200, "{backend:?}: {:?}", first.body);
        assert!(first.body["created"].as_u64().unwrap() >= 10, "{:?}", first.body);
        assert_eq!(
            export(&target, "").await,
            document,
            "{backend:?}: the same document back"
        );

        let revision = target.revision().await;
        let second = target.post("/api/v1/import", &target.admin, &document).await;
        assert_eq!(second.status, 200);
        assert_eq!(second.body["created"], 0);
        assert_eq!(second.body["updated"], 0);
        assert_eq!(target.revision().await, revision, "nothing written the second time");

        let check = json!({"user": "bob", "action": "repository.read", "project": "web", "environment": "PROD"});
        assert_eq!(
            target.post("/api/v1/check", &target.admin, &check).await.body["allowed"],
            true,
            "through qa"
        );

        let one = export(&source, "?project=web").await;
        assert_eq!(one["projects"].as_array().unwrap().len(), 1);
        let users: Vec<_> = one["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].clone())
            .collect();
        assert_eq!(
            users,
            [json!("alice"), json!("bob")],
            "only the users the project needs"
        );
        source.finish().await;
        target.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_with_errors_changes_nothing_and_lists_every_error() {
    let t = start_sqlite().await;
    let revision = t.revision().await;
    let document = json!({
        "version": 1,
        "users": [{"username": "Not A Username"}, {"username": "ok", "account_permissions": ["root"]}],
        "groups": [{"name": "g", "members": ["ghost"]}],
        "roles": [{"name": "R", "categories": ["no.such.category"]}],
        "projects": [{"key": "web", "display_name": "Web",
            "roles": [{"name": "P", "actions": ["repository.read"], "environments": ["NOWHERE"]}],
            "users": {"ok": ["Missing Role"], "ghost": ["P"]},
            "resources": [{"type": "spaceship", "name": "x"}]}],
    });
    let refused = t.post("/api/v1/import", &t.admin, &document).await;
    assert_eq!(refused.status, 422, "{:?}", refused.body);
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for expected in [
        "users[0].username",
        "users[1].account_permissions[0]",
        "groups[0].members[0]",
        "roles[0].categories[0]",
        "projects[0].roles[0].environments[0]",
        "projects[0].users.ok[0]",
        "projects[0].users.ghost",
        "projects[0].resources[0].type",
    ] {
        assert!(fields.contains(&expected), "missing `{expected}` in {fields:?}");
    }
    assert_eq!(t.revision().await, revision, "nothing written");
    assert_eq!(t.get("/api/v1/projects", &t.admin).await.body["items"], json!([]));

    let plain = t.user("plain").await;
    assert_eq!(
        t.post("/api/v1/import", &plain, &json!({"version": 1})).await.status,
        403
    );
    assert_eq!(t.get("/api/v1/export", &plain).await.status, 403);
}
