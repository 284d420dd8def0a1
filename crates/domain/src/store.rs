//! The `Store` trait: what the domain needs from persistence. The store
//! crate implements it on SQLite and PostgreSQL; every write is one
//! transaction (the `Commit`), refused whole or applied whole.

use std::future::Future;

use gatehouse_authz::{Change, Model, UserStatus};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::commit::{AuditEntry, Commit};
use crate::entities::{
    BillingSettings, Environment, Group, Invitation, Member, OidcIdentity, Principal, Project, QueuedMessage, Resource,
    Role, SecretPurpose, Token, User,
};
use crate::names::{GroupName, ProjectKey, RoleName, Username};

/// Why the store refused or failed. A refused commit wrote nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store's revision is not the one the commit was decided at.
    #[error("stale: expected revision {expected}, the store is at {actual}")]
    Stale {
        /// What the commit expected.
        expected: u64,
        /// What the store holds.
        actual: u64,
    },
    /// A uniqueness or reference constraint refused the commit.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A forged or foreign paging cursor.
    #[error("invalid cursor")]
    InvalidCursor,
    /// The database cannot be reached or cannot write just now — a lost
    /// connection, a server shutting down or failing over, a full disk
    /// (`full`). Nothing was written; the same request may succeed later.
    #[error("store unavailable: {detail}")]
    Unavailable {
        /// The disk (or the database's storage) is full.
        full: bool,
        /// What the driver said (logged, never returned to a client).
        detail: String,
    },
    /// The database failed (I/O, connection, corruption).
    #[error("store failure: {0}")]
    Backend(String),
}

/// A page request: `limit` items after `cursor`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Opaque cursor from a previous page.
    pub cursor: Option<String>,
    /// At most this many items (the API enforces 1..=1000).
    pub limit: usize,
}

/// Items read per page by [`every_page`].
pub const EVERY_PAGE_LIMIT: usize = 1_000;

/// Every item of a paged listing, page after page:
/// `every_page(|page| async move { store.groups(&page).await })`.
///
/// # Errors
/// The first failing page's error.
pub async fn every_page<T, F, Fut>(mut read_page: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut out = Vec::new();
    let mut request = PageRequest {
        cursor: None,
        limit: EVERY_PAGE_LIMIT,
    };
    loop {
        let found = read_page(request.clone()).await?;
        out.extend(found.items);
        match found.next_cursor {
            Some(cursor) => request.cursor = Some(cursor),
            None => return Ok(out),
        }
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in a stable order.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// Filters of the user listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Substring of username or email, case-insensitive.
    pub q: Option<String>,
    /// Only users with this status.
    pub status: Option<UserStatus>,
    /// Only persons or only service accounts.
    pub kind: Option<gatehouse_authz::UserKind>,
    /// Only users managed by this (Gatehouse, SCIM or OIDC).
    pub managed_by: Option<crate::entities::ManagedBy>,
}

/// Filters of the member listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberFilter {
    /// `Some("user")` or `Some("group")`.
    pub kind: Option<String>,
    /// Substring of the member's name, case-insensitive.
    pub q: Option<String>,
}

/// Filters of the audit listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Acting username.
    pub actor: Option<String>,
    /// Event name.
    pub event: Option<String>,
    /// Target id.
    pub target: Option<String>,
    /// Project key.
    pub project: Option<String>,
    /// Not before.
    pub since: Option<OffsetDateTime>,
    /// Before.
    pub until: Option<OffsetDateTime>,
}

/// A stored audit record with its place in the hash chain (SPEC §9.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Sequence number, from 1.
    pub id: u64,
    /// When it was written.
    pub at: OffsetDateTime,
    /// The revision of the commit it belongs to (`None` for security events).
    pub revision: Option<u64>,
    /// The record as the command described it.
    pub entry: AuditEntry,
    /// Hash of the previous record (hex; 64 zeros for the first).
    pub prev_hash: String,
    /// [`audit_hash`] of the exported record without it, hex.
    pub hash: String,
}

