//! Invitations and password resets (SPEC §5.1, §9.4): invite or re-send,
//! the outbox of messages (shown without their links: only the recipient
//! receives a link), accepting an invitation by choosing a password, asking
//! for a reset link and using it.

use gatehouse_domain::commands::Acting;
use gatehouse_domain::commands::invitations::{self, NewInvitation};
use gatehouse_domain::entities::{QueuedMessage, SecretPurpose, User};
use gatehouse_domain::limits::INVITATION_TTL;
use gatehouse_domain::names::{Email, Password};
use gatehouse_domain::store::Page;
use gatehouse_domain::{AuditActor, Store as _};
use time::OffsetDateTime;

use super::sessions::{anonymous, rate_limited};
use super::users::{CreateUserInput, MembershipInput, hash_password, new_user, stored_user};
use super::{Done, OpResult, Ops, Paging};
use crate::caller::Client;
use crate::credentials::{random_secret, sha256_hex};
use crate::guard::holds;
use crate::problem::{ApiProblem, current_request_id};
use crate::state::App;

/// An invitation by email.
#[derive(Clone, Debug, Default)]
pub struct InviteInput {
    /// Email.
    pub email: String,
    /// Username; the email lowercased when it fits the rule.
    pub username: Option<String>,
    /// Account permission names.
    pub account_permissions: Vec<String>,
    /// Initial memberships.
    pub memberships: Vec<MembershipInput>,
}

/// An invitation sent (or sent again).
#[derive(Clone, Debug)]
pub struct InvitationSent {
    /// Whether it re-sent the invitation of a user still invited.
    pub resent: bool,
    /// The invited user.
    pub user: User,
    /// When the link stops working.
    pub expires_at: OffsetDateTime,
    /// The link, for a platform admin when no SMTP server is configured
    /// (nobody else could deliver it); `None` otherwise.
    pub link: Option<String>,
}

/// A password chosen through a single-use link.
#[derive(Clone, Debug)]
pub struct LinkPasswordInput {
    /// The link's secret.
    pub secret: String,
    /// The new password.
    pub password: String,
    /// The client (rate limits).
    pub client: Client,
}

