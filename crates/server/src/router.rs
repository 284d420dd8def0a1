//! The route table (STYLE §2.4): every route, its method and what a caller
//! needs to reach it, as data; [`router`] builds the axum router from it,
//! putting the route guard (`guard.rs`) in front of every handler.
//!
//! Account-level needs are checked here; what depends on the target (a
//! user's own tokens, a project's visibility and its project actions,
//! anti-escalation) is decided by the operation (`operations/visibility.rs`)
//! and the domain.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use gatehouse_api::ErrorCode;
use gatehouse_authz::AccountPermission;
use tower::ServiceBuilder;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};

use crate::client_address::client_address;
use crate::guard;
use crate::handlers::{
    audit, auth, check, environments, groups, invitations, members, oidc, projects, resources, roles, settings, tokens,
    transfer, users,
};
use crate::jfrog::{
    self, accounts as jf_accounts, environments as jf_envs, projects as jf_projects, tokens as jf_tokens,
};
use crate::json::MAX_BODY;
use crate::keep_alive::keep_alive;
pub use crate::needs::Needs;
use crate::observe::{RouteLabels, observe};
pub use crate::openapi::DOCS_PATH;
use crate::problem::{ApiProblem, REQUEST_ID};
use crate::request_id::SequentialIds;
use crate::state::App;
use crate::{openapi, ops, query_params};

/// One route of the HTTP API.
#[derive(Debug)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The axum path pattern (also the OpenAPI path).
    pub path: &'static str,
    /// What a caller needs.
    pub needs: Needs,
    /// The handler, as an axum method router for `method`.
    pub handler: fn() -> MethodRouter<App>,
}

const ACCOUNTS: Needs = Needs::Account(AccountPermission::AccountsManage);
const PROJECTS: Needs = Needs::Account(AccountPermission::ProjectsManage);

macro_rules! route {
    ($method:ident $path:literal, $needs:expr, $handler:path) => {
        Route {
            method: Method::$method,
            path: $path,
            needs: $needs,
            handler: || route!(@verb $method)($handler),
        }
    };
    (@verb GET) => { get };
    (@verb POST) => { post };
    (@verb PUT) => { put };
    (@verb PATCH) => { patch };
    (@verb DELETE) => { delete };
}

