//! Invitations and password resets (SPEC §5.1, §9.4): invite a user by
//! email alone — the user, a single-use secret's hash and the message that
//! will carry the link, in one commit — or re-send the invitation of a user
//! still invited; accept an invitation by choosing a password; ask for a
//! password-reset link and use it.
//!
//! No secret is ever stored but as its SHA-256, and no message holds its
//! link: the sender mints the secret when it sends (`LINK_PLACEHOLDER`).

use gatehouse_authz::{UserKind, UserStatus};
use time::OffsetDateTime;

use super::users::{NewUser, create, managed, require_source, user_view};
use super::{Ctx, read};
use crate::commit::{AuditActor, AuditEntry, Commit, Mutation, Via};
use crate::entities::{Invitation, LINK_PLACEHOLDER, MessageLink, OutboxMessage, SecretPurpose, User};
use crate::error::{DomainError, FieldError};
use crate::limits::{INVITATION_TTL, PASSWORD_RESET_TTL};
use crate::store::Store;
use crate::user_status::{effective_status, unlocked};

/// A new invitation; the caller generated the secret and hashed it.
#[derive(Clone, Debug)]
pub struct NewInvitation {
    /// The user to create, without a password and with an email.
    pub user: NewUser,
    /// Whether the request named the username (rather than defaulting it
    /// from the email): a re-send must then name the user it finds.
    pub username_given: bool,
    /// Hex SHA-256 of the secret.
    pub secret_sha256: String,
}

/// Whether `user` is still invited at `now`: it never logged in and is not
/// disabled (a lock does not end an invitation; SPEC §5.1).
#[must_use]
pub fn is_invited(user: &User, now: OffsetDateTime) -> bool {
    user.kind == UserKind::Person
        && user.last_login_at.is_none()
        && matches!(effective_status(user, now), UserStatus::Invited | UserStatus::Locked)
}

fn invitation_mutations(user: &User, secret_sha256: String, now: OffsetDateTime) -> Result<Vec<Mutation>, DomainError> {
    let Some(to) = user.email.clone() else {
        return Err(FieldError::invalid("email", "the user has no email to invite").into());
    };
    let username = user.username.clone();
    Ok(vec![
        Mutation::DeleteSecrets {
            username: username.clone(),
            purpose: Some(SecretPurpose::Invitation),
        },
        Mutation::CreateInvitation(Invitation {
            secret_sha256,
            username: username.clone(),
            expires_at: now + INVITATION_TTL,
            purpose: SecretPurpose::Invitation,
        }),
        Mutation::Enqueue(OutboxMessage {
            to,
            subject: "You are invited to Gatehouse".to_owned(),
            body: format!(
                "An account `{username}` was created for you.\n\nChoose a password within 7 days at:\n{LINK_PLACEHOLDER}\n"
            ),
            link: Some(MessageLink {
                username,
                purpose: SecretPurpose::Invitation,
            }),
        }),
    ])
}

/// Creates an invited user, its invitation (valid 7 days) and the message
/// that delivers the link, in one commit.
///
/// # Errors
/// As `users::create`; `email` is required to invite.
pub async fn invite<S: Store>(ctx: &Ctx<'_, S>, new: NewInvitation) -> Result<Commit, DomainError> {
    if new.user.email.is_none() {
        return Err(FieldError::required("email").into());
    }
    let mut commit = create(
        ctx,
        NewUser {
            password_hash: None,
            ..new.user
        },
    )
    .await?;
    let Some(Mutation::CreateUser(user)) = commit.mutations.first().cloned() else {
        return Err(DomainError::Forbidden("the invited user was not created".into()));
    };
    // The user and its memberships first, then the invitation.
    commit
        .mutations
        .extend(invitation_mutations(&user, new.secret_sha256, ctx.now)?);
    commit.audit.event = "user.invited".to_owned();
    Ok(commit)
}

