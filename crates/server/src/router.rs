//! The route table (STYLE §2.4): every route, its method and what a caller
//! needs to reach it, as data; [`router`] builds the axum router from it.

use axum::Router;
use axum::http::{Method, Request};
use axum::routing::{MethodRouter, get};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::ops;
use crate::problem::{REQUEST_ID, request_id};
use crate::state::App;

/// What a caller needs to reach a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Anyone, authenticated or not.
    Public,
}

/// One route of the HTTP API.
#[derive(Debug)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The axum path pattern.
    pub path: &'static str,
    /// What a caller needs.
    pub needs: Needs,
    /// The handler, as an axum method router for `method`.
    pub handler: fn() -> MethodRouter<App>,
}

/// Every route the server answers.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/healthz",
        needs: Needs::Public,
        handler: || get(ops::healthz),
    },
    Route {
        method: Method::GET,
        path: "/readyz",
        needs: Needs::Public,
        handler: || get(ops::readyz),
    },
];

/// The application's router: [`ROUTES`], a problem+json 404 for anything
/// else, request ids (`X-Request-Id`, generated if absent, returned) and
/// request tracing.
pub fn router(app: App) -> Router {
    let mut router = Router::new();
    for route in ROUTES {
        router = router.route(route.path, (route.handler)());
    }
    let header = axum::http::HeaderName::from_static(REQUEST_ID);
    router
        .fallback(ops::not_found)
        .with_state(app)
        .layer(PropagateRequestIdLayer::new(header.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request_id(request.headers()).unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(header, MakeRequestUuid))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::ROUTES;

    #[test]
    fn routes_are_unique_and_handlers_match_their_method() {
        let keys: BTreeSet<_> = ROUTES.iter().map(|r| (r.method.as_str(), r.path)).collect();
        assert_eq!(keys.len(), ROUTES.len(), "a route is listed twice");
        for route in ROUTES {
            assert!(route.path.starts_with('/'), "{}", route.path);
        }
    }
}
