//! The route guard: authenticates the request (bearer token — or Basic
//! with a username and its token, as JFrog clients send it — or session
//! cookie with its CSRF token) and refuses it unless the caller holds what
//! `router.rs` says the route needs — before the handler runs (STYLE §2.8).

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use gatehouse_api::ErrorCode;
use gatehouse_authz::{AccountPermission, TokenScope, UserStatus};
use gatehouse_domain::commands::Acting;
use gatehouse_domain::commands::tokens::scope_spec;
use gatehouse_domain::entities::Scope;
use gatehouse_domain::names::Username;
use gatehouse_domain::{AuditActor, AuditEntry, Store as _, StoreError, Via};
use time::{Duration, OffsetDateTime};

use crate::caller::{Caller, CallerName, Client, Credential};
use crate::credentials::{NotBearer, Presented, presented, same_secret, sha256, sha256_hex};
use crate::needs::Needs;
use crate::problem::{ApiProblem, current_request_id};
use crate::state::App;
use crate::token_cache::{Generation, SecretDigest};

pub use crate::credentials::SESSION_COOKIE;
/// The header carrying a session's CSRF token on writes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session ends after this long without a request (SPEC §6.2).
pub const SESSION_IDLE: Duration = Duration::minutes(30);
/// A session ends this long after login whatever happens (SPEC §6.2).
pub const SESSION_ABSOLUTE: Duration = Duration::hours(12);
/// Last use of tokens and sessions is written at most this often.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Authenticates the request and enforces `needs`.
pub async fn guard(State((app, needs)): State<(App, Needs)>, request: Request, next: Next) -> Response {
    guarded(&app, needs, request, |request| next.run(request)).await
}

/// Authenticates the request and enforces `needs`, then answers it with
/// `run` (the guard of [`guard`], for a middleware that does more).
pub async fn guarded<F, Fut>(app: &App, needs: Needs, mut request: Request, run: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let (mut parts, body) = request.into_parts();
    let client = Client::of(&parts);
    let caller = match authenticate(app, &parts, &client).await {
        Ok(caller) => caller,
        Err(problem) if needs != Needs::Public => return problem.into_response(),
        Err(_) => None,
    };
    if let Err(problem) = authorize(app, needs, caller.as_ref(), &parts).await {
        return problem.into_response();
    }
    let name = caller
        .as_ref()
        .map(|c| CallerName(c.acting.username.as_str().to_owned()));
    if let Some(caller) = caller {
        // Moved, not cloned: the handler's `Caller` extractor takes it out.
        parts.extensions.insert(caller);
    }
    request = Request::from_parts(parts, body);
    let mut response = run(request).await;
    if let Some(name) = name {
        response.extensions_mut().insert(name);
    }
    response
}

async fn authorize(app: &App, needs: Needs, caller: Option<&Caller>, request: &Parts) -> Result<(), ApiProblem> {
    if needs == Needs::Public {
        return Ok(());
    }
    let Some(caller) = caller else {
        return Err(ApiProblem::unauthenticated("authentication required"));
    };
    if let Credential::Session { csrf_token, .. } = &caller.credential
        && !is_safe(&request.method)
    {
        check_csrf(csrf_token, request)?;
    }
    let permission = match needs {
        Needs::Public | Needs::Authenticated => return Ok(()),
        Needs::Account(permission) => Some(permission),
        Needs::Admin => None,
    };
    if holds(app, &caller.acting, permission) {
        return Ok(());
    }
    let what = permission.map_or_else(|| "platform admin".to_owned(), |p| format!("`{p}`"));
    // Repeats are counted, not each recorded (`denials.rs`).
    let route = request
        .extensions
        .get::<MatchedPath>()
        .map_or_else(|| request.uri.path(), MatchedPath::as_str);
    let acting = &caller.acting;
    let token = acting.audit.token_id.as_deref();
    if let Some(repeated) = app
        .inner
        .denials
        .admit(acting.username.as_str(), token, request.method.as_str(), route)
    {
        let path: String = request.uri.path().chars().take(256).collect();
        let mut entry = audit_entry(acting, Via::Api, "access.denied", "route", &path);
        entry.after = Some(serde_json::json!({
            "method": request.method.as_str(), "needs": what, "route": route, "repeated_since_last": repeated,
        }));
        if let Err(error) = app.store().record_event(&entry, OffsetDateTime::now_utc()).await {
            tracing::warn!(%error, "cannot audit a refused request");
        }
    }
    Err(ApiProblem::new(ErrorCode::Forbidden, format!("requires {what}")))
}

