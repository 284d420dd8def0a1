//! JFrog's error body, `{"errors": [{"code", "message"}]}`, and the status
//! a Gatehouse error code answers with on this layer: JFrog's conventions,
//! where invalid input is a 400 (never a 422).

use gatehouse_api::{ErrorCode, Problem};
use serde::{Deserialize, Serialize};

/// One entry of JFrog's error body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEntry {
    /// JFrog's code for the status, e.g. `BAD_REQUEST`, `NOT_FOUND`.
    pub code: String,
    /// What went wrong, for people: Gatehouse's stable code, then the detail.
    pub message: String,
}

/// JFrog's error body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The errors; one, or one per invalid field.
    pub errors: Vec<ErrorEntry>,
}

/// A refusal on the JFrog layer: its HTTP status and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: ErrorBody,
}

impl Failure {
    /// A refusal with Gatehouse's `code` and one message.
    #[must_use]
    pub fn new(code: ErrorCode, message: impl AsRef<str>) -> Self {
        let status = status(code);
        Self {
            status,
            body: ErrorBody {
                errors: vec![ErrorEntry {
                    code: jfrog_code(status).to_owned(),
                    message: format!("{}: {}", code.as_str(), message.as_ref()),
                }],
            },
        }
    }

    /// Invalid input (400): what JFrog answers for a request it cannot take.
    #[must_use]
    pub fn invalid(message: impl AsRef<str>) -> Self {
        Self::new(ErrorCode::ValidationFailed, message)
    }

    /// Invalid input naming a field.
    #[must_use]
    pub fn field(field: &str, message: impl AsRef<str>) -> Self {
        Self::invalid(format!("`{field}`: {}", message.as_ref()))
    }

    /// A request Gatehouse understands but cannot honour without giving
    /// more than asked, or than it can keep (400, saying so).
    #[must_use]
    pub fn unsupported(what: impl AsRef<str>) -> Self {
        Self::invalid(format!("Gatehouse cannot honour {}", what.as_ref()))
    }

    /// The JFrog form of a refusal answered in plain text before any
    /// handler read the request (a body over the size limit, a framework
    /// rejection): its status kept but a 422 is a 400; the text, or the
    /// status's name, as the message.
    #[must_use]
    pub fn plain(status: u16, text: &str) -> Self {
        let status = if status == 422 { 400 } else { status };
        let code = jfrog_code(status);
        let text = text.trim();
        let message = if text.is_empty() {
            code.to_ascii_lowercase()
        } else {
            text.chars().take(500).collect()
        };
        Self {
            status,
            body: ErrorBody {
                errors: vec![ErrorEntry {
                    code: code.to_owned(),
                    message,
                }],
            },
        }
    }

    /// The JFrog form of a native problem: the same decision, JFrog's
    /// status and body. Each invalid field is its own entry.
    #[must_use]
    pub fn from_problem(problem: &Problem) -> Self {
        let status = status(problem.code);
        let code = jfrog_code(status).to_owned();
        let prefix = problem.code.as_str();
        let mut errors: Vec<ErrorEntry> = problem
            .errors
            .iter()
            .map(|f| ErrorEntry {
                code: code.clone(),
                message: format!("{prefix}: `{}`: {}", f.field, f.message),
            })
            .collect();
        if errors.is_empty() {
            let mut message = format!("{prefix}: {}", problem.detail);
            if let Some(lost) = &problem.discarded_actions {
                message.push_str(&format!(" (would discard: {})", lost.join(", ")));
            }
            if let Some(using) = &problem.in_use {
                message.push_str(&format!(" (in use by: {})", using.join(", ")));
            }
            errors.push(ErrorEntry { code, message });
        }
        Self {
            status,
            body: ErrorBody { errors },
        }
    }
}

/// The status a Gatehouse error code answers with on the JFrog layer: the
/// native one, except that every refusal of the input is a 400.
#[must_use]
pub const fn status(code: ErrorCode) -> u16 {
    match code.status() {
        422 => 400,
        other => other,
    }
}

