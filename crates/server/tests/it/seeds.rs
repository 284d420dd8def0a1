//! The two seed examples of SPEC §2.1, end to end through the API a person
//! would use: roles, a project, users, members, then checks with
//! explanations — on every backend.

use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{TestServer, backends, start_on};

async fn ok(t: &TestServer, method: Method, path: &str, body: Value) -> Value {
    let answer = t.call(method, path, Some(&t.admin), Some(&body)).await;
    assert!(
        answer.status.is_success(),
        "{path}: {} {:?}",
        answer.status,
        answer.body
    );
    answer.body
}

async fn check(t: &TestServer, token: &str, body: Value) -> Value {
    let answer = t.post("/api/v1/check", token, &body).await;
    assert_eq!(answer.status, 200, "{body}: {:?}", answer.body);
    answer.body
}

#[tokio::test(flavor = "multi_thread")]
async fn developer_and_lead_developer_read_write_everywhere_and_delete_only_in_dev() {
    for backend in backends() {
        let t = start_on(&backend).await;
        // The seed's Developer spans DEV and PROD: a custom global role of that name.
        ok(
            &t,
            Method::POST,
            "/api/v1/roles",
            json!({"name": "Seed Developer",
            "categories": ["artifacts.read", "artifacts.write"], "environments": ["DEV", "PROD"]}),
        )
        .await;
        ok(
            &t,
            Method::POST,
            "/api/v1/projects",
            json!({"key": "web", "display_name": "Web"}),
        )
        .await;
        let lead = ok(
            &t,
            Method::POST,
            "/api/v1/projects/web/roles",
            json!({"name": "Lead Developer",
            "categories": ["artifacts.read", "artifacts.write", "artifacts.delete"], "environments": ["DEV"]}),
        )
        .await;
        assert_eq!(lead["scope"], "project");
        assert_eq!(lead["mode"], "basic");
        assert!(
            lead["actions"]
                .as_array()
                .unwrap()
                .contains(&json!("repository.delete"))
        );
        let alice = t.user("alice").await;
        let member = ok(
            &t,
            Method::PUT,
            "/api/v1/projects/web/members/users/alice",
            json!({"roles": ["Seed Developer", "Lead Developer"]}),
        )
        .await;
        assert_eq!(
            member,
            json!({"kind": "user", "name": "alice", "roles": ["Lead Developer", "Seed Developer"]})
        );

        for (action, env, allowed) in [
            ("repository.read", "DEV", true),
            ("repository.read", "PROD", true),
            ("repository.deploy", "DEV", true),
            ("DEPLOY_CACHE_REPOSITORY", "PROD", true),
            ("repository.delete", "DEV", true),
            ("repository.delete", "PROD", false),
            ("DELETE_OVERWRITE_REPOSITORY", "PROD", false),
        ] {
            let body = json!({"action": action, "project": "web", "environment": env});
            assert_eq!(
                check(&t, &alice, body.clone()).await["allowed"],
                allowed,
                "alice {action} in {env}"
            );
            let about = json!({"user": "alice", "action": action, "project": "web", "environment": env});
            assert_eq!(
                check(&t, &t.admin, about).await["allowed"],
                allowed,
                "admin asks: {action} in {env}"
            );
        }
        let explained = check(
            &t,
            &alice,
            json!({"action": "repository.read", "project": "web",
            "environment": "DEV", "explain": true}),
        )
        .await;
        let reasons = explained["reasons"].as_array().unwrap();
        let roles: Vec<_> = reasons.iter().map(|r| r["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["Seed Developer", "Lead Developer"], "{reasons:?}");
        for reason in reasons {
            assert_eq!(reason["via"], "user");
            assert_eq!(reason["name"], "alice");
            assert!(
                reason["environments"].as_array().unwrap().contains(&json!("DEV")),
                "{reason}"
            );
        }
        assert_eq!(reasons[0]["role_scope"], "global");
        assert_eq!(reasons[1]["role_scope"], "project");
        let denied = check(
            &t,
            &alice,
            json!({"action": "repository.delete", "project": "web",
            "environment": "PROD", "explain": true}),
        )
        .await;
        assert_eq!(denied["denial"], "environment_not_granted");
        assert!(denied["revision"].as_u64().unwrap() > 0);

        let permissions = t.get("/api/v1/me/permissions?project=web", &alice).await;
        let delete = permissions.body["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["action"] == "repository.delete")
            .unwrap()
            .clone();
        assert_eq!(delete["environments"], json!(["DEV"]));
        let who = t
            .get(
                "/api/v1/projects/web/who-can?action=repository.delete&environment=DEV",
                &t.admin,
            )
            .await;
        assert_eq!(who.status, 200, "{:?}", who.body);
        let users: Vec<_> = who.body["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].clone())
            .collect();
        assert_eq!(users, [json!("admin"), json!("alice")]);
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn qa_tester_grants_exactly_its_advanced_actions_directly_and_through_a_group() {
    let t = start_on(&backends()[0]).await;
    ok(
        &t,
        Method::POST,
        "/api/v1/projects",
        json!({"key": "us-rnd", "display_name": "US R&D"}),
    )
    .await;
    let granted = [
        "repository.read",
        "repository.deploy",
        "build.delete",
        "release_bundle.promote",
        "pipeline.trigger",
    ];
    let qa = ok(
        &t,
        Method::POST,
        "/api/v1/projects/us-rnd/roles",
        json!({"name": "QA Tester",
        "actions": granted, "environments": ["DEV", "PROD"]}),
    )
    .await;
    assert_eq!(qa["mode"], "advanced");
    let direct = t.user("quinn").await;
    let via_group = t.user("rosa").await;
    ok(
        &t,
        Method::POST,
        "/api/v1/groups",
        json!({"name": "qa", "members": ["rosa"]}),
    )
    .await;
    ok(
        &t,
        Method::PUT,
        "/api/v1/projects/us-rnd/members/users/quinn",
        json!({"roles": ["QA Tester"]}),
    )
    .await;
    ok(
        &t,
        Method::PUT,
        "/api/v1/projects/us-rnd/members/groups/qa",
        json!({"roles": ["QA Tester"]}),
    )
    .await;

    let catalogue = t.get("/api/v1/catalogue", &direct).await.body;
    let every: Vec<(String, bool)> = catalogue["resource_types"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| {
            let scoped = t["env_scoped"].as_bool().unwrap();
            t["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |a| (a["id"].as_str().unwrap().to_owned(), scoped))
        })
        .collect();
    assert!(every.len() > 20);
    let checks: Vec<Value> = every
        .iter()
        .map(|(action, scoped)| {
            let mut c = json!({"action": action, "project": "us-rnd"});
            if *scoped {
                c["environment"] = json!("PROD");
            }
            c
        })
        .collect();
    for (token, via) in [(&direct, "user"), (&via_group, "group")] {
        let batch = t.post("/api/v1/check/batch", token, &json!({"checks": checks})).await;
        assert_eq!(batch.status, 200, "{:?}", batch.body);
        let results = batch.body["results"].as_array().unwrap();
        for ((action, _), result) in every.iter().zip(results) {
            assert_eq!(result["allowed"], granted.contains(&action.as_str()), "{via}: {action}");
        }
        let why = check(
            &t,
            token,
            json!({"action": "pipeline.trigger", "project": "us-rnd", "explain": true}),
        )
        .await;
        assert_eq!(why["reasons"][0]["via"], via);
        assert_eq!(why["reasons"][0]["role"], "QA Tester");
    }
    let other = check(
        &t,
        &direct,
        json!({"action": "pipeline.trigger", "project": "web", "explain": true}),
    )
    .await;
    assert_eq!(other["denial"], "unknown_project");
}
