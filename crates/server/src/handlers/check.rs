//! The permission check (SPEC §7.1) and the reverse questions (§2.3): one
//! check, a batch of up to 1,000, a user's effective permissions, who can
//! do an action. Answered from the in-memory snapshot — never the store —
//! and, with `min_revision`, from one at least that new (waiting up to 2 s).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, ErrorCode, Problem};
use gatehouse_authz::{AccountPermission, Denial, Explanation, QueryError, Snapshot};
use gatehouse_domain::DomainError;
use gatehouse_domain::commands::Acting;
use serde::Deserialize;

use super::respond::{Params, not_found};
use super::visibility::{may_ask_about, sees_project, visible_project};
use crate::caller::Caller;
use crate::guard::holds;
use crate::json::JsonBody;
use crate::observe::sampled_check;
use crate::problem::ApiProblem;
use crate::state::App;

/// How long `min_revision` waits for the snapshot to catch up.
pub const MIN_REVISION_WAIT: Duration = Duration::from_secs(2);

/// The current snapshot, or one at least `min` new, waiting up to
/// [`MIN_REVISION_WAIT`].
async fn snapshot_at_least(app: &App, min: Option<u64>) -> Result<Arc<Snapshot>, ApiProblem> {
    let current = app.snapshot();
    let Some(min) = min.filter(|m| *m > current.revision()) else {
        return Ok(current);
    };
    let mut revisions = app.inner.revision.subscribe();
    // Another instance wrote it: look now rather than at the next poll.
    let refresher = app.clone();
    tokio::spawn(async move { refresher.refresh().await });
    match tokio::time::timeout(MIN_REVISION_WAIT, revisions.wait_for(|r| *r >= min)).await {
        Ok(Ok(_)) => Ok(app.snapshot()),
        // Never an answer from an older model: the client retries, here
        // or on another instance.
        Ok(Err(_)) | Err(_) => Err(ApiProblem::new(
            ErrorCode::StaleSnapshot,
            format!(
                "no snapshot at revision {min} within 2 s; this instance is at {}",
                app.snapshot().revision()
            ),
        )
        .with_header(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        )),
    }
}

/// The problem for a question that cannot be answered; `index` is the
/// check's place in a batch.
fn query_problem(error: QueryError, index: Option<usize>) -> ApiProblem {
    let field = index.map_or_else(String::new, |i| format!("checks[{i}]."));
    let mut problem = Problem::from(error);
    let name = match error {
        QueryError::UnknownAction | QueryError::ActionNotOfResourceType => "action",
        QueryError::EnvironmentRequired => "environment",
    };
    problem.errors = vec![api::ProblemField {
        field: format!("{field}{name}"),
        code: "invalid".to_owned(),
        message: error.to_string(),
    }];
    problem.into()
}

/// The refusal of a question about another user the caller may not ask.
fn not_about_others() -> ApiProblem {
    ApiProblem::new(
        ErrorCode::Forbidden,
        "asking about another user needs `authz.query` or `project.manage_members` in the project",
    )
}

/// Who asks, and whether it may ask about anyone (decided once per request).
struct Asker<'a> {
    app: &'a App,
    snapshot: &'a Snapshot,
    acting: &'a Acting,
    anyone: bool,
}

impl<'a> Asker<'a> {
    fn new(app: &'a App, snapshot: &'a Snapshot, acting: &'a Acting) -> Self {
        Self {
            anyone: holds(app, acting, Some(AccountPermission::AuthzQuery)),
            app,
            snapshot,
            acting,
        }
    }

    /// Whether it may ask about `user` in `project`.
    fn may_ask(&self, user: Option<gatehouse_authz::UserId>, project: Option<gatehouse_authz::ProjectId>) -> bool {
        self.anyone || may_ask_about(self.app, self.snapshot, self.acting, user, project)
    }
}

