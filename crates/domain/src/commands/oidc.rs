//! Logging in through an OpenID Connect provider (SPEC §13): what a
//! verified ID token does to Gatehouse's users, and an admin's explicit link
//! of a local user to a provider's identity.
//!
//! The provider's word is taken only after the server has verified the
//! token (signature, issuer, audience, expiry, nonce); this module decides
//! what the claims may change: an identity is keyed by (issuer, `sub`); its
//! first login creates an `enabled` user `managed_by: oidc`; a username or
//! email held by another user is refused, never merged; later logins refresh
//! the email and display name; with a groups claim, the groups it names that
//! exist are the user's groups. A disabled user is refused.

use std::collections::BTreeSet;

use gatehouse_authz::{AccountPermission, Snapshot, UserKind, UserStatus};
use serde_json::json;
use time::OffsetDateTime;

use super::users::user_view;
use super::{Acting, Ctx, read};
use crate::commit::{AuditActor, Commit, Mutation, Via};
use crate::entities::{ManagedBy, OidcIdentity, User};
use crate::error::DomainError;
use crate::names::{Email, GroupName, Username};
use crate::store::Store;

/// What a verified ID token says about the person.
#[derive(Clone, Debug, Default)]
pub struct OidcClaims {
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// `preferred_username`.
    pub preferred_username: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `name`.
    pub display_name: Option<String>,
    /// The configured groups claim's names; `None` when no groups claim is
    /// configured (memberships are then Gatehouse's alone).
    pub groups: Option<Vec<String>>,
}

/// Why a verified identity may not log in. Each is shown on the refusal
/// page and audited as `login.refused` with its [`Refusal::reason`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Neither `preferred_username` nor `email` makes a valid username.
    #[error("the provider gave no usable username (preferred_username or email)")]
    NoUsername,
    /// The username belongs to a user not linked to this identity.
    #[error("the username `{0}` belongs to another Gatehouse user; an admin may link them explicitly")]
    UsernameTaken(String),
    /// The email belongs to a user not linked to this identity.
    #[error("the email `{0}` belongs to another Gatehouse user; an admin may link them explicitly")]
    EmailTaken(String),
    /// The user is disabled (by an admin, or upstream through SCIM).
    #[error("the user `{0}` is disabled")]
    Disabled(String),
    /// Service accounts never log in.
    #[error("the user `{0}` is a service account")]
    ServiceAccount(String),
}

impl Refusal {
    /// The audit reason: one word per kind.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NoUsername => "no_username",
            Self::UsernameTaken(_) => "username_taken",
            Self::EmailTaken(_) => "email_taken",
            Self::Disabled(_) => "user_disabled",
            Self::ServiceAccount(_) => "service_account",
        }
    }
}

/// Why [`sign_in`] produced no login.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The identity may not log in.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The store failed, or a concurrent write won.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// What a login does.
#[derive(Debug)]
pub struct SignIn {
    /// The user logging in, as it is after `commit`.
    pub user: User,
    /// Whether this login created it.
    pub created: bool,
    /// What to write, if anything changed beyond the login time.
    pub commit: Option<Commit>,
    /// Names in the groups claim that are no Gatehouse group (ignored).
    pub unknown_groups: Vec<String>,
}

/// The user a verified identity logs in as: created at its first login,
/// refreshed later.
///
/// # Errors
/// [`SignInError::Refused`] as [`Refusal`] says; store failures.
pub async fn sign_in<S: Store>(
    store: &S,
    snapshot: &Snapshot,
    claims: &OidcClaims,
    audit: AuditActor,
    request_id: Option<String>,
    now: OffsetDateTime,
) -> Result<SignIn, SignInError> {
    let link = read(store.oidc_identity(&claims.issuer, &claims.subject).await)?;
    let existing = match &link {
        Some(link) => read(store.user(&link.username).await)?,
        None => None,
    };
    let email = claims.email.as_deref().and_then(|e| Email::parse(e).ok());
    let username = match &existing {
        Some(user) => user.username.clone(),
        None => new_username(claims, email.as_ref())?,
    };
    let acting = Acting {
        username: username.clone(),
        scope: gatehouse_authz::TokenScope::user(),
        audit,
        request_id,
    };
    let ctx = Ctx {
        store,
        snapshot,
        acting: &acting,
        via: Via::Oidc,
        now,
    };
    match existing {
        Some(user) => refresh(&ctx, claims, user, email, link).await,
        None => create(&ctx, claims, username, email).await,
    }
}

