//! The permission check (SPEC §7.1) and the reverse questions (§2.3): one
//! check, a batch of up to 1,000, a user's effective permissions, who can
//! do an action. Answered from the in-memory snapshot — never the store —
//! and, with `min_revision`, from one at least that new (waiting up to 2 s).

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Problem};
use serde::Deserialize;

use super::respond::Params;
use crate::caller::Caller;
use crate::json::JsonBytes;
use crate::operations::Via;
use crate::operations::access::{CheckInput, Decision};
use crate::problem::ApiProblem;
use crate::state::App;

/// A check as the operations take it.
fn input<'a>(check: &'a api::CheckRequest<'_>) -> CheckInput<'a> {
    CheckInput {
        user: check.user.as_deref(),
        action: &check.action,
        project: check.project.as_deref(),
        environment: check.environment.as_deref(),
        resource: check.resource.as_ref().map(|r| (&*r.resource_type, &*r.name)),
        explain: check.explain,
    }
}

/// A decision's wire shape.
fn result(snapshot: &gatehouse_authz::Snapshot, decision: &Decision) -> api::CheckResult {
    match &decision.reasons {
        Some((user, explanation)) => api::CheckResult::explained(snapshot, *user, explanation),
        None => api::CheckResult {
            allowed: decision.allowed,
            reasons: None,
            denial: decision.denial.map(|d| d.code().to_owned()),
        },
    }
}

/// `POST /api/v1/check`.
#[utoipa::path(post, path = "/api/v1/check", tag = "check", request_body = api::CheckRequest,
    responses((status = 200, body = api::CheckResponse), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
pub async fn check(
    State(app): State<App>,
    caller: Caller,
    body: JsonBytes,
) -> Result<Json<api::CheckResponse>, ApiProblem> {
    let body: api::CheckRequest<'_> = body.read_struct()?;
    body.validate()?;
    let decided = app
        .ops(Via::Api)
        .check(&caller.acting, &input(&body), body.min_revision)
        .await?;
    let result = result(&decided.snapshot, &decided.value);
    Ok(Json(api::CheckResponse {
        allowed: result.allowed,
        revision: decided.snapshot.revision(),
        reasons: result.reasons,
        denial: result.denial,
    }))
}

/// `POST /api/v1/check/batch`: up to 1,000 checks answered in order from
/// one snapshot.
#[utoipa::path(post, path = "/api/v1/check/batch", tag = "check", request_body = api::BatchRequest,
    responses((status = 200, body = api::BatchResponse), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
pub async fn batch(
    State(app): State<App>,
    caller: Caller,
    body: JsonBytes,
) -> Result<Json<api::BatchResponse>, ApiProblem> {
    let body: api::BatchRequest<'_> = body.read_struct()?;
    body.validate()?;
    let min = body.checks.iter().filter_map(|c| c.min_revision).max();
    let checks: Vec<_> = body.checks.iter().map(input).collect();
    let decided = app.ops(Via::Api).check_batch(&caller.acting, &checks, min).await?;
    Ok(Json(api::BatchResponse {
        revision: decided.snapshot.revision(),
        results: decided.value.iter().map(|d| result(&decided.snapshot, d)).collect(),
    }))
}

/// `?project=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// The project's key.
    pub project: Option<String>,
}

fn permissions_of(
    app: &App,
    caller: &Caller,
    username: &str,
    project: Option<&str>,
) -> Result<api::Permissions, ApiProblem> {
    let decided = app.ops(Via::Api).permissions(&caller.acting, username, project)?;
    let (user, project, permissions) = &decided.value;
    Ok(api::Permissions::new(&decided.snapshot, *user, project, permissions))
}

/// `GET /api/v1/users/{username}/permissions?project=`: what the user may
/// do in the project, per environment, with the grants.
#[utoipa::path(get, path = "/api/v1/users/{username}/permissions", tag = "check",
    params(("username" = String, Path), ProjectQuery),
    responses((status = 200, body = api::Permissions), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn user_permissions(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    Params(query): Params<ProjectQuery>,
) -> Result<Json<api::Permissions>, ApiProblem> {
    Ok(Json(permissions_of(
        &app,
        &caller,
        &username,
        query.project.as_deref(),
    )?))
}

/// `GET /api/v1/me/permissions?project=`: the caller's own.
#[utoipa::path(get, path = "/api/v1/me/permissions", tag = "check", params(ProjectQuery),
    responses((status = 200, body = api::Permissions), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn my_permissions(
    State(app): State<App>,
    caller: Caller,
    Params(query): Params<ProjectQuery>,
) -> Result<Json<api::Permissions>, ApiProblem> {
    let username = caller.acting.username.as_str().to_owned();
    Ok(Json(permissions_of(
        &app,
        &caller,
        &username,
        query.project.as_deref(),
    )?))
}

/// `?action=&environment=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WhoCanQuery {
    /// Action id or JFrog wire name.
    pub action: Option<String>,
    /// Environment, for an environment-scoped action.
    pub environment: Option<String>,
}

/// `GET /api/v1/projects/{key}/who-can?action=&environment=`: every user
/// allowed, with the grants.
#[utoipa::path(get, path = "/api/v1/projects/{key}/who-can", tag = "check",
    params(("key" = String, Path), WhoCanQuery),
    responses((status = 200, body = api::WhoCan), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn who_can(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    Params(query): Params<WhoCanQuery>,
) -> Result<Json<api::WhoCan>, ApiProblem> {
    let decided = app.ops(Via::Api).who_can(
        &caller.acting,
        &key,
        query.action.as_deref(),
        query.environment.as_deref(),
    )?;
    Ok(Json(api::WhoCan::new(&decided.snapshot, &decided.value)))
}

/// `GET /api/v1/catalogue`.
#[utoipa::path(get, path = "/api/v1/catalogue", tag = "check",
    responses((status = 200, body = api::Catalogue), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn catalogue(State(app): State<App>) -> Json<api::Catalogue> {
    Json(api::Catalogue::from(&**app.snapshot().catalogue()))
}