/// Decides one check for the asker; `index` is its place in a batch.
fn decide(asker: &Asker<'_>, check: &api::CheckRequest, index: Option<usize>) -> Result<api::CheckResult, ApiProblem> {
    let (app, snapshot, acting) = (asker.app, asker.snapshot, asker.acting);
    let user_name = check.user.as_deref().unwrap_or(acting.username.as_str());
    let itself = user_name == acting.username.as_str();
    let (project, environment) = match (&check.project, &check.resource) {
        (Some(project), _) => (project.as_str(), check.environment.as_deref()),
        (None, Some(resource)) => match snapshot.resource_place(&check.action, &resource.resource_type, &resource.name)
        {
            Err(error) => return Err(query_problem(error, index)),
            // A resource of a project the caller may not see is answered
            // as an absent one (SPEC §5.6): the same deny, nothing leaks.
            Ok(Some((project, _)))
                if !asker.anyone
                    && snapshot
                        .project_id(project)
                        .is_none_or(|p| !sees_project(app, snapshot, acting, p)) =>
            {
                return Ok(deny(check, Denial::UnknownResource));
            }
            Ok(Some(found)) => found,
            Ok(None) => return Ok(deny(check, Denial::UnknownResource)),
        },
        (None, None) => return Err(DomainError::field(gatehouse_domain::FieldError::required("project")).into()),
    };
    let user = snapshot.user_id(user_name);
    if !itself && !asker.may_ask(user, snapshot.project_id(project)) {
        return Err(not_about_others());
    }
    // A project the caller may not see is answered as an unknown one
    // (SPEC §5.3); only a deny can be about such a project, and only an
    // explained one says why.
    let masked = |denial: Denial| {
        let hidden = itself
            && !matches!(denial, Denial::UnknownUser | Denial::UnknownProject)
            && snapshot
                .project_id(project)
                .is_some_and(|p| !sees_project(app, snapshot, acting, p));
        if hidden { Denial::UnknownProject } else { denial }
    };
    let query = match snapshot.query(user_name, &check.action, project, environment) {
        Err(error) => return Err(query_problem(error, index)),
        Ok(Err(denial)) if check.explain => return Ok(deny(check, masked(denial))),
        Ok(Err(denial)) => return Ok(deny(check, denial)),
        Ok(Ok(q)) => q,
    };
    // A caller asking about itself is bound by its token's scope.
    let scope = itself.then_some(&acting.scope);
    if check.explain {
        let explanation = match scope {
            Some(scope) => snapshot.explain_scoped(&query, scope),
            None => snapshot.explain(&query),
        }
        .map_err(|e| query_problem(e, index))?;
        if let Explanation::Deny(denial) = explanation {
            return Ok(deny(check, masked(denial)));
        }
        Ok(api::CheckResult::explained(snapshot, query.user, &explanation))
    } else {
        let allowed = match scope {
            Some(scope) => snapshot.check_scoped(&query, scope),
            None => snapshot.check(&query),
        }
        .map_err(|e| query_problem(e, index))?;
        Ok(api::CheckResult {
            allowed,
            reasons: None,
            denial: None,
        })
    }
}

/// Counts `total` decisions, `allowed` of them allows (SPEC §9.3).
fn count(total: u64, allowed: u64) {
    if allowed > 0 {
        metrics::counter!("gatehouse_checks_total", "decision" => "allow").increment(allowed);
    }
    if total > allowed {
        metrics::counter!("gatehouse_checks_total", "decision" => "deny").increment(total - allowed);
    }
}

fn deny(check: &api::CheckRequest, denial: Denial) -> api::CheckResult {
    api::CheckResult {
        allowed: false,
        reasons: None,
        denial: check.explain.then(|| denial.code().to_owned()),
    }
}

