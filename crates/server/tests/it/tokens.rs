//! Access tokens over HTTP (SPEC §6.3): shown once, revoked or expired
//! tokens refused on the next request, never outliving their user, scopes
//! that narrow, and who may see and revoke whose tokens.

use reqwest::Method;
use serde_json::json;

use crate::spawn::{Backend, start_sqlite, start_with};

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_token_is_refused_on_the_next_request() {
    let t = start_sqlite().await;
    let gus = t.user("gus").await;
    let created = t.post("/api/v1/tokens", &gus, &json!({"description": "ci"})).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let secret = created.body["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("gate_"));
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/api/v1/me", &secret).await.status, 200);

    let listed = t.get("/api/v1/tokens", &gus).await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the login token and this one");
    assert!(items.iter().all(|i| i.get("token").is_none()), "secrets are shown once");

    let revoked = t
        .call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&gus), None)
        .await;
    assert_eq!(revoked.status, 204);
    let refused = t.get("/api/v1/me", &secret).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.code(), "unauthenticated");
    assert_eq!(t.get("/api/v1/me", &gus).await.status, 200, "other tokens live on");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_refused() {
    let t = start_sqlite().await;
    let created = t.post("/api/v1/tokens", &t.admin, &json!({"expires_in": 1})).await;
    assert_eq!(created.status, 201);
    let secret = created.body["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/api/v1/me", &secret).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;
    assert_eq!(t.get("/api/v1/me", &secret).await.status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn lifetimes_obey_the_instance_limits() {
    let t = start_sqlite().await;
    let forever = t.post("/api/v1/tokens", &t.admin, &json!({"expires_in": 0})).await;
    assert_eq!(forever.status, 422);
    assert_eq!(forever.body["errors"][0]["field"], "expires_in");
    let too_long = t
        .post("/api/v1/tokens", &t.admin, &json!({"expires_in": 3_651 * 86_400}))
        .await;
    assert_eq!(too_long.status, 422);
    let default = t.post("/api/v1/tokens", &t.admin, &json!({})).await;
    let created = time::OffsetDateTime::parse(
        default.body["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        default.body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - created).whole_days(), 365, "one year by default");

    let allowing = start_with(&Backend::Sqlite, |c| c.allow_non_expiring_tokens = true).await;
    let forever = allowing
        .post("/api/v1/tokens", &allowing.admin, &json!({"expires_in": 0}))
        .await;
    assert_eq!(forever.status, 201);
    assert!(forever.body["expires_at"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_never_outlive_their_user() {
    let t = start_sqlite().await;
    let hal = t.user("hal").await;
    assert_eq!(
        t.post("/api/v1/users/hal/disable", &t.admin, &json!({})).await.status,
        200
    );
    assert_eq!(t.get("/api/v1/tokens", &hal).await.status, 401, "disabled");
    assert_eq!(
        t.post("/api/v1/users/hal/enable", &t.admin, &json!({})).await.status,
        200
    );
    assert_eq!(t.get("/api/v1/tokens", &hal).await.status, 200);
    let deleted = t.call(Method::DELETE, "/api/v1/users/hal", Some(&t.admin), None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(t.get("/api/v1/tokens", &hal).await.status, 401, "deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn scopes_are_validated_when_a_token_is_created() {
    let t = start_sqlite().await;
    // Scopes name projects; the admin narrows to a project that does not exist → 422.
    let unknown = t
        .post(
            "/api/v1/tokens",
            &t.admin,
            &json!({"scope": [{"project": "nowhere", "actions": ["repository.read"]}]}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{:?}", unknown.body);
    assert_eq!(unknown.body["errors"][0]["field"], "scope[0].project");
    let bad = t
        .post("/api/v1/tokens", &t.admin, &json!({"scope": "everything"}))
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn who_sees_and_revokes_whose_tokens() {
    let t = start_sqlite().await;
    let ivy = t.user("ivy").await;
    let jon = t.user("jon").await;
    let manager = t
        .user_with("kim", json!({"account_permissions": ["accounts.manage"]}))
        .await;

    assert_eq!(t.get("/api/v1/users/ivy/tokens", &ivy).await.status, 200, "one's own");
    assert_eq!(
        t.get("/api/v1/users/ivy/tokens", &jon).await.status,
        404,
        "another's: not visible"
    );
    let listed = t.get("/api/v1/users/ivy/tokens", &manager).await;
    assert_eq!(listed.status, 200);
    let id = listed.body["items"][0]["id"].as_str().unwrap().to_owned();

    let by_jon = t
        .call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&jon), None)
        .await;
    assert_eq!(by_jon.status, 404);
    assert_eq!(t.get("/api/v1/me", &ivy).await.status, 200);
    let for_other = t.post("/api/v1/users/ivy/tokens", &manager, &json!({})).await;
    assert_eq!(for_other.status, 403, "only a platform admin creates tokens for others");

    let by_admin = t
        .post("/api/v1/users/ivy/tokens", &t.admin, &json!({"description": "service"}))
        .await;
    assert_eq!(by_admin.status, 201);
    assert_eq!(by_admin.body["username"], "ivy");
    let audit = t.get("/api/v1/audit?event=token.created&actor=admin", &t.admin).await;
    let records = audit.body["items"].as_array().unwrap();
    assert!(
        records
            .iter()
            .any(|r| r["after"]["username"] == "ivy" && r["actor"]["username"] == "admin"),
        "audited with both names: {records:?}"
    );

    let by_manager = t
        .call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&manager), None)
        .await;
    assert_eq!(by_manager.status, 204);
    assert_eq!(t.get("/api/v1/me", &ivy).await.status, 401);
}