/// Every route the server answers; the Swagger UI at [`DOCS_PATH`] is
/// mounted beside them.
pub const ROUTES: &[Route] = &[
    route!(GET "/healthz", Needs::Public, ops::healthz),
    route!(GET "/readyz", Needs::Public, ops::readyz),
    route!(GET "/metrics", Needs::Public, ops::metrics),
    route!(GET "/api/openapi.json", Needs::Public, openapi::document),
    route!(POST "/api/v1/auth/login", Needs::Public, auth::login),
    route!(POST "/api/v1/auth/logout", Needs::Authenticated, auth::logout),
    route!(POST "/api/v1/auth/token", Needs::Public, auth::token),
    route!(POST "/api/v1/auth/password-reset", Needs::Public, auth::request_password_reset),
    route!(POST "/api/v1/auth/password-reset/{secret}", Needs::Public, auth::reset_password),
    route!(GET "/auth/oidc/login", Needs::Public, oidc::login),
    route!(GET "/auth/oidc/callback", Needs::Public, oidc::callback),
    route!(GET "/api/v1/auth/oidc", Needs::Public, oidc::info),
    route!(POST "/api/v1/auth/oidc/token", Needs::Public, oidc::token),
    route!(GET "/api/v1/me", Needs::Authenticated, auth::me),
    route!(GET "/api/v1/me/permissions", Needs::Authenticated, check::my_permissions),
    route!(GET "/api/v1/users", ACCOUNTS, users::list),
    route!(POST "/api/v1/users", ACCOUNTS, users::create),
    route!(GET "/api/v1/users/{username}", ACCOUNTS, users::get),
    route!(PATCH "/api/v1/users/{username}", ACCOUNTS, users::patch),
    route!(DELETE "/api/v1/users/{username}", ACCOUNTS, users::delete),
    route!(POST "/api/v1/users/{username}/disable", ACCOUNTS, users::disable),
    route!(POST "/api/v1/users/{username}/enable", ACCOUNTS, users::enable),
    route!(POST "/api/v1/users/{username}/unlock", ACCOUNTS, users::unlock),
    route!(PUT "/api/v1/users/{username}/password", Needs::Authenticated, users::set_password),
    route!(POST "/api/v1/users/{username}/oidc-link", Needs::Admin, oidc::link),
    route!(GET "/api/v1/users/{username}/permissions", Needs::Authenticated, check::user_permissions),
    route!(GET "/api/v1/users/{username}/tokens", Needs::Authenticated, tokens::list_for_user),
    route!(POST "/api/v1/users/{username}/tokens", Needs::Authenticated, tokens::create_for_user),
    route!(GET "/api/v1/invitations", ACCOUNTS, invitations::outbox),
    route!(POST "/api/v1/invitations", ACCOUNTS, invitations::create),
    route!(POST "/api/v1/invitations/{secret}/accept", Needs::Public, invitations::accept),
    route!(GET "/api/v1/groups", ACCOUNTS, groups::list),
    route!(POST "/api/v1/groups", ACCOUNTS, groups::create),
    route!(GET "/api/v1/groups/{name}", ACCOUNTS, groups::get),
    route!(PATCH "/api/v1/groups/{name}", ACCOUNTS, groups::patch),
    route!(DELETE "/api/v1/groups/{name}", ACCOUNTS, groups::delete),
    route!(PATCH "/api/v1/groups/{name}/members", ACCOUNTS, groups::change_members),
    route!(GET "/api/v1/tokens", Needs::Authenticated, tokens::list_own),
    route!(POST "/api/v1/tokens", Needs::Authenticated, tokens::create_own),
    route!(DELETE "/api/v1/tokens/{id}", Needs::Authenticated, tokens::revoke),
    route!(GET "/api/v1/audit", Needs::Account(AccountPermission::AuditRead), audit::list),
    route!(GET "/api/v1/audit/export", Needs::Account(AccountPermission::AuditRead), audit::export),
    route!(GET "/api/v1/audit/verify", Needs::Account(AccountPermission::AuditRead), audit::verify),
    route!(GET "/api/v1/environments", Needs::Authenticated, environments::list_global),
    route!(POST "/api/v1/environments", Needs::Admin, environments::create_global),
    route!(DELETE "/api/v1/environments/{name}", Needs::Admin, environments::delete_global),
    route!(GET "/api/v1/roles", Needs::Authenticated, roles::list_global),
    route!(POST "/api/v1/roles", Needs::Admin, roles::create_global),
    route!(GET "/api/v1/roles/{name}", Needs::Authenticated, roles::get_global),
    route!(PATCH "/api/v1/roles/{name}", Needs::Admin, roles::patch_global),
    route!(DELETE "/api/v1/roles/{name}", Needs::Admin, roles::delete_global),
    route!(GET "/api/v1/projects", Needs::Authenticated, projects::list),
    route!(POST "/api/v1/projects", PROJECTS, projects::create),
    route!(GET "/api/v1/projects/{key}", Needs::Authenticated, projects::get),
    route!(PATCH "/api/v1/projects/{key}", PROJECTS, projects::patch),
    route!(DELETE "/api/v1/projects/{key}", PROJECTS, projects::delete),
    route!(GET "/api/v1/projects/{key}/environments", Needs::Authenticated, environments::list_in_project),
    route!(POST "/api/v1/projects/{key}/environments", Needs::Authenticated, environments::create_in_project),
    route!(DELETE "/api/v1/projects/{key}/environments/{name}", Needs::Authenticated, environments::delete_in_project),
    route!(GET "/api/v1/projects/{key}/roles", Needs::Authenticated, roles::list_in_project),
    route!(POST "/api/v1/projects/{key}/roles", Needs::Authenticated, roles::create_in_project),
    route!(GET "/api/v1/projects/{key}/roles/{name}", Needs::Authenticated, roles::get_in_project),
    route!(PATCH "/api/v1/projects/{key}/roles/{name}", Needs::Authenticated, roles::patch_in_project),
    route!(DELETE "/api/v1/projects/{key}/roles/{name}", Needs::Authenticated, roles::delete_in_project),
    route!(GET "/api/v1/projects/{key}/members", Needs::Authenticated, members::list),
    route!(PUT "/api/v1/projects/{key}/members/users/{username}", Needs::Authenticated, members::put_user),
    route!(DELETE "/api/v1/projects/{key}/members/users/{username}", Needs::Authenticated, members::delete_user),
    route!(PUT "/api/v1/projects/{key}/members/groups/{name}", Needs::Authenticated, members::put_group),
    route!(DELETE "/api/v1/projects/{key}/members/groups/{name}", Needs::Authenticated, members::delete_group),
    route!(GET "/api/v1/projects/{key}/resources", Needs::Authenticated, resources::list),
    route!(POST "/api/v1/projects/{key}/resources", Needs::Authenticated, resources::register),
    route!(DELETE "/api/v1/projects/{key}/resources/{type}/{name}", Needs::Authenticated, resources::remove),
    route!(GET "/api/v1/projects/{key}/who-can", Needs::Authenticated, check::who_can),
    route!(POST "/api/v1/check", Needs::Authenticated, check::check),
    route!(POST "/api/v1/check/batch", Needs::Authenticated, check::batch),
    route!(GET "/api/v1/catalogue", Needs::Authenticated, check::catalogue),
    route!(GET "/api/v1/export", Needs::Admin, transfer::export),
    Route {
        method: Method::POST,
        path: "/api/v1/import",
        needs: Needs::Admin,
        handler: || post(transfer::import).layer(DefaultBodyLimit::max(MAX_IMPORT_BODY)),
    },
    route!(GET "/api/v1/settings", Needs::Account(AccountPermission::BillingManage), settings::get),
    route!(PUT "/api/v1/settings", Needs::Account(AccountPermission::BillingManage), settings::put),
];

