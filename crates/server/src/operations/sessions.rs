//! Logging in (SPEC §6): a password checked (rate limited per address and
//! account; ten failures within any 15 minutes lock the account's
//! password, its tokens and sessions keep working), a web session, a
//! personal token for a username and password, logging out. Unknown users
//! and wrong passwords cost the same argon2 work and get the same answer;
//! a locked account answers as a wrong password does, so that a login
//! never tells whether an account exists (SPEC §6.1); its owner learns of
//! the lock from the audit log and the admin's view of the user.

use axum::http::{HeaderValue, header};
use gatehouse_api::ErrorCode;
use gatehouse_authz::{TokenScope, UserStatus};
use gatehouse_domain::commands::Acting;
use gatehouse_domain::commands::users::login_commit;
use gatehouse_domain::entities::{Token, User};
use gatehouse_domain::names::Username;
use gatehouse_domain::store::Session;
use gatehouse_domain::user_status::{LoginOutcome, effective_status, on_login};
use gatehouse_domain::{AuditActor, Store as _, Via};
use time::OffsetDateTime;

use super::tokens::CreateTokenInput;
use super::users::verify_password;
use super::visibility::require_full_scope;
use super::{Done, OpResult, Ops};
use crate::caller::Client;
use crate::credentials::{random_secret, sha256_hex};
use crate::guard::{acting, audit_entry};
use crate::problem::{ApiProblem, current_request_id};
use crate::state::App;

/// A username (or email) and password, from a client.
#[derive(Clone, Debug)]
pub struct LoginInput {
    /// A username, or an email in any case.
    pub username: String,
    /// The password.
    pub password: String,
    /// The client (rate limits, audit).
    pub client: Client,
    /// Who the request already authenticated as, if it came with a
    /// credential: a restricted token may not make sessions or tokens.
    pub presented: Option<Acting>,
}

/// A new web session: its cookie's secret (only its SHA-256 is stored) and
/// the CSRF token writes send back.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The user, as it is after the login.
    pub user: User,
    /// The cookie's value.
    pub cookie: String,
    /// The session's CSRF token.
    pub csrf_token: String,
}

/// A personal token for a username and password.
#[derive(Clone, Debug)]
pub struct TokenLoginInput {
    /// The login.
    pub login: LoginInput,
    /// The token's description (default `personal token`).
    pub description: Option<String>,
    /// Lifetime in seconds (default one year; `0` never expires, where the
    /// instance allows it).
    pub expires_in: Option<u64>,
}

fn invalid_credentials() -> ApiProblem {
    ApiProblem::new(ErrorCode::InvalidCredentials, "wrong username or password")
}

