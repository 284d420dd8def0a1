//! Invitations (SPEC §5.1, §9.4): invite a user by email alone — the user,
//! a single-use secret's hash and the message carrying the link, in one
//! commit — and accept an invitation by choosing a password.

use time::OffsetDateTime;

use super::users::{NewUser, create};
use super::{Ctx, read};
use crate::commit::{AuditActor, AuditEntry, Commit, Mutation};
use crate::entities::{Invitation, OutboxMessage, User};
use crate::error::{DomainError, FieldError};
use crate::limits::INVITATION_TTL;
use crate::store::Store;

/// A new invitation; the caller generated the secret and hashed it.
#[derive(Clone, Debug)]
pub struct NewInvitation {
    /// The user to create, without a password and with an email.
    pub user: NewUser,
    /// Hex SHA-256 of the secret.
    pub secret_sha256: String,
    /// The link the invited user opens; it carries the secret.
    pub link: String,
}

/// Creates an invited user, its invitation (valid 7 days) and the message
/// that delivers the link, in one commit.
///
/// # Errors
/// As `users::create`; `email` is required to invite.
pub async fn invite<S: Store>(ctx: &Ctx<'_, S>, new: NewInvitation) -> Result<Commit, DomainError> {
    let Some(to) = new.user.email.clone() else {
        return Err(FieldError::required("email").into());
    };
    let username = new.user.username.clone();
    let mut commit = create(
        ctx,
        NewUser {
            password_hash: None,
            ..new.user
        },
    )
    .await?;
    commit.mutations.push(Mutation::CreateInvitation(Invitation {
        secret_sha256: new.secret_sha256,
        username: username.clone(),
        expires_at: ctx.now + INVITATION_TTL,
    }));
    commit.mutations.push(Mutation::Enqueue(OutboxMessage {
        to,
        subject: "You are invited to Gatehouse".to_owned(),
        body: format!(
            "An account `{username}` was created for you.\n\nChoose a password within 7 days at:\n{}\n",
            new.link
        ),
    }));
    commit.audit.event = "user.invited".to_owned();
    Ok(commit)
}

/// The user an invitation secret invites.
///
/// Unknown, spent and expired secrets are refused alike (404), so the
/// answer reveals nothing about them.
///
/// # Errors
/// `NotFound` for an unknown, spent or expired secret.
pub async fn invited<S: Store>(store: &S, secret_sha256: &str, now: OffsetDateTime) -> Result<User, DomainError> {
    let not_found = || DomainError::NotFound {
        kind: "invitation",
        name: "the link".to_owned(),
    };
    let invitation = read(store.invitation(secret_sha256).await)?
        .filter(|i| i.expires_at > now)
        .ok_or_else(not_found)?;
    read(store.user(&invitation.username).await)?.ok_or_else(not_found)
}

/// Accepts an invitation: sets the invited user's password and spends the
/// invitation, decided at `revision`. The user stays `invited` until its
/// first login.
#[must_use]
pub fn accept(
    user: User,
    secret_sha256: &str,
    password_hash: String,
    revision: u64,
    request_id: Option<String>,
) -> Commit {
    let username = user.username.as_str().to_owned();
    let audit = AuditEntry {
        actor: AuditActor {
            username: Some(username.clone()),
            ..AuditActor::default()
        },
        event: "invitation.accepted".to_owned(),
        target_type: "user".to_owned(),
        target_id: username,
        project: None,
        before: None,
        after: None,
        request_id,
    };
    Commit {
        mutations: vec![
            Mutation::UpdateUser(User {
                password_hash: Some(password_hash),
                ..user
            }),
            Mutation::DeleteInvitation(secret_sha256.to_owned()),
        ],
        audit,
        expected_revision: Some(revision),
    }
}
