//! The Audit log (SPEC §12, §9.1), for holders of `audit.read`: filters
//! (actor, event, target, project, time), cursor paging, each record's
//! before and after side by side, the link to the API's NDJSON export
//! with the same filters, and the chain's status on request (the
//! operations' `verify_audit_chain`, as `gatehouse audit verify`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gatehouse_api as api;
use gatehouse_domain::store::{AuditFilter, AuditRecord};
use serde::Deserialize;
use time::{Date, OffsetDateTime, Time};

use super::users::shown_time;
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::form::FormErrors;
use crate::web::page::{Layout, failure, html_with};
use crate::web::session::Viewer;

/// Records on one page.
const PAGE_SIZE: u32 = 50;

/// `?actor=&event=&target=&project=&since=&until=&cursor=&verify=`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    project: String,
    /// From this day on (UTC), `YYYY-MM-DD`.
    #[serde(default)]
    since: String,
    /// Up to and with this day (UTC), `YYYY-MM-DD`.
    #[serde(default)]
    until: String,
    #[serde(default)]
    cursor: Option<String>,
    /// Recompute the chain.
    #[serde(default)]
    verify: Option<String>,
}

/// One record as the pages show it (here and on a user's page).
pub(super) struct Row {
    pub(super) id: u64,
    pub(super) at: String,
    pub(super) actor: String,
    pub(super) via: String,
    pub(super) event: String,
    pub(super) target: String,
    pub(super) project: String,
    pub(super) before: Option<String>,
    pub(super) after: Option<String>,
}

impl Row {
    /// The record as the pages show it.
    pub(super) fn of(record: &AuditRecord) -> Self {
        let r = api::AuditRecord::from(record);
        Self {
            id: r.id,
            at: shown_time(r.at),
            actor: r.actor.username.clone().unwrap_or_else(|| "system".to_owned()),
            via: r.via.clone().unwrap_or_default(),
            event: r.event.clone(),
            target: format!("{} {}", r.target.target_type, r.target.id),
            project: r.project.clone().unwrap_or_default(),
            before: pretty(r.before.as_ref()),
            after: pretty(r.after.as_ref()),
        }
    }
}

#[derive(Template)]
#[template(path = "web/audit.html")]
struct AuditPage {
    layout: Layout,
    q: AuditQuery,
    errors: FormErrors,
    rows: Vec<Row>,
    /// The filters as a query string, for the pager and the export.
    filters: String,
    next: Option<String>,
    first_page: bool,
    chain: Option<api::AuditChain>,
}

/// A day typed in a filter, as the instant it starts (UTC).
fn day(field: &str, raw: &str, errors: &mut FormErrors) -> Option<Date> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw, &format)
        .map_err(|_| errors.add(field, "a day as YYYY-MM-DD"))
        .ok()
}

fn pretty(value: Option<&serde_json::Value>) -> Option<String> {
    value.and_then(|v| serde_json::to_string_pretty(v).ok())
}

impl AuditQuery {
    /// The filters, without cursor, as a query string.
    fn filters(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                [
                    ("actor", &self.actor),
                    ("event", &self.event),
                    ("target", &self.target),
                    ("project", &self.project),
                    ("since", &self.since),
                    ("until", &self.until),
                ]
                .into_iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k, v.trim())),
            )
            .finish()
    }
}

/// `GET /audit`.
pub async fn list(State(app): State<App>, viewer: Viewer, Query(q): Query<AuditQuery>) -> Response {
    let ops = app.ops(Via::Ui);
    let mut errors = FormErrors::none();
    let since = day("since", &q.since, &mut errors).map(|d| OffsetDateTime::new_utc(d, Time::MIDNIGHT));
    let until = day("until", &q.until, &mut errors)
        .and_then(Date::next_day)
        .map(|d| OffsetDateTime::new_utc(d, Time::MIDNIGHT));
    let given = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let filter = AuditFilter {
        actor: given(&q.actor),
        event: given(&q.event),
        target: given(&q.target),
        project: given(&q.project),
        since,
        until,
    };
    let cursor = q.cursor.clone().filter(|c| !c.is_empty());
    let first_page = cursor.is_none();
    let paging = Paging {
        limit: Some(PAGE_SIZE),
        cursor,
    };
    let (rows, next) = if errors.is_empty() {
        match ops.audit(&filter, &paging).await {
            Ok(found) => (found.items.iter().map(Row::of).collect(), found.next_cursor),
            Err(problem) => return failure(&problem),
        }
    } else {
        (Vec::new(), None)
    };
    let chain = if q.verify.is_some() {
        match ops.verify_audit_chain().await {
            Ok(chain) => Some(chain),
            Err(problem) => return failure(&problem),
        }
    } else {
        None
    };
    let status = if errors.is_empty() { 200 } else { 422 };
    html_with(
        status,
        &AuditPage {
            layout: Layout::new(&app, &viewer, "Audit log", "/audit"),
            filters: q.filters(),
            q,
            errors,
            rows,
            next,
            first_page,
            chain,
        },
    )
}
