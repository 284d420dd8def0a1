//! CSRF protection of the UI's forms (SPEC §6.2, §12): every form carries
//! a hidden `csrf_token`, and every unsafe request to a page is refused
//! before its handler runs unless the token matches — the session's own
//! token once logged in, and before that (the log-in, forgotten-password
//! and invitation forms) a per-browser token kept in an `HttpOnly`,
//! `SameSite=Strict` cookie (double submit). htmx requests send the same
//! field, or the `X-CSRF-Token` header the API takes.

use axum::body::{Body, to_bytes};
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::credentials::{random_secret, same_secret};
use crate::guard::CSRF_HEADER;
use crate::json::MAX_BODY;

/// The hidden field every form carries.
pub const FIELD: &str = "csrf_token";
/// The cookie holding the token of the forms shown before a session exists.
pub const FORM_COOKIE: &str = "gatehouse_form";

/// Why an unsafe request was refused.
#[derive(Debug)]
pub enum Refused {
    /// The body is larger than the server takes.
    TooLarge,
    /// The token is missing or wrong.
    Token,
}

/// The body of an unsafe request whose token matches `expected`, given
/// back to the handler unchanged.
///
/// # Errors
/// [`Refused::Token`] when neither the `csrf_token` field of a form body
/// nor the `X-CSRF-Token` header carries `expected`; [`Refused::TooLarge`]
/// for a body over the server's limit.
pub async fn checked_body(parts: &Parts, body: Body, expected: &str) -> Result<Body, Refused> {
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| Refused::TooLarge)?;
    let from_header = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let from_form = form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value.into_owned());
    let sent = from_form.as_deref().or(from_header);
    match sent {
        Some(sent) if !expected.is_empty() && same_secret(sent, expected) => Ok(Body::from(bytes)),
        _ => Err(Refused::Token),
    }
}

/// The pre-session token of this browser, and the cookie to set when it
/// has none yet.
///
/// # Errors
/// When there is no randomness.
pub fn pre_session_token(
    parts: &Parts,
    secure: bool,
) -> Result<(String, Option<Cookie<'static>>), crate::credentials::NoRandomness> {
    if let Some(token) = presented_pre_session_token(parts) {
        return Ok((token, None));
    }
    let token = random_secret()?;
    let cookie = Cookie::build((FORM_COOKIE, token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .build();
    Ok((token, Some(cookie)))
}

/// The pre-session token the request's cookie carries, if any.
#[must_use]
pub fn presented_pre_session_token(parts: &Parts) -> Option<String> {
    CookieJar::from_headers(&parts.headers)
        .get(FORM_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}