/// Whether an invitation for this email creates a user (`false`) or
/// re-sends the invitation of the user that has it (`true`), and the
/// commit that does it (SPEC §5.1: a new secret; the old one stops working).
///
/// # Errors
/// As [`invite`]; for a re-send: 409 `already_exists` when the user has
/// logged in (or the named username is another user's); 422 naming
/// `account_permissions`, `admin` or `memberships` given for a user that
/// exists (a re-send changes nothing else); forbidden as for any change to
/// that user.
pub async fn invite_or_resend<S: Store>(ctx: &Ctx<'_, S>, new: NewInvitation) -> Result<(bool, Commit), DomainError> {
    let Some(email) = new.user.email.clone() else {
        return Err(FieldError::required("email").into());
    };
    let Some(existing) = read(ctx.store.user_by_email(email.as_str()).await)? else {
        return Ok((false, invite(ctx, new).await?));
    };
    if new.username_given && existing.username != new.user.username {
        return Err(DomainError::AlreadyExists {
            kind: "email",
            name: email.to_string(),
        });
    }
    let mut errors = Vec::new();
    let keep = "the user exists: a re-send changes only its link (change the user with PATCH /api/v1/users/{username})";
    if new.user.account_permissions != gatehouse_authz::AccountPermissions::NONE {
        errors.push(FieldError::invalid("account_permissions", keep));
    }
    if new.user.admin {
        errors.push(FieldError::invalid("admin", keep));
    }
    if !new.user.memberships.is_empty() {
        errors.push(FieldError::invalid("memberships", keep));
    }
    if !new.user.groups.is_empty() {
        errors.push(FieldError::invalid("groups", keep));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    Ok((true, resend(ctx, &existing, new.secret_sha256).await?))
}

/// Re-sends the invitation of `user`, still invited: a new secret (7 days),
/// the old one deleted, a new message.
///
/// # Errors
/// Forbidden as for any change to the user; 403 `escalation` when the
/// actor does not dominate it (SPEC §2.5); 409 `already_exists` once it
/// has logged in (or is disabled); 422 for a service account.
pub async fn resend<S: Store>(ctx: &Ctx<'_, S>, user: &User, secret_sha256: String) -> Result<Commit, DomainError> {
    let user = managed(ctx, &user.username).await?;
    // A new link is a credential: only an actor who dominates the user
    // sends one (SPEC §2.5).
    ctx.require_dominance(&user.username)?;
    require_source(ctx, &user)?;
    if user.kind == UserKind::Service {
        return Err(FieldError::invalid("email", "a service account has no password to choose").into());
    }
    if !is_invited(&user, ctx.now) {
        return Err(DomainError::AlreadyExists {
            kind: "enabled user",
            name: user.username.to_string(),
        });
    }
    let mutations = invitation_mutations(&user, secret_sha256, ctx.now)?;
    let mut audit = ctx.audit("invitation.resent", "user", user.username.as_str());
    audit.after = Some(user_view(&user));
    Ok(ctx.commit(mutations, audit))
}

fn link_not_found() -> DomainError {
    DomainError::NotFound {
        kind: "invitation",
        name: "the link".to_owned(),
    }
}

/// The user a secret of `purpose` names, if it is unexpired.
async fn holder<S: Store>(
    store: &S,
    secret_sha256: &str,
    purpose: SecretPurpose,
    now: OffsetDateTime,
) -> Result<User, DomainError> {
    let invitation = read(store.invitation(secret_sha256).await)?
        .filter(|i| i.expires_at > now && i.purpose == purpose)
        .ok_or_else(link_not_found)?;
    read(store.user(&invitation.username).await)?.ok_or_else(link_not_found)
}

/// The user an invitation secret invites, while it is still invited.
///
/// Unknown, spent and expired secrets, and the invitation of a user who has
/// logged in since, are refused alike (404), so the answer reveals nothing.
///
/// # Errors
/// `NotFound` for an unknown, spent or expired secret.
pub async fn invited<S: Store>(store: &S, secret_sha256: &str, now: OffsetDateTime) -> Result<User, DomainError> {
    let user = holder(store, secret_sha256, SecretPurpose::Invitation, now).await?;
    if is_invited(&user, now) {
        Ok(user)
    } else {
        Err(link_not_found())
    }
}

/// Accepts an invitation: sets the invited user's password and spends every
/// link of the user, decided at `revision`. The user stays `invited` until
/// its first login.
#[must_use]
pub fn accept(user: User, password_hash: String, revision: u64, request_id: Option<String>, via: Via) -> Commit {
    let username = user.username.clone();
    let audit = own_audit("invitation.accepted", &user, request_id, via);
    Commit {
        mutations: vec![
            Mutation::UpdateUser(User {
                password_hash: Some(password_hash),
                ..user
            }),
            Mutation::DeleteSecrets {
                username: username.clone(),
                purpose: None,
            },
            Mutation::EndSessions { username, except: None },
        ],
        audit,
        expected_revision: Some(revision),
    }
}

fn own_audit(event: &str, user: &User, request_id: Option<String>, via: Via) -> AuditEntry {
    let username = user.username.as_str().to_owned();
    AuditEntry {
        actor: AuditActor {
            username: Some(username.clone()),
            via: Some(via),
            ..AuditActor::default()
        },
        event: event.to_owned(),
        target_type: "user".to_owned(),
        target_id: username,
        project: None,
        before: None,
        after: None,
        request_id,
    }
}

/// Whether a password-reset link may be sent to `user`: a person with a
/// local password and an email, enabled or locked (SPEC §5.1).
#[must_use]
pub fn may_reset(user: &User, now: OffsetDateTime) -> bool {
    user.kind == UserKind::Person
        && user.managed_by == crate::entities::ManagedBy::Local
        && user.email.is_some()
        && matches!(effective_status(user, now), UserStatus::Active | UserStatus::Locked)
}

/// The commit that sends `user` a password-reset link (valid 1 hour; an
/// earlier one stops working), decided at `revision`; `None` when the
/// account may not be reset by email (the caller answers the same).
#[must_use]
pub fn request_reset(
    user: &User,
    secret_sha256: String,
    now: OffsetDateTime,
    revision: u64,
    actor: AuditActor,
    request_id: Option<String>,
) -> Option<Commit> {
    if !may_reset(user, now) {
        return None;
    }
    let to = user.email.clone()?;
    let username = user.username.clone();
    let mutations = vec![
        Mutation::DeleteSecrets {
            username: username.clone(),
            purpose: Some(SecretPurpose::PasswordReset),
        },
        Mutation::CreateInvitation(Invitation {
            secret_sha256,
            username: username.clone(),
            expires_at: now + PASSWORD_RESET_TTL,
            purpose: SecretPurpose::PasswordReset,
        }),
        Mutation::Enqueue(OutboxMessage {
            to,
            subject: "Reset your Gatehouse password".to_owned(),
            body: format!(
                "Someone asked to reset the password of `{username}`.\n\nChoose a new password within an hour at:\n{LINK_PLACEHOLDER}\n\nIf it was not you, ignore this message: your password stays as it is.\n"
            ),
            link: Some(MessageLink {
                username,
                purpose: SecretPurpose::PasswordReset,
            }),
        }),
    ];
    let mut audit = own_audit(
        "password_reset.requested",
        user,
        request_id,
        actor.via.unwrap_or(Via::Api),
    );
    audit.actor = actor;
    Some(Commit {
        mutations,
        audit,
        expected_revision: Some(revision),
    })
}

/// The user a password-reset secret is for, while it may still be reset.
///
/// # Errors
/// `NotFound` for an unknown, spent or expired secret, alike.
pub async fn reset_holder<S: Store>(store: &S, secret_sha256: &str, now: OffsetDateTime) -> Result<User, DomainError> {
    let user = holder(store, secret_sha256, SecretPurpose::PasswordReset, now).await?;
    if may_reset(&user, now) {
        Ok(user)
    } else {
        Err(link_not_found())
    }
}

/// Resets a password by link: the new hash, the lock ended, every link and
/// every web session of the user gone (tokens stay), decided at `revision`.
#[must_use]
pub fn reset(user: &User, password_hash: String, revision: u64, request_id: Option<String>, via: Via) -> Commit {
    let username = user.username.clone();
    let after = User {
        password_hash: Some(password_hash),
        ..unlocked(user)
    };
    let mut audit = own_audit("user.password_reset", user, request_id, via);
    audit.before = Some(user_view(user));
    audit.after = Some(user_view(&after));
    Commit {
        mutations: vec![
            Mutation::UpdateUser(after),
            Mutation::DeleteSecrets {
                username: username.clone(),
                purpose: None,
            },
            Mutation::EndSessions { username, except: None },
        ],
        audit,
        expected_revision: Some(revision),
    }
}