impl Ops<'_> {
    /// Queued messages with their delivery, oldest first; a message's link
    /// is withheld (only its recipient receives it).
    ///
    /// # Errors
    /// 422 naming `limit`; 400 `invalid_cursor`.
    pub async fn outbox(&self, paging: &Paging) -> OpResult<Page<QueuedMessage>> {
        Ok(self.app.store().outbox(&paging.request()?).await?)
    }

    /// Invites a new user by email, or re-sends the invitation of the user
    /// with this email while it is still invited (a new link; the old one
    /// stops working).
    ///
    /// # Errors
    /// 422 for every invalid field; 403; 409 for a user who has logged in.
    pub async fn invite(&self, acting: &Acting, input: InviteInput) -> OpResult<Done<InvitationSent>> {
        let app = self.app;
        let request = CreateUserInput {
            email: input.email,
            username: input.username,
            account_permissions: input.account_permissions,
            memberships: input.memberships,
            ..CreateUserInput::default()
        };
        let (new, _) = new_user(&request)?;
        let secret = random_secret().map_err(|e| ApiProblem::internal("no randomness", &e))?;
        let writer = self.writer().await?;
        let ctx = writer.ctx(acting, self.via);
        let invitation = NewInvitation {
            user: new,
            username_given: request.username.is_some(),
            secret_sha256: sha256_hex(&secret),
        };
        let (resent, commit) = invitations::invite_or_resend(&ctx, invitation).await?;
        let expires_at = ctx.now + INVITATION_TTL;
        let Some(username) = commit.mutations.iter().find_map(|m| match m {
            gatehouse_domain::Mutation::CreateInvitation(i) => Some(i.username.clone()),
            _ => None,
        }) else {
            return Err(ApiProblem::internal("an invitation without its secret", &"invite"));
        };
        let revision = writer.commit(&commit).await?;
        // Without SMTP nobody else can deliver the link: a platform admin
        // gets it, once. Anyone else's answer never holds a live secret.
        let link = (app.config().smtp_url.is_none() && holds(app, acting, None)).then(|| {
            format!(
                "{}/{}/{secret}",
                app.config().base_url(),
                SecretPurpose::Invitation.link_path()
            )
        });
        let user = stored_user(app, &username).await?;
        Ok(Done::new(
            revision,
            InvitationSent {
                resent,
                user,
                expires_at,
                link,
            },
        ))
    }

    /// Accepts an invitation: sets the invited user's password; the link
    /// works once, for 7 days, and only while the user has not logged in.
    /// The user becomes active at its first login.
    ///
    /// # Errors
    /// 404 for an unknown, spent or expired link; 422 (the password's
    /// rules); 503 `busy`.
    pub async fn accept_invitation(&self, input: LinkPasswordInput) -> OpResult<Done<()>> {
        let app = self.app;
        let sha256 = sha256_hex(&input.secret);
        let user = invitations::invited(app.store(), &sha256, app.now()).await?;
        let password = link_password(&user, &input.password)?;
        let hash = hash_password(app, password).await?;
        let writer = self.writer().await?;
        // Read again under the write lock: the link may have been spent meanwhile.
        let user = invitations::invited(app.store(), &sha256, app.now()).await?;
        let commit = invitations::accept(user, hash, writer.snapshot().revision(), current_request_id(), self.via);
        Ok(Done::new(writer.commit(&commit).await?, ()))
    }

    /// Asks for a password-reset link for `email`: answered at once whatever
    /// the address (the work, if any, happens after, so its time tells
    /// nothing); a known, enabled or locked person account gets a
    /// single-use link valid for an hour through the outbox.
    ///
    /// # Errors
    /// 422 for an invalid email; 429.
    pub fn request_password_reset(&self, email: &str, client: &Client) -> OpResult<()> {
        let email = Email::parse(email)?;
        self.app
            .inner
            .limiter
            .attempt(client.address, email.as_str())
            .map_err(|wait| rate_limited("too many attempts; wait and retry", wait))?;
        let actor = anonymous(client, self.via);
        let request_id = current_request_id();
        let app = self.app.clone();
        tokio::spawn(async move {
            if let Err(problem) = send_reset_link(&app, &email, actor, request_id).await {
                tracing::warn!(code = %problem.code(), "a password-reset link was not queued");
            }
        });
        Ok(())
    }

    /// Sets the password of a reset link's user, ends its lock and every
    /// web session (its tokens stay); the link works once, for an hour.
    ///
    /// # Errors
    /// 404 for an unknown, spent or expired link; 422; 429; 503 `busy`.
    pub async fn reset_password(&self, input: LinkPasswordInput) -> OpResult<Done<()>> {
        let app = self.app;
        let sha256 = sha256_hex(&input.secret);
        app.inner
            .limiter
            .attempt(input.client.address, &sha256)
            .map_err(|wait| rate_limited("too many attempts; wait and retry", wait))?;
        let user = invitations::reset_holder(app.store(), &sha256, app.now()).await?;
        let password = link_password(&user, &input.password)?;
        let hash = hash_password(app, password).await?;
        let writer = self.writer().await?;
        // Read again under the write lock: the link may have been spent meanwhile.
        let user = invitations::reset_holder(app.store(), &sha256, app.now()).await?;
        let commit = invitations::reset(
            &user,
            hash,
            writer.snapshot().revision(),
            current_request_id(),
            self.via,
        );
        Ok(Done::new(writer.commit(&commit).await?, ()))
    }
}

/// A password chosen through a link, checked against its user's rules.
fn link_password(user: &User, raw: &str) -> OpResult<Password> {
    let email = user.email.as_ref().map(|e| e.as_str().to_owned());
    Ok(Password::parse(
        "password",
        raw,
        user.username.as_str(),
        email.as_deref(),
    )?)
}

async fn send_reset_link(app: &App, email: &Email, actor: AuditActor, request_id: Option<String>) -> OpResult<()> {
    let Some(user) = app.store().user_by_email(email.as_str()).await? else {
        return Ok(());
    };
    // The secret is not kept: the SMTP sender mints the one it sends.
    let secret = random_secret().map_err(|e| ApiProblem::internal("no randomness", &e))?;
    let writer = app.writer().await?;
    let Some(user) = app.store().user(&user.username).await? else {
        return Ok(());
    };
    let commit = invitations::request_reset(
        &user,
        sha256_hex(&secret),
        app.now(),
        writer.snapshot().revision(),
        actor,
        request_id,
    );
    if let Some(commit) = commit {
        writer.commit(&commit).await?;
    }
    Ok(())
}
