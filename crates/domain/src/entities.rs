//! The records Gatehouse keeps, as the store persists and returns them.

use gatehouse_authz::{AccountPermissions, AdminPrivileges, RoleType, UserKind, UserStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::names::{Description, DisplayName, Email, EnvName, GroupName, ProjectKey, ResourceName, RoleName, Username};

/// Who manages a user's profile and status (SPEC §13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManagedBy {
    /// Gatehouse itself.
    Local,
    /// A SCIM client.
    Scim,
    /// An OIDC provider.
    Oidc,
}

/// What an identity provider says of a user beside its username and email
/// (SCIM `externalId`, `displayName`, `name`; SPEC §13). Gatehouse decides
/// nothing by it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// The provider's own id for the user, unique among users.
    pub external_id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
}

/// An identity at an OpenID Connect provider, and the Gatehouse user it
/// logs in as (SPEC §13): keyed by (issuer, subject), never by email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcIdentity {
    /// The provider's issuer URL.
    pub issuer: String,
    /// The `sub` claim: the provider's stable id of the person.
    pub subject: String,
    /// The user it logs in as.
    pub username: Username,
    /// The provider's display name of the person (`name`), refreshed at
    /// each login.
    pub display_name: Option<String>,
    /// When the identity was linked (first login, or an admin's link).
    pub linked_at: OffsetDateTime,
}

/// A user (SPEC §5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Unique username.
    pub username: Username,
    /// Email; `None` only for users provisioned by SCIM.
    pub email: Option<Email>,
    /// Person or service account.
    pub kind: UserKind,
    /// Status (`invited` until the first login).
    pub status: UserStatus,
    /// Platform admin.
    pub admin: bool,
    /// Instance-wide permissions.
    pub account_permissions: AccountPermissions,
    /// PHC string of the argon2id hash; `None` for service accounts and
    /// invited users who have not chosen one.
    pub password_hash: Option<String>,
    /// Who manages the profile.
    pub managed_by: ManagedBy,
    /// The profile an identity provider sends (SCIM; empty otherwise).
    pub profile: Profile,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// Who created it (`None` for the first admin).
    pub created_by: Option<Username>,
    /// Last successful login.
    pub last_login_at: Option<OffsetDateTime>,
    /// The failed password logins of the last 15 minutes, oldest first
    /// (book-keeping; no revision): the sliding lockout window of SPEC §5.1.
    pub recent_failures: Vec<OffsetDateTime>,
    /// While `status` is `locked`: when the lock ends.
    pub locked_until: Option<OffsetDateTime>,
    /// Revision of the last change to this record (its `ETag`).
    pub revision: u64,
    /// When the record last changed: the store sets it to the time of each
    /// commit that writes it (what a command puts here is not kept).
    pub modified_at: OffsetDateTime,
}

impl User {
    /// A new local person, `invited`, without permissions, password or
    /// login history; callers set what differs.
    #[must_use]
    pub fn new(
        username: Username,
        email: Option<Email>,
        created_at: OffsetDateTime,
        created_by: Option<Username>,
    ) -> Self {
        Self {
            username,
            email,
            kind: UserKind::Person,
            status: UserStatus::Invited,
            admin: false,
            account_permissions: AccountPermissions::NONE,
            password_hash: None,
            managed_by: ManagedBy::Local,
            profile: Profile::default(),
            created_at,
            created_by,
            last_login_at: None,
            recent_failures: Vec::new(),
            locked_until: None,
            revision: 0,
            modified_at: created_at,
        }
    }
}

/// A group of users (SPEC §5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Unique name.
    pub name: GroupName,
    /// Free text.
    pub description: Description,
    /// Its users, sorted.
    pub members: Vec<Username>,
    /// The identity provider's own id for the group (SCIM `externalId`),
    /// unique among groups.
    pub external_id: Option<String>,
    /// Revision of the last change.
    pub revision: u64,
    /// When it was created (`None` for groups older than the column); the
    /// store sets it at the commit that creates the group.
    pub created_at: Option<OffsetDateTime>,
    /// When it last changed, its users included; the store sets it to the
    /// time of each commit that writes the group.
    pub modified_at: Option<OffsetDateTime>,
}

/// A project (SPEC §5.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// Unique, immutable key.
    pub key: ProjectKey,
    /// Display name.
    pub display_name: DisplayName,
    /// Free text, up to 1,024 characters.
    pub description: Description,
    /// What Project Admins keep here.
    pub admin_privileges: AdminPrivileges,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// Revision of the last change (roles and environments added to the
    /// project bump it too, which serialises the 30-role limit).
    pub revision: u64,
}

/// An environment (SPEC §5.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    /// Full name.
    pub name: EnvName,
    /// Owning project; `None` for a global environment.
    pub project: Option<ProjectKey>,
}

/// A registered resource (SPEC §5.6): unique by type and name across the
/// instance; deleting its project or its environment deletes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// A resource type of the catalogue, e.g. `repository`.
    pub resource_type: String,
    /// Name, unique among the resources of its type.
    pub name: ResourceName,
    /// Owning project.
    pub project: ProjectKey,
    /// Environment (global or the project's); present exactly when the
    /// type is environment-scoped.
    pub environment: Option<EnvName>,
    /// When it was registered.
    pub created_at: OffsetDateTime,
}

