//! Observing requests (SPEC §9.2, §9.3): each request runs with its id in
//! scope, leaves one log line (method, route, status, latency, request id,
//! user — never a secret) and feeds the Prometheus metrics on `/metrics`.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
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
                .set_buckets_for_metric(Matcher::Full(CHECK_DURATION.to_owned()), &CHECK_BUCKETS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS))
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
            metrics::describe_histogram!(
                CHECK_DURATION,
                metrics::Unit::Seconds,
                "In-process permission check latency, one check in 64 timed"
            );
            metrics::describe_gauge!(
                "gatehouse_change_log_lag_revisions",
                "How many revisions the snapshot is behind the store"
            );
            metrics::describe_gauge!(
                "gatehouse_snapshot_behind_seconds",
                "How long the snapshot has been behind the store; 0 when caught up"
            );
            metrics::describe_gauge!("gatehouse_store_revision", "The newest revision the store was seen at");
            metrics::describe_gauge!(
                "gatehouse_store_reachable",
                "1 while the store answers, 0 while it does not (checks answer from the last snapshot)"
            );
            metrics::describe_gauge!(
                "gatehouse_store_unreachable_seconds",
                "How long the store has not answered; 0 while it answers"
            );
            handle
        })
        .clone()
}

/// The route patterns of the router, as static metric labels: given by the
/// router, so that observing needs nothing from above it.
#[derive(Clone, Debug)]
pub struct RouteLabels {
    known: Arc<HashMap<&'static str, &'static str>>,
    other: &'static str,
}

impl RouteLabels {
    /// The labels of `patterns`; a matched pattern not among them (the
    /// Swagger UI's) is labelled `other`.
    pub fn new(patterns: impl IntoIterator<Item = &'static str>, other: &'static str) -> Self {
        Self {
            known: Arc::new(patterns.into_iter().map(|p| (p, p)).collect()),
            other,
        }
    }
}

/// Runs the request with its id in scope, then logs and measures it.
pub async fn observe(State(routes): State<RouteLabels>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| route_label(&routes, p.as_str()));
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
fn route_label(routes: &RouteLabels, matched: &str) -> &'static str {
    routes.known.get(matched).copied().unwrap_or(routes.other)
}

/// A method label, from a fixed set: any method outside it is `other`, so
/// no request can add a label value (a made-up method would otherwise grow
/// `/metrics` and memory without a login).
fn method_label(method: &Method) -> metrics::SharedString {
    metrics::SharedString::const_str(match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    })
}

/// One check in this many is timed (SPEC §9.3), counted per thread: the
/// others cost one increment of a thread-local counter (a shared atomic
/// bounced its cache line between the server's threads on every check).
pub const CHECK_SAMPLE_EVERY: u64 = 64;

/// Buckets of the in-process check latency, in seconds: 100 ns to 1 ms.
const CHECK_BUCKETS: [f64; 10] = [
    0.000_000_1,
    0.000_000_25,
    0.000_000_5,
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_1,
    0.001,
];

/// The in-process check latency histogram.
pub const CHECK_DURATION: &str = "gatehouse_check_duration_seconds";

/// Runs `decide`, timing it into [`CHECK_DURATION`] one time in
/// [`CHECK_SAMPLE_EVERY`].
pub fn sampled_check<T>(decide: impl FnOnce() -> T) -> T {
    thread_local! {
        static CHECKS: Cell<u64> = const { Cell::new(0) };
    }
    let seen = CHECKS.with(|checks| checks.replace(checks.get().wrapping_add(1)));
    if !seen.is_multiple_of(CHECK_SAMPLE_EVERY) {
        return decide();
    }
    let started = Instant::now();
    let result = decide();
    metrics::histogram!(CHECK_DURATION).record(started.elapsed().as_secs_f64());
    result
}

/// How far the snapshot is behind the store, and since when (SPEC §9.3):
/// fed by whoever reads the store's revision (the follower, `/metrics`)
/// and by each published snapshot.
#[derive(Debug, Default)]
pub struct Lag {
    state: Mutex<LagState>,
}

#[derive(Debug, Default)]
struct LagState {
    /// The newest store revision seen.
    store: u64,
    /// When the snapshot was first seen behind it; `None` while caught up.
    since: Option<Instant>,
    /// When the store first failed to answer; `None` while it answers.
    unreachable_since: Option<Instant>,
}

/// What `/readyz` and `/metrics` say about an instance's freshness.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Freshness {
    /// The newest revision the store was seen at.
    pub store_revision: u64,
    /// The revision the snapshot answers from.
    pub snapshot_revision: u64,
    /// How many revisions the snapshot is behind the store.
    pub behind_revisions: u64,
    /// For how long it has been behind; zero when caught up.
    pub behind: std::time::Duration,
    /// For how long the store has not answered; `None` while it answers.
    pub unreachable_for: Option<std::time::Duration>,
}