/// The JFrog Access-compatible routes (SPEC §13, `crate::jfrog`), with the
/// same needs as their native counterparts; every refusal on them answers
/// in JFrog's error shape.
pub const JFROG_ROUTES: &[Route] = &[
    route!(GET "/access/api/v1/projects", Needs::Authenticated, jf_projects::list),
    route!(POST "/access/api/v1/projects", PROJECTS, jf_projects::create),
    route!(GET "/access/api/v1/projects/{key}", Needs::Authenticated, jf_projects::get),
    route!(PUT "/access/api/v1/projects/{key}", PROJECTS, jf_projects::update),
    route!(DELETE "/access/api/v1/projects/{key}", PROJECTS, jf_projects::delete),
    route!(GET "/access/api/v1/projects/{key}/roles", Needs::Authenticated, jf_projects::list_roles),
    route!(POST "/access/api/v1/projects/{key}/roles", Needs::Authenticated, jf_projects::create_role),
    route!(GET "/access/api/v1/projects/{key}/roles/{name}", Needs::Authenticated, jf_projects::get_role),
    route!(PUT "/access/api/v1/projects/{key}/roles/{name}", Needs::Authenticated, jf_projects::update_role),
    route!(DELETE "/access/api/v1/projects/{key}/roles/{name}", Needs::Authenticated, jf_projects::delete_role),
    route!(GET "/access/api/v1/projects/{key}/users", Needs::Authenticated, jf_projects::list_users),
    route!(GET "/access/api/v1/projects/{key}/users/{name}", Needs::Authenticated, jf_projects::get_user),
    route!(PUT "/access/api/v1/projects/{key}/users/{name}", Needs::Authenticated, jf_projects::put_user),
    route!(DELETE "/access/api/v1/projects/{key}/users/{name}", Needs::Authenticated, jf_projects::delete_user),
    route!(GET "/access/api/v1/projects/{key}/groups", Needs::Authenticated, jf_projects::list_groups),
    route!(GET "/access/api/v1/projects/{key}/groups/{name}", Needs::Authenticated, jf_projects::get_group),
    route!(PUT "/access/api/v1/projects/{key}/groups/{name}", Needs::Authenticated, jf_projects::put_group),
    route!(DELETE "/access/api/v1/projects/{key}/groups/{name}", Needs::Authenticated, jf_projects::delete_group),
    route!(GET "/access/api/v1/projects/{key}/environments", Needs::Authenticated, jf_envs::list_in_project),
    route!(POST "/access/api/v1/projects/{key}/environments", Needs::Authenticated, jf_envs::create_in_project),
    route!(DELETE "/access/api/v1/projects/{key}/environments/{name}", Needs::Authenticated, jf_envs::delete_in_project),
    route!(POST "/access/api/v1/projects/{key}/environments/{name}/rename", Needs::Authenticated, jf_envs::rename_in_project),
    route!(GET "/access/api/v1/environments", Needs::Authenticated, jf_envs::list_global),
    route!(POST "/access/api/v1/environments", Needs::Admin, jf_envs::create_global),
    route!(DELETE "/access/api/v1/environments/{name}", Needs::Admin, jf_envs::delete_global),
    route!(POST "/access/api/v1/environments/{name}/rename", Needs::Admin, jf_envs::rename_global),
    route!(GET "/access/api/v1/roles", Needs::Authenticated, jf_projects::list_global_roles),
    route!(POST "/access/api/v1/roles", Needs::Admin, jf_projects::create_global_role),
    route!(GET "/access/api/v1/roles/{name}", Needs::Authenticated, jf_projects::get_global_role),
    route!(PUT "/access/api/v1/roles/{name}", Needs::Admin, jf_projects::update_global_role),
    route!(DELETE "/access/api/v1/roles/{name}", Needs::Admin, jf_projects::delete_global_role),
    route!(GET "/access/api/v2/users", ACCOUNTS, jf_accounts::list_users),
    route!(POST "/access/api/v2/users", ACCOUNTS, jf_accounts::create_user),
    route!(GET "/access/api/v2/users/{username}", ACCOUNTS, jf_accounts::get_user),
    route!(PATCH "/access/api/v2/users/{username}", ACCOUNTS, jf_accounts::update_user),
    route!(DELETE "/access/api/v2/users/{username}", ACCOUNTS, jf_accounts::delete_user),
    route!(PUT "/access/api/v2/users/{username}/password", Needs::Authenticated, jf_accounts::set_password),
    route!(POST "/access/api/v2/users/{username}/unlock", ACCOUNTS, jf_accounts::unlock_user),
    route!(PATCH "/access/api/v2/users/{username}/groups", ACCOUNTS, jf_accounts::change_user_groups),
    route!(GET "/access/api/v2/groups", ACCOUNTS, jf_accounts::list_groups),
    route!(POST "/access/api/v2/groups", ACCOUNTS, jf_accounts::create_group),
    route!(GET "/access/api/v2/groups/{name}", ACCOUNTS, jf_accounts::get_group),
    route!(PATCH "/access/api/v2/groups/{name}", ACCOUNTS, jf_accounts::update_group),
    route!(DELETE "/access/api/v2/groups/{name}", ACCOUNTS, jf_accounts::delete_group),
    route!(PATCH "/access/api/v2/groups/{name}/members", ACCOUNTS, jf_accounts::change_members),
    route!(GET "/access/api/v1/tokens", Needs::Authenticated, jf_tokens::list),
    route!(POST "/access/api/v1/tokens", Needs::Authenticated, jf_tokens::create),
    route!(GET "/access/api/v1/tokens/me", Needs::Authenticated, jf_tokens::me),
    route!(GET "/access/api/v1/tokens/{id}", Needs::Authenticated, jf_tokens::get),
    route!(DELETE "/access/api/v1/tokens/{id}", Needs::Authenticated, jf_tokens::revoke),
    route!(DELETE "/access/api/v1/tokens/revoke", Needs::Authenticated, jf_tokens::revoke_by_value),
    route!(POST "/access/api/v1/tokens/revoke", Needs::Authenticated, jf_tokens::revoke_by_value),
];