fn new_username(claims: &OidcClaims, email: Option<&Email>) -> Result<Username, Refusal> {
    claims
        .preferred_username
        .as_deref()
        .and_then(|name| Username::parse(&name.to_lowercase()).ok())
        .or_else(|| email.and_then(Username::from_email))
        .ok_or(Refusal::NoUsername)
}

fn audit_identity(claims: &OidcClaims) -> serde_json::Value {
    json!({"via": "oidc", "issuer": claims.issuer, "subject": claims.subject})
}

async fn create<S: Store>(
    ctx: &Ctx<'_, S>,
    claims: &OidcClaims,
    username: Username,
    email: Option<Email>,
) -> Result<SignIn, SignInError> {
    if read(ctx.store.user(&username).await)?.is_some() {
        return Err(Refusal::UsernameTaken(username.to_string()).into());
    }
    if let Some(email) = &email
        && read(ctx.store.user_by_email(email.as_str()).await)?.is_some()
    {
        return Err(Refusal::EmailTaken(email.to_string()).into());
    }
    let user = User {
        status: UserStatus::Active,
        managed_by: ManagedBy::Oidc,
        last_login_at: Some(ctx.now),
        ..User::new(username.clone(), email, ctx.now, Some(username.clone()))
    };
    let mut audit = ctx.audit("user.created", "user", username.as_str());
    let mut after = user_view(&user);
    after["managed_by"] = json!("oidc");
    after["identity"] = audit_identity(claims);
    audit.after = Some(after);
    let mut mutations = vec![
        Mutation::CreateUser(user.clone()),
        Mutation::LinkOidc(OidcIdentity {
            issuer: claims.issuer.clone(),
            subject: claims.subject.clone(),
            username: username.clone(),
            display_name: claims.display_name.clone(),
            linked_at: ctx.now,
        }),
    ];
    let (wanted, unknown_groups) = wanted_groups(ctx.snapshot, claims);
    for group in wanted.into_iter().flatten() {
        mutations.push(Mutation::AddGroupMember(group, username.clone()));
    }
    Ok(SignIn {
        user,
        created: true,
        commit: Some(ctx.commit(mutations, audit)),
        unknown_groups,
    })
}

async fn refresh<S: Store>(
    ctx: &Ctx<'_, S>,
    claims: &OidcClaims,
    before: User,
    email: Option<Email>,
    link: Option<OidcIdentity>,
) -> Result<SignIn, SignInError> {
    if before.kind == UserKind::Service {
        return Err(Refusal::ServiceAccount(before.username.to_string()).into());
    }
    if before.status == UserStatus::Disabled {
        return Err(Refusal::Disabled(before.username.to_string()).into());
    }
    let mut user = before.clone();
    user.last_login_at = Some(ctx.now);
    if user.status == UserStatus::Invited {
        user.status = UserStatus::Active;
    }
    if let Some(email) = email
        && user.email.as_ref() != Some(&email)
    {
        match read(ctx.store.user_by_email(email.as_str()).await)? {
            Some(other) if other.username != user.username => {
                return Err(Refusal::EmailTaken(email.to_string()).into());
            }
            _ => user.email = Some(email),
        }
    }
    let mut mutations = Vec::new();
    let profile_changed = user.email != before.email || user.status != before.status;
    if profile_changed {
        mutations.push(Mutation::UpdateUser(user.clone()));
    }
    if let Some(link) = link
        && link.display_name != claims.display_name
    {
        mutations.push(Mutation::LinkOidc(OidcIdentity {
            display_name: claims.display_name.clone(),
            ..link
        }));
    }
    let (wanted, unknown_groups) = wanted_groups(ctx.snapshot, claims);
    if let Some(wanted) = wanted {
        let current: BTreeSet<GroupName> = current_groups(ctx.snapshot, &user.username);
        for group in wanted.difference(&current) {
            mutations.push(Mutation::AddGroupMember(group.clone(), user.username.clone()));
        }
        for group in current.difference(&wanted) {
            mutations.push(Mutation::RemoveGroupMember(group.clone(), user.username.clone()));
        }
    }
    let commit = (!mutations.is_empty()).then(|| {
        let mut audit = ctx.audit("user.refreshed", "user", user.username.as_str());
        audit.before = Some(user_view(&before));
        let mut after = user_view(&user);
        after["identity"] = audit_identity(claims);
        after["display_name"] = json!(claims.display_name);
        audit.after = Some(after);
        ctx.commit(mutations, audit)
    });
    Ok(SignIn {
        user,
        created: false,
        commit,
        unknown_groups,
    })
}

