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

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use gatehouse_api::{self as api, ErrorCode, Problem};
use gatehouse_authz::TokenScope;
use gatehouse_domain::commands::oidc::{self as rules, OidcClaims, SignIn, SignInError};
use gatehouse_domain::store::OidcPending;
use gatehouse_domain::{AuditActor, AuditEntry, Store as _};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::auth::session_cookie;
use super::respond::Written;
use super::tokens::created;
use super::users::wire_user;
use crate::caller::{Caller, Client};
use crate::credentials::{random_secret, sha256_hex};
use crate::guard::acting;
use crate::oidc::{Failure, Oidc, PENDING_LIFETIME};
use crate::operations::Via;
use crate::operations::tokens::CreateTokenInput;
use crate::operations::users::{path_username, stored_user};
use crate::problem::{ApiProblem, current_request_id};
use crate::state::App;

/// How old an ID token may be when the CLI exchanges it.
const FRESH_ID_TOKEN: time::Duration = time::Duration::minutes(5);

fn not_configured() -> ApiProblem {
    ApiProblem::new(ErrorCode::NotFound, "no OIDC provider is configured (`oidc_issuer`)")
}

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
    let user = match sign_in(&app, &client, &claims).await {
        Ok(user) => user,
        Err(NoLogin::Refused(refusal)) => {
            return refuse(&app, &client, &refusal.to_string(), refusal.reason(), Some(&claims)).await;
        }
        Err(NoLogin::Failed(problem)) => return problem.into_response(),
    };
    match app.ops(Via::Oidc).open_session(user).await {
        Ok(session) => {
            record_session(&app, &client, &session.user, &claims).await;
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

/// Why a verified identity got no login.
enum NoLogin {
    /// The user rules refused it (a page and an audit record).
    Refused(rules::Refusal),
    /// Something failed (a problem answer).
    Failed(ApiProblem),
}

impl From<ApiProblem> for NoLogin {
    fn from(problem: ApiProblem) -> Self {
        Self::Failed(problem)
    }
}

/// Creates or refreshes the user of `claims` (under the write lock);
/// answers it as it is now.
async fn sign_in(app: &App, client: &Client, claims: &OidcClaims) -> Result<gatehouse_domain::entities::User, NoLogin> {
    let writer = app.writer().await?;
    let signed = rules::sign_in(
        app.store(),
        writer.snapshot(),
        claims,
        actor(client),
        current_request_id(),
        app.now(),
    )
    .await;
    let SignIn {
        user,
        created,
        commit,
        unknown_groups,
    } = match signed {
        Ok(signed) => signed,
        Err(SignInError::Refused(refusal)) => return Err(NoLogin::Refused(refusal)),
        Err(SignInError::Domain(error)) => return Err(NoLogin::Failed(error.into())),
    };
    if !unknown_groups.is_empty() {
        tracing::info!(user = %user.username, groups = ?unknown_groups, "OIDC groups claim: names that are no Gatehouse group, ignored");
    }
    match commit {
        Some(commit) => {
            writer.commit(&commit).await?;
        }
        None => {
            drop(writer);
            app.store().save_login_state(&user).await.map_err(ApiProblem::from)?;
        }
    }
    if created {
        tracing::info!(user = %user.username, issuer = %claims.issuer, "user created by its first OIDC login");
    }
    Ok(user)
}

fn actor(client: &Client) -> AuditActor {
    AuditActor {
        username: None,
        token_id: None,
        address: Some(client.address.to_string()),
        user_agent: client.user_agent.clone(),
        via: Some(Via::Oidc),
    }
}

/// Audits `event` about `target` through OIDC.
async fn record(
    app: &App,
    client: &Client,
    event: &str,
    target: &str,
    claims: Option<&OidcClaims>,
    reason: Option<(&str, &str)>,
) {
    let mut actor = actor(client);
    if event == "session.created" {
        actor.username = Some(target.to_owned());
    }
    let mut after = json!({"via": "oidc"});
    if let Some(claims) = claims {
        after["issuer"] = json!(claims.issuer);
        after["subject"] = json!(claims.subject);
    } else if let Some(oidc) = app.oidc() {
        after["issuer"] = json!(oidc.issuer());
    }
    if let Some((reason, detail)) = reason {
        after["reason"] = json!(reason);
        after["detail"] = json!(detail);
    }
    let entry = AuditEntry {
        actor,
        event: event.to_owned(),
        target_type: "user".to_owned(),
        target_id: target.chars().filter(|c| !c.is_control()).take(254).collect(),
        project: None,
        before: None,
        after: Some(after),
        request_id: current_request_id(),
    };
    if let Err(error) = app.store().record_event(&entry, OffsetDateTime::now_utc()).await {
        tracing::warn!(%error, event, "cannot audit an OIDC login");
    }
}

/// Audits a login through OIDC: `session.created` with `via: oidc`, the
/// issuer and the subject.
async fn record_session(app: &App, client: &Client, user: &gatehouse_domain::entities::User, claims: &OidcClaims) {
    record(
        app,
        client,
        "session.created",
        user.username.as_str(),
        Some(claims),
        None,
    )
    .await;
}

/// A refused login: audited with its reason, and a page saying why.
async fn refuse(app: &App, client: &Client, message: &str, reason: &str, claims: Option<&OidcClaims>) -> Response {
    metrics::counter!("gatehouse_login_failures_total").increment(1);
    let target = claims.map_or("(unknown)", |c| c.subject.as_str());
    record(app, client, "login.refused", target, claims, Some((reason, message))).await;
    tracing::info!(reason, %message, "OIDC login refused");
    let status = if reason == "provider_unavailable" {
        StatusCode::BAD_GATEWAY
    } else {
        StatusCode::FORBIDDEN
    };
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Login refused — Gatehouse</title></head>\n\
         <body><main><h1>Login refused</h1>\n<p id=\"reason\" data-reason=\"{reason}\">{}</p>\n\
         <p><a href=\"/\">Back to Gatehouse</a></p></main></body></html>\n",
        escape(message),
        reason = escape(reason),
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
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

/// HTML text escaping of the five characters that matter.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
        client_id: oidc.client_id().to_owned(),
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
    let oidc = app.oidc().ok_or_else(not_configured)?;
    if let Err(wait) = app.inner.limiter.attempt(client.address, "oidc") {
        return Err(
            ApiProblem::new(ErrorCode::RateLimited, "too many login attempts; wait and retry").with_header(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from(wait.as_secs().max(1)),
            ),
        );
    }
    let refused = |message: String, reason: &str| (message, reason.to_owned());
    let outcome = match oidc
        .verify_fresh(body.id_token.expose(), app.now() - FRESH_ID_TOKEN)
        .await
    {
        Ok(claims) => match sign_in(&app, &client, &claims).await {
            Ok(user) => Ok((user, claims)),
            Err(NoLogin::Refused(r)) => Err((refused(r.to_string(), r.reason()), Some(claims))),
            Err(NoLogin::Failed(problem)) => return Err(problem),
        },
        Err(failure) => Err((refused(failure.to_string(), failure.reason()), None)),
    };
    let (user, claims) = match outcome {
        Ok(found) => found,
        Err(((message, reason), claims)) => {
            metrics::counter!("gatehouse_login_failures_total").increment(1);
            let target = claims.as_ref().map_or("(unknown)", |c| c.subject.as_str()).to_owned();
            record(
                &app,
                &client,
                "login.refused",
                &target,
                claims.as_ref(),
                Some((&reason, &message)),
            )
            .await;
            return Err(ApiProblem::new(ErrorCode::InvalidCredentials, message));
        }
    };
    record_session(&app, &client, &user, &claims).await;
    let acting = acting(user.username.clone(), TokenScope::user(), None, &client);
    let request = api::CreateToken {
        description: Some(
            body.description
                .unwrap_or_else(|| "personal token (OIDC device login)".to_owned()),
        ),
        expires_in: body.expires_in,
        scope: None,
    };
    let input = CreateTokenInput::from_wire(user.username.as_str().to_owned(), request);
    Ok(created(app.ops(Via::Oidc).create_token(&acting, input).await?))
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
    let username = path_username(&username)?;
    let issuer = body
        .issuer
        .or_else(|| app.oidc().map(|o| o.issuer().to_owned()))
        .ok_or_else(not_configured)?;
    let issuer = issuer.trim_end_matches('/').to_owned();
    let writer = app.writer().await?;
    let commit = rules::link(&writer.ctx(&caller.acting, Via::Api), &username, &issuer, &body.subject).await?;
    let revision = writer.commit(&commit).await?;
    let user = stored_user(&app, &username).await?;
    Ok(Written::ok(revision, wire_user(&app.snapshot(), &user, app.now())))
}
