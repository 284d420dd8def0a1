//! The reverse questions of SPEC §2.3: what may this user do in a project,
//! and who may do this action here. Both agree with `check` on every input.

use std::collections::HashSet;

use crate::check::{Denial, Explanation, Grant, Query, QueryError};
use crate::ids::{ActionId, EnvId, ProjectId, UserId};
use crate::scope::TokenScope;
use crate::snapshot::Snapshot;

/// One action a user may do in a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    /// The action.
    pub action: ActionId,
    /// The environments it is allowed in; `None` for a non-scoped action.
    pub environments: Option<Vec<EnvId>>,
    /// Every grant that allows it somewhere.
    pub grants: Vec<Grant>,
}

/// A user allowed an action, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowed {
    /// The user.
    pub user: UserId,
    /// Every grant that allows it.
    pub grants: Vec<Grant>,
}

impl Snapshot {
    /// Every action `user` may do in `project`, per environment, with its
    /// grants, in catalogue order. A blocked user may do nothing.
    ///
    /// # Errors
    /// The denial code when the user or the project is unknown.
    pub fn effective_permissions(&self, user: UserId, project: ProjectId) -> Result<Vec<Permission>, Denial> {
        self.effective_permissions_within(user, project, &TokenScope::user())
    }

    /// [`Snapshot::effective_permissions`] as a token of `scope` sees them:
    /// only what [`Snapshot::check_scoped`] would allow it (SPEC §2.4).
    ///
    /// # Errors
    /// The denial code when the user or the project is unknown.
    pub fn effective_permissions_within(
        &self,
        user: UserId,
        project: ProjectId,
        scope: &TokenScope,
    ) -> Result<Vec<Permission>, Denial> {
        if self.user(user).is_none() {
            return Err(Denial::UnknownUser);
        }
        if self.project(project).is_none() {
            return Err(Denial::UnknownProject);
        }
        let envs = self.project_environments(project);
        let mut out = Vec::new();
        for action in self.catalogue().all_actions().iter() {
            let scoped = self.catalogue().env_scoped().contains(action);
            let places: Vec<Option<EnvId>> = if scoped {
                envs.iter().copied().map(Some).collect()
            } else {
                vec![None]
            };
            let mut allowed_in = Vec::new();
            let mut grants: Vec<Grant> = Vec::new();
            for environment in places {
                let q = Query {
                    user,
                    action,
                    project,
                    environment,
                };
                if let Ok(Explanation::Allow(found)) = self.explain(&q)
                    && scope.allows(self, &q)
                {
                    allowed_in.extend(environment);
                    for grant in found {
                        if !grants.contains(&grant) {
                            grants.push(grant);
                        }
                    }
                }
            }
            if !grants.is_empty() {
                grants.sort();
                out.push(Permission {
                    action,
                    environments: scoped.then_some(allowed_in),
                    grants,
                });
            }
        }
        Ok(out)
    }

    /// Every user allowed `action` in `project` (and `environment`), with
    /// the grants that allow it, ordered by username.
    ///
    /// # Errors
    /// An unknown action, or a scoped action without environment.
    pub fn who_can(
        &self,
        project: ProjectId,
        action: ActionId,
        environment: Option<EnvId>,
    ) -> Result<Vec<Allowed>, QueryError> {
        // Validate the question even when the answer is "nobody".
        let probe = Query {
            user: UserId(u32::MAX),
            action,
            project,
            environment,
        };
        self.check(&probe)?;
        let Some(data) = self.project(project) else {
            return Ok(Vec::new());
        };
        let candidates = data.access.users().chain(self.active_admins());
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for user in candidates {
            if !seen.insert(user) {
                continue;
            }
            let q = Query {
                user,
                action,
                project,
                environment,
            };
            if let Explanation::Allow(grants) = self.explain(&q)? {
                out.push(Allowed {
                    user,
                    grants: grants.into_vec(),
                });
            }
        }
        out.sort_by(|a, b| self.user_name(a.user).cmp(&self.user_name(b.user)));
        Ok(out)
    }
}
