//! `/api/v1/projects` (SPEC §5.3): create (the `admins` become Project
//! Admins), list and read what the caller may see, change settings, delete
//! with the key repeated as `?confirm=`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::projects::{self, NewProject, ProjectPatch};
use gatehouse_domain::entities::Project;
use gatehouse_domain::limits::MAX_DESCRIPTION;
use gatehouse_domain::names::{Description, DisplayName, ProjectKey, Username};
use gatehouse_domain::store::every_page;
use serde::Deserialize;

use super::respond::{IfMatch, Paging, Params, Tagged, Written, if_match, not_found, page_of, refuse_invalid};
use super::visibility::{sees_project, visible_project};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::problem::ApiProblem;
use crate::state::App;

pub(crate) async fn stored_project(app: &App, key: &ProjectKey) -> Result<Project, ApiProblem> {
    app.store()
        .project(key)
        .await?
        .ok_or_else(|| not_found("project", key.as_str()))
}

/// `GET /api/v1/projects`: the projects the caller may see, by key.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(Paging),
    responses((status = 200, body = Page<api::Project>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Project>>, ApiProblem> {
    paging.request()?;
    // Filtered before it is paged, so that no page is empty while a
    // `next_cursor` follows it (SPEC §7).
    let store = app.store();
    let all = every_page(|page| async move { store.projects(&page).await }).await?;
    let snapshot = app.snapshot();
    let visible: Vec<_> = all
        .into_iter()
        .filter(|p| {
            snapshot
                .project_id(p.key.as_str())
                .is_some_and(|id| sees_project(&app, &snapshot, &caller.acting, id))
        })
        .collect();
    let listing = format!("projects:{}", caller.acting.username);
    let page = page_of(&listing, visible, |p| p.key.as_str().to_owned(), &paging)?;
    Ok(Json(Page::map(page.items.iter(), page.next_cursor, api::Project::from)))
}

/// `POST /api/v1/projects`.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = api::CreateProject,
    responses((status = 201, body = api::Project), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CreateProject>,
) -> Result<Written<api::Project>, ApiProblem> {
    let mut errors = Vec::new();
    let key = ProjectKey::parse(&body.key).map_err(|e| errors.push(e.at("key"))).ok();
    let display_name = DisplayName::parse(&body.display_name)
        .map_err(|e| errors.push(e.at("display_name")))
        .ok();
    let description = Description::parse("description", &body.description, MAX_DESCRIPTION)
        .map_err(|e| errors.push(e))
        .ok();
    let admins: Vec<Username> = body
        .admins
        .iter()
        .enumerate()
        .filter_map(|(i, u)| {
            Username::parse(u)
                .map_err(|e| errors.push(e.at(&format!("admins[{i}]"))))
                .ok()
        })
        .collect();
    refuse_invalid(errors)?;
    let (Some(key), Some(display_name), Some(description)) = (key, display_name, description) else {
        return Err(ApiProblem::internal("validated fields are missing", &"create project"));
    };
    let new = NewProject {
        key: key.clone(),
        display_name,
        description,
        admin_privileges: body.admin_privileges.into(),
        admins,
    };
    let writer = app.writer().await?;
    let commit = projects::create(&writer.ctx(&caller.acting), new).await?;
    let revision = writer.commit(&commit).await?;
    Ok(Written::created(
        revision,
        api::Project::from(&stored_project(&app, &key).await?),
    ))
}

/// `GET /api/v1/projects/{key}`.
#[utoipa::path(get, path = "/api/v1/projects/{key}", tag = "projects", params(("key" = String, Path)),
    responses((status = 200, body = api::Project), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Tagged<api::Project>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let project = stored_project(&app, &key).await?;
    Ok(Tagged(project.revision, api::Project::from(&project)))
}

/// `PATCH /api/v1/projects/{key}`: display name, description,
/// `admin_privileges`.
#[utoipa::path(patch, path = "/api/v1/projects/{key}", tag = "projects", params(("key" = String, Path)),
    request_body = api::PatchProject,
    responses((status = 200, body = api::Project), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<api::PatchProject>,
) -> Result<Written<api::Project>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let expected = if_match(&headers)?;
    let mut errors = Vec::new();
    let display_name = body
        .display_name
        .as_deref()
        .map(DisplayName::parse)
        .transpose()
        .map_err(|e| errors.push(e.at("display_name")))
        .ok()
        .flatten();
    let description = body
        .description
        .as_deref()
        .map(|d| Description::parse("description", d, MAX_DESCRIPTION))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    refuse_invalid(errors)?;
    let patch = ProjectPatch {
        display_name,
        description,
        admin_privileges: body.admin_privileges.map(Into::into),
    };
    let writer = app.writer().await?;
    let commit = projects::update(&writer.ctx(&caller.acting), &key, patch, expected).await?;
    let revision = writer.commit(&commit).await?;
    Ok(Written::ok(
        revision,
        api::Project::from(&stored_project(&app, &key).await?),
    ))
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
#[utoipa::path(delete, path = "/api/v1/projects/{key}", tag = "projects", params(("key" = String, Path), Confirm),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    Params(query): Params<Confirm>,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let writer = app.writer().await?;
    let commit = projects::delete(&writer.ctx(&caller.acting), &key, query.confirm.as_deref()).await?;
    if_match.holds(stored_project(&app, &key).await?.revision)?;
    Ok(Written::no_content(writer.commit(&commit).await?))
}
