//! Observing requests (SPEC §9.2, §9.3): each request runs with its id in
//! scope, leaves one log line (method, route, status, latency, request id,
//! user — never a secret) and feeds the Prometheus metrics on `/metrics`.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::caller::CallerName;
use crate::problem::{CURRENT_REQUEST_ID, request_id};

/// Latency buckets, in seconds: 50 µs to 10 s.
const BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's metrics recorder, installed on first use.
pub fn recorder() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)
                .map_or_else(
                    |_| PrometheusBuilder::new().build_recorder(),
                    PrometheusBuilder::build_recorder,
                );
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics stays empty");
            }
            metrics::describe_counter!(
                "gatehouse_http_requests_total",
                "HTTP requests by method, route and status"
            );
            metrics::describe_histogram!(
                "gatehouse_http_request_duration_seconds",
                metrics::Unit::Seconds,
                "HTTP request latency by method, route and status"
            );
            metrics::describe_counter!("gatehouse_login_failures_total", "Failed logins and token exchanges");
            metrics::describe_gauge!(
                "gatehouse_snapshot_revision",
                "The revision the in-memory snapshot reflects"
            );
            handle
        })
        .clone()
}

/// Runs the request with its id in scope, then logs and measures it.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| route_label(p.as_str()));
    let id = request_id(request.headers()).unwrap_or_default();
    let client = request
        .extensions()
        .get::<crate::client_address::ClientAddress>()
        .map(|c| c.address);
    let response = CURRENT_REQUEST_ID.scope(id.clone(), next.run(request)).await;
    let latency = started.elapsed();
    let status = response.status().as_u16();
    let labels = [
        metrics::Label::new("method", method_label(&method)),
        metrics::Label::from_static_parts("route", route),
        metrics::Label::new("status", status_label(status)),
    ];
    metrics::counter!("gatehouse_http_requests_total", labels.iter()).increment(1);
    metrics::histogram!("gatehouse_http_request_duration_seconds", labels.iter()).record(latency.as_secs_f64());
    let user = response.extensions().get::<CallerName>().map_or("-", |c| c.0.as_str());
    tracing::info!(
        method = %method,
        route = %route,
        status,
        latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
        request_id = %id,
        user,
        client = client.map(tracing::field::display),
        "request"
    );
    response
}

/// The route pattern as a static label (every pattern is in `ROUTES` or
/// the Swagger UI's).
fn route_label(matched: &str) -> &'static str {
    static ROUTES: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    ROUTES
        .get_or_init(|| crate::router::ROUTES.iter().map(|r| (r.path, r.path)).collect())
        .get(matched)
        .copied()
        .unwrap_or(crate::router::DOCS_PATH)
}

/// A method label, without an allocation for the usual ones.
fn method_label(method: &Method) -> metrics::SharedString {
    match *method {
        Method::GET => metrics::SharedString::const_str("GET"),
        Method::POST => metrics::SharedString::const_str("POST"),
        Method::PUT => metrics::SharedString::const_str("PUT"),
        Method::PATCH => metrics::SharedString::const_str("PATCH"),
        Method::DELETE => metrics::SharedString::const_str("DELETE"),
        _ => metrics::SharedString::from(method.as_str().to_owned()),
    }
}

/// A status label, without an allocation for the usual ones.
fn status_label(status: u16) -> metrics::SharedString {
    const COMMON: [(u16, &str); 16] = [
        (200, "200"),
        (201, "201"),
        (204, "204"),
        (400, "400"),
        (401, "401"),
        (403, "403"),
        (404, "404"),
        (405, "405"),
        (408, "408"),
        (409, "409"),
        (412, "412"),
        (413, "413"),
        (422, "422"),
        (429, "429"),
        (500, "500"),
        (503, "503"),
    ];
    COMMON.iter().find(|(code, _)| *code == status).map_or_else(
        || metrics::SharedString::from(status.to_string()),
        |(_, s)| metrics::SharedString::const_str(s),
    )
}
