//! Project members (SPEC §5.5): users or groups with at least one role;
//! `PUT` replaces the roles, `DELETE` removes the member; the listing is
//! filtered by `kind` and `q` and paged (fast at 100,000 members). Granting
//! follows SPEC §2.5: no one hands out what they do not hold.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use serde::Deserialize;

use super::respond::{DryRun, DryRunQuery, IfMatch, Params, Written};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::operations::members::{ListMembersInput, MemberRef, RemoveMemberInput, SetMemberInput};
use crate::operations::{Paging, Via};
use crate::problem::ApiProblem;
use crate::state::App;

/// `?kind=&q=&limit=&cursor=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// `user` or `group`.
    pub kind: Option<api::MemberKind>,
    /// Part of the member's name, any case.
    pub q: Option<String>,
    /// At most this many items (default 100, at most 1,000).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /api/v1/projects/{key}/members`: users then groups, by name.
#[utoipa::path(get, path = "/api/v1/projects/{key}/members", tag = "members", params(("key" = String, Path), MemberQuery),
    responses((status = 200, body = Page<api::Member>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    Params(query): Params<MemberQuery>,
) -> Result<Json<Page<api::Member>>, ApiProblem> {
    let input = ListMembersInput {
        project: key,
        kind: query.kind.map(|k| {
            match k {
                api::MemberKind::User => "user",
                api::MemberKind::Group => "group",
            }
            .to_owned()
        }),
        q: query.q,
        paging: Paging {
            limit: query.limit,
            cursor: query.cursor,
        },
    };
    let found = app.ops(Via::Api).list_members(&caller.acting, input).await?;
    Ok(Json(Page::map(found.items, found.next_cursor, |m| {
        api::Member::from(&m)
    })))
}

async fn set(
    app: &App,
    caller: &Caller,
    dry_run: &DryRun,
    project: String,
    member: MemberRef,
    body: api::SetRoles,
    if_match: IfMatch,
) -> Result<Written<api::Member>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let input = SetMemberInput {
        project,
        member,
        roles: body.roles,
        expected_revision: if_match.0,
    };
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .set_member(&caller.acting, input)
        .await?;
    Ok(Written::ok(done.revision, api::Member::from(&done.value)))
}

async fn remove(
    app: &App,
    caller: &Caller,
    dry_run: &DryRun,
    project: String,
    member: MemberRef,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let input = RemoveMemberInput {
        project,
        member,
        expected_revision: if_match.0,
    };
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .remove_member(&caller.acting, input)
        .await?;
    Ok(Written::no_content(done.revision))
}

/// `PUT /api/v1/projects/{key}/members/users/{username}`: `{"roles": [...]}`.
#[utoipa::path(put, path = "/api/v1/projects/{key}/members/users/{username}", tag = "members",
    params(DryRunQuery, ("key" = String, Path), ("username" = String, Path)), request_body = api::SetRoles,
    responses((status = 200, body = api::Member), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn put_user(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path((key, username)): Path<(String, String)>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::SetRoles>,
) -> Result<Written<api::Member>, ApiProblem> {
    set(&app, &caller, &dry_run, key, MemberRef::User(username), body, if_match).await
}

/// `DELETE /api/v1/projects/{key}/members/users/{username}`.
#[utoipa::path(delete, path = "/api/v1/projects/{key}/members/users/{username}", tag = "members",
    params(DryRunQuery, ("key" = String, Path), ("username" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_user(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path((key, username)): Path<(String, String)>,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    remove(&app, &caller, &dry_run, key, MemberRef::User(username), if_match).await
}

/// `PUT /api/v1/projects/{key}/members/groups/{name}`: `{"roles": [...]}`.
#[utoipa::path(put, path = "/api/v1/projects/{key}/members/groups/{name}", tag = "members",
    params(DryRunQuery, ("key" = String, Path), ("name" = String, Path)), request_body = api::SetRoles,
    responses((status = 200, body = api::Member), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn put_group(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path((key, name)): Path<(String, String)>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::SetRoles>,
) -> Result<Written<api::Member>, ApiProblem> {
    set(&app, &caller, &dry_run, key, MemberRef::Group(name), body, if_match).await
}

/// `DELETE /api/v1/projects/{key}/members/groups/{name}`.
#[utoipa::path(delete, path = "/api/v1/projects/{key}/members/groups/{name}", tag = "members",
    params(DryRunQuery, ("key" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_group(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path((key, name)): Path<(String, String)>,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    remove(&app, &caller, &dry_run, key, MemberRef::Group(name), if_match).await
}
