//! `/access/api/v1/projects` with their roles and members, and the global
//! roles at `/access/api/v1/roles`: JFrog's wire over the native handlers.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use gatehouse_api as api;
use gatehouse_jfrog::members::{MemberBody, Members};
use gatehouse_jfrog::projects::{Project, ProjectBody};
use gatehouse_jfrog::roles::{Place, Role, RoleBody};
use gatehouse_jfrog::{body, members as jmembers, projects as jprojects, roles as jroles};

use super::{Answer, every, json, tagged, written};
use crate::caller::Caller;
use crate::handlers::environments::Force;
use crate::handlers::members::MemberQuery;
use crate::handlers::projects::Confirm;
use crate::handlers::respond::{IfMatch, Params};
use crate::handlers::{members, projects, roles};
use crate::json::JsonBody;
use crate::operations::not_found;
use crate::state::App;

/// `GET /access/api/v1/projects`: a bare array.
pub async fn list(State(app): State<App>, caller: Caller) -> Answer {
    let all = every(|paging| projects::list(State(app.clone()), caller.clone(), Params(paging))).await?;
    json(StatusCode::OK, &all.iter().map(Project::from).collect::<Vec<_>>())
}

/// `GET /access/api/v1/projects/{key}`.
pub async fn get(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    let project = tagged(projects::get(State(app), caller, Path(key)).await?);
    json(StatusCode::OK, &Project::from(&project))
}

/// `POST /access/api/v1/projects`: 201.
pub async fn create(State(app): State<App>, caller: Caller, bytes: Bytes) -> Answer {
    let new = jprojects::create(body::json::<ProjectBody>(&bytes)?)?;
    let project = written(projects::create(State(app), caller, JsonBody(new)).await?)?;
    json(StatusCode::CREATED, &Project::from(&project))
}

/// `PUT /access/api/v1/projects/{key}`: what the body leaves out stays.
pub async fn update(State(app): State<App>, caller: Caller, Path(key): Path<String>, bytes: Bytes) -> Answer {
    let parsed = body::json::<ProjectBody>(&bytes)?;
    let current = tagged(projects::get(State(app.clone()), caller.clone(), Path(key.clone())).await?);
    let patch = jprojects::update(parsed, &current)?;
    let project = written(projects::patch(State(app), caller, Path(key), IfMatch(None), JsonBody(patch)).await?)?;
    json(StatusCode::OK, &Project::from(&project))
}

