//! Problem+json answers (SPEC §7): the api crate's [`Problem`] as an axum
//! response, carrying the request's id.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_api::{ErrorCode, PROBLEM_CONTENT_TYPE, Problem};

/// The request-id header (SPEC §7).
pub const REQUEST_ID: &str = "x-request-id";

/// A problem answering one request.
#[derive(Debug)]
pub struct ApiProblem(pub Problem);

impl ApiProblem {
    /// A problem with `code` and `detail`, answering the request whose
    /// headers are `headers`.
    #[must_use]
    pub fn new(code: ErrorCode, detail: impl Into<String>, headers: &HeaderMap) -> Self {
        let problem = Problem::new(code, detail);
        match request_id(headers) {
            Some(id) => Self(problem.with_request_id(id)),
            None => Self(problem),
        }
    }
}

/// The request's id, as the request-id layer set it.
#[must_use]
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE))],
            body,
        )
            .into_response()
    }
}
