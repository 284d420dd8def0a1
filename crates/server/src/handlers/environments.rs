//! Environments (SPEC §5.4): global ones (`/api/v1/environments`, platform
//! admins) and a project's own (`/api/v1/projects/{key}/environments`,
//! holders of `project.manage_environments`); deletion with `?force=true`
//! when roles use them.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::environments;
use gatehouse_domain::names::{EnvName, EnvPart};
use serde::Deserialize;
use serde_json::Value;

use super::respond::{IfMatch, Paging, Params, Written, not_found, page_of};
use super::visibility::visible_project;
use crate::caller::Caller;
use crate::json::JsonBody;
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

/// `GET /api/v1/environments`: the global environments.
#[utoipa::path(get, path = "/api/v1/environments", tag = "environments", params(Paging),
    responses((status = 200, body = Page<api::Environment>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list_global(
    State(app): State<App>,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Environment>>, ApiProblem> {
    let found = app.store().environments(None).await?;
    env_page("environments:", found, &paging)
}

/// A page of environments: the global ones first, then the project's, by name.
fn env_page(
    listing: &str,
    found: Vec<gatehouse_domain::entities::Environment>,
    paging: &Paging,
) -> Result<Json<Page<api::Environment>>, ApiProblem> {
    let page = page_of(
        listing,
        found,
        |e| (e.project.is_some(), e.name.as_str().to_owned()),
        paging,
    )?;
    Ok(Json(Page::map(page.items, page.next_cursor, |e| {
        api::Environment::from(&e)
    })))
}

/// `POST /api/v1/environments`.
#[utoipa::path(post, path = "/api/v1/environments", tag = "environments", request_body = api::CreateEnvironment,
    responses((status = 201, body = api::Environment), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create_global(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CreateEnvironment>,
) -> Result<Written<api::Environment>, ApiProblem> {
    let part = EnvPart::parse(&body.name)?;
    let writer = app.writer().await?;
    let commit = environments::create_global(&writer.ctx(&caller.acting), part.clone()).await?;
    let revision = writer.commit(&commit).await?;
    let created = gatehouse_domain::entities::Environment {
        name: EnvName::global(&part),
        project: None,
    };
    Ok(Written::created(revision, api::Environment::from(&created)))
}

/// Deletes `name`, answering the roles it was removed from.
async fn delete_env(
    app: &App,
    caller: &Caller,
    name: EnvName,
    force: bool,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    let writer = app.writer().await?;
    let commit = environments::delete(&writer.ctx(&caller.acting), &name, force).await?;
    if_match.holds(writer.snapshot().revision())?;
    let removed = commit.audit.after.clone().unwrap_or(Value::Null);
    let revision = writer.commit(&commit).await?;
    Ok(Written::ok(revision, removed))
}

/// `DELETE /api/v1/environments/{name}?force=`: `DEV` and `PROD` stay; in
/// use by roles, it needs `force=true`. Answers `{"removed_from_roles",
/// "left_without_environment", "removed_resources", "narrowed_token_scopes",
/// "emptied_token_scopes"}` (tokens whose scope named it; of those, how many
/// have a scope entry left with no environment).
#[utoipa::path(delete, path = "/api/v1/environments/{name}", tag = "environments", params(("name" = String, Path), Force),
    responses((status = 200, description = "deleted; the roles it was removed from"), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_global(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
    Params(query): Params<Force>,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    let part = EnvPart::parse(&name).map_err(|_| not_found("environment", &name))?;
    let name = EnvName::global(&part);
    if app
        .snapshot()
        .env_id(name.as_str())
        .is_some_and(|e| app.snapshot().env_project(e).is_some())
    {
        return Err(not_found("environment", name.as_str()));
    }
    delete_env(&app, &caller, name, query.force, if_match).await
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
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let mut found = app.store().environments(None).await?;
    found.extend(app.store().environments(Some(&key)).await?);
    env_page(&format!("environments:{key}"), found, &paging)
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
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let name = EnvName::for_project(&key, &body.name)?;
    let writer = app.writer().await?;
    let commit = environments::create_in_project(&writer.ctx(&caller.acting), key.clone(), &body.name).await?;
    let revision = writer.commit(&commit).await?;
    let created = gatehouse_domain::entities::Environment {
        name,
        project: Some(key),
    };
    Ok(Written::created(revision, api::Environment::from(&created)))
}

/// `DELETE /api/v1/projects/{key}/environments/{name}?force=`: `name` is
/// `NAME` or the full name.
#[utoipa::path(delete, path = "/api/v1/projects/{key}/environments/{name}", tag = "environments",
    params(("key" = String, Path), ("name" = String, Path), Force),
    responses((status = 200, description = "deleted; the roles it was removed from"), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_in_project(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    Params(query): Params<Force>,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    let snapshot = app.snapshot();
    let (key, project) = visible_project(&app, &snapshot, &caller.acting, &key)?;
    let full = EnvName::existing_in_project(&key, &name).map_err(|_| not_found("environment", &name))?;
    let owned = snapshot
        .env_id(full.as_str())
        .is_some_and(|e| snapshot.env_project(e) == Some(project));
    if !owned {
        return Err(not_found("environment", full.as_str()));
    }
    delete_env(&app, &caller, full, query.force, if_match).await
}
