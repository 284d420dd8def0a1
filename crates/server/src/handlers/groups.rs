//! `/api/v1/groups` (SPEC §5.2): create, list, read, describe, delete, and
//! change members. Managed by holders of `accounts.manage`.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::entities::Group;

use super::respond::{DryRun, DryRunQuery, IfMatch, Params, Tagged, Written};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::operations::groups::{CreateGroupInput, GroupMembersInput, PatchGroupInput};
use crate::operations::{Done, Paging, Via};
use crate::problem::ApiProblem;
use crate::state::App;

fn written(done: Done<Group>) -> Written<api::Group> {
    Written::ok(done.revision, api::Group::from(&done.value))
}

/// `GET /api/v1/groups`.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", params(Paging),
    responses((status = 200, body = Page<api::Group>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(app): State<App>,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Group>>, ApiProblem> {
    let found = app.ops(Via::Api).list_groups(&paging).await?;
    Ok(Json(Page::map(found.items, found.next_cursor, |g| {
        api::Group::from(&g)
    })))
}

/// `POST /api/v1/groups`.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = api::CreateGroup,
    responses((status = 201, body = api::Group), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CreateGroup>,
) -> Result<Written<api::Group>, ApiProblem> {
    let input = CreateGroupInput {
        name: body.name,
        description: body.description,
        members: body.members,
    };
    let done = app.ops(Via::Api).create_group(&caller.acting, input).await?;
    Ok(Written::created(done.revision, api::Group::from(&done.value)))
}

/// `GET /api/v1/groups/{name}`.
#[utoipa::path(get, path = "/api/v1/groups/{name}", tag = "groups", params(("name" = String, Path)),
    responses((status = 200, body = api::Group), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn get(State(app): State<App>, Path(name): Path<String>) -> Result<Tagged<api::Group>, ApiProblem> {
    let group = app.ops(Via::Api).get_group(&name).await?;
    Ok(Tagged(group.revision, api::Group::from(&group)))
}

/// `PATCH /api/v1/groups/{name}`: the description.
#[utoipa::path(patch, path = "/api/v1/groups/{name}", tag = "groups", params(("name" = String, Path)),
    request_body = api::PatchGroup, responses((status = 200, body = api::Group), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::PatchGroup>,
) -> Result<Written<api::Group>, ApiProblem> {
    let input = PatchGroupInput {
        name,
        description: body.description,
        expected_revision: if_match.0,
    };
    Ok(written(app.ops(Via::Api).patch_group(&caller.acting, input).await?))
}

/// `DELETE /api/v1/groups/{name}`: with its project memberships.
#[utoipa::path(delete, path = "/api/v1/groups/{name}", tag = "groups", params(DryRunQuery, ("name" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(name): Path<String>,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .delete_group(&caller.acting, &name, if_match.0)
        .await?;
    Ok(Written::no_content(done.revision))
}

/// `PATCH /api/v1/groups/{name}/members`: `{"add": [...], "remove": [...]}`.
/// Adding a user to a group that holds roles grants them, so the actor
/// must be allowed to assign those roles (SPEC §2.5).
#[utoipa::path(patch, path = "/api/v1/groups/{name}/members", tag = "groups", params(DryRunQuery, ("name" = String, Path)),
    request_body = api::PatchGroupMembers, responses((status = 200, body = api::Group), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn change_members(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(name): Path<String>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::PatchGroupMembers>,
) -> Result<Written<api::Group>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let input = GroupMembersInput {
        name,
        add: body.add,
        remove: body.remove,
        expected_revision: if_match.0,
    };
    Ok(written(
        app.ops(Via::Api)
            .previewing(preview.as_ref())
            .change_group_members(&caller.acting, input)
            .await?,
    ))
}
