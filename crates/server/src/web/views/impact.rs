//! The impact preview in words (SPEC §7.2, §12): what a change does to
//! people's access, shown beside Save and on a confirmation page before
//! anything is written. A pure view model of the API's dry-run answer.

use std::collections::BTreeMap;

use gatehouse_api::DryRun;
use gatehouse_api::wire::impact::Change;

use crate::operations::preview::Preview;
use crate::operations::{Ops, Via};
use crate::problem::ApiProblem;
use crate::state::App;
use crate::web::session::Viewer;

/// How many changes a screen lists.
pub const IMPACT_LISTED: usize = 100;

/// One listed change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The user.
    pub user: String,
    /// The project's key.
    pub project: String,
    /// The environment, or `-`.
    pub environment: String,
    /// The action's id.
    pub action: String,
    /// `gains` or `loses`.
    pub change: &'static str,
}

/// A dry run's answer, for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImpactView {
    /// The counts in one sentence.
    pub summary: String,
    /// What is given and taken, one sentence per action and environment.
    pub lines: Vec<String>,
    /// The changes listed, by user, project, environment, action.
    pub rows: Vec<Row>,
    /// Account permissions given or taken, one sentence each.
    pub accounts: Vec<String>,
    /// Said when not every change is listed.
    pub more: Option<String>,
}

fn users(n: usize) -> String {
    if n == 1 {
        "1 user".to_owned()
    } else {
        format!("{n} users")
    }
}

fn decisions(n: usize) -> String {
    if n == 1 {
        "1 decision".to_owned()
    } else {
        format!("{n} decisions")
    }
}

impl ImpactView {
    /// The view of `answer`.
    #[must_use]
    pub fn of(answer: &DryRun) -> Self {
        let impact = &answer.impact;
        let summary = if impact.users == 0 {
            "This changes no one's access.".to_owned()
        } else {
            format!(
                "This changes the access of {}: {} gained, {} lost.",
                users(impact.users),
                decisions(impact.gained),
                decisions(impact.lost)
            )
        };
        // (gained?, action, environment) → users, from the listed changes.
        let mut grouped: BTreeMap<(bool, &str, Option<&str>), Vec<&str>> = BTreeMap::new();
        for c in &impact.changes {
            grouped
                .entry((c.change == Change::Lost, &c.action, c.environment.as_deref()))
                .or_default()
                .push(&c.user);
        }
        let lines = grouped
            .into_iter()
            .map(|((lost, action, environment), mut who)| {
                who.dedup();
                let place = environment.map_or_else(String::new, |e| format!(" in {e}"));
                if lost {
                    format!("takes {action}{place} from {}", users(who.len()))
                } else {
                    format!("gives {} {action}{place}", users(who.len()))
                }
            })
            .collect();
        let rows = impact
            .changes
            .iter()
            .map(|c| Row {
                user: c.user.clone(),
                project: c.project.clone(),
                environment: c.environment.clone().unwrap_or_else(|| "-".to_owned()),
                action: c.action.clone(),
                change: if c.change == Change::Gained { "gains" } else { "loses" },
            })
            .collect();
        let accounts = impact
            .account_changes
            .iter()
            .map(|c| match c.change {
                Change::Gained => format!("gives {} the account permission {}", c.user, c.permission),
                Change::Lost => format!("takes the account permission {} from {}", c.permission, c.user),
            })
            .collect();
        let mut notes = Vec::new();
        if impact.truncated {
            notes.push(format!("only the first {} changes are listed", impact.changes.len()));
        }
        if impact.hidden > 0 {
            notes.push(format!(
                "{} in projects you may not ask about are counted, not listed",
                decisions(impact.hidden)
            ));
        }
        let more = (!notes.is_empty()).then(|| {
            let mut text = notes.join("; ");
            text.push('.');
            let mut chars = text.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or(text)
        });
        Self {
            summary,
            lines,
            rows,
            accounts,
            more,
        }
    }
}

