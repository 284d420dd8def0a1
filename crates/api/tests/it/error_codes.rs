//! The one table from error codes to HTTP statuses (SPEC §7).

use std::collections::BTreeSet;

use gatehouse_api::ErrorCode;
use gatehouse_authz::{Escalation, QueryError};
use gatehouse_domain::{DomainError, FieldError};

#[test]
fn every_code_has_a_distinct_wire_name_that_serde_agrees_with() {
    let names: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names.len(), ErrorCode::ALL.len(), "two codes share a wire name");
    for code in ErrorCode::ALL {
        let json = serde_json::to_value(code).unwrap();
        assert_eq!(json, code.as_str(), "serde name of {code:?}");
        assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
        assert!(!code.title().is_empty());
        assert!(
            [
                400, 401, 403, 404, 405, 408, 409, 412, 413, 415, 422, 429, 500, 503, 507
            ]
            .contains(&code.status()),
            "{code} has status {}",
            code.status()
        );
    }
}

#[test]
fn statuses_follow_spec_7() {
    for (code, status) in [
        ("malformed_json", 400),
        ("invalid_cursor", 400),
        ("validation_failed", 422),
        ("unknown_action", 422),
        ("environment_required", 422),
        ("role_empty", 422),
        ("member_needs_role", 422),
        ("confirmation_required", 422),
        ("unauthenticated", 401),
        ("invalid_credentials", 401),
        ("forbidden", 403),
        ("escalation", 403),
        ("not_found", 404),
        ("already_exists", 409),
        ("limit_exceeded", 409),
        ("would_discard_actions", 409),
        ("in_use", 409),
        ("environment_protected", 409),
        ("last_admin", 409),
        ("managed_upstream", 409),
        ("conflict", 409),
        ("method_not_allowed", 405),
        ("request_timeout", 408),
        ("precondition_failed", 412),
        ("payload_too_large", 413),
        ("unsupported_media_type", 415),
        ("rate_limited", 429),
        ("internal", 500),
        ("not_ready", 503),
        ("stale_snapshot", 503),
    ] {
        let parsed = ErrorCode::parse(code).unwrap();
        assert_eq!(parsed.status(), status, "{code}");
    }
}

#[test]
fn every_domain_error_maps_to_its_code_and_status() {
    let cases: Vec<(DomainError, &str, u16)> = vec![
        (
            DomainError::field(FieldError::required("email")),
            "validation_failed",
            422,
        ),
        (
            DomainError::NotFound {
                kind: "project",
                name: "web".into(),
            },
            "not_found",
            404,
        ),
        (DomainError::Forbidden("no".into()), "forbidden", 403),
        (DomainError::Escalation(Escalation::AdminOnly), "forbidden", 403),
        (
            DomainError::Escalation(Escalation::NotDominating(gatehouse_authz::Shortfall::Admin)),
            "escalation",
            403,
        ),
        (
            DomainError::AlreadyExists {
                kind: "user",
                name: "alice".into(),
            },
            "already_exists",
            409,
        ),
        (
            DomainError::LimitExceeded {
                what: "roles per project",
                limit: 30,
            },
            "limit_exceeded",
            409,
        ),
        (DomainError::RoleEmpty, "role_empty", 422),
        (DomainError::MemberNeedsRole, "member_needs_role", 422),
        (
            DomainError::WouldDiscardActions(vec!["build.delete".into()]),
            "would_discard_actions",
            409,
        ),
        (DomainError::InUse(vec!["Developer".into()]), "in_use", 409),
        (
            DomainError::EnvironmentProtected("DEV".into()),
            "environment_protected",
            409,
        ),
        (DomainError::ConfirmationRequired, "confirmation_required", 422),
        (DomainError::LastAdmin, "last_admin", 409),
        (DomainError::ManagedUpstream("ann".into()), "managed_upstream", 409),
        (DomainError::PreconditionFailed, "precondition_failed", 412),
        (DomainError::Conflict, "conflict", 409),
        (DomainError::Store("disk I/O error".into()), "internal", 500),
        (
            DomainError::Unavailable {
                full: false,
                detail: "connection reset".into(),
            },
            "not_ready",
            503,
        ),
        (
            DomainError::Unavailable {
                full: true,
                detail: "database or disk is full".into(),
            },
            "insufficient_storage",
            507,
        ),
    ];
    for (error, code, status) in cases {
        let mapped = ErrorCode::from(&error);
        assert_eq!(mapped.as_str(), code, "{error:?}");
        assert_eq!(mapped.as_str(), error.code(), "the domain's own code for {error:?}");
        assert_eq!(mapped.status(), status, "{error:?}");
    }
}

#[test]
fn query_errors_are_validation_errors() {
    for (error, code) in [
        (QueryError::UnknownAction, "unknown_action"),
        (QueryError::EnvironmentRequired, "environment_required"),
        (QueryError::ActionNotOfResourceType, "validation_failed"),
    ] {
        let mapped = ErrorCode::from(error);
        assert_eq!(mapped.as_str(), code);
        assert_eq!(mapped.status(), 422);
    }
}

#[test]
fn docs_errors_md_lists_every_code_with_its_status() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/errors.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(
        rows.len(),
        ErrorCode::ALL.len(),
        "one row per code in {}",
        path.display()
    );
    for code in ErrorCode::ALL {
        let row = format!("| `{}` | {} |", code.as_str(), code.status());
        assert!(rows.iter().any(|r| r.starts_with(&row)), "docs/errors.md lacks `{row}`");
    }
}
