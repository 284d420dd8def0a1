//! Anti-escalation: may this actor grant what a command hands out? (SPEC §2.5)
//!
//! No one grants what they do not hold. The domain layer calls these
//! predicates before every write that grants anything.

use crate::account::{AccountPermission, AccountPermissions};
use crate::check::{Member, Query};
use crate::ids::{ActionId, EnvId, ProjectId, RoleId, UserId};
use crate::scope::TokenScope;
use crate::sets::ActionSet;
use crate::snapshot::{ALL_SLOTS, Snapshot};

/// Who is acting: a user, through a token scope (or a session: unrestricted).
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    /// The acting user.
    pub user: UserId,
    /// What the credential allows at most.
    pub scope: &'a TokenScope,
}

/// Why a grant is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Escalation {
    /// The actor is unknown or disabled.
    #[error("the acting user is not active")]
    ActorInactive,
    /// Only platform admins may do this (global roles, admin flag).
    #[error("only a platform admin may do this")]
    AdminOnly,
    /// The actor would grant an action it does not hold there.
    #[error("the actor does not hold the action it would grant")]
    MissingAction {
        /// The action.
        action: ActionId,
        /// The environment it lacks it in; `None` for a non-scoped action.
        environment: Option<EnvId>,
    },
    /// The actor lacks the account permission this needs.
    #[error("the actor lacks account permission `{0}`")]
    MissingAccountPermission(AccountPermission),
    /// No one but a platform admin changes their own grants.
    #[error("no one but a platform admin changes their own grants")]
    SelfGrant,
    /// The role is not usable in this project.
    #[error("the role is not usable in this project")]
    RoleNotInProject(RoleId),
    /// The actor does not dominate the user it would act on: that user
    /// holds something the actor does not (SPEC §2.5).
    #[error("the actor does not hold everything the user it would act on holds")]
    NotDominating(Shortfall),
}

/// What a user holds that the actor acting on it does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortfall {
    /// The user is a platform admin (only a platform admin dominates one).
    Admin,
    /// An account permission the user holds.
    AccountPermission(AccountPermission),
    /// An action the user holds in a project (and environment).
    Action {
        /// Where.
        project: ProjectId,
        /// What.
        action: ActionId,
        /// The environment; `None` for a non-scoped action.
        environment: Option<EnvId>,
    },
}

impl Snapshot {
    fn active_actor(&self, actor: &Actor<'_>) -> Result<bool, Escalation> {
        match self.user(actor.user) {
            Some(u) if !u.status.is_blocked() => Ok(u.admin && actor.scope.is_unrestricted()),
            _ => Err(Escalation::ActorInactive),
        }
    }

    /// Whether the actor holds `actions` in every one of `envs` in `project`
    /// (non-scoped actions once, whatever the environments).
    fn holds_all(
        &self,
        actor: &Actor<'_>,
        project: ProjectId,
        actions: ActionSet,
        envs: &[EnvId],
    ) -> Result<(), Escalation> {
        let scoped = self.catalogue().env_scoped();
        for action in actions.iter() {
            let places: Vec<Option<EnvId>> = if scoped.contains(action) {
                envs.iter().copied().map(Some).collect()
            } else {
                vec![None]
            };
            for environment in places {
                let q = Query {
                    user: actor.user,
                    action,
                    project,
                    environment,
                };
                if !self.check_scoped(&q, actor.scope).unwrap_or(false) {
                    return Err(Escalation::MissingAction { action, environment });
                }
            }
        }
        Ok(())
    }

    /// May the actor put `actions` limited to `envs` into a role of `project`
    /// (`None`: a global role, which only platform admins edit)?
    ///
    /// # Errors
    /// The first reason to refuse.
    pub fn may_define_role(
        &self,
        actor: &Actor<'_>,
        project: Option<ProjectId>,
        actions: ActionSet,
        envs: &[EnvId],
    ) -> Result<(), Escalation> {
        if self.active_actor(actor)? {
            return Ok(());
        }
        let Some(project) = project else {
            return Err(Escalation::AdminOnly);
        };
        let manage_roles = self
            .catalogue()
            .project_action("manage_roles")
            .map(ActionSet::single)
            .unwrap_or_default();
        self.holds_all(actor, project, manage_roles, &[])?;
        self.holds_all(actor, project, actions, envs)
    }

    /// May the actor give `roles` to `member` in `project` (`None`: a user
    /// that does not exist yet)? It needs `project.manage_members` there and
    /// every action of each role in every environment of the role; no one
    /// but an admin changes their own roles.
    ///
    /// # Errors
    /// The first reason to refuse.
    pub fn may_assign_roles(
        &self,
        actor: &Actor<'_>,
        project: ProjectId,
        member: Option<Member>,
        roles: &[RoleId],
    ) -> Result<(), Escalation> {
        let admin = self.active_actor(actor)?;
        for role in roles {
            let usable = self
                .role(*role)
                .is_some_and(|r| r.is_global() || r.project() == self.project_key(project));
            if !usable {
                return Err(Escalation::RoleNotInProject(*role));
            }
        }
        if admin {
            return Ok(());
        }
        if member == Some(Member::User(actor.user)) {
            return Err(Escalation::SelfGrant);
        }
        let manage_members = self
            .catalogue()
            .project_action("manage_members")
            .map(ActionSet::single)
            .unwrap_or_default();
        self.holds_all(actor, project, manage_members, &[])?;
        let Some(data) = self.project(project) else {
            return Err(Escalation::RoleNotInProject(
                roles.first().copied().unwrap_or(RoleId(u32::MAX)),
            ));
        };
        for role in roles {
            let (actions, _) = self.role_grant(*role, data);
            let envs = self.role(*role).map(|r| r.environments().to_vec()).unwrap_or_default();
            self.holds_all(actor, project, actions, &envs)?;
        }
        Ok(())
    }

