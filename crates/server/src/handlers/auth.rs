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
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use gatehouse_api::{self as api, ErrorCode, Problem};
use gatehouse_authz::{TokenScope, UserStatus};
use gatehouse_domain::commands::users::login_commit;
use gatehouse_domain::commands::{Acting, invitations};
use gatehouse_domain::entities::User;
use gatehouse_domain::names::Username;
use gatehouse_domain::store::Session;
use gatehouse_domain::user_status::{LoginOutcome, effective_status, on_login};
use gatehouse_domain::{AuditActor, Store as _};
use time::OffsetDateTime;

use super::respond::Written;
use super::tokens::create_token;
use super::users::{verify_password, wire_user};
use super::visibility::require_full_scope;
use crate::caller::{Caller, Client, Credential};
use crate::credentials::{random_secret, sha256_hex};
use crate::guard::{SESSION_COOKIE, acting, audit_entry};
use crate::json::JsonBody;
use crate::problem::{ApiProblem, current_request_id};
use crate::state::App;

fn invalid_credentials() -> ApiProblem {
    ApiProblem::new(ErrorCode::InvalidCredentials, "wrong username or password")
}

/// The user named by `name` (a username, or an email in any case).
async fn find_user(app: &App, name: &str) -> Result<Option<User>, ApiProblem> {
    if let Ok(username) = Username::parse(name)
        && let Some(user) = app.store().user(&username).await?
    {
        return Ok(Some(user));
    }
    if name.contains('@') {
        return Ok(app.store().user_by_email(name).await?);
    }
    Ok(None)
}

async fn record(app: &App, acting: &Acting, event: &str, target: &str) {
    let entry = audit_entry(acting, event, "user", target);
    if let Err(error) = app.store().record_event(&entry, OffsetDateTime::now_utc()).await {
        tracing::warn!(%error, event, "cannot audit a login");
    }
}

/// Checks `password` for the account `name`; answers the user, active.
///
/// # Errors
/// 429 when rate limited; 401 `invalid_credentials` for an unknown user, a
/// wrong password, a disabled or a locked account alike.
pub(crate) async fn check_password(app: &App, client: &Client, name: &str, password: &str) -> Result<User, ApiProblem> {
    attempt_password(app, client, name, password, true).await
}

/// Checks the current password of the account `name` before it changes it:
/// like a login (rate limited, a failure counted toward the lockout and
/// audited as `login.failed`), but a success is no login.
///
/// # Errors
/// As [`check_password`].
pub(crate) async fn check_current_password(
    app: &App,
    client: &Client,
    name: &str,
    password: &str,
) -> Result<User, ApiProblem> {
    attempt_password(app, client, name, password, false).await
}

async fn attempt_password(
    app: &App,
    client: &Client,
    name: &str,
    password: &str,
    login: bool,
) -> Result<User, ApiProblem> {
    if let Err(wait) = app.inner.limiter.attempt(client.address, name) {
        let seconds = HeaderValue::from(wait.as_secs().max(1));
        return Err(
            ApiProblem::new(ErrorCode::RateLimited, "too many login attempts; wait and retry")
                .with_header(header::RETRY_AFTER, seconds),
        );
    }
    let user = find_user(app, name).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let has_password = stored.is_some();
    // Unknown users and users without a password cost the same work.
    let phc = stored.unwrap_or_else(|| app.inner.dummy_hash.clone());
    let ok = verify_password(app, password.to_owned(), phc).await? && has_password;
    let Some(user) = user else {
        metrics::counter!("gatehouse_login_failures_total").increment(1);
        record_unknown(app, client, name).await;
        return Err(invalid_credentials());
    };
    let acting = acting(user.username.clone(), TokenScope::user(), None, client);
    let now = OffsetDateTime::now_utc();
    let (after, outcome) = on_login(&user, ok, now);
    if !login && matches!(outcome, LoginOutcome::Success { .. }) {
        return Ok(user);
    }
    let outcome = match outcome {
        LoginOutcome::Failed | LoginOutcome::Success { first: false } => {
            app.store().save_login_state(&after).await?;
            outcome
        }
        LoginOutcome::Refused => outcome,
        LoginOutcome::Success { first: true } | LoginOutcome::LockedNow => settle(app, &acting, &user, ok, now).await?,
    };
    match outcome {
        LoginOutcome::Success { .. } => {
            record(app, &acting, "login.succeeded", user.username.as_str()).await;
            upgrade_hash(app, &user, password).await;
            Ok(after)
        }
        LoginOutcome::Refused if effective_status(&user, now) == UserStatus::Locked => {
            // The same answer as a wrong password: the lock is told to its
            // owner by the audit log and the user's status, never here.
            metrics::counter!("gatehouse_login_failures_total").increment(1);
            record(app, &acting, "login.refused", user.username.as_str()).await;
            Err(invalid_credentials())
        }
        LoginOutcome::Failed | LoginOutcome::LockedNow | LoginOutcome::Refused => {
            metrics::counter!("gatehouse_login_failures_total").increment(1);
            record(app, &acting, "login.failed", user.username.as_str()).await;
            Err(invalid_credentials())
        }
    }
}

