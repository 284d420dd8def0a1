//! Who looks at a page, and the guard in front of every page (SPEC §6.2,
//! §12): the session cookie that `/api/v1/auth/login` also makes (read by
//! the API guard's own code, `guard::session_caller`), the page's need
//! from the page table (`web/mod.rs`) — a page the viewer may not see is a
//! 404, never a 403 — and the CSRF token of every unsafe request
//! (`csrf.rs`). Without a session a page redirects to the log-in page.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Redirect, Response};

use super::csrf::{self, Refused};
use super::page;
use crate::caller::{Caller, Client, Credential};
use crate::guard::{holds, session_caller};
use crate::needs::Needs;
use crate::state::App;

/// The logged-in viewer of a page.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// Who acts, for the operations and the audit.
    pub caller: Caller,
    /// The session's CSRF token, put in every form.
    pub csrf_token: String,
}

impl Viewer {
    /// The viewer's username.
    #[must_use]
    pub fn username(&self) -> &str {
        self.caller.acting.username.as_str()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or_else(page::not_found)
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned())
    }
}

/// The CSRF token of the forms of a public page (log in, forgotten
/// password, invitation), set by the guard.
#[derive(Clone, Debug)]
pub struct FormToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for FormToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned().unwrap_or(Self(String::new())))
    }
}

/// Whether a viewer acting as `caller` may reach a page that needs `needs`
/// (the rule of the API's route guard, `guard::holds`).
#[must_use]
pub fn may_reach(app: &App, needs: Needs, caller: &Caller) -> bool {
    match needs {
        Needs::Public | Needs::Authenticated => true,
        Needs::Account(permission) => holds(app, &caller.acting, Some(permission)),
        Needs::Admin => holds(app, &caller.acting, None),
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The guard of one page: session, need, CSRF; then the handler.
pub async fn page_guard(State((app, needs)): State<(App, Needs)>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match session_caller(&app, &parts).await {
        Ok(caller) => caller,
        Err(problem) => return page::failure(&problem),
    };
    let viewer = caller.and_then(|caller| match &caller.credential {
        Credential::Session { csrf_token, .. } => Some(Viewer {
            csrf_token: csrf_token.clone(),
            caller,
        }),
        Credential::Token { .. } => None,
    });
    let mut new_cookie = None;
    if needs == Needs::Public {
        let secure = app.config().secure_cookies() || Client::of(&parts).https;
        match csrf::pre_session_token(&parts, secure) {
            Ok((token, cookie)) => {
                parts.extensions.insert(FormToken(token));
                new_cookie = cookie;
            }
            Err(error) => return page::failure(&crate::problem::ApiProblem::internal("no randomness", &error)),
        }
    } else {
        let Some(viewer) = &viewer else {
            return to_login(&parts);
        };
        if !may_reach(&app, needs, &viewer.caller) {
            return page::not_found();
        }
    }
    let body = if is_safe(&parts.method) {
        body
    } else {
        let expected = match (&viewer, needs) {
            (Some(viewer), needs) if needs != Needs::Public => viewer.csrf_token.clone(),
            _ => csrf::presented_pre_session_token(&parts).unwrap_or_default(),
        };
        match csrf::checked_body(&parts, body, &expected).await {
            Ok(body) => body,
            Err(Refused::TooLarge) => {
                return page::message(413, "Too large", "The form sent more than the server takes.");
            }
            Err(Refused::Token) => {
                return page::message(
                    403,
                    "Form expired",
                    "This form was not sent from this session's page. Go back, reload the page and send it again.",
                );
            }
        }
    };
    if let Some(viewer) = viewer {
        parts.extensions.insert(viewer);
    }
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(cookie) = new_cookie
        && let Ok(value) = HeaderValue::from_str(&cookie.to_string())
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Redirects to the log-in page, coming back to a page that was asked for.
fn to_login(parts: &Parts) -> Response {
    let back = if parts.method == Method::GET {
        parts.uri.path_and_query().map(|p| p.as_str().to_owned())
    } else {
        None
    };
    let target = match back.filter(|b| b != "/") {
        Some(back) => format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        ),
        None => "/login".to_owned(),
    };
    Redirect::to(&target).into_response()
}