    /// May the actor set `target`'s account permissions to `permissions` and
    /// its admin flag to `admin`? Compares with what the target holds now:
    /// only additions need the actor to hold them.
    ///
    /// # Errors
    /// The first reason to refuse.
    pub fn may_grant_account_permissions(
        &self,
        actor: &Actor<'_>,
        target: Option<UserId>,
        permissions: AccountPermissions,
        admin: bool,
    ) -> Result<(), Escalation> {
        if self.active_actor(actor)? {
            return Ok(());
        }
        if target == Some(actor.user) {
            return Err(Escalation::SelfGrant);
        }
        let (held_now, admin_now) = target.map_or((AccountPermissions::NONE, false), |t| {
            (self.account_permissions(t), self.is_admin(t))
        });
        if admin != admin_now {
            return Err(Escalation::AdminOnly);
        }
        let mine = self.account_permissions(actor.user);
        if !mine.contains(AccountPermission::AccountsManage) {
            return Err(Escalation::MissingAccountPermission(AccountPermission::AccountsManage));
        }
        for permission in permissions.iter().filter(|p| !held_now.contains(*p)) {
            if !mine.contains(permission) {
                return Err(Escalation::MissingAccountPermission(permission));
            }
        }
        Ok(())
    }

    /// May the actor act on `target`'s credentials or standing — reset or
    /// set its password, change its email, disable, enable, unlock or
    /// delete it, list or revoke its tokens, change its groups (SPEC §2.5)?
    /// Only if the actor *dominates* it: holds every account permission the
    /// user holds, and every action the user holds in every project and
    /// environment where it holds it, through the actor's credential. A
    /// platform admin acting with a full-scope credential dominates everyone;
    /// only such an admin dominates a platform admin. What the user holds is
    /// read from its grants whatever its status, so that a disabled user is
    /// not handed back, on enable, more than the actor holds.
    ///
    /// # Errors
    /// `ActorInactive`, or `NotDominating` with the first thing the user
    /// holds and the actor lacks.
    pub fn may_act_on_user(&self, actor: &Actor<'_>, target: UserId) -> Result<(), Escalation> {
        if self.active_actor(actor)? {
            return Ok(());
        }
        let Some(data) = self.user(target) else {
            // An unknown user holds nothing.
            return Ok(());
        };
        if data.admin {
            return Err(Escalation::NotDominating(Shortfall::Admin));
        }
        // Account permissions need a full-scope credential (as `require`).
        let mine = if actor.scope.is_unrestricted() {
            self.account_permissions(actor.user)
        } else {
            AccountPermissions::NONE
        };
        if let Some(p) = data.account_permissions.iter().find(|p| !mine.contains(*p)) {
            return Err(Escalation::NotDominating(Shortfall::AccountPermission(p)));
        }
        let mut projects: Vec<ProjectId> = data.projects.clone();
        for group in &data.groups {
            projects.extend(self.group(*group).map_or(&[][..], |g| &g.projects));
        }
        projects.sort_unstable();
        projects.dedup();
        let scoped = self.catalogue().env_scoped();
        for project in projects {
            let Some(hot) = self.hot(project) else { continue };
            let envs: Vec<(EnvId, u8)> = self
                .project_environments(project)
                .into_iter()
                .filter_map(|e| self.env_slot(e, project).map(|slot| (e, slot)))
                .collect();
            for action in self.catalogue().all_actions().iter() {
                let places: Vec<(Option<EnvId>, u64)> = if scoped.contains(action) {
                    envs.iter().map(|(e, slot)| (Some(*e), 1u64 << slot)).collect()
                } else {
                    vec![(None, ALL_SLOTS)]
                };
                for (environment, mask) in places {
                    // The user's grants, read without its status.
                    if !hot.allows(target, action, mask, self.perms()) {
                        continue;
                    }
                    let q = Query {
                        user: actor.user,
                        action,
                        project,
                        environment,
                    };
                    if !self.check_scoped(&q, actor.scope).unwrap_or(false) {
                        return Err(Escalation::NotDominating(Shortfall::Action {
                            project,
                            action,
                            environment,
                        }));
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `user` is the last active or invited platform admin (who may
    /// not be disabled, demoted or deleted: 409 `last_admin`).
    #[must_use]
    pub fn is_last_active_admin(&self, user: UserId) -> bool {
        let mut admins = self.active_admins();
        admins.next() == Some(user) && admins.next().is_none()
    }
}
