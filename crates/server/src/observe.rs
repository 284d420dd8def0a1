//! Observing requests (SPEC §9.2, §9.3): each request runs with its id in
//! scope, leaves one log line (method, route, status, latency, request id,
//! user — never a secret) and feeds the Prometheus metrics on `/metrics`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
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
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let id = request_id(request.headers()).unwrap_or_default();
    let response = CURRENT_REQUEST_ID.scope(id.clone(), next.run(request)).await;
    let latency = started.elapsed();
    let status = response.status().as_u16();
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route.clone()),
        ("status", status.to_string()),
    ];
    metrics::counter!("gatehouse_http_requests_total", &labels).increment(1);
    metrics::histogram!("gatehouse_http_request_duration_seconds", &labels).record(latency.as_secs_f64());
    let user = response.extensions().get::<CallerName>().map_or("-", |c| c.0.as_str());
    tracing::info!(
        method = %method,
        route = %route,
        status,
        latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
        request_id = %id,
        user,
        "request"
    );
    response
}
