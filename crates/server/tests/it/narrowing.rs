//! Tokens narrow, never widen (SPEC §2.4, §6.3): a restricted token sees
//! only the projects of its scope, reads its permissions as its checks are
//! decided, manages no token and changes no credential; a scope naming
//! something deleted since grants nothing and never errors; a revoked
//! token is refused from the next request, even under concurrent use.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::rules::{project, send};
use crate::spawn::{ADMIN_PASSWORD, TestServer, backends, password_of, start_on, start_sqlite};

async fn member(t: &TestServer, key: &str, user: &str, name: &str, categories: &[&str], environments: &[&str]) {
    let role = send(
        t,
        Method::POST,
        &format!("/api/v1/projects/{key}/roles"),
        json!({"name": name, "categories": categories, "environments": environments}),
    )
    .await;
    assert_eq!(role.status, 201, "{:?}", role.body);
    let put = send(
        t,
        Method::PUT,
        &format!("/api/v1/projects/{key}/members/users/{user}"),
        json!({"roles": [name]}),
    )
    .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
}

/// A token of the caller of `token` with `scope`; answers its secret.
async fn scoped_token(t: &TestServer, token: &str, scope: Value) -> String {
    let created = t.post("/api/v1/tokens", token, &json!({"scope": scope})).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["token"].as_str().unwrap().to_owned()
}

