//! Logging in through the OpenID Connect provider (SPEC §13).
//!
//! - `GET /auth/oidc/login`: a fresh `state`, `nonce` and PKCE verifier,
//!   kept server-side under the SHA-256 of the state; the browser is sent to
//!   the provider.
//! - `GET /auth/oidc/callback`: the state is taken (once: a replay finds
//!   nothing), the code exchanged with the verifier, the ID token verified
//!   (signature, `iss`, `aud`, `exp`, `nonce`), the user created or
//!   refreshed, and a web session opened as `POST /api/v1/auth/login` opens
//!   one. Every refusal is a page saying why, an audit record
//!   `login.refused` with the reason, and no session.
//! - `GET /api/v1/auth/oidc`: what a client needs to log in (the CLI's
//!   device grant).
//! - `POST /api/v1/auth/oidc/token`: a personal token for an ID token the
//!   CLI obtained with the device grant, verified as above (no nonce: the
//!   grant has none) and fresh (issued within the last five minutes).
//! - `POST /api/v1/users/{username}/oidc-link`: an admin links a local user
//!   to a provider's identity, explicitly and audited.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use gatehouse_api::{self as api, ErrorCode, Problem};
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::oidc::OidcClaims;
use gatehouse_domain::store::OidcPending;
use serde::Deserialize;

use super::auth::session_cookie;
use super::respond::Written;
use super::tokens::created;
use super::users::wire_user;
use crate::caller::{Caller, Client};
use crate::credentials::{random_secret, sha256_hex};
use crate::oidc::{Failure, Oidc, PENDING_LIFETIME};
use crate::operations::Via;
use crate::operations::oidc::{LinkOidcInput, NoLogin, OidcTokenInput, RefusedLogin, not_configured};
use crate::problem::ApiProblem;
use crate::state::App;

/// `GET /auth/oidc/login`: sends the browser to the provider.
#[utoipa::path(get, path = "/auth/oidc/login", tag = "auth",
    responses((status = 303, description = "to the provider's authorization endpoint"), (status = "4XX", description = "a page saying why not")))]
pub async fn login(State(app): State<App>, client: Client) -> Response {
    let Some(oidc) = app.oidc() else {
        return not_configured().into_response();
    };
    match start(&app, oidc).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(failure) => refuse(&app, &client, &failure.to_string(), failure.reason(), None).await,
    }
}

async fn start(app: &App, oidc: &Oidc) -> Result<String, Failure> {
    let fresh = || random_secret().map_err(|e| Failure::Exchange(format!("no randomness: {e}")));
    let started = oidc.start(fresh()?, fresh()?).await?;
    let now = app.now();
    let pending = OidcPending {
        state_sha256: sha256_hex(&started.state),
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        created_at: now,
    };
    app.store()
        .put_oidc_pending(&pending, now - PENDING_LIFETIME)
        .await
        .map_err(|e| Failure::Exchange(format!("cannot keep the login: {e}")))?;
    Ok(started.url)
}