/// One committed write, for other instances to replay on their snapshots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeLogEntry {
    /// The revision the commit produced.
    pub revision: u64,
    /// Its model changes, in order.
    pub changes: Vec<Change>,
}

/// A server-side session of the web UI (SPEC §6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Hex SHA-256 of the session cookie.
    pub id_sha256: String,
    /// Whose session.
    pub username: Username,
    /// CSRF token for forms.
    pub csrf_token: String,
    /// Created (for the 12-hour absolute limit).
    pub created_at: OffsetDateTime,
    /// Last seen (for the 30-minute idle limit).
    pub last_seen_at: OffsetDateTime,
}

/// An OIDC login started and not finished (SPEC §13): what its callback
/// needs, found by the SHA-256 of its `state`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcPending {
    /// Hex SHA-256 of the `state` sent to the provider.
    pub state_sha256: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier of the code challenge sent.
    pub pkce_verifier: String,
    /// When the login started (pending logins expire).
    pub created_at: OffsetDateTime,
}

/// Persistence of everything Gatehouse keeps.
pub trait Store: Send + Sync {
    /// The current revision (0 for an empty store).
    fn revision(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Applies a commit in one transaction: checks the expected revision,
    /// bumps the revision, applies the mutations, appends the audit record
    /// and the change-log row. Answers the new revision.
    fn commit(&self, commit: &Commit, now: OffsetDateTime) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Appends a security event (login failure, lockout, …) to the audit
    /// log without moving the revision.
    fn record_event(
        &self,
        entry: &AuditEntry,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Saves a user's login book-keeping (`recent_failures`,
    /// `last_login_at`) without moving the revision.
    fn save_login_state(&self, user: &User) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A user by username.
    fn user(&self, username: &Username) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    /// A user by email, compared without regard to case.
    fn user_by_email(&self, email: &str) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    /// A user by the identity provider's id (SCIM `externalId`, exact).
    fn user_by_external_id(&self, external_id: &str) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    /// Users by username.
    fn users(
        &self,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<User>, StoreError>> + Send;

    /// A group with its members.
    fn group(&self, name: &GroupName) -> impl Future<Output = Result<Option<Group>, StoreError>> + Send;
    /// A group (with its members) by the identity provider's id (SCIM
    /// `externalId`, exact).
    fn group_by_external_id(&self, external_id: &str)
    -> impl Future<Output = Result<Option<Group>, StoreError>> + Send;
    /// Groups by name.
    fn groups(&self, page: &PageRequest) -> impl Future<Output = Result<Page<Group>, StoreError>> + Send;

    /// A project.
    fn project(&self, key: &ProjectKey) -> impl Future<Output = Result<Option<Project>, StoreError>> + Send;
    /// Projects by key.
    fn projects(&self, page: &PageRequest) -> impl Future<Output = Result<Page<Project>, StoreError>> + Send;

    /// Global environments (`None`) or one project's own.
    fn environments(
        &self,
        project: Option<&ProjectKey>,
    ) -> impl Future<Output = Result<Vec<Environment>, StoreError>> + Send;

    /// A global role (`None`) or a project role.
    fn role(
        &self,
        project: Option<&ProjectKey>,
        name: &RoleName,
    ) -> impl Future<Output = Result<Option<Role>, StoreError>> + Send;
    /// Global roles (`None`) or one project's roles, by name.
    fn roles(&self, project: Option<&ProjectKey>) -> impl Future<Output = Result<Vec<Role>, StoreError>> + Send;

    /// One membership.
    fn member(
        &self,
        project: &ProjectKey,
        principal: &Principal,
    ) -> impl Future<Output = Result<Option<Member>, StoreError>> + Send;
    /// A project's members, users then groups, by name.
    fn members(
        &self,
        project: &ProjectKey,
        filter: &MemberFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Member>, StoreError>> + Send;
    /// The first `limit` projects, by key, where `username` is a member,
    /// directly or through one of its groups (the `members_username` and
    /// `group_members_username` indexes: as quick in 50,000 projects as in
    /// five).
    fn member_projects(
        &self,
        username: &Username,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<ProjectKey>, StoreError>> + Send;

    /// A project's registered resources, by type then name (SPEC §5.6).
    fn resources(
        &self,
        project: &ProjectKey,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Resource>, StoreError>> + Send;
    /// A registered resource by type and name, whatever its project.
    fn resource(
        &self,
        resource_type: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<Resource>, StoreError>> + Send;

    /// A token by id.
    fn token(&self, id: &str) -> impl Future<Output = Result<Option<Token>, StoreError>> + Send;
    /// A token by the SHA-256 of its secret (hex).
    fn token_by_secret_hash(&self, sha256: &str) -> impl Future<Output = Result<Option<Token>, StoreError>> + Send;
    /// A user's tokens, newest first.
    fn tokens(&self, username: &Username) -> impl Future<Output = Result<Vec<Token>, StoreError>> + Send;
    /// A page of every user's tokens, by id (time-ordered).
    fn all_tokens(&self, page: &PageRequest) -> impl Future<Output = Result<Page<Token>, StoreError>> + Send;
    /// The tokens whose restricted scope names the environment `name`.
    fn tokens_scoped_to_environment(&self, name: &str) -> impl Future<Output = Result<Vec<Token>, StoreError>> + Send;
    /// Records a token's use (book-keeping, no revision).
    fn touch_token(&self, id: &str, now: OffsetDateTime) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// An invitation by the SHA-256 of its secret (hex).
    fn invitation(&self, sha256: &str) -> impl Future<Output = Result<Option<Invitation>, StoreError>> + Send;
    /// Replaces the hash of the unexpired secret of `username` for
    /// `purpose` with `sha256`: the sender minted a fresh secret to send, and
    /// the one before stops working (book-keeping, no revision). Answers
    /// whether there was one (`false`: accepted, replaced or expired).
    fn mint_link(
        &self,
        username: &str,
        purpose: SecretPurpose,
        sha256: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Deletes the secrets expired at `now`; answers how many.
    fn purge_expired_links(&self, now: OffsetDateTime) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Replaces a user's password hash `old` with `new` (stronger
    /// parameters, SPEC §6.1) unless it changed meanwhile (book-keeping, no
    /// revision); answers whether it did.
    fn upgrade_password_hash(
        &self,
        username: &Username,
        old: &str,
        new: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Queued messages with their delivery, oldest first.
    fn outbox(&self, page: &PageRequest) -> impl Future<Output = Result<Page<QueuedMessage>, StoreError>> + Send;
    /// Claims up to `limit` messages due at `now` (unsent, next attempt not
    /// after `now`), oldest first, by moving their next attempt to
    /// `lease_until`: a sender on another instance skips them meanwhile,
    /// and a sender that dies leaves them due again when the lease ends
    /// (book-keeping, no revision).
    fn claim_outbox(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<QueuedMessage>, StoreError>> + Send;
    /// Records that message `id` was sent at `at`; its body is dropped
    /// (book-keeping, no revision).
    fn outbox_sent(&self, id: u64, at: OffsetDateTime) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Records a failed attempt to send message `id`: one more attempt,
    /// `error`, and the next attempt at `retry_at` (`None`: give up)
    /// (book-keeping, no revision).
    fn outbox_failed(
        &self,
        id: u64,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The billing details.
    fn billing(&self) -> impl Future<Output = Result<BillingSettings, StoreError>> + Send;

    /// Creates a session (book-keeping, no revision).
    fn create_session(&self, session: &Session) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A session by the SHA-256 of its cookie.
    fn session(&self, id_sha256: &str) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;
    /// Marks a session seen now.
    fn touch_session(
        &self,
        id_sha256: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Deletes a session (logout).
    fn delete_session(&self, id_sha256: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The link of the OIDC identity (issuer, subject), if any.
    fn oidc_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> impl Future<Output = Result<Option<OidcIdentity>, StoreError>> + Send;
    /// The OIDC identity at `issuer` linked to `username`, if any.
    fn oidc_identity_of(
        &self,
        issuer: &str,
        username: &Username,
    ) -> impl Future<Output = Result<Option<OidcIdentity>, StoreError>> + Send;
    /// Keeps a started OIDC login, and forgets those started before
    /// `expired_before` (book-keeping, no revision).
    fn put_oidc_pending(
        &self,
        pending: &OidcPending,
        expired_before: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Takes (reads and deletes, at once) the started login of a state:
    /// a second take of the same state finds nothing.
    fn take_oidc_pending(
        &self,
        state_sha256: &str,
    ) -> impl Future<Output = Result<Option<OidcPending>, StoreError>> + Send;

    /// The whole permission model and the revision it reflects, for
    /// `Snapshot::compile`.
    fn load_model(&self) -> impl Future<Output = Result<(Model, u64), StoreError>> + Send;
    /// Every commit after `revision`, in order.
    fn changes_since(&self, revision: u64) -> impl Future<Output = Result<Vec<ChangeLogEntry>, StoreError>> + Send;

    /// Audit records, oldest first.
    fn audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<AuditRecord>, StoreError>> + Send;
    /// The last `n` records matching `filter`, newest first.
    fn latest_audit(
        &self,
        filter: &AuditFilter,
        n: u32,
    ) -> impl Future<Output = Result<Vec<AuditRecord>, StoreError>> + Send;
    /// Recomputes the hash chain; answers the number of records, or the id
    /// of the first record that does not verify.
    fn verify_audit(&self) -> impl Future<Output = Result<Result<u64, u64>, StoreError>> + Send;
}

/// An audit record as exported (SPEC §9.1: `GET /api/v1/audit/export`,
/// one NDJSON line) without its `hash`: the object the chain hashes.
/// `gatehouse_api::AuditRecord` serialises to exactly these fields.
#[must_use]
pub fn audit_export(id: u64, at: &str, revision: Option<u64>, entry: &AuditEntry, prev_hash: &str) -> Value {
    let mut record = serde_json::json!({
        "id": id,
        "at": at,
        "revision": revision,
        "actor": {
            "username": entry.actor.username,
            "token_id": entry.actor.token_id,
            "address": entry.actor.address,
            "user_agent": entry.actor.user_agent,
        },
        "event": entry.event,
        "target": {"type": entry.target_type, "id": entry.target_id},
        "project": entry.project,
        "before": entry.before.clone().unwrap_or(Value::Null),
        "after": entry.after.clone().unwrap_or(Value::Null),
        "request_id": entry.request_id,
        "prev_hash": prev_hash,
    });
    // `via` (the face, SPEC §13) is absent from records written before it
    // was recorded, so that their hashes still verify.
    if let (Some(via), Some(object)) = (entry.actor.via, record.as_object_mut()) {
        object.insert("via".to_owned(), Value::String(via.as_str().to_owned()));
    }
    record
}

/// The canonical form the audit chain hashes: RFC 8785 (JSON
/// Canonicalization Scheme) of `record` — keys sorted by UTF-16 code
/// units, no whitespace, ECMAScript numbers — whatever order the map of
/// this build keeps its keys in.
///
/// # Errors
/// Never for a [`Value`] (its keys are strings, its numbers finite); the
/// error is serde's, kept for what else it might be given.
pub fn canonical_json(record: &Value) -> Result<String, String> {
    serde_jcs::to_string(record).map_err(|e| format!("cannot canonicalise: {e}"))
}

/// The `hash` of an exported audit record (without its `hash` field) whose
/// `prev_hash` is `prev_hash`: lowercase hex SHA-256 of the bytes of
/// `prev_hash` followed by the record's [`canonical_json`].
///
/// # Errors
/// As [`canonical_json`].
pub fn audit_hash(prev_hash: &str, record: &Value) -> Result<String, String> {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_json(record)?.as_bytes());
    Ok(hex::encode(hasher.finalize()))
}
