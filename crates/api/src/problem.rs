//! The one error shape of the native API: RFC 9457 `application/problem+json`
//! with a stable `code` (SPEC §7, Appendix A). Internals are never returned.

use gatehouse_authz::QueryError;
use gatehouse_domain::{DomainError, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error_code::ErrorCode;

/// The media type of a [`Problem`] body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The field code of a request field the native API does not know.
pub const UNKNOWN_FIELD: &str = "unknown_field";

/// One invalid field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProblemField {
    /// The field's path in the request, e.g. `roles[2]`.
    pub field: String,
    /// A stable code: `invalid`, `required`, `unknown`, `too_long`, `unknown_field`.
    pub code: String,
    /// What is wrong, for people.
    pub message: String,
}

impl From<&FieldError> for ProblemField {
    fn from(error: &FieldError) -> Self {
        Self {
            field: error.field.clone(),
            code: error.code.to_owned(),
            message: error.message.clone(),
        }
    }
}

/// An error answer (RFC 9457).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, `urn:gatehouse:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary fixed per code.
    pub title: String,
    /// The HTTP status, from [`ErrorCode::status`].
    pub status: u16,
    /// The stable code clients match on.
    pub code: ErrorCode,
    /// What went wrong in this case, for people.
    pub detail: String,
    /// The request's id (`X-Request-Id`), set by the server.
    pub request_id: Option<String>,
    /// The invalid fields of a `validation_failed` answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// The actions a `would_discard_actions` switch would lose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discarded_actions: Option<Vec<String>>,
    /// What an `in_use` role or environment is used by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_use: Option<Vec<String>>,
}

impl Problem {
    /// A problem with `code` and `detail` and nothing else.
    #[must_use]
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            type_uri: code.type_uri(),
            title: code.title().to_owned(),
            status: code.status(),
            code,
            detail: detail.into(),
            request_id: None,
            errors: Vec::new(),
            discarded_actions: None,
            in_use: None,
        }
    }

    /// The same problem, answering request `id`.
    #[must_use]
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// A `validation_failed` problem listing `errors`.
    #[must_use]
    pub fn validation(errors: Vec<ProblemField>) -> Self {
        let detail = if errors.is_empty() {
            "invalid request".to_owned()
        } else {
            let fields: Vec<String> = errors.iter().map(|e| format!("`{}`: {}", e.field, e.message)).collect();
            format!("invalid request: {}", fields.join("; "))
        };
        Self {
            errors,
            ..Self::new(ErrorCode::ValidationFailed, detail)
        }
    }

    /// The problem for a body `serde_json` refused: a syntax error is 400
    /// `malformed_json`; a body of the wrong shape (an unknown, missing or
    /// mistyped field) is 422 `validation_failed` naming the field when
    /// `serde_json` does.
    #[must_use]
    pub fn from_json_error(error: &serde_json::Error) -> Self {
        Self::from_json_error_at("", error)
    }

    /// As [`Problem::from_json_error`], for an error met at `path` in the
    /// body (`billing.plan`, `members[0]`; `.` or empty for the body
    /// itself), as `serde_path_to_error` reports it: the field errors name
    /// the full path.
    #[must_use]
    pub fn from_json_error_at(path: &str, error: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let path = if path == "." { "" } else { path };
        match error.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                Self::new(ErrorCode::MalformedJson, format!("malformed JSON: {error}"))
            }
            Category::Data => {
                let message = error.to_string();
                let backticked = |prefix: &str| {
                    message
                        .strip_prefix(prefix)
                        .and_then(|rest| rest.split('`').next())
                        .map(str::to_owned)
                };
                let text = message.split(" at line ").next().unwrap_or_default().to_owned();
                let field = if let Some(name) = backticked("unknown field `") {
                    // The path already ends with the unknown key when known.
                    let field = if path.is_empty() { name } else { path.to_owned() };
                    ProblemField {
                        field,
                        code: UNKNOWN_FIELD.to_owned(),
                        message: text,
                    }
                } else if let Some(name) = backticked("missing field `") {
                    ProblemField {
                        field: if path.is_empty() {
                            name
                        } else {
                            format!("{path}.{name}")
                        },
                        code: "required".to_owned(),
                        message: "is required".to_owned(),
                    }
                } else {
                    ProblemField {
                        field: path.to_owned(),
                        code: "invalid".to_owned(),
                        message: text,
                    }
                };
                Self::validation(vec![field])
            }
        }
    }
}

impl From<&DomainError> for Problem {
    fn from(error: &DomainError) -> Self {
        let code = ErrorCode::from(error);
        match error {
            DomainError::Validation(fields) => Self::validation(fields.iter().map(ProblemField::from).collect()),
            DomainError::WouldDiscardActions(actions) => Self {
                discarded_actions: Some(actions.clone()),
                ..Self::new(code, error.to_string())
            },
            DomainError::InUse(users) => Self {
                in_use: Some(users.clone()),
                ..Self::new(code, error.to_string())
            },
            // INVARIANT: a store failure's text (SQL, paths, drivers) is
            // logged by the server, never returned.
            DomainError::Store(_) => Self::new(code, "an internal error occurred; nothing was written"),
            DomainError::Unavailable { full, .. } => Self::new(code, unavailable_detail(*full)),
            DomainError::NotFound { .. }
            | DomainError::Forbidden(_)
            | DomainError::Escalation(_)
            | DomainError::AlreadyExists { .. }
            | DomainError::LimitExceeded { .. }
            | DomainError::RoleEmpty
            | DomainError::MemberNeedsRole
            | DomainError::EnvironmentProtected(_)
            | DomainError::ConfirmationRequired
            | DomainError::LastAdmin
            | DomainError::ManagedUpstream(_)
            | DomainError::PreconditionFailed
            | DomainError::Conflict => Self::new(code, error.to_string()),
        }
    }
}

impl From<DomainError> for Problem {
    fn from(error: DomainError) -> Self {
        Self::from(&error)
    }
}

impl From<QueryError> for Problem {
    fn from(error: QueryError) -> Self {
        Self::new(ErrorCode::from(error), error.to_string())
    }
}

impl From<ErrorCode> for Problem {
    fn from(code: ErrorCode) -> Self {
        Self::new(code, code.title())
    }
}

/// The detail of a 503 or 507 for a store that cannot be reached or cannot
/// write: what happened, in words a client can act on, never the driver's
/// text.
#[must_use]
pub const fn unavailable_detail(full: bool) -> &'static str {
    if full {
        "the store's disk is full; nothing was written — retry once space is freed"
    } else {
        "the store cannot be reached just now; nothing was written — retry after Retry-After"
    }
}
