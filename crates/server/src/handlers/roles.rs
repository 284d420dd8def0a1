//! Roles (SPEC §4): global roles (`/api/v1/roles`, platform admins) and a
//! project's roles (`/api/v1/projects/{key}/roles`, holders of
//! `project.manage_roles`), edited in Basic (`categories`) or Advanced
//! (`actions`) mode; switching to Basic needs `discard_advanced` when
//! actions would be lost; deletion needs `?force=true` when members hold it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_authz::ActionSet;
use gatehouse_domain::commands::roles::{self, GrantsInput, NewRole, RolePatch};
use gatehouse_domain::entities::{Role, RoleMode};
use gatehouse_domain::limits::MAX_DESCRIPTION;
use gatehouse_domain::names::{Description, ProjectKey, RoleName};
use gatehouse_domain::{FieldError, Store as _};
use serde_json::Value;

use super::environments::Force;
use super::respond::{IfMatch, Paging, Params, Tagged, Written, if_match, not_found, page_of, refuse_invalid};
use super::visibility::visible_project;
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::problem::ApiProblem;
use crate::state::App;

fn path_role(raw: &str) -> Result<RoleName, ApiProblem> {
    RoleName::parse(raw).map_err(|_| not_found("role", raw))
}

async fn stored_role(app: &App, project: Option<&ProjectKey>, name: &RoleName) -> Result<Role, ApiProblem> {
    app.store()
        .role(project, name)
        .await?
        .ok_or_else(|| not_found("role", name.as_str()))
}

fn wire(app: &App, role: &Role) -> api::Role {
    api::Role::new(role, app.snapshot().catalogue())
}

async fn list(app: &App, project: Option<&ProjectKey>, paging: &Paging) -> Result<Json<Page<api::Role>>, ApiProblem> {
    let found = app.store().roles(project).await?;
    let listing = format!("roles:{}", project.map_or("", ProjectKey::as_str));
    let page = page_of(&listing, found, |r| r.name.as_str().to_owned(), paging)?;
    Ok(Json(Page::map(page.items, page.next_cursor, |r| wire(app, &r))))
}

async fn create(
    app: &App,
    caller: &Caller,
    project: Option<ProjectKey>,
    body: api::CreateRole,
) -> Result<Written<api::Role>, ApiProblem> {
    let mut errors = Vec::new();
    let name = RoleName::parse(&body.name).map_err(|e| errors.push(e.at("name"))).ok();
    let description = Description::parse("description", &body.description, MAX_DESCRIPTION)
        .map_err(|e| errors.push(e))
        .ok();
    read_back_place(project.as_ref(), &body, &mut errors);
    let grants = grants_of(app, body.mode, body.categories, body.actions, &mut errors);
    refuse_invalid(errors)?;
    let (Some(name), Some(description), Some(grants)) = (name, description, grants) else {
        return Err(ApiProblem::internal("validated fields are missing", &"create role"));
    };
    let new = NewRole {
        name: name.clone(),
        description,
        grants,
        environments: body.environments,
    };
    let writer = app.writer().await?;
    let commit = roles::create(&writer.ctx(&caller.acting), project.clone(), new).await?;
    let revision = writer.commit(&commit).await?;
    let role = stored_role(app, project.as_ref(), &name).await?;
    Ok(Written::created(revision, wire(app, &role)))
}

/// The role's grants as a create request gives them: `categories` (basic)
/// or `actions` (advanced); with `mode`, the one it names, the other agreeing
/// with it as a read-back role does (a basic role lists its categories'
/// actions, an advanced one no categories).
fn grants_of(
    app: &App,
    mode: Option<api::RoleMode>,
    categories: Option<Vec<String>>,
    actions: Option<Vec<String>>,
    errors: &mut Vec<FieldError>,
) -> Option<GrantsInput> {
    let mut disagree = |message: &str| {
        errors.push(FieldError::invalid("mode", message));
        None
    };
    match (mode, categories, actions) {
        (None, Some(categories), None) => Some(GrantsInput::Categories(categories)),
        (None, None, Some(actions)) => Some(GrantsInput::Actions(actions)),
        (None, Some(_), Some(_)) => {
            errors.push(FieldError::invalid(
                "actions",
                "give `categories` (basic) or `actions` (advanced), not both",
            ));
            None
        }
        (None, None, None) => {
            errors.push(FieldError::invalid(
                "categories",
                "give `categories` (basic mode) or `actions` (advanced mode)",
            ));
            None
        }
        (Some(api::RoleMode::Basic), None, _) => disagree("a basic role is made of `categories`; none are given"),
        (Some(api::RoleMode::Basic), Some(categories), Some(actions)) => {
            let catalogue = Arc::clone(app.snapshot().catalogue());
            let granted = catalogue.expand_categories(categories.iter().map(String::as_str));
            let listed: Option<ActionSet> = actions.iter().try_fold(ActionSet::EMPTY, |set, a| {
                catalogue.resolve_action(a).map(|id| set.union(ActionSet::single(id)))
            });
            match (granted, listed) {
                // An unknown category is reported by the domain, naming it.
                (Err(_), _) => Some(GrantsInput::Categories(categories)),
                (Ok(granted), Some(listed)) if granted == listed => Some(GrantsInput::Categories(categories)),
                _ => disagree(
                    "a basic role grants exactly its categories' actions; `actions` lists others \
                     (make it `advanced` to grant actions one by one)",
                ),
            }
        }
        (Some(api::RoleMode::Basic), Some(categories), None) => Some(GrantsInput::Categories(categories)),
        (Some(api::RoleMode::Advanced), _, None) => disagree("an advanced role is made of `actions`; none are given"),
        (Some(api::RoleMode::Advanced), Some(categories), Some(_)) if !categories.is_empty() => {
            disagree("an advanced role has no categories; give `actions` only (or make it `basic`)")
        }
        (Some(api::RoleMode::Advanced), _, Some(actions)) => Some(GrantsInput::Actions(actions)),
    }
}

