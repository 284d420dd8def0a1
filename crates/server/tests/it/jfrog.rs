//! The JFrog Access-compatible face (SPEC §13) over real HTTP: JFrog's
//! shapes, status codes and error bodies, form-encoded token requests,
//! unknown fields and `null`s ignored, anti-escalation through this face,
//! round trips with `/api/v1`, and the Terraform providers' request shapes
//! (each fixture names its source).

use std::collections::BTreeSet;

use gatehouse_server::router::JFROG_ROUTES;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::spawn::{Answer, TestServer, password_of, start_sqlite};

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

/// The audit records of `event` about `target`.
async fn audited(t: &TestServer, event: &str, target: &str) -> usize {
    let answer = t
        .get(&format!("/api/v1/audit?event={event}&target={target}"), &t.admin)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_user_and_its_groups_change_in_one_commit() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    t.post(
        "/api/v1/projects",
        &admin,
        &json!({"key": "web", "display_name": "Web"}),
    )
    .await;
    for name in ["devs", "ops", "readers"] {
        let group = t.post("/api/v1/groups", &admin, &json!({"name": name})).await;
        assert_eq!(group.status, StatusCode::CREATED, "{:?}", group.body);
    }
    let viewer = t
        .call(
            Method::PUT,
            "/api/v1/projects/web/members/groups/readers",
            Some(&admin),
            Some(&json!({"roles": ["Viewer"]})),
        )
        .await;
    assert_eq!(viewer.status, StatusCode::OK, "{:?}", viewer.body);
    let body = |username: &str, groups: Value| {
        json!({"username": username, "email": format!("{username}@example.com"),
            "password": "a long password 1", "groups": groups})
    };

    // Created with two groups: one commit, one audit record.
    let before = t.revision().await;
    let created = call(
        &t,
        Method::POST,
        &format!("{V2}/users"),
        &admin,
        Some(body("alice", json!(["devs", "ops"]))),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["groups"], json!(["devs", "ops"]));
    assert_eq!(t.revision().await, before + 1, "the user and its groups are one commit");
    assert_eq!(audited(&t, "user.created", "alice").await, 1);
    assert_eq!(audited(&t, "group.members_changed", "devs").await, 0);

    // An unknown group: 400 naming it, nothing created.
    let before = t.revision().await;
    let unknown = call(
        &t,
        Method::POST,
        &format!("{V2}/users"),
        &admin,
        Some(body("bob", json!(["devs", "nope"]))),
    )
    .await;
    assert_jfrog_error(&unknown, 400, "nope");
    assert_eq!(t.revision().await, before);
    assert_eq!(t.get("/api/v1/users/bob", &admin).await.status, StatusCode::NOT_FOUND);

    // A manager who lacks what `readers` grants in `web` cannot create a
    // user in it (anti-escalation), and nothing is created.
    let manager = t
        .user_with("manager", json!({"account_permissions": ["accounts.manage"]}))
        .await;
    let before = t.revision().await;
    let escalating = call(
        &t,
        Method::POST,
        &format!("{V2}/users"),
        &manager,
        Some(body("carol", json!(["readers"]))),
    )
    .await;
    assert_eq!(escalating.status, StatusCode::FORBIDDEN, "{:?}", escalating.body);
    assert_eq!(t.revision().await, before);
    assert_eq!(t.get("/api/v1/users/carol", &admin).await.status, StatusCode::NOT_FOUND);
    let plain = call(
        &t,
        Method::POST,
        &format!("{V2}/users"),
        &manager,
        Some(body("carol", json!(["devs"]))),
    )
    .await;
    assert_eq!(plain.status, StatusCode::CREATED, "{:?}", plain.body);

    // Two groups joined and one left: one commit, one audit record.
    let before = t.revision().await;
    let changed = call(
        &t,
        Method::PATCH,
        &format!("{V2}/users/alice/groups"),
        &admin,
        Some(json!({"add": ["readers", "ops"], "remove": ["devs"]})),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body, json!({"groups": ["ops", "readers"]}));
    assert_eq!(t.revision().await, before + 1, "one request, one commit");
    assert_eq!(audited(&t, "user.groups_changed", "alice").await, 1);
    let devs = t.get("/api/v1/groups/devs", &admin).await;
    assert_eq!(devs.body["members"], json!(["carol"]), "{:?}", devs.body);

    // A group that does not exist, or one to leave the user is not in:
    // refused whole.
    let before = t.revision().await;
    let bad = call(
        &t,
        Method::PATCH,
        &format!("{V2}/users/alice/groups"),
        &admin,
        Some(json!({"add": ["devs", "nope"], "remove": ["devs"]})),
    )
    .await;
    assert_jfrog_error(&bad, 400, "nope");
    let stranger = call(
        &t,
        Method::PATCH,
        &format!("{V2}/users/carol/groups"),
        &admin,
        Some(json!({"add": ["ops"], "remove": ["readers"]})),
    )
    .await;
    assert_jfrog_error(&stranger, 400, "not a member");
    // The manager may not hand carol what `readers` grants.
    let refused = call(
        &t,
        Method::PATCH,
        &format!("{V2}/users/carol/groups"),
        &manager,
        Some(json!({"add": ["ops", "readers"]})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(t.revision().await, before, "nothing written");
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

/// One request of the endpoint table: sent as the admin, its status
/// asserted; a 4xx must be a JFrog error, a body JSON with `keys`.
async fn step(
    t: &TestServer,
    covered: &mut BTreeSet<(String, &'static str)>,
    (method, pattern): (Method, &'static str),
    path: &str,
    body: Option<Value>,
    (status, keys): (u16, &[&str]),
) -> Answer {
    covered.insert((method.as_str().to_owned(), pattern));
    let answer = call(t, method.clone(), path, &t.admin, body).await;
    assert_eq!(answer.status.as_u16(), status, "{method} {path}: {:?}", answer.body);
    if status == 204 {
        assert_eq!(answer.body, Value::Null, "{method} {path}: no body");
    } else if status != 200 || !keys.is_empty() {
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{method} {path}"
        );
    }
    for key in keys {
        assert!(
            answer.body.get(key).is_some(),
            "{method} {path}: no `{key}` in {:?}",
            answer.body
        );
    }
    answer
}

/// A row of the endpoint table: method, route pattern, path, body, status
/// and the keys of the answer (`[]` for a bare array).
type Row = (
    Method,
    &'static str,
    &'static str,
    Option<Value>,
    u16,
    &'static [&'static str],
);

/// Locks `username` by failed logins (SPEC §5.1).
async fn lock(t: &TestServer, username: &str) {
    for _ in 0..10 {
        t.login_token(username, "not-the-password").await;
    }
    let user = t.get(&format!("/api/v1/users/{username}"), &t.admin).await;
    assert_eq!(user.body["status"], "locked", "{:?}", user.body);
}

/// Every route of `JFROG_ROUTES` once, in an order that builds what the
/// next needs: status code and shape of each (bare arrays, `{"members"}`,
/// `{"users"|"groups"|"tokens"}`, 201 creates, 200 token creation and
/// revocation, 204 deletes). The table must cover every route.
#[tokio::test]
async fn every_endpoint_answers_its_status_and_shape() {
    let t = start_sqlite().await;
    let mut covered = BTreeSet::new();
    let p = "a long password 1";
    // (method, route pattern, path, body, status, keys of the answer;
    // `[]` for a bare array, checked below).
    let table: Vec<Row> = vec![
        (
            Method::POST,
            "/access/api/v1/projects",
            "/access/api/v1/projects",
            Some(json!({"project_key": "web", "display_name": "Web"})),
            201,
            &[
                "project_key",
                "display_name",
                "description",
                "admin_privileges",
                "storage_quota_bytes",
                "soft_limit",
            ],
        ),
        (
            Method::GET,
            "/access/api/v1/projects",
            "/access/api/v1/projects",
            None,
            200,
            &[],
        ),
        (
            Method::GET,
            "/access/api/v1/projects/{key}",
            "/access/api/v1/projects/web",
            None,
            200,
            &["project_key"],
        ),
        (
            Method::PUT,
            "/access/api/v1/projects/{key}",
            "/access/api/v1/projects/web",
            Some(json!({"description": "the web"})),
            200,
            &["project_key", "description"],
        ),
        (
            Method::POST,
            "/access/api/v1/environments",
            "/access/api/v1/environments",
            Some(json!({"name": "STAGE"})),
            201,
            &["name"],
        ),
        (
            Method::GET,
            "/access/api/v1/environments",
            "/access/api/v1/environments",
            None,
            200,
            &[],
        ),
        (
            Method::POST,
            "/access/api/v1/environments/{name}/rename",
            "/access/api/v1/environments/STAGE/rename",
            Some(json!({"new_name": "UAT"})),
            200,
            &["name"],
        ),
        (
            Method::POST,
            "/access/api/v1/projects/{key}/environments",
            "/access/api/v1/projects/web/environments",
            Some(json!({"name": "QA"})),
            201,
            &["name"],
        ),
        (
            Method::GET,
            "/access/api/v1/projects/{key}/environments",
            "/access/api/v1/projects/web/environments",
            None,
            200,
            &[],
        ),
        (
            Method::POST,
            "/access/api/v1/projects/{key}/environments/{name}/rename",
            "/access/api/v1/projects/web/environments/web-QA/rename",
            Some(json!({"new_name": "TEST"})),
            200,
            &["name"],
        ),
        (
            Method::POST,
            "/access/api/v1/roles",
            "/access/api/v1/roles",
            Some(
                json!({"name": "g-reader", "type": "CUSTOM_GLOBAL", "environments": ["DEV"], "actions": ["READ_REPOSITORY"]}),
            ),
            201,
            &["name", "type", "environments", "actions"],
        ),
        (
            Method::GET,
            "/access/api/v1/roles",
            "/access/api/v1/roles",
            None,
            200,
            &[],
        ),
        (
            Method::GET,
            "/access/api/v1/roles/{name}",
            "/access/api/v1/roles/g-reader",
            None,
            200,
            &["name", "type"],
        ),
        (
            Method::PUT,
            "/access/api/v1/roles/{name}",
            "/access/api/v1/roles/g-reader",
            Some(
                json!({"name": "g-reader", "type": "CUSTOM_GLOBAL", "environments": ["DEV", "PROD"], "actions": ["READ_REPOSITORY"]}),
            ),
            200,
            &["environments"],
        ),
        (
            Method::POST,
            "/access/api/v1/projects/{key}/roles",
            "/access/api/v1/projects/web/roles",
            Some(json!({"name": "qa", "type": "CUSTOM", "environments": ["web-TEST"], "actions": ["READ_BUILD"]})),
            201,
            &["name", "type", "environments", "actions"],
        ),
        (
            Method::GET,
            "/access/api/v1/projects/{key}/roles",
            "/access/api/v1/projects/web/roles",
            None,
            200,
            &[],
        ),
        (
            Method::GET,
            "/access/api/v1/projects/{key}/roles/{name}",
            "/access/api/v1/projects/web/roles/qa",
            None,
            200,
            &["name", "type"],
        ),
        (
            Method::PUT,
            "/access/api/v1/projects/{key}/roles/{name}",
            "/access/api/v1/projects/web/roles/qa",
            Some(
                json!({"name": "qa", "type": "CUSTOM", "environments": ["web-TEST"], "actions": ["READ_BUILD", "ANNOTATE_REPOSITORY"]}),
            ),
            200,
            &["actions"],
        ),
        (
            Method::POST,
            "/access/api/v2/users",
            "/access/api/v2/users",
            Some(json!({"username": "bob", "email": "bob@example.com", "password": p})),
            201,
            &[
                "username",
                "email",
                "admin",
                "status",
                "groups",
                "internal_password_disabled",
            ],
        ),
        (
            Method::GET,
            "/access/api/v2/users",
            "/access/api/v2/users",
            None,
            200,
            &["users"],
        ),
        (
            Method::GET,
            "/access/api/v2/users/{username}",
            "/access/api/v2/users/bob",
            None,
            200,
            &["username", "status"],
        ),
        (
            Method::PATCH,
            "/access/api/v2/users/{username}",
            "/access/api/v2/users/bob",
            Some(json!({"email": "b@example.com"})),
            200,
            &["email"],
        ),
        (
            Method::PUT,
            "/access/api/v2/users/{username}/password",
            "/access/api/v2/users/bob/password",
            Some(json!({"password": "another long password"})),
            204,
            &[],
        ),
        (
            Method::POST,
            "/access/api/v2/groups",
            "/access/api/v2/groups",
            Some(json!({"name": "devs"})),
            201,
            &["name", "description", "realm"],
        ),
        (
            Method::GET,
            "/access/api/v2/groups",
            "/access/api/v2/groups",
            None,
            200,
            &["groups"],
        ),
        (
            Method::GET,
            "/access/api/v2/groups/{name}",
            "/access/api/v2/groups/devs",
            None,
            200,
            &["name"],
        ),
        (
            Method::PATCH,
            "/access/api/v2/groups/{name}",
            "/access/api/v2/groups/devs",
            Some(json!({"description": "D"})),
            200,
            &["description"],
        ),
        (
            Method::PATCH,
            "/access/api/v2/groups/{name}/members",
            "/access/api/v2/groups/devs/members",
            Some(json!({"add": ["bob"]})),
            200,
            &["members"],
        ),
        (
            Method::PATCH,
            "/access/api/v2/users/{username}/groups",
            "/access/api/v2/users/bob/groups",
            Some(json!({"remove": ["devs"]})),
            200,
            &["groups"],
        ),
        (
            Method::PUT,
            "/access/api/v1/projects/{key}/users/{name}",
            "/access/api/v1/projects/web/users/bob",
            Some(json!({"roles": ["qa"]})),
            200,
            &["name", "roles"],
        ),
        (
            Method::GET,
            "/access/api/v1/projects/{key}/users",
            "/access/api/v1/projects/web/users",
            None,
            200,
            &["members"],
        ),
        (
            Method::GET,
            "/access/api/v1/projects/{key}/users/{name}",
            "/access/api/v1/projects/web/users/bob",
            None,
            200,
            &["name", "roles"],
        ),
        (
            Method::PUT,
            "/access/api/v1/projects/{key}/groups/{name}",
            "/access/api/v1/projects/web/groups/devs",
            Some(json!({"roles": ["Viewer"]})),
            200,
            &["name", "roles"],
        ),
        (
            Method::GET,
            "/access/api/v1/projects/{key}/groups",
            "/access/api/v1/projects/web/groups",
            None,
            200,
            &["members"],
        ),
        (
            Method::GET,
            "/access/api/v1/projects/{key}/groups/{name}",
            "/access/api/v1/projects/web/groups/devs",
            None,
            200,
            &["name", "roles"],
        ),
    ];
    for (method, pattern, path, body, status, keys) in table {
        let answer = step(&t, &mut covered, (method, pattern), path, body, (status, keys)).await;
        if keys.is_empty() && status == 200 {
            assert!(answer.body.is_array(), "{pattern}: a bare array, not {:?}", answer.body);
        }
    }
    assert_eq!(
        t.get("/api/v1/projects/web/environments", &t.admin).await.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["name"].as_str())
            .collect::<Vec<_>>(),
        ["DEV", "PROD", "UAT", "web-TEST"]
    );

    // Unlock: a locked user, unlocked through v2.
    lock(&t, "bob").await;
    let unlocked = step(
        &t,
        &mut covered,
        (Method::POST, "/access/api/v2/users/{username}/unlock"),
        "/access/api/v2/users/bob/unlock",
        None,
        (200, &["username", "status"]),
    )
    .await;
    assert_eq!(
        unlocked.body["status"], "invited",
        "never logged in: {:?}",
        unlocked.body
    );

    // Tokens: create, list, me, one, revoke by id and by value.
    let tokens = "/access/api/v1/tokens";
    let mut created = Vec::new();
    for description in ["one", "two", "three"] {
        let answer = step(
            &t,
            &mut covered,
            (Method::POST, "/access/api/v1/tokens"),
            tokens,
            Some(json!({"description": description})),
            (200, &["token_id", "access_token", "expires_in", "scope", "token_type"]),
        )
        .await;
        created.push((
            answer.body["token_id"].as_str().unwrap().to_owned(),
            answer.body["access_token"].as_str().unwrap().to_owned(),
        ));
    }
    let listed = step(
        &t,
        &mut covered,
        (Method::GET, "/access/api/v1/tokens"),
        tokens,
        None,
        (200, &["tokens"]),
    )
    .await;
    assert!(
        listed.body["tokens"].as_array().unwrap().len() >= 3,
        "{:?}",
        listed.body
    );
    covered.insert(("GET".to_owned(), "/access/api/v1/tokens/me"));
    let me = call(&t, Method::GET, &format!("{tokens}/me"), &created[0].1, None).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(me.body["token_id"], created[0].0.as_str());
    for key in ["subject", "expiry", "issued_at", "description"] {
        assert!(me.body.get(key).is_some(), "no `{key}` in {:?}", me.body);
    }
    let one = step(
        &t,
        &mut covered,
        (Method::GET, "/access/api/v1/tokens/{id}"),
        &format!("{tokens}/{}", created[0].0),
        None,
        (200, &["token_id", "subject", "description"]),
    )
    .await;
    assert_eq!(one.body["description"], "one");
    step(
        &t,
        &mut covered,
        (Method::DELETE, "/access/api/v1/tokens/{id}"),
        &format!("{tokens}/{}", created[0].0),
        None,
        (200, &[]),
    )
    .await;
    for ((method, pattern), (_, secret)) in [
        (Method::POST, "/access/api/v1/tokens/revoke"),
        (Method::DELETE, "/access/api/v1/tokens/revoke"),
    ]
    .into_iter()
    .zip(&created[1..])
    {
        step(
            &t,
            &mut covered,
            (method, pattern),
            &format!("{tokens}/revoke"),
            Some(json!({"token": secret})),
            (200, &["revoked_token_id"]),
        )
        .await;
    }
    for (_, secret) in &created {
        let refused = call(&t, Method::GET, &format!("{tokens}/me"), secret, None).await;
        assert_jfrog_error(&refused, 401, "unauthenticated");
    }

    // Deletes: 204, in the order the model allows.
    for (pattern, path) in [
        (
            "/access/api/v1/projects/{key}/users/{name}",
            "/access/api/v1/projects/web/users/bob",
        ),
        (
            "/access/api/v1/projects/{key}/groups/{name}",
            "/access/api/v1/projects/web/groups/devs",
        ),
        (
            "/access/api/v1/projects/{key}/roles/{name}",
            "/access/api/v1/projects/web/roles/qa",
        ),
        (
            "/access/api/v1/projects/{key}/environments/{name}",
            "/access/api/v1/projects/web/environments/web-TEST",
        ),
        ("/access/api/v1/roles/{name}", "/access/api/v1/roles/g-reader"),
        ("/access/api/v1/environments/{name}", "/access/api/v1/environments/UAT"),
        ("/access/api/v2/groups/{name}", "/access/api/v2/groups/devs"),
        ("/access/api/v2/users/{username}", "/access/api/v2/users/bob"),
        ("/access/api/v1/projects/{key}", "/access/api/v1/projects/web"),
    ] {
        step(&t, &mut covered, (Method::DELETE, pattern), path, None, (204, &[])).await;
        let gone = call(&t, Method::GET, path, &t.admin, None).await;
        assert!(
            gone.status == StatusCode::NOT_FOUND || gone.status == StatusCode::METHOD_NOT_ALLOWED,
            "{path} after its delete: {:?}",
            gone.status
        );
    }

    let routes: BTreeSet<(String, &'static str)> = JFROG_ROUTES
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path))
        .collect();
    assert_eq!(covered, routes, "the table covers every JFrog route");
    t.finish().await;
}

/// The request shapes of JFrog's Terraform providers, as they send them
/// (each row names its source file), accepted with the status the
/// provider expects; what they wrote reads back through `/api/v1`.
#[tokio::test]
async fn the_terraform_providers_request_shapes_are_accepted() {
    let t = start_sqlite().await;
    t.user("alice").await;
    t.post("/api/v1/groups", &t.admin, &json!({"name": "devs"})).await;
    const PROJECT: &str = "jfrog/terraform-provider-project";
    const PLATFORM: &str = "jfrog/terraform-provider-platform";
    let global_role = |envs: &[&str]| {
        json!({"name": "tf-global", "description": "", "type": "CUSTOM_GLOBAL", "environments": envs,
            "actions": ["READ_REPOSITORY", "READ_BUILD"]})
    };
    let project_body = json!({"project_key": "tf", "display_name": "Terraform", "description": "made by terraform",
        "admin_privileges": {"manage_members": true, "manage_resources": false, "index_resources": true},
        "storage_quota_bytes": 1_073_741_824_i64, "soft_limit": false, "storage_quota_email_notification": true});
    let role_body = |actions: &[&str]| json!({"name": "tf-dev", "type": "CUSTOM", "environments": ["DEV", "tf-QA"], "actions": actions});
    // (source, method, path, body, status)
    let fixtures: Vec<(String, Method, &str, Option<Value>, u16)> = vec![
        // ProjectAPIModel posted by Create, put whole by Update.
        (
            format!("{PROJECT} pkg/project/resource/resource_project.go (Create)"),
            Method::POST,
            "/access/api/v1/projects",
            Some(project_body.clone()),
            201,
        ),
        (
            format!("{PROJECT} pkg/project/resource/resource_project.go (Update)"),
            Method::PUT,
            "/access/api/v1/projects/tf",
            Some(with_field(&project_body, "display_name", json!("Terraform 2"))),
            200,
        ),
        // ProjectEnvironmentAPIModel: `<key>-<name>`; the rename's
        // ProjectEnvironmentUpdateAPIModel names the new one in full too.
        (
            format!("{PROJECT} pkg/project/resource/resource_project_environment.go (Create)"),
            Method::POST,
            "/access/api/v1/projects/tf/environments",
            Some(json!({"name": "tf-STAGE"})),
            201,
        ),
        (
            format!("{PROJECT} pkg/project/resource/resource_project_environment.go (Update)"),
            Method::POST,
            "/access/api/v1/projects/tf/environments/tf-STAGE/rename",
            Some(json!({"new_name": "tf-QA"})),
            200,
        ),
        // ProjectRoleAPIModel {name, type, environments, actions}.
        (
            format!("{PROJECT} pkg/project/resource/resource_project_role.go (Create)"),
            Method::POST,
            "/access/api/v1/projects/tf/roles",
            Some(role_body(&["READ_REPOSITORY", "ANNOTATE_REPOSITORY", "READ_BUILD"])),
            201,
        ),
        (
            format!("{PROJECT} pkg/project/resource/resource_project_role.go (Update)"),
            Method::PUT,
            "/access/api/v1/projects/tf/roles/tf-dev",
            Some(role_body(&[
                "READ_REPOSITORY",
                "DEPLOY_CACHE_REPOSITORY",
                "READ_RELEASE_BUNDLE",
                "READ_BUILD",
            ])),
            200,
        ),
        // MemberAPIModel {name, roles}, put per member for users and groups.
        (
            format!("{PROJECT} pkg/project/resource/membership.go (updateMember, users: resource_project_user.go)"),
            Method::PUT,
            "/access/api/v1/projects/tf/users/alice",
            Some(json!({"name": "alice", "roles": ["tf-dev"]})),
            200,
        ),
        (
            format!("{PROJECT} pkg/project/resource/membership.go (updateMember, groups: resource_project_group.go)"),
            Method::PUT,
            "/access/api/v1/projects/tf/groups/devs",
            Some(json!({"name": "devs", "roles": ["tf-dev", "Viewer"]})),
            200,
        ),
        (
            format!("{PROJECT} pkg/project/resource/membership.go (readMembers)"),
            Method::GET,
            "/access/api/v1/projects/tf/users",
            None,
            200,
        ),
        (
            format!("{PROJECT} pkg/project/resource/membership.go (deleteMember)"),
            Method::DELETE,
            "/access/api/v1/projects/tf/groups/devs",
            None,
            204,
        ),
        // globalRoleAPIModel {name, description, type, environments,
        // actions}: POST (expects 201), PUT (200), GET, DELETE (204).
        (
            format!("{PLATFORM} pkg/platform/resource_global_role.go (Create)"),
            Method::POST,
            "/access/api/v1/roles",
            Some(global_role(&["DEV"])),
            201,
        ),
        (
            format!("{PLATFORM} pkg/platform/resource_global_role.go (Update)"),
            Method::PUT,
            "/access/api/v1/roles/tf-global",
            Some(global_role(&["DEV", "PROD"])),
            200,
        ),
        (
            format!("{PLATFORM} pkg/platform/resource_global_role.go (Read)"),
            Method::GET,
            "/access/api/v1/roles/tf-global",
            None,
            200,
        ),
        // groupMembersRequestAPIModel {add, remove}: Create sends only
        // `add` (the other, a nil slice, as `null`), Delete only `remove`.
        (
            format!("{PLATFORM} pkg/platform/resource_group_members.go (Create)"),
            Method::PATCH,
            "/access/api/v2/groups/devs/members",
            Some(json!({"add": ["alice"], "remove": null})),
            200,
        ),
        (
            format!("{PROJECT} pkg/project/resource/resource_project_environment.go (Read)"),
            Method::GET,
            "/access/api/v1/projects/tf/environments",
            None,
            200,
        ),
    ];
    for (source, method, path, body, status) in fixtures {
        let answer = call(&t, method.clone(), path, &t.admin, body).await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{source}: {method} {path}: {:?}",
            answer.body
        );
    }
    let global = t.get("/api/v1/roles/tf-global", &t.admin).await;
    assert_eq!(global.body["environments"], json!(["DEV", "PROD"]), "{:?}", global.body);
    assert_eq!(global.body["actions"], json!(["repository.read", "build.read"]));
    assert_eq!(
        t.get("/api/v1/groups/devs", &t.admin).await.body["members"],
        json!(["alice"])
    );
    let removed = call(
        &t,
        Method::PATCH,
        "/access/api/v2/groups/devs/members",
        &t.admin,
        // Source: jfrog/terraform-provider-platform, pkg/platform/resource_group_members.go (Delete).
        Some(json!({"add": null, "remove": ["alice"]})),
    )
    .await;
    assert_eq!(removed.body, json!({"members": []}), "{:?}", removed.body);
    // Source: jfrog/terraform-provider-platform, pkg/platform/resource_global_role.go (Delete: expects 204).
    let gone = call(&t, Method::DELETE, "/access/api/v1/roles/tf-global", &t.admin, None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{:?}", gone.body);
    let project = t.get("/api/v1/projects/tf", &t.admin).await;
    assert_eq!(
        (
            &project.body["display_name"],
            &project.body["admin_privileges"]["manage_resources"]
        ),
        (&json!("Terraform 2"), &json!(false))
    );
    let role = t.get("/api/v1/projects/tf/roles/tf-dev", &t.admin).await;
    assert_eq!(role.body["environments"], json!(["DEV", "tf-QA"]), "{:?}", role.body);
    assert_eq!(
        role.body["actions"],
        json!([
            "repository.read",
            "repository.deploy",
            "release_bundle.read",
            "build.read"
        ])
    );
    let members = t.get("/api/v1/projects/tf/members?kind=user&q=alice", &t.admin).await;
    assert_eq!(
        members.body["items"],
        json!([{"kind": "user", "name": "alice", "roles": ["tf-dev"]}]),
        "{:?}",
        members.body
    );
    let groups = t.get("/api/v1/projects/tf/members?kind=group", &t.admin).await;
    assert_eq!(
        groups.body["items"],
        json!([]),
        "the provider's delete removed the group"
    );
    t.finish().await;
}

fn with_field(body: &Value, field: &str, value: Value) -> Value {
    let mut body = body.clone();
    body[field] = value;
    body
}

/// What `/api/v1` creates reads back identically through `/access`, and
/// every write through `/access` is audited as made through the JFrog face.
#[tokio::test]
async fn what_api_v1_writes_reads_back_through_access_and_access_writes_are_audited_as_jfrog() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    let project = t
        .post(
            "/api/v1/projects",
            &admin,
            &json!({"key": "api", "display_name": "API", "description": "native",
                "admin_privileges": {"manage_members": false, "manage_resources": true, "index_resources": true}}),
        )
        .await;
    assert_eq!(project.status, StatusCode::CREATED, "{:?}", project.body);
    let jfrog = call(&t, Method::GET, &format!("{V1}/projects/api"), &admin, None).await;
    assert_eq!(
        (
            &jfrog.body["project_key"],
            &jfrog.body["display_name"],
            &jfrog.body["description"]
        ),
        (&json!("api"), &json!("API"), &json!("native"))
    );
    for field in ["manage_members", "manage_resources", "index_resources"] {
        assert_eq!(
            jfrog.body["admin_privileges"][field], project.body["admin_privileges"][field],
            "{field}"
        );
    }
    t.post("/api/v1/projects/api/environments", &admin, &json!({"name": "QA"}))
        .await;
    let role = t
        .post(
            "/api/v1/projects/api/roles",
            &admin,
            &json!({"name": "ops", "description": "Ops", "actions": ["repository.read", "build.read", "pipeline.trigger"],
                "environments": ["DEV", "api-QA"]}),
        )
        .await;
    assert_eq!(role.status, StatusCode::CREATED, "{:?}", role.body);
    let jfrog = call(&t, Method::GET, &format!("{V1}/projects/api/roles/ops"), &admin, None).await;
    assert_eq!(
        jfrog.body,
        json!({"name": "ops", "description": "Ops", "type": "CUSTOM", "environments": ["DEV", "api-QA"],
            "actions": ["READ_REPOSITORY", "READ_BUILD", "TRIGGER_PIPELINE"]}),
    );
    let envs = call(
        &t,
        Method::GET,
        &format!("{V1}/projects/api/environments"),
        &admin,
        None,
    )
    .await;
    assert_eq!(
        envs.body,
        json!([{"name": "DEV"}, {"name": "PROD"}, {"name": "api-QA"}])
    );
    t.user("carol").await;
    t.post(
        "/api/v1/groups",
        &admin,
        &json!({"name": "ops", "description": "Operators", "members": ["carol"]}),
    )
    .await;
    t.call(
        Method::PUT,
        "/api/v1/projects/api/members/users/carol",
        Some(&admin),
        Some(&json!({"roles": ["ops"]})),
    )
    .await;
    let user = call(&t, Method::GET, &format!("{V2}/users/carol"), &admin, None).await;
    let native = t.get("/api/v1/users/carol", &admin).await;
    assert_eq!(
        (
            &user.body["username"],
            &user.body["email"],
            &user.body["admin"],
            &user.body["groups"],
            &user.body["status"]
        ),
        (
            &native.body["username"],
            &native.body["email"],
            &native.body["admin"],
            &native.body["groups"],
            &native.body["status"]
        ),
        "{:?}",
        user.body
    );
    let group = call(&t, Method::GET, &format!("{V2}/groups/ops"), &admin, None).await;
    assert_eq!(
        (&group.body["name"], &group.body["description"]),
        (&json!("ops"), &json!("Operators"))
    );
    let members = call(&t, Method::GET, &format!("{V1}/projects/api/users/carol"), &admin, None).await;
    assert_eq!(members.body, json!({"name": "carol", "roles": ["ops"]}));
    let token = t
        .post(
            "/api/v1/tokens",
            &admin,
            &json!({"description": "native token", "expires_in": 3600}),
        )
        .await;
    let id = token.body["id"].as_str().unwrap().to_owned();
    let jfrog = call(&t, Method::GET, &format!("{V1}/tokens/{id}"), &admin, None).await;
    assert_eq!(jfrog.body["description"], "native token", "{:?}", jfrog.body);
    assert_eq!(jfrog.body["subject"], "jfac@gatehouse/users/admin");

    // Writes through /access name the face in their audit records.
    let created = call(
        &t,
        Method::POST,
        &format!("{V1}/projects"),
        &admin,
        Some(json!({"project_key": "jf", "display_name": "JF"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    call(
        &t,
        Method::POST,
        &format!("{V1}/projects/jf/environments"),
        &admin,
        Some(json!({"name": "A"})),
    )
    .await;
    let renamed = call(
        &t,
        Method::POST,
        &format!("{V1}/projects/jf/environments/jf-A/rename"),
        &admin,
        Some(json!({"new_name": "B"})),
    )
    .await;
    assert_eq!(renamed.body, json!({"name": "jf-B"}));
    for (target, event, via) in [
        ("jf", "project.created", "jfrog"),
        ("jf-A", "environment.renamed", "jfrog"),
        ("api", "project.created", "api"),
    ] {
        let audit = t
            .get(&format!("/api/v1/audit?target={target}&event={event}"), &admin)
            .await;
        let vias: Vec<&Value> = audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["via"])
            .collect();
        assert_eq!(vias, [&json!(via)], "{target} {event}: {:?}", audit.body);
    }
    t.finish().await;
}

/// JFrog semantics for token listings: a platform admin sees every user's
/// tokens; anyone else only its own, and another's is not found.
#[tokio::test]
async fn a_platform_admin_sees_every_users_tokens_others_their_own() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let id_of = |answer: &Answer| answer.body["token_id"].as_str().unwrap().to_owned();
    let alice_id = id_of(&call(&t, Method::GET, &format!("{V1}/tokens/me"), &alice, None).await);
    let bob_id = id_of(&call(&t, Method::GET, &format!("{V1}/tokens/me"), &bob, None).await);
    let ids = |answer: &Answer| -> BTreeSet<(String, String)> {
        answer.body["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["subject"].as_str().unwrap().to_owned(),
                    t["token_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let all = ids(&call(&t, Method::GET, &format!("{V1}/tokens"), &admin, None).await);
    assert!(
        all.contains(&("jfac@gatehouse/users/alice".to_owned(), alice_id.clone()))
            && all.contains(&("jfac@gatehouse/users/bob".to_owned(), bob_id.clone())),
        "{all:?}"
    );
    let own = ids(&call(&t, Method::GET, &format!("{V1}/tokens"), &alice, None).await);
    assert_eq!(
        own,
        BTreeSet::from([("jfac@gatehouse/users/alice".to_owned(), alice_id.clone())]),
        "alice sees her own only"
    );
    assert_jfrog_error(
        &call(&t, Method::GET, &format!("{V1}/tokens/{bob_id}"), &alice, None).await,
        404,
        "not_found",
    );
    let seen = call(&t, Method::GET, &format!("{V1}/tokens/{bob_id}"), &admin, None).await;
    assert_eq!(seen.body["subject"], "jfac@gatehouse/users/bob", "{:?}", seen.body);
    // The native rule on revocation: alice cannot revoke bob's, the admin can.
    assert_jfrog_error(
        &call(&t, Method::DELETE, &format!("{V1}/tokens/{bob_id}"), &alice, None).await,
        404,
        "not_found",
    );
    let revoked = call(&t, Method::DELETE, &format!("{V1}/tokens/{bob_id}"), &admin, None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{:?}", revoked.body);
    // A token narrowed to a project does not list tokens at all.
    t.post(
        "/api/v1/projects",
        &admin,
        &json!({"key": "web", "display_name": "Web"}),
    )
    .await;
    t.call(
        Method::PUT,
        "/api/v1/projects/web/members/users/alice",
        Some(&admin),
        Some(&json!({"roles": ["Developer"]})),
    )
    .await;
    let narrow = form(
        &t,
        &format!("{V1}/tokens"),
        &alice,
        "scope=applied-permissions%2Froles%3Aweb%3ADeveloper",
    )
    .await;
    let narrow = narrow.body["access_token"].as_str().unwrap().to_owned();
    assert_jfrog_error(
        &call(&t, Method::GET, &format!("{V1}/tokens"), &narrow, None).await,
        403,
        "forbidden",
    );
    t.finish().await;
}

/// HTTP Basic as JFrog clients send it: the password must be an access
/// token of that very user; a password, or another user's token, is 401.
#[tokio::test]
async fn basic_authentication_takes_a_users_own_token_never_a_password() {
    let t = start_sqlite().await;
    let alice = t.user("alice").await;
    t.user("bob").await;
    let basic = |user: &str, password: &str| {
        let (user, password) = (user.to_owned(), password.to_owned());
        let http = t.http.clone();
        let url = format!("{}{V1}/tokens/me", t.url);
        async move {
            let response = http.get(url).basic_auth(user, Some(password)).send().await.unwrap();
            TestServer::answer(response).await
        }
    };
    let ok = basic("alice", &alice).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["subject"], "jfac@gatehouse/users/alice");
    for (user, password) in [
        ("bob", alice.clone()),
        ("ALICE", alice.clone()),
        ("alice", password_of("alice")),
        ("alice", format!("{alice}x")),
        ("alice", String::new()),
    ] {
        let refused = basic(user, &password).await;
        assert_jfrog_error(&refused, 401, "unauthenticated");
    }
    // The native API takes it too (the guard is one), and a revoked token
    // is refused in Basic as in Bearer.
    let native = t
        .http
        .get(format!("{}/api/v1/me", t.url))
        .basic_auth("alice", Some(&alice))
        .send()
        .await
        .unwrap();
    assert_eq!(native.status(), StatusCode::OK);
    let id = ok.body["token_id"].as_str().unwrap().to_owned();
    call(&t, Method::DELETE, &format!("{V1}/tokens/{id}"), &alice, None).await;
    assert_jfrog_error(&basic("alice", &alice).await, 401, "unauthenticated");
    t.finish().await;
}

/// Unlocking through v2 ends a lockout; it needs `accounts.manage`, as on
/// `/api/v1`. An account manager cannot make a platform admin through
/// either face.
#[tokio::test]
async fn unlock_and_admin_grants_follow_the_native_rules() {
    let t = start_sqlite().await;
    t.user("dave").await;
    let mgr = t
        .user_with("mgr", json!({"account_permissions": ["accounts.manage"]}))
        .await;
    let eve = t.user("eve").await;
    lock(&t, "dave").await;
    assert_jfrog_error(
        &call(&t, Method::POST, &format!("{V2}/users/dave/unlock"), &eve, None).await,
        403,
        "accounts.manage",
    );
    let unlocked = call(&t, Method::POST, &format!("{V2}/users/dave/unlock"), &mgr, None).await;
    assert_eq!(unlocked.status, StatusCode::OK, "{:?}", unlocked.body);
    assert_eq!(unlocked.body["status"], "enabled");
    t.token_for("dave", &password_of("dave")).await;
    assert_jfrog_error(
        &call(&t, Method::POST, &format!("{V2}/users/nobody/unlock"), &mgr, None).await,
        404,
        "not_found",
    );
    let native = t
        .post(
            "/api/v1/users",
            &mgr,
            &json!({"username": "root2", "email": "root2@example.com", "password": "a long password 1", "admin": true}),
        )
        .await;
    let jfrog = call(
        &t,
        Method::POST,
        &format!("{V2}/users"),
        &mgr,
        Some(
            json!({"username": "root2", "email": "root2@example.com", "password": "a long password 1", "admin": true}),
        ),
    )
    .await;
    assert_eq!(native.status, StatusCode::FORBIDDEN, "{:?}", native.body);
    assert_eq!(jfrog.status, native.status, "{:?}", jfrog.body);
    assert_eq!(
        t.get("/api/v1/users/root2", &t.admin).await.status,
        StatusCode::NOT_FOUND
    );
    t.finish().await;
}
