//! `/api/v1/users`: create (with a password, or invited by email), list,
//! read, change, disable, enable, unlock, delete, set a password
//! (SPEC §5.1, Appendix A). Authorized by `router.rs`; rules are domain's.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_authz::{AccountPermission, AccountPermissions, Snapshot, UserStatus};
use gatehouse_domain::commands::Ctx;
use gatehouse_domain::commands::invitations::{self, NewInvitation};
use gatehouse_domain::commands::users::{self, NewUser, StatusChange, UserPatch, default_username};
use gatehouse_domain::entities::{ManagedBy, User};
use gatehouse_domain::names::{Email, Password, ProjectKey, RoleName, Username};
use gatehouse_domain::store::UserFilter;
use gatehouse_domain::user_status::effective_status;
use gatehouse_domain::{DomainError, FieldError, Store as _};
use serde::Deserialize;
use time::OffsetDateTime;

use super::respond::{IfMatch, Paging, Params, Tagged, Written, if_match, not_found, refuse_invalid};
use super::visibility::require_full_scope;
use crate::caller::{Caller, Client, Credential};
use crate::credentials::{random_secret, sha256_hex};
use crate::json::JsonBody;
use crate::password;
use crate::problem::ApiProblem;
use crate::state::App;

/// The wire shape of `user` as of `now`, with its groups from `snapshot`.
#[must_use]
pub fn wire_user(snapshot: &Snapshot, user: &User, now: OffsetDateTime) -> api::User {
    let groups = snapshot.user_id(user.username.as_str()).map_or_else(Vec::new, |id| {
        snapshot
            .user_groups(id)
            .iter()
            .filter_map(|g| snapshot.group_name(*g).map(str::to_owned))
            .collect()
    });
    let shown = User {
        status: effective_status(user, now),
        ..user.clone()
    };
    api::User::new(&shown, groups)
}

/// A username from a path: one that cannot exist is not found.
pub(crate) fn path_username(raw: &str) -> Result<Username, ApiProblem> {
    Username::parse(raw).map_err(|_| not_found("user", raw))
}

/// Reads a user or answers 404.
pub(crate) async fn stored_user(app: &App, username: &Username) -> Result<User, ApiProblem> {
    app.store()
        .user(username)
        .await?
        .ok_or_else(|| not_found("user", username.as_str()))
}

/// Parses account permission names, each error naming its index.
fn account_permissions(raw: &[String], errors: &mut Vec<FieldError>) -> AccountPermissions {
    let mut set = AccountPermissions::NONE;
    for (i, name) in raw.iter().enumerate() {
        match AccountPermission::parse(name) {
            Some(p) => set.insert(p),
            None => errors.push(FieldError::invalid(
                &format!("account_permissions[{i}]"),
                &format!("`{name}` is not an account permission"),
            )),
        }
    }
    set
}

/// The answer to a job the argon2 gate refused or lost.
fn gate_problem(error: &password::GateError) -> ApiProblem {
    match error {
        password::GateError::Busy => {
            metrics::counter!("gatehouse_password_hashing_refused_total").increment(1);
            ApiProblem::new(
                gatehouse_api::ErrorCode::Busy,
                "too many passwords are being hashed at once; retry shortly",
            )
            .with_header(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(password::BUSY_RETRY_SECS),
            )
        }
        password::GateError::Panicked => ApiProblem::internal("password hashing panicked", error),
    }
}

/// Hashes a password off the async runtime, through the argon2 gate
/// (argon2 is deliberately slow and memory-hard). Callers decide whether
/// the caller may set the password *before* hashing it.
///
/// # Errors
/// 503 `busy` with `Retry-After` when the gate is full.
pub(crate) async fn hash_password(app: &App, password: Password) -> Result<String, ApiProblem> {
    app.inner
        .argon2
        .run(move || password::hash(password.expose()))
        .await
        .map_err(|e| gate_problem(&e))?
        .map_err(|e| ApiProblem::internal("cannot hash a password", &e))
}

