//! Problem+json answers (SPEC §7): the api crate's [`Problem`] as an axum
//! response, stamped with the id of the request it answers. Every handler
//! error is an [`ApiProblem`]; store failures are logged and answered as
//! `internal` without their text.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_api::{ErrorCode, PROBLEM_CONTENT_TYPE, Problem};
use gatehouse_domain::{DomainError, StoreError};

/// The request-id header (SPEC §7).
pub const REQUEST_ID: &str = "x-request-id";

tokio::task_local! {
    /// The id of the request being served (set by `observe`).
    pub static CURRENT_REQUEST_ID: String;
}

/// The id of the request being served, if any.
#[must_use]
pub fn current_request_id() -> Option<String> {
    CURRENT_REQUEST_ID.try_with(Clone::clone).ok()
}

/// A problem answering one request, with any headers it needs
/// (`Retry-After`, `WWW-Authenticate`).
///
/// Or the answer of a dry run (SPEC §7.2): an operation run with a preview
/// stops at its commit and leaves by this path — so that nothing after the
/// commit point can run — carrying the impact, which renders as a 200.
#[derive(Debug)]
pub struct ApiProblem {
    /// The body (boxed: handlers return it in every `Err`).
    pub problem: Box<Problem>,
    headers: Vec<(HeaderName, HeaderValue)>,
    dry_run: Option<Box<gatehouse_api::DryRun>>,
}

impl ApiProblem {
    /// A problem with `code` and `detail`.
    #[must_use]
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::from(Problem::new(code, detail))
    }

    /// The same problem with one more header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The answer of a dry run: nothing was written.
    #[must_use]
    pub fn dry_run(answer: gatehouse_api::DryRun) -> Self {
        Self {
            dry_run: Some(Box::new(answer)),
            ..Self::from(Problem::new(ErrorCode::Internal, "a dry run answers its impact"))
        }
    }

    /// The impact, when this is the answer of a dry run.
    #[must_use]
    pub fn dry_run_answer(&self) -> Option<&gatehouse_api::DryRun> {
        self.dry_run.as_deref()
    }

    /// The code.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        self.problem.code
    }

    /// 401 `unauthenticated`, with the challenge of RFC 6750.
    #[must_use]
    pub fn unauthenticated(detail: &str) -> Self {
        Self::new(ErrorCode::Unauthenticated, detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 500 `internal` for a failure that is logged here, not returned.
    #[must_use]
    pub fn internal(what: &str, error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "{what}");
        Self::new(ErrorCode::Internal, "an internal error occurred; nothing was written")
    }
}

impl From<Problem> for ApiProblem {
    fn from(problem: Problem) -> Self {
        Self {
            problem: Box::new(problem),
            headers: Vec::new(),
            dry_run: None,
        }
    }
}

impl From<ErrorCode> for ApiProblem {
    fn from(code: ErrorCode) -> Self {
        Self::from(Problem::from(code))
    }
}

impl From<DomainError> for ApiProblem {
    fn from(error: DomainError) -> Self {
        match &error {
            DomainError::Store(message) => tracing::error!(error = %message, "store failure"),
            DomainError::Unavailable { detail, .. } => {
                tracing::warn!(error = %detail, "the store is unavailable; nothing was written");
                // The client may retry: a connection comes back within a
                // second or two, space is freed by someone.
                return Self::from(Problem::from(&error))
                    .with_header(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_UNAVAILABLE));
            }
            _ => {}
        }
        Self::from(Problem::from(&error))
    }
}

/// `Retry-After` (seconds) of an answer for a store that is unavailable.
const RETRY_AFTER_UNAVAILABLE: &str = "1";

impl From<gatehouse_domain::FieldError> for ApiProblem {
    fn from(error: gatehouse_domain::FieldError) -> Self {
        Self::from(DomainError::field(error))
    }
}

impl From<StoreError> for ApiProblem {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Stale { .. } | StoreError::Conflict(_) => {
                Self::new(ErrorCode::Conflict, "a concurrent change won; read again and retry")
            }
            StoreError::InvalidCursor => Self::new(ErrorCode::InvalidCursor, "the cursor was not issued here"),
            StoreError::Unavailable { full, detail } => Self::from(DomainError::Unavailable { full, detail }),
            StoreError::Backend(message) => Self::internal("store failure", &message),
        }
    }
}

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        if let Some(answer) = self.dry_run {
            return (StatusCode::OK, axum::Json(*answer)).into_response();
        }
        let mut problem = *self.problem;
        if problem.request_id.is_none() {
            problem.request_id = current_request_id();
        }
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        let mut response = (status, headers, body).into_response();
        response.extensions_mut().insert(problem.code);
        response
    }
}

/// The request's id from its headers, as the request-id layer set it.
#[must_use]
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned)
}
