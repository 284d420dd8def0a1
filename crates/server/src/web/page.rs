//! Rendering pages: the layout every page shares (title, navigation for
//! what the viewer may reach, the log-out form), HTML answers that no cache
//! keeps (`Cache-Control: no-store`: pages show people's access, some show
//! secrets), and the pages of refusals — 404 for what the viewer may not
//! see, and the few other errors.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse as _, Response};

use super::session::{Viewer, may_reach};
use crate::problem::ApiProblem;
use crate::state::App;

/// One link of the navigation.
#[derive(Clone, Debug)]
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// Its visible name (the seeds' words).
    pub label: &'static str,
    /// Whether it is the current section (`aria-current="page"`).
    pub current: bool,
}

/// What every page's frame shows.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// The page's title.
    pub title: String,
    /// The viewer's username; `None` on public pages.
    pub username: Option<String>,
    /// The CSRF token forms on the page carry.
    pub csrf_token: String,
    /// The sections the viewer may reach.
    pub nav: Vec<NavLink>,
    /// A one-line message after a write (`?done=…`), shown once.
    pub notice: Option<String>,
}

impl Layout {
    /// The frame of a page seen by `viewer`, in the section at `section`
    /// (a path of the navigation).
    #[must_use]
    pub fn new(app: &App, viewer: &Viewer, title: impl Into<String>, section: &str) -> Self {
        let nav = super::PAGES
            .iter()
            .filter_map(|p| p.nav.map(|label| (p, label)))
            .filter(|(p, _)| may_reach(app, p.needs, &viewer.caller))
            .map(|(p, label)| NavLink {
                href: p.path,
                label,
                current: p.path == section,
            })
            .collect();
        Self {
            title: title.into(),
            username: Some(viewer.username().to_owned()),
            csrf_token: viewer.csrf_token.clone(),
            nav,
            notice: None,
        }
    }

    /// The frame of a public page (log in and its kin), whose forms carry
    /// the pre-session token.
    #[must_use]
    pub fn public(title: impl Into<String>, csrf_token: &str) -> Self {
        Self {
            title: title.into(),
            csrf_token: csrf_token.to_owned(),
            ..Self::default()
        }
    }

    /// The same frame with the notice a write's redirect named
    /// (`?done=created`); only the fixed texts of [`NOTICES`] are shown, so
    /// a link cannot put words in the page.
    #[must_use]
    pub fn with_notice(mut self, code: Option<&str>) -> Self {
        self.notice = code.and_then(|code| {
            NOTICES
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, text)| (*text).to_owned())
        });
        self
    }
}

/// The notices a redirect after a write may name, by code.
pub const NOTICES: &[(&str, &str)] = &[
    ("created", "Created."),
    ("invited", "Invited: the invitation is in the outbox."),
    ("sent", "Invitation sent: its link works once, until it expires."),
    ("resent", "Invitation sent again: the previous link no longer works."),
    ("saved", "Saved."),
    ("deleted", "Deleted."),
    ("disabled", "Disabled."),
    ("enabled", "Enabled."),
    ("unlocked", "Unlocked."),
    ("revoked", "Revoked."),
    ("password", "Password changed."),
    ("added", "Added."),
    ("removed", "Removed."),
];

/// A rendered page, with `status`.
#[must_use]
pub fn html_with(status: u16, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, Html(body)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "cannot render a page");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot render the page").into_response()
        }
    }
}

/// A rendered page, 200.
#[must_use]
pub fn html(template: &impl Template) -> Response {
    html_with(200, template)
}

/// A page of one message, for refusals and errors.
#[derive(Template)]
#[template(path = "web/message.html")]
struct Message<'a> {
    layout: Layout,
    heading: &'a str,
    text: &'a str,
}

/// A page saying `text` under `heading`, with `status`.
#[must_use]
pub fn message(status: u16, heading: &str, text: &str) -> Response {
    html_with(
        status,
        &Message {
            layout: Layout {
                title: heading.to_owned(),
                ..Layout::default()
            },
            heading,
            text,
        },
    )
}

/// The 404 page: for what does not exist and what the viewer may not see.
#[must_use]
pub fn not_found() -> Response {
    message(404, "Not found", "There is no such page, or you may not see it.")
}

/// The page of a problem no form can show beside a field.
#[must_use]
pub fn failure(problem: &ApiProblem) -> Response {
    let status = problem.problem.status;
    if status == 404 {
        return not_found();
    }
    message(status, &problem.problem.title, &problem.problem.detail)
}
