//! Users: create (with email and password, or invited), change, disable,
//! enable, unlock, delete, set a password, and the login transitions
//! (SPEC §5.1, §2.5).

use gatehouse_authz::{AccountPermission, AccountPermissions, UserKind, UserStatus};
use serde_json::{Value, json};

use super::{Ctx, check_if_match, read};
use crate::commit::{Commit, Mutation, Via};
use crate::entities::{ManagedBy, Principal, Profile, SecretPurpose, User};
use crate::error::{DomainError, FieldError};
use crate::names::{Email, GroupName, ProjectKey, RoleName, Username};
use crate::store::Store;
use crate::user_status::{LoginOutcome, unlocked};

/// A user as audit records show it: no secrets.
#[must_use]
pub fn user_view(u: &User) -> Value {
    json!({
        "username": u.username,
        "email": u.email.as_ref().map(Email::as_str),
        "kind": match u.kind { UserKind::Person => "person", UserKind::Service => "service" },
        "status": u.status.as_str(),
        "admin": u.admin,
        "account_permissions": u.account_permissions,
    })
}

/// The username of a new user: the one given, or the email lowercased when
/// it fits the username rule (SPEC §5.1).
///
/// # Errors
/// `username` is required when the email does not fit the rule.
pub fn default_username(email: &Email, username: Option<Username>) -> Result<Username, DomainError> {
    username
        .or_else(|| Username::from_email(email))
        .ok_or_else(|| DomainError::field(FieldError::required("username")))
}

/// A new user as the API describes it (password already validated and hashed).
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Username (see [`default_username`]).
    pub username: Username,
    /// Email.
    pub email: Option<Email>,
    /// PHC hash of the chosen password; `None` for an invitation.
    pub password_hash: Option<String>,
    /// Person or service.
    pub kind: UserKind,
    /// Platform admin.
    pub admin: bool,
    /// Account permissions.
    pub account_permissions: AccountPermissions,
    /// Initial memberships: (project, roles).
    pub memberships: Vec<(ProjectKey, Vec<RoleName>)>,
    /// Initial groups.
    pub groups: Vec<GroupName>,
    /// Who manages the profile.
    pub managed_by: ManagedBy,
}

/// Creates a user, `invited` until its first login, with its initial
/// memberships and groups, in one commit.
///
/// # Errors
/// Forbidden without `accounts.manage`; escalation (a role, or a group
/// whose roles, the actor may not grant); taken username or email; unknown
/// projects, roles or groups.
pub async fn create<S: Store>(ctx: &Ctx<'_, S>, new: NewUser) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::AccountsManage)?;
    let actor = ctx.actor()?;
    ctx.snapshot
        .may_grant_account_permissions(&actor, None, new.account_permissions, new.admin)?;
    let source = User {
        managed_by: new.managed_by,
        ..User::new(new.username.clone(), None, ctx.now, None)
    };
    require_source(ctx, &source)?;
    if new.kind == UserKind::Service && new.password_hash.is_some() {
        return Err(FieldError::invalid("password", "a service account has no password").into());
    }
    if read(ctx.store.user(&new.username).await)?.is_some() {
        return Err(DomainError::AlreadyExists {
            kind: "user",
            name: new.username.to_string(),
        });
    }
    if let Some(email) = &new.email
        && read(ctx.store.user_by_email(email.as_str()).await)?.is_some()
    {
        return Err(DomainError::AlreadyExists {
            kind: "email",
            name: email.to_string(),
        });
    }
    // A user its upstream source provisions is enabled at once (SPEC §13):
    // it logs in through that source, never through an invitation.
    let status = if new.managed_by == ManagedBy::Local {
        UserStatus::Invited
    } else {
        UserStatus::Active
    };
    let user = User {
        kind: new.kind,
        status,
        admin: new.admin,
        account_permissions: new.account_permissions,
        password_hash: new.password_hash,
        managed_by: new.managed_by,
        ..User::new(
            new.username.clone(),
            new.email,
            ctx.now,
            Some(ctx.acting.username.clone()),
        )
    };
    let mut audit = ctx.audit("user.created", "user", user.username.as_str());
    audit.after = Some(user_view(&user));
    let mut mutations = vec![Mutation::CreateUser(user)];
    for (i, (project, roles)) in new.memberships.into_iter().enumerate() {
        let member = super::members::checked_member(ctx, project, Principal::User(new.username.clone()), roles, None)
            .map_err(|e| prefix_fields(e, &format!("memberships[{i}].")))?;
        mutations.push(Mutation::SetMember(member));
    }
    mutations.extend(super::groups::new_user_joins(ctx, &new.username, new.groups)?);
    Ok(ctx.commit(mutations, audit))
}

