//! The operations layer (STYLE.md §14) called directly, without HTTP, over
//! a real SQLite store: what every face gets from one call.

use gatehouse_authz::{TokenScope, UserKind};
use gatehouse_domain::commands::Acting;
use gatehouse_domain::entities::ManagedBy;
use gatehouse_domain::names::Username;
use gatehouse_domain::store::AuditFilter;
use gatehouse_domain::{AuditActor, Store as _, Via};
use gatehouse_server::operations::users::{CreateUserInput, MembershipInput};
use gatehouse_server::operations::{Paging, Via as OpsVia};
use serde_json::json;

use crate::spawn::{password_of, start_sqlite};

/// `username` acting with a full-scope credential.
pub fn acting(username: &str) -> Acting {
    Acting {
        username: Username::parse(username).unwrap(),
        scope: TokenScope::user(),
        audit: AuditActor::default(),
        request_id: None,
    }
}

fn person(username: &str) -> CreateUserInput {
    CreateUserInput {
        email: format!("{username}@example.com"),
        username: Some(username.to_owned()),
        ..CreateUserInput::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_user_creates_with_a_password_and_invites_without_one() {
    let t = start_sqlite().await;
    let ops = t.server.app().ops(Via::Ui);
    let admin = acting("admin");

    let created = ops
        .create_user(
            &admin,
            CreateUserInput {
                password: Some(password_of("ann")),
                ..person("ann")
            },
        )
        .await
        .unwrap();
    assert!(created.value.password_hash.is_some(), "created with its password");
    assert_eq!(created.value.managed_by, ManagedBy::Local);
    assert!(created.revision > 0);
    let queued = ops.outbox(&Paging::default()).await.unwrap().items.len();
    assert_eq!(queued, 0, "no invitation for a user given a password");

    let invited = ops.create_user(&admin, person("bob")).await.unwrap();
    assert!(invited.value.password_hash.is_none());
    assert!(invited.revision > created.revision);
    let outbox = ops.outbox(&Paging::default()).await.unwrap().items;
    assert_eq!(outbox.len(), 1, "an invitation by email");
    assert_eq!(outbox[0].message.to.as_str(), "bob@example.com");

    let service = ops
        .create_user(
            &admin,
            CreateUserInput {
                kind: Some(UserKind::Service),
                ..person("svc")
            },
        )
        .await
        .unwrap();
    assert_eq!(service.value.kind, UserKind::Service);
    assert_eq!(
        ops.outbox(&Paging::default()).await.unwrap().items.len(),
        1,
        "no invitation for a service"
    );

    // The face is recorded in the audit record.
    let records = t
        .server
        .app()
        .store()
        .audit(
            &AuditFilter {
                target: Some("ann".into()),
                event: Some("user.created".into()),
                ..AuditFilter::default()
            },
            &gatehouse_domain::store::PageRequest {
                cursor: None,
                limit: 10,
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(records[0].entry.actor.via, Some(Via::Ui));
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn create_user_reports_every_invalid_field_with_its_path() {
    let t = start_sqlite().await;
    let input = CreateUserInput {
        email: "not an email".into(),
        account_permissions: vec!["accounts.manage".into(), "nonsense".into()],
        memberships: vec![MembershipInput {
            project: "web".into(),
            roles: vec!["Reader".into(), String::new()],
        }],
        username: Some("ann".into()),
        ..CreateUserInput::default()
    };
    let refused = t
        .server
        .app()
        .ops(OpsVia::Api)
        .create_user(&acting("admin"), input)
        .await
        .unwrap_err();
    assert_eq!(refused.code().as_str(), "validation_failed");
    let fields: Vec<&str> = refused.problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["email", "account_permissions[1]", "memberships[0].roles[1]"],
        "{refused:?}"
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operation_refuses_an_escalation_and_writes_nothing() {
    let t = start_sqlite().await;
    t.user_with("mia", json!({"account_permissions": ["accounts.manage"]}))
        .await;
    let before = t.revision().await;
    let ops = t.server.app().ops(Via::Ui);
    let refused = ops
        .create_user(
            &acting("mia"),
            CreateUserInput {
                admin: Some(true),
                ..person("eve")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.problem.status, 403, "{refused:?}");
    let refused = ops
        .create_user(
            &acting("mia"),
            CreateUserInput {
                account_permissions: vec!["audit.read".into()],
                password: Some(password_of("eve")),
                ..person("eve")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused.problem.status, 403,
        "not held, not granted (before any hashing): {refused:?}"
    );
    assert_eq!(t.revision().await, before, "nothing written");
    assert_eq!(t.get("/api/v1/users/eve", &t.admin).await.status, 404);
    t.finish().await;
}
