//! A project's resources (SPEC §5.6): list, register, remove — holders of
//! `project.manage_resources` write; members read.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::resources;
use gatehouse_domain::names::ResourceName;

use super::respond::{IfMatch, Paging, Params, Written, not_found};
use super::visibility::visible_project;
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::problem::ApiProblem;
use crate::state::App;

/// `GET /api/v1/projects/{key}/resources`: by type, then name.
#[utoipa::path(get, path = "/api/v1/projects/{key}/resources", tag = "resources", params(("key" = String, Path), Paging),
    responses((status = 200, body = Page<api::Resource>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Resource>>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let found = app.store().resources(&key, &paging.request()?).await?;
    Ok(Json(Page::map(found.items, found.next_cursor, |r| {
        api::Resource::from(&r)
    })))
}

/// `POST /api/v1/projects/{key}/resources`: `{"type", "name", "environment"?}`.
#[utoipa::path(post, path = "/api/v1/projects/{key}/resources", tag = "resources", params(("key" = String, Path)),
    request_body = api::CreateResource,
    responses((status = 201, body = api::Resource), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn register(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<api::CreateResource>,
) -> Result<Written<api::Resource>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let name = ResourceName::parse(&body.name)?;
    let writer = app.writer().await?;
    let commit = resources::register(
        &writer.ctx(&caller.acting),
        key,
        &body.resource_type,
        name.clone(),
        body.environment.as_deref(),
    )
    .await?;
    let revision = writer.commit(&commit).await?;
    let resource = app
        .store()
        .resource(&body.resource_type, name.as_str())
        .await?
        .ok_or_else(|| ApiProblem::internal("a committed resource is missing", &name.as_str()))?;
    Ok(Written::created(revision, api::Resource::from(&resource)))
}

/// `DELETE /api/v1/projects/{key}/resources/{type}/{name}`.
#[utoipa::path(delete, path = "/api/v1/projects/{key}/resources/{type}/{name}", tag = "resources",
    params(("key" = String, Path), ("type" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn remove(
    State(app): State<App>,
    caller: Caller,
    Path((key, resource_type, name)): Path<(String, String, String)>,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let name = ResourceName::parse(&name).map_err(|_| not_found("resource", &name))?;
    let writer = app.writer().await?;
    let commit = resources::remove(&writer.ctx(&caller.acting), key, &resource_type, name).await?;
    if_match.holds(writer.snapshot().revision())?;
    Ok(Written::no_content(writer.commit(&commit).await?))
}
