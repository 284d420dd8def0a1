//! The web UI (SPEC §12): server-rendered pages at `/`, one more face over
//! the same reads and operations as `/api/v1` (STYLE §14). A view parses
//! a form into the operation's input, calls it, and renders the result or
//! the error next to its field; no rule lives here. Everything works
//! without JavaScript; htmx (embedded, `assets.rs`) only improves.
//!
//! - `PAGES` — every page with its method, path, what the viewer needs
//!   (the API's `Needs`; a page the viewer may not reach is a 404) and its
//!   place in the navigation;
//! - `session.rs` — the page guard (session cookie, need, CSRF);
//!   `csrf.rs` — the tokens; `headers.rs` — the security headers of every
//!   response; `page.rs` — the layout and the error pages; `form.rs` —
//!   errors beside their fields; `assets.rs` — the embedded files;
//! - `views/` — one file per screen; templates in `crates/server/templates/web/`.

pub mod assets;
pub mod csrf;
pub mod form;
pub mod headers;
pub mod page;
pub mod session;
pub mod views;

use axum::Router;
use axum::http::Method;
use axum::middleware;
use axum::routing::{MethodRouter, get, post};
use gatehouse_authz::AccountPermission;

use crate::needs::Needs;
use crate::state::App;
use views::{
    account, audit, check, environments, groups, home, invitations, login, project, project_environments,
    project_members, project_resources, project_roles, projects, recovery, role, settings, tokens, user, users,
};

/// One page (or form target) of the UI.
#[derive(Debug)]
pub struct Page {
    /// `GET` for a page, `POST` for a form's target.
    pub method: Method,
    /// The axum path pattern.
    pub path: &'static str,
    /// What the viewer needs; without it the page is a 404.
    pub needs: Needs,
    /// Its name in the navigation, for the pages that are a section.
    pub nav: Option<&'static str>,
    /// The handler.
    pub handler: fn() -> MethodRouter<App>,
}

const ACCOUNTS: Needs = Needs::Account(AccountPermission::AccountsManage);
pub(crate) const AUDIT: Needs = Needs::Account(AccountPermission::AuditRead);
const BILLING: Needs = Needs::Account(AccountPermission::BillingManage);
const PROJECTS: Needs = Needs::Account(AccountPermission::ProjectsManage);
/// A project's pages: what the viewer may see of a project is the
/// operations' answer (404 for a project it may not see).
const SIGNED_IN: Needs = Needs::Authenticated;

macro_rules! page {
    ($method:ident $path:literal, $needs:expr, $nav:expr, $handler:path) => {
        Page {
            method: Method::$method,
            path: $path,
            needs: $needs,
            nav: $nav,
            handler: || page!(@verb $method)($handler),
        }
    };
    (@verb GET) => { get };
    (@verb POST) => { post };
}