/// The user named by `name` (a username, or an email in any case).
async fn find_user(app: &App, name: &str) -> OpResult<Option<User>> {
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

async fn record(app: &App, via: Via, acting: &Acting, event: &str, target: &str) {
    let entry = audit_entry(acting, via, event, "user", target);
    if let Err(error) = app.store().record_event(&entry, OffsetDateTime::now_utc()).await {
        tracing::warn!(%error, event, "cannot audit a login");
    }
}

/// Checks `password` for the account `name`; answers the user, active.
///
/// # Errors
/// 429 when rate limited; 401 `invalid_credentials` for an unknown user, a
/// wrong password, a disabled or a locked account alike.
pub(crate) async fn check_password(app: &App, via: Via, client: &Client, name: &str, password: &str) -> OpResult<User> {
    attempt_password(app, via, client, name, password, true).await
}

/// Checks the current password of the account `name` before it changes it:
/// like a login (rate limited, a failure counted toward the lockout and
/// audited as `login.failed`), but a success is no login.
///
/// # Errors
/// As [`check_password`].
pub(crate) async fn check_current_password(
    app: &App,
    via: Via,
    client: &Client,
    name: &str,
    password: &str,
) -> OpResult<User> {
    attempt_password(app, via, client, name, password, false).await
}

async fn attempt_password(
    app: &App,
    via: Via,
    client: &Client,
    name: &str,
    password: &str,
    login: bool,
) -> OpResult<User> {
    if let Err(wait) = app.inner.limiter.attempt(client.address, name) {
        return Err(rate_limited("too many login attempts; wait and retry", wait));
    }
    let user = find_user(app, name).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let has_password = stored.is_some();
    // Unknown users and users without a password cost the same work.
    let phc = stored.unwrap_or_else(|| app.inner.dummy_hash.clone());
    let ok = verify_password(app, password.to_owned(), phc).await? && has_password;
    let Some(user) = user else {
        metrics::counter!("gatehouse_login_failures_total").increment(1);
        record_unknown(app, via, client, name).await;
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
        LoginOutcome::Success { first: true } | LoginOutcome::LockedNow => {
            settle(app, via, &acting, &user, ok, now).await?
        }
    };
    match outcome {
        LoginOutcome::Success { .. } => {
            record(app, via, &acting, "login.succeeded", user.username.as_str()).await;
            upgrade_hash(app, &user, password).await;
            Ok(after)
        }
        LoginOutcome::Refused if effective_status(&user, now) == UserStatus::Locked => {
            // The same answer as a wrong password: the lock is told to its
            // owner by the audit log and the user's status, never here.
            metrics::counter!("gatehouse_login_failures_total").increment(1);
            record(app, via, &acting, "login.refused", user.username.as_str()).await;
            Err(invalid_credentials())
        }
        LoginOutcome::Failed | LoginOutcome::LockedNow | LoginOutcome::Refused => {
            metrics::counter!("gatehouse_login_failures_total").increment(1);
            record(app, via, &acting, "login.failed", user.username.as_str()).await;
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

/// The audit actor of an anonymous client.
pub(crate) fn anonymous(client: &Client, via: Via) -> AuditActor {
    AuditActor {
        username: None,
        token_id: None,
        address: Some(client.address.to_string()),
        user_agent: client.user_agent.clone(),
        via: Some(via),
    }
}

/// Audits a login attempt on an account that does not exist.
async fn record_unknown(app: &App, via: Via, client: &Client, name: &str) {
    let entry = gatehouse_domain::AuditEntry {
        actor: anonymous(client, via),
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
    via: Via,
    acting: &Acting,
    user: &User,
    ok: bool,
    now: OffsetDateTime,
) -> OpResult<LoginOutcome> {
    let writer = app.writer().await?;
    let fresh = app.store().user(&user.username).await?.unwrap_or_else(|| user.clone());
    let (after, outcome) = on_login(&fresh, ok, now);
    match login_commit(&writer.ctx(acting, via), &after, outcome) {
        Some(commit) => {
            writer.commit(&commit).await?;
        }
        None => app.store().save_login_state(&after).await?,
    }
    Ok(outcome)
}

/// 429 `rate_limited` with `Retry-After`.
pub(crate) fn rate_limited(detail: &str, wait: std::time::Duration) -> ApiProblem {
    ApiProblem::new(ErrorCode::RateLimited, detail)
        .with_header(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)))
}

impl Ops<'_> {
    /// Logs in: a web session for a username (or email) and password.
    ///
    /// # Errors
    /// 401 `invalid_credentials`; 403 for a restricted token presented;
    /// 429; 503 `busy`.
    pub async fn login(&self, input: LoginInput) -> OpResult<NewSession> {
        let app = self.app;
        if let Some(presented) = &input.presented {
            require_full_scope(presented, "make a session")?;
        }
        let user = check_password(app, self.via, &input.client, &input.username, &input.password).await?;
        self.open_session(user).await
    }

    /// Opens a web session for `user`, who has just proved who it is (a
    /// password, or an identity provider's verified ID token): its cookie
    /// secret and CSRF token, answered once; only their SHA-256 and the
    /// token are stored.
    ///
    /// # Errors
    /// `internal` without randomness or when the store fails.
    pub async fn open_session(&self, user: User) -> OpResult<NewSession> {
        let app = self.app;
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
        Ok(NewSession {
            user,
            cookie,
            csrf_token,
        })
    }

    /// Logs out: ends the web session `session` (the SHA-256 of its
    /// cookie), if the caller used one; a token stays valid.
    ///
    /// # Errors
    /// `internal` when the store fails.
    pub async fn logout(&self, acting: &Acting, session: Option<&str>) -> OpResult<()> {
        if let Some(id_sha256) = session {
            self.app.store().delete_session(id_sha256).await?;
        }
        record(self.app, self.via, acting, "logout", acting.username.as_str()).await;
        Ok(())
    }

    /// A personal token for a username and password (what `gatehouse
    /// login` uses); the secret is answered once.
    ///
    /// # Errors
    /// As [`Ops::login`], and as [`Ops::create_token`].
    pub async fn token_login(&self, input: TokenLoginInput) -> OpResult<Done<(Token, String)>> {
        let login = input.login;
        if let Some(presented) = &login.presented {
            require_full_scope(presented, "make tokens")?;
        }
        let user = check_password(self.app, self.via, &login.client, &login.username, &login.password).await?;
        let acting = acting(user.username.clone(), TokenScope::user(), None, &login.client);
        let request = CreateTokenInput {
            username: user.username.as_str().to_owned(),
            description: Some(input.description.unwrap_or_else(|| "personal token".to_owned())),
            expires_in: input.expires_in,
            scope: None,
        };
        self.issue_token(&acting, request).await
    }
}