/// JFrog's code for an HTTP status.
#[must_use]
pub const fn jfrog_code(status: u16) -> &'static str {
    match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        408 => "REQUEST_TIMEOUT",
        409 => "CONFLICT",
        412 => "PRECONDITION_FAILED",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        429 => "TOO_MANY_REQUESTS",
        503 => "SERVICE_UNAVAILABLE",
        _ => "INTERNAL_SERVER_ERROR",
    }
}

#[cfg(test)]
mod tests {
    use gatehouse_api::{ErrorCode, Problem, ProblemField};

    use super::{Failure, status};

    #[test]
    fn every_code_keeps_its_status_but_invalid_input_is_400() {
        for code in ErrorCode::ALL {
            let expected = match code.status() {
                422 => 400,
                s => s,
            };
            assert_eq!(status(code), expected, "{code:?}");
            assert_ne!(status(code), 422, "{code:?}");
        }
    }

    #[test]
    fn a_problem_becomes_jfrog_errors_one_per_field() {
        for (problem, want_status, want) in [
            (
                Problem::new(ErrorCode::NotFound, "project `web` not found"),
                404,
                vec![("NOT_FOUND", "not_found: project `web` not found")],
            ),
            (
                Problem::new(ErrorCode::RoleEmpty, "a role must grant at least one action"),
                400,
                vec![("BAD_REQUEST", "role_empty: a role must grant at least one action")],
            ),
            (
                Problem::new(ErrorCode::Escalation, "you do not hold `repository.delete`"),
                403,
                vec![("FORBIDDEN", "escalation: you do not hold `repository.delete`")],
            ),
            (
                Problem::new(ErrorCode::AlreadyExists, "project `web` already exists"),
                409,
                vec![("CONFLICT", "already_exists: project `web` already exists")],
            ),
            (
                {
                    let mut p = Problem::new(ErrorCode::ValidationFailed, "invalid");
                    p.errors = vec![
                        ProblemField {
                            field: "key".into(),
                            code: "invalid".into(),
                            message: "bad".into(),
                        },
                        ProblemField {
                            field: "name".into(),
                            code: "required".into(),
                            message: "is required".into(),
                        },
                    ];
                    p
                },
                400,
                vec![
                    ("BAD_REQUEST", "validation_failed: `key`: bad"),
                    ("BAD_REQUEST", "validation_failed: `name`: is required"),
                ],
            ),
            (
                {
                    let mut p = Problem::new(ErrorCode::InUse, "in use");
                    p.in_use = Some(vec!["web/dev".into()]);
                    p
                },
                409,
                vec![("CONFLICT", "in_use: in use (in use by: web/dev)")],
            ),
        ] {
            let failure = Failure::from_problem(&problem);
            assert_eq!(failure.status, want_status, "{problem:?}");
            let got: Vec<_> = failure
                .body
                .errors
                .iter()
                .map(|e| (e.code.as_str(), e.message.as_str()))
                .collect();
            assert_eq!(got, want, "{problem:?}");
        }
    }

    #[test]
    fn a_plain_refusal_keeps_its_status_and_text() {
        let long = "x".repeat(600);
        for (status, text, want) in [
            (
                413,
                "length limit exceeded",
                (413, "PAYLOAD_TOO_LARGE", "length limit exceeded".to_owned()),
            ),
            (
                415,
                "  Expected request with `Content-Type: application/json`\n",
                (
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "Expected request with `Content-Type: application/json`".to_owned(),
                ),
            ),
            (422, "bad", (400, "BAD_REQUEST", "bad".to_owned())),
            (400, "", (400, "BAD_REQUEST", "bad_request".to_owned())),
            (500, long.as_str(), (500, "INTERNAL_SERVER_ERROR", "x".repeat(500))),
        ] {
            let failure = Failure::plain(status, text);
            let entry = &failure.body.errors[0];
            assert_eq!(
                (failure.status, entry.code.as_str(), entry.message.clone()),
                want,
                "{status} {text:?}"
            );
            assert_eq!(failure.body.errors.len(), 1);
        }
    }

    #[test]
    fn the_body_is_jfrogs_shape() {
        let body = serde_json::to_value(Failure::unsupported("a refreshable token").body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"errors": [{"code": "BAD_REQUEST",
                "message": "validation_failed: Gatehouse cannot honour a refreshable token"}]})
        );
    }
}