/// `POST /api/v1/users`: a user with email and password (invited until
/// its first login), or invited by email alone.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = api::CreateUser,
    responses((status = 201, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CreateUser>,
) -> Result<Written<api::User>, ApiProblem> {
    let (mut new, password) = new_user(&body)?;
    let username = new.username.clone();
    let invited = password.is_none() && new.kind != gatehouse_authz::UserKind::Service;
    if let Some(password) = password {
        // Decide on the current snapshot first: no argon2 work for a
        // request that would be refused (the write lock decides again).
        let snapshot = app.snapshot();
        let ctx = Ctx {
            store: app.store(),
            snapshot: &snapshot,
            acting: &caller.acting,
            now: app.now(),
        };
        users::create(
            &ctx,
            NewUser {
                password_hash: Some(String::new()),
                ..new.clone()
            },
        )
        .await?;
        new.password_hash = Some(hash_password(&app, password).await?);
    }
    let writer = app.writer().await?;
    let ctx = writer.ctx(&caller.acting);
    let commit = if invited {
        // The secret is not kept: the SMTP sender mints the one it sends,
        // and a platform admin gets one from `POST /api/v1/invitations`.
        let secret = random_secret().map_err(|e| ApiProblem::internal("no randomness", &e))?;
        let invitation = NewInvitation {
            user: new,
            username_given: body.username.is_some(),
            secret_sha256: sha256_hex(&secret),
        };
        invitations::invite(&ctx, invitation).await?
    } else {
        users::create(&ctx, new).await?
    };
    let revision = writer.commit(&commit).await?;
    let user = stored_user(&app, &username).await?;
    Ok(Written::created(
        revision,
        wire_user(&app.snapshot(), &user, OffsetDateTime::now_utc()),
    ))
}

/// The new user a create request describes, and its password (validated,
/// not hashed); every invalid field at once.
pub(crate) fn new_user(body: &api::CreateUser) -> Result<(NewUser, Option<Password>), ApiProblem> {
    let mut errors = Vec::new();
    let email = Email::parse(&body.email).map_err(|e| errors.push(e)).ok();
    let username = match body.username.as_deref().map(Username::parse).transpose() {
        Ok(given) => email
            .as_ref()
            .map(|e| default_username(e, given))
            .transpose()
            .map_err(|e| {
                if let DomainError::Validation(fields) = e {
                    errors.extend(fields);
                }
            })
            .ok()
            .flatten(),
        Err(e) => {
            errors.push(e.at("username"));
            None
        }
    };
    let permissions = account_permissions(&body.account_permissions, &mut errors);
    let mut memberships = Vec::new();
    for (i, m) in body.memberships.iter().enumerate() {
        let project = ProjectKey::parse(&m.project).map_err(|e| e.at(&format!("memberships[{i}].project")));
        let roles: Result<Vec<_>, _> = m
            .roles
            .iter()
            .enumerate()
            .map(|(j, r)| RoleName::parse(r).map_err(|e| e.at(&format!("memberships[{i}].roles[{j}]"))))
            .collect();
        match (project, roles) {
            (Ok(p), Ok(r)) => memberships.push((p, r)),
            (p, r) => errors.extend(p.err().into_iter().chain(r.err())),
        }
    }
    let password = match (&body.password, &username) {
        (Some(raw), Some(name)) => Password::parse("password", raw.expose(), name.as_str(), Some(&body.email))
            .map_err(|e| errors.push(e))
            .ok(),
        _ => None,
    };
    refuse_invalid(errors)?;
    let (Some(email), Some(username)) = (email, username) else {
        return Err(ApiProblem::internal("validated fields are missing", &"create user"));
    };
    let new = NewUser {
        username,
        email: Some(email),
        password_hash: None,
        kind: body.kind.map_or(gatehouse_authz::UserKind::Person, Into::into),
        admin: body.admin.unwrap_or(false),
        account_permissions: permissions,
        memberships,
        managed_by: ManagedBy::Local,
    };
    Ok((new, password))
}

/// `?q=&status=&limit=&cursor=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the username or email, any case.
    pub q: Option<String>,
    /// `invited`, `enabled`, `disabled` or `locked`.
    pub status: Option<api::UserStatus>,
    /// At most this many items (default 100, at most 1,000).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /api/v1/users`.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = Page<api::User>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(app): State<App>,
    Params(query): Params<UserQuery>,
) -> Result<axum::Json<Page<api::User>>, ApiProblem> {
    let page = Paging {
        limit: query.limit,
        cursor: query.cursor,
    }
    .request()?;
    let filter = UserFilter {
        q: query.q.filter(|q| !q.is_empty()),
        status: query.status.map(|s| match s {
            api::UserStatus::Invited => UserStatus::Invited,
            api::UserStatus::Enabled => UserStatus::Active,
            api::UserStatus::Disabled => UserStatus::Disabled,
            api::UserStatus::Locked => UserStatus::Locked,
        }),
    };
    let found = app.store().users(&filter, &page).await?;
    let (snapshot, now) = (app.snapshot(), OffsetDateTime::now_utc());
    Ok(axum::Json(Page::map(found.items, found.next_cursor, |u| {
        wire_user(&snapshot, &u, now)
    })))
}

