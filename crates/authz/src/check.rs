//! The decision of SPEC §2.1 and its explanation (§2.2).
//!
//! `check` is the hot path: a few array reads, one hash probe, no allocation.
//! `explain` walks the source memberships to name every grant.

use std::fmt;

use crate::ids::{ActionId, EnvId, GroupId, ProjectId, RoleId, UserId};
use crate::scope::TokenScope;
use crate::sets::ActionSet;
use crate::snapshot::{
    ALL_SLOTS, HotAccess, PermRef, Snapshot, Via, is_admin_flag, is_blocked_flag, is_known_flag, is_plain_flag,
};

/// A question: may `user` do `action` in `project` (in `environment`)?
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Query {
    /// Who asks to act.
    pub user: UserId,
    /// What they would do.
    pub action: ActionId,
    /// Where.
    pub project: ProjectId,
    /// In which environment; required for environment-scoped actions,
    /// ignored (once known) for the others.
    pub environment: Option<EnvId>,
}

/// A question that cannot be answered: a validation error, not a deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The action is not in the catalogue.
    #[error("unknown action")]
    UnknownAction,
    /// The action is environment-scoped and no environment was named.
    #[error("environment required: the action is environment-scoped")]
    EnvironmentRequired,
    /// A check names a resource of a catalogue type the action is not an
    /// action of (`pipeline.trigger` about a repository).
    #[error("the action is not an action of the resource's type")]
    ActionNotOfResourceType,
}

/// Why a check denies: one stable code (SPEC §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Denial {
    /// The user is disabled.
    UserDisabled,
    /// The user is not a member of the project, directly or through a group.
    NotAMember,
    /// No role of the user's grants the action.
    ActionNotGranted,
    /// A role grants the action, but not in this environment.
    EnvironmentNotGranted,
    /// The user may, but the token's scope excludes it.
    TokenScopeExcludes,
    /// No such project.
    UnknownProject,
    /// No such environment in this project.
    UnknownEnvironment,
    /// No such user.
    UnknownUser,
    /// No such registered resource.
    UnknownResource,
}

impl Denial {
    /// Wire code. Never rename; add a variant.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::UserDisabled => "user_disabled",
            Self::NotAMember => "not_a_member",
            Self::ActionNotGranted => "action_not_granted",
            Self::EnvironmentNotGranted => "environment_not_granted",
            Self::TokenScopeExcludes => "token_scope_excludes",
            Self::UnknownProject => "unknown_project",
            Self::UnknownEnvironment => "unknown_environment",
            Self::UnknownUser => "unknown_user",
            Self::UnknownResource => "unknown_resource",
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A project member: a user or a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Member {
    /// A direct user membership.
    User(UserId),
    /// A membership of one of the user's groups.
    Group(GroupId),
}

/// One reason an allow holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grant {
    /// The user is an active or invited platform admin.
    PlatformAdmin,
    /// A role held by a member grants the action here.
    Role {
        /// The membership that holds the role.
        via: Member,
        /// The role.
        role: RoleId,
    },
}

/// The grants of an allow: inline up to four (no allocation in the common
/// case), on the heap beyond.
pub type Grants = smallvec::SmallVec<[Grant; 4]>;

/// A decision with its reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Explanation {
    /// Allowed, with every grant that allows it (never empty).
    Allow(Grants),
    /// Denied, with the code that says why.
    Deny(Denial),
}

impl Explanation {
    /// Whether the decision is an allow.
    #[must_use]
    pub fn is_allow(&self) -> bool {
        matches!(self, Self::Allow(_))
    }
}

/// Where one check looks: the bit of its action in its environment's row
/// ([`crate::snapshot::Layout::bit`]), and the environment's slot mask
/// (every slot for an action that is not environment-scoped).
#[derive(Clone, Copy)]
struct Place {
    bit: u32,
    env_mask: u64,
}

impl Snapshot {
    /// Where `q` looks; `None` for an environment the project does not see.
    #[inline]
    fn place(&self, q: &Query) -> Result<Option<Place>, QueryError> {
        let Some(at) = self.layout().locate(q.action) else {
            return Err(QueryError::UnknownAction);
        };
        let scoped = at.scoped();
        let (slot, row) = match q.environment {
            None if scoped => return Err(QueryError::EnvironmentRequired),
            // Not scoped: any slot's row holds the action's one bit.
            None => (0, 0),
            Some(env) => match self.env_slot_row(env, q.project) {
                None => return Ok(None),
                Some(place) => place,
            },
        };
        Ok(Some(Place {
            bit: at.row_bit(row),
            env_mask: if scoped { 1u64 << slot } else { ALL_SLOTS },
        }))
    }

