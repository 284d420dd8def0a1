//! Token scopes (SPEC §2.4, §6.3): a token allows the intersection of its
//! scope and its user's permissions at the time of the check.

use crate::check::Query;
use crate::ids::{EnvId, ProjectId};
use crate::sets::ActionSet;
use crate::snapshot::{ModelError, Snapshot};

/// One entry of a restricted scope, by name, as a token stores it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeEntrySpec {
    /// Project key.
    pub project: String,
    /// Actions (dotted ids or wire names).
    pub actions: Vec<String>,
    /// Basic categories.
    pub categories: Vec<String>,
    /// Environment names; empty means every environment.
    pub environments: Vec<String>,
}

/// A scope entry resolved against one snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ScopeEntry {
    project: ProjectId,
    actions: ActionSet,
    // `None`: every environment.
    environments: Option<Vec<EnvId>>,
}

/// What a token may do, at most.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenScope {
    // `None`: `applied-permissions/user`, everything the user may do.
    entries: Option<Vec<ScopeEntry>>,
}

impl TokenScope {
    /// `applied-permissions/user`: the token may do all its user may.
    #[must_use]
    pub const fn user() -> Self {
        Self { entries: None }
    }

    /// Whether the scope narrows nothing.
    #[must_use]
    pub const fn is_unrestricted(&self) -> bool {
        self.entries.is_none()
    }

    /// Whether the scope lets the query through (the user's own permissions
    /// are checked separately).
    #[must_use]
    pub fn allows(&self, snapshot: &Snapshot, q: &Query) -> bool {
        let Some(entries) = &self.entries else {
            return true;
        };
        let scoped = snapshot.catalogue().env_scoped().contains(q.action);
        entries.iter().any(|e| {
            e.project == q.project
                && e.actions.contains(q.action)
                && match (&e.environments, q.environment) {
                    (None, _) => true,
                    (Some(_), _) if !scoped => true,
                    (Some(envs), Some(env)) => envs.contains(&env),
                    (Some(_), None) => false,
                }
        })
    }
}

impl Snapshot {
    /// Resolves a restricted scope. Entries naming a project that no longer
    /// exists grant nothing; unknown actions, categories and environments are
    /// errors (the store validated them when the token was made).
    ///
    /// # Errors
    /// An action, category or environment this snapshot does not know.
    pub fn token_scope(&self, entries: &[ScopeEntrySpec]) -> Result<TokenScope, ModelError> {
        let mut resolved = Vec::with_capacity(entries.len());
        for spec in entries {
            let Some(project) = self.project_id(&spec.project) else {
                continue;
            };
            let mut actions = self
                .catalogue()
                .expand_categories(spec.categories.iter().map(String::as_str))
                .map_err(|c| ModelError::UnknownCategory(c.to_owned()))?;
            for name in &spec.actions {
                let action = self
                    .catalogue()
                    .resolve_action(name)
                    .ok_or_else(|| ModelError::UnknownAction(name.clone()))?;
                actions.insert(action);
            }
            let environments = if spec.environments.is_empty() {
                None
            } else {
                let envs = spec
                    .environments
                    .iter()
                    .map(|name| {
                        self.env_id(name)
                            .filter(|e| self.env_slot(*e, project).is_some())
                            .ok_or_else(|| ModelError::UnknownEnvironment(name.clone()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Some(envs)
            };
            resolved.push(ScopeEntry {
                project,
                actions,
                environments,
            });
        }
        Ok(TokenScope {
            entries: Some(resolved),
        })
    }
}