/// `GET /api/v1/users/{username}`.
#[utoipa::path(get, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn get(State(app): State<App>, Path(username): Path<String>) -> Result<Tagged<api::User>, ApiProblem> {
    let user = stored_user(&app, &path_username(&username)?).await?;
    Ok(Tagged(
        user.revision,
        wire_user(&app.snapshot(), &user, OffsetDateTime::now_utc()),
    ))
}

/// `PATCH /api/v1/users/{username}`: email, admin flag, account permissions.
#[utoipa::path(patch, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)),
    request_body = api::PatchUser, responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<api::PatchUser>,
) -> Result<Written<api::User>, ApiProblem> {
    let username = path_username(&username)?;
    let expected = if_match(&headers)?;
    let mut errors = Vec::new();
    let email = body
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let permissions = body
        .account_permissions
        .as_ref()
        .map(|raw| account_permissions(raw, &mut errors));
    refuse_invalid(errors)?;
    let patch = UserPatch {
        email,
        admin: body.admin,
        account_permissions: permissions,
    };
    let writer = app.writer().await?;
    let commit = users::update(&writer.ctx(&caller.acting), &username, patch, expected).await?;
    let revision = writer.commit(&commit).await?;
    let user = stored_user(&app, &username).await?;
    Ok(Written::ok(
        revision,
        wire_user(&app.snapshot(), &user, OffsetDateTime::now_utc()),
    ))
}

async fn change_status(
    app: App,
    caller: Caller,
    username: &str,
    change: StatusChange,
    if_match: IfMatch,
) -> Result<Written<api::User>, ApiProblem> {
    let username = path_username(username)?;
    let writer = app.writer().await?;
    let commit = users::set_status(&writer.ctx(&caller.acting), &username, change).await?;
    if_match.holds(stored_user(&app, &username).await?.revision)?;
    let revision = writer.commit(&commit).await?;
    let user = stored_user(&app, &username).await?;
    Ok(Written::ok(
        revision,
        wire_user(&app.snapshot(), &user, OffsetDateTime::now_utc()),
    ))
}

/// `POST /api/v1/users/{username}/disable`: denied everything, its tokens
/// and sessions refused from the next request.
#[utoipa::path(post, path = "/api/v1/users/{username}/disable", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn disable(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    if_match: IfMatch,
) -> Result<Written<api::User>, ApiProblem> {
    change_status(app, caller, &username, StatusChange::Disable, if_match).await
}

/// `POST /api/v1/users/{username}/enable`.
#[utoipa::path(post, path = "/api/v1/users/{username}/enable", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn enable(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    if_match: IfMatch,
) -> Result<Written<api::User>, ApiProblem> {
    change_status(app, caller, &username, StatusChange::Enable, if_match).await
}

