//! Environments (SPEC §5.4): global ones (`/api/v1/environments`, platform
//! admins) and a project's own (`/api/v1/projects/{key}/environments`,
//! holders of `project.manage_environments`); deletion with `?force=true`
//! when roles use them.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::entities::Environment;
use serde::Deserialize;
use serde_json::Value;

use super::respond::{DryRun, DryRunQuery, IfMatch, Params, Written};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::operations::environments::{DeleteEnvironmentInput, EnvPlace};
use crate::operations::{Done, Paging, Via};
use crate::problem::ApiProblem;
use crate::state::App;

/// `?force=true`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Force {
    /// Remove it from the roles that use it.
    #[serde(default)]
    pub force: bool,
}

fn global() -> EnvPlace {
    EnvPlace { project: None }
}

fn in_project(key: String) -> EnvPlace {
    EnvPlace { project: Some(key) }
}

async fn list(
    app: &App,
    caller: &Caller,
    place: EnvPlace,
    paging: &Paging,
) -> Result<Json<Page<api::Environment>>, ApiProblem> {
    let found = app
        .ops(Via::Api)
        .list_environments(&caller.acting, &place, paging)
        .await?;
    Ok(Json(Page::map(found.items, found.next_cursor, |e| {
        api::Environment::from(&e)
    })))
}

fn created(done: Done<Environment>) -> Written<api::Environment> {
    Written::created(done.revision, api::Environment::from(&done.value))
}

async fn delete(
    app: &App,
    caller: &Caller,
    dry_run: &DryRun,
    place: EnvPlace,
    name: String,
    force: bool,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let input = DeleteEnvironmentInput {
        place,
        name,
        force,
        expected_revision: if_match.0,
    };
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .delete_environment(&caller.acting, input)
        .await?;
    Ok(Written::ok(done.revision, done.value))
}

/// `GET /api/v1/environments`: the global environments.
#[utoipa::path(get, path = "/api/v1/environments", tag = "environments", params(Paging),
    responses((status = 200, body = Page<api::Environment>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list_global(
    State(app): State<App>,
    caller: Caller,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Environment>>, ApiProblem> {
    list(&app, &caller, global(), &paging).await
}

/// `POST /api/v1/environments`.
#[utoipa::path(post, path = "/api/v1/environments", tag = "environments", request_body = api::CreateEnvironment,
    responses((status = 201, body = api::Environment), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create_global(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CreateEnvironment>,
) -> Result<Written<api::Environment>, ApiProblem> {
    let done = app
        .ops(Via::Api)
        .create_environment(&caller.acting, &global(), &body.name)
        .await?;
    Ok(created(done))
}

/// `DELETE /api/v1/environments/{name}?force=`: `DEV` and `PROD` stay; in
/// use by roles, it needs `force=true`. Answers `{"removed_from_roles",
/// "left_without_environment", "removed_resources", "narrowed_token_scopes",
/// "emptied_token_scopes"}` (tokens whose scope named it; of those, how many
/// have a scope entry left with no environment).
#[utoipa::path(delete, path = "/api/v1/environments/{name}", tag = "environments", params(DryRunQuery, ("name" = String, Path), Force),
    responses((status = 200, description = "deleted; the roles it was removed from"), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_global(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(name): Path<String>,
    Params(query): Params<Force>,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    delete(&app, &caller, &dry_run, global(), name, query.force, if_match).await
}

/// `GET /api/v1/projects/{key}/environments`: the environments usable in
/// the project — the global ones and its own.
#[utoipa::path(get, path = "/api/v1/projects/{key}/environments", tag = "environments", params(("key" = String, Path), Paging),
    responses((status = 200, body = Page<api::Environment>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list_in_project(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Environment>>, ApiProblem> {
    list(&app, &caller, in_project(key), &paging).await
}

/// `POST /api/v1/projects/{key}/environments`: `{"name": "QA"}` creates
/// `<key>-QA`.
#[utoipa::path(post, path = "/api/v1/projects/{key}/environments", tag = "environments", params(("key" = String, Path)),
    request_body = api::CreateEnvironment,
    responses((status = 201, body = api::Environment), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create_in_project(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<api::CreateEnvironment>,
) -> Result<Written<api::Environment>, ApiProblem> {
    let done = app
        .ops(Via::Api)
        .create_environment(&caller.acting, &in_project(key), &body.name)
        .await?;
    Ok(created(done))
}

/// `DELETE /api/v1/projects/{key}/environments/{name}?force=`: `name` is
/// `NAME` or the full name.
#[utoipa::path(delete, path = "/api/v1/projects/{key}/environments/{name}", tag = "environments",
    params(DryRunQuery, ("key" = String, Path), ("name" = String, Path), Force),
    responses((status = 200, description = "deleted; the roles it was removed from"), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_in_project(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path((key, name)): Path<(String, String)>,
    Params(query): Params<Force>,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    delete(&app, &caller, &dry_run, in_project(key), name, query.force, if_match).await
}
