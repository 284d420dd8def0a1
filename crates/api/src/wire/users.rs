//! Users and logging in (SPEC §5.1, §6): the user shape and its requests.

use gatehouse_authz as authz;
use gatehouse_domain::entities;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::time_format::utc;
use crate::secret::Secret;

/// A user's status, as JFrog spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Created, never logged in.
    Invited,
    /// Logged in at least once (active).
    Enabled,
    /// Disabled by an admin.
    Disabled,
    /// Locked after failed logins.
    Locked,
}

impl From<authz::UserStatus> for UserStatus {
    fn from(s: authz::UserStatus) -> Self {
        match s {
            authz::UserStatus::Invited => Self::Invited,
            authz::UserStatus::Active => Self::Enabled,
            authz::UserStatus::Disabled => Self::Disabled,
            authz::UserStatus::Locked => Self::Locked,
        }
    }
}

/// A person or a service account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum UserKind {
    /// A person.
    #[default]
    Person,
    /// A service account.
    Service,
}

impl From<authz::UserKind> for UserKind {
    fn from(k: authz::UserKind) -> Self {
        match k {
            authz::UserKind::Person => Self::Person,
            authz::UserKind::Service => Self::Service,
        }
    }
}

impl From<UserKind> for authz::UserKind {
    fn from(k: UserKind) -> Self {
        match k {
            UserKind::Person => Self::Person,
            UserKind::Service => Self::Service,
        }
    }
}

/// Who manages a user's profile and status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ManagedBy {
    /// Gatehouse itself.
    Local,
    /// A SCIM client.
    Scim,
    /// An OIDC provider.
    Oidc,
}

impl From<entities::ManagedBy> for ManagedBy {
    fn from(m: entities::ManagedBy) -> Self {
        match m {
            entities::ManagedBy::Local => Self::Local,
            entities::ManagedBy::Scim => Self::Scim,
            entities::ManagedBy::Oidc => Self::Oidc,
        }
    }
}

impl From<ManagedBy> for entities::ManagedBy {
    fn from(m: ManagedBy) -> Self {
        match m {
            ManagedBy::Local => Self::Local,
            ManagedBy::Scim => Self::Scim,
            ManagedBy::Oidc => Self::Oidc,
        }
    }
}

/// A user. Never carries a password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// Unique username.
    pub username: String,
    /// Email; `null` only for users provisioned by SCIM.
    pub email: Option<String>,
    /// Person or service account.
    pub kind: UserKind,
    /// Status.
    pub status: UserStatus,
    /// Platform admin.
    pub admin: bool,
    /// Instance-wide permissions, e.g. `accounts.manage`.
    pub account_permissions: Vec<String>,
    /// The groups it belongs to.
    pub groups: Vec<String>,
    /// Who manages the profile.
    pub managed_by: ManagedBy,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who created it; `null` for the first admin.
    #[serde(default)]
    pub created_by: Option<String>,
    /// Last successful login.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
}

impl User {
    /// The wire shape of `user`, a member of `groups`.
    #[must_use]
    pub fn new(user: &entities::User, groups: Vec<String>) -> Self {
        Self {
            username: user.username.as_str().to_owned(),
            email: user.email.as_ref().map(|e| e.as_str().to_owned()),
            kind: user.kind.into(),
            status: user.status.into(),
            admin: user.admin,
            account_permissions: user.account_permissions.iter().map(|p| p.as_str().to_owned()).collect(),
            groups,
            managed_by: user.managed_by.into(),
            created_at: utc(user.created_at),
            created_by: user.created_by.as_ref().map(|u| u.as_str().to_owned()),
            last_login_at: user.last_login_at.map(utc),
        }
    }
}

/// An initial membership of a user created with `POST /api/v1/users`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// Project key.
    pub project: String,
    /// Roles in it.
    pub roles: Vec<String>,
}

/// `POST /api/v1/users`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Email.
    pub email: String,
    /// Password; without one, the user is invited by email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// Username; defaults to the email, lowercased, when that is valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Person (default) or service account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<UserKind>,
    /// Platform admin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<bool>,
    /// Instance-wide permissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_permissions: Vec<String>,
    /// Initial memberships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memberships: Vec<Membership>,
}

/// `PATCH /api/v1/users/{username}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    /// New email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Platform admin or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<bool>,
    /// The new set of account permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_permissions: Option<Vec<String>>,
}

/// `PUT /api/v1/users/{username}/password`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// Required when changing one's own password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password: Option<Secret>,
    /// The new password.
    pub new_password: Secret,
}

/// `POST /api/v1/users/{username}/oidc-link`: an admin links a local user
/// to an identity at the OIDC provider (SPEC §13).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkOidc {
    /// The provider's issuer URL; default: the configured `oidc_issuer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The `sub` claim of the person at the provider.
    pub subject: String,
}

/// `POST /api/v1/auth/oidc/token`: a personal token for an ID token the
/// CLI obtained from the provider with the device-authorization grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcTokenRequest {
    /// The provider's ID token (a JWT), issued to this instance's client id.
    pub id_token: Secret,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Lifetime in seconds; `0` never expires, where the instance allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}

/// `GET /api/v1/auth/oidc`: how to log in through the OIDC provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OidcInfo {
    /// The provider's issuer URL.
    pub issuer: String,
    /// The client id the CLI uses at the provider.
    pub client_id: String,
    /// The name shown on the login button.
    pub display_name: String,
    /// Where the browser starts a login.
    pub login_url: String,
    /// The provider's device-authorization endpoint (RFC 8628), when it
    /// offers the grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    /// The provider's token endpoint (the CLI polls it in the device grant).
    pub token_endpoint: Option<String>,
}

/// `POST /api/v1/auth/login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Username or email.
    pub username: String,
    /// Password.
    pub password: Secret,
}

/// The answer to a login; the session cookie comes with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Who logged in.
    pub user: User,
    /// Send as `X-CSRF-Token` on writes.
    pub csrf_token: String,
}

/// `POST /api/v1/auth/token`: a personal token for a username and password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Username or email.
    pub username: String,
    /// Password.
    pub password: Secret,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Lifetime in seconds; `0` never expires, where the instance allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}
