//! The JFrog Access-compatible face (SPEC §13) over real HTTP: JFrog's
//! shapes, status codes and error bodies, form-encoded token requests,
//! unknown fields and `null`s ignored, anti-escalation through this face,
//! round trips with `/api/v1`, and the Terraform providers' request shapes
//! (each fixture names its source).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::spawn::{Answer, TestServer, start_sqlite};

const V1: &str = "/access/api/v1";
const V2: &str = "/access/api/v2";

async fn call(t: &TestServer, method: Method, path: &str, token: &str, body: Option<Value>) -> Answer {
    t.call(method, path, Some(token), body.as_ref()).await
}

/// Asserts `answer` is a JFrog error of `status` whose message contains `needle`.
fn assert_jfrog_error(answer: &Answer, status: u16, needle: &str) {
    assert_eq!(answer.status.as_u16(), status, "{:?}", answer.body);
    let errors = answer.body["errors"]
        .as_array()
        .ok_or_else(|| format!("no errors: {:?}", answer.body))
        .unwrap();
    assert!(!errors.is_empty());
    assert!(errors[0]["code"].is_string(), "{:?}", answer.body);
    let messages: Vec<&str> = errors.iter().filter_map(|e| e["message"].as_str()).collect();
    assert!(messages.iter().any(|m| m.contains(needle)), "{needle} in {messages:?}");
    assert_eq!(answer.header("content-type"), Some("application/json"));
}