/// Basic (categories) or Advanced (actions) editing (SPEC §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleMode {
    /// Bundled categories.
    Basic,
    /// Every action.
    Advanced,
}

/// A role (SPEC §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// Name, unique among global roles and the project's roles.
    pub name: RoleName,
    /// Owning project; `None` for a global role.
    pub project: Option<ProjectKey>,
    /// Free text.
    pub description: Description,
    /// ADMIN, PREDEFINED, CUSTOM, CUSTOM_GLOBAL.
    pub role_type: RoleType,
    /// Basic or Advanced.
    pub mode: RoleMode,
    /// Basic mode: category ids (empty in Advanced mode).
    pub categories: Vec<String>,
    /// Advanced mode: action ids (empty in Basic mode).
    pub actions: Vec<String>,
    /// Environments it is limited to.
    pub environments: Vec<EnvName>,
    /// Revision of the last change.
    pub revision: u64,
}

/// Who a membership is for, by validated name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Principal {
    /// A user.
    User(Username),
    /// A group.
    Group(GroupName),
}

impl Principal {
    /// `user` or `group`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::User(_) => "user",
            Self::Group(_) => "group",
        }
    }

    /// The user's or group's name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::User(u) => u.as_str(),
            Self::Group(g) => g.as_str(),
        }
    }
}

/// A project membership (SPEC §5.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Project.
    pub project: ProjectKey,
    /// User or group.
    pub principal: Principal,
    /// Roles, sorted, never empty.
    pub roles: Vec<RoleName>,
}

/// One entry of a restricted token scope (SPEC §6.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeEntry {
    /// Project key.
    pub project: String,
    /// Actions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    /// Basic categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Environments; empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

/// What a token may do, at most.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scope {
    /// `applied-permissions/user`.
    User(String),
    /// A list that narrows.
    Entries(Vec<ScopeEntry>),
}

/// An access token; only its SHA-256 is kept (SPEC §6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Public id.
    pub id: String,
    /// The user it acts for.
    pub username: Username,
    /// Free text, up to 1,024 characters.
    pub description: Description,
    /// What it may do.
    pub scope: Scope,
    /// Hex SHA-256 of the secret.
    pub secret_sha256: String,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Expiry; `None` never expires.
    pub expires_at: Option<OffsetDateTime>,
    /// Last use, updated at most once a minute.
    pub last_used_at: Option<OffsetDateTime>,
    /// Who created it (an admin may create tokens for others).
    pub created_by: Username,
}

/// What a single-use secret lets its holder do (SPEC §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretPurpose {
    /// Accept an invitation: choose the first password (7 days).
    Invitation,
    /// Reset a forgotten password (1 hour).
    PasswordReset,
}

impl SecretPurpose {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
        }
    }

    /// The purpose with this stored name.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Invitation, Self::PasswordReset]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }

    /// The path of the link under the public URL: `/invitations/{secret}`
    /// or `/password-reset/{secret}`.
    #[must_use]
    pub const fn link_path(self) -> &'static str {
        match self {
            Self::Invitation => "invitations",
            Self::PasswordReset => "password-reset",
        }
    }
}

/// A single-use secret for a user — an invitation or a password reset;
/// only the secret's hash is kept (SPEC §5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// Hex SHA-256 of the secret.
    pub secret_sha256: String,
    /// The invited user.
    pub username: Username,
    /// Expiry (7 days after creation for an invitation, 1 hour for a reset).
    pub expires_at: OffsetDateTime,
    /// What the secret is for.
    pub purpose: SecretPurpose,
}

/// Where a message's body shows its single-use link. The outbox never
/// holds the link: the sender mints a fresh secret and puts the link here
/// when it sends the message; a listing shows [`LINK_WITHHELD`] instead.
pub const LINK_PLACEHOLDER: &str = "{link}";

/// What a listing of the outbox shows in place of a link.
pub const LINK_WITHHELD: &str = "[link withheld: only the recipient receives it]";

/// The single-use link a message carries: the user's secret of this
/// purpose, minted when the message is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLink {
    /// Whose secret.
    pub username: Username,
    /// Which secret.
    pub purpose: SecretPurpose,
}

/// A message waiting to be delivered (SPEC §9.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Recipient address.
    pub to: Email,
    /// Subject line.
    pub subject: String,
    /// Plain-text body; a link appears as [`LINK_PLACEHOLDER`].
    pub body: String,
    /// The link the body carries, minted at sending.
    pub link: Option<MessageLink>,
}

/// A queued message with where its delivery stands (SPEC §9.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMessage {
    /// Sequence number in the outbox.
    pub id: u64,
    /// The message (its body is dropped once sent: it may carry a
    /// single-use link).
    pub message: OutboxMessage,
    /// When it was sent, if it was.
    pub sent_at: Option<OffsetDateTime>,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When a sender may try next; `None` once sent or given up.
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// The instance's billing details (SPEC §3.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingSettings {
    /// Plan name.
    pub plan: String,
    /// Billing contact.
    pub contact: String,
    /// Renewal date, `YYYY-MM-DD`.
    pub renewal_date: Option<String>,
}
