//! Check, the playground (SPEC §12, §2.1–§2.3): a user, a project (or a
//! registered resource), an action and an environment → allowed, with
//! every grant behind it, or denied, with the denial's code in words; and
//! **who can** do the same action there. The operations' own `check`
//! (explained) and `who_can` answer; a viewer who may not ask who-can
//! (neither `authz.query` nor `project.manage_members` there) does not see
//! that part. A GET form: asking changes nothing.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gatehouse_api::{self as api, ErrorCode};
use gatehouse_authz::Denial;
use serde::Deserialize;

use super::user::grant_text;
use crate::operations::Via;
use crate::operations::access::CheckInput;
use crate::operations::environments::EnvPlace;
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, html_with};
use crate::web::session::Viewer;

/// `?user=&project=&resource_type=&resource=&action=&environment=`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CheckQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    resource: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    environment: String,
}

/// One action of the catalogue, for the action list.
struct ActionOption {
    id: String,
    description: String,
}

/// One resource type's actions.
struct ActionGroup {
    resource_type: String,
    actions: Vec<ActionOption>,
}

/// The decision as the page shows it.
struct Answer {
    allowed: bool,
    /// The grants of an allow, in words.
    grants: Vec<String>,
    /// A denial's code and its words.
    denial: Option<(&'static str, &'static str)>,
}

/// One user allowed, with its grants in words.
struct WhoRow {
    username: String,
    grants: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/check.html")]
struct CheckPage {
    layout: Layout,
    q: CheckQuery,
    groups: Vec<ActionGroup>,
    resource_types: Vec<String>,
    environments: Vec<String>,
    errors: FormErrors,
    asked: bool,
    answer: Option<Answer>,
    who_can: Option<Vec<WhoRow>>,
    who_can_error: Option<String>,
}

/// A denial in words (SPEC §2.2's codes), for the page.
#[must_use]
pub const fn denial_words(denial: Denial) -> &'static str {
    match denial {
        Denial::UserDisabled => "The user is disabled: a disabled user is denied everything.",
        Denial::NotAMember => "The user is not a member of the project, neither directly nor through a group.",
        Denial::ActionNotGranted => "The user is a member, but none of its roles grants this action.",
        Denial::EnvironmentNotGranted => "A role grants this action, but not in this environment.",
        Denial::TokenScopeExcludes => "The user may, but the token's scope excludes it.",
        Denial::UnknownProject => "There is no such project, or you may not see it.",
        Denial::UnknownEnvironment => "There is no such environment in this project.",
        Denial::UnknownUser => "There is no such user.",
        Denial::UnknownResource => "There is no such registered resource, or you may not see it.",
    }
}

/// The form field an operation's field error belongs to.
fn field_of(field: &str) -> Option<&'static str> {
    match root_field(field) {
        "action" => Some("action"),
        "environment" => Some("environment"),
        "project" => Some("project"),
        "user" => Some("user"),
        "resource" => Some("resource"),
        _ => None,
    }
}

/// The field a refusal without field errors is about.
fn refusal_field(code: ErrorCode) -> Option<&'static str> {
    match code {
        ErrorCode::Forbidden => Some("user"),
        _ => None,
    }
}

fn given(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

/// `GET /check`: the form, and with an action the decision and who can.
pub async fn show(State(app): State<App>, viewer: Viewer, Query(q): Query<CheckQuery>) -> Response {
    let ops = app.ops(Via::Ui);
    let acting = &viewer.caller.acting;
    let snapshot = app.snapshot();
    let catalogue = snapshot.catalogue();
    let groups = catalogue
        .resource_types()
        .iter()
        .map(|t| ActionGroup {
            resource_type: t.id.clone(),
            actions: t
                .actions
                .iter()
                .map(|a| {
                    let action = catalogue.action(*a);
                    ActionOption {
                        id: action.id.clone(),
                        description: action.description.clone(),
                    }
                })
                .collect(),
        })
        .collect();
    let resource_types = catalogue.resource_types().iter().map(|t| t.id.clone()).collect();
    let environments = ops
        .list_environments(acting, &EnvPlace::default(), &crate::operations::Paging::default())
        .await
        .map(|page| page.items.iter().map(|e| e.name.as_str().to_owned()).collect())
        .unwrap_or_default();
    let mut errors = FormErrors::none();
    let mut status = 200;
    let (mut answer, mut who_can, mut who_can_error) = (None, None, None);
    let asked = given(&q.action).is_some();
    if let Some(action) = given(&q.action) {
        let input = CheckInput {
            user: given(&q.user),
            action,
            project: given(&q.project),
            environment: given(&q.environment),
            resource: given(&q.resource).map(|name| (q.resource_type.trim(), name)),
            explain: true,
        };
        match ops.check(acting, &input, None).await {
            Ok(decided) => {
                let decision = decided.value;
                let grants = decision.reasons.as_ref().map_or_else(Vec::new, |(user, explanation)| {
                    api::CheckResult::explained(&decided.snapshot, *user, explanation)
                        .reasons
                        .unwrap_or_default()
                        .iter()
                        .map(grant_text)
                        .collect()
                });
                answer = Some(Answer {
                    allowed: decision.allowed,
                    grants,
                    denial: decision.denial.map(|d| (d.code(), denial_words(d))),
                });
            }
            Err(problem) => {
                status = problem.problem.status;
                errors = FormErrors::from_problem(&problem, field_of, refusal_field);
            }
        }
        if let Some(project) = given(&q.project) {
            match ops.who_can(acting, project, Some(action), given(&q.environment)) {
                Ok(decided) => {
                    let wire = api::WhoCan::new(&decided.snapshot, &decided.value);
                    who_can = Some(
                        wire.users
                            .iter()
                            .map(|u| WhoRow {
                                username: u.username.clone(),
                                grants: u.grants.iter().map(grant_text).collect(),
                            })
                            .collect(),
                    );
                }
                // Who may not ask, is not offered the question.
                Err(problem) if problem.code() == ErrorCode::Forbidden => {}
                Err(problem) if errors.is_empty() => who_can_error = Some(problem.problem.detail.clone()),
                Err(_) => {}
            }
        }
    }
    html_with(
        status,
        &CheckPage {
            layout: Layout::new(&app, &viewer, "Check", "/check"),
            q,
            groups,
            resource_types,
            environments,
            errors,
            asked,
            answer,
            who_can,
            who_can_error,
        },
    )
}

#[cfg(test)]
mod tests {
    use gatehouse_authz::Denial;

    use super::denial_words;

    #[test]
    fn every_denial_has_words() {
        let all = [
            Denial::UserDisabled,
            Denial::NotAMember,
            Denial::ActionNotGranted,
            Denial::EnvironmentNotGranted,
            Denial::TokenScopeExcludes,
            Denial::UnknownProject,
            Denial::UnknownEnvironment,
            Denial::UnknownUser,
            Denial::UnknownResource,
        ];
        for denial in all {
            let words = denial_words(denial);
            assert!(words.ends_with('.'), "{denial}: {words}");
            assert!(!words.contains('_'), "{denial} in words, not its code");
        }
    }
}