/// Whether the acting user, active and acting with a full-scope credential,
/// is a platform admin or holds `permission` (`None`: admins only).
#[must_use]
pub fn holds(app: &App, acting: &Acting, permission: Option<AccountPermission>) -> bool {
    let snapshot = app.snapshot();
    let Some(user) = snapshot.user_id(acting.username.as_str()) else {
        return false;
    };
    let active = snapshot.user_status(user).is_some_and(|s| !s.is_blocked());
    let granted = snapshot.is_admin(user) || permission.is_some_and(|p| snapshot.account_permissions(user).contains(p));
    active && granted && acting.scope.is_unrestricted()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn check_csrf(expected: &str, request: &Parts) -> Result<(), ApiProblem> {
    let sent = request.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match sent {
        Some(sent) if same_secret(sent, expected) => Ok(()),
        _ => Err(ApiProblem::new(
            ErrorCode::Forbidden,
            "a write with a session needs its `X-CSRF-Token`",
        )),
    }
}

/// The caller the request's credential names; `None` without one.
async fn authenticate(app: &App, parts: &Parts, client: &Client) -> Result<Option<Caller>, ApiProblem> {
    match presented(&parts.headers) {
        Ok(Some(Presented::Token(secret))) => by_token(app, secret, client).await.map(Some),
        Ok(Some(Presented::BasicToken { username, secret })) => {
            // JFrog clients' Basic: the password must be a token of that
            // very user. No password is ever checked here.
            let caller = by_token(app, &secret, client).await?;
            if same_secret(caller.acting.username.as_str(), &username) {
                Ok(Some(caller))
            } else {
                Err(ApiProblem::unauthenticated("the token is invalid, expired or revoked"))
            }
        }
        Ok(Some(Presented::SessionCookie(cookie))) => by_session(app, &cookie, client).await.map(Some),
        Ok(None) => Ok(None),
        Err(NotBearer) => Err(ApiProblem::unauthenticated(
            "expected `Authorization: Bearer gate_…` (or Basic with a username and its token)",
        )),
    }
}

/// The caller a session cookie names, for the web UI's pages (which take
/// the session cookie only, never a bearer token): `None` without a cookie
/// or when its session has ended (SPEC §6.2: idle and absolute timeouts).
///
/// # Errors
/// When the store cannot be read.
pub(crate) async fn session_caller(app: &App, parts: &Parts) -> Result<Option<Caller>, ApiProblem> {
    let Some(cookie) = crate::credentials::session_cookie(&parts.headers) else {
        return Ok(None);
    };
    match by_session(app, &cookie, &Client::of(parts)).await {
        Ok(caller) => Ok(Some(caller)),
        Err(problem) if problem.code() == ErrorCode::Unauthenticated => Ok(None),
        Err(problem) => Err(problem),
    }
}

/// Who acts: `username` through a credential of `scope` (and `token_id`),
/// from `client`, in the request being served.
pub(crate) fn acting(username: Username, scope: TokenScope, token_id: Option<String>, client: &Client) -> Acting {
    Acting {
        audit: AuditActor {
            username: Some(username.as_str().to_owned()),
            token_id,
            address: Some(client.address.to_string()),
            user_agent: client.user_agent.clone(),
            via: None,
        },
        username,
        scope,
        request_id: current_request_id(),
    }
}

/// An audit entry of a security event by `acting`.
#[must_use]
pub fn audit_entry(acting: &Acting, via: Via, event: &str, target_type: &str, target_id: &str) -> AuditEntry {
    let mut actor = acting.audit.clone();
    actor.via = Some(via);
    AuditEntry {
        actor,
        event: event.to_owned(),
        target_type: target_type.to_owned(),
        target_id: target_id.to_owned(),
        project: None,
        before: None,
        after: None,
        request_id: acting.request_id.clone(),
    }
}

async fn by_token(app: &App, secret: &str, client: &Client) -> Result<Caller, ApiProblem> {
    let refused = || ApiProblem::unauthenticated("the token is invalid, expired or revoked");
    let digest = sha256(secret);
    // Taken before the store is read: an answer read before a revocation
    // is never cached after it (`token_cache.rs`).
    let generation = app.inner.tokens.generation();
    let token = match app.inner.tokens.get(&digest) {
        Some(token) => token,
        None => match token_by_hash(app, &hex::encode(digest)).await {
            Ok(token) => {
                let token = token.map(Arc::new);
                app.inner.tokens.put(generation, digest, token.clone());
                token
            }
            // The store cannot be asked: what this instance last read.
            Err(StoreError::Unavailable { .. }) if app.inner.tokens.get_stale(&digest).is_some() => {
                app.inner.tokens.get_stale(&digest).flatten()
            }
            Err(error) => return Err(error.into()),
        },
    }
    .ok_or_else(refused)?;
    let now = OffsetDateTime::now_utc();
    if token.expires_at.is_some_and(|at| at <= now) {
        return Err(refused());
    }
    let snapshot = app.snapshot();
    let user = snapshot.user_id(token.username.as_str()).ok_or_else(refused)?;
    if !usable(snapshot.user_status(user)) {
        return Err(ApiProblem::unauthenticated("the account is disabled"));
    }
    let snapshot = app.snapshot();
    let scope = match &token.scope {
        Scope::User(_) => TokenScope::user(),
        Scope::Entries(entries) => {
            // What no longer resolves (a deleted environment) grants nothing.
            let specs: Vec<_> = entries.iter().map(scope_spec).collect();
            snapshot.stored_token_scope(&specs)
        }
    };
    let acting = acting(token.username.clone(), scope, Some(token.id.clone()), client);
    if token.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
        touch_token(app, &acting, &token, (generation, digest), now);
    }
    Ok(Caller {
        credential: Credential::Token {
            id: acting.audit.token_id.clone().unwrap_or_default(),
        },
        acting,
    })
}

