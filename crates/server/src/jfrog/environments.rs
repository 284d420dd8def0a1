//! `/access/api/v1/environments` (global) and
//! `/access/api/v1/projects/{key}/environments`: `{"name"}`, bare arrays,
//! and JFrog's rename (the domain's `environments::rename`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use gatehouse_domain::commands::environments::rename as rename_environment;
use gatehouse_domain::names::{EnvName, EnvPart, ProjectKey};
use gatehouse_jfrog::body;
use gatehouse_jfrog::environments::{self as jenv, Environment, EnvironmentBody, RenameBody};

use super::{Answer, every, json, written};
use crate::caller::Caller;
use crate::handlers::environments::{self as native, Force};
use crate::handlers::respond::{IfMatch, Params};
use crate::json::JsonBody;
use crate::operations::Via;
use crate::operations::not_found;
use crate::problem::ApiProblem;
use crate::state::App;

fn names(all: &[gatehouse_api::Environment]) -> Vec<Environment> {
    all.iter().map(Environment::from).collect()
}

/// `GET /access/api/v1/environments`.
pub async fn list_global(State(app): State<App>, caller: Caller) -> Answer {
    let all = every(|paging| native::list_global(State(app.clone()), caller.clone(), Params(paging))).await?;
    json(StatusCode::OK, &names(&all))
}

/// `POST /access/api/v1/environments`: 201.
pub async fn create_global(State(app): State<App>, caller: Caller, bytes: Bytes) -> Answer {
    let new = jenv::create(body::json::<EnvironmentBody>(&bytes)?)?;
    let env = written(native::create_global(State(app), caller, JsonBody(new)).await?)?;
    json(StatusCode::CREATED, &Environment::from(&env))
}

/// `DELETE /access/api/v1/environments/{name}`: 204.
pub async fn delete_global(State(app): State<App>, caller: Caller, Path(name): Path<String>) -> Answer {
    native::delete_global(State(app), caller, Path(name), Params(Force::default()), IfMatch(None)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /access/api/v1/projects/{key}/environments`.
pub async fn list_in_project(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    let all =
        every(|paging| native::list_in_project(State(app.clone()), caller.clone(), Path(key.clone()), Params(paging)))
            .await?;
    json(StatusCode::OK, &names(&all))
}

/// `POST /access/api/v1/projects/{key}/environments`: 201.
pub async fn create_in_project(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    bytes: Bytes,
) -> Answer {
    let new = jenv::create(body::json::<EnvironmentBody>(&bytes)?)?;
    let env = written(native::create_in_project(State(app), caller, Path(key), JsonBody(new)).await?)?;
    json(StatusCode::CREATED, &Environment::from(&env))
}

/// `DELETE /access/api/v1/projects/{key}/environments/{name}`: 204.
pub async fn delete_in_project(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
) -> Answer {
    native::delete_in_project(
        State(app),
        caller,
        Path((key, name)),
        Params(Force::default()),
        IfMatch(None),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn rename(app: &App, caller: &Caller, name: &EnvName, new: &str) -> Result<(), ApiProblem> {
    let writer = app.writer().await?;
    let commit = rename_environment(&writer.ctx(&caller.acting, Via::Jfrog), name, new).await?;
    writer.commit(&commit).await?;
    Ok(())
}

/// `POST /access/api/v1/environments/{name}/rename` `{"new_name"}`.
pub async fn rename_global(State(app): State<App>, caller: Caller, Path(name): Path<String>, bytes: Bytes) -> Answer {
    let new = jenv::new_name(body::json::<RenameBody>(&bytes)?)?;
    let part = EnvPart::parse(&name).map_err(|_| not_found("environment", &name))?;
    rename(&app, &caller, &EnvName::global(&part), &new).await?;
    json(StatusCode::OK, &Environment { name: new })
}

/// `POST /access/api/v1/projects/{key}/environments/{name}/rename`
/// `{"new_name"}` (`NAME` or `<key>-NAME`).
pub async fn rename_in_project(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let new = jenv::new_name(body::json::<RenameBody>(&bytes)?)?;
    let project = ProjectKey::parse(&key).map_err(|_| not_found("project", &key))?;
    let old = EnvName::existing_in_project(&project, &name).map_err(|_| not_found("environment", &name))?;
    rename(&app, &caller, &old, &new).await?;
    let full = EnvName::for_project(&project, &new).map_err(ApiProblem::from)?;
    json(
        StatusCode::OK,
        &Environment {
            name: full.as_str().to_owned(),
        },
    )
}