/// Hashes `password` again when the stored hash was made with weaker
/// parameters than today's (SPEC §6.1), after a successful login; a busy
/// gate or a failure leaves it for the next login.
async fn upgrade_hash(app: &App, user: &User, password: &str) {
    let Some(old) = user.password_hash.clone() else {
        return;
    };
    if !crate::password::needs_rehash(&old) {
        return;
    }
    let password = password.to_owned();
    let new = match app.inner.argon2.run(move || crate::password::hash(&password)).await {
        Ok(Ok(new)) => new,
        Ok(Err(error)) => {
            tracing::warn!(%error, "cannot re-hash a password");
            return;
        }
        Err(error) => {
            tracing::info!(%error, "password re-hash left for the next login");
            return;
        }
    };
    match app.store().upgrade_password_hash(&user.username, &old, &new).await {
        Ok(true) => tracing::info!(user = %user.username, "password re-hashed with today's parameters"),
        Ok(false) => {}
        Err(error) => tracing::warn!(%error, "cannot save a re-hashed password"),
    }
}

/// Audits a login attempt on an account that does not exist.
async fn record_unknown(app: &App, client: &Client, name: &str) {
    let entry = gatehouse_domain::AuditEntry {
        actor: AuditActor {
            username: None,
            token_id: None,
            address: Some(client.address.to_string()),
            user_agent: client.user_agent.clone(),
        },
        event: "login.failed".to_owned(),
        target_type: "user".to_owned(),
        target_id: name.chars().filter(|c| !c.is_control()).take(254).collect(),
        project: None,
        before: None,
        after: None,
        request_id: current_request_id(),
    };
    if let Err(error) = app.store().record_event(&entry, OffsetDateTime::now_utc()).await {
        tracing::warn!(%error, "cannot audit a login");
    }
}

/// Applies a login that changes the user's status (first login, lockout)
/// under the write lock, deciding again on a fresh read; answers what that
/// decided.
async fn settle(
    app: &App,
    acting: &Acting,
    user: &User,
    ok: bool,
    now: OffsetDateTime,
) -> Result<LoginOutcome, ApiProblem> {
    let writer = app.writer().await?;
    let fresh = app.store().user(&user.username).await?.unwrap_or_else(|| user.clone());
    let (after, outcome) = on_login(&fresh, ok, now);
    match login_commit(&writer.ctx(acting), &after, outcome) {
        Some(commit) => {
            writer.commit(&commit).await?;
        }
        None => app.store().save_login_state(&after).await?,
    }
    Ok(outcome)
}

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
    if let Some(presented) = &presented {
        require_full_scope(&presented.acting, "make a session")?;
    }
    let user = check_password(&app, &client, &body.username, body.password.expose()).await?;
    let (jar, csrf_token) = open_session(&app, &client, jar, &user).await?;
    let body = api::LoginResponse {
        user: wire_user(&app.snapshot(), &user, app.now()),
        csrf_token,
    };
    Ok((jar, Json(body)).into_response())
}

/// Opens a web session (SPEC §6.2) for `user`, who has just proved who it
/// is: the session cookie added to `jar`, and the session's CSRF token.
pub(crate) async fn open_session(
    app: &App,
    client: &Client,
    jar: CookieJar,
    user: &User,
) -> Result<(CookieJar, String), ApiProblem> {
    let no_randomness = |e: crate::credentials::NoRandomness| ApiProblem::internal("no randomness", &e);
    let (cookie, csrf_token) = (
        random_secret().map_err(no_randomness)?,
        random_secret().map_err(no_randomness)?,
    );
    let now = app.now();
    app.store()
        .create_session(&Session {
            id_sha256: sha256_hex(&cookie),
            username: user.username.clone(),
            csrf_token: csrf_token.clone(),
            created_at: now,
            last_seen_at: now,
        })
        .await?;
    let cookie = Cookie::build((SESSION_COOKIE, cookie))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(app.config().secure_cookies() || client.https)
        .path("/")
        .build();
    Ok((jar.add(cookie), csrf_token))
}

