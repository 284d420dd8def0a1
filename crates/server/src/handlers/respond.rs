//! The shapes handlers answer in: written (with `Gatehouse-Revision`),
//! tagged (with an `ETag`), and the request pieces every list and update
//! reads (`limit`/`cursor`, `If-Match`), refused as problem+json.

use axum::Json;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_api::{ErrorCode, ProblemField};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::operations::preview::{DEFAULT_LIMIT, MAX_LIMIT, Preview};
use crate::problem::ApiProblem;

/// The header carrying the revision a write produced (SPEC §7).
pub const REVISION: HeaderName = HeaderName::from_static("gatehouse-revision");

/// The answer to a write: `status`, the new revision, and a body (none
/// for 204).
pub struct Written<T> {
    /// The revision the write produced.
    pub revision: u64,
    /// 200, 201 or 204.
    pub status: StatusCode,
    /// The body.
    pub body: Option<T>,
}

impl<T> Written<T> {
    /// 200 with `body`.
    pub fn ok(revision: u64, body: T) -> Self {
        Self {
            revision,
            status: StatusCode::OK,
            body: Some(body),
        }
    }

    /// 201 with `body`.
    pub fn created(revision: u64, body: T) -> Self {
        Self {
            revision,
            status: StatusCode::CREATED,
            body: Some(body),
        }
    }
}

impl Written<()> {
    /// 204.
    #[must_use]
    pub fn no_content(revision: u64) -> Self {
        Self {
            revision,
            status: StatusCode::NO_CONTENT,
            body: None,
        }
    }
}

impl<T: Serialize> IntoResponse for Written<T> {
    fn into_response(self) -> Response {
        let header = [(REVISION, HeaderValue::from(self.revision))];
        match self.body {
            Some(body) => (self.status, header, Json(body)).into_response(),
            None => (self.status, header).into_response(),
        }
    }
}

/// A single resource with its `ETag` (its record's revision).
pub struct Tagged<T>(pub u64, pub T);

impl<T: Serialize> IntoResponse for Tagged<T> {
    fn into_response(self) -> Response {
        ([(header::ETAG, etag(self.0))], Json(self.1)).into_response()
    }
}

/// The `ETag` of a record at `revision`.
#[must_use]
pub fn etag(revision: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// `If-Match`, if sent: the revision the client read. `*` matches anything;
/// a value that is not one of our tags can never match (412).
///
/// # Errors
/// 412 `precondition_failed` for a value that is not an `ETag` of ours.
pub fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiProblem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiProblem::new(
                ErrorCode::PreconditionFailed,
                "`If-Match` names no version of this record",
            )
        })
}

/// `If-Match` (SPEC §7) as an extractor, for every write to a single
/// resource. A handler decides the command first (so a caller who may not
/// see the resource is answered 404 or 403, never 412), then, holding the
/// write lock, asks [`IfMatch::holds`] of the version the record is at: the
/// record's revision, or for what has none of its own (members,
/// environments, settings, tokens, resources) the model's, which is the
/// `ETag` of `GET /api/v1/settings` and the `Gatehouse-Revision` of writes.
#[derive(Clone, Copy, Debug, Default)]
pub struct IfMatch(pub Option<u64>);

impl IfMatch {
    /// Refuses when the client read another version than `current`.
    ///
    /// # Errors
    /// 412 `precondition_failed`: nothing is written.
    pub fn holds(self, current: u64) -> Result<(), ApiProblem> {
        crate::operations::expect_revision(self.0, current)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if_match(&parts.headers).map(Self)
    }
}

/// Query parameters of type `T`, refused as a 422 problem.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| Self(t))
            .map_err(|rejection| {
                ApiProblem::from(gatehouse_api::Problem::validation(vec![ProblemField {
                    field: "query".to_owned(),
                    code: "invalid".to_owned(),
                    message: rejection.body_text(),
                }]))
            })
    }
}

/// `?dry_run=true` (and `limit`) of a write that can change a decision
/// (SPEC §7.2): the write answers its impact and writes nothing.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DryRunQuery {
    /// `true`: validate, authorize and answer the impact; write nothing.
    pub dry_run: Option<bool>,
    /// With `dry_run`: list at most this many changes (default 100, at most 1,000).
    pub limit: Option<usize>,
}

/// A dry run asked for, or not: the `dry_run` and `limit` query parameters.
pub struct DryRun(Option<usize>);

impl DryRun {
    /// The preview `acting` asked for, if any.
    #[must_use]
    pub fn preview(&self, acting: &gatehouse_domain::commands::Acting) -> Option<Preview> {
        self.0.map(|limit| Preview::new(acting, limit))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DryRun {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Params(query) = Params::<DryRunQuery>::from_request_parts(parts, state).await?;
        let invalid = |field: &str, message: &str| {
            ApiProblem::from(gatehouse_api::Problem::validation(vec![ProblemField {
                field: field.to_owned(),
                code: "invalid".to_owned(),
                message: message.to_owned(),
            }]))
        };
        match (query.dry_run, query.limit) {
            (Some(true), limit) => match limit.unwrap_or(DEFAULT_LIMIT) {
                1..=MAX_LIMIT => Ok(Self(Some(limit.unwrap_or(DEFAULT_LIMIT)))),
                _ => Err(invalid("limit", "must be from 1 to 1000")),
            },
            (_, Some(_)) => Err(invalid("limit", "is only taken with `dry_run=true`")),
            _ => Ok(Self(None)),
        }
    }
}
