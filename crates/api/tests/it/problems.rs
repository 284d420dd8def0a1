//! problem+json answers (RFC 9457, SPEC §7): shape, lists, no internals.

use gatehouse_api::{ErrorCode, Problem};
use gatehouse_domain::{DomainError, FieldError};
use serde_json::json;

fn body(error: DomainError) -> serde_json::Value {
    serde_json::to_value(Problem::from(&error).with_request_id("req-1")).unwrap()
}

#[test]
fn a_validation_problem_lists_its_fields() {
    let literal = json!({
        "type": "urn:gatehouse:problem:validation_failed",
        "title": "Validation failed",
        "status": 422,
        "code": "validation_failed",
        "detail": "invalid request: `username`: is required",
        "request_id": "req-1",
        "errors": [{"field": "username", "code": "required", "message": "is required"}]
    });
    assert_eq!(body(DomainError::field(FieldError::required("username"))), literal);
    let parsed: Problem = serde_json::from_value(literal).unwrap();
    assert_eq!(parsed.code, ErrorCode::ValidationFailed);
    assert_eq!(parsed.errors[0].field, "username");
}

#[test]
fn would_discard_actions_lists_the_actions() {
    let b = body(DomainError::WouldDiscardActions(vec![
        "build.delete".into(),
        "pipeline.trigger".into(),
    ]));
    assert_eq!(b["status"], 409);
    assert_eq!(b["code"], "would_discard_actions");
    assert_eq!(b["discarded_actions"], json!(["build.delete", "pipeline.trigger"]));
    assert!(b.get("errors").is_none());
}

#[test]
fn in_use_lists_the_users() {
    let b = body(DomainError::InUse(vec!["Developer".into(), "QA Tester".into()]));
    assert_eq!(b["status"], 409);
    assert_eq!(b["in_use"], json!(["Developer", "QA Tester"]));
    assert!(b.get("discarded_actions").is_none());
}

#[test]
fn a_store_failure_hides_its_text() {
    let b = body(DomainError::Store("SQLITE_BUSY at /var/lib/gatehouse/db.sqlite".into()));
    assert_eq!(b["status"], 500);
    assert_eq!(b["code"], "internal");
    let text = b.to_string();
    assert!(!text.contains("SQLITE") && !text.contains("/var/lib"), "{text}");
}

#[test]
fn every_problem_carries_its_code_s_status_and_title() {
    for code in ErrorCode::ALL {
        let b = serde_json::to_value(Problem::from(code)).unwrap();
        assert_eq!(b["status"], code.status());
        assert_eq!(b["code"], code.as_str());
        assert_eq!(b["title"], code.title());
        assert_eq!(b["type"], format!("urn:gatehouse:problem:{code}"));
    }
}

#[test]
fn bad_json_is_400_and_a_wrong_shape_is_422() {
    let syntax = serde_json::from_str::<gatehouse_api::SetRoles>("{\"roles\": [").unwrap_err();
    let p = Problem::from_json_error(&syntax);
    assert_eq!((p.code, p.status), (ErrorCode::MalformedJson, 400));

    let missing = serde_json::from_str::<gatehouse_api::SetRoles>("{}").unwrap_err();
    let p = Problem::from_json_error(&missing);
    assert_eq!((p.code, p.status), (ErrorCode::ValidationFailed, 422));
    assert_eq!(
        (p.errors[0].field.as_str(), p.errors[0].code.as_str()),
        ("roles", "required")
    );
}