/// `POST /api/v1/auth/logout`: ends the session (a token stays valid;
/// revoke it with `DELETE /api/v1/tokens/{id}`).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn logout(State(app): State<App>, caller: Caller, jar: CookieJar) -> Result<Response, ApiProblem> {
    if let Credential::Session { id_sha256, .. } = &caller.credential {
        app.store().delete_session(id_sha256).await?;
    }
    record(&app, &caller.acting, "logout", caller.acting.username.as_str()).await;
    let removal = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    Ok((axum::http::StatusCode::NO_CONTENT, jar.remove(removal)).into_response())
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
    if let Some(presented) = &presented {
        require_full_scope(&presented.acting, "make tokens")?;
    }
    let user = check_password(&app, &client, &body.username, body.password.expose()).await?;
    let acting = acting(user.username.clone(), TokenScope::user(), None, &client);
    let request = api::CreateToken {
        description: Some(body.description.unwrap_or_else(|| "personal token".to_owned())),
        expires_in: body.expires_in,
        scope: None,
    };
    create_token(&app, &acting, user.username, request).await
}

/// `GET /api/v1/me`: the caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn me(State(app): State<App>, caller: Caller) -> Result<Json<api::User>, ApiProblem> {
    let user = super::users::stored_user(&app, &caller.acting.username).await?;
    Ok(Json(wire_user(&app.snapshot(), &user, OffsetDateTime::now_utc())))
}

fn rate_limited(wait: std::time::Duration) -> ApiProblem {
    ApiProblem::new(ErrorCode::RateLimited, "too many attempts; wait and retry")
        .with_header(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)))
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
    let email = gatehouse_domain::names::Email::parse(&body.email)?;
    app.inner
        .limiter
        .attempt(client.address, email.as_str())
        .map_err(rate_limited)?;
    let actor = AuditActor {
        username: None,
        token_id: None,
        address: Some(client.address.to_string()),
        user_agent: client.user_agent.clone(),
    };
    let request_id = current_request_id();
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(problem) = send_reset_link(&app, &email, actor, request_id).await {
            tracing::warn!(code = %problem.code(), "a password-reset link was not queued");
        }
    });
    Ok(axum::http::StatusCode::ACCEPTED.into_response())
}

async fn send_reset_link(
    app: &App,
    email: &gatehouse_domain::names::Email,
    actor: AuditActor,
    request_id: Option<String>,
) -> Result<(), ApiProblem> {
    let Some(user) = app.store().user_by_email(email.as_str()).await? else {
        return Ok(());
    };
    // The secret is not kept: the SMTP sender mints the one it sends.
    let secret = random_secret().map_err(|e| ApiProblem::internal("no randomness", &e))?;
    let writer = app.writer().await?;
    let Some(user) = app.store().user(&user.username).await? else {
        return Ok(());
    };
    let commit = invitations::request_reset(
        &user,
        sha256_hex(&secret),
        app.now(),
        writer.snapshot().revision(),
        actor,
        request_id,
    );
    if let Some(commit) = commit {
        writer.commit(&commit).await?;
    }
    Ok(())
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
    let sha256 = sha256_hex(&secret);
    app.inner
        .limiter
        .attempt(client.address, &sha256)
        .map_err(rate_limited)?;
    let user = invitations::reset_holder(app.store(), &sha256, app.now()).await?;
    let email = user.email.as_ref().map(|e| e.as_str().to_owned());
    let password = gatehouse_domain::names::Password::parse(
        "password",
        body.password.expose(),
        user.username.as_str(),
        email.as_deref(),
    )?;
    let hash = super::users::hash_password(&app, password).await?;
    let writer = app.writer().await?;
    // Read again under the write lock: the link may have been spent meanwhile.
    let user = invitations::reset_holder(app.store(), &sha256, app.now()).await?;
    let commit = invitations::reset(&user, hash, writer.snapshot().revision(), current_request_id());
    Ok(Written::no_content(writer.commit(&commit).await?))
}
