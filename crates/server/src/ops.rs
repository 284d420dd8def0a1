//! Ops endpoints (SPEC §7): `/healthz` (process up), `/readyz` (store
//! reachable, snapshot loaded), and the 404 answer for unknown routes.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use gatehouse_api::ErrorCode;
use gatehouse_domain::Store as _;
use serde_json::json;

use crate::problem::ApiProblem;
use crate::state::App;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the store answers and a snapshot is loaded.
pub async fn readyz(State(app): State<App>, headers: HeaderMap) -> Response {
    match app.store().revision().await {
        Ok(revision) => Json(json!({
            "status": "ready",
            "revision": revision,
            "snapshot_revision": app.snapshot().revision(),
        }))
        .into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness: the store does not answer");
            ApiProblem::new(ErrorCode::NotReady, "the store does not answer", &headers).into_response()
        }
    }
}

/// Any route the router does not have.
pub async fn not_found(headers: HeaderMap) -> ApiProblem {
    ApiProblem::new(ErrorCode::NotFound, "no such route", &headers)
}