impl Freshness {
    /// Whether answers may come from an older model than the store's:
    /// the snapshot is behind, or the store cannot be asked.
    #[must_use]
    pub fn stale(&self) -> bool {
        self.behind_revisions > 0 || self.unreachable_for.is_some()
    }

    /// The freshness as JSON members (of `/readyz`'s answer).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let since = |d: std::time::Duration| {
            let at = time::OffsetDateTime::now_utc() - d;
            at.format(&time::format_description::well_known::Rfc3339).ok()
        };
        serde_json::json!({
            "store_revision": self.store_revision,
            "snapshot_revision": self.snapshot_revision,
            "behind_revisions": self.behind_revisions,
            "behind_seconds": self.behind.as_secs_f64(),
            "behind_since": (self.behind_revisions > 0).then(|| since(self.behind)).flatten(),
            "store_reachable": self.unreachable_for.is_none(),
            "unreachable_since": self.unreachable_for.and_then(since),
            "stale": self.stale(),
        })
    }

    /// Sets the freshness gauges of `/metrics`.
    pub fn record(&self) {
        metrics::gauge!("gatehouse_store_revision").set(self.store_revision as f64);
        metrics::gauge!("gatehouse_change_log_lag_revisions").set(self.behind_revisions as f64);
        metrics::gauge!("gatehouse_snapshot_behind_seconds").set(self.behind.as_secs_f64());
        metrics::gauge!("gatehouse_store_reachable").set(if self.unreachable_for.is_some() { 0.0 } else { 1.0 });
        metrics::gauge!("gatehouse_store_unreachable_seconds")
            .set(self.unreachable_for.unwrap_or_default().as_secs_f64());
    }
}

impl Lag {
    /// The store did not answer (a lost connection, a failover).
    pub fn store_unreachable(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.unreachable_since.get_or_insert_with(Instant::now);
        }
    }

    /// The freshness of a snapshot at `snapshot`.
    pub fn freshness(&self, snapshot: u64) -> Freshness {
        let (behind_revisions, behind) = self.behind(snapshot);
        let (store_revision, unreachable_for) = self.state.lock().map_or((snapshot, None), |state| {
            (
                state.store.max(snapshot),
                state.unreachable_since.map(|at| at.elapsed()),
            )
        });
        Freshness {
            store_revision,
            snapshot_revision: snapshot,
            behind_revisions,
            behind,
            unreachable_for,
        }
    }

    /// The store was seen at `store` while the snapshot was at `snapshot`.
    pub fn store_at(&self, store: u64, snapshot: u64) {
        if let Ok(mut state) = self.state.lock() {
            state.unreachable_since = None;
            state.store = state.store.max(store);
            if state.store > snapshot {
                state.since.get_or_insert_with(Instant::now);
            } else {
                state.since = None;
            }
        }
    }

    /// A snapshot at `snapshot` was published.
    pub fn published(&self, snapshot: u64) {
        if let Ok(mut state) = self.state.lock()
            && state.store <= snapshot
        {
            state.since = None;
        }
    }

    /// Revisions behind, and for how long, for a snapshot at `snapshot`.
    pub fn behind(&self, snapshot: u64) -> (u64, std::time::Duration) {
        self.state.lock().map_or((0, std::time::Duration::ZERO), |state| {
            let revisions = state.store.saturating_sub(snapshot);
            let since = state.since.filter(|_| revisions > 0).map(|at| at.elapsed());
            (revisions, since.unwrap_or_default())
        })
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Lag;

    #[test]
    fn lag_is_how_far_behind_and_since_when() {
        let lag = Lag::default();
        lag.store_at(5, 5);
        assert_eq!(
            lag.behind(5),
            (0, Duration::ZERO),
            "caught up, however old the last change"
        );
        lag.store_at(8, 5);
        std::thread::sleep(Duration::from_millis(20));
        lag.store_at(9, 5);
        let (revisions, since) = lag.behind(5);
        assert_eq!(revisions, 4);
        assert!(
            since >= Duration::from_millis(20),
            "since it first fell behind: {since:?}"
        );
        lag.published(7);
        assert_eq!(lag.behind(7).0, 2, "still behind");
        assert!(lag.behind(7).1 >= Duration::from_millis(20));
        lag.published(9);
        assert_eq!(lag.behind(9), (0, Duration::ZERO));
    }

    #[test]
    fn freshness_flags_a_store_that_does_not_answer_until_it_answers_again() {
        let lag = Lag::default();
        lag.store_at(4, 4);
        assert!(!lag.freshness(4).stale());
        lag.store_unreachable();
        let fresh = lag.freshness(4);
        assert!(fresh.stale() && fresh.unreachable_for.is_some());
        assert_eq!(fresh.to_json()["store_reachable"], false);
        lag.store_at(6, 4);
        let fresh = lag.freshness(4);
        assert_eq!(
            (fresh.unreachable_for, fresh.behind_revisions, fresh.store_revision),
            (None, 2, 6)
        );
        assert!(fresh.to_json()["behind_since"].is_string());
    }
}
