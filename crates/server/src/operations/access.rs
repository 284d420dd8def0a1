//! The permission check (SPEC §7.1) and the reverse questions (§2.3): one
//! check, a batch, a user's effective permissions, who can do an action.
//! Answered from the in-memory snapshot — never the store — and, with a
//! minimum revision, from one at least that new (waiting up to 2 s).

use std::sync::Arc;
use std::time::Duration;

use gatehouse_api::{ErrorCode, Problem, ProblemField};
use gatehouse_authz::{
    AccountPermission, Allowed, Denial, Explanation, Permission, Query, QueryError, Snapshot, TokenScope, UserId,
};
use gatehouse_domain::commands::Acting;
use gatehouse_domain::{DomainError, FieldError};

use super::visibility::{may_ask_about, sees_project, visible_project};
use super::{OpResult, Ops, not_found};
use crate::guard::holds;
use crate::observe::sampled_check;
use crate::problem::ApiProblem;
use crate::state::App;

/// How long a minimum revision waits for the snapshot to catch up.
pub const MIN_REVISION_WAIT: Duration = Duration::from_secs(2);

/// One question: may `user` (the caller when absent) do `action` in a
/// project (and environment), or on a registered resource.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckInput<'a> {
    /// Who would act; the caller when absent.
    pub user: Option<&'a str>,
    /// Action id or JFrog wire name.
    pub action: &'a str,
    /// Project key (or `resource`).
    pub project: Option<&'a str>,
    /// Environment, for environment-scoped actions.
    pub environment: Option<&'a str>,
    /// A registered resource: its type and name.
    pub resource: Option<(&'a str, &'a str)>,
    /// Answer with the grants or the denial.
    pub explain: bool,
}

/// One answer.
#[derive(Clone, Debug)]
pub struct Decision {
    /// Allowed or not.
    pub allowed: bool,
    /// Why not, when explaining a deny.
    pub denial: Option<Denial>,
    /// Why, when explaining an allow: the user and its grants.
    pub reasons: Option<(UserId, Explanation)>,
}

/// Answers decided on one snapshot.
#[derive(Clone, Debug)]
pub struct Decided<T> {
    /// The snapshot they were decided on (its revision, and the names the
    /// answer's ids stand for).
    pub snapshot: Arc<Snapshot>,
    /// The answer.
    pub value: T,
}