/// The stored token of `sha256`, asked again once if the first answer
/// met a lost connection (killed by the server, a failover): the pool then
/// gives a new one, and the request need not fail.
async fn token_by_hash(app: &App, sha256: &str) -> Result<Option<gatehouse_domain::entities::Token>, StoreError> {
    match app.store().token_by_secret_hash(sha256).await {
        Err(StoreError::Unavailable { full: false, .. }) => app.store().token_by_secret_hash(sha256).await,
        answer => answer,
    }
}

/// Records a token's use in the background: `last_used_at`, and an audit
/// record the first time (SPEC §9.1).
fn touch_token(
    app: &App,
    acting: &Acting,
    token: &gatehouse_domain::entities::Token,
    (generation, digest): (Generation, SecretDigest),
    now: OffsetDateTime,
) {
    let first = token.last_used_at.is_none();
    let mut token = token.clone();
    token.last_used_at = Some(now);
    let id = token.id.clone();
    app.inner.tokens.put(generation, digest, Some(Arc::new(token)));
    let app = app.clone();
    let entry = first.then(|| audit_entry(acting, Via::Api, "token.first_used", "token", &id));
    tokio::spawn(async move {
        if let Err(error) = app.store().touch_token(&id, now).await {
            tracing::warn!(%error, "cannot record a token's use");
        }
        if let Some(entry) = entry
            && let Err(error) = app.store().record_event(&entry, now).await
        {
            tracing::warn!(%error, "cannot audit a token's first use");
        }
    });
}

/// Whether a user of this status may use its credentials: anyone but a
/// disabled or unknown user. A lock guards the password alone (SPEC §2.1):
/// a locked user's tokens and sessions keep working.
fn usable(status: Option<UserStatus>) -> bool {
    status.is_some_and(|s| !s.is_blocked())
}

async fn by_session(app: &App, cookie: &str, client: &Client) -> Result<Caller, ApiProblem> {
    let refused = || ApiProblem::unauthenticated("the session has ended; log in again");
    let id_sha256 = sha256_hex(cookie);
    let session = app.store().session(&id_sha256).await?.ok_or_else(refused)?;
    let now = app.now();
    if now - session.last_seen_at >= SESSION_IDLE || now - session.created_at >= SESSION_ABSOLUTE {
        app.store().delete_session(&id_sha256).await?;
        return Err(refused());
    }
    let snapshot = app.snapshot();
    let user = snapshot.user_id(session.username.as_str()).ok_or_else(refused)?;
    if !usable(snapshot.user_status(user)) {
        return Err(ApiProblem::unauthenticated("the account is disabled"));
    }
    if now - session.last_seen_at >= TOUCH_EVERY {
        app.store().touch_session(&id_sha256, now).await?;
    }
    Ok(Caller {
        acting: acting(session.username, TokenScope::user(), None, client),
        credential: Credential::Session {
            id_sha256,
            csrf_token: session.csrf_token,
        },
    })
}