fn prefix_fields(error: DomainError, prefix: &str) -> DomainError {
    match error {
        DomainError::Validation(fields) => DomainError::Validation(
            fields
                .into_iter()
                .map(|f| {
                    let at = format!("{prefix}{}", f.field);
                    f.at(&at)
                })
                .collect(),
        ),
        other => other,
    }
}

/// Reads a user the actor may manage: `accounts.manage`, a local profile,
/// and only admins manage admins.
pub(crate) async fn managed<S: Store>(ctx: &Ctx<'_, S>, username: &Username) -> Result<User, DomainError> {
    ctx.require(AccountPermission::AccountsManage)?;
    let user = read(ctx.store.user(username).await)?.ok_or_else(|| DomainError::NotFound {
        kind: "user",
        name: username.to_string(),
    })?;
    if user.admin && !ctx.is_admin() {
        return Err(DomainError::Forbidden(
            "only a platform admin manages a platform admin".into(),
        ));
    }
    Ok(user)
}

/// Reads a user the actor may act on the credentials or standing of: as
/// [`managed`], and the actor dominates it (SPEC §2.5).
async fn dominated<S: Store>(ctx: &Ctx<'_, S>, username: &Username) -> Result<User, DomainError> {
    let user = managed(ctx, username).await?;
    ctx.require_dominance(username)?;
    Ok(user)
}

/// Whether a command coming through `via` may change the profile, status
/// or password of `user` (SPEC §13, delegated user management): a local
/// user through any face; a user managed by SCIM or OIDC only through that
/// source. Its memberships, groups, roles and account permissions stay
/// editable everywhere, and deleting it is an admin's choice.
#[must_use]
pub fn may_edit_standing(user: &User, via: Via) -> bool {
    match user.managed_by {
        ManagedBy::Local => true,
        ManagedBy::Scim => via == Via::Scim,
        ManagedBy::Oidc => via == Via::Oidc,
    }
}

/// Refuses a change to what the upstream source of `user` owns.
///
/// # Errors
/// 409 `managed_upstream`.
pub(crate) fn require_source<S: Store>(ctx: &Ctx<'_, S>, user: &User) -> Result<(), DomainError> {
    if may_edit_standing(user, ctx.via) {
        Ok(())
    } else {
        Err(DomainError::ManagedUpstream(user.username.to_string()))
    }
}

fn guard_last_admin<S: Store>(ctx: &Ctx<'_, S>, user: &User, still_admin: bool) -> Result<(), DomainError> {
    let last = ctx
        .snapshot
        .user_id(user.username.as_str())
        .is_some_and(|id| ctx.snapshot.is_last_active_admin(id));
    if last && !still_admin {
        Err(DomainError::LastAdmin)
    } else {
        Ok(())
    }
}

/// Changes to a user's profile and permissions.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    /// New email.
    pub email: Option<Email>,
    /// New admin flag.
    pub admin: Option<bool>,
    /// New account permissions (replacing them).
    pub account_permissions: Option<AccountPermissions>,
}

/// Changes a user's email, admin flag or account permissions (SPEC §2.5:
/// no one grants what they lack or changes their own, but an admin).
///
/// # Errors
/// As [`create`], plus `last_admin` and `precondition_failed`.
pub async fn update<S: Store>(
    ctx: &Ctx<'_, S>,
    username: &Username,
    patch: UserPatch,
    if_match: Option<u64>,
) -> Result<Commit, DomainError> {
    let before = managed(ctx, username).await?;
    check_if_match(if_match, before.revision)?;
    let mut after = before.clone();
    if let Some(email) = patch.email {
        require_source(ctx, &before)?;
        // The email is a credential (a reset link goes there): SPEC §2.5.
        if Some(email.normalized()) != before.email.as_ref().map(Email::normalized) {
            ctx.require_dominance(username)?;
        }
        if let Some(other) = read(ctx.store.user_by_email(email.as_str()).await)?
            && other.username != before.username
        {
            return Err(DomainError::AlreadyExists {
                kind: "email",
                name: email.to_string(),
            });
        }
        after.email = Some(email);
    }
    after.admin = patch.admin.unwrap_or(before.admin);
    after.account_permissions = patch.account_permissions.unwrap_or(before.account_permissions);
    if after.admin != before.admin || after.account_permissions != before.account_permissions {
        let target = ctx.snapshot.user_id(username.as_str());
        ctx.snapshot
            .may_grant_account_permissions(&ctx.actor()?, target, after.account_permissions, after.admin)?;
    }
    guard_last_admin(ctx, &before, after.admin)?;
    let mut audit = ctx.audit("user.updated", "user", username.as_str());
    audit.before = Some(user_view(&before));
    audit.after = Some(user_view(&after));
    Ok(ctx.commit(vec![Mutation::UpdateUser(after)], audit))
}