/// The impact of `write` done as a dry run for the viewer: `write` gets the
/// UI's operations in preview mode and calls the very operation the real
/// write calls.
///
/// # Errors
/// The refusal the real write would get.
pub async fn previewed<T>(
    app: &App,
    viewer: &Viewer,
    write: impl AsyncFnOnce(Ops<'_>) -> Result<T, ApiProblem>,
) -> Result<Option<ImpactView>, ApiProblem> {
    let preview = Preview::new(&viewer.caller.acting, IMPACT_LISTED);
    answered(write(app.ops(Via::Ui).previewing(Some(&preview))).await)
}

/// The impact a dry run answered: an operation run with a preview leaves
/// with it (`ApiProblem::dry_run_answer`); any other failure is the write's
/// own refusal, returned as is.
///
/// # Errors
/// The refusal the real write would get.
pub fn answered<T>(result: Result<T, ApiProblem>) -> Result<Option<ImpactView>, ApiProblem> {
    match result {
        Ok(_) => Ok(None),
        Err(problem) => match problem.dry_run_answer() {
            Some(answer) => Ok(Some(ImpactView::of(answer))),
            None => Err(problem),
        },
    }
}

#[cfg(test)]
mod tests {
    use gatehouse_api::Impact;
    use gatehouse_api::wire::impact::{AccountChange, DecisionChange};

    use super::*;

    fn change(user: &str, env: Option<&str>, action: &str, change: Change) -> DecisionChange {
        DecisionChange {
            user: user.to_owned(),
            project: "web".to_owned(),
            environment: env.map(str::to_owned),
            action: action.to_owned(),
            change,
        }
    }

    fn answer(users: usize, changes: Vec<DecisionChange>, truncated: bool, hidden: usize) -> DryRun {
        let gained = changes.iter().filter(|c| c.change == Change::Gained).count();
        DryRun {
            dry_run: true,
            revision: 7,
            impact: Impact {
                users,
                gained,
                lost: changes.len() - gained + hidden,
                changes,
                account_changes: Vec::new(),
                truncated,
                hidden,
            },
        }
    }

    #[test]
    fn the_preview_in_words() {
        use Change::{Gained, Lost};
        let cases: Vec<(DryRun, &str, Vec<&str>, Option<&str>)> = vec![
            (
                answer(0, vec![], false, 0),
                "This changes no one's access.",
                vec![],
                None,
            ),
            (
                answer(
                    2,
                    vec![
                        change("ann", Some("PROD"), "repository.delete", Gained),
                        change("bob", Some("PROD"), "repository.delete", Gained),
                        change("bob", None, "build.read", Lost),
                    ],
                    false,
                    0,
                ),
                "This changes the access of 2 users: 2 decisions gained, 1 decision lost.",
                vec![
                    "gives 2 users repository.delete in PROD",
                    "takes build.read from 1 user",
                ],
                None,
            ),
            (
                answer(1, vec![change("ann", Some("DEV"), "repository.read", Lost)], true, 3),
                "This changes the access of 1 user: 0 decisions gained, 4 decisions lost.",
                vec!["takes repository.read in DEV from 1 user"],
                Some(
                    "Only the first 1 changes are listed; 3 decisions in projects you may not ask about are counted, not listed.",
                ),
            ),
        ];
        for (answer, summary, lines, more) in cases {
            let view = ImpactView::of(&answer);
            assert_eq!(view.summary, summary);
            assert_eq!(view.lines, lines);
            assert_eq!(view.more.as_deref(), more);
            assert_eq!(view.rows.len(), answer.impact.changes.len());
        }
    }

    #[test]
    fn account_permissions_in_words() {
        let mut given = answer(1, vec![], false, 0);
        given.impact.account_changes = vec![AccountChange {
            user: "ann".to_owned(),
            permission: "audit.read".to_owned(),
            change: Change::Gained,
        }];
        assert_eq!(
            ImpactView::of(&given).accounts,
            ["gives ann the account permission audit.read"]
        );
    }
}