/// The groups the claim names that exist, and the names that do not
/// (`None` without a groups claim).
fn wanted_groups(snapshot: &Snapshot, claims: &OidcClaims) -> (Option<BTreeSet<GroupName>>, Vec<String>) {
    let Some(names) = &claims.groups else {
        return (None, Vec::new());
    };
    let mut wanted = BTreeSet::new();
    let mut unknown = Vec::new();
    for name in names {
        match GroupName::parse(name) {
            Ok(group) if snapshot.group_id(group.as_str()).is_some() => {
                wanted.insert(group);
            }
            _ => unknown.push(name.chars().filter(|c| !c.is_control()).take(64).collect()),
        }
    }
    (Some(wanted), unknown)
}

fn current_groups(snapshot: &Snapshot, username: &Username) -> BTreeSet<GroupName> {
    let Some(user) = snapshot.user_id(username.as_str()) else {
        return BTreeSet::new();
    };
    snapshot
        .user_groups(user)
        .iter()
        .filter_map(|g| snapshot.group_name(*g))
        .filter_map(|name| GroupName::parse(name).ok())
        .collect()
}

/// An admin links the local user `username` to the identity (issuer,
/// subject): from then on that identity logs in as the user, whose profile
/// is managed by the provider (`managed_by: oidc`). The explicit form of
/// what a first login refuses to do silently (SPEC §13).
///
/// # Errors
/// Forbidden for anyone but a platform admin; the user unknown; the
/// identity already linked, or the user already linked to another subject
/// of the issuer (409 `already_exists`).
pub async fn link<S: Store>(
    ctx: &Ctx<'_, S>,
    username: &Username,
    issuer: &str,
    subject: &str,
) -> Result<Commit, DomainError> {
    ctx.require_admin()?;
    ctx.require(AccountPermission::AccountsManage)?;
    let before = read(ctx.store.user(username).await)?.ok_or_else(|| DomainError::NotFound {
        kind: "user",
        name: username.to_string(),
    })?;
    if before.kind == UserKind::Service {
        return Err(DomainError::Forbidden("a service account never logs in".into()));
    }
    if let Some(taken) = read(ctx.store.oidc_identity(issuer, subject).await)? {
        return Err(DomainError::AlreadyExists {
            kind: "oidc identity",
            name: format!("{issuer} {subject} (linked to `{}`)", taken.username),
        });
    }
    if let Some(other) = read(ctx.store.oidc_identity_of(issuer, username).await)? {
        return Err(DomainError::AlreadyExists {
            kind: "oidc identity",
            name: format!("`{username}` is linked to {issuer} {}", other.subject),
        });
    }
    let user = User {
        managed_by: ManagedBy::Oidc,
        ..before.clone()
    };
    let mut audit = ctx.audit("user.oidc_linked", "user", username.as_str());
    audit.before = Some(user_view(&before));
    let mut after = user_view(&user);
    after["managed_by"] = json!("oidc");
    after["identity"] = json!({"issuer": issuer, "subject": subject});
    audit.after = Some(after);
    Ok(ctx.commit(
        vec![
            Mutation::UpdateUser(user),
            Mutation::LinkOidc(OidcIdentity {
                issuer: issuer.to_owned(),
                subject: subject.to_owned(),
                username: username.clone(),
                display_name: None,
                linked_at: ctx.now,
            }),
        ],
        audit,
    ))
}
