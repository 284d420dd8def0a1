//! Logging in (SPEC §6): `auth/login` (a session cookie and its CSRF
//! token), `auth/logout`, `auth/token` (a personal token for a username and
//! password). Unknown users and wrong passwords cost the same argon2 work
//! and get the same answer; attempts are rate limited per address and
//! account; ten failures within any 15 minutes lock the account's password
//! (its tokens and sessions keep working). A locked account answers as a
//! wrong password does, so that a login never tells whether an account
//! exists (SPEC §6.1); its owner learns of the lock from the audit log and
//! the admin's view of the user.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use gatehouse_api::{self as api, Problem, Secret};
use time::OffsetDateTime;

use super::respond::Written;
use super::users::wire_user;
use crate::caller::{Caller, Client};
use crate::guard::SESSION_COOKIE;
use crate::json::JsonBody;
use crate::operations::Via;
use crate::operations::invitations::LinkPasswordInput;
use crate::operations::sessions::{LoginInput, TokenLoginInput};
use crate::problem::ApiProblem;
use crate::state::App;

/// `POST /api/v1/auth/login`: a session for the web UI.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = api::Login,
    responses((status = 200, body = api::LoginResponse), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn login(
    State(app): State<App>,
    client: Client,
    presented: Option<Caller>,
    jar: CookieJar,
    JsonBody(body): JsonBody<api::Login>,
) -> Result<Response, ApiProblem> {
    let https = client.https;
    let input = LoginInput {
        username: body.username,
        password: body.password.expose().to_owned(),
        client,
        presented: presented.map(|p| p.acting),
    };
    let session = app.ops(Via::Api).login(input).await?;
    let cookie = session_cookie(&app, session.cookie, https);
    let body = api::LoginResponse {
        user: wire_user(&app.snapshot(), &session.user, app.now()),
        csrf_token: session.csrf_token,
    };
    Ok((jar.add(cookie), Json(body)).into_response())
}

/// The cookie of a new session (SPEC §6.2), the one the API, the web UI
/// and an OpenID Connect login share: `HttpOnly`, `SameSite=Strict`,
/// `Secure` unless served over plain HTTP with an http `public_url`.
pub(crate) fn session_cookie(app: &App, secret: String, https: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, secret))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(app.config().secure_cookies() || https)
        .path("/")
        .build()
}

/// The cookie that removes the session cookie.
pub(crate) fn session_cookie_removal() -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, "")).path("/").build()
}

/// `POST /api/v1/auth/logout`: ends the session (a token stays valid;
/// revoke it with `DELETE /api/v1/tokens/{id}`).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn logout(State(app): State<App>, caller: Caller, jar: CookieJar) -> Result<Response, ApiProblem> {
    let session = caller.credential.session_id();
    app.ops(Via::Api).logout(&caller.acting, session).await?;
    Ok((axum::http::StatusCode::NO_CONTENT, jar.remove(session_cookie_removal())).into_response())
}

/// `POST /api/v1/auth/token`: a personal token for a username and
/// password (what `gatehouse login` uses).
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = api::TokenRequest,
    responses((status = 201, body = api::CreatedToken), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn token(
    State(app): State<App>,
    client: Client,
    presented: Option<Caller>,
    JsonBody(body): JsonBody<api::TokenRequest>,
) -> Result<Written<api::CreatedToken>, ApiProblem> {
    let input = TokenLoginInput {
        login: LoginInput {
            username: body.username,
            password: body.password.expose().to_owned(),
            client,
            presented: presented.map(|p| p.acting),
        },
        description: body.description,
        expires_in: body.expires_in,
    };
    let done = app.ops(Via::Api).token_login(input).await?;
    let (token, secret) = done.value;
    Ok(Written::created(
        done.revision,
        api::CreatedToken {
            token: api::Token::from(&token),
            secret: Secret::new(secret),
        },
    ))
}

/// `GET /api/v1/me`: the caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn me(State(app): State<App>, caller: Caller) -> Result<Json<api::User>, ApiProblem> {
    let user = app.ops(Via::Api).get_user(caller.acting.username.as_str()).await?;
    Ok(Json(wire_user(&app.snapshot(), &user, OffsetDateTime::now_utc())))
}

/// `POST /api/v1/auth/password-reset`: 202 whatever the address, at once
/// (the work, if any, happens after the answer, so its time tells
/// nothing); a known, enabled or locked person account gets a single-use
/// link valid for an hour through the outbox. Rate limited like a login.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = api::RequestPasswordReset,
    responses((status = 202), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn request_password_reset(
    State(app): State<App>,
    client: Client,
    JsonBody(body): JsonBody<api::RequestPasswordReset>,
) -> Result<Response, ApiProblem> {
    app.ops(Via::Api).request_password_reset(&body.email, &client)?;
    Ok(axum::http::StatusCode::ACCEPTED.into_response())
}

/// `POST /api/v1/auth/password-reset/{secret}`: sets the password of the
/// link's user, ends its lock and every web session (its tokens stay);
/// the link works once, for an hour. Rate limited like a login.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/{secret}", tag = "auth", params(("secret" = String, Path)),
    request_body = api::ResetPassword, responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn reset_password(
    State(app): State<App>,
    client: Client,
    axum::extract::Path(secret): axum::extract::Path<String>,
    JsonBody(body): JsonBody<api::ResetPassword>,
) -> Result<Written<()>, ApiProblem> {
    let input = LinkPasswordInput {
        secret,
        password: body.password.expose().to_owned(),
        client,
    };
    let done = app.ops(Via::Api).reset_password(input).await?;
    Ok(Written::no_content(done.revision))
}
