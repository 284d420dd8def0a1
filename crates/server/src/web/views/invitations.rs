//! Invite by email and the outbox (SPEC §12, §5.1, §9.4), for holders of
//! `accounts.manage`: the operations' `invite` (a user still invited gets
//! a new link; the old one stops working) and `outbox`, the messages
//! still to deliver with their attempts. Without SMTP a platform admin is
//! given the link once, to pass on (the operation decides who).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use gatehouse_api::ErrorCode;
use serde::Deserialize;

use super::users::shown_time;
use crate::operations::invitations::InviteInput;
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, failure, html_with};
use crate::web::session::Viewer;

/// Messages on one page of the outbox.
const PAGE_SIZE: u32 = 50;

/// The invite form's values.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
}

/// One queued message.
struct Row {
    to: String,
    subject: String,
    state: String,
    attempts: u32,
    last_error: String,
}

/// An invitation just sent.
struct Sent {
    username: String,
    resent: bool,
    expires: String,
    link: Option<String>,
}

#[derive(Template)]
#[template(path = "web/invitations.html")]
struct InvitationsPage {
    layout: Layout,
    values: InviteForm,
    errors: FormErrors,
    sent: Option<Sent>,
    rows: Vec<Row>,
    next: Option<String>,
}

/// `?cursor=`.
#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    cursor: Option<String>,
    /// What the last invitation did (`sent`, `resent`).
    #[serde(default)]
    done: Option<String>,
}

async fn page(
    app: &App,
    viewer: &Viewer,
    cursor: Option<String>,
    values: InviteForm,
    errors: FormErrors,
    sent: Option<Sent>,
    done: Option<&str>,
) -> Result<InvitationsPage, Response> {
    let paging = Paging {
        limit: Some(PAGE_SIZE),
        cursor: cursor.filter(|c| !c.is_empty()),
    };
    let found = app.ops(Via::Ui).outbox(&paging).await.map_err(|p| failure(&p))?;
    let rows = found
        .items
        .iter()
        .map(|m| Row {
            to: m.message.to.as_str().to_owned(),
            subject: m.message.subject.clone(),
            state: match (m.sent_at, m.next_attempt_at) {
                (Some(at), _) => format!("sent {}", shown_time(at)),
                (None, Some(at)) => format!("pending, next attempt {}", shown_time(at)),
                (None, None) => "pending".to_owned(),
            },
            attempts: m.attempts,
            last_error: m.last_error.clone().unwrap_or_default(),
        })
        .collect();
    Ok(InvitationsPage {
        layout: Layout::new(app, viewer, "Invite by email", "/users").with_notice(done),
        values,
        errors,
        sent,
        rows,
        next: found.next_cursor,
    })
}

fn respond(status: u16, page: Result<InvitationsPage, Response>) -> Response {
    match page {
        Ok(page) => html_with(status, &page),
        Err(response) => response,
    }
}

/// `GET /invitations`: the invite form and the outbox.
pub async fn list(State(app): State<App>, viewer: Viewer, Query(query): Query<OutboxQuery>) -> Response {
    respond(
        200,
        page(
            &app,
            &viewer,
            query.cursor,
            InviteForm::default(),
            FormErrors::none(),
            None,
            query.done.as_deref(),
        )
        .await,
    )
}

/// `POST /invitations`: invites (or invites again) by email.
pub async fn invite(State(app): State<App>, viewer: Viewer, Form(values): Form<InviteForm>) -> Response {
    let input = InviteInput {
        email: values.email.trim().to_owned(),
        username: Some(values.username.trim().to_owned()).filter(|u| !u.is_empty()),
        ..InviteInput::default()
    };
    match app.ops(Via::Ui).invite(&viewer.caller.acting, input).await {
        // Sent by mail: answered by a redirect, so that reloading the page
        // does not invite again. A link shown here (no mail server) is a
        // secret shown once, so it is the answer itself (`no-store`).
        Ok(done) if done.value.link.is_none() => {
            let code = if done.value.resent { "resent" } else { "sent" };
            Redirect::to(&format!("/invitations?done={code}")).into_response()
        }
        Ok(done) => {
            let sent = Sent {
                username: done.value.user.username.as_str().to_owned(),
                resent: done.value.resent,
                expires: shown_time(done.value.expires_at),
                link: done.value.link,
            };
            respond(
                200,
                page(
                    &app,
                    &viewer,
                    None,
                    InviteForm::default(),
                    FormErrors::none(),
                    Some(sent),
                    None,
                )
                .await,
            )
        }
        Err(problem) => {
            let errors = FormErrors::from_problem(
                &problem,
                |f| match root_field(f) {
                    "email" => Some("email"),
                    "username" => Some("username"),
                    _ => None,
                },
                |code| match code {
                    ErrorCode::AlreadyExists | ErrorCode::Conflict => Some("email"),
                    _ => None,
                },
            );
            respond(
                problem.problem.status,
                page(&app, &viewer, None, values, errors, None, None).await,
            )
        }
    }
}
