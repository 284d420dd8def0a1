//! The rules of SPEC §4–§5 over HTTP: the 30-role limit, empty roles and
//! members, Basic ↔ Advanced switching, forced deletion and cascades,
//! protected environments, project visibility, and `min_revision`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{TestServer, start_sqlite};

/// `method path` with `body`, as the platform admin (shared by the
/// HTTP rule tests).
pub(crate) async fn send(t: &TestServer, method: Method, path: &str, body: Value) -> crate::spawn::Answer {
    t.call(method, path, Some(&t.admin), Some(&body)).await
}

/// Creates project `key` as the platform admin.
pub(crate) async fn project(t: &TestServer, key: &str) {
    let created = send(
        t,
        Method::POST,
        "/api/v1/projects",
        json!({"key": key, "display_name": key}),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_and_empty_roles_and_members_are_refused() {
    let t = start_sqlite().await;
    project(&t, "web").await;
    for i in 0..29 {
        let body = json!({"name": format!("r{i}"), "categories": ["artifacts.read"], "environments": ["DEV"]});
        assert_eq!(
            send(&t, Method::POST, "/api/v1/projects/web/roles", body).await.status,
            201
        );
    }
    // Project Admin is the project's 30th role... or not: count what is there.
    let listed = t.get("/api/v1/projects/web/roles", &t.admin).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    for i in listed..30 {
        let body = json!({"name": format!("x{i}"), "categories": ["artifacts.read"]});
        assert_eq!(
            send(&t, Method::POST, "/api/v1/projects/web/roles", body).await.status,
            201
        );
    }
    let revision = t.revision().await;
    let over = send(
        &t,
        Method::POST,
        "/api/v1/projects/web/roles",
        json!({"name": "one-too-many", "categories": ["artifacts.read"]}),
    )
    .await;
    assert_eq!(over.status, 409);
    assert_eq!(over.code(), "limit_exceeded");
    assert_eq!(t.revision().await, revision, "nothing written");

    project(&t, "api").await;
    let empty = send(
        &t,
        Method::POST,
        "/api/v1/projects/api/roles",
        json!({"name": "empty", "actions": []}),
    )
    .await;
    assert_eq!(empty.status, 422);
    assert_eq!(empty.code(), "role_empty");
    t.user("mia").await;
    let revision = t.revision().await;
    let no_role = send(
        &t,
        Method::PUT,
        "/api/v1/projects/api/members/users/mia",
        json!({"roles": []}),
    )
    .await;
    assert_eq!(no_role.status, 422);
    assert_eq!(no_role.code(), "member_needs_role");
    assert_eq!(t.revision().await, revision, "nothing written");
}

#[tokio::test(flavor = "multi_thread")]
async fn switching_basic_and_advanced_keeps_or_asks_before_losing_actions() {
    let t = start_sqlite().await;
    project(&t, "web").await;
    let basic = send(
        &t,
        Method::POST,
        "/api/v1/projects/web/roles",
        json!({"name": "Builder", "categories": ["artifacts.write"], "environments": ["DEV"]}),
    )
    .await;
    assert_eq!(basic.body["mode"], "basic");
    let actions = basic.body["actions"].clone();
    let advanced = send(
        &t,
        Method::PATCH,
        "/api/v1/projects/web/roles/Builder",
        json!({"mode": "advanced"}),
    )
    .await;
    assert_eq!(advanced.status, 200, "{:?}", advanced.body);
    assert_eq!(advanced.body["mode"], "advanced");
    assert_eq!(
        advanced.body["actions"], actions,
        "categories expand into the same actions"
    );
    assert_eq!(advanced.body["categories"], json!([]));

    let narrowed = send(
        &t,
        Method::PATCH,
        "/api/v1/projects/web/roles/Builder",
        json!({"actions": ["repository.read", "repository.deploy", "build.read", "release_bundle.read"]}),
    )
    .await;
    assert_eq!(narrowed.status, 200, "{:?}", narrowed.body);
    let revision = t.revision().await;
    let lossy = send(
        &t,
        Method::PATCH,
        "/api/v1/projects/web/roles/Builder",
        json!({"mode": "basic"}),
    )
    .await;
    assert_eq!(lossy.status, 409, "{:?}", lossy.body);
    assert_eq!(lossy.code(), "would_discard_actions");
    let lost = lossy.body["discarded_actions"].as_array().unwrap();
    assert!(lost.contains(&json!("repository.deploy")), "{lost:?}");
    assert_eq!(t.revision().await, revision);
    let confirmed = send(
        &t,
        Method::PATCH,
        "/api/v1/projects/web/roles/Builder",
        json!({"mode": "basic", "discard_advanced": true}),
    )
    .await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    assert_eq!(confirmed.body["categories"], json!(["artifacts.read"]));

    let renamed = send(
        &t,
        Method::PATCH,
        "/api/v1/projects/web/roles/Builder",
        json!({"name": "Other"}),
    )
    .await;
    assert_eq!(renamed.status, 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn deletions_need_force_or_confirmation_and_cascade() {
    let t = start_sqlite().await;
    project(&t, "web").await;
    let qa = send(
        &t,
        Method::POST,
        "/api/v1/projects/web/environments",
        json!({"name": "QA"}),
    )
    .await;
    assert_eq!(qa.status, 201, "{:?}", qa.body);
    assert_eq!(qa.body, json!({"name": "web-QA", "scope": "project", "project": "web"}));
    send(
        &t,
        Method::POST,
        "/api/v1/projects/web/roles",
        json!({"name": "Tester", "categories": ["artifacts.read"], "environments": ["QA"]}),
    )
    .await;
    let nora = t.user("nora").await;
    send(
        &t,
        Method::PUT,
        "/api/v1/projects/web/members/users/nora",
        json!({"roles": ["Tester"]}),
    )
    .await;
    let can = json!({"action": "repository.read", "project": "web", "environment": "web-QA"});
    assert_eq!(t.post("/api/v1/check", &nora, &can).await.body["allowed"], true);

    let in_use = t
        .call(
            Method::DELETE,
            "/api/v1/projects/web/environments/QA",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(in_use.status, 409);
    assert_eq!(in_use.code(), "in_use");
    assert_eq!(in_use.body["in_use"], json!(["web/Tester"]));
    let forced = t
        .call(
            Method::DELETE,
            "/api/v1/projects/web/environments/QA?force=true",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(forced.status, 200, "{:?}", forced.body);
    assert_eq!(forced.body["removed_from_roles"], json!(["web/Tester"]));
    assert_eq!(
        forced.body["left_without_environment"],
        json!(["web/Tester"]),
        "QA was its only one"
    );
    let answer = t
        .post(
            "/api/v1/check",
            &nora,
            &json!({"action": "repository.read", "project": "web",
        "environment": "web-QA", "explain": true}),
        )
        .await;
    assert_eq!(answer.body["denial"], "unknown_environment");

    for protected in ["DEV", "PROD"] {
        let refused = t
            .call(
                Method::DELETE,
                &format!("/api/v1/environments/{protected}"),
                Some(&t.admin),
                None,
            )
            .await;
        assert_eq!(refused.status, 409);
        assert_eq!(refused.code(), "environment_protected");
    }

    let held = t
        .call(
            Method::DELETE,
            "/api/v1/projects/web/roles/Tester",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(held.code(), "in_use");
    let forced = t
        .call(
            Method::DELETE,
            "/api/v1/projects/web/roles/Tester?force=true",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(forced.status, 200);
    let members = t.get("/api/v1/projects/web/members", &t.admin).await;
    assert_eq!(
        members.body["items"],
        json!([]),
        "a member left without a role stops being one"
    );

    let unconfirmed = t
        .call(Method::DELETE, "/api/v1/projects/web", Some(&t.admin), None)
        .await;
    assert_eq!(unconfirmed.status, 422);
    assert_eq!(unconfirmed.code(), "confirmation_required");
    let wrong = t
        .call(Method::DELETE, "/api/v1/projects/web?confirm=api", Some(&t.admin), None)
        .await;
    assert_eq!(wrong.code(), "confirmation_required");
    let deleted = t
        .call(Method::DELETE, "/api/v1/projects/web?confirm=web", Some(&t.admin), None)
        .await;
    assert_eq!(deleted.status, 204);
    let gone = t
        .post(
            "/api/v1/check",
            &t.admin,
            &json!({"action": "repository.read", "project": "web",
        "environment": "DEV", "explain": true}),
        )
        .await;
    assert_eq!(
        gone.body["allowed"], false,
        "even a platform admin: the project is unknown"
    );
    assert_eq!(gone.body["denial"], "unknown_project");
}

#[tokio::test(flavor = "multi_thread")]
async fn projects_are_visible_to_members_only() {
    let t = start_sqlite().await;
    project(&t, "secret").await;
    project(&t, "open").await;
    send(
        &t,
        Method::POST,
        "/api/v1/projects/open/roles",
        json!({"name": "Reader", "categories": ["artifacts.read"],
        "environments": ["DEV"]}),
    )
    .await;
    let olga = t.user("olga").await;
    send(
        &t,
        Method::PUT,
        "/api/v1/projects/open/members/users/olga",
        json!({"roles": ["Reader"]}),
    )
    .await;
    let listed = t.get("/api/v1/projects", &olga).await;
    let keys: Vec<_> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].clone())
        .collect();
    assert_eq!(keys, [json!("open")]);
    for path in [
        "/api/v1/projects/secret",
        "/api/v1/projects/secret/roles",
        "/api/v1/projects/secret/members",
        "/api/v1/projects/nowhere",
    ] {
        let hidden = t.get(path, &olga).await;
        assert_eq!(hidden.status, 404, "{path}");
    }
    assert_eq!(t.get("/api/v1/projects/open/members", &olga).await.status, 200);
    // Checks about itself in a project it cannot see answer as for one that
    // does not exist, whatever else is wrong with the question.
    for (project, environment) in [("secret", "DEV"), ("secret", "NOWHERE"), ("nowhere", "DEV")] {
        let body =
            json!({"action": "repository.read", "project": project, "environment": environment, "explain": true});
        let answer = t.post("/api/v1/check", &olga, &body).await;
        assert_eq!(
            answer.body["denial"], "unknown_project",
            "{project}/{environment}: {:?}",
            answer.body
        );
    }
    let own = json!({"action": "repository.read", "project": "open", "environment": "NOWHERE", "explain": true});
    assert_eq!(
        t.post("/api/v1/check", &olga, &own).await.body["denial"],
        "unknown_environment"
    );
    let about_admin = t
        .post(
            "/api/v1/check",
            &olga,
            &json!({"user": "admin", "action": "repository.read",
        "project": "open", "environment": "DEV"}),
        )
        .await;
    assert_eq!(about_admin.status, 403, "asking about others needs authz.query");
    let querier = t
        .user_with("paul", json!({"account_permissions": ["authz.query"]}))
        .await;
    let asked = t
        .post(
            "/api/v1/check",
            &querier,
            &json!({"user": "olga", "action": "repository.read",
        "project": "open", "environment": "DEV"}),
        )
        .await;
    assert_eq!(asked.body["allowed"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn min_revision_reads_its_own_writes_or_answers_stale() {
    let t = start_sqlite().await;
    let created = send(
        &t,
        Method::POST,
        "/api/v1/projects",
        json!({"key": "web", "display_name": "Web"}),
    )
    .await;
    let revision: u64 = created.header("gatehouse-revision").unwrap().parse().unwrap();
    let body = json!({"action": "repository.read", "project": "web", "environment": "DEV", "min_revision": revision});
    let answer = t.post("/api/v1/check", &t.admin, &body).await;
    assert_eq!(answer.status, 200);
    assert!(answer.body["revision"].as_u64().unwrap() >= revision);
    let started = std::time::Instant::now();
    let future = json!({"action": "repository.read", "project": "web", "environment": "DEV",
        "min_revision": revision + 1_000});
    let stale = t.post("/api/v1/check", &t.admin, &future).await;
    assert_eq!(stale.status, 503);
    assert_eq!(stale.code(), "stale_snapshot");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1_900),
        "waited 2 s"
    );
    let unknown = t
        .post(
            "/api/v1/check",
            &t.admin,
            &json!({"action": "repository.fly", "project": "web"}),
        )
        .await;
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.code(), "unknown_action");
    let needs_env = t
        .post(
            "/api/v1/check",
            &t.admin,
            &json!({"action": "repository.read", "project": "web"}),
        )
        .await;
    assert_eq!(needs_env.code(), "environment_required");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_may_name_a_registered_resource() {
    let t = start_sqlite().await;
    project(&t, "web").await;
    send(
        &t,
        Method::POST,
        "/api/v1/projects/web/roles",
        json!({"name": "Reader", "categories": ["artifacts.read"], "environments": ["DEV"]}),
    )
    .await;
    let rita = t.user("rita").await;
    send(
        &t,
        Method::PUT,
        "/api/v1/projects/web/members/users/rita",
        json!({"roles": ["Reader"]}),
    )
    .await;
    let dev = send(
        &t,
        Method::POST,
        "/api/v1/projects/web/resources",
        json!({"type": "repository", "name": "web-libs-dev", "environment": "DEV"}),
    )
    .await;
    assert_eq!(dev.status, 201, "{:?}", dev.body);
    assert_eq!(dev.body["project"], "web");
    send(
        &t,
        Method::POST,
        "/api/v1/projects/web/resources",
        json!({"type": "repository", "name": "web-libs-prod", "environment": "PROD"}),
    )
    .await;
    let taken = send(
        &t,
        Method::POST,
        "/api/v1/projects/web/resources",
        json!({"type": "repository", "name": "web-libs-dev", "environment": "PROD"}),
    )
    .await;
    assert_eq!(taken.status, 409);
    let unscoped = send(
        &t,
        Method::POST,
        "/api/v1/projects/web/resources",
        json!({"type": "repository", "name": "web-no-env"}),
    )
    .await;
    assert_eq!(unscoped.status, 422);
    assert_eq!(unscoped.body["errors"][0]["field"], "environment");

    let ask = |name: &str| json!({"action": "READ_REPOSITORY", "resource": {"type": "repository", "name": name}, "explain": true});
    assert_eq!(
        t.post("/api/v1/check", &rita, &ask("web-libs-dev")).await.body["allowed"],
        true
    );
    let prod = t.post("/api/v1/check", &rita, &ask("web-libs-prod")).await;
    assert_eq!(prod.body["denial"], "environment_not_granted");
    let unknown = t.post("/api/v1/check", &rita, &ask("nothing")).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.body["denial"], "unknown_resource");
    let both = t
        .post(
            "/api/v1/check",
            &rita,
            &json!({"action": "repository.read", "project": "web",
        "resource": {"type": "repository", "name": "web-libs-dev"}}),
        )
        .await;
    assert_eq!(both.status, 422, "a project or a resource, not both");
    let other_type = t
        .post(
            "/api/v1/check",
            &rita,
            &json!({"action": "TRIGGER_PIPELINE", "resource": {"type": "repository", "name": "web-libs-dev"}}),
        )
        .await;
    assert_eq!(other_type.status, 422, "a pipeline action about a repository");
    assert_eq!(other_type.body["code"], "validation_failed");
    assert_eq!(other_type.body["errors"][0]["field"], "action");

    let listed = t.get("/api/v1/projects/web/resources", &rita).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
    let by_reader = t
        .call(
            Method::DELETE,
            "/api/v1/projects/web/resources/repository/web-libs-dev",
            Some(&rita),
            None,
        )
        .await;
    assert_eq!(by_reader.status, 403, "needs project.manage_resources");
    let removed = t
        .call(
            Method::DELETE,
            "/api/v1/projects/web/resources/repository/web-libs-dev",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(
        t.post("/api/v1/check", &rita, &ask("web-libs-dev")).await.body["denial"],
        "unknown_resource"
    );

    // Deleting an environment or a project says which resources went with it.
    send(
        &t,
        Method::POST,
        "/api/v1/projects/web/environments",
        json!({"name": "QA"}),
    )
    .await;
    let qa = json!({"type": "repository", "name": "web-libs-qa", "environment": "QA"});
    assert_eq!(
        send(&t, Method::POST, "/api/v1/projects/web/resources", qa)
            .await
            .status,
        201
    );
    let env = t
        .call(
            Method::DELETE,
            "/api/v1/projects/web/environments/QA",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(
        env.body["removed_resources"],
        json!(["repository/web-libs-qa"]),
        "{:?}",
        env.body
    );
    let gone = t
        .call(Method::DELETE, "/api/v1/projects/web?confirm=web", Some(&t.admin), None)
        .await;
    assert_eq!(gone.status, 204);
    let audit = t.get("/api/v1/audit?event=project.deleted&target=web", &t.admin).await;
    assert_eq!(
        audit.body["items"][0]["after"]["removed_resources"],
        json!(["repository/web-libs-prod"])
    );
}
