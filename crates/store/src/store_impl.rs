//! `impl gatehouse_domain::Store for Store`: each method picks a connection,
//! a read transaction or a write transaction, and calls the module that
//! holds the SQL.

use gatehouse_authz::Model;
use gatehouse_domain::entities::{
    BillingSettings, Environment, Group, Invitation, Member, OidcIdentity, Principal, Project, QueuedMessage, Resource,
    Role, SecretPurpose, Token, User,
};
use gatehouse_domain::names::{GroupName, ProjectKey, RoleName, Username};
use gatehouse_domain::store::{
    AuditFilter, AuditRecord, ChangeLogEntry, MemberFilter, OidcPending, Page, PageRequest, Session, UserFilter,
};
use gatehouse_domain::{AuditEntry, Commit, StoreError};
use time::OffsetDateTime;

use crate::store::{Store, with_conn, with_read_tx, with_write_tx};
use crate::{
    audit, billing, commit, environments, groups, invitations, members, model, oidc, outbox, projects, resources,
    revision, roles, sessions, tokens, users,
};

/// Tries at reading the model, the last in one transaction; each earlier
/// one reads in two, and a commit between their starts costs a try.
const MODEL_READ_TRIES: u32 = 3;

impl gatehouse_domain::Store for Store {
    async fn revision(&self) -> Result<u64, StoreError> {
        with_conn!(self, |c| revision::current(c).await)
    }

    async fn commit(&self, commit: &Commit, now: OffsetDateTime) -> Result<u64, StoreError> {
        with_write_tx!(self, |c| commit::apply(c, commit, now).await)
    }

    async fn record_event(&self, entry: &AuditEntry, now: OffsetDateTime) -> Result<(), StoreError> {
        with_write_tx!(self, |c| commit::record_event(c, entry, now).await)
    }

    async fn save_login_state(&self, user: &User) -> Result<(), StoreError> {
        with_conn!(self, |c| users::save_login_state(c, user).await)
    }

    async fn user(&self, username: &Username) -> Result<Option<User>, StoreError> {
        with_conn!(self, |c| users::get(c, username).await)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        with_conn!(self, |c| users::by_email(c, email).await)
    }

    async fn user_by_external_id(&self, external_id: &str) -> Result<Option<User>, StoreError> {
        with_conn!(self, |c| users::by_external_id(c, external_id).await)
    }

    async fn group_by_external_id(&self, external_id: &str) -> Result<Option<Group>, StoreError> {
        with_read_tx!(self, |c| groups::by_external_id(c, external_id).await)
    }

    async fn users(&self, filter: &UserFilter, page: &PageRequest) -> Result<Page<User>, StoreError> {
        with_conn!(self, |c| users::list(c, filter, page).await)
    }

    async fn group(&self, name: &GroupName) -> Result<Option<Group>, StoreError> {
        with_read_tx!(self, |c| groups::get(c, name).await)
    }

    async fn groups(&self, page: &PageRequest) -> Result<Page<Group>, StoreError> {
        with_read_tx!(self, |c| groups::list(c, page).await)
    }

    async fn project(&self, key: &ProjectKey) -> Result<Option<Project>, StoreError> {
        with_conn!(self, |c| projects::get(c, key).await)
    }

    async fn projects(&self, page: &PageRequest) -> Result<Page<Project>, StoreError> {
        with_conn!(self, |c| projects::list(c, page).await)
    }

    async fn environments(&self, project: Option<&ProjectKey>) -> Result<Vec<Environment>, StoreError> {
        with_conn!(self, |c| environments::list(c, project).await)
    }

    async fn role(&self, project: Option<&ProjectKey>, name: &RoleName) -> Result<Option<Role>, StoreError> {
        with_read_tx!(self, |c| roles::get(c, project, name).await)
    }

    async fn roles(&self, project: Option<&ProjectKey>) -> Result<Vec<Role>, StoreError> {
        with_read_tx!(self, |c| roles::list(c, project).await)
    }

    async fn member(&self, project: &ProjectKey, principal: &Principal) -> Result<Option<Member>, StoreError> {
        with_read_tx!(self, |c| members::get(c, project, principal).await)
    }

    async fn members(
        &self,
        project: &ProjectKey,
        filter: &MemberFilter,
        page: &PageRequest,
    ) -> Result<Page<Member>, StoreError> {
        with_conn!(self, |c| members::list(c, project, filter, page).await)
    }

    async fn member_projects(&self, username: &Username, limit: u32) -> Result<Vec<ProjectKey>, StoreError> {
        with_conn!(self, |c| members::projects_of(c, username, limit).await)
    }

    async fn resources(&self, project: &ProjectKey, page: &PageRequest) -> Result<Page<Resource>, StoreError> {
        with_conn!(self, |c| resources::list(c, project, page).await)
    }

    async fn resource(&self, resource_type: &str, name: &str) -> Result<Option<Resource>, StoreError> {
        with_conn!(self, |c| resources::get(c, resource_type, name).await)
    }

    async fn token(&self, id: &str) -> Result<Option<Token>, StoreError> {
        with_conn!(self, |c| tokens::get(c, id).await)
    }

    async fn token_by_secret_hash(&self, sha256: &str) -> Result<Option<Token>, StoreError> {
        with_conn!(self, |c| tokens::by_secret_hash(c, sha256).await)
    }