/// `POST /api/v1/users/{username}/unlock`: ends a lockout at once.
#[utoipa::path(post, path = "/api/v1/users/{username}/unlock", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn unlock(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    if_match: IfMatch,
) -> Result<Written<api::User>, ApiProblem> {
    change_status(app, caller, &username, StatusChange::Unlock, if_match).await
}

/// `DELETE /api/v1/users/{username}`: with its memberships, group
/// memberships, tokens and sessions.
#[utoipa::path(delete, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    headers: HeaderMap,
) -> Result<Written<()>, ApiProblem> {
    let username = path_username(&username)?;
    let expected = if_match(&headers)?;
    let writer = app.writer().await?;
    let commit = users::delete(&writer.ctx(&caller.acting), &username, expected).await?;
    Ok(Written::no_content(writer.commit(&commit).await?))
}

/// `PUT /api/v1/users/{username}/password`: one's own (with the current
/// password, checked as a login is: rate limited, counted toward the
/// lockout, audited) or anyone's with `accounts.manage`. Whether the caller
/// may is decided before any password is hashed. A change by the user ends
/// its other web sessions, a reset by another all of them; tokens stay.
/// Changing the first admin's password removes the file holding the
/// generated one.
#[utoipa::path(put, path = "/api/v1/users/{username}/password", tag = "users", params(("username" = String, Path)),
    request_body = api::SetPassword, responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn set_password(
    State(app): State<App>,
    caller: Caller,
    client: Client,
    Path(username): Path<String>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::SetPassword>,
) -> Result<Written<()>, ApiProblem> {
    require_full_scope(&caller.acting, "change credentials")?;
    let username = path_username(&username)?;
    let own = username == caller.acting.username;
    {
        // Authorize first, on the current snapshot: a refused request costs
        // no argon2 work (the write lock decides again).
        let snapshot = app.snapshot();
        let ctx = Ctx {
            store: app.store(),
            snapshot: &snapshot,
            acting: &caller.acting,
            now: app.now(),
        };
        users::set_password(&ctx, &username, String::new(), None).await?;
    }
    let target = stored_user(&app, &username).await?;
    let email = target.email.as_ref().map(|e| e.as_str().to_owned());
    let password = Password::parse(
        "new_password",
        body.new_password.expose(),
        username.as_str(),
        email.as_deref(),
    )?;
    if own {
        let Some(current) = body.current_password.as_ref() else {
            return Err(FieldError::required("current_password").into());
        };
        // A wrong current password is a failed login (SPEC §6.1, §5.1).
        match super::auth::check_current_password(&app, &client, username.as_str(), current.expose()).await {
            Ok(_) => {}
            Err(problem) if problem.code() == gatehouse_api::ErrorCode::InvalidCredentials => {
                return Err(FieldError::invalid("current_password", "is not the current password").into());
            }
            Err(problem) => return Err(problem),
        }
    }
    let hash = hash_password(&app, password).await?;
    let keep_session = match &caller.credential {
        Credential::Session { id_sha256, .. } => Some(id_sha256.clone()),
        Credential::Token { .. } => None,
    };
    let writer = app.writer().await?;
    let commit = users::set_password(&writer.ctx(&caller.acting), &username, hash, keep_session).await?;
    if_match.holds(stored_user(&app, &username).await?.revision)?;
    let revision = writer.commit(&commit).await?;
    if username.as_str() == gatehouse_domain::commands::init::FIRST_ADMIN {
        crate::password::forget_initial_password(&app.config().data_dir);
    }
    Ok(Written::no_content(revision))
}

/// Checks a password against a PHC string off the async runtime, through
/// the argon2 gate.
///
/// # Errors
/// 503 `busy` with `Retry-After` when the gate is full.
pub(crate) async fn verify_password(app: &App, password: String, phc: String) -> Result<bool, ApiProblem> {
    app.inner
        .argon2
        .run(move || password::verify(&password, &phc))
        .await
        .map_err(|e| gate_problem(&e))
}
