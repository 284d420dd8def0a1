//! Commands: each reads what it needs, applies the rules, and answers one
//! [`Commit`] for the store — or a [`DomainError`] and nothing to write.
//!
//! Every command is decided against one snapshot; the commit expects the
//! store to still be at that snapshot's revision, so a concurrent write
//! makes it fail whole (`Conflict`) rather than apply on stale reads.

pub mod environments;
pub mod groups;
pub mod import;
pub mod init;
pub mod invitations;
pub mod members;
pub mod oidc;
pub mod projects;
pub mod resources;
pub mod roles;
pub mod settings;
pub mod tokens;
pub mod users;

use gatehouse_authz::{AccountPermission, Actor, Snapshot, TokenScope, UserId};
use time::OffsetDateTime;

pub use crate::commit::Via;
use crate::commit::{AuditActor, AuditEntry, Commit, Mutation};
use crate::error::DomainError;
use crate::names::Username;
use crate::store::{Store, StoreError};

/// Who is acting, through which credential, from where.
#[derive(Clone, Debug)]
pub struct Acting {
    /// The acting user.
    pub username: Username,
    /// What the credential allows at most.
    pub scope: TokenScope,
    /// Audit details: token id, address, user agent.
    pub audit: AuditActor,
    /// The request being served.
    pub request_id: Option<String>,
}

/// Everything a command reads: the store, the snapshot it decides on, the
/// actor and the time.
pub struct Ctx<'a, S> {
    /// Persistence, for records the snapshot does not hold.
    pub store: &'a S,
    /// The permission model the command is decided on.
    pub snapshot: &'a Snapshot,
    /// Who acts.
    pub acting: &'a Acting,
    /// The face the command came through (recorded in its audit record;
    /// a user's upstream source may edit what the rule of SPEC §13 keeps
    /// from the native faces).
    pub via: Via,
    /// Now (commands never read the clock).
    pub now: OffsetDateTime,
}

impl<S: Store> Ctx<'_, S> {
    /// The actor as the authorization core knows it.
    ///
    /// # Errors
    /// `Forbidden` when the acting user is not in the snapshot.
    pub fn actor(&self) -> Result<Actor<'_>, DomainError> {
        let user = self.actor_id()?;
        Ok(Actor {
            user,
            scope: &self.acting.scope,
        })
    }

    fn actor_id(&self) -> Result<UserId, DomainError> {
        self.snapshot
            .user_id(self.acting.username.as_str())
            .ok_or_else(|| DomainError::Forbidden("the acting user does not exist".into()))
    }

    /// Whether the actor is an active platform admin acting with full scope.
    #[must_use]
    pub fn is_admin(&self) -> bool {
        self.actor_id().is_ok_and(|u| {
            self.snapshot.is_admin(u)
                && self.snapshot.user_status(u).is_some_and(|s| !s.is_blocked())
                && self.acting.scope.is_unrestricted()
        })
    }

    /// Refuses unless the actor is an active platform admin.
    ///
    /// # Errors
    /// `Forbidden`.
    pub fn require_admin(&self) -> Result<(), DomainError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(DomainError::Forbidden("only a platform admin may do this".into()))
        }
    }

    /// Refuses unless the actor holds `permission` (admins hold all).
    /// Account permissions need a full-scope credential.
    ///
    /// # Errors
    /// `Forbidden`.
    pub fn require(&self, permission: AccountPermission) -> Result<(), DomainError> {
        let user = self.actor_id()?;
        let active = self.snapshot.user_status(user).is_some_and(|s| !s.is_blocked());
        let holds = self.snapshot.account_permissions(user).contains(permission);
        if self.is_admin() || (active && holds && self.acting.scope.is_unrestricted()) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(format!("requires `{permission}`")))
        }
    }

    /// Refuses unless the actor dominates `user` (SPEC §2.5): holds every
    /// account permission and every action that user holds, where it holds
    /// it. Every command acting on another user's credentials or standing
    /// asks this. An unknown user holds nothing.
    ///
    /// # Errors
    /// `Escalation` (403 `escalation`).
    pub fn require_dominance(&self, user: &Username) -> Result<(), DomainError> {
        let Some(target) = self.snapshot.user_id(user.as_str()) else {
            return Ok(());
        };
        self.snapshot.may_act_on_user(&self.actor()?, target)?;
        Ok(())
    }

    /// An audit entry for this actor and request.
    #[must_use]
    pub fn audit(&self, event: &str, target_type: &str, target_id: &str) -> AuditEntry {
        let mut actor = self.acting.audit.clone();
        actor.username = Some(self.acting.username.as_str().to_owned());
        actor.via = Some(self.via);
        AuditEntry {
            actor,
            event: event.to_owned(),
            target_type: target_type.to_owned(),
            target_id: target_id.to_owned(),
            project: None,
            before: None,
            after: None,
            request_id: self.acting.request_id.clone(),
        }
    }

    /// A commit decided on this snapshot.
    #[must_use]
    pub fn commit(&self, mutations: Vec<Mutation>, audit: AuditEntry) -> Commit {
        Commit {
            mutations,
            audit,
            expected_revision: Some(self.snapshot.revision()),
        }
    }
}

/// Turns store failures met while reading into domain errors' terms.
pub(crate) fn read<T>(result: Result<T, StoreError>) -> Result<T, DomainError> {
    result.map_err(|e| match e {
        StoreError::Stale { .. } | StoreError::Conflict(_) => DomainError::Conflict,
        StoreError::Unavailable { full, detail } => DomainError::Unavailable { full, detail },
        other => DomainError::Store(other.to_string()),
    })
}

/// `If-Match`: the record's revision must be the one the client read.
pub(crate) fn check_if_match(if_match: Option<u64>, current: u64) -> Result<(), DomainError> {
    match if_match {
        Some(expected) if expected != current => Err(DomainError::PreconditionFailed),
        _ => Ok(()),
    }
}
