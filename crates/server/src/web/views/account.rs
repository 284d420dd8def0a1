//! The viewer's own password (SPEC §12 "first login", §5.1, §6.4): the
//! initial admin is sent here after logging in with its one-time password;
//! anyone may come to change theirs. The change is the operations'
//! `set_password` (as `PUT /api/v1/users/{username}/password`: the current password checked
//! as a login is, the other sessions ended, the one-time password's file
//! deleted).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use serde::Deserialize;

use crate::caller::Client;
use crate::operations::Via;
use crate::operations::users::SetPasswordInput;
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, html, html_with};
use crate::web::session::Viewer;

#[derive(Template)]
#[template(path = "web/password.html")]
struct PasswordPage {
    layout: Layout,
    first: bool,
    errors: FormErrors,
}

/// `?done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn page(app: &App, viewer: &Viewer, errors: FormErrors) -> PasswordPage {
    PasswordPage {
        layout: Layout::new(app, viewer, "Change your password", ""),
        first: crate::password::initial_password_pending(&app.config().data_dir, viewer.username()),
        errors,
    }
}

/// `GET /account/password`.
pub async fn form(State(app): State<App>, viewer: Viewer, Query(done): Query<Done>) -> Response {
    let mut page = page(&app, &viewer, FormErrors::none());
    page.layout = page.layout.with_notice(done.done.as_deref());
    html(&page)
}

/// The form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// `POST /account/password`.
pub async fn submit(
    State(app): State<App>,
    viewer: Viewer,
    client: Client,
    Form(form): Form<PasswordForm>,
) -> Response {
    if form.new_password != form.confirm_password {
        let mut errors = FormErrors::none();
        errors.add("confirm_password", "does not match the new password");
        return html_with(422, &page(&app, &viewer, errors));
    }
    let username = viewer.username().to_owned();
    let input = SetPasswordInput {
        username,
        current_password: Some(form.current_password),
        new_password: form.new_password,
        keep_session: viewer.caller.credential.session_id().map(str::to_owned),
        client,
        expected_revision: None,
    };
    let done = app.ops(Via::Ui).set_password(&viewer.caller.acting, input).await;
    match done {
        Ok(_) => Redirect::to("/account/password?done=password").into_response(),
        Err(problem) => {
            let errors = FormErrors::from_problem(
                &problem,
                |field| match root_field(field) {
                    "current_password" => Some("current_password"),
                    "new_password" => Some("new_password"),
                    _ => None,
                },
                |_| None,
            );
            html_with(problem.problem.status, &page(&app, &viewer, errors))
        }
    }
}