/// The current snapshot, or one at least `min` new, waiting up to
/// [`MIN_REVISION_WAIT`].
async fn snapshot_at_least(app: &App, min: Option<u64>) -> OpResult<Arc<Snapshot>> {
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
pub(crate) fn query_problem(error: QueryError, index: Option<usize>) -> ApiProblem {
    let field = index.map_or_else(String::new, |i| format!("checks[{i}]."));
    let mut problem = Problem::from(error);
    let name = match error {
        QueryError::UnknownAction | QueryError::ActionNotOfResourceType => "action",
        QueryError::EnvironmentRequired => "environment",
    };
    problem.errors = vec![ProblemField {
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

    /// Whether it may ask about the user in the project `about` names (by
    /// id, looked up only when the answer depends on them).
    fn may_ask(&self, about: impl FnOnce() -> (Option<UserId>, Option<gatehouse_authz::ProjectId>)) -> bool {
        self.anyone || {
            let (user, project) = about();
            may_ask_about(self.app, self.snapshot, self.acting, user, project)
        }
    }
}

fn deny(check: &CheckInput<'_>, denial: Denial) -> Decision {
    Decision {
        allowed: false,
        denial: check.explain.then_some(denial),
        reasons: None,
    }
}

/// A check decided while its names were resolved, or a query the
/// snapshot's check answers (seen through the caller's scope when the
/// caller asks about itself).
enum Step<'a> {
    Decided(Decision),
    Pending {
        query: Query,
        scope: Option<&'a TokenScope>,
    },
}

impl Step<'_> {
    /// The query the snapshot's check is to answer, if any.
    fn pending(&self) -> Option<Query> {
        match self {
            Self::Decided(_) => None,
            Self::Pending { query, .. } => Some(*query),
        }
    }

    /// The decision, `check` answering a pending query.
    fn decision(
        self,
        snapshot: &Snapshot,
        check: impl FnOnce(&Query) -> Result<bool, QueryError>,
        index: Option<usize>,
    ) -> OpResult<Decision> {
        match self {
            Self::Decided(decision) => Ok(decision),
            Self::Pending { query, scope } => {
                let allowed = check(&query).map_err(|e| query_problem(e, index))?;
                Ok(Decision {
                    allowed: allowed && scope.is_none_or(|scope| scope.allows(snapshot, &query)),
                    denial: None,
                    reasons: None,
                })
            }
        }
    }
}

/// Decides one check for the asker; `index` is its place in a batch.
fn decide(asker: &Asker<'_>, check: &CheckInput<'_>, index: Option<usize>) -> OpResult<Decision> {
    let snapshot = asker.snapshot;
    prepare(asker, check, index)?.decision(snapshot, |query| snapshot.check(query), index)
}

/// Decides a batch's checks for the asker, in order; an error names the
/// first check that cannot be answered.
fn decide_each(asker: &Asker<'_>, checks: &[CheckInput<'_>]) -> OpResult<Vec<Decision>> {
    let snapshot = asker.snapshot;
    // Names first, in order, up to the first check that cannot be
    // answered; then the snapshot answers the resolved queries
    // together, fetching later ones' tables while it answers earlier
    // ones (`check_each`). Those queries all come before the check that
    // stopped the names, so an error among their answers is the first.
    // The latency sampled is a check's names and guard.
    let mut steps = Vec::with_capacity(checks.len());
    let mut unanswerable = None;
    for (i, check) in checks.iter().enumerate() {
        match sampled_check(|| prepare(asker, check, Some(i))) {
            Ok(step) => steps.push(step),
            Err(problem) => {
                unanswerable = Some(problem);
                break;
            }
        }
    }
    let queries: Vec<Query> = steps.iter().filter_map(Step::pending).collect();
    let mut answers = snapshot.check_each(&queries);
    let decisions = steps
        .into_iter()
        .enumerate()
        // One answer a pending query, in order; a missing one denies.
        .map(|(i, step)| step.decision(snapshot, |_| answers.next().unwrap_or(Ok(false)), Some(i)))
        .collect::<Result<Vec<_>, _>>()?;
    match unanswerable {
        Some(problem) => Err(problem),
        None => Ok(decisions),
    }
}

