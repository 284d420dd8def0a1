//! Delegated user management (SPEC §13): a user managed by SCIM or OIDC
//! keeps its profile, status and password out of the native API's reach
//! (409 `managed_upstream`), while its memberships and groups stay
//! Gatehouse's; its source may change them, and a disable from the source
//! refuses the user's tokens at once. Every audit record names its face.

use gatehouse_authz::UserStatus;
use gatehouse_domain::Via;
use gatehouse_domain::commands::users::StatusChange;
use gatehouse_domain::entities::ManagedBy;
use gatehouse_server::operations::users::{CreateUserInput, PatchUserInput, UserRef};
use reqwest::Method;
use serde_json::{Value, json};

use crate::operations::acting;
use crate::spawn::{TestServer, password_of, start_sqlite};

/// Provisions `username` as its source `via` would (the SCIM and OIDC
/// faces call this operation).
async fn provision(t: &TestServer, username: &str, managed_by: ManagedBy, via: Via) {
    let input = CreateUserInput {
        email: format!("{username}@example.com"),
        username: Some(username.to_owned()),
        managed_by: Some(managed_by),
        ..CreateUserInput::default()
    };
    let done = t
        .server
        .app()
        .ops(via)
        .create_user(&acting("admin"), input)
        .await
        .unwrap();
    assert_eq!(done.value.managed_by, managed_by);
    assert_eq!(done.value.status, UserStatus::Active, "enabled at once, no invitation");
}

async fn audit_vias(t: &TestServer, target: &str, event: &str) -> Vec<Value> {
    let answer = t
        .get(&format!("/api/v1/audit?target={target}&event={event}"), &t.admin)
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["via"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn users_managed_upstream_are_read_only_here_but_their_access_is_not() {
    let t = start_sqlite().await;
    let admin = t.admin.clone();
    t.web_with_reader(vec![(
        Method::POST,
        "/api/v1/groups".to_owned(),
        json!({"name": "devs"}),
    )])
    .await;
    provision(&t, "sam", ManagedBy::Scim, Via::Scim).await;
    provision(&t, "olga", ManagedBy::Oidc, Via::Oidc).await;
    assert_eq!(audit_vias(&t, "sam", "user.created").await, [json!("scim")]);
    assert_eq!(audit_vias(&t, "olga", "user.created").await, [json!("oidc")]);

    for user in ["sam", "olga"] {
        let before = t.revision().await;
        let refused = [
            (
                Method::PATCH,
                format!("/api/v1/users/{user}"),
                Some(json!({"email": "new@example.com"})),
            ),
            (Method::POST, format!("/api/v1/users/{user}/disable"), None),
            (Method::POST, format!("/api/v1/users/{user}/enable"), None),
            (Method::POST, format!("/api/v1/users/{user}/unlock"), None),
            (
                Method::PUT,
                format!("/api/v1/users/{user}/password"),
                Some(json!({"new_password": password_of(user)})),
            ),
        ];
        for (method, path, body) in refused {
            let answer = t.call(method.clone(), &path, Some(&admin), body.as_ref()).await;
            assert_eq!(answer.status, 409, "{method} {path}: {:?}", answer.body);
            assert_eq!(answer.code(), "managed_upstream", "{method} {path}");
        }
        assert_eq!(t.revision().await, before, "{user}: nothing written");

        // Its access stays Gatehouse's: memberships, groups, permissions.
        let allowed = [
            (
                Method::PUT,
                format!("/api/v1/projects/web/members/users/{user}"),
                Some(json!({"roles": ["Reader"]})),
            ),
            (
                Method::PATCH,
                "/api/v1/groups/devs/members".to_owned(),
                Some(json!({"add": [user]})),
            ),
            (
                Method::PATCH,
                format!("/api/v1/users/{user}"),
                Some(json!({"account_permissions": ["audit.read"]})),
            ),
            (
                Method::DELETE,
                format!("/api/v1/projects/web/members/users/{user}"),
                None,
            ),
            (
                Method::PATCH,
                "/api/v1/groups/devs/members".to_owned(),
                Some(json!({"remove": [user]})),
            ),
        ];
        for (method, path, body) in allowed {
            let answer = t.call(method.clone(), &path, Some(&admin), body.as_ref()).await;
            assert!(answer.status.is_success(), "{method} {path}: {:?}", answer.body);
        }
        assert_eq!(audit_vias(&t, user, "user.updated").await, [json!("api")]);
    }
    assert_eq!(audit_vias(&t, "user/sam", "member.added").await, [json!("api")]);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_source_edits_what_it_owns_and_its_disable_refuses_tokens_at_once() {
    let t = start_sqlite().await;
    provision(&t, "sam", ManagedBy::Scim, Via::Scim).await;
    provision(&t, "olga", ManagedBy::Oidc, Via::Oidc).await;
    let admin = acting("admin");
    for (user, source, other) in [("sam", Via::Scim, Via::Oidc), ("olga", Via::Oidc, Via::Scim)] {
        let created = t
            .post(&format!("/api/v1/users/{user}/tokens"), &t.admin, &json!({}))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let token = created.body["token"].as_str().unwrap().to_owned();
        assert_eq!(t.get("/api/v1/me", &token).await.status, 200);

        // Another source is refused as the native API is.
        let patch = |email: &str| PatchUserInput {
            username: user.to_owned(),
            email: Some(email.to_owned()),
            ..PatchUserInput::default()
        };
        let refused = t
            .server
            .app()
            .ops(other)
            .patch_user(&admin, patch("x@example.com"))
            .await
            .unwrap_err();
        assert_eq!(refused.code().as_str(), "managed_upstream");
        let changed = t
            .server
            .app()
            .ops(source)
            .patch_user(&admin, patch(&format!("{user}.new@example.com")))
            .await
            .unwrap();
        assert_eq!(changed.value.email.unwrap().as_str(), format!("{user}.new@example.com"));

        let target = UserRef {
            username: user.to_owned(),
            expected_revision: None,
        };
        t.server
            .app()
            .ops(source)
            .set_user_status(&admin, target, StatusChange::Disable)
            .await
            .unwrap();
        assert_eq!(t.get("/api/v1/me", &token).await.status, 401, "refused at once");
        assert_eq!(audit_vias(&t, user, "user.disabled").await, [json!(source.as_str())]);

        // Deleting it is an admin's choice.
        let deleted = t
            .call(Method::DELETE, &format!("/api/v1/users/{user}"), Some(&t.admin), None)
            .await;
        assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    }
    t.finish().await;
}
