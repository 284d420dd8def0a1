//! Ops endpoints (SPEC §7, §9.3): `/healthz` (process up), `/readyz` (store
//! reachable, snapshot loaded), `/metrics` (Prometheus text), and the
//! answers for unknown routes and methods.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
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

/// `GET /readyz`: the store answers and a snapshot is loaded.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, description = "ready"), (status = 503, body = gatehouse_api::Problem, content_type = "application/problem+json")))]
pub async fn readyz(State(app): State<App>) -> Result<Json<serde_json::Value>, ApiProblem> {
    if app.is_stopping() {
        return Err(ApiProblem::new(ErrorCode::NotReady, "shutting down"));
    }
    match app.store().revision().await {
        Ok(revision) => {
            let mut body = json!({
                "status": "ready",
                "revision": revision,
                "snapshot_revision": app.snapshot().revision(),
            });
            // A provider that does not answer is a detail, not unreadiness:
            // password logins and every check still work (SPEC §13).
            if let Some(oidc) = app.oidc() {
                body["oidc"] = match oidc.problem() {
                    None => json!({"issuer": oidc.issuer(), "status": "ok"}),
                    Some(problem) => json!({"issuer": oidc.issuer(), "status": "unavailable", "detail": problem}),
                };
            }
            Ok(Json(body))
        }
        Err(error) => {
            tracing::warn!(%error, "readiness: the store does not answer");
            Err(ApiProblem::new(ErrorCode::NotReady, "the store does not answer"))
        }
    }
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, content_type = "text/plain", description = "Prometheus text exposition")))]
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    // How far behind the store, and since when — not the age of the last
    // change, which grows on an idle instance that is perfectly current.
    let snapshot_revision = app.snapshot().revision();
    if let Ok(store_revision) = app.store().revision().await {
        app.inner.lag.store_at(store_revision, snapshot_revision);
    }
    let (revisions, behind) = app.inner.lag.behind(app.snapshot().revision());
    metrics::gauge!("gatehouse_change_log_lag_revisions").set(revisions as f64);
    metrics::gauge!("gatehouse_snapshot_behind_seconds").set(behind.as_secs_f64());
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
