//! The SCIM 2.0 face at `/scim/v2` (SPEC §13, RFC 7643/7644): Users,
//! Groups, and the discovery documents. Each handler translates: SCIM wire
//! in (`gatehouse_scim` parses filters, PATCH and resources), one operation
//! of the operations layer (`app.ops(Via::Scim)`), SCIM wire out. Every refusal, the guard's
//! and the body limit's included, leaves in SCIM's error schema
//! ([`scim_errors`]).
//!
//! Authentication is the native API's: a bearer token whose user holds
//! `accounts.manage` (the route guard), and a token never does more than its
//! user (SPEC §2.4).

mod groups;
mod users;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get};
use gatehouse_api::ErrorCode;
use gatehouse_scim::{CONTENT_TYPE, ScimError, ScimType, discovery, list::Paging};
use serde_json::Value;

use crate::guard::guard;
use crate::needs::Needs;
use crate::problem::ApiProblem;
use crate::state::App;

/// Where the SCIM face is mounted.
pub const BASE_PATH: &str = "/scim/v2";

/// A refusal in SCIM's error schema.
#[derive(Debug)]
pub struct Fail(pub ScimError);

impl From<ScimError> for Fail {
    fn from(e: ScimError) -> Self {
        Self(e)
    }
}

impl From<ApiProblem> for Fail {
    fn from(p: ApiProblem) -> Self {
        let problem = &p.problem;
        let detail = if problem.errors.is_empty() {
            problem.detail.clone()
        } else {
            problem
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        };
        Self(match problem.code {
            ErrorCode::AlreadyExists => ScimError::uniqueness(detail),
            ErrorCode::ValidationFailed => ScimError::invalid_value(detail),
            ErrorCode::MalformedJson => ScimError::bad(ScimType::InvalidSyntax, detail),
            code => ScimError::status(code.status(), detail),
        })
    }
}

impl From<gatehouse_domain::DomainError> for Fail {
    fn from(e: gatehouse_domain::DomainError) -> Self {
        Self::from(ApiProblem::from(e))
    }
}

impl From<gatehouse_domain::StoreError> for Fail {
    fn from(e: gatehouse_domain::StoreError) -> Self {
        Self::from(ApiProblem::from(e))
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::BAD_REQUEST);
        scim_response(status, &self.0.to_json(), None)
    }
}

/// A SCIM answer: `application/scim+json`, with the `ETag` of `revision`.
pub fn scim_response(status: StatusCode, body: &Value, revision: Option<u64>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Some(etag) = revision.and_then(|r| HeaderValue::from_str(&gatehouse_scim::resource::etag(r)).ok()) {
        headers.insert(header::ETAG, etag);
    }
    (status, headers, serde_json::to_vec(body).unwrap_or_default()).into_response()
}

/// A written resource: 201 with `Location`, or 200.
fn written(created: bool, body: &Value, revision: u64) -> Response {
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let mut response = scim_response(status, body, Some(revision));
    if created
        && let Some(location) = body
            .pointer("/meta/location")
            .and_then(Value::as_str)
            .and_then(|l| HeaderValue::from_str(l).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A time as `meta` writes it (RFC 3339).
fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The SCIM base URL resources' `location` and `$ref` name.
fn base_url(app: &App) -> String {
    format!("{}{BASE_PATH}", app.config().base_url())
}

/// A request body: JSON (`application/scim+json` or any JSON type).
///
/// # Errors
/// 415 for another content type; 400 `invalidSyntax` for malformed JSON.
fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, Fail> {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| {
            let t = t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            t == "application/json" || t.ends_with("+json")
        });
    if !json_type {
        return Err(ScimError::status(415, "send `application/scim+json`").into());
    }
    serde_json::from_slice(body)
        .map_err(|e| ScimError::bad(ScimType::InvalidSyntax, format!("malformed JSON: {e}")).into())
}

/// `If-Match` as the revision the client read (`None`: absent or `*`); a
/// value naming no version of ours can never match.
fn if_match(headers: &HeaderMap) -> Option<u64> {
    let text = headers.get(header::IF_MATCH)?.to_str().unwrap_or_default().trim();
    if text == "*" {
        return None;
    }
    Some(
        text.trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .unwrap_or(u64::MAX),
    )
}

/// 304 when `If-None-Match` names `revision`.
fn not_modified(headers: &HeaderMap, revision: u64) -> Option<Response> {
    let tag = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    gatehouse_scim::resource::etag_matches(tag, revision).then(|| {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&gatehouse_scim::resource::etag(revision)) {
            r.headers_mut().insert(header::ETAG, v);
        }
        r
    })
}

/// The list query: `filter`, `startIndex`, `count`, `attributes`,
/// `excludedAttributes`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
    #[serde(flatten)]
    _rest: std::collections::HashMap<String, String>,
}

impl ListQuery {
    fn paging(&self) -> Result<Paging, ScimError> {
        Paging::from_query(self.start_index.as_deref(), self.count.as_deref())
    }

    fn filter(&self) -> Result<Option<gatehouse_scim::Filter>, ScimError> {
        self.filter.as_deref().map(gatehouse_scim::parse_filter).transpose()
    }

    /// `doc` with only the attributes this query asks for.
    fn shown(&self, doc: Value) -> Value {
        project(doc, self.attributes.as_deref(), self.excluded_attributes.as_deref())
    }