    /// The decision of SPEC §2.1. Allocates nothing.
    ///
    /// # Errors
    /// An unknown action, or an environment-scoped action without environment.
    #[inline]
    pub fn check(&self, q: &Query) -> Result<bool, QueryError> {
        self.check_finding(q, |project| project.find(q.user))
    }

    /// [`Snapshot::check`], given what `find` answers for the project's
    /// entry: the user's permission run there ([`HotAccess::find`]), or a
    /// run found earlier by a caller that looked ahead (`check_each`).
    #[inline(always)]
    pub(crate) fn check_finding(
        &self,
        q: &Query,
        find: impl FnOnce(&HotAccess) -> Option<PermRef>,
    ) -> Result<bool, QueryError> {
        let Some(place) = self.place(q)? else {
            return Ok(false);
        };
        let flags = self.flags(q.user);
        let Some(project) = self.hot_entry(q.project) else {
            return Ok(false);
        };
        if !is_plain_flag(flags) {
            // Unknown, blocked, or a platform admin.
            return Ok(is_known_flag(flags) && !is_blocked_flag(flags) && is_admin_flag(flags) && project.is_live());
        }
        // A project that is not live has no members: `find` finds none.
        Ok(find(project).is_some_and(|r| project.run_allows(r, place.bit, self.shared_perms())))
    }

    /// The environment slots of `project` in which `user` may do `action`:
    /// for an environment with slot `s` there, `check` allows exactly when
    /// bit `s` is set; for an action that is not environment-scoped, when
    /// any bit is. Every slot for a platform admin, none for an unknown or
    /// disabled user or an unknown project. For comparing two snapshots'
    /// decisions in every environment at once (the impact preview).
    #[inline]
    pub(crate) fn allowed_slots(&self, user: UserId, project: ProjectId, action: ActionId) -> u64 {
        let flags = self.flags(user);
        let Some(hot) = self.hot(project) else {
            return 0;
        };
        if !is_known_flag(flags) || is_blocked_flag(flags) {
            0
        } else if is_admin_flag(flags) {
            ALL_SLOTS
        } else {
            hot.slots(user, action, self.perms())
        }
    }

    /// The decision as seen through a token's scope (SPEC §2.4): the
    /// intersection of the scope and the user's permissions now.
    ///
    /// # Errors
    /// As [`Snapshot::check`].
    #[inline]
    pub fn check_scoped(&self, q: &Query, scope: &TokenScope) -> Result<bool, QueryError> {
        Ok(self.check(q)? && scope.allows(self, q))
    }

    /// The decision with its reasons (SPEC §2.2); `explain(q).is_allow()`
    /// always equals `check(q)`.
    ///
    /// # Errors
    /// As [`Snapshot::check`].
    pub fn explain(&self, q: &Query) -> Result<Explanation, QueryError> {
        // The same steps as `check`, so that denies cost what a check costs;
        // the cold table an allow reads first is fetched meanwhile.
        let project = self.project(q.project);
        if let Some(project) = project {
            project.access.prefetch_sources(q.user);
        }
        let place = self.place(q)?;
        let flags = self.flags(q.user);
        if !is_known_flag(flags) {
            return Ok(Explanation::Deny(Denial::UnknownUser));
        }
        let (Some(hot), Some(project)) = (self.hot(q.project), project) else {
            return Ok(Explanation::Deny(Denial::UnknownProject));
        };
        let Some(place) = place else {
            return Ok(Explanation::Deny(Denial::UnknownEnvironment));
        };
        if is_blocked_flag(flags) {
            return Ok(Explanation::Deny(Denial::UserDisabled));
        }
        if is_admin_flag(flags) {
            return Ok(Explanation::Allow(smallvec::smallvec![Grant::PlatformAdmin]));
        }
        let Some(run) = hot.find(q.user) else {
            return Ok(Explanation::Deny(Denial::NotAMember));
        };
        if !hot.run_allows(run, place.bit, self.shared_perms()) {
            // A member whose every role was removed is a member no more.
            if self.lost_every_role(q.project, q.user) {
                return Ok(Explanation::Deny(Denial::NotAMember));
            }
            return Ok(Explanation::Deny(hot.denial(run, q.action, self.shared_perms())));
        }
        // An allow names every grant, from the project's cold tables.
        let grants = project
            .access
            .granting(q.user, ActionSet::single(q.action), place.env_mask, |role| {
                self.role_grant(role, project)
            })
            .map(|source| Grant::Role {
                via: match source.via {
                    Via::Direct => Member::User(q.user),
                    Via::Group(group) => Member::Group(group),
                },
                role: source.role,
            })
            .collect();
        Ok(Explanation::Allow(grants))
    }