/// `DELETE /access/api/v1/projects/{key}`: 204 (JFrog's delete is the
/// confirmation the native API asks for).
pub async fn delete(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    let confirm = Confirm {
        confirm: Some(key.clone()),
    };
    projects::delete(State(app), caller, Path(key), Params(confirm), IfMatch(None)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn role_answer(app: &App, status: StatusCode, role: &api::Role) -> Answer {
    json(status, &Role::new(role, app.snapshot().catalogue()))
}

/// `GET /access/api/v1/projects/{key}/roles`: the global roles usable in
/// the project and its own, a bare array.
pub async fn list_roles(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    let own =
        every(|paging| roles::list_in_project(State(app.clone()), caller.clone(), Path(key.clone()), Params(paging)))
            .await?;
    let global = every(|paging| roles::list_global(State(app.clone()), caller.clone(), Params(paging))).await?;
    let catalogue = std::sync::Arc::clone(app.snapshot().catalogue());
    let all: Vec<Role> = global.iter().chain(&own).map(|r| Role::new(r, &catalogue)).collect();
    json(StatusCode::OK, &all)
}

/// `GET /access/api/v1/projects/{key}/roles/{name}`: the project's role,
/// else the global one of that name.
pub async fn get_role(State(app): State<App>, caller: Caller, Path((key, name)): Path<(String, String)>) -> Answer {
    let role = match roles::get_in_project(State(app.clone()), caller.clone(), Path((key, name.clone()))).await {
        Ok(found) => tagged(found),
        Err(problem) if problem.code() == gatehouse_api::ErrorCode::NotFound => {
            tagged(roles::get_global(State(app.clone()), caller, Path(name)).await?)
        }
        Err(problem) => return Err(problem.into()),
    };
    role_answer(&app, StatusCode::OK, &role)
}

/// `POST /access/api/v1/projects/{key}/roles`: 201.
pub async fn create_role(State(app): State<App>, caller: Caller, Path(key): Path<String>, bytes: Bytes) -> Answer {
    let new = jroles::create(
        body::json::<RoleBody>(&bytes)?,
        Place::Project,
        app.snapshot().catalogue(),
    )?;
    let role = written(roles::create_in_project(State(app.clone()), caller, Path(key), JsonBody(new)).await?)?;
    role_answer(&app, StatusCode::CREATED, &role)
}

/// `PUT /access/api/v1/projects/{key}/roles/{name}`.
pub async fn update_role(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let patch = jroles::update(
        body::json::<RoleBody>(&bytes)?,
        Place::Project,
        &name,
        app.snapshot().catalogue(),
    )?;
    let role = written(
        roles::patch_in_project(
            State(app.clone()),
            caller,
            Path((key, name)),
            IfMatch(None),
            JsonBody(patch),
        )
        .await?,
    )?;
    role_answer(&app, StatusCode::OK, &role)
}

/// `DELETE /access/api/v1/projects/{key}/roles/{name}`: 204.
pub async fn delete_role(State(app): State<App>, caller: Caller, Path((key, name)): Path<(String, String)>) -> Answer {
    roles::delete_in_project(
        State(app),
        caller,
        Path((key, name)),
        Params(Force::default()),
        IfMatch(None),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /access/api/v1/roles`: the global roles, a bare array.
pub async fn list_global_roles(State(app): State<App>, caller: Caller) -> Answer {
    let global = every(|paging| roles::list_global(State(app.clone()), caller.clone(), Params(paging))).await?;
    let catalogue = std::sync::Arc::clone(app.snapshot().catalogue());
    json(
        StatusCode::OK,
        &global.iter().map(|r| Role::new(r, &catalogue)).collect::<Vec<_>>(),
    )
}

/// `GET /access/api/v1/roles/{name}`.
pub async fn get_global_role(State(app): State<App>, caller: Caller, Path(name): Path<String>) -> Answer {
    let role = tagged(roles::get_global(State(app.clone()), caller, Path(name)).await?);
    role_answer(&app, StatusCode::OK, &role)
}

/// `POST /access/api/v1/roles`: 201.
pub async fn create_global_role(State(app): State<App>, caller: Caller, bytes: Bytes) -> Answer {
    let new = jroles::create(
        body::json::<RoleBody>(&bytes)?,
        Place::Global,
        app.snapshot().catalogue(),
    )?;
    let role = written(roles::create_global(State(app.clone()), caller, JsonBody(new)).await?)?;
    role_answer(&app, StatusCode::CREATED, &role)
}

/// `PUT /access/api/v1/roles/{name}`.
pub async fn update_global_role(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Answer {
    let patch = jroles::update(
        body::json::<RoleBody>(&bytes)?,
        Place::Global,
        &name,
        app.snapshot().catalogue(),
    )?;
    let role =
        written(roles::patch_global(State(app.clone()), caller, Path(name), IfMatch(None), JsonBody(patch)).await?)?;
    role_answer(&app, StatusCode::OK, &role)
}

/// `DELETE /access/api/v1/roles/{name}`: 204.
pub async fn delete_global_role(State(app): State<App>, caller: Caller, Path(name): Path<String>) -> Answer {
    roles::delete_global(State(app), caller, Path(name), Params(Force::default()), IfMatch(None)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn members_of(
    app: &App,
    caller: &Caller,
    key: &str,
    kind: api::MemberKind,
    q: Option<String>,
) -> Result<Vec<api::Member>, super::Refused> {
    every(|paging| {
        let query = MemberQuery {
            kind: Some(kind),
            q: q.clone(),
            limit: paging.limit,
            cursor: paging.cursor,
        };
        members::list(State(app.clone()), caller.clone(), Path(key.to_owned()), Params(query))
    })
    .await
}

async fn list_members(app: App, caller: Caller, key: String, kind: api::MemberKind) -> Answer {
    let all = members_of(&app, &caller, &key, kind, None).await?;
    json(
        StatusCode::OK,
        &Members {
            members: all.iter().map(jmembers::Member::from).collect(),
        },
    )
}

async fn get_member(app: App, caller: Caller, key: String, name: String, kind: api::MemberKind) -> Answer {
    let found = members_of(&app, &caller, &key, kind, Some(name.clone())).await?;
    let member = found
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| not_found("member", &name))?;
    json(StatusCode::OK, &jmembers::Member::from(member))
}

/// `GET /access/api/v1/projects/{key}/users`: `{"members": [...]}`.
pub async fn list_users(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    list_members(app, caller, key, api::MemberKind::User).await
}

/// `GET /access/api/v1/projects/{key}/groups`: `{"members": [...]}`.
pub async fn list_groups(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    list_members(app, caller, key, api::MemberKind::Group).await
}

/// `GET /access/api/v1/projects/{key}/users/{name}`.
pub async fn get_user(State(app): State<App>, caller: Caller, Path((key, name)): Path<(String, String)>) -> Answer {
    get_member(app, caller, key, name, api::MemberKind::User).await
}

/// `GET /access/api/v1/projects/{key}/groups/{name}`.
pub async fn get_group(State(app): State<App>, caller: Caller, Path((key, name)): Path<(String, String)>) -> Answer {
    get_member(app, caller, key, name, api::MemberKind::Group).await
}

/// `PUT /access/api/v1/projects/{key}/users/{name}`: sets the roles.
pub async fn put_user(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let roles = jmembers::set_roles(body::json::<MemberBody>(&bytes)?, &name)?;
    let member =
        written(members::put_user(State(app), caller, Path((key, name)), IfMatch(None), JsonBody(roles)).await?)?;
    json(StatusCode::OK, &jmembers::Member::from(&member))
}

/// `PUT /access/api/v1/projects/{key}/groups/{name}`: sets the roles.
pub async fn put_group(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let roles = jmembers::set_roles(body::json::<MemberBody>(&bytes)?, &name)?;
    let member =
        written(members::put_group(State(app), caller, Path((key, name)), IfMatch(None), JsonBody(roles)).await?)?;
    json(StatusCode::OK, &jmembers::Member::from(&member))
}

/// `DELETE /access/api/v1/projects/{key}/users/{name}`: 204.
pub async fn delete_user(State(app): State<App>, caller: Caller, Path((key, name)): Path<(String, String)>) -> Answer {
    members::delete_user(State(app), caller, Path((key, name)), IfMatch(None)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /access/api/v1/projects/{key}/groups/{name}`: 204.
pub async fn delete_group(State(app): State<App>, caller: Caller, Path((key, name)): Path<(String, String)>) -> Answer {
    members::delete_group(State(app), caller, Path((key, name)), IfMatch(None)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
