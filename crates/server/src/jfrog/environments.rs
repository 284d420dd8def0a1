//! `/access/api/v1/environments` (global) and
//! `/access/api/v1/projects/{key}/environments`: `{"name"}`, bare arrays,
//! and JFrog's rename (the operation `rename_environment`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use gatehouse_api as api;
use gatehouse_domain::entities::Environment as Stored;
use gatehouse_jfrog::body;
use gatehouse_jfrog::environments::{self as jenv, Environment, EnvironmentBody, RenameBody};

use super::{Answer, every, json};
use crate::caller::Caller;
use crate::operations::Via;
use crate::operations::environments::{DeleteEnvironmentInput, EnvPlace, RenameEnvironmentInput};
use crate::state::App;

fn global() -> EnvPlace {
    EnvPlace { project: None }
}

fn in_project(key: String) -> EnvPlace {
    EnvPlace { project: Some(key) }
}

fn wire(env: &Stored) -> Environment {
    Environment::from(&api::Environment::from(env))
}

async fn list(app: &App, caller: &Caller, place: &EnvPlace) -> Answer {
    let ops = app.ops(Via::Jfrog);
    let acting = &caller.acting;
    let all = every(|paging| async move { ops.list_environments(acting, place, &paging).await }).await?;
    json(StatusCode::OK, &all.iter().map(wire).collect::<Vec<_>>())
}

async fn create(app: &App, caller: &Caller, place: &EnvPlace, bytes: &Bytes) -> Answer {
    let new = jenv::create(body::json::<EnvironmentBody>(bytes)?)?;
    let done = app
        .ops(Via::Jfrog)
        .create_environment(&caller.acting, place, &new.name)
        .await?;
    json(StatusCode::CREATED, &wire(&done.value))
}

async fn delete(app: &App, caller: &Caller, place: EnvPlace, name: String) -> Answer {
    let input = DeleteEnvironmentInput {
        place,
        name,
        force: false,
        expected_revision: None,
    };
    app.ops(Via::Jfrog).delete_environment(&caller.acting, input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn rename(app: &App, caller: &Caller, place: EnvPlace, name: String, bytes: &Bytes) -> Answer {
    let input = RenameEnvironmentInput {
        place,
        name,
        new_name: jenv::new_name(body::json::<RenameBody>(bytes)?)?,
        expected_revision: None,
    };
    let done = app.ops(Via::Jfrog).rename_environment(&caller.acting, input).await?;
    json(StatusCode::OK, &wire(&done.value))
}

/// `GET /access/api/v1/environments`.
pub async fn list_global(State(app): State<App>, caller: Caller) -> Answer {
    list(&app, &caller, &global()).await
}

/// `POST /access/api/v1/environments`: 201.
pub async fn create_global(State(app): State<App>, caller: Caller, bytes: Bytes) -> Answer {
    create(&app, &caller, &global(), &bytes).await
}

/// `DELETE /access/api/v1/environments/{name}`: 204.
pub async fn delete_global(State(app): State<App>, caller: Caller, Path(name): Path<String>) -> Answer {
    delete(&app, &caller, global(), name).await
}

/// `GET /access/api/v1/projects/{key}/environments`.
pub async fn list_in_project(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    list(&app, &caller, &in_project(key)).await
}

/// `POST /access/api/v1/projects/{key}/environments`: 201.
pub async fn create_in_project(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    bytes: Bytes,
) -> Answer {
    create(&app, &caller, &in_project(key), &bytes).await
}

/// `DELETE /access/api/v1/projects/{key}/environments/{name}`: 204.
pub async fn delete_in_project(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
) -> Answer {
    delete(&app, &caller, in_project(key), name).await
}

/// `POST /access/api/v1/environments/{name}/rename` `{"new_name"}`.
pub async fn rename_global(State(app): State<App>, caller: Caller, Path(name): Path<String>, bytes: Bytes) -> Answer {
    rename(&app, &caller, global(), name, &bytes).await
}

/// `POST /access/api/v1/projects/{key}/environments/{name}/rename`
/// `{"new_name"}` (`NAME` or `<key>-NAME`).
pub async fn rename_in_project(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    rename(&app, &caller, in_project(key), name, &bytes).await
}
