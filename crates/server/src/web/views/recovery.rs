//! Forgotten password and the pages of the single-use links (SPEC §12,
//! §5.1): asking for a reset link by email (answered the same whatever
//! the address: the operations' `request_password_reset`), and choosing a
//! password through an invitation link (`/invitations/{secret}`, the
//! operations' `accept_invitation`) or a reset link
//! (`/password-reset/{secret}`, `reset_password`). Public pages, their
//! forms carrying the pre-session CSRF token.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use crate::caller::Client;
use crate::operations::Via;
use crate::operations::invitations::LinkPasswordInput;
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, html, html_with, message};
use crate::web::session::FormToken;

#[derive(Template)]
#[template(path = "web/forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    errors: FormErrors,
    sent: bool,
}

/// `GET /password/forgot`.
pub async fn forgot_form(FormToken(token): FormToken) -> Response {
    html(&ForgotPage {
        layout: Layout::public("Forgot your password?", &token),
        email: String::new(),
        errors: FormErrors::none(),
        sent: false,
    })
}

/// The forgotten-password form.
#[derive(Debug, Default, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// `POST /password/forgot`: a reset link for a known account, the same
/// answer for any address.
pub async fn forgot(
    State(app): State<App>,
    client: Client,
    FormToken(token): FormToken,
    Form(form): Form<ForgotForm>,
) -> Response {
    let layout = Layout::public("Forgot your password?", &token);
    match app.ops(Via::Ui).request_password_reset(form.email.trim(), &client) {
        Ok(()) => html(&ForgotPage {
            layout,
            email: String::new(),
            errors: FormErrors::none(),
            sent: true,
        }),
        Err(problem) => {
            let errors = FormErrors::from_problem(
                &problem,
                |f| (root_field(f) == "email").then_some("email"),
                |_| Some("email"),
            );
            html_with(
                problem.problem.status,
                &ForgotPage {
                    layout,
                    email: form.email,
                    errors,
                    sent: false,
                },
            )
        }
    }
}

/// Which link a password page serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Invitation,
    Reset,
}

impl Link {
    const fn title(self) -> &'static str {
        match self {
            Self::Invitation => "Accept your invitation",
            Self::Reset => "Choose a new password",
        }
    }

    const fn path(self) -> &'static str {
        match self {
            Self::Invitation => "/invitations",
            Self::Reset => "/password-reset",
        }
    }
}

#[derive(Template)]
#[template(path = "web/link_password.html")]
struct LinkPage {
    layout: Layout,
    action: String,
    invitation: bool,
    errors: FormErrors,
}

fn link_page(link: Link, secret: &str, token: &str, errors: FormErrors) -> LinkPage {
    LinkPage {
        layout: Layout::public(link.title(), token),
        action: format!(
            "{}/{}",
            link.path(),
            form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()
        ),
        invitation: link == Link::Invitation,
        errors,
    }
}

/// The password form of a link.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
}

async fn submit(app: &App, link: Link, secret: String, client: Client, token: &str, form: PasswordForm) -> Response {
    if form.password != form.confirm_password {
        let mut errors = FormErrors::none();
        errors.add("confirm_password", "does not match the password");
        return html_with(422, &link_page(link, &secret, token, errors));
    }
    let input = LinkPasswordInput {
        secret: secret.clone(),
        password: form.password,
        client,
    };
    let ops = app.ops(Via::Ui);
    let done = match link {
        Link::Invitation => ops.accept_invitation(input).await,
        Link::Reset => ops.reset_password(input).await,
    };
    match done {
        Ok(_) => message(200, "Password set", "Your password is set. Log in with it now."),
        Err(problem) if problem.problem.status == 404 => message(
            404,
            "This link does not work",
            "The link is unknown, used already or expired. Ask for a new one.",
        ),
        Err(problem) => {
            let errors = FormErrors::from_problem(
                &problem,
                |f| (root_field(f) == "password").then_some("password"),
                |_| None,
            );
            html_with(problem.problem.status, &link_page(link, &secret, token, errors))
        }
    }
}

/// `GET /invitations/{secret}`.
pub async fn invitation_form(FormToken(token): FormToken, Path(secret): Path<String>) -> Response {
    html(&link_page(Link::Invitation, &secret, &token, FormErrors::none()))
}

/// `POST /invitations/{secret}`.
pub async fn accept(
    State(app): State<App>,
    client: Client,
    FormToken(token): FormToken,
    Path(secret): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Response {
    submit(&app, Link::Invitation, secret, client, &token, form).await
}

/// `GET /password-reset/{secret}`.
pub async fn reset_form(FormToken(token): FormToken, Path(secret): Path<String>) -> Response {
    html(&link_page(Link::Reset, &secret, &token, FormErrors::none()))
}

/// `POST /password-reset/{secret}`.
pub async fn reset(
    State(app): State<App>,
    client: Client,
    FormToken(token): FormToken,
    Path(secret): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Response {
    submit(&app, Link::Reset, secret, client, &token, form).await
}