/// The provider's answer (RFC 6749 §4.1.2).
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/oidc/callback`: finishes a login; a session, or a page
/// saying why not.
#[utoipa::path(get, path = "/auth/oidc/callback", tag = "auth",
    responses((status = 200, description = "logged in: a session cookie, and a page moving on to `/`"), (status = "4XX", description = "a page saying why not")))]
pub async fn callback(
    State(app): State<App>,
    client: Client,
    jar: CookieJar,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(oidc) = app.oidc() else {
        return not_configured().into_response();
    };
    let claims = match verified(&app, oidc, query).await {
        Ok(claims) => claims,
        Err(failure) => return refuse(&app, &client, &failure.to_string(), failure.reason(), None).await,
    };
    let ops = app.ops(Via::Oidc);
    let user = match ops.oidc_sign_in(&client, &claims).await {
        Ok(user) => user,
        Err(NoLogin::Refused(refusal)) => {
            return refuse(&app, &client, &refusal.to_string(), refusal.reason(), Some(&claims)).await;
        }
        Err(NoLogin::Failed(problem)) => return problem.into_response(),
    };
    match ops.open_session(user).await {
        Ok(session) => {
            ops.audit_oidc_login(&client, &session.user, &claims).await;
            (jar.add(session_cookie(&app, session.cookie, client.https)), moving_on()).into_response()
        }
        Err(problem) => problem.into_response(),
    }
}

/// The claims of the callback's verified ID token.
async fn verified(app: &App, oidc: &Oidc, query: CallbackQuery) -> Result<OidcClaims, Failure> {
    let state = query.state.ok_or(Failure::BadState)?;
    let pending = app
        .store()
        .take_oidc_pending(&sha256_hex(&state))
        .await
        .map_err(|e| Failure::Exchange(format!("cannot read the login: {e}")))?
        .filter(|p| p.created_at + PENDING_LIFETIME > app.now())
        .ok_or(Failure::BadState)?;
    if let Some(error) = query.error {
        let detail = query.error_description.map(|d| format!(" ({d})")).unwrap_or_default();
        return Err(Failure::Provider(format!("{error}{detail}")));
    }
    let code = query
        .code
        .ok_or_else(|| Failure::Provider("no authorization code".into()))?;
    oidc.finish(code, pending.pkce_verifier, &pending.nonce).await
}

/// A refused login: audited with its reason, and a page saying why.
async fn refuse(app: &App, client: &Client, message: &str, reason: &str, claims: Option<&OidcClaims>) -> Response {
    app.ops(Via::Oidc)
        .audit_oidc_refusal(
            client,
            RefusedLogin {
                reason,
                message,
                claims,
            },
        )
        .await;
    let status = if reason == "provider_unavailable" {
        StatusCode::BAD_GATEWAY
    } else {
        StatusCode::FORBIDDEN
    };
    match (RefusedPage { reason, message }).render() {
        Ok(page) => (status, [(header::CACHE_CONTROL, "no-store")], Html(page)).into_response(),
        Err(error) => ApiProblem::internal("cannot render the refusal page", &error).into_response(),
    }
}

/// The page of a refused login; `data-reason` carries the short reason.
#[derive(Template)]
#[template(path = "auth/oidc_refused.html")]
struct RefusedPage<'a> {
    reason: &'a str,
    message: &'a str,
}

/// The page a successful login answers with: it moves on to `/` from this
/// origin, so the `SameSite=Strict` session cookie goes with that request
/// (a redirect straight from the provider's navigation would leave it out).
fn moving_on() -> Response {
    let page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
                <meta http-equiv=\"refresh\" content=\"0;url=/\"><title>Logged in — Gatehouse</title></head>\n\
                <body><main><p>Logged in. <a href=\"/\">Continue</a></p></main></body></html>\n";
    ([(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}

/// `GET /api/v1/auth/oidc`: the provider, for clients (404 without one).
#[utoipa::path(get, path = "/api/v1/auth/oidc", tag = "auth",
    responses((status = 200, body = api::OidcInfo), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn info(State(app): State<App>) -> Result<Json<api::OidcInfo>, ApiProblem> {
    let oidc = app.oidc().ok_or_else(not_configured)?;
    let endpoints = oidc
        .endpoints()
        .await
        .map_err(|failure| ApiProblem::new(ErrorCode::NotReady, failure.to_string()))?;
    Ok(Json(api::OidcInfo {
        issuer: oidc.issuer().to_owned(),
        client_id: oidc.cli_client_id().to_owned(),
        display_name: oidc.display_name().to_owned(),
        login_url: format!("{}/auth/oidc/login", app.config().base_url()),
        device_authorization_endpoint: endpoints.device,
        token_endpoint: endpoints.token,
    }))
}

/// `POST /api/v1/auth/oidc/token`: a personal token for a fresh ID token
/// issued to this instance's client (the CLI's device grant). The token is
/// verified as a browser login's is, but for the nonce the grant lacks;
/// instead it must have been issued within the last five minutes.
#[utoipa::path(post, path = "/api/v1/auth/oidc/token", tag = "auth", request_body = api::OidcTokenRequest,
    responses((status = 201, body = api::CreatedToken), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn token(
    State(app): State<App>,
    client: Client,
    crate::json::JsonBody(body): crate::json::JsonBody<api::OidcTokenRequest>,
) -> Result<Written<api::CreatedToken>, ApiProblem> {
    let input = OidcTokenInput {
        client,
        id_token: body.id_token.expose().to_owned(),
        description: body.description,
        expires_in: body.expires_in,
    };
    Ok(created(app.ops(Via::Oidc).oidc_token(input).await?))
}

/// `POST /api/v1/users/{username}/oidc-link`: links a local user to an
/// identity at the provider, explicitly (a first login never merges them);
/// the user is then managed by the provider. Platform admins only; audited
/// as `user.oidc_linked`.
#[utoipa::path(post, path = "/api/v1/users/{username}/oidc-link", tag = "users", params(("username" = String, Path)),
    request_body = api::LinkOidc, responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn link(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    crate::json::JsonBody(body): crate::json::JsonBody<api::LinkOidc>,
) -> Result<Written<api::User>, ApiProblem> {
    let input = LinkOidcInput {
        username,
        issuer: body.issuer,
        subject: body.subject,
    };
    let done = app.ops(Via::Api).link_oidc(&caller.acting, input).await?;
    Ok(Written::ok(
        done.revision,
        wire_user(&app.snapshot(), &done.value, app.now()),
    ))
}