    /// [`Snapshot::explain`] through a token's scope: an allow the scope
    /// excludes becomes `token_scope_excludes`.
    ///
    /// # Errors
    /// As [`Snapshot::check`].
    pub fn explain_scoped(&self, q: &Query, scope: &TokenScope) -> Result<Explanation, QueryError> {
        let explanation = self.explain(q)?;
        Ok(match explanation {
            Explanation::Allow(_) if !scope.allows(self, q) => Explanation::Deny(Denial::TokenScopeExcludes),
            other => other,
        })
    }

    /// Resolves names into a query. Unknown users, projects and environments
    /// are a deny (decided first, SPEC §2.1); an unknown action is an error.
    ///
    /// # Errors
    /// An action that is neither a dotted id nor a wire name of the catalogue.
    pub fn query(
        &self,
        user: &str,
        action: &str,
        project: &str,
        environment: Option<&str>,
    ) -> Result<Result<Query, Denial>, QueryError> {
        let action = self
            .catalogue()
            .resolve_action(action)
            .ok_or(QueryError::UnknownAction)?;
        if environment.is_none() && self.catalogue().env_scoped().contains(action) {
            return Err(QueryError::EnvironmentRequired);
        }
        let Some(user) = self.user_id(user) else {
            return Ok(Err(Denial::UnknownUser));
        };
        let Some(project) = self.project_id(project) else {
            return Ok(Err(Denial::UnknownProject));
        };
        let environment = match environment {
            None => None,
            Some(name) => match self.env_id(name).filter(|e| self.env_slot(*e, project).is_some()) {
                Some(env) => Some(env),
                None => return Ok(Err(Denial::UnknownEnvironment)),
            },
        };
        Ok(Ok(Query {
            user,
            action,
            project,
            environment,
        }))
    }

    /// Where a check about a registered resource asks (SPEC §5.6): the
    /// resource's project key and environment name, or `None` for a
    /// resource that is not registered (a deny with `unknown_resource`).
    ///
    /// # Errors
    /// An unknown action; an action of another type than the resource's
    /// when that type is in the catalogue (a resource of a type the
    /// catalogue does not know cannot be registered: it is unknown).
    pub fn resource_place(
        &self,
        action: &str,
        resource_type: &str,
        resource_name: &str,
    ) -> Result<Option<(&str, Option<&str>)>, QueryError> {
        let catalogue = self.catalogue();
        let action = catalogue.resolve_action(action).ok_or(QueryError::UnknownAction)?;
        let types = catalogue.resource_types();
        let action_type = types.get(catalogue.action(action).resource_type).map(|t| t.id.as_str());
        let known_type = types.iter().any(|t| t.id == resource_type);
        if known_type && action_type != Some(resource_type) {
            return Err(QueryError::ActionNotOfResourceType);
        }
        Ok(self.resolve_resource(resource_type, resource_name))
    }

    /// Resolves names into a query about a registered resource (SPEC §5.6):
    /// the resource stands for its project and environment
    /// ([`Snapshot::resource_place`]); then as [`Snapshot::query`].
    ///
    /// # Errors
    /// As [`Snapshot::resource_place`].
    pub fn resource_query(
        &self,
        user: &str,
        action: &str,
        resource_type: &str,
        resource_name: &str,
    ) -> Result<Result<Query, Denial>, QueryError> {
        let Some((project, environment)) = self.resource_place(action, resource_type, resource_name)? else {
            return Ok(Err(Denial::UnknownResource));
        };
        self.query(user, action, project, environment)
    }

    /// Whether the grant really allows the query's action in its environment
    /// (used to audit explanations).
    #[must_use]
    pub fn grant_allows(&self, grant: &Grant, q: &Query) -> bool {
        match grant {
            Grant::PlatformAdmin => self.is_admin(q.user),
            Grant::Role { via, role } => {
                let Some(project) = self.project(q.project) else {
                    return false;
                };
                let held = match via {
                    Member::User(u) => *u == q.user && project.users.get(u).is_some_and(|r| r.contains(role)),
                    Member::Group(g) => {
                        self.user_groups(q.user).contains(g) && project.groups.get(g).is_some_and(|r| r.contains(role))
                    }
                };
                let (actions, envs) = self.role_grant(*role, project);
                let env_ok = match q.environment {
                    _ if !self.env_scoped_actions().contains(q.action) => true,
                    Some(env) => self.env_slot(env, q.project).is_some_and(|s| envs & (1u64 << s) != 0),
                    None => false,
                };
                held && actions.contains(q.action) && env_ok
            }
        }
    }
}