/// `POST /api/v1/check`.
#[utoipa::path(post, path = "/api/v1/check", tag = "check", request_body = api::CheckRequest,
    responses((status = 200, body = api::CheckResponse), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
pub async fn check(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CheckRequest>,
) -> Result<Json<api::CheckResponse>, ApiProblem> {
    body.validate()?;
    let snapshot = snapshot_at_least(&app, body.min_revision).await?;
    let asker = Asker::new(&app, &snapshot, &caller.acting);
    let result = sampled_check(|| decide(&asker, &body, None))?;
    count(1, u64::from(result.allowed));
    Ok(Json(api::CheckResponse {
        allowed: result.allowed,
        revision: snapshot.revision(),
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
    JsonBody(body): JsonBody<api::BatchRequest>,
) -> Result<Json<api::BatchResponse>, ApiProblem> {
    body.validate()?;
    let min = body.checks.iter().filter_map(|c| c.min_revision).max();
    let snapshot = snapshot_at_least(&app, min).await?;
    let asker = Asker::new(&app, &snapshot, &caller.acting);
    let results = body
        .checks
        .iter()
        .enumerate()
        .map(|(i, check)| sampled_check(|| decide(&asker, check, Some(i))))
        .collect::<Result<Vec<_>, _>>()?;
    let allowed = results.iter().filter(|r| r.allowed).count();
    count(results.len() as u64, allowed as u64);
    Ok(Json(api::BatchResponse {
        revision: snapshot.revision(),
        results,
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
    acting: &Acting,
    username: &str,
    project: Option<&str>,
) -> Result<api::Permissions, ApiProblem> {
    let snapshot = app.snapshot();
    let Some(project) = project else {
        return Err(gatehouse_domain::FieldError::required("project").into());
    };
    let user = snapshot.user_id(username);
    let project_id = snapshot.project_id(project);
    let itself = username == acting.username.as_str();
    if !itself && !may_ask_about(app, &snapshot, acting, user, project_id) {
        return Err(not_about_others());
    }
    let user = user.ok_or_else(|| not_found("user", username))?;
    let project_id = project_id
        .filter(|p| !itself || sees_project(app, &snapshot, acting, *p))
        .ok_or_else(|| not_found("project", project))?;
    // One's own permissions are read as one's checks are: through the
    // credential's scope (SPEC §2.4).
    let permissions = if itself {
        snapshot.effective_permissions_within(user, project_id, &acting.scope)
    } else {
        snapshot.effective_permissions(user, project_id)
    }
    .map_err(|_| not_found("project", project))?;
    Ok(api::Permissions::new(&snapshot, user, project, &permissions))
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
        &caller.acting,
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
        &caller.acting,
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
    let snapshot = app.snapshot();
    // `authz.query` holders may ask about any project; others about the
    // projects they see.
    let project = match snapshot.project_id(&key) {
        Some(project) if holds(&app, &caller.acting, Some(AccountPermission::AuthzQuery)) => project,
        _ => visible_project(&app, &snapshot, &caller.acting, &key)?.1,
    };
    if !may_ask_about(&app, &snapshot, &caller.acting, None, Some(project)) {
        return Err(ApiProblem::new(
            ErrorCode::Forbidden,
            "who-can needs `authz.query` or `project.manage_members` in the project",
        ));
    }
    let Some(action) = query.action.as_deref() else {
        return Err(gatehouse_domain::FieldError::required("action").into());
    };
    let action = snapshot
        .catalogue()
        .resolve_action(action)
        .ok_or_else(|| query_problem(QueryError::UnknownAction, None))?;
    let environment = match query.environment.as_deref() {
        None => None,
        Some(name) => Some(
            snapshot
                .env_id(name)
                .filter(|e| snapshot.env_project(*e).is_none_or(|p| p == project))
                .ok_or_else(|| ApiProblem::from(gatehouse_domain::FieldError::unknown("environment", name)))?,
        ),
    };
    let allowed = snapshot
        .who_can(project, action, environment)
        .map_err(|e| query_problem(e, None))?;
    Ok(Json(api::WhoCan::new(&snapshot, &allowed)))
}

/// `GET /api/v1/catalogue`.
#[utoipa::path(get, path = "/api/v1/catalogue", tag = "check",
    responses((status = 200, body = api::Catalogue), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn catalogue(State(app): State<App>) -> Json<api::Catalogue> {
    Json(api::Catalogue::from(&**app.snapshot().catalogue()))
}
