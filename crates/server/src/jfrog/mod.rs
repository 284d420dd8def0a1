//! The JFrog Access-compatible face (SPEC §13): `/access/api/v1` and
//! `/access/api/v2`. Each handler translates JFrog's wire
//! (`gatehouse-jfrog`) to an operation's input, calls the operations layer
//! as `Via::Jfrog` — the same validation, rules and anti-escalation as
//! `/api/v1` — and translates the answer back (through the native wire
//! types, which the JFrog ones are mapped from); [`translate`] turns every
//! problem+json refusal, the route guard's included, into JFrog's
//! `{"errors": [{"code", "message"}]}`.

pub mod accounts;
pub mod environments;
pub mod projects;
pub mod tokens;

use std::future::Future;

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gatehouse_api::{PROBLEM_CONTENT_TYPE, Page, Problem};
use gatehouse_domain::store::Page as Found;
use gatehouse_jfrog::Failure;
use serde::Serialize;

use crate::operations::{OpResult, Paging};
use crate::problem::ApiProblem;

/// A refusal on this face: a native problem (translated by [`translate`])
/// or a JFrog failure (boxed: an answer is large, a refusal rare).
pub struct Refused(Box<Response>);

impl From<ApiProblem> for Refused {
    fn from(problem: ApiProblem) -> Self {
        Self(Box::new(problem.into_response()))
    }
}

impl From<Failure> for Refused {
    fn from(failure: Failure) -> Self {
        Self(Box::new(failure_response(&failure)))
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// What a handler of this face answers.
pub type Answer = Result<Response, Refused>;

fn failure_response(failure: &Failure) -> Response {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(&failure.body)).into_response()
}

/// `status` with `body` as JSON.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Answer {
    Ok((status, Json(body)).into_response())
}

/// Every item of a list, page after page (JFrog's lists of projects,
/// roles, members, environments and tokens are not paged).
///
/// # Errors
/// The first refusal.
pub async fn every<T, F, Fut>(mut page: F) -> Result<Vec<T>, Refused>
where
    F: FnMut(Paging) -> Fut,
    Fut: Future<Output = OpResult<Found<T>>>,
{
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let found = page(Paging {
            limit: Some(Page::<()>::MAX_LIMIT),
            cursor,
        })
        .await?;
        all.extend(found.items);
        match found.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

/// The `Content-Type` of a request.
#[must_use]
pub fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// Turns a problem+json answer into JFrog's error body and status (a 422
/// becomes a 400), and so a refusal in plain text (a body over the limit,
/// refused before the handler ran); other answers pass unchanged.
pub async fn translate(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let content_type = content_type(response.headers()).unwrap_or_default().to_owned();
    let is_problem = content_type.starts_with(PROBLEM_CONTENT_TYPE);
    let refused = response.status().is_client_error() || response.status().is_server_error();
    let plain_refusal = refused && !content_type.starts_with("application/json");
    if !is_problem && !plain_refusal {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let failure = if is_problem {
        let Ok(problem) = serde_json::from_slice::<Problem>(&bytes) else {
            return Response::from_parts(parts, Body::from(bytes));
        };
        Failure::from_problem(&problem)
    } else {
        Failure::plain(parts.status.as_u16(), &String::from_utf8_lossy(&bytes))
    };
    parts.status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(&failure.body).unwrap_or_default();
    Response::from_parts(parts, Body::from(body))
}