/// Resolves one check's names for the asker and decides what needs more
/// than the snapshot's check (a resource, the guard, an explanation, a
/// deny by name); `index` is its place in a batch.
fn prepare<'a>(asker: &Asker<'a>, check: &CheckInput<'_>, index: Option<usize>) -> OpResult<Step<'a>> {
    let (app, snapshot, acting) = (asker.app, asker.snapshot, asker.acting);
    let user_name = check.user.unwrap_or(acting.username.as_str());
    let itself = user_name == acting.username.as_str();
    let (project, environment) = match (check.project, check.resource) {
        (Some(project), _) => (project, check.environment),
        (None, Some((resource_type, name))) => match snapshot.resource_place(check.action, resource_type, name) {
            Err(error) => return Err(query_problem(error, index)),
            // A resource of a project the caller may not see is answered
            // as an absent one (SPEC §5.6): the same deny, nothing leaks.
            Ok(Some((project, _)))
                if !asker.anyone
                    && snapshot
                        .project_id(project)
                        .is_none_or(|p| !sees_project(app, snapshot, acting, p)) =>
            {
                return Ok(Step::Decided(deny(check, Denial::UnknownResource)));
            }
            Ok(Some(found)) => found,
            Ok(None) => return Ok(Step::Decided(deny(check, Denial::UnknownResource))),
        },
        (None, None) => return Err(DomainError::field(FieldError::required("project")).into()),
    };
    if !itself && !asker.may_ask(|| (snapshot.user_id(user_name), snapshot.project_id(project))) {
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
    let query = match snapshot.query(user_name, check.action, project, environment) {
        Err(error) => return Err(query_problem(error, index)),
        Ok(Err(denial)) if check.explain => return Ok(Step::Decided(deny(check, masked(denial)))),
        Ok(Err(denial)) => return Ok(Step::Decided(deny(check, denial))),
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
            return Ok(Step::Decided(deny(check, masked(denial))));
        }
        Ok(Step::Decided(Decision {
            allowed: true,
            denial: None,
            reasons: Some((query.user, explanation)),
        }))
    } else {
        Ok(Step::Pending { query, scope })
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

impl Ops<'_> {
    /// One check, from a snapshot at least `min_revision` new.
    ///
    /// # Errors
    /// 403 for a question about another user the caller may not ask; 422
    /// (`unknown_action`, `environment_required`, a missing project); 503
    /// `stale_snapshot`.
    pub async fn check(
        &self,
        acting: &Acting,
        check: &CheckInput<'_>,
        min_revision: Option<u64>,
    ) -> OpResult<Decided<Decision>> {
        let snapshot = snapshot_at_least(self.app, min_revision).await?;
        let asker = Asker::new(self.app, &snapshot, acting);
        let decision = sampled_check(|| decide(&asker, check, None))?;
        count(1, u64::from(decision.allowed));
        Ok(Decided {
            snapshot,
            value: decision,
        })
    }

    /// Checks answered in order from one snapshot, at least `min_revision`
    /// new; an error names the check's index.
    ///
    /// # Errors
    /// As [`Ops::check`].
    pub async fn check_batch(
        &self,
        acting: &Acting,
        checks: &[CheckInput<'_>],
        min_revision: Option<u64>,
    ) -> OpResult<Decided<Vec<Decision>>> {
        let snapshot = snapshot_at_least(self.app, min_revision).await?;
        let asker = Asker::new(self.app, &snapshot, acting);
        let decisions = decide_each(&asker, checks)?;
        let allowed = decisions.iter().filter(|d| d.allowed).count();
        count(decisions.len() as u64, allowed as u64);
        Ok(Decided {
            snapshot,
            value: decisions,
        })
    }

    /// What `username` may do in `project`, per environment, with the
    /// grants; one's own through the credential's scope (SPEC §2.4).
    ///
    /// # Errors
    /// 403 for another user the caller may not ask about; 404; 422 without
    /// a project.
    pub fn permissions(
        &self,
        acting: &Acting,
        username: &str,
        project: Option<&str>,
    ) -> OpResult<Decided<(UserId, String, Vec<Permission>)>> {
        let app = self.app;
        let snapshot = app.snapshot();
        let Some(project) = project else {
            return Err(FieldError::required("project").into());
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
        let permissions = if itself {
            snapshot.effective_permissions_within(user, project_id, &acting.scope)
        } else {
            snapshot.effective_permissions(user, project_id)
        }
        .map_err(|_| not_found("project", project))?;
        Ok(Decided {
            snapshot,
            value: (user, project.to_owned(), permissions),
        })
    }

    /// Every user allowed `action` (in `environment`) in the project `key`,
    /// with the grants: for `authz.query` holders about any project, for
    /// others about the projects they see where they hold
    /// `project.manage_members`.
    ///
    /// # Errors
    /// 403; 404; 422 (`action` missing or unknown, an unknown environment).
    pub fn who_can(
        &self,
        acting: &Acting,
        key: &str,
        action: Option<&str>,
        environment: Option<&str>,
    ) -> OpResult<Decided<Vec<Allowed>>> {
        let app = self.app;
        let snapshot = app.snapshot();
        let project = match snapshot.project_id(key) {
            Some(project) if holds(app, acting, Some(AccountPermission::AuthzQuery)) => project,
            _ => visible_project(app, &snapshot, acting, key)?.1,
        };
        if !may_ask_about(app, &snapshot, acting, None, Some(project)) {
            return Err(ApiProblem::new(
                ErrorCode::Forbidden,
                "who-can needs `authz.query` or `project.manage_members` in the project",
            ));
        }
        let Some(action) = action else {
            return Err(FieldError::required("action").into());
        };
        let action = snapshot
            .catalogue()
            .resolve_action(action)
            .ok_or_else(|| query_problem(QueryError::UnknownAction, None))?;
        let environment = match environment {
            None => None,
            Some(name) => Some(
                snapshot
                    .env_id(name)
                    .filter(|e| snapshot.env_project(*e).is_none_or(|p| p == project))
                    .ok_or_else(|| ApiProblem::from(FieldError::unknown("environment", name)))?,
            ),
        };
        let allowed = snapshot
            .who_can(project, action, environment)
            .map_err(|e| query_problem(e, None))?;
        Ok(Decided {
            snapshot,
            value: allowed,
        })
    }
}