/// An admin's status change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusChange {
    /// Deny the user everything; its tokens stop working.
    Disable,
    /// Undo a disable (the user returns as active, or invited if it never
    /// logged in).
    Enable,
    /// End a lockout at once.
    Unlock,
}

/// Disables, enables or unlocks a user the actor dominates.
///
/// # Errors
/// Forbidden; not found; escalation; `last_admin` when disabling the last
/// admin.
pub async fn set_status<S: Store>(
    ctx: &Ctx<'_, S>,
    username: &Username,
    change: StatusChange,
) -> Result<Commit, DomainError> {
    let before = dominated(ctx, username).await?;
    require_source(ctx, &before)?;
    let after = match change {
        StatusChange::Disable => {
            guard_last_admin(ctx, &before, false)?;
            User {
                status: UserStatus::Disabled,
                ..before.clone()
            }
        }
        StatusChange::Enable => {
            let status = if before.status != UserStatus::Disabled {
                before.status
            } else if before.last_login_at.is_some() {
                UserStatus::Active
            } else {
                UserStatus::Invited
            };
            User {
                status,
                ..before.clone()
            }
        }
        StatusChange::Unlock => unlocked(&before),
    };
    let event = match change {
        StatusChange::Disable => "user.disabled",
        StatusChange::Enable => "user.enabled",
        StatusChange::Unlock => "user.unlocked",
    };
    let mut audit = ctx.audit(event, "user", username.as_str());
    audit.before = Some(user_view(&before));
    audit.after = Some(user_view(&after));
    Ok(ctx.commit(vec![Mutation::UpdateUser(after)], audit))
}

/// Deletes a user the actor dominates, with its memberships, group
/// memberships, tokens and sessions; the audit log keeps its name.
///
/// # Errors
/// Forbidden; not found; escalation; `last_admin`.
pub async fn delete<S: Store>(
    ctx: &Ctx<'_, S>,
    username: &Username,
    if_match: Option<u64>,
) -> Result<Commit, DomainError> {
    let before = dominated(ctx, username).await?;
    check_if_match(if_match, before.revision)?;
    guard_last_admin(ctx, &before, false)?;
    let mut audit = ctx.audit("user.deleted", "user", username.as_str());
    audit.before = Some(user_view(&before));
    Ok(ctx.commit(vec![Mutation::DeleteUser(username.clone())], audit))
}

/// Sets a user's password hash: the user itself (the caller checked the
/// current password) or a holder of `accounts.manage` who dominates it
/// (SPEC §2.5). The user's
/// invitation and reset links die with the old password; a reset by
/// another ends every web session of the user, a change by the user every
/// session but `keep_session` (the caller's own). Tokens stay: they are
/// revoked explicitly (SPEC §5.1).
///
/// # Errors
/// Forbidden; not found; escalation; a service account has no password.
pub async fn set_password<S: Store>(
    ctx: &Ctx<'_, S>,
    username: &Username,
    hash: String,
    keep_session: Option<String>,
) -> Result<Commit, DomainError> {
    let own = *username == ctx.acting.username;
    let before = if *username == ctx.acting.username {
        read(ctx.store.user(username).await)?.ok_or_else(|| DomainError::NotFound {
            kind: "user",
            name: username.to_string(),
        })?
    } else {
        dominated(ctx, username).await?
    };
    require_source(ctx, &before)?;
    if before.kind == UserKind::Service {
        return Err(FieldError::invalid("new_password", "a service account has no password").into());
    }
    let after = User {
        password_hash: Some(hash),
        ..before
    };
    let audit = ctx.audit("user.password_changed", "user", username.as_str());
    let mutations = vec![
        Mutation::UpdateUser(after),
        Mutation::DeleteSecrets {
            username: username.clone(),
            purpose: None,
        },
        Mutation::EndSessions {
            username: username.clone(),
            except: keep_session.filter(|_| own),
        },
    ];
    Ok(ctx.commit(mutations, audit))
}

