//! User Management (SPEC §12, §5.1): the users, searched and filtered by
//! status, paged by cursor (the store's keyset paging, so a page costs the
//! same at 1,000,000 users), each status as a chip with its wire name.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gatehouse_api as api;
use gatehouse_authz::UserStatus;
use gatehouse_domain::Store as _;
use gatehouse_domain::store::{PageRequest, UserFilter};
use serde::Deserialize;

use crate::handlers::users::wire_user;
use crate::state::App;
use crate::web::page::{Layout, failure, html};
use crate::web::session::Viewer;

/// Users on one page of the list.
const PAGE_SIZE: usize = 50;

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
    statuses: [&'static str; 4],
    rows: Vec<Row>,
    next: Option<String>,
    first_page: bool,
}

/// `?q=&status=&cursor=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
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

/// A time as the pages show it: `2026-12-05 01:30 UTC`.
#[must_use]
pub fn shown_time(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.format(&format).unwrap_or_default()
}

/// `GET /users`.
pub async fn list(State(app): State<App>, viewer: Viewer, Query(query): Query<ListQuery>) -> Response {
    let filter = UserFilter {
        q: Some(query.q.trim().to_owned()).filter(|q| !q.is_empty()),
        status: parse_status(&query.status),
    };
    let page = PageRequest {
        cursor: query.cursor.clone().filter(|c| !c.is_empty()),
        limit: PAGE_SIZE,
    };
    let found = match app.store().users(&filter, &page).await {
        Ok(found) => found,
        Err(error) => return failure(&error.into()),
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
    html(&UsersPage {
        layout: Layout::new(&app, &viewer, "User Management", "/users").with_notice(query.done.as_deref()),
        status: filter.status.map(|_| query.status.clone()).unwrap_or_default(),
        q: query.q,
        statuses: ["invited", "enabled", "disabled", "locked"],
        rows,
        next: found.next_cursor,
        first_page: page.cursor.is_none(),
    })
}