/// The largest import document.
const MAX_IMPORT_BODY: usize = 256 * 1024 * 1024;

/// Routes whose work grows with the instance (a whole import or export):
/// they get [`BULK_TIMEOUT`] instead of the configured request timeout.
const BULK_ROUTES: [&str; 3] = ["/api/v1/import", "/api/v1/export", "/api/v1/audit/export"];

/// The time limit of [`BULK_ROUTES`].
const BULK_TIMEOUT: Duration = Duration::from_secs(600);

/// The application's router: [`ROUTES`] behind their gates (each with its
/// request timeout), the Swagger UI, a problem+json 404 for anything else,
/// and around everything: request ids (`X-Request-Id`, generated if absent,
/// returned), the request log and metrics, the 1 MiB body limit.
///
/// What wraps every request wraps the routed router once, as one service
/// (its fallback), rather than each route: axum boxes each layer of a
/// route, and a call clones every box below it, so each layer given to
/// the routes costs every request an allocation per layer beneath it.
/// Only the request log stays per route (it labels by the matched route).
pub fn router(app: App) -> Router {
    let header = axum::http::HeaderName::from_static(REQUEST_ID);
    let around = ServiceBuilder::new()
        // SPEC §12: every response, refusals and errors included.
        .layer(middleware::map_response(crate::web::headers::security_headers))
        // The HTTP host (SPEC §8.1): no refusal leaves a keep-alive
        // connection unusable; then the client address.
        .layer(middleware::from_fn(keep_alive))
        .layer(middleware::from_fn_with_state(
            app.config().trusted_proxies.clone(),
            client_address,
        ))
        .layer(middleware::from_fn(crate::request_id::keep_safe_id))
        .layer(SetRequestIdLayer::new(header.clone(), SequentialIds::new()))
        .layer(PropagateRequestIdLayer::new(header))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .service(routes(app));
    Router::new().fallback_service(around)
}

