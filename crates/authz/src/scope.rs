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

    /// Whether the scope names `project` (an unrestricted scope names every
    /// project): a restricted token sees nothing of the others.
    #[must_use]
    pub fn covers_project(&self, project: ProjectId) -> bool {
        self.entries
            .as_ref()
            .is_none_or(|entries| entries.iter().any(|e| e.project == project))
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
    /// Resolves a restricted scope as it is given, for a token about to be
    /// made: every name must resolve. Entries naming a project that no
    /// longer exists grant nothing.
    ///
    /// # Errors
    /// An action, category or environment this snapshot does not know.
    pub fn token_scope(&self, entries: &[ScopeEntrySpec]) -> Result<TokenScope, ModelError> {
        self.resolve_scope(entries, true)
    }

    /// Resolves the restricted scope of a stored token, failing closed: a
    /// project, environment, action or category that no longer resolves
    /// (deleted since, or gone from the catalogue) grants nothing. An entry
    /// whose every environment is gone keeps its other actions and no
    /// environment-scoped one. Never an error.
    #[must_use]
    pub fn stored_token_scope(&self, entries: &[ScopeEntrySpec]) -> TokenScope {
        self.resolve_scope(entries, false).unwrap_or_else(|_| TokenScope {
            entries: Some(Vec::new()),
        })
    }

    fn resolve_scope(&self, entries: &[ScopeEntrySpec], strict: bool) -> Result<TokenScope, ModelError> {
        let mut resolved = Vec::with_capacity(entries.len());
        for spec in entries {
            let Some(project) = self.project_id(&spec.project) else {
                continue;
            };
            let mut actions = ActionSet::EMPTY;
            for category in &spec.categories {
                match self.catalogue().expand_categories(std::iter::once(category.as_str())) {
                    Ok(expanded) => actions = actions.union(expanded),
                    Err(c) if strict => return Err(ModelError::UnknownCategory(c.to_owned())),
                    Err(_) => {}
                }
            }
            for name in &spec.actions {
                match self.catalogue().resolve_action(name) {
                    Some(action) => actions.insert(action),
                    None if strict => return Err(ModelError::UnknownAction(name.clone())),
                    None => {}
                }
            }
            let environments = if spec.environments.is_empty() {
                None
            } else {
                let mut envs = Vec::with_capacity(spec.environments.len());
                for name in &spec.environments {
                    match self.env_id(name).filter(|e| self.env_slot(*e, project).is_some()) {
                        Some(env) => envs.push(env),
                        None if strict => return Err(ModelError::UnknownEnvironment(name.clone())),
                        // Deleted since: it grants nothing, and the entry
                        // never widens to every environment.
                        None => {}
                    }
                }
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
