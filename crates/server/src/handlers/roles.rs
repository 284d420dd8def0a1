//! Roles (SPEC §4): global roles (`/api/v1/roles`, platform admins) and a
//! project's roles (`/api/v1/projects/{key}/roles`, holders of
//! `project.manage_roles`), edited in Basic (`categories`) or Advanced
//! (`actions`) mode; switching to Basic needs `discard_advanced` when
//! actions would be lost; deletion needs `?force=true` when members hold it.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::entities::Role;
use serde_json::Value;

use super::environments::Force;
use super::respond::{DryRun, DryRunQuery, IfMatch, Params, Tagged, Written};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::operations::roles::{CreateRoleInput, DeleteRoleInput, PatchRoleInput, RolePlace};
use crate::operations::{Paging, Via};
use crate::problem::ApiProblem;
use crate::state::App;

fn wire(app: &App, role: &Role) -> api::Role {
    api::Role::new(role, app.snapshot().catalogue())
}

fn place(project: Option<String>) -> RolePlace {
    RolePlace { project }
}

async fn list(
    app: &App,
    caller: &Caller,
    project: Option<String>,
    paging: &Paging,
) -> Result<Json<Page<api::Role>>, ApiProblem> {
    let found = app
        .ops(Via::Api)
        .list_roles(&caller.acting, &place(project), paging)
        .await?;
    Ok(Json(Page::map(found.items, found.next_cursor, |r| wire(app, &r))))
}

async fn get(app: &App, caller: &Caller, project: Option<String>, name: &str) -> Result<Tagged<api::Role>, ApiProblem> {
    let role = app
        .ops(Via::Api)
        .get_role(&caller.acting, &place(project), name)
        .await?;
    Ok(Tagged(role.revision, wire(app, &role)))
}

async fn create(
    app: &App,
    caller: &Caller,
    project: Option<String>,
    body: api::CreateRole,
) -> Result<Written<api::Role>, ApiProblem> {
    let input = CreateRoleInput::from_wire(project.as_deref(), body);
    let done = app
        .ops(Via::Api)
        .create_role(&caller.acting, &place(project), input)
        .await?;
    Ok(Written::created(done.revision, wire(app, &done.value)))
}

async fn patch(
    app: &App,
    caller: &Caller,
    dry_run: &DryRun,
    project: Option<String>,
    name: String,
    if_match: IfMatch,
    body: api::PatchRole,
) -> Result<Written<api::Role>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let input = PatchRoleInput::from_wire(name, body, if_match.0);
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .patch_role(&caller.acting, &place(project), input)
        .await?;
    Ok(Written::ok(done.revision, wire(app, &done.value)))
}

async fn delete(
    app: &App,
    caller: &Caller,
    dry_run: &DryRun,
    project: Option<String>,
    name: String,
    force: bool,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    let preview = dry_run.preview(&caller.acting);
    let input = DeleteRoleInput {
        name,
        force,
        expected_revision: if_match.0,
    };
    let done = app
        .ops(Via::Api)
        .previewing(preview.as_ref())
        .delete_role(&caller.acting, &place(project), input)
        .await?;
    Ok(Written::ok(done.revision, done.value))
}

/// `GET /api/v1/roles`: the global roles.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", params(Paging),
    responses((status = 200, body = Page<api::Role>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list_global(
    State(app): State<App>,
    caller: Caller,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Role>>, ApiProblem> {
    list(&app, &caller, None, &paging).await
}

/// `POST /api/v1/roles`: a custom global role.
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = api::CreateRole,
    responses((status = 201, body = api::Role), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create_global(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CreateRole>,
) -> Result<Written<api::Role>, ApiProblem> {
    create(&app, &caller, None, body).await
}

/// `GET /api/v1/roles/{name}`.
#[utoipa::path(get, path = "/api/v1/roles/{name}", tag = "roles", params(("name" = String, Path)),
    responses((status = 200, body = api::Role), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn get_global(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Tagged<api::Role>, ApiProblem> {
    get(&app, &caller, None, &name).await
}

/// `PATCH /api/v1/roles/{name}`.
#[utoipa::path(patch, path = "/api/v1/roles/{name}", tag = "roles", params(DryRunQuery, ("name" = String, Path)),
    request_body = api::PatchRole,
    responses((status = 200, body = api::Role), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn patch_global(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(name): Path<String>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::PatchRole>,
) -> Result<Written<api::Role>, ApiProblem> {
    patch(&app, &caller, &dry_run, None, name, if_match, body).await
}

/// `DELETE /api/v1/roles/{name}?force=`: answers `{"removed_from_members"}`.
#[utoipa::path(delete, path = "/api/v1/roles/{name}", tag = "roles", params(DryRunQuery, ("name" = String, Path), Force),
    responses((status = 200, description = "deleted; the members it was removed from"), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_global(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path(name): Path<String>,
    Params(query): Params<Force>,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    delete(&app, &caller, &dry_run, None, name, query.force, if_match).await
}

/// `GET /api/v1/projects/{key}/roles`: the project's own roles.
#[utoipa::path(get, path = "/api/v1/projects/{key}/roles", tag = "roles", params(("key" = String, Path), Paging),
    responses((status = 200, body = Page<api::Role>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list_in_project(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Role>>, ApiProblem> {
    list(&app, &caller, Some(key), &paging).await
}

/// `POST /api/v1/projects/{key}/roles`.
#[utoipa::path(post, path = "/api/v1/projects/{key}/roles", tag = "roles", params(("key" = String, Path)),
    request_body = api::CreateRole,
    responses((status = 201, body = api::Role), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create_in_project(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<api::CreateRole>,
) -> Result<Written<api::Role>, ApiProblem> {
    create(&app, &caller, Some(key), body).await
}

/// `GET /api/v1/projects/{key}/roles/{name}`.
#[utoipa::path(get, path = "/api/v1/projects/{key}/roles/{name}", tag = "roles",
    params(("key" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = api::Role), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn get_in_project(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
) -> Result<Tagged<api::Role>, ApiProblem> {
    get(&app, &caller, Some(key), &name).await
}

/// `PATCH /api/v1/projects/{key}/roles/{name}`.
#[utoipa::path(patch, path = "/api/v1/projects/{key}/roles/{name}", tag = "roles",
    params(DryRunQuery, ("key" = String, Path), ("name" = String, Path)), request_body = api::PatchRole,
    responses((status = 200, body = api::Role), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn patch_in_project(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path((key, name)): Path<(String, String)>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::PatchRole>,
) -> Result<Written<api::Role>, ApiProblem> {
    patch(&app, &caller, &dry_run, Some(key), name, if_match, body).await
}

/// `DELETE /api/v1/projects/{key}/roles/{name}?force=`.
#[utoipa::path(delete, path = "/api/v1/projects/{key}/roles/{name}", tag = "roles",
    params(DryRunQuery, ("key" = String, Path), ("name" = String, Path), Force),
    responses((status = 200, description = "deleted; the members it was removed from"), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_in_project(
    State(app): State<App>,
    caller: Caller,
    dry_run: DryRun,
    Path((key, name)): Path<(String, String)>,
    Params(query): Params<Force>,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    delete(&app, &caller, &dry_run, Some(key), name, query.force, if_match).await
}
