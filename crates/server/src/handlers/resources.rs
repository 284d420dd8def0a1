//! A project's resources (SPEC §5.6): list, register, remove — holders of
//! `project.manage_resources` write; members read.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};

use super::respond::{IfMatch, Params, Written};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::operations::resources::ResourceInput;
use crate::operations::{Paging, Via};
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
    let found = app.ops(Via::Api).list_resources(&caller.acting, &key, &paging).await?;
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
    let input = ResourceInput {
        project: key,
        resource_type: body.resource_type,
        name: body.name,
        environment: body.environment,
        expected_revision: None,
    };
    let done = app.ops(Via::Api).register_resource(&caller.acting, input).await?;
    Ok(Written::created(done.revision, api::Resource::from(&done.value)))
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
    let input = ResourceInput {
        project: key,
        resource_type,
        name,
        environment: None,
        expected_revision: if_match.0,
    };
    let done = app.ops(Via::Api).remove_resource(&caller.acting, input).await?;
    Ok(Written::no_content(done.revision))
}