/// The commit for a login that changed the user's status (first login, or
/// the failure that locked it); `None` when only book-keeping changed.
#[must_use]
pub fn login_commit<S: Store>(ctx: &Ctx<'_, S>, after: &User, outcome: LoginOutcome) -> Option<Commit> {
    let event = match outcome {
        LoginOutcome::Success { first: true } => "user.activated",
        LoginOutcome::LockedNow => "user.locked",
        LoginOutcome::Success { first: false } | LoginOutcome::Failed | LoginOutcome::Refused => return None,
    };
    let mut audit = ctx.audit(event, "user", after.username.as_str());
    audit.after = Some(user_view(after));
    let mut mutations = vec![Mutation::UpdateUser(after.clone())];
    if event == "user.activated" {
        // An invitation works only while its user is invited (SPEC §5.1).
        mutations.push(Mutation::DeleteSecrets {
            username: after.username.clone(),
            purpose: Some(SecretPurpose::Invitation),
        });
    }
    Some(ctx.commit(mutations, audit))
}

/// What an identity provider sets on a user it provisions (SCIM, SPEC §13):
/// the profile, the email, and whether the user is active.
#[derive(Clone, Debug, Default)]
pub struct Provisioned {
    /// Email, which a provisioned user may lack.
    pub email: Option<Email>,
    /// The provider's profile of the user.
    pub profile: Profile,
    /// `false` disables the user at once (its tokens and sessions too).
    pub active: bool,
}

async fn check_unique_profile<S: Store>(
    ctx: &Ctx<'_, S>,
    username: &Username,
    p: &Provisioned,
) -> Result<(), DomainError> {
    if let Some(email) = &p.email
        && read(ctx.store.user_by_email(email.as_str()).await)?.is_some_and(|u| u.username != *username)
    {
        return Err(DomainError::AlreadyExists {
            kind: "email",
            name: email.to_string(),
        });
    }
    if let Some(x) = &p.profile.external_id
        && read(ctx.store.user_by_external_id(x).await)?.is_some_and(|u| u.username != *username)
    {
        return Err(DomainError::AlreadyExists {
            kind: "externalId",
            name: x.clone(),
        });
    }
    Ok(())
}

/// Creates a user provisioned by an identity provider: `managed_by: scim`,
/// no password (it signs in upstream), `active` or `disabled`.
///
/// # Errors
/// Forbidden without `accounts.manage`; a taken username, email or
/// `external_id`.
pub async fn provision_create<S: Store>(
    ctx: &Ctx<'_, S>,
    username: Username,
    p: Provisioned,
) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::AccountsManage)?;
    if read(ctx.store.user(&username).await)?.is_some() {
        return Err(DomainError::AlreadyExists {
            kind: "user",
            name: username.to_string(),
        });
    }
    check_unique_profile(ctx, &username, &p).await?;
    let user = User {
        status: if p.active {
            UserStatus::Active
        } else {
            UserStatus::Disabled
        },
        managed_by: ManagedBy::Scim,
        profile: p.profile,
        ..User::new(username, p.email, ctx.now, Some(ctx.acting.username.clone()))
    };
    let mut audit = ctx.audit("user.created", "user", user.username.as_str());
    audit.after = Some(user_view(&user));
    Ok(ctx.commit(vec![Mutation::CreateUser(user)], audit))
}

/// Replaces what an identity provider manages of a user the actor
/// dominates: profile, email and status (a local user the provider takes
/// over becomes `managed_by: scim`). Memberships, roles and permissions
/// stay Gatehouse's.
///
/// # Errors
/// Forbidden; not found; escalation; `precondition_failed`; a taken email
/// or `external_id`; `last_admin` when deactivating the last admin.
pub async fn provision_update<S: Store>(
    ctx: &Ctx<'_, S>,
    username: &Username,
    p: Provisioned,
    if_match: Option<u64>,
) -> Result<Commit, DomainError> {
    let before = dominated(ctx, username).await?;
    check_if_match(if_match, before.revision)?;
    check_unique_profile(ctx, username, &p).await?;
    let status = match (p.active, before.status) {
        (false, _) => {
            guard_last_admin(ctx, &before, false)?;
            UserStatus::Disabled
        }
        (true, UserStatus::Disabled) if before.last_login_at.is_none() && before.managed_by == ManagedBy::Local => {
            UserStatus::Invited
        }
        (true, UserStatus::Disabled) => UserStatus::Active,
        (true, other) => other,
    };
    let after = User {
        email: p.email,
        profile: p.profile,
        status,
        managed_by: ManagedBy::Scim,
        ..before.clone()
    };
    let event = match (before.status == UserStatus::Disabled, status == UserStatus::Disabled) {
        (false, true) => "user.disabled",
        (true, false) => "user.enabled",
        _ => "user.updated",
    };
    let mut audit = ctx.audit(event, "user", username.as_str());
    audit.before = Some(user_view(&before));
    audit.after = Some(user_view(&after));
    Ok(ctx.commit(vec![Mutation::UpdateUser(after)], audit))
}
