//! `/api/v1/users`: create (with a password, or invited by email), list,
//! read, change, disable, enable, unlock, delete, set a password
//! (SPEC §5.1, Appendix A). Authorized by `router.rs`; rules are domain's.

use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_authz::Snapshot;
use gatehouse_domain::commands::users::StatusChange;
use gatehouse_domain::entities::User;
use gatehouse_domain::user_status::effective_status;
use serde::Deserialize;
use time::OffsetDateTime;

use super::respond::{DryRun, DryRunQuery, IfMatch, Params, Tagged, Written};
use crate::caller::{Caller, Client};
use crate::json::JsonBody;
use crate::operations::users::{
    CreateUserInput, ListUsersInput, MembershipInput, PatchUserInput, SetPasswordInput, UserRef, wire_status,
};
use crate::operations::{Done, Paging, Via};
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

/// A written user in its wire shape, as of now.
pub(crate) fn written_user(app: &App, done: Done<User>, created: bool) -> Written<api::User> {
    let user = wire_user(&app.snapshot(), &done.value, OffsetDateTime::now_utc());
    if created {
        Written::created(done.revision, user)
    } else {
        Written::ok(done.revision, user)
    }
}

/// The memberships of a create or invite request.
pub(crate) fn memberships(raw: Vec<api::Membership>) -> Vec<MembershipInput> {
    raw.into_iter().map(Into::into).collect()
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
    let done = app
        .ops(Via::Api)
        .create_user(&caller.acting, CreateUserInput::from(body))
        .await?;
    Ok(written_user(&app, done, true))
}

/// `?q=&status=&kind=&managed_by=&limit=&cursor=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the username or email, any case.
    pub q: Option<String>,
    /// `invited`, `enabled`, `disabled` or `locked`.
    pub status: Option<api::UserStatus>,
    /// `person` or `service`.
    pub kind: Option<api::UserKind>,
    /// `local`, `scim` or `oidc`.
    pub managed_by: Option<api::ManagedBy>,
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
    let input = ListUsersInput {
        q: query.q,
        status: query.status.map(wire_status),
        kind: query.kind.map(Into::into),
        managed_by: query.managed_by.map(Into::into),
        paging: Paging {
            limit: query.limit,
            cursor: query.cursor,
        },
    };
    let found = app.ops(Via::Api).list_users(input).await?;
    let (snapshot, now) = (app.snapshot(), OffsetDateTime::now_utc());
    Ok(axum::Json(Page::map(found.items, found.next_cursor, |u| {
        wire_user(&snapshot, &u, now)
    })))
}

/// `GET /api/v1/users/{username}`.
#[utoipa::path(get, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn get(State(app): State<App>, Path(username): Path<String>) -> Result<Tagged<api::User>, ApiProblem> {
    let user = app.ops(Via::Api).get_user(&username).await?;
    Ok(Tagged(
        user.revision,
        wire_user(&app.snapshot(), &user, OffsetDateTime::now_utc()),
    ))
}

/// `PATCH /api/v1/users/{username}`: email, admin flag, account permissions.
#[utoipa::path(patch, path = "/api/v1/users/{username}", tag = "users", params(DryRunQuery, ("username" = String, Path)),
    request_body = api::PatchUser, responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(username): Path<String>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::PatchUser>,
) -> Result<Written<api::User>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let input = PatchUserInput {
        username,
        email: body.email,
        admin: body.admin,
        account_permissions: body.account_permissions,
        expected_revision: if_match.0,
    };
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .patch_user(&caller.acting, input)
        .await?;
    Ok(written_user(&app, done, false))
}

async fn change_status(
    app: App,
    caller: Caller,
    dry_run: DryRun,
    username: String,
    change: StatusChange,
    if_match: IfMatch,
) -> Result<Written<api::User>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let user = UserRef {
        username,
        expected_revision: if_match.0,
    };
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .set_user_status(&caller.acting, user, change)
        .await?;
    Ok(written_user(&app, done, false))
}

/// `POST /api/v1/users/{username}/disable`: denied everything, its tokens
/// and sessions refused from the next request.
#[utoipa::path(post, path = "/api/v1/users/{username}/disable", tag = "users", params(DryRunQuery, ("username" = String, Path)),
    responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn disable(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(username): Path<String>,
    if_match: IfMatch,
) -> Result<Written<api::User>, ApiProblem> {
    change_status(app, caller, dry_run, username, StatusChange::Disable, if_match).await
}

/// `POST /api/v1/users/{username}/enable`.
#[utoipa::path(post, path = "/api/v1/users/{username}/enable", tag = "users", params(DryRunQuery, ("username" = String, Path)),
    responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn enable(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(username): Path<String>,
    if_match: IfMatch,
) -> Result<Written<api::User>, ApiProblem> {
    change_status(app, caller, dry_run, username, StatusChange::Enable, if_match).await
}

/// `POST /api/v1/users/{username}/unlock`: ends a lockout at once.
#[utoipa::path(post, path = "/api/v1/users/{username}/unlock", tag = "users", params(DryRunQuery, ("username" = String, Path)),
    responses((status = 200, body = api::User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn unlock(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(username): Path<String>,
    if_match: IfMatch,
) -> Result<Written<api::User>, ApiProblem> {
    change_status(app, caller, dry_run, username, StatusChange::Unlock, if_match).await
}

/// `DELETE /api/v1/users/{username}`: with its memberships, group
/// memberships, tokens and sessions.
#[utoipa::path(delete, path = "/api/v1/users/{username}", tag = "users", params(DryRunQuery, ("username" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(username): Path<String>,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let user = UserRef {
        username,
        expected_revision: if_match.0,
    };
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .delete_user(&caller.acting, user)
        .await?;
    Ok(Written::no_content(done.revision))
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
    let keep_session = caller.credential.session_id().map(str::to_owned);
    let input = SetPasswordInput {
        username,
        current_password: body.current_password.map(|p| p.expose().to_owned()),
        new_password: body.new_password.expose().to_owned(),
        keep_session,
        client,
        expected_revision: if_match.0,
    };
    let done = app.ops(Via::Api).set_password(&caller.acting, input).await?;
    Ok(Written::no_content(done.revision))
}