fn check(project: &str, action: &str, environment: &str) -> Value {
    json!({"action": action, "project": project, "environment": environment, "explain": true})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scope_naming_a_deleted_environment_grants_nothing_and_never_errors() {
    for backend in backends() {
        let t = start_on(&backend).await;
        scope_naming_a_deleted_environment(&t).await;
        t.finish().await;
    }
}

async fn scope_naming_a_deleted_environment(t: &TestServer) {
    project(t, "web").await;
    let qa = send(
        t,
        Method::POST,
        "/api/v1/projects/web/environments",
        json!({"name": "QA"}),
    )
    .await;
    assert_eq!(qa.status, 201, "{:?}", qa.body);
    let tess = t.user("tess").await;
    member(t, "web", "tess", "Tester", &["artifacts.read"], &["DEV", "QA"]).await;
    let narrow = scoped_token(
        t,
        &tess,
        json!([{"project": "web", "actions": ["repository.read"], "environments": ["web-QA"]}]),
    )
    .await;
    let in_qa = t
        .post("/api/v1/check", &narrow, &check("web", "repository.read", "web-QA"))
        .await;
    assert_eq!(in_qa.body["allowed"], true, "{:?}", in_qa.body);

    let deleted = t
        .call(
            Method::DELETE,
            "/api/v1/projects/web/environments/QA?force=true",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{:?}", deleted.body);
    assert_eq!(deleted.body["emptied_token_scopes"], 1, "{:?}", deleted.body);
    assert_eq!(deleted.body["narrowed_token_scopes"], 1);
    let audit = t.get("/api/v1/audit?event=environment.deleted", &t.admin).await;
    assert_eq!(
        audit.body["items"][0]["after"]["emptied_token_scopes"], 1,
        "{:?}",
        audit.body
    );

    // The token still authenticates (no 500), and its scope fails closed:
    // the entry never widens to every environment.
    let me = t.get("/api/v1/me", &narrow).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    let in_dev = t
        .post("/api/v1/check", &narrow, &check("web", "repository.read", "DEV"))
        .await;
    assert_eq!(in_dev.status, 200, "{:?}", in_dev.body);
    assert_eq!(in_dev.body["allowed"], false);
    assert_eq!(in_dev.body["denial"], "token_scope_excludes");
    // Tess's own credential still reads DEV: only the token lost it.
    let full = t
        .post("/api/v1/check", &tess, &check("web", "repository.read", "DEV"))
        .await;
    assert_eq!(full.body["allowed"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_outside_a_tokens_scope_answers_token_scope_excludes() {
    let t = start_sqlite().await;
    project(&t, "web").await;
    let tess = t.user("tess").await;
    member(&t, "web", "tess", "Writer", &["artifacts.write"], &["DEV"]).await;
    let narrow = scoped_token(&t, &tess, json!([{"project": "web", "actions": ["repository.read"]}])).await;
    let read = t
        .post("/api/v1/check", &narrow, &check("web", "repository.read", "DEV"))
        .await;
    assert_eq!(read.body["allowed"], true, "{:?}", read.body);
    let deploy = t
        .post("/api/v1/check", &narrow, &check("web", "repository.deploy", "DEV"))
        .await;
    assert_eq!(deploy.status, 200);
    assert_eq!(deploy.body["allowed"], false);
    assert_eq!(deploy.body["denial"], "token_scope_excludes");
    let unexplained = t
        .post(
            "/api/v1/check",
            &narrow,
            &json!({"action": "repository.deploy", "project": "web", "environment": "DEV"}),
        )
        .await;
    assert_eq!(unexplained.body["allowed"], false);
    // The user itself may: the scope, not the user, excludes it.
    let by_user = t
        .post("/api/v1/check", &tess, &check("web", "repository.deploy", "DEV"))
        .await;
    assert_eq!(by_user.body["allowed"], true);

    // A batch answers through the scope too, each answer in its place
    // among checks decided by name (an unknown project) on the way.
    let asked = |action: &str, project: &str| json!({"action": action, "project": project, "environment": "DEV"});
    let checks = [
        asked("repository.read", "web"),
        asked("repository.deploy", "web"),
        asked("repository.read", "nope"),
        asked("repository.read", "web"),
    ];
    let batch = t.post("/api/v1/check/batch", &narrow, &json!({"checks": checks})).await;
    assert_eq!(batch.status, 200, "{:?}", batch.body);
    let answers: Vec<&Value> = batch.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| &r["allowed"])
        .collect();
    assert_eq!(answers, [true, false, false, true], "{:?}", batch.body);
    let by_user = t.post("/api/v1/check/batch", &tess, &json!({"checks": checks})).await;
    assert_eq!(by_user.body["results"][1]["allowed"], true, "{:?}", by_user.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_narrow_token_sees_only_its_projects_and_reads_narrowed_permissions() {
    let t = start_sqlite().await;
    project(&t, "web").await;
    project(&t, "secret").await;
    let nat = t.user("nat").await;
    member(&t, "web", "nat", "Writer", &["artifacts.write"], &["DEV"]).await;
    member(&t, "secret", "nat", "Writer", &["artifacts.write"], &["DEV"]).await;
    let narrow = scoped_token(&t, &nat, json!([{"project": "web", "actions": ["repository.read"]}])).await;

    // Outside the scope: as if `secret` did not exist.
    for path in [
        "/api/v1/projects/secret",
        "/api/v1/projects/secret/members",
        "/api/v1/projects/secret/roles",
        "/api/v1/projects/secret/environments",
        "/api/v1/projects/secret/resources",
        "/api/v1/me/permissions?project=secret",
        "/api/v1/users/nat/permissions?project=secret",
    ] {
        let answer = t.get(path, &narrow).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}: {:?}", answer.body);
        assert_eq!(t.get(path, &nat).await.status, 200, "{path} with a full-scope token");
    }
    let listed = t.get("/api/v1/projects", &narrow).await;
    let keys: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["key"].as_str())
        .collect();
    assert_eq!(keys, ["web"], "{:?}", listed.body);
    let hidden = t
        .post("/api/v1/check", &narrow, &check("secret", "repository.read", "DEV"))
        .await;
    assert_eq!(hidden.body["allowed"], false);
    assert_eq!(hidden.body["denial"], "unknown_project");

    // Inside it: the permissions read are those the token's checks allow.
    let mine = t.get("/api/v1/me/permissions?project=web", &narrow).await;
    assert_eq!(mine.status, 200, "{:?}", mine.body);
    let text = mine.body.to_string();
    assert!(text.contains("repository.read"), "{text}");
    assert!(!text.contains("repository.deploy"), "narrowed as checks are: {text}");
    let full = t.get("/api/v1/me/permissions?project=web", &nat).await.body.to_string();
    assert!(full.contains("repository.deploy"), "{full}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_narrow_token_manages_no_tokens_and_changes_no_credentials() {
    let t = start_sqlite().await;
    project(&t, "web").await;
    let nat = t.user("nat").await;
    member(&t, "web", "nat", "Reader", &["artifacts.read"], &["DEV"]).await;
    let narrow = scoped_token(&t, &nat, json!([{"project": "web", "actions": ["repository.read"]}])).await;
    let own = t.get("/api/v1/tokens", &nat).await;
    let full_id = own.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tk| tk["scope"] == "applied-permissions/user")
        .and_then(|tk| tk["id"].as_str())
        .unwrap()
        .to_owned();
    let revision = t.revision().await;

    let refused = [
        t.get("/api/v1/tokens", &narrow).await,
        t.post("/api/v1/tokens", &narrow, &json!({})).await,
        t.call(
            Method::DELETE,
            &format!("/api/v1/tokens/{full_id}"),
            Some(&narrow),
            None,
        )
        .await,
        t.get("/api/v1/users/nat/tokens", &narrow).await,
        t.post("/api/v1/users/nat/tokens", &narrow, &json!({})).await,
        t.call(
            Method::PUT,
            "/api/v1/users/nat/password",
            Some(&narrow),
            Some(&json!({"current_password": password_of("nat"), "new_password": "a brand new passphrase"})),
        )
        .await,
        t.call(
            Method::POST,
            "/api/v1/auth/token",
            Some(&narrow),
            Some(&json!({"username": "nat", "password": password_of("nat")})),
        )
        .await,
        t.call(
            Method::POST,
            "/api/v1/auth/login",
            Some(&narrow),
            Some(&json!({"username": "nat", "password": password_of("nat")})),
        )
        .await,
    ];
    for (i, answer) in refused.iter().enumerate() {
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "#{i}: {:?}", answer.body);
        assert_eq!(answer.code(), "forbidden", "#{i}");
    }
    assert_eq!(t.revision().await, revision, "nothing written");
    assert_eq!(
        t.get("/api/v1/me", &nat).await.status,
        200,
        "the full-scope token lives"
    );
    assert_eq!(
        t.login_token("nat", &password_of("nat")).await.status,
        201,
        "the password is unchanged"
    );
    // Full-scope credentials still may.
    assert_eq!(t.get("/api/v1/tokens", &nat).await.status, 200);
    assert_eq!(t.login_token("admin", ADMIN_PASSWORD).await.status, 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_revoked_while_in_use_is_refused_by_every_later_request() {
    let t = start_sqlite().await;
    let uma = t.user("uma").await;
    for _ in 0..20 {
        let created = t.post("/api/v1/tokens", &uma, &json!({})).await;
        let secret = created.body["token"].as_str().unwrap().to_owned();
        let id = created.body["id"].as_str().unwrap().to_owned();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let users: Vec<_> = (0..4)
            .map(|_| {
                let (http, url, secret, stop) = (t.http.clone(), t.url.clone(), secret.clone(), stop.clone());
                tokio::spawn(async move {
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        let _ = http.get(format!("{url}/api/v1/me")).bearer_auth(&secret).send().await;
                    }
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let revoked = t
            .call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&uma), None)
            .await;
        assert_eq!(revoked.status, 204);
        for _ in 0..20 {
            assert_eq!(
                t.get("/api/v1/me", &secret).await.status,
                401,
                "re-admitted after its revocation"
            );
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for user in users {
            user.await.unwrap();
        }
    }
}
