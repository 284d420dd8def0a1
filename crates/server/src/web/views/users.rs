//! User Management (SPEC §12, §5.1): the users, searched and filtered by
//! status, paged by cursor (the store's keyset paging, so a page costs the
//! same at 1,000,000 users), each status as a chip with its wire name.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gatehouse_api as api;
use gatehouse_authz::UserStatus;
use gatehouse_domain::entities::ManagedBy;
use serde::Deserialize;

use crate::handlers::users::wire_user;
use crate::operations::users::{CreateUserInput, ListUsersInput, MembershipInput};
use crate::operations::{Paging, Via};
use crate::state::App;
use axum::response::IntoResponse as _;

use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, failure, html, html_with};
use crate::web::session::Viewer;

/// Users on one page of the list.
const PAGE_SIZE: u32 = 50;

/// One row of the list.
struct Row {
    username: String,
    email: String,
    status: &'static str,
    kind: &'static str,
    managed_by: &'static str,
    admin: bool,
    last_login: String,
}

#[derive(Template)]
#[template(path = "web/users.html")]
struct UsersPage {
    layout: Layout,
    q: String,
    status: String,
    kind: String,
    managed_by: String,
    statuses: [&'static str; 4],
    kinds: [&'static str; 2],
    managers: [&'static str; 3],
    /// The filters as a query string (`q=…&status=…`), for the pager.
    filters: String,
    rows: Vec<Row>,
    next: Option<String>,
    first_page: bool,
}

/// `?q=&status=&kind=&managed_by=&cursor=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    managed_by: String,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// The wire name of a status (SPEC §5.1: JFrog's).
#[must_use]
pub fn status_name(status: api::UserStatus) -> &'static str {
    match status {
        api::UserStatus::Invited => "invited",
        api::UserStatus::Enabled => "enabled",
        api::UserStatus::Disabled => "disabled",
        api::UserStatus::Locked => "locked",
    }
}

fn parse_status(raw: &str) -> Option<UserStatus> {
    match raw {
        "invited" => Some(UserStatus::Invited),
        "enabled" => Some(UserStatus::Active),
        "disabled" => Some(UserStatus::Disabled),
        "locked" => Some(UserStatus::Locked),
        _ => None,
    }
}

fn parse_kind(raw: &str) -> Option<gatehouse_authz::UserKind> {
    match raw {
        "person" => Some(gatehouse_authz::UserKind::Person),
        "service" => Some(gatehouse_authz::UserKind::Service),
        _ => None,
    }
}

fn parse_managed_by(raw: &str) -> Option<ManagedBy> {
    match raw {
        "local" => Some(ManagedBy::Local),
        "scim" => Some(ManagedBy::Scim),
        "oidc" => Some(ManagedBy::Oidc),
        _ => None,
    }
}

/// A time as the pages show it: `2026-12-05 01:30 UTC`.
#[must_use]
pub fn shown_time(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.format(&format).unwrap_or_default()
}

/// `GET /users`.
pub async fn list(State(app): State<App>, viewer: Viewer, Query(query): Query<ListQuery>) -> Response {
    let status = parse_status(&query.status);
    let kind = parse_kind(&query.kind);
    let managed_by = parse_managed_by(&query.managed_by);
    let first_page = query.cursor.as_deref().is_none_or(str::is_empty);
    let input = ListUsersInput {
        q: Some(query.q.trim().to_owned()).filter(|q| !q.is_empty()),
        status,
        kind,
        managed_by,
        paging: Paging {
            limit: Some(PAGE_SIZE),
            cursor: query.cursor.clone().filter(|c| !c.is_empty()),
        },
    };
    let found = match app.ops(Via::Ui).list_users(input).await {
        Ok(found) => found,
        Err(problem) => return failure(&problem),
    };
    let (snapshot, now) = (app.snapshot(), app.now());
    let rows = found
        .items
        .iter()
        .map(|user| {
            let wire = wire_user(&snapshot, user, now);
            Row {
                username: wire.username,
                email: wire.email.unwrap_or_default(),
                status: status_name(wire.status),
                kind: match wire.kind {
                    api::UserKind::Person => "person",
                    api::UserKind::Service => "service",
                },
                managed_by: match wire.managed_by {
                    api::ManagedBy::Local => "local",
                    api::ManagedBy::Scim => "scim",
                    api::ManagedBy::Oidc => "oidc",
                },
                admin: wire.admin,
                last_login: wire.last_login_at.map(shown_time).unwrap_or_default(),
            }
        })
        .collect();
    let status = status.map(|_| query.status.clone()).unwrap_or_default();
    let kind = kind.map(|_| query.kind.clone()).unwrap_or_default();
    let managed_by = managed_by.map(|_| query.managed_by.clone()).unwrap_or_default();
    let filters = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            [
                ("q", query.q.as_str()),
                ("status", &status),
                ("kind", &kind),
                ("managed_by", &managed_by),
            ]
            .into_iter()
            .filter(|(_, v)| !v.is_empty()),
        )
        .finish();
    html(&UsersPage {
        layout: Layout::new(&app, &viewer, "User Management", "/users").with_notice(query.done.as_deref()),
        status,
        kind,
        managed_by,
        filters,
        q: query.q,
        statuses: ["invited", "enabled", "disabled", "locked"],
        kinds: ["person", "service"],
        managers: ["local", "scim", "oidc"],
        rows,
        next: found.next_cursor,
        first_page,
    })
}

/// The values of the Create User form, kept when it comes back with errors.
#[derive(Clone, Debug, Default)]
pub struct NewUserValues {
    email: String,
    username: String,
    permissions: Vec<String>,
    project: String,
    roles: String,
}

/// One account permission's checkbox.
struct PermissionBox {
    id: &'static str,
    title: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "web/user_new.html")]
