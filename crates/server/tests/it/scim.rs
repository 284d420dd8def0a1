//! The SCIM 2.0 face over real HTTP (SPEC §13): what Entra ID and Okta
//! send, every filter operator, PATCH with and without paths, ETags,
//! paging, the error schema, uniqueness, and deprovisioning.

use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{Answer, TestServer, start_sqlite};

const SCIM: &str = "application/scim+json";

/// Sends a SCIM request as `token` with `headers`.
async fn scim_with(
    t: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = t.http.request(method, format!("{}/scim/v2{path}", t.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.header("content-type", SCIM).body(body.to_string());
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = TestServer::answer(request.send().await.unwrap()).await;
    if answer.status != 204 && answer.status != 304 {
        assert_eq!(answer.header("content-type"), Some(SCIM), "{path}: {:?}", answer.body);
    }
    answer
}

async fn scim(t: &TestServer, method: Method, path: &str, body: Option<&Value>) -> Answer {
    scim_with(t, method, path, Some(&t.admin.clone()), body, &[]).await
}

fn user_body(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "externalId": format!("ext-{name}"),
        "name": {"givenName": "Given", "familyName": "Family"},
        "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
        "active": true,
    })
}

async fn create_user(t: &TestServer, name: &str) -> Value {
    let created = scim(t, Method::POST, "/Users", Some(&user_body(name))).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body
}