/// Every page of the UI; the navigation lists those with a `nav` name that
/// the viewer may reach, in this order.
pub const PAGES: &[Page] = &[
    page!(GET "/", Needs::Authenticated, None, home::show),
    page!(GET "/login", Needs::Public, None, login::form),
    page!(POST "/login", Needs::Public, None, login::submit),
    page!(POST "/logout", Needs::Authenticated, None, login::logout),
    page!(GET "/projects", SIGNED_IN, Some("Projects"), projects::list),
    page!(GET "/account/password", Needs::Authenticated, None, account::form),
    page!(POST "/account/password", Needs::Authenticated, None, account::submit),
    page!(GET "/users", ACCOUNTS, Some("User Management"), users::list),
    page!(POST "/users", ACCOUNTS, None, users::create),
    page!(GET "/users/new", ACCOUNTS, None, users::new),
    page!(GET "/users/{username}", ACCOUNTS, None, user::show),
    page!(POST "/users/{username}/{action}", ACCOUNTS, None, user::act),
    page!(GET "/groups", ACCOUNTS, Some("Groups"), groups::list),
    page!(POST "/groups", ACCOUNTS, None, groups::create),
    page!(GET "/groups/new", ACCOUNTS, None, groups::new),
    page!(GET "/groups/{name}", ACCOUNTS, None, groups::show),
    page!(POST "/groups/{name}/{action}", ACCOUNTS, None, groups::act),
    page!(GET "/invitations", ACCOUNTS, None, invitations::list),
    page!(POST "/invitations", ACCOUNTS, None, invitations::invite),
    page!(GET "/password/forgot", Needs::Public, None, recovery::forgot_form),
    page!(POST "/password/forgot", Needs::Public, None, recovery::forgot),
    page!(GET "/invitations/{secret}", Needs::Public, None, recovery::invitation_form),
    page!(POST "/invitations/{secret}", Needs::Public, None, recovery::accept),
    page!(GET "/password-reset/{secret}", Needs::Public, None, recovery::reset_form),
    page!(POST "/password-reset/{secret}", Needs::Public, None, recovery::reset),
    page!(GET "/audit", AUDIT, Some("Audit log"), audit::list),
    page!(GET "/check", Needs::Authenticated, Some("Check"), check::show),
    page!(GET "/environments", Needs::Admin, Some("Environments"), environments::list),
    page!(POST "/environments", Needs::Admin, None, environments::create),
    page!(POST "/environments/{name}/delete", Needs::Admin, None, environments::delete),
    page!(GET "/settings", BILLING, Some("Settings"), settings::show),
    page!(POST "/settings/billing", BILLING, None, settings::billing),
    // Projects, their tabs and the role editor.
    page!(POST "/projects", PROJECTS, None, projects::create),
    page!(GET "/projects/new", PROJECTS, None, projects::new),
    page!(GET "/projects/{key}", SIGNED_IN, None, project::show),
    page!(POST "/projects/{key}", SIGNED_IN, None, project::save),
    page!(POST "/projects/{key}/delete", SIGNED_IN, None, project::delete),
    page!(GET "/projects/{key}/members", SIGNED_IN, None, project_members::list),
    page!(POST "/projects/{key}/members", SIGNED_IN, None, project_members::set),
    page!(POST "/projects/{key}/members/remove", SIGNED_IN, None, project_members::remove),
    page!(GET "/projects/{key}/roles", SIGNED_IN, None, project_roles::project_roles),
    page!(GET "/projects/{key}/global-roles", SIGNED_IN, None, project_roles::global_roles),
    page!(GET "/projects/{key}/roles/new", SIGNED_IN, None, role::new_project_role),
    page!(POST "/projects/{key}/roles/new", SIGNED_IN, None, role::create_project_role),
    page!(GET "/projects/{key}/roles/{name}", SIGNED_IN, None, role::show_project_role),
    page!(POST "/projects/{key}/roles/{name}", SIGNED_IN, None, role::save_project_role),
    page!(POST "/projects/{key}/roles/{name}/delete", SIGNED_IN, None, role::delete_project_role),
    page!(GET "/roles/new", Needs::Admin, None, role::new_global_role),
    page!(POST "/roles/new", Needs::Admin, None, role::create_global_role),
    page!(GET "/roles/{name}", Needs::Admin, None, role::show_global_role),
    page!(POST "/roles/{name}", Needs::Admin, None, role::save_global_role),
    page!(POST "/roles/{name}/delete", Needs::Admin, None, role::delete_global_role),
    page!(GET "/projects/{key}/environments", SIGNED_IN, None, project_environments::list),
    page!(POST "/projects/{key}/environments", SIGNED_IN, None, project_environments::create),
    page!(POST "/projects/{key}/environments/delete", SIGNED_IN, None, project_environments::delete),
    page!(GET "/projects/{key}/resources", SIGNED_IN, None, project_resources::list),
    page!(POST "/projects/{key}/resources", SIGNED_IN, None, project_resources::register),
    page!(POST "/projects/{key}/resources/remove", SIGNED_IN, None, project_resources::remove),
    page!(GET "/tokens", Needs::Authenticated, Some("My tokens"), tokens::list),
    page!(POST "/tokens", Needs::Authenticated, None, tokens::create),
    page!(POST "/tokens/{id}/revoke", Needs::Authenticated, None, tokens::revoke),
];

/// The UI's routes: [`PAGES`] behind their guards, and the assets.
pub fn router(app: &App) -> Router<App> {
    let mut router = Router::new();
    for page in PAGES {
        let guarded = (page.handler)().route_layer(middleware::from_fn_with_state(
            (app.clone(), page.needs),
            session::page_guard,
        ));
        router = router.route(page.path, guarded);
    }
    router.route("/assets/{*path}", get(assets::asset))
}

/// Whether a path is the UI's (it answers HTML errors there).
#[must_use]
pub fn is_ui_path(path: &str) -> bool {
    !["/api/", "/scim/", "/access/", "/metrics", "/healthz", "/readyz"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}