    /// One resource at `revision` (`GET /Users/{id}`, `/Groups/{id}`): 304
    /// when `If-None-Match` names it, else the document with its ETag.
    fn one(&self, headers: &HeaderMap, revision: u64, doc: impl FnOnce() -> Value) -> Response {
        not_modified(headers, revision)
            .unwrap_or_else(|| scim_response(StatusCode::OK, &self.shown(doc()), Some(revision)))
    }

    /// The ListResponse of `docs` that `filter` keeps (`None`: all of
    /// them), counted whole and paged by `startIndex`/`count`.
    fn listed(
        &self,
        docs: impl IntoIterator<Item = Value>,
        filter: Option<&gatehouse_scim::Filter>,
        schema: &str,
    ) -> Result<Response, Fail> {
        let paging = self.paging()?;
        let mut page = Vec::new();
        let mut total = 0;
        for doc in docs {
            if let Some(f) = filter
                && !gatehouse_scim::filter::matches(f, &doc, schema)?
            {
                continue;
            }
            total += 1;
            if total > paging.offset() && page.len() < paging.count {
                page.push(self.shown(doc));
            }
        }
        let body = gatehouse_scim::list::list_response(total, paging, page);
        Ok(scim_response(StatusCode::OK, &body, None))
    }
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) on top-level
/// attributes: `id`, `schemas` and `meta` always stay.
fn project(mut doc: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let names = |list: &str| -> Vec<String> {
        list.split(',')
            .filter_map(|a| gatehouse_scim::path::parse_attr_path(a).ok())
            .map(|p| p.name.to_ascii_lowercase())
            .collect()
    };
    let always = ["id", "schemas", "meta"];
    if let Some(obj) = doc.as_object_mut() {
        if let Some(list) = attributes.filter(|a| !a.trim().is_empty()) {
            let keep = names(list);
            obj.retain(|k, _| always.contains(&k.as_str()) || keep.contains(&k.to_ascii_lowercase()));
        }
        if let Some(list) = excluded {
            let drop = names(list);
            obj.retain(|k, _| always.contains(&k.as_str()) || !drop.contains(&k.to_ascii_lowercase()));
        }
    }
    doc
}

/// Turns every problem+json answer (the guard's 401 and 403, the body
/// limit's 413, …) into SCIM's error schema.
async fn scim_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let problem: Option<gatehouse_api::Problem> = serde_json::from_slice(&bytes).ok();
    let mut out = match problem {
        Some(p) => Fail::from(ApiProblem::from(p)).into_response(),
        None => Fail(ScimError::status(parts.status.as_u16(), "refused")).into_response(),
    };
    *out.status_mut() = parts.status;
    for name in [header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

async fn me() -> Fail {
    Fail(ScimError::status(501, "`/Me` is not supported; use `/Users/{id}`"))
}

async fn unknown() -> Fail {
    Fail(ScimError::status(404, "no such SCIM endpoint"))
}

async fn service_provider_config(State(app): State<App>) -> Response {
    let base = base_url(&app);
    let docs = format!("{}/api/docs", app.config().base_url());
    scim_response(StatusCode::OK, &discovery::service_provider_config(&base, &docs), None)
}

fn listed(resources: Vec<Value>) -> Response {
    let total = resources.len();
    let paging = Paging {
        start_index: 1,
        count: total,
    };
    scim_response(
        StatusCode::OK,
        &gatehouse_scim::list::list_response(total, paging, resources),
        None,
    )
}

fn by_id(resources: Vec<Value>, id: &str) -> Response {
    resources
        .into_iter()
        .find(|r| r["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
        .map_or_else(
            || Fail(ScimError::status(404, format!("`{id}` not found"))).into_response(),
            |r| scim_response(StatusCode::OK, &r, None),
        )
}

async fn resource_types(State(app): State<App>) -> Response {
    listed(discovery::resource_types(&base_url(&app)))
}

async fn resource_type(State(app): State<App>, Path(id): Path<String>) -> Response {
    by_id(discovery::resource_types(&base_url(&app)), &id)
}

async fn schemas(State(app): State<App>) -> Response {
    listed(discovery::schemas(&base_url(&app)))
}

async fn schema(State(app): State<App>, Path(id): Path<String>) -> Response {
    by_id(discovery::schemas(&base_url(&app)), &id)
}

/// The SCIM routes, each behind the route guard (`accounts.manage`), every
/// answer in SCIM's shapes.
pub fn router(app: &App) -> Router<App> {
    let guarded = |m: MethodRouter<App>| {
        m.route_layer(middleware::from_fn_with_state(
            (
                app.clone(),
                Needs::Account(gatehouse_authz::AccountPermission::AccountsManage),
            ),
            guard,
        ))
    };
    Router::new()
        .route("/Users", guarded(get(users::list).post(users::create)))
        .route(
            "/Users/{id}",
            guarded(
                get(users::get)
                    .put(users::replace)
                    .patch(users::patch)
                    .delete(users::delete),
            ),
        )
        .route("/Groups", guarded(get(groups::list).post(groups::create)))
        .route(
            "/Groups/{id}",
            guarded(
                get(groups::get)
                    .put(groups::replace)
                    .patch(groups::patch)
                    .delete(groups::delete),
            ),
        )
        .route("/ServiceProviderConfig", guarded(get(service_provider_config)))
        .route("/ResourceTypes", guarded(get(resource_types)))
        .route("/ResourceTypes/{id}", guarded(get(resource_type)))
        .route("/Schemas", guarded(get(schemas)))
        .route("/Schemas/{id}", guarded(get(schema)))
        .route("/Me", any(me))
        .fallback(unknown)
        .layer(middleware::from_fn(scim_errors))
}