/// Every route behind its gate, and the request log.
fn routes(app: App) -> Router {
    let timeout = Duration::from_secs(app.config().request_timeout_secs);
    let mut router = Router::new();
    let documented = query_params::documented();
    for route in ROUTES {
        let limit = if BULK_ROUTES.contains(&route.path) {
            BULK_TIMEOUT
        } else {
            timeout
        };
        // After the guard (a stranger learns nothing of the route's
        // parameters); an undocumented native route takes none.
        let taken = route.path.starts_with("/api/v1/").then(|| {
            documented
                .get(&(route.method.clone(), route.path.to_owned()))
                .cloned()
                .unwrap_or_default()
        });
        let gate = Gate {
            app: app.clone(),
            needs: route.needs,
            taken,
            limit,
        };
        router = router.route(
            route.path,
            (route.handler)().route_layer(middleware::from_fn_with_state(gate, gate_route)),
        );
    }
    for route in JFROG_ROUTES {
        let gate = Gate {
            app: app.clone(),
            needs: route.needs,
            taken: None,
            limit: timeout,
        };
        let guarded = (route.handler)()
            .route_layer(middleware::from_fn_with_state(gate, gate_route))
            .route_layer(middleware::from_fn(jfrog::translate));
        router = router.route(route.path, guarded);
    }
    router
        .merge(openapi::swagger_ui())
        .nest(crate::scim::BASE_PATH, crate::scim::router(&app))
        .merge(crate::web::router(&app))
        .fallback(fallback)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .with_state(app)
        .layer(middleware::from_fn_with_state(
            RouteLabels::new(ROUTES.iter().chain(JFROG_ROUTES).map(|r| r.path), DOCS_PATH),
            observe,
        ))
}

/// What stands before one route's handler, as one middleware (each layer of
/// a route costs every request, see [`router`]).
#[derive(Clone)]
struct Gate {
    app: App,
    /// What a caller needs (the guard, `guard.rs`).
    needs: Needs,
    /// The query parameters a native route takes (SPEC §7), refused after
    /// the guard; `None` for a route that does not refuse them.
    taken: Option<query_params::Taken>,
    /// How long the request may take.
    limit: Duration,
}

/// The request timeout around the guard, then the query parameters.
async fn gate_route(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let guarded = guard::guarded(&gate.app, gate.needs, request, |request| async {
        if let Some(refusal) = gate
            .taken
            .as_ref()
            .and_then(|taken| query_params::refusal(&request, taken))
        {
            return refusal;
        }
        next.run(request).await
    });
    match tokio::time::timeout(gate.limit, guarded).await {
        Ok(response) => response,
        Err(_) => ApiProblem::new(ErrorCode::RequestTimeout, "the request took too long").into_response(),
    }
}

/// Anything no route answers: the UI's 404 page for a browser asking for a
/// page, problem+json for everything else.
async fn fallback(request: Request) -> Response {
    let wants_html = request
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && crate::web::is_ui_path(request.uri().path()) {
        return crate::web::page::not_found();
    }
    ops::not_found().await.into_response()
}

/// Answers 408 `request_timeout` when the handler takes longer than the
/// configured limit (the handler's work is dropped, its transaction with it).
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::ROUTES;

    #[test]
    fn routes_are_unique_and_absolute() {
        let keys: BTreeSet<_> = ROUTES.iter().map(|r| (r.method.as_str(), r.path)).collect();
        assert_eq!(keys.len(), ROUTES.len(), "a route is listed twice");
        for route in ROUTES {
            assert!(route.path.starts_with('/'), "{}", route.path);
        }
    }
}