fn patch_ops(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

fn assert_error(a: &Answer, status: u16, scim_type: Option<&str>) {
    assert_eq!(a.status, status, "{:?}", a.body);
    assert_eq!(
        a.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{:?}",
        a.body
    );
    assert_eq!(a.body["status"], status.to_string(), "status is a string");
    assert_eq!(a.body["scimType"].as_str(), scim_type, "{:?}", a.body);
}

fn filter_path(filter: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/Users").unwrap();
    url.query_pairs_mut().append_pair("filter", filter);
    format!("/Users?{}", url.query().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn entra_connection_test_finds_nobody_with_an_empty_list() {
    let t = start_sqlite().await;
    let path = filter_path(&format!("userName eq \"{}\"", uuid::Uuid::new_v4()));
    let found = scim(&t, Method::GET, &path, None).await;
    assert_eq!(found.status, 200, "{:?}", found.body);
    assert_eq!(
        found.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );
    assert_eq!(found.body["totalResults"], 0);
    assert_eq!(found.body["Resources"], json!([]));
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn users_create_read_replace_delete_with_etags_and_uniqueness() {
    let t = start_sqlite().await;
    let mut body = user_body("Ann.Lee");
    body["urn:example:unknown"] = json!({"x": 1});
    body["nickName"] = json!("ignored");
    body["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:unknown"]);
    let created = scim(&t, Method::POST, "/Users", Some(&body)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.body["userName"], "ann.lee",
        "userName is case-insensitive; kept lowercased"
    );
    assert_eq!(created.body["name"]["givenName"], "Given");
    assert_eq!(created.body["emails"][0]["value"], "Ann.Lee@example.com");
    assert_eq!(created.body["active"], true);
    assert!(
        created
            .header("location")
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );
    let etag = created.header("etag").unwrap().to_owned();
    assert_eq!(created.body["meta"]["version"], etag.as_str());

    // The native API shows it managed by SCIM, without a password.
    let native = t.get(&format!("/api/v1/users/{id}"), &t.admin).await;
    assert_eq!(native.status, 200);
    assert_eq!(native.body["status"], "enabled");

    let read = scim(&t, Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag"), Some(etag.as_str()));
    let same = scim_with(
        &t,
        Method::GET,
        &format!("/Users/{id}"),
        Some(&t.admin),
        None,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(same.status, 304);

    // Uniqueness: userName without regard to case, externalId.
    let dup = scim(&t, Method::POST, "/Users", Some(&user_body("ANN.LEE"))).await;
    assert_error(&dup, 409, Some("uniqueness"));
    let mut other = user_body("someone");
    other["externalId"] = json!("ext-Ann.Lee");
    let dup = scim(&t, Method::POST, "/Users", Some(&other)).await;
    assert_error(&dup, 409, Some("uniqueness"));

    // PUT with a stale If-Match: 412, nothing changed; with the right one: 200.
    let mut put = user_body("ann.lee");
    put["displayName"] = json!("Ann Lee");
    let stale = scim_with(
        &t,
        Method::PUT,
        &format!("/Users/{id}"),
        Some(&t.admin),
        Some(&put),
        &[("if-match", "W/\"1\"")],
    )
    .await;
    assert_error(&stale, 412, None);
    let replaced = scim_with(
        &t,
        Method::PUT,
        &format!("/Users/{id}"),
        Some(&t.admin),
        Some(&put),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.body);
    assert_eq!(replaced.body["displayName"], "Ann Lee");
    assert_ne!(replaced.header("etag"), Some(etag.as_str()), "the version moved");
    let renamed = scim(&t, Method::PUT, &format!("/Users/{id}"), Some(&user_body("bob"))).await;
    assert_error(&renamed, 400, Some("mutability"));

    let deleted = scim(&t, Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(deleted.status, 204);
    assert_error(&scim(&t, Method::GET, &format!("/Users/{id}"), None).await, 404, None);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn entra_patch_capitalised_ops_string_booleans_dotted_and_extension_keys() {
    let t = start_sqlite().await;
    create_user(&t, "carol").await;
    let ops = patch_ops(json!([
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "value": {
            "name.givenName": "Caroline",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
            "displayName": "Caroline F."
        }},
        {"op": "Add", "path": "emails[type eq \"home\"].value", "value": "home@example.org"},
        {"op": "Remove", "path": "externalId"},
    ]));
    let patched = scim(&t, Method::PATCH, "/Users/carol", Some(&ops)).await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["active"], false);
    assert_eq!(patched.body["name"]["givenName"], "Caroline");
    assert_eq!(patched.body["name"]["familyName"], "Family");
    assert_eq!(patched.body["displayName"], "Caroline F.");
    assert!(patched.body.get("externalId").is_none());
    // A disabled user is still found by GET and by filters.
    assert_eq!(scim(&t, Method::GET, "/Users/carol", None).await.status, 200);
    let found = scim(&t, Method::GET, &filter_path("active eq false"), None).await;
    assert_eq!(found.body["totalResults"], 1);
    let back = scim(
        &t,
        Method::PATCH,
        "/Users/carol",
        Some(&patch_ops(
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )),
    )
    .await;
    assert_eq!(back.body["active"], true, "{:?}", back.body);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn add_on_a_work_email_value_path_creates_it() {
    let t = start_sqlite().await;
    let mut body = user_body("dave");
    body.as_object_mut().unwrap().remove("emails");
    assert_eq!(scim(&t, Method::POST, "/Users", Some(&body)).await.status, 201);
    let ops = patch_ops(json!([{"op": "add", "path": "emails[type eq \"work\"].value", "value": "dave@work.example"}]));
    let patched = scim(&t, Method::PATCH, "/Users/dave", Some(&ops)).await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["emails"][0]["value"], "dave@work.example");
    let found = scim(
        &t,
        Method::GET,
        &filter_path("emails.value eq \"DAVE@work.example\""),
        None,
    )
    .await;
    assert_eq!(found.body["totalResults"], 1, "the email index, without regard to case");
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn okta_deactivates_and_manages_group_members_three_ways() {
    let t = start_sqlite().await;
    for u in ["u1", "u2", "u3"] {
        create_user(&t, u).await;
    }
    let off = scim(
        &t,
        Method::PATCH,
        "/Users/u3",
        Some(&patch_ops(json!([{"op": "replace", "value": {"active": false}}]))),
    )
    .await;
    assert_eq!(off.body["active"], false, "{:?}", off.body);

    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering", "externalId": "g-1", "members": []});
    let created = scim(&t, Method::POST, "/Groups", Some(&group)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["id"], "Engineering");
    let dup = scim(&t, Method::POST, "/Groups", Some(&group)).await;
    assert_error(&dup, 409, Some("uniqueness"));

    let add = patch_ops(
        json!([{"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}]}]),
    );
    let added = scim(&t, Method::PATCH, "/Groups/Engineering", Some(&add)).await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    assert_eq!(added.body["members"].as_array().unwrap().len(), 3);
    let user = scim(&t, Method::GET, "/Users/u1", None).await;
    assert_eq!(
        user.body["groups"][0]["value"], "Engineering",
        "groups are read-only on the user"
    );

    let by_filter = patch_ops(json!([{"op": "remove", "path": "members[value eq \"u1\"]"}]));
    let removed = scim(&t, Method::PATCH, "/Groups/Engineering", Some(&by_filter)).await;
    let members: Vec<&str> = removed.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["u2", "u3"]);
    let by_value = patch_ops(json!([{"op": "Remove", "path": "members", "value": [{"value": "u2"}]}]));
    let removed = scim(&t, Method::PATCH, "/Groups/Engineering", Some(&by_value)).await;
    let members: Vec<&str> = removed.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["u3"]);

    let unknown = patch_ops(json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]));
    assert_error(
        &scim(&t, Method::PATCH, "/Groups/Engineering", Some(&unknown)).await,
        400,
        Some("invalidValue"),
    );
    let rename = patch_ops(json!([{"op": "replace", "path": "displayName", "value": "Other"}]));
    assert_error(
        &scim(&t, Method::PATCH, "/Groups/Engineering", Some(&rename)).await,
        400,
        Some("mutability"),
    );

    let found = scim(
        &t,
        Method::GET,
        "/Groups?filter=externalId%20eq%20%22g-1%22&excludedAttributes=members",
        None,
    )
    .await;
    assert_eq!(found.body["totalResults"], 1, "{:?}", found.body);
    assert!(found.body["Resources"][0].get("members").is_none());
    let found = scim(
        &t,
        Method::GET,
        "/Groups?filter=displayName%20eq%20%22Engineering%22",
        None,
    )
    .await;
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(scim(&t, Method::DELETE, "/Groups/Engineering", None).await.status, 204);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_filter_operator() {
    let t = start_sqlite().await;
    for u in ["alice", "albert", "bob", "carl"] {
        create_user(&t, u).await;
    }
    scim(
        &t,
        Method::PATCH,
        "/Users/carl",
        Some(&patch_ops(json!([{"op": "replace", "path": "active", "value": false}]))),
    )
    .await;
    let table: &[(&str, &[&str])] = &[
        ("userName eq \"ALICE\"", &["alice"]),
        ("USERNAME Eq \"bob\"", &["bob"]),
        ("userName ne \"bob\"", &["albert", "alice", "carl"]),
        ("userName co \"L\"", &["albert", "alice", "carl"]),
        ("userName sw \"al\"", &["albert", "alice"]),
        ("userName ew \"ce\"", &["alice"]),
        ("userName gt \"bob\"", &["carl"]),
        ("userName ge \"bob\"", &["bob", "carl"]),
        ("userName lt \"alice\"", &["albert"]),
        ("userName le \"alice\"", &["albert", "alice"]),
        ("externalId pr and userName sw \"b\"", &["bob"]),
        ("userName eq \"bob\" or userName eq \"carl\"", &["bob", "carl"]),
        ("not (userName sw \"a\")", &["bob", "carl"]),
        (
            "(userName sw \"a\" or userName eq \"bob\") and not (userName eq \"alice\")",
            &["albert", "bob"],
        ),
        ("emails[type eq \"work\" and value co \"alb\"]", &["albert"]),
        (
            "emails.value ew \"@example.com\" and name.givenName eq \"given\"",
            &["albert", "alice", "bob", "carl"],
        ),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"bob\"",
            &["bob"],
        ),
        ("externalId eq \"ext-bob\"", &["bob"]),
        ("externalId eq \"EXT-BOB\"", &[]),
        ("id eq \"bob\"", &["bob"]),
        ("active eq false", &["carl"]),
        (
            "meta.created gt \"2000-01-01T00:00:00Z\" and userName eq \"bob\"",
            &["bob"],
        ),
        ("meta.created lt \"2000-01-01T00:00:00Z\"", &[]),
        ("title pr", &[]),
    ];
    for (filter, want) in table {
        let found = scim(&t, Method::GET, &filter_path(filter), None).await;
        assert_eq!(found.status, 200, "{filter}: {:?}", found.body);
        let mut got: Vec<&str> = found.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["userName"].as_str().unwrap())
            .collect();
        got.retain(|u| *u != "admin");
        got.sort_unstable();
        assert_eq!(got, *want, "{filter}");
    }
    for bad in [
        "userName eq",
        "userName zz \"a\"",
        "(userName eq \"a\"",
        "active gt true",
        "userName eq \"a\" and",
    ] {
        assert_error(
            &scim(&t, Method::GET, &filter_path(bad), None).await,
            400,
            Some("invalidFilter"),
        );
    }
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_by_start_index_and_count() {
    let t = start_sqlite().await;
    for i in 0..5 {
        create_user(&t, &format!("p{i}")).await;
    }
    let filter = "userName sw \"p\"";
    let page = |extra: &str| format!("{}&{extra}", filter_path(filter));
    let first = scim(&t, Method::GET, &page("startIndex=1&count=2"), None).await;
    assert_eq!(first.body["totalResults"], 5);
    assert_eq!(first.body["itemsPerPage"], 2);
    assert_eq!(first.body["startIndex"], 1);
    assert_eq!(first.body["Resources"][0]["userName"], "p0");
    let third = scim(&t, Method::GET, &page("startIndex=5&count=2"), None).await;
    assert_eq!(third.body["itemsPerPage"], 1);
    assert_eq!(third.body["Resources"][0]["userName"], "p4");
    let total = scim(&t, Method::GET, &page("count=0"), None).await;
    assert_eq!(total.body["totalResults"], 5);
    assert_eq!(total.body["Resources"], json!([]));
    let capped = scim(&t, Method::GET, &page("count=100000&startIndex=0"), None).await;
    assert_eq!(capped.status, 200);
    assert_eq!(capped.body["itemsPerPage"], 5);
    assert_error(
        &scim(&t, Method::GET, "/Users?count=many", None).await,
        400,
        Some("invalidValue"),
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_speak_the_scim_error_schema() {
    let t = start_sqlite().await;
    create_user(&t, "erin").await;
    assert_error(&scim_with(&t, Method::GET, "/Users", None, None, &[]).await, 401, None);
    let plain = t.user("plain").await;
    assert_error(
        &scim_with(&t, Method::GET, "/Users", Some(&plain), None, &[]).await,
        403,
        None,
    );
    let bad_path = patch_ops(json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]));
    assert_error(
        &scim(&t, Method::PATCH, "/Users/erin", Some(&bad_path)).await,
        400,
        Some("invalidPath"),
    );
    let read_only = patch_ops(json!([{"op": "replace", "path": "id", "value": "x"}]));
    assert_error(
        &scim(&t, Method::PATCH, "/Users/erin", Some(&read_only)).await,
        400,
        Some("mutability"),
    );
    let no_target = patch_ops(json!([{"op": "replace", "path": "emails[value co \"zz\"].type", "value": "x"}]));
    assert_error(
        &scim(&t, Method::PATCH, "/Users/erin", Some(&no_target)).await,
        400,
        Some("noTarget"),
    );
    let bad_value = patch_ops(json!([{"op": "replace", "path": "active", "value": "perhaps"}]));
    assert_error(
        &scim(&t, Method::PATCH, "/Users/erin", Some(&bad_value)).await,
        400,
        Some("invalidValue"),
    );
    let no_name = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "active": true});
    assert_error(
        &scim(&t, Method::POST, "/Users", Some(&no_name)).await,
        400,
        Some("invalidValue"),
    );
    let bad_name = user_body("has space");
    assert_error(
        &scim(&t, Method::POST, "/Users", Some(&bad_name)).await,
        400,
        Some("invalidValue"),
    );
    let malformed = t
        .http
        .post(format!("{}/scim/v2/Users", t.url))
        .bearer_auth(&t.admin)
        .header("content-type", SCIM)
        .body("{\"userName\":")
        .send()
        .await
        .unwrap();
    assert_error(&TestServer::answer(malformed).await, 400, Some("invalidSyntax"));
    assert_error(&scim(&t, Method::GET, "/Me", None).await, 501, None);
    assert_error(&scim(&t, Method::GET, "/Nothing", None).await, 404, None);
    assert_error(&scim(&t, Method::GET, "/Users/nobody", None).await, 404, None);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deprovisioning_refuses_the_users_token_on_the_next_request() {
    let t = start_sqlite().await;
    create_user(&t, "frank").await;
    let minted = t
        .post(
            "/api/v1/users/frank/tokens",
            &t.admin,
            &json!({"description": "frank's"}),
        )
        .await;
    assert_eq!(minted.status, 201, "{:?}", minted.body);
    let token = minted.body["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/api/v1/me", &token).await.status, 200);
    let off = scim(
        &t,
        Method::PATCH,
        "/Users/frank",
        Some(&patch_ops(json!([{"op": "replace", "value": {"active": false}}]))),
    )
    .await;
    assert_eq!(off.status, 200, "{:?}", off.body);
    assert_eq!(t.get("/api/v1/me", &token).await.status, 401, "refused at once");
    let on = scim(
        &t,
        Method::PATCH,
        "/Users/frank",
        Some(&patch_ops(json!([{"op": "replace", "path": "active", "value": true}]))),
    )
    .await;
    assert_eq!(on.body["active"], true);
    assert_eq!(t.get("/api/v1/me", &token).await.status, 200, "enabled again");
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scim_token_does_no_more_than_its_user() {
    let t = start_sqlite().await;
    // A user with accounts.manage, but not an admin: it cannot deprovision
    // the admin (it does not dominate it) nor make itself more.
    let manager = t
        .user_with("manager", json!({"account_permissions": ["accounts.manage"]}))
        .await;
    let listed = scim_with(&t, Method::GET, "/Users", Some(&manager), None, &[]).await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    let off = patch_ops(json!([{"op": "replace", "path": "active", "value": false}]));
    let refused = scim_with(&t, Method::PATCH, "/Users/admin", Some(&manager), Some(&off), &[]).await;
    assert_error(&refused, 403, None);
    assert_eq!(scim(&t, Method::GET, "/Users/admin", None).await.body["active"], true);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_documents_tell_the_truth() {
    let t = start_sqlite().await;
    let spc = scim(&t, Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(spc.status, 200);
    assert_eq!(spc.body["patch"]["supported"], true);
    assert_eq!(spc.body["bulk"]["supported"], false);
    assert_eq!(spc.body["etag"]["supported"], true);
    assert_eq!(spc.body["filter"]["supported"], true);
    let types = scim(&t, Method::GET, "/ResourceTypes", None).await;
    assert_eq!(types.body["totalResults"], 2);
    let user = scim(&t, Method::GET, "/ResourceTypes/User", None).await;
    assert_eq!(user.body["endpoint"], "/Users");
    let schemas = scim(&t, Method::GET, "/Schemas", None).await;
    assert_eq!(schemas.body["totalResults"], 2);
    let schema = scim(
        &t,
        Method::GET,
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group",
        None,
    )
    .await;
    assert_eq!(schema.body["name"], "Group");
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_native_api_refuses_to_edit_a_scim_users_profile_status_and_password() {
    let t = start_sqlite().await;
    create_user(&t, "gina").await;
    // SPEC §13: profile, status and password of a user managed by SCIM are
    // read-only outside SCIM (409 `managed_upstream` once the operations
    // layer names it; refused either way, and nothing changes).
    let refused = |a: &Answer| a.status == 409 || a.status == 403;
    let disable = t.post("/api/v1/users/gina/disable", &t.admin, &json!({})).await;
    assert!(refused(&disable), "{:?}", disable.body);
    let email = t
        .call(
            Method::PATCH,
            "/api/v1/users/gina",
            Some(&t.admin),
            Some(&json!({"email": "x@example.org"})),
        )
        .await;
    assert!(refused(&email), "{:?}", email.body);
    let password = t
        .call(
            Method::PUT,
            "/api/v1/users/gina/password",
            Some(&t.admin),
            Some(&json!({"password": "a-long-enough-password"})),
        )
        .await;
    assert!(password.status.is_client_error(), "{:?}", password.body);
    let now = scim(&t, Method::GET, "/Users/gina", None).await;
    assert_eq!(now.body["active"], true);
    assert_eq!(now.body["emails"][0]["value"], "gina@example.com");
    // Its memberships stay Gatehouse's: the native API adds it to a group.
    let group = t
        .post(
            "/api/v1/groups",
            &t.admin,
            &json!({"name": "native", "description": "", "members": ["gina"]}),
        )
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    t.finish().await;
}

/// `meta.created` and `meta.lastModified` of a SCIM document, parsed.
fn meta_times(doc: &Value) -> (time::OffsetDateTime, time::OffsetDateTime) {
    let at = |k: &str| {
        let text = doc["meta"][k].as_str().unwrap();
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
    };
    (at("created"), at("lastModified"))
}

#[tokio::test(flavor = "multi_thread")]
async fn last_modified_moves_with_each_change_and_created_stays() {
    let t = start_sqlite().await;
    let created = create_user(&t, "mod.user").await;
    let (born, first) = meta_times(&created);
    assert_eq!(born, first, "a new user was last modified when it was created");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let rename = patch_ops(json!([{"op": "Replace", "path": "displayName", "value": "Renamed"}]));
    let patched = scim(&t, Method::PATCH, "/Users/mod.user", Some(&rename)).await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    let (still_born, modified) = meta_times(&patched.body);
    assert_eq!(still_born, born);
    assert!(modified > first, "{first} → {modified}");
    assert_ne!(patched.body["meta"]["version"], created["meta"]["version"]);
    let read = scim(&t, Method::GET, "/Users/mod.user", None).await;
    assert_eq!(
        meta_times(&read.body),
        (born, modified),
        "the time is kept, not made up"
    );

    // A group has both times too, and its users joining moves the second.
    let group =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Timed", "members": []});
    let made = scim(&t, Method::POST, "/Groups", Some(&group)).await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    let (g_born, g_first) = meta_times(&made.body);
    assert_eq!(g_born, g_first);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let join = patch_ops(json!([{"op": "add", "path": "members", "value": [{"value": "mod.user"}]}]));
    let joined = scim(&t, Method::PATCH, "/Groups/Timed", Some(&join)).await;
    assert_eq!(joined.status, 200, "{:?}", joined.body);
    let (g_still, g_modified) = meta_times(&joined.body);
    assert_eq!(g_still, g_born);
    assert!(g_modified > g_first);
    assert_ne!(joined.body["meta"]["version"], made.body["meta"]["version"]);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_put_with_external_id_and_members_is_one_commit() {
    let t = start_sqlite().await;
    for u in ["m1", "m2"] {
        create_user(&t, u).await;
    }
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops", "externalId": "ops-1", "members": [{"value": "m1"}]});
    let before = t.revision().await;
    let created = scim(&t, Method::POST, "/Groups", Some(&group)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(t.revision().await, before + 1, "a create with members is one commit");

    let before = t.revision().await;
    let replaced = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops", "externalId": "ops-2", "members": [{"value": "m2"}]});
    let put = scim(&t, Method::PUT, "/Groups/Ops", Some(&replaced)).await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(put.body["externalId"], "ops-2");
    assert_eq!(put.body["members"][0]["value"], "m2");
    assert_eq!(put.body["members"].as_array().unwrap().len(), 1);
    assert_eq!(t.revision().await, before + 1, "externalId and members in one commit");
    assert_eq!(put.body["meta"]["version"], format!("W/\"{}\"", before + 1));

    let audit = t.get("/api/v1/audit?target=Ops&event=group.updated", &t.admin).await;
    let records = audit.body["items"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["via"], "scim");
    assert_eq!(records[0]["before"]["external_id"], "ops-1");
    assert_eq!(records[0]["after"]["external_id"], "ops-2");
    assert_eq!(records[0]["after"]["members"], json!(["m2"]));

    // The same document again changes nothing and writes nothing.
    let again = scim(&t, Method::PUT, "/Groups/Ops", Some(&replaced)).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(t.revision().await, before + 1);

    // A stale If-Match refuses the whole change.
    let stale = scim_with(
        &t,
        Method::PUT,
        "/Groups/Ops",
        Some(&t.admin.clone()),
        Some(&group),
        &[("if-match", "W/\"1\"")],
    )
    .await;
    assert_error(&stale, 412, None);
    let unknown = json!({"displayName": "Ops", "externalId": "ops-3", "members": [{"value": "nobody"}]});
    assert_error(
        &scim(&t, Method::PUT, "/Groups/Ops", Some(&unknown)).await,
        400,
        Some("invalidValue"),
    );
    let read = scim(&t, Method::GET, "/Groups/Ops", None).await;
    assert_eq!(read.body["externalId"], "ops-2", "a refused request wrote nothing");
    assert_eq!(t.revision().await, before + 1);
    t.finish().await;
}