    async fn tokens(&self, username: &Username) -> Result<Vec<Token>, StoreError> {
        with_conn!(self, |c| tokens::list(c, username).await)
    }

    async fn all_tokens(&self, page: &PageRequest) -> Result<Page<Token>, StoreError> {
        with_conn!(self, |c| tokens::all(c, page).await)
    }

    async fn tokens_scoped_to_environment(&self, name: &str) -> Result<Vec<Token>, StoreError> {
        with_conn!(self, |c| tokens::scoped_to_environment(c, name).await)
    }

    async fn touch_token(&self, id: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        with_conn!(self, |c| tokens::touch(c, id, now).await)
    }

    async fn invitation(&self, sha256: &str) -> Result<Option<Invitation>, StoreError> {
        with_conn!(self, |c| invitations::get(c, sha256).await)
    }

    async fn mint_link(
        &self,
        username: &str,
        purpose: SecretPurpose,
        sha256: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        with_conn!(self, |c| invitations::mint(c, username, purpose, sha256, now).await)
    }

    async fn purge_expired_links(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        with_conn!(self, |c| invitations::purge_expired(c, now).await)
    }

    async fn upgrade_password_hash(&self, username: &Username, old: &str, new: &str) -> Result<bool, StoreError> {
        with_conn!(self, |c| users::upgrade_password_hash(c, username, old, new).await)
    }

    async fn outbox(&self, page: &PageRequest) -> Result<Page<QueuedMessage>, StoreError> {
        with_conn!(self, |c| outbox::list(c, page).await)
    }

    async fn claim_outbox(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<QueuedMessage>, StoreError> {
        with_conn!(self, |c| outbox::claim(c, now, lease_until, limit).await)
    }

    async fn outbox_sent(&self, id: u64, at: OffsetDateTime) -> Result<(), StoreError> {
        with_conn!(self, |c| outbox::sent(c, id, at).await)
    }

    async fn outbox_failed(&self, id: u64, error: &str, retry_at: Option<OffsetDateTime>) -> Result<(), StoreError> {
        with_conn!(self, |c| outbox::failed(c, id, error, retry_at).await)
    }

    async fn billing(&self) -> Result<BillingSettings, StoreError> {
        with_conn!(self, |c| billing::get(c).await)
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        with_conn!(self, |c| sessions::create(c, session).await)
    }

    async fn session(&self, id_sha256: &str) -> Result<Option<Session>, StoreError> {
        with_conn!(self, |c| sessions::get(c, id_sha256).await)
    }

    async fn touch_session(&self, id_sha256: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        with_conn!(self, |c| sessions::touch(c, id_sha256, now).await)
    }

    async fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        with_conn!(self, |c| sessions::delete(c, id_sha256).await)
    }

    async fn oidc_identity(&self, issuer: &str, subject: &str) -> Result<Option<OidcIdentity>, StoreError> {
        with_conn!(self, |c| oidc::get(c, issuer, subject).await)
    }

    async fn oidc_identity_of(&self, issuer: &str, username: &Username) -> Result<Option<OidcIdentity>, StoreError> {
        with_conn!(self, |c| oidc::of(c, issuer, username).await)
    }

    async fn put_oidc_pending(&self, pending: &OidcPending, expired_before: OffsetDateTime) -> Result<(), StoreError> {
        with_write_tx!(self, |c| oidc::put_pending(c, pending, expired_before).await)
    }

    async fn take_oidc_pending(&self, state_sha256: &str) -> Result<Option<OidcPending>, StoreError> {
        with_conn!(self, |c| oidc::take_pending(c, state_sha256).await)
    }

    async fn load_model(&self) -> Result<(Model, u64), StoreError> {
        // The members, half of the work, on a connection of their own
        // beside the rest: SQLite (or PostgreSQL) builds both at once, on
        // two cores. Each read transaction sees one state; every commit
        // moves the revision, so two that saw the same revision saw the
        // same model. A write between the two starts costs another try,
        // and the last is one transaction.
        for _ in 1..MODEL_READ_TRIES {
            let (rest, members) = tokio::try_join!(
                async { with_read_tx!(self, |c| model::load_but_members(c).await) },
                async { with_read_tx!(self, |c| model::load_members(c).await) },
            )?;
            let ((mut model, revision), (members, members_revision)) = (rest, members);
            if revision == members_revision {
                model.members = members;
                return Ok((model, revision));
            }
        }
        with_read_tx!(self, |c| model::load(c).await)
    }

    async fn changes_since(&self, revision: u64) -> Result<Vec<ChangeLogEntry>, StoreError> {
        with_conn!(self, |c| revision::since(c, revision).await)
    }

    async fn audit(&self, filter: &AuditFilter, page: &PageRequest) -> Result<Page<AuditRecord>, StoreError> {
        with_conn!(self, |c| audit::list(c, filter, page).await)
    }

    async fn latest_audit(&self, filter: &AuditFilter, n: u32) -> Result<Vec<AuditRecord>, StoreError> {
        with_conn!(self, |c| audit::latest(c, filter, n).await)
    }

    async fn verify_audit(&self) -> Result<Result<u64, u64>, StoreError> {
        with_read_tx!(self, |c| audit::verify(c).await)
    }
}
