//! Names belong to their project (SPEC §5.4, §5.6): a project's resources
//! are named `<key>-…`, a project environment's `NAME` holds no `-`, and a
//! check by resource says the same of an absent resource and of one in a
//! project the caller may not see.

use reqwest::Method;
use serde_json::json;

use crate::rules::{project, send};
use crate::spawn::{TestServer, start_sqlite};

async fn member(t: &TestServer, key: &str, user: &str, roles: &[&str]) {
    let put = send(
        t,
        Method::PUT,
        &format!("/api/v1/projects/{key}/members/users/{user}"),
        json!({"roles": roles}),
    )
    .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_project_registers_only_names_of_its_own() {
    let t = start_sqlite().await;
    project(&t, "web").await;
    project(&t, "secret").await;
    let sam = t.user("sam").await;
    member(&t, "secret", "sam", &["Project Admin"]).await;
    let revision = t.revision().await;
    for name in ["web-app-prod", "app", "secret", "secret-", "secretapp", "SECRET-app"] {
        let squat = t
            .post(
                "/api/v1/projects/secret/resources",
                &sam,
                &json!({"type": "repository", "name": name, "environment": "DEV"}),
            )
            .await;
        assert_eq!(squat.status, 422, "{name}: {:?}", squat.body);
        assert_eq!(squat.body["errors"][0]["field"], "name", "{name}");
    }
    assert_eq!(t.revision().await, revision, "nothing written");
    let own = t
        .post(
            "/api/v1/projects/secret/resources",
            &sam,
            &json!({"type": "repository", "name": "secret-app", "environment": "DEV"}),
        )
        .await;
    assert_eq!(own.status, 201, "{:?}", own.body);
    // `web`'s own name is still free for `web`.
    let web = send(
        &t,
        Method::POST,
        "/api/v1/projects/web/resources",
        json!({"type": "repository", "name": "web-app-prod", "environment": "PROD"}),
    )
    .await;
    assert_eq!(web.status, 201, "{:?}", web.body);
    // An import is held to the same rule.
    let imported = t
        .post(
            "/api/v1/import",
            &t.admin,
            &json!({"version": 1, "projects": [{"key": "api", "display_name": "Api",
                "resources": [{"type": "repository", "name": "web-stolen", "environment": "DEV"}]}]}),
        )
        .await;
    assert_eq!(imported.status, 422, "{:?}", imported.body);
    assert!(
        imported.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "projects[0].resources[0].name"),
        "{:?}",
        imported.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resource_in_a_hidden_project_is_answered_as_an_absent_one() {
    let t = start_sqlite().await;
    project(&t, "web").await;
    project(&t, "secret").await;
    send(
        &t,
        Method::POST,
        "/api/v1/projects/secret/resources",
        json!({"type": "repository", "name": "secret-app", "environment": "DEV"}),
    )
    .await;
    let sam = t.user("sam").await;
    member(&t, "secret", "sam", &["Project Admin"]).await;
    let wes = t.user("wes").await;
    send(
        &t,
        Method::POST,
        "/api/v1/projects/web/roles",
        json!({"name": "Lead", "actions": ["repository.read", "project.manage_members"], "environments": ["DEV"]}),
    )
    .await;
    member(&t, "web", "wes", &["Lead"]).await;

    let ask = |name: &str, user: Option<&str>, explain: bool| {
        let mut body = json!({"action": "repository.read", "explain": explain,
            "resource": {"type": "repository", "name": name}});
        if let Some(user) = user {
            body["user"] = json!(user);
        }
        body
    };
    for explain in [true, false] {
        for user in [None, Some("sam")] {
            let hidden = t.post("/api/v1/check", &wes, &ask("secret-app", user, explain)).await;
            let absent = t
                .post("/api/v1/check", &wes, &ask("secret-nothing", user, explain))
                .await;
            assert_eq!(hidden.status, 200, "{user:?} {explain}: {:?}", hidden.body);
            assert_eq!(absent.status, 200);
            assert_eq!(hidden.body["allowed"], false);
            assert_eq!(hidden.body["denial"], absent.body["denial"], "{user:?} {explain}");
            if explain {
                assert_eq!(hidden.body["denial"], "unknown_resource");
            }
        }
    }
    // Those who see the project get the real answer.
    let by_sam = t.post("/api/v1/check", &sam, &ask("secret-app", None, true)).await;
    assert_eq!(by_sam.body["denial"], "action_not_granted", "{:?}", by_sam.body);
    let by_admin = t
        .post("/api/v1/check", &t.admin, &ask("secret-app", Some("wes"), true))
        .await;
    assert_eq!(by_admin.body["denial"], "not_a_member", "{:?}", by_admin.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_project_environment_name_splits_one_way_only() {
    let t = start_sqlite().await;
    project(&t, "secret").await;
    project(&t, "secret-ops").await;
    let revision = t.revision().await;
    for name in ["ops-PROD", "secret-ops-PROD", "-X", "X-"] {
        let refused = send(
            &t,
            Method::POST,
            "/api/v1/projects/secret/environments",
            json!({"name": name}),
        )
        .await;
        assert_eq!(refused.status, 422, "{name}: {:?}", refused.body);
        assert_eq!(refused.body["errors"][0]["field"], "name", "{name}");
    }
    assert_eq!(t.revision().await, revision, "nothing written");
    let theirs = send(
        &t,
        Method::POST,
        "/api/v1/projects/secret-ops/environments",
        json!({"name": "PROD"}),
    )
    .await;
    assert_eq!(theirs.status, 201, "{:?}", theirs.body);
    assert_eq!(theirs.body["name"], "secret-ops-PROD");
    let full = send(
        &t,
        Method::POST,
        "/api/v1/projects/secret/environments",
        json!({"name": "secret-OPS_2"}),
    )
    .await;
    assert_eq!(full.status, 201, "{:?}", full.body);
    assert_eq!(full.body["name"], "secret-OPS_2");
}
