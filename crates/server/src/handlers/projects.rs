//! `/api/v1/projects` (SPEC §5.3): create (the `admins` become Project
//! Admins), list and read what the caller may see, change settings, delete
//! with the key repeated as `?confirm=`.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use serde::Deserialize;

use super::respond::{DryRun, DryRunQuery, IfMatch, Params, Tagged, Written};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::operations::projects::{CreateProjectInput, DeleteProjectInput, PatchProjectInput};
use crate::operations::{Paging, Via};
use crate::problem::ApiProblem;
use crate::state::App;

/// `GET /api/v1/projects`: the projects the caller may see, by key.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(Paging),
    responses((status = 200, body = Page<api::Project>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Project>>, ApiProblem> {
    let found = app.ops(Via::Api).list_projects(&caller.acting, &paging).await?;
    Ok(Json(Page::map(
        found.items.iter(),
        found.next_cursor,
        api::Project::from,
    )))
}

/// `POST /api/v1/projects`.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = api::CreateProject,
    responses((status = 201, body = api::Project), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CreateProject>,
) -> Result<Written<api::Project>, ApiProblem> {
    let done = app
        .ops(Via::Api)
        .create_project(&caller.acting, CreateProjectInput::from(body))
        .await?;
    Ok(Written::created(done.revision, api::Project::from(&done.value)))
}

/// `GET /api/v1/projects/{key}`.
#[utoipa::path(get, path = "/api/v1/projects/{key}", tag = "projects", params(("key" = String, Path)),
    responses((status = 200, body = api::Project), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Tagged<api::Project>, ApiProblem> {
    let project = app.ops(Via::Api).get_project(&caller.acting, &key).await?;
    Ok(Tagged(project.revision, api::Project::from(&project)))
}

/// `PATCH /api/v1/projects/{key}`: display name, description,
/// `admin_privileges`.
#[utoipa::path(patch, path = "/api/v1/projects/{key}", tag = "projects", params(DryRunQuery, ("key" = String, Path)),
    request_body = api::PatchProject,
    responses((status = 200, body = api::Project), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(key): Path<String>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::PatchProject>,
) -> Result<Written<api::Project>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let input = PatchProjectInput::from_wire(key, body, if_match.0);
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .patch_project(&caller.acting, input)
        .await?;
    Ok(Written::ok(done.revision, api::Project::from(&done.value)))
}

/// `?confirm=<key>`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Confirm {
    /// The project's key, repeated.
    pub confirm: Option<String>,
}

/// `DELETE /api/v1/projects/{key}?confirm=<key>`: with its roles,
/// environments, members and resources.
#[utoipa::path(delete, path = "/api/v1/projects/{key}", tag = "projects", params(DryRunQuery, ("key" = String, Path), Confirm),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(key): Path<String>,
    Params(query): Params<Confirm>,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let input = DeleteProjectInput {
        key,
        confirm: query.confirm,
        expected_revision: if_match.0,
    };
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .delete_project(&caller.acting, input)
        .await?;
    Ok(Written::no_content(done.revision))
}