/// The `scope`, `project` and `type` of a read-back role sent to create
/// one: each, when given, must be the route's.
fn read_back_place(project: Option<&ProjectKey>, body: &api::CreateRole, errors: &mut Vec<FieldError>) {
    if body.scope.is_some_and(|s| s != api::ScopeKind::of(project)) {
        errors.push(FieldError::invalid(
            "scope",
            match project {
                Some(_) => "a role created under a project has scope `project`",
                None => "a role created at /api/v1/roles has scope `global`",
            },
        ));
    }
    if let Some(named) = &body.project
        && project.is_none_or(|key| key.as_str() != named)
    {
        errors.push(FieldError::invalid("project", "is not the project of the route"));
    }
    let made = if project.is_some() {
        api::RoleKind::Custom
    } else {
        api::RoleKind::CustomGlobal
    };
    if body.role_type.is_some_and(|t| t != made) {
        errors.push(FieldError::invalid(
            "type",
            &format!(
                "a role created here is `{}`",
                if project.is_some() { "CUSTOM" } else { "CUSTOM_GLOBAL" }
            ),
        ));
    }
}

async fn patch(
    app: &App,
    caller: &Caller,
    project: Option<ProjectKey>,
    name: &RoleName,
    expected: Option<u64>,
    body: api::PatchRole,
) -> Result<Written<api::Role>, ApiProblem> {
    if body.name.as_deref().is_some_and(|n| n != name.as_str()) {
        return Err(FieldError::invalid("name", "a role cannot be renamed; create a new one").into());
    }
    let description = body
        .description
        .as_deref()
        .map(|d| Description::parse("description", d, MAX_DESCRIPTION))
        .transpose()?;
    let patch = RolePatch {
        description,
        mode: body.mode.map(|m| match m {
            api::RoleMode::Basic => RoleMode::Basic,
            api::RoleMode::Advanced => RoleMode::Advanced,
        }),
        categories: body.categories,
        actions: body.actions,
        environments: body.environments,
        discard_advanced: body.discard_advanced,
    };
    let writer = app.writer().await?;
    let commit = roles::update(&writer.ctx(&caller.acting), project.clone(), name, patch, expected).await?;
    let revision = writer.commit(&commit).await?;
    let role = stored_role(app, project.as_ref(), name).await?;
    Ok(Written::ok(revision, wire(app, &role)))
}

async fn delete(
    app: &App,
    caller: &Caller,
    project: Option<ProjectKey>,
    name: &RoleName,
    force: bool,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    let writer = app.writer().await?;
    let commit = roles::delete(&writer.ctx(&caller.acting), project.clone(), name, force).await?;
    if_match.holds(stored_role(app, project.as_ref(), name).await?.revision)?;
    let removed = commit.audit.after.clone().unwrap_or(Value::Null);
    Ok(Written::ok(writer.commit(&commit).await?, removed))
}

/// `GET /api/v1/roles`: the global roles.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", params(Paging),
    responses((status = 200, body = Page<api::Role>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list_global(
    State(app): State<App>,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Role>>, ApiProblem> {
    list(&app, None, &paging).await
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
pub async fn get_global(State(app): State<App>, Path(name): Path<String>) -> Result<Tagged<api::Role>, ApiProblem> {
    let role = stored_role(&app, None, &path_role(&name)?).await?;
    Ok(Tagged(role.revision, wire(&app, &role)))
}

/// `PATCH /api/v1/roles/{name}`.
#[utoipa::path(patch, path = "/api/v1/roles/{name}", tag = "roles", params(("name" = String, Path)),
    request_body = api::PatchRole,
    responses((status = 200, body = api::Role), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn patch_global(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<api::PatchRole>,
) -> Result<Written<api::Role>, ApiProblem> {
    let name = path_role(&name)?;
    patch(&app, &caller, None, &name, if_match(&headers)?, body).await
}

/// `DELETE /api/v1/roles/{name}?force=`: answers `{"removed_from_members"}`.
#[utoipa::path(delete, path = "/api/v1/roles/{name}", tag = "roles", params(("name" = String, Path), Force),
    responses((status = 200, description = "deleted; the members it was removed from"), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_global(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
    Params(query): Params<Force>,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    let name = path_role(&name)?;
    delete(&app, &caller, None, &name, query.force, if_match).await
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
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    list(&app, Some(&key), &paging).await
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
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
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
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let role = stored_role(&app, Some(&key), &path_role(&name)?).await?;
    Ok(Tagged(role.revision, wire(&app, &role)))
}

/// `PATCH /api/v1/projects/{key}/roles/{name}`.
#[utoipa::path(patch, path = "/api/v1/projects/{key}/roles/{name}", tag = "roles",
    params(("key" = String, Path), ("name" = String, Path)), request_body = api::PatchRole,
    responses((status = 200, body = api::Role), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn patch_in_project(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<api::PatchRole>,
) -> Result<Written<api::Role>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let name = path_role(&name)?;
    patch(&app, &caller, Some(key), &name, if_match(&headers)?, body).await
}

/// `DELETE /api/v1/projects/{key}/roles/{name}?force=`.
#[utoipa::path(delete, path = "/api/v1/projects/{key}/roles/{name}", tag = "roles",
    params(("key" = String, Path), ("name" = String, Path), Force),
    responses((status = 200, description = "deleted; the members it was removed from"), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_in_project(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    Params(query): Params<Force>,
    if_match: IfMatch,
) -> Result<Written<Value>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let name = path_role(&name)?;
    delete(&app, &caller, Some(key), &name, query.force, if_match).await
}