async fn form(t: &TestServer, path: &str, token: &str, body: &str) -> Answer {
    let response = t
        .http
        .post(format!("{}{path}", t.url))
        .bearer_auth(token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    TestServer::answer(response).await
}

#[tokio::test]
async fn projects_roles_members_and_environments_speak_jfrog() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    // Source: jfrog/terraform-provider-project, pkg/project/resource/resource_project.go
    // (ProjectAPIModel, posted to /access/api/v1/projects).
    let tf_project = json!({"project_key": "web", "display_name": "Web", "description": "the web",
        "admin_privileges": {"manage_members": true, "manage_resources": true,
            "manage_remote_repository": false, "index_resources": true},
        "storage_quota_bytes": -1, "soft_limit": false, "storage_quota_email_notification": true});
    let created = call(&t, Method::POST, &format!("{V1}/projects"), &admin, Some(tf_project)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["project_key"], "web");
    assert_eq!(created.body["admin_privileges"]["manage_members"], true);
    let again = call(
        &t,
        Method::POST,
        &format!("{V1}/projects"),
        &admin,
        Some(json!({"project_key": "web", "display_name": "W"})),
    )
    .await;
    assert_jfrog_error(&again, 409, "already_exists");
    let bad = call(
        &t,
        Method::POST,
        &format!("{V1}/projects"),
        &admin,
        Some(json!({"project_key": "Web!", "display_name": "W"})),
    )
    .await;
    assert_jfrog_error(&bad, 400, "key");
    let list = call(&t, Method::GET, &format!("{V1}/projects"), &admin, None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1, "a bare array: {:?}", list.body);
    let updated = call(
        &t,
        Method::PUT,
        &format!("{V1}/projects/web"),
        &admin,
        Some(json!({"display_name": "Web site", "admin_privileges": {"index_resources": false}, "unknown": null})),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    // Round trip: what /access wrote reads back through /api/v1.
    let native = t.get("/api/v1/projects/web", &admin).await;
    assert_eq!(native.body["display_name"], "Web site");
    assert_eq!(native.body["admin_privileges"]["index_resources"], false);
    assert_eq!(native.body["description"], "the web");
    let missing = call(&t, Method::GET, &format!("{V1}/projects/nope"), &admin, None).await;
    assert_jfrog_error(&missing, 404, "not_found");

    // Environments: the provider posts the full `<key>-<name>`.
    // Source: jfrog/terraform-provider-project, pkg/project/resource/resource_project_environment.go
    let env = call(
        &t,
        Method::POST,
        &format!("{V1}/projects/web/environments"),
        &admin,
        Some(json!({"name": "web-QA"})),
    )
    .await;
    assert_eq!(env.status, StatusCode::CREATED, "{:?}", env.body);
    assert_eq!(env.body, json!({"name": "web-QA"}));
    let envs = call(
        &t,
        Method::GET,
        &format!("{V1}/projects/web/environments"),
        &admin,
        None,
    )
    .await;
    assert!(
        envs.body.as_array().unwrap().contains(&json!({"name": "web-QA"})),
        "{:?}",
        envs.body
    );
    let global = call(
        &t,
        Method::POST,
        &format!("{V1}/environments"),
        &admin,
        Some(json!({"name": "STAGE"})),
    )
    .await;
    assert_eq!(global.status, StatusCode::CREATED, "{:?}", global.body);
    let renamed = call(
        &t,
        Method::POST,
        &format!("{V1}/environments/STAGE/rename"),
        &admin,
        Some(json!({"new_name": "UAT"})),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    let globals = call(&t, Method::GET, &format!("{V1}/environments"), &admin, None).await;
    let names: Vec<&str> = globals
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert!(
        names.contains(&"UAT") && !names.contains(&"STAGE") && names.contains(&"DEV"),
        "{names:?}"
    );
    let protected = call(&t, Method::DELETE, &format!("{V1}/environments/DEV"), &admin, None).await;
    assert_jfrog_error(&protected, 409, "environment_protected");
    let gone = call(&t, Method::DELETE, &format!("{V1}/environments/UAT"), &admin, None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);

    // Roles: JFrog's wire action names; the provider's shape.
    // Source: jfrog/terraform-provider-project, pkg/project/resource/resource_project_role.go
    let tf_role = json!({"name": "qa", "type": "CUSTOM", "environments": ["DEV", "web-QA"],
        "actions": ["READ_REPOSITORY", "DEPLOY_CACHE_REPOSITORY", "DELETE_BUILD", "PROMOTE_RELEASE_BUNDLE", "TRIGGER_PIPELINE"]});
    let role = call(
        &t,
        Method::POST,
        &format!("{V1}/projects/web/roles"),
        &admin,
        Some(tf_role),
    )
    .await;
    assert_eq!(role.status, StatusCode::CREATED, "{:?}", role.body);
    assert_eq!(role.body["type"], "CUSTOM");
    assert_eq!(
        role.body["actions"],
        json!([
            "READ_REPOSITORY",
            "DEPLOY_CACHE_REPOSITORY",
            "PROMOTE_RELEASE_BUNDLE",
            "DELETE_BUILD",
            "TRIGGER_PIPELINE"
        ]),
        "in catalogue order"
    );
    let native = t.get("/api/v1/projects/web/roles/qa", &admin).await;
    assert_eq!(
        native.body["actions"],
        json!([
            "repository.read",
            "repository.deploy",
            "release_bundle.promote",
            "build.delete",
            "pipeline.trigger"
        ])
    );
    assert_eq!(native.body["mode"], "advanced");
    let renamed_env = call(
        &t,
        Method::POST,
        &format!("{V1}/projects/web/environments/web-QA/rename"),
        &admin,
        Some(json!({"new_name": "web-TEST"})),
    )
    .await;
    assert_eq!(renamed_env.status, StatusCode::OK, "{:?}", renamed_env.body);
    assert_eq!(renamed_env.body, json!({"name": "web-TEST"}));
    let role = call(&t, Method::GET, &format!("{V1}/projects/web/roles/qa"), &admin, None).await;
    assert_eq!(
        role.body["environments"],
        json!(["DEV", "web-TEST"]),
        "the rename moved the role"
    );
    let bad_action = call(
        &t,
        Method::POST,
        &format!("{V1}/projects/web/roles"),
        &admin,
        Some(json!({"name": "x", "type": "CUSTOM", "actions": ["FLY"]})),
    )
    .await;
    assert_jfrog_error(&bad_action, 400, "FLY");
    let empty = call(
        &t,
        Method::POST,
        &format!("{V1}/projects/web/roles"),
        &admin,
        Some(json!({"name": "x", "type": "CUSTOM", "actions": []})),
    )
    .await;
    assert_eq!(
        empty.status,
        StatusCode::BAD_REQUEST,
        "a 422 of the native API is a 400 here: {:?}",
        empty.body
    );
    let roles = call(&t, Method::GET, &format!("{V1}/projects/web/roles"), &admin, None).await;
    let roles = roles.body.as_array().unwrap();
    assert!(
        roles
            .iter()
            .any(|r| r["name"] == "Project Admin" && r["type"] == "ADMIN"),
        "{roles:?}"
    );
    assert!(
        roles
            .iter()
            .any(|r| r["name"] == "Developer" && r["type"] == "PREDEFINED"),
        "{roles:?}"
    );
    assert!(
        roles.iter().any(|r| r["name"] == "qa" && r["type"] == "CUSTOM"),
        "{roles:?}"
    );
    let put = call(
        &t,
        Method::PUT,
        &format!("{V1}/projects/web/roles/qa"),
        &admin,
        Some(json!({"name": "qa", "type": "CUSTOM", "environments": ["DEV"], "actions": ["READ_BUILD"]})),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["actions"], json!(["READ_BUILD"]));
    let global = call(&t, Method::GET, &format!("{V1}/roles/Developer"), &admin, None).await;
    assert_eq!(global.body["type"], "PREDEFINED", "{:?}", global.body);

    // Members: users and groups.
    t.user("alice").await;
    // Source: jfrog/terraform-provider-project, pkg/project/resource/resource_project_user.go
    let member = call(
        &t,
        Method::PUT,
        &format!("{V1}/projects/web/users/alice"),
        &admin,
        Some(json!({"name": "alice", "roles": ["qa", "Developer"]})),
    )
    .await;
    assert_eq!(member.status, StatusCode::OK, "{:?}", member.body);
    assert_eq!(member.body, json!({"name": "alice", "roles": ["Developer", "qa"]}));
    let native = t.get("/api/v1/projects/web/members?kind=user", &admin).await;
    let alice = native.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "alice")
        .cloned()
        .unwrap();
    assert_eq!(alice["roles"], json!(["Developer", "qa"]));
    let listed = call(&t, Method::GET, &format!("{V1}/projects/web/users"), &admin, None).await;
    assert!(
        listed.body["members"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "alice", "roles": ["Developer", "qa"]}))
    );
    let one = call(&t, Method::GET, &format!("{V1}/projects/web/users/alice"), &admin, None).await;
    assert_eq!(one.body["name"], "alice");
    let no_role = call(
        &t,
        Method::PUT,
        &format!("{V1}/projects/web/users/alice"),
        &admin,
        Some(json!({"roles": []})),
    )
    .await;
    assert_jfrog_error(&no_role, 400, "member_needs_role");
    t.post("/api/v1/groups", &admin, &json!({"name": "devs", "members": ["alice"]}))
        .await;
    let group = call(
        &t,
        Method::PUT,
        &format!("{V1}/projects/web/groups/devs"),
        &admin,
        Some(json!({"name": "devs", "roles": ["Viewer"]})),
    )
    .await;
    assert_eq!(group.status, StatusCode::OK, "{:?}", group.body);
    let groups = call(&t, Method::GET, &format!("{V1}/projects/web/groups"), &admin, None).await;
    assert_eq!(groups.body, json!({"members": [{"name": "devs", "roles": ["Viewer"]}]}));
    let removed = call(
        &t,
        Method::DELETE,
        &format!("{V1}/projects/web/groups/devs"),
        &admin,
        None,
    )
    .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let removed = call(
        &t,
        Method::DELETE,
        &format!("{V1}/projects/web/users/alice"),
        &admin,
        None,
    )
    .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let role_gone = call(&t, Method::DELETE, &format!("{V1}/projects/web/roles/qa"), &admin, None).await;
    assert_eq!(role_gone.status, StatusCode::NO_CONTENT, "{:?}", role_gone.body);
    let project_gone = call(&t, Method::DELETE, &format!("{V1}/projects/web"), &admin, None).await;
    assert_eq!(project_gone.status, StatusCode::NO_CONTENT, "{:?}", project_gone.body);
    assert_eq!(
        t.get("/api/v1/projects/web", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    t.finish().await;
}

#[tokio::test]
async fn a_project_admin_grants_through_access_no_more_than_through_api_v1() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    t.post(
        "/api/v1/projects",
        &admin,
        &json!({"key": "web", "display_name": "Web"}),
    )
    .await;
    let pa = t.user("pa").await;
    t.user("target").await;
    let set = t
        .call(
            Method::PUT,
            "/api/v1/projects/web/members/users/pa",
            Some(&admin),
            Some(&json!({"roles": ["Project Admin"]})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    // pa holds no resource action: neither face lets it hand out Developer.
    let native = t
        .call(
            Method::PUT,
            "/api/v1/projects/web/members/users/target",
            Some(&pa),
            Some(&json!({"roles": ["Developer"]})),
        )
        .await;
    assert_eq!(native.status, StatusCode::FORBIDDEN, "{:?}", native.body);
    let jfrog = call(
        &t,
        Method::PUT,
        &format!("{V1}/projects/web/users/target"),
        &pa,
        Some(json!({"name": "target", "roles": ["Developer"]})),
    )
    .await;
    assert_jfrog_error(&jfrog, 403, "forbidden");
    // Nor define a role with actions it lacks.
    let role = call(&t, Method::POST, &format!("{V1}/projects/web/roles"), &pa,
        Some(json!({"name": "mine", "type": "CUSTOM", "environments": ["DEV"], "actions": ["DELETE_OVERWRITE_REPOSITORY"]}))).await;
    assert_jfrog_error(&role, 403, "forbidden");
    // It may hand out what it holds: Project Admin's own project actions.
    let ok = call(
        &t,
        Method::PUT,
        &format!("{V1}/projects/web/users/target"),
        &pa,
        Some(json!({"roles": ["Project Admin"]})),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    // Account-level routes keep their needs: no accounts.manage, no users.
    let users = call(&t, Method::GET, &format!("{V2}/users"), &pa, None).await;
    assert_jfrog_error(&users, 403, "accounts.manage");
    let anonymous = t.call(Method::GET, &format!("{V1}/projects"), None, None).await;
    assert_jfrog_error(&anonymous, 401, "unauthenticated");
    t.finish().await;
}

#[tokio::test]
async fn users_and_groups_v2_speak_jfrog() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    let group = call(
        &t,
        Method::POST,
        &format!("{V2}/groups"),
        &admin,
        Some(
            // Source: jfrog/terraform-provider-platform, pkg/platform/resource_group.go (the group it posts).
            json!({"name": "devs", "description": "Developers", "auto_join": false, "admin_privileges": false,
            "external_id": null, "members": []}),
        ),
    )
    .await;
    assert_eq!(group.status, StatusCode::CREATED, "{:?}", group.body);
    assert_eq!(group.body["realm"], "internal");
    let powerful = call(
        &t,
        Method::POST,
        &format!("{V2}/groups"),
        &admin,
        Some(json!({"name": "root", "admin_privileges": true})),
    )
    .await;
    assert_jfrog_error(&powerful, 400, "cannot honour");
    let created = call(
        &t,
        Method::POST,
        &format!("{V2}/users"),
        &admin,
        Some(json!({
        "username": "alice", "email": "alice@example.com", "password": "a long password 1",
        "admin": false, "profile_updatable": true, "internal_password_disabled": false,
        "disable_ui_access": false, "groups": ["devs"], "watch_manager": null})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["groups"], json!(["devs"]));
    assert_eq!(created.body["status"], "invited");
    // Round trip through /api/v1.
    let native = t.get("/api/v1/users/alice", &admin).await;
    assert_eq!(
        (native.body["email"].clone(), native.body["kind"].clone()),
        (json!("alice@example.com"), json!("person"))
    );
    let service = call(
        &t,
        Method::POST,
        &format!("{V2}/users"),
        &admin,
        Some(json!({"username": "ci", "email": "ci@example.com", "internal_password_disabled": true})),
    )
    .await;
    assert_eq!(service.body["internal_password_disabled"], true, "{:?}", service.body);
    assert_eq!(t.get("/api/v1/users/ci", &admin).await.body["kind"], "service");
    let list = call(&t, Method::GET, &format!("{V2}/users?limit=2"), &admin, None).await;
    assert_eq!(list.body["users"].as_array().unwrap().len(), 2, "{:?}", list.body);
    let cursor = list.body["cursor"].as_str().unwrap().to_owned();
    let next = call(
        &t,
        Method::GET,
        &format!("{V2}/users?limit=2&cursor={cursor}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(next.body["users"].as_array().unwrap().len(), 1, "{:?}", next.body);
    assert!(next.body.get("cursor").is_none());
    let patched = call(
        &t,
        Method::PATCH,
        &format!("{V2}/users/alice"),
        &admin,
        Some(json!({"email": "a@example.com", "admin": null})),
    )
    .await;
    assert_eq!(patched.body["email"], "a@example.com", "{:?}", patched.body);
    let password = call(
        &t,
        Method::PUT,
        &format!("{V2}/users/alice/password"),
        &admin,
        Some(json!({"password": "another long password"})),
    )
    .await;
    assert_eq!(password.status, StatusCode::NO_CONTENT, "{:?}", password.body);
    t.token_for("alice", "another long password").await;
    let short = call(
        &t,
        Method::PUT,
        &format!("{V2}/users/alice/password"),
        &admin,
        Some(json!({"password": "short"})),
    )
    .await;
    assert_jfrog_error(&short, 400, "password");
    let members = call(
        &t,
        Method::PATCH,
        &format!("{V2}/groups/devs/members"),
        &admin,
        Some(json!({"add": ["ci"], "remove": ["alice"]})),
    )
    .await;
    assert_eq!(members.body, json!({"members": ["ci"]}), "{:?}", members.body);
    let groups = call(&t, Method::GET, &format!("{V2}/groups"), &admin, None).await;
    assert_eq!(
        groups.body["groups"],
        json!([{"group_name": "devs", "uri": "/access/api/v2/groups/devs"}])
    );
    let updated = call(
        &t,
        Method::PATCH,
        &format!("{V2}/groups/devs"),
        &admin,
        Some(json!({"description": "Devs"})),
    )
    .await;
    assert_eq!(updated.body["description"], "Devs");
    assert_eq!(t.get("/api/v1/groups/devs", &admin).await.body["description"], "Devs");
    assert_eq!(
        call(&t, Method::DELETE, &format!("{V2}/groups/devs"), &admin, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&t, Method::DELETE, &format!("{V2}/users/alice"), &admin, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_jfrog_error(
        &call(&t, Method::GET, &format!("{V2}/users/alice"), &admin, None).await,
        404,
        "not_found",
    );
    t.finish().await;
}

#[tokio::test]
async fn tokens_take_forms_and_never_widen() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    // As py-jfrog-client's AccessTokensApi.create_token sends it: a form.
    let created = form(&t, &format!("{V1}/tokens"), &admin,
        "grant_type=client_credentials&scope=applied-permissions%2Fuser&expires_in=3600&description=ci&audience=%2A%40%2A").await;
    assert_eq!(
        created.status,
        StatusCode::OK,
        "token creation answers 200: {:?}",
        created.body
    );
    assert_eq!(created.body["token_type"], "Bearer");
    assert_eq!(created.body["scope"], "applied-permissions/user");
    let token = created.body["access_token"].as_str().unwrap().to_owned();
    let id = created.body["token_id"].as_str().unwrap().to_owned();
    let me = call(&t, Method::GET, &format!("{V1}/tokens/me"), &token, None).await;
    assert_eq!(me.body["token_id"], id.as_str(), "{:?}", me.body);
    assert_eq!(me.body["subject"], "jfac@gatehouse/users/admin");
    let listed = call(&t, Method::GET, &format!("{V1}/tokens"), &admin, None).await;
    assert!(
        listed.body["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["token_id"] == id.as_str())
    );
    let one = call(&t, Method::GET, &format!("{V1}/tokens/{id}"), &admin, None).await;
    assert_eq!(one.body["description"], "ci");
    let revoked = call(&t, Method::DELETE, &format!("{V1}/tokens/{id}"), &admin, None).await;
    assert_eq!(revoked.status, StatusCode::OK, "revocation answers 200");
    assert_jfrog_error(
        &call(&t, Method::GET, &format!("{V1}/tokens/me"), &token, None).await,
        401,
        "unauthenticated",
    );

    // JSON works too; revocation by value.
    let json_token = call(
        &t,
        Method::POST,
        &format!("{V1}/tokens"),
        &admin,
        Some(json!({"description": "j", "include_reference_token": true, "project_key": null})),
    )
    .await;
    assert_eq!(json_token.status, StatusCode::OK, "{:?}", json_token.body);
    assert_eq!(json_token.body["reference_token"], json_token.body["access_token"]);
    let secret = json_token.body["access_token"].as_str().unwrap().to_owned();
    let by_value = call(
        &t,
        Method::DELETE,
        &format!("{V1}/tokens/revoke"),
        &admin,
        Some(json!({"token": secret})),
    )
    .await;
    assert_eq!(by_value.status, StatusCode::OK, "{:?}", by_value.body);
    assert_eq!(by_value.body["revoked_token_id"], json_token.body["token_id"]);

    // Scopes: never wider than asked; what cannot be honoured is a 400.
    t.post(
        "/api/v1/projects",
        &admin,
        &json!({"key": "web", "display_name": "Web"}),
    )
    .await;
    let alice = t.user("alice").await;
    t.post(
        "/api/v1/groups",
        &admin,
        &json!({"name": "readers", "members": ["alice"]}),
    )
    .await;
    t.call(
        Method::PUT,
        "/api/v1/projects/web/members/groups/readers",
        Some(&admin),
        Some(&json!({"roles": ["Viewer"]})),
    )
    .await;
    t.call(
        Method::PUT,
        "/api/v1/projects/web/members/users/alice",
        Some(&admin),
        Some(&json!({"roles": ["Developer"]})),
    )
    .await;
    let narrowed = form(
        &t,
        &format!("{V1}/tokens"),
        &alice,
        "scope=applied-permissions%2Fgroups%3Areaders",
    )
    .await;
    assert_eq!(narrowed.status, StatusCode::OK, "{:?}", narrowed.body);
    let narrow = narrowed.body["access_token"].as_str().unwrap().to_owned();
    let check = |action: &'static str| json!({"action": action, "project": "web", "environment": "DEV"});
    let read = t.post("/api/v1/check", &narrow, &check("repository.read")).await;
    assert_eq!(read.body["allowed"], true, "{:?}", read.body);
    let deploy = t.post("/api/v1/check", &narrow, &check("repository.deploy")).await;
    assert_eq!(
        deploy.body["allowed"], false,
        "the group's Viewer does not deploy, though alice may: {:?}",
        deploy.body
    );
    for (scope, needle) in [
        ("applied-permissions%2Fadmin", "not a platform admin"),
        ("system%3Ametrics%3Ar", "cannot honour"),
        ("applied-permissions%2Fgroups%3Anope", "does not exist"),
    ] {
        let refused = form(&t, &format!("{V1}/tokens"), &alice, &format!("scope={scope}")).await;
        assert_jfrog_error(&refused, 400, needle);
    }
    let refreshable = form(&t, &format!("{V1}/tokens"), &alice, "refreshable=true").await;
    assert_jfrog_error(&refreshable, 400, "refresh");
    // A token for another user: a platform admin only.
    let for_admin = form(&t, &format!("{V1}/tokens"), &alice, "username=admin").await;
    assert_jfrog_error(&for_admin, 403, "forbidden");
    let for_alice = form(
        &t,
        &format!("{V1}/tokens"),
        &admin,
        "username=alice&scope=applied-permissions%2Froles%3Aweb%3ADeveloper",
    )
    .await;
    assert_eq!(for_alice.status, StatusCode::OK, "{:?}", for_alice.body);
    t.finish().await;
}
