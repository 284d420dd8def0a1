//! Request bodies are strict (SPEC §7): an unknown field is an error that
//! names it, and becomes a 422 naming it.

use gatehouse_api::*;
use serde::Deserialize;

fn rejects<'a, T: Deserialize<'a> + std::fmt::Debug>(body: &'a str, field: &str) {
    let error = serde_json::from_str::<T>(body).unwrap_err();
    assert!(
        error.to_string().contains(&format!("unknown field `{field}`")),
        "{} for {body}: {error}",
        std::any::type_name::<T>()
    );
    let problem = Problem::from_json_error(&error);
    assert_eq!(
        (problem.code, problem.status),
        (ErrorCode::ValidationFailed, 422),
        "{body}"
    );
    assert_eq!(problem.errors[0].field, field, "{body}");
    assert_eq!(problem.errors[0].code, "unknown_field", "{body}");
}

#[test]
fn unknown_fields_are_named() {
    rejects::<CreateUser>(r#"{"email": "a@example.com", "admn": true}"#, "admn");
    rejects::<CreateUser>(
        r#"{"email": "a@example.com", "memberships": [{"project": "web", "roles": [], "role": "x"}]}"#,
        "role",
    );
    rejects::<PatchUser>(r#"{"status": "disabled"}"#, "status");
    rejects::<SetPassword>(r#"{"new_password": "x", "old_password": "y"}"#, "old_password");
    rejects::<Login>(r#"{"username": "a", "password": "b", "remember": true}"#, "remember");
    rejects::<TokenRequest>(r#"{"username": "a", "password": "b", "scope": "x"}"#, "scope");
    rejects::<CreateToken>(r#"{"expires": 10}"#, "expires");
    rejects::<CreateToken>(r#"{"scope": [{"project": "web", "action": ["a"]}]}"#, "action");
    rejects::<CreateGroup>(r#"{"name": "g", "users": []}"#, "users");
    rejects::<PatchGroup>(r#"{"name": "g"}"#, "name");
    rejects::<PatchGroupMembers>(r#"{"add": [], "delete": []}"#, "delete");
    rejects::<CreateEnvironment>(r#"{"name": "QA", "project": "web"}"#, "project");
    rejects::<CreateRole>(r#"{"name": "r", "action": ["a"]}"#, "action");
    rejects::<PatchRole>(r#"{"discard": true}"#, "discard");
    rejects::<CreateProject>(r#"{"key": "web", "display_name": "Web", "admin": []}"#, "admin");
    rejects::<CreateProject>(
        r#"{"key": "web", "display_name": "Web", "admin_privileges": {"manage_members": true, "manage_resources": true, "index_resources": true, "x": 1}}"#,
        "x",
    );
    rejects::<PatchProject>(r#"{"key": "web2"}"#, "key");
    rejects::<SetRoles>(r#"{"roles": ["Developer"], "role": "x"}"#, "role");
    rejects::<CheckRequest>(
        r#"{"action": "a", "project": "web", "enviroment": "DEV"}"#,
        "enviroment",
    );
    rejects::<CheckRequest>(
        r#"{"action": "a", "resource": {"type": "t", "name": "n", "env": "DEV"}}"#,
        "env",
    );
    rejects::<BatchRequest>(r#"{"checks": [{"action": "a", "project": "web", "x": 1}]}"#, "x");
    rejects::<BatchRequest>(r#"{"checks": [], "explain": true}"#, "explain");
}

#[test]
fn a_scope_is_the_user_text_or_a_list() {
    let err = serde_json::from_str::<Scope>(r#""applied-permissions/all""#).unwrap_err();
    assert!(err.to_string().contains("applied-permissions/all"), "{err}");
    assert_eq!(
        serde_json::from_str::<Scope>(r#""applied-permissions/user""#).unwrap(),
        Scope::User
    );
}

#[test]
fn a_check_names_a_project_or_a_resource() {
    let check = |body: &str| serde_json::from_str::<CheckRequest>(body).unwrap().validate();
    assert!(check(r#"{"action": "a", "project": "web"}"#).is_ok());
    assert!(check(r#"{"action": "a", "resource": {"type": "repository", "name": "n"}}"#).is_ok());
    for body in [
        r#"{"action": "a"}"#,
        r#"{"action": "a", "project": "web", "resource": {"type": "repository", "name": "n"}}"#,
        r#"{"action": "a", "environment": "DEV", "resource": {"type": "repository", "name": "n"}}"#,
    ] {
        assert_eq!(check(body).unwrap_err().code(), "validation_failed", "{body}");
    }
}

#[test]
fn a_batch_holds_at_most_1000_checks() {
    let one = CheckRequest {
        user: None,
        action: "repository.read".into(),
        project: Some("web".into()),
        environment: Some("DEV".into()),
        resource: None,
        explain: false,
        min_revision: None,
    };
    let batch = |n| BatchRequest {
        checks: vec![one.clone(); n],
    };
    assert!(batch(BatchRequest::MAX).validate().is_ok());
    assert_eq!(
        batch(BatchRequest::MAX + 1).validate().unwrap_err().code(),
        "validation_failed"
    );
}