struct NewUserPage {
    layout: Layout,
    values: NewUserValues,
    permissions: Vec<PermissionBox>,
    errors: FormErrors,
}

fn new_user_page(app: &App, viewer: &Viewer, values: NewUserValues, errors: FormErrors) -> NewUserPage {
    let permissions = gatehouse_authz::AccountPermission::ALL
        .iter()
        .map(|p| PermissionBox {
            id: p.as_str(),
            title: p.title(),
            checked: values.permissions.iter().any(|v| v == p.as_str()),
        })
        .collect();
    NewUserPage {
        layout: Layout::new(app, viewer, "Create User", "/users"),
        values,
        permissions,
        errors,
    }
}

/// `GET /users/new`: the Create User form.
pub async fn new(State(app): State<App>, viewer: Viewer) -> Response {
    html(&new_user_page(
        &app,
        &viewer,
        NewUserValues::default(),
        FormErrors::none(),
    ))
}

/// `POST /users`: Create User — one form, one transaction (SPEC §5.1):
/// email, password (none: invited by email), account permissions, and an
/// optional project with roles. The operations' `create_user`.
pub async fn create(
    State(app): State<App>,
    viewer: Viewer,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let mut values = NewUserValues::default();
    let mut password = String::new();
    for (name, value) in fields {
        match name.as_str() {
            "email" => values.email = value,
            "username" => values.username = value,
            "password" => password = value,
            "account_permissions" => values.permissions.push(value),
            "project" => values.project = value,
            "roles" => values.roles = value,
            _ => {}
        }
    }
    let roles: Vec<String> = values
        .roles
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let invited = password.is_empty();
    let input = CreateUserInput {
        email: values.email.trim().to_owned(),
        password: (!invited).then_some(password),
        username: Some(values.username.trim().to_owned()).filter(|u| !u.is_empty()),
        account_permissions: values.permissions.clone(),
        memberships: if values.project.trim().is_empty() && roles.is_empty() {
            Vec::new()
        } else {
            vec![MembershipInput {
                project: values.project.trim().to_owned(),
                roles,
            }]
        },
        ..CreateUserInput::default()
    };
    let done = app.ops(Via::Ui).create_user(&viewer.caller.acting, input).await;
    match done {
        Ok(_) => axum::response::Redirect::to(if invited {
            "/users?done=invited"
        } else {
            "/users?done=created"
        })
        .into_response(),
        Err(problem) => {
            let errors = FormErrors::from_problem(&problem, create_field, |code| refusal_field(code, &problem));
            html_with(problem.problem.status, &new_user_page(&app, &viewer, values, errors))
        }
    }
}

/// The Create User field an API field error belongs to.
fn create_field(field: &str) -> Option<&'static str> {
    match root_field(field) {
        "email" => Some("email"),
        "username" => Some("username"),
        "password" => Some("password"),
        "account_permissions" => Some("account_permissions"),
        "memberships" if field.contains("roles") => Some("roles"),
        "memberships" => Some("project"),
        _ => None,
    }
}

/// The Create User field a refusal without field errors is about: an
/// anti-escalation refusal names what the actor lacks, beside the account
/// permissions or the roles it would hand out; a taken name beside the
/// email.
fn refusal_field(code: gatehouse_api::ErrorCode, problem: &crate::problem::ApiProblem) -> Option<&'static str> {
    use gatehouse_api::ErrorCode;
    let detail = &problem.problem.detail;
    match code {
        ErrorCode::Forbidden | ErrorCode::Escalation
            if detail.contains("account permission") || detail.contains("platform admin") =>
        {
            Some("account_permissions")
        }
        ErrorCode::Forbidden | ErrorCode::Escalation => Some("roles"),
        ErrorCode::AlreadyExists => Some("email"),
        ErrorCode::NotFound => Some("project"),
        _ => None,
    }
}
