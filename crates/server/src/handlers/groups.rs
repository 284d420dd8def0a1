//! `/api/v1/groups` (SPEC §5.2): create, list, read, describe, delete, and
//! change members. Managed by holders of `accounts.manage`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::commands::groups;
use gatehouse_domain::entities::Group;
use gatehouse_domain::limits::MAX_DESCRIPTION;
use gatehouse_domain::names::{Description, GroupName, Username};
use gatehouse_domain::{FieldError, Store as _};

use super::respond::{IfMatch, Paging, Params, Tagged, Written, if_match, not_found, refuse_invalid};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::problem::ApiProblem;
use crate::state::App;

fn path_group(raw: &str) -> Result<GroupName, ApiProblem> {
    GroupName::parse(raw).map_err(|_| not_found("group", raw))
}

async fn stored_group(app: &App, name: &GroupName) -> Result<Group, ApiProblem> {
    app.store()
        .group(name)
        .await?
        .ok_or_else(|| not_found("group", name.as_str()))
}

/// Parses `field[i]` usernames, collecting every error.
fn usernames(field: &str, raw: &[String], errors: &mut Vec<FieldError>) -> Vec<Username> {
    raw.iter()
        .enumerate()
        .filter_map(|(i, u)| {
            Username::parse(u)
                .map_err(|e| errors.push(e.at(&format!("{field}[{i}]"))))
                .ok()
        })
        .collect()
}

/// `GET /api/v1/groups`.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", params(Paging),
    responses((status = 200, body = Page<api::Group>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(app): State<App>,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Group>>, ApiProblem> {
    let found = app.store().groups(&paging.request()?).await?;
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
    let mut errors = Vec::new();
    let name = GroupName::parse(&body.name).map_err(|e| errors.push(e.at("name"))).ok();
    let description = Description::parse("description", &body.description, MAX_DESCRIPTION)
        .map_err(|e| errors.push(e))
        .ok();
    let members = usernames("members", &body.members, &mut errors);
    refuse_invalid(errors)?;
    let (Some(name), Some(description)) = (name, description) else {
        return Err(ApiProblem::internal("validated fields are missing", &"create group"));
    };
    let writer = app.writer().await?;
    let commit = groups::create(&writer.ctx(&caller.acting), name.clone(), description, members).await?;
    let revision = writer.commit(&commit).await?;
    Ok(Written::created(
        revision,
        api::Group::from(&stored_group(&app, &name).await?),
    ))
}

/// `GET /api/v1/groups/{name}`.
#[utoipa::path(get, path = "/api/v1/groups/{name}", tag = "groups", params(("name" = String, Path)),
    responses((status = 200, body = api::Group), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn get(State(app): State<App>, Path(name): Path<String>) -> Result<Tagged<api::Group>, ApiProblem> {
    let group = stored_group(&app, &path_group(&name)?).await?;
    Ok(Tagged(group.revision, api::Group::from(&group)))
}

/// `PATCH /api/v1/groups/{name}`: the description.
#[utoipa::path(patch, path = "/api/v1/groups/{name}", tag = "groups", params(("name" = String, Path)),
    request_body = api::PatchGroup, responses((status = 200, body = api::Group), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<api::PatchGroup>,
) -> Result<Written<api::Group>, ApiProblem> {
    let name = path_group(&name)?;
    let expected = if_match(&headers)?;
    let writer = app.writer().await?;
    let current = stored_group(&app, &name).await?;
    let description = match body.description {
        Some(raw) => Description::parse("description", &raw, MAX_DESCRIPTION)?,
        None => current.description,
    };
    let commit = groups::update(&writer.ctx(&caller.acting), &name, description, expected).await?;
    let revision = writer.commit(&commit).await?;
    Ok(Written::ok(
        revision,
        api::Group::from(&stored_group(&app, &name).await?),
    ))
}

/// `DELETE /api/v1/groups/{name}`: with its project memberships.
#[utoipa::path(delete, path = "/api/v1/groups/{name}", tag = "groups", params(("name" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Written<()>, ApiProblem> {
    let name = path_group(&name)?;
    let expected = if_match(&headers)?;
    let writer = app.writer().await?;
    let commit = groups::delete(&writer.ctx(&caller.acting), &name, expected).await?;
    Ok(Written::no_content(writer.commit(&commit).await?))
}

/// `PATCH /api/v1/groups/{name}/members`: `{"add": [...], "remove": [...]}`.
/// Adding a user to a group that holds roles grants them, so the actor
/// must be allowed to assign those roles (SPEC §2.5).
#[utoipa::path(patch, path = "/api/v1/groups/{name}/members", tag = "groups", params(("name" = String, Path)),
    request_body = api::PatchGroupMembers, responses((status = 200, body = api::Group), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn change_members(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::PatchGroupMembers>,
) -> Result<Written<api::Group>, ApiProblem> {
    let name = path_group(&name)?;
    let mut errors = Vec::new();
    let add = usernames("add", &body.add, &mut errors);
    let remove = usernames("remove", &body.remove, &mut errors);
    refuse_invalid(errors)?;
    let writer = app.writer().await?;
    let commit = groups::change_members(&writer.ctx(&caller.acting), &name, add, remove).await?;
    let current = stored_group(&app, &name).await?;
    if_match.holds(current.revision)?;
    let revision = writer.commit(&commit).await?;
    Ok(Written::ok(
        revision,
        api::Group::from(&stored_group(&app, &name).await?),
    ))
}
