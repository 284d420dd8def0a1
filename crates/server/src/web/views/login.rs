//! Log in and log out (SPEC §12, §6.2): username or email and password,
//! checked by the API's own login code (rate limits, the same answer for
//! every refusal, lockout, an invited user's first login making it
//! enabled), then the session the API also accepts. The initial admin,
//! while its one-time password is still the generated one, is sent to
//! change it.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::caller::Client;
use crate::handlers::auth::{session_cookie, session_cookie_removal};
use crate::operations::Via;
use crate::operations::sessions::LoginInput;
use crate::state::App;
use crate::web::form::FormErrors;
use crate::web::page::{Layout, failure, html, html_with};
use crate::web::session::{FormToken, Viewer};

#[derive(Template)]
#[template(path = "web/login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    errors: FormErrors,
    /// "Log in with <name>" when an OpenID Connect provider is configured.
    provider: Option<String>,
}

/// The configured OpenID Connect provider's name, for the log-in page.
fn provider(app: &App) -> Option<String> {
    app.oidc().map(|oidc| oidc.display_name().to_owned())
}

/// `?next=`: where to go after logging in.
#[derive(Debug, Default, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// A path of this site to go back to (never another origin).
fn local_path(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .map_or_else(|| "/".to_owned(), str::to_owned)
}

/// `GET /login`.
pub async fn form(
    State(app): State<App>,
    viewer: Option<Viewer>,
    FormToken(token): FormToken,
    Query(query): Query<Next>,
) -> Response {
    let next = local_path(query.next.as_deref());
    if viewer.is_some() {
        return Redirect::to(&next).into_response();
    }
    html(&LoginPage {
        layout: Layout::public("Log in", &token),
        username: String::new(),
        next,
        errors: FormErrors::none(),
        provider: provider(&app),
    })
}

/// The log-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login`.
pub async fn submit(
    State(app): State<App>,
    client: Client,
    jar: CookieJar,
    FormToken(token): FormToken,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = local_path(form.next.as_deref());
    let https = client.https;
    let input = LoginInput {
        username: form.username.trim().to_owned(),
        password: form.password.clone(),
        client,
        presented: None,
    };
    let session = match app.ops(Via::Ui).login(input).await {
        Ok(session) => session,
        Err(problem) => {
            let mut errors = FormErrors::none();
            errors.add("password", &problem.problem.detail);
            let status = problem.problem.status;
            return html_with(
                status,
                &LoginPage {
                    layout: Layout::public("Log in", &token),
                    username: form.username,
                    next,
                    errors,
                    provider: provider(&app),
                },
            );
        }
    };
    let target = if crate::password::initial_password_pending(&app.config().data_dir, session.user.username.as_str()) {
        "/account/password".to_owned()
    } else {
        next
    };
    let cookie = session_cookie(&app, session.cookie, https);
    (jar.add(cookie), Redirect::to(&target)).into_response()
}

/// `POST /logout`: ends the session.
pub async fn logout(State(app): State<App>, jar: CookieJar, viewer: Viewer) -> Response {
    let session = viewer.caller.credential.session_id();
    match app.ops(Via::Ui).logout(&viewer.caller.acting, session).await {
        Ok(()) => (jar.remove(session_cookie_removal()), Redirect::to("/login")).into_response(),
        Err(problem) => failure(&problem),
    }
}
