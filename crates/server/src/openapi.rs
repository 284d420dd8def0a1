//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the api crate's schemas (SPEC §7), served at `/api/openapi.json`, and
//! the Swagger UI at `/api/docs`, served from the binary.

use axum::Json;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::handlers::{
    audit, auth, check, environments, groups, invitations, members, oidc, projects, resources, roles, settings, tokens,
    transfer, users,
};
use crate::ops;
use crate::state::App;

/// Where the Swagger UI is served (from the binary; no CDN).
pub const DOCS_PATH: &str = "/api/docs";

/// The API's description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse",
        description = "Access management: users, groups, projects, roles and the permission check. \
                       Errors are `application/problem+json` with a stable `code`.",
    ),
    paths(
        ops::healthz, ops::readyz, ops::metrics, document,
        auth::login, auth::logout, auth::token, auth::me,
        auth::request_password_reset, auth::reset_password,
        oidc::login, oidc::callback, oidc::info, oidc::token, oidc::link,
        users::list, users::create, users::get, users::patch, users::delete,
        users::disable, users::enable, users::unlock, users::set_password,
        tokens::list_for_user, tokens::create_for_user, tokens::list_own, tokens::create_own, tokens::revoke,
        invitations::outbox, invitations::create, invitations::accept,
        groups::list, groups::create, groups::get, groups::patch, groups::delete, groups::change_members,
        audit::list, audit::export, audit::verify,
        settings::get, settings::put,
        environments::list_global, environments::create_global, environments::delete_global,
        environments::list_in_project, environments::create_in_project, environments::delete_in_project,
        roles::list_global, roles::create_global, roles::get_global, roles::patch_global, roles::delete_global,
        roles::list_in_project, roles::create_in_project, roles::get_in_project, roles::patch_in_project,
        roles::delete_in_project,
        projects::list, projects::create, projects::get, projects::patch, projects::delete,
        members::list, members::put_user, members::delete_user, members::put_group, members::delete_group,
        check::check, check::batch, check::user_permissions, check::my_permissions, check::who_can,
        check::catalogue,
        resources::list, resources::register, resources::remove,
        transfer::export, transfer::import,
    ),
    components(schemas(gatehouse_api::ErrorCode, gatehouse_api::ProblemField, gatehouse_api::DryRun)),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gate_…")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::guard::SESSION_COOKIE))),
        );
    }
}

/// `GET /api/openapi.json`.
#[utoipa::path(get, path = "/api/openapi.json", tag = "ops",
    responses((status = 200, description = "this document")))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The Content-Security-Policy of the Swagger UI: SPEC §12's, with the
/// `data:` images of Swagger's own stylesheet; nothing from another origin.
pub const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

/// The Swagger UI, reading `/api/openapi.json`, with the security headers
/// of SPEC §12 on every answer.
pub fn swagger_ui() -> Router<App> {
    Router::from(SwaggerUi::new(DOCS_PATH).config(utoipa_swagger_ui::Config::from("/api/openapi.json")))
        .layer(axum::middleware::map_response(security_headers))
}

/// Adds SPEC §12's security headers.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
