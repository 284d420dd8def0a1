//! The shapes handlers answer in: written (with `Gatehouse-Revision`),
//! tagged (with an `ETag`), and the request pieces every list and update
//! reads (`limit`/`cursor`, `If-Match`), refused as problem+json.

use axum::Json;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_api::{ErrorCode, Page, ProblemField};
use gatehouse_domain::store::PageRequest;
use serde::Serialize;
use serde::de::DeserializeOwned;

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
        match self.0 {
            Some(read) if read != current => Err(ApiProblem::new(
                ErrorCode::PreconditionFailed,
                format!("`If-Match` names version {read}; it is at {current}: read it again"),
            )),
            _ => Ok(()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if_match(&parts.headers).map(Self)
    }
}

/// 404 `not_found` for the `kind` (`user`, `project`, …) named `name` —
/// also the answer for what the caller may not know exists (SPEC §7).
#[must_use]
pub fn not_found(kind: &'static str, name: &str) -> ApiProblem {
    gatehouse_domain::DomainError::NotFound {
        kind,
        name: name.to_owned(),
    }
    .into()
}

/// Every field error a request collected, as one 422 problem; `Ok` when
/// there is none.
///
/// # Errors
/// `validation_failed` listing `errors`.
pub fn refuse_invalid(errors: Vec<gatehouse_domain::FieldError>) -> Result<(), ApiProblem> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(gatehouse_domain::DomainError::Validation(errors).into())
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

/// One page of a list read whole (a user's tokens, roles, environments, the
/// projects a caller sees), paged by keyset as the store pages (SPEC §7):
/// `items` are put in `key` order and the cursor names the last key given,
/// so a page is never empty while a `next_cursor` follows it, and an item
/// removed between two pages moves nothing else. `listing` names the list
/// (with whose or where it is), so a cursor of another list is refused.
///
/// # Errors
/// 422 naming `limit`; 400 `invalid_cursor`.
pub fn page_of<T, K>(
    listing: &str,
    mut items: Vec<T>,
    key: impl Fn(&T) -> K,
    paging: &Paging,
) -> Result<Page<T>, ApiProblem>
where
    K: Ord + Serialize + DeserializeOwned,
{
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Cursor<K> {
        l: String,
        a: K,
    }

    let request = paging.request()?;
    items.sort_by_cached_key(|item| key(item));
    let start = match &request.cursor {
        None => 0,
        Some(raw) => {
            let cursor: Cursor<K> = URL_SAFE_NO_PAD
                .decode(raw)
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .filter(|c: &Cursor<K>| c.l == listing)
                .ok_or_else(|| ApiProblem::new(ErrorCode::InvalidCursor, "the cursor was not issued for this list"))?;
            items.partition_point(|item| key(item) <= cursor.a)
        }
    };
    let mut page: Vec<T> = items.into_iter().skip(start).take(request.limit + 1).collect();
    let next_cursor = if page.len() > request.limit {
        page.truncate(request.limit);
        page.last()
            .map(|last| {
                serde_json::to_vec(&Cursor {
                    l: listing.to_owned(),
                    a: key(last),
                })
                .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
                .map_err(|e| ApiProblem::internal("cannot write a cursor", &e))
            })
            .transpose()?
    } else {
        None
    };
    Ok(Page {
        items: page,
        next_cursor,
    })
}

/// `?limit=&cursor=`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// At most this many items (default 100, at most 1,000).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Paging {
    /// The store's page request.
    ///
    /// # Errors
    /// 422 naming `limit` outside 1..=1000.
    pub fn request(&self) -> Result<PageRequest, ApiProblem> {
        let limit = self.limit.unwrap_or(Page::<()>::DEFAULT_LIMIT);
        if !(1..=Page::<()>::MAX_LIMIT).contains(&limit) {
            return Err(gatehouse_domain::FieldError::invalid("limit", "must be 1 to 1000").into());
        }
        Ok(PageRequest {
            cursor: self.cursor.clone(),
            limit: limit as usize,
        })
    }
}
