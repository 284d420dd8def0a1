//! Ops endpoints (SPEC §7, §9.3): `/healthz` (process up), `/readyz` (store
//! reachable, snapshot loaded), `/metrics` (Prometheus text), and the
//! answers for unknown routes and methods.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gatehouse_api::ErrorCode;
use gatehouse_domain::Store as _;
use serde_json::json;

use crate::problem::ApiProblem;
use crate::state::App;

/// `GET /healthz`: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "the process is up")))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the store answers and a snapshot is loaded. Either way
/// the answer says how fresh this instance is (SPEC §8, §9.3): the store's
/// revision, the snapshot's, how far and since when it is behind, and
/// whether the store answers. While it does not, the answer is 503 — and
/// checks and reads keep answering from the snapshot, flagged `stale`.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, description = "ready"), (status = 503, body = gatehouse_api::Problem, content_type = "application/problem+json")))]
pub async fn readyz(State(app): State<App>) -> Response {
    if app.is_stopping() {
        return ApiProblem::new(ErrorCode::NotReady, "shutting down").into_response();
    }
    let answered = probe(&app).await;
    let freshness = app.inner.lag.freshness(app.snapshot().revision());
    let mut members = freshness.to_json();
    match answered {
        Some(revision) => {
            members["status"] = json!("ready");
            members["revision"] = json!(revision);
            // A provider that does not answer is a detail, not unreadiness:
            // password logins and every check still work (SPEC §13).
            if let Some(oidc) = app.oidc() {
                members["oidc"] = match oidc.problem() {
                    None => json!({"issuer": oidc.issuer(), "status": "ok"}),
                    Some(problem) => json!({"issuer": oidc.issuer(), "status": "unavailable", "detail": problem}),
                };
            }
            Json(members).into_response()
        }
        None => {
            let detail = format!(
                "the store does not answer; checks and reads answer from the snapshot at revision {}, \
                 which may be stale",
                freshness.snapshot_revision
            );
            let mut response = ApiProblem::new(ErrorCode::NotReady, detail)
                .with_header(header::RETRY_AFTER, header::HeaderValue::from_static("1"))
                .into_response();
            // RFC 9457 extension members: the freshness, as when ready.
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
            let mut problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({}));
            if let (Some(problem), Some(extra)) = (problem.as_object_mut(), members.as_object()) {
                problem.extend(extra.clone());
            }
            response = Response::from_parts(parts, axum::body::Body::from(problem.to_string()));
            response.headers_mut().remove(header::CONTENT_LENGTH);
            response
        }
    }
}

/// How long `/readyz` and `/metrics` wait for the store's revision.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Asks the store for its revision, noting the answer (or its absence) in
/// the instance's freshness; `None` when the store does not answer.
async fn probe(app: &App) -> Option<u64> {
    let asked = tokio::time::timeout(PROBE_TIMEOUT, app.store().revision()).await;
    match asked
        .map_err(|_| "no answer within 2 s".to_owned())
        .and_then(|r| r.map_err(|e| e.to_string()))
    {
        Ok(revision) => {
            app.inner.lag.store_at(revision, app.snapshot().revision());
            Some(revision)
        }
        Err(error) => {
            tracing::warn!(%error, "the store does not answer");
            app.inner.lag.store_unreachable();
            None
        }
    }
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, content_type = "text/plain", description = "Prometheus text exposition")))]
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    // How far behind the store, and since when — not the age of the last
    // change, which grows on an idle instance that is perfectly current.
    probe(&app).await;
    app.inner.lag.freshness(app.snapshot().revision()).record();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.inner.metrics.render(),
    )
}

/// Any route the router does not have.
pub async fn not_found() -> ApiProblem {
    ApiProblem::new(ErrorCode::NotFound, "no such route")
}

/// A known route called with a method it does not answer.
pub async fn method_not_allowed() -> ApiProblem {
    ApiProblem::new(ErrorCode::MethodNotAllowed, "this route does not answer that method")
}
