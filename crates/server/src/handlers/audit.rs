//! The audit log (SPEC §9.1): filtered, cursor-paged reading and NDJSON
//! export, for holders of `audit.read`.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::store::AuditFilter;
use serde::Deserialize;
use time::OffsetDateTime;

use super::respond::Params;
use crate::operations::{Paging, Via};
use crate::problem::ApiProblem;
use crate::state::App;

/// `?actor=&event=&target=&project=&since=&until=&limit=&cursor=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Acting username.
    pub actor: Option<String>,
    /// Event, e.g. `user.created`.
    pub event: Option<String>,
    /// Target id, e.g. a username.
    pub target: Option<String>,
    /// Project key.
    pub project: Option<String>,
    /// Not before (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>)]
    pub since: Option<OffsetDateTime>,
    /// Before (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>)]
    pub until: Option<OffsetDateTime>,
    /// At most this many records (default 100, at most 1,000).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        AuditFilter {
            actor: given(&self.actor),
            event: given(&self.event),
            target: given(&self.target),
            project: given(&self.project),
            since: self.since,
            until: self.until,
        }
    }

    fn paging(&self) -> Paging {
        Paging {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// `GET /api/v1/audit`: records oldest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<api::AuditRecord>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(app): State<App>,
    Params(query): Params<AuditQuery>,
) -> Result<Json<Page<api::AuditRecord>>, ApiProblem> {
    let found = app.ops(Via::Api).audit(&query.filter(), &query.paging()).await?;
    Ok(Json(Page::map(found.items, found.next_cursor, |r| {
        api::AuditRecord::from(&r)
    })))
}

/// `GET /api/v1/audit/export`: every matching record, one JSON object per
/// line, streamed.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(AuditQuery),
    responses((status = 200, content_type = "application/x-ndjson", body = api::AuditRecord), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn export(State(app): State<App>, Params(query): Params<AuditQuery>) -> Result<Response, ApiProblem> {
    let filter = query.filter();
    // Read the first batch now, so a bad cursor is a problem, not a cut stream.
    let first = app.ops(Via::Api).audit_batch(&filter, query.cursor.clone()).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut batch = first;
        loop {
            let mut lines = Vec::new();
            for record in &batch.items {
                if serde_json::to_writer(&mut lines, &api::AuditRecord::from(record)).is_err() {
                    return;
                }
                lines.push(b'\n');
            }
            if tx.send(Ok(lines)).await.is_err() {
                return;
            }
            let Some(cursor) = batch.next_cursor.take() else {
                return;
            };
            batch = match app.ops(Via::Api).audit_batch(&filter, Some(cursor)).await {
                Ok(next) => next,
                Err(problem) => {
                    tracing::error!(code = %problem.code(), "audit export failed midway");
                    let _ = tx.send(Err(std::io::Error::other("the store failed"))).await;
                    return;
                }
            };
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `GET /api/v1/audit/verify`: the hash chain in the store recomputed.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = api::AuditChain), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn verify(State(app): State<App>) -> Result<Json<api::AuditChain>, ApiProblem> {
    Ok(Json(app.ops(Via::Api).verify_audit_chain().await?))
}
