//! Users (SPEC §5.1): create (with a password, or invited by email), list,
//! read, change, disable, enable, unlock, delete, set a password.

use gatehouse_authz::{AccountPermission, AccountPermissions, UserKind, UserStatus};
use gatehouse_domain::commands::Acting;
use gatehouse_domain::commands::invitations::{self, NewInvitation};
use gatehouse_domain::commands::users::{self, NewUser, Provisioned, StatusChange, UserPatch, default_username};
use gatehouse_domain::entities::{ManagedBy, Profile, User};
use gatehouse_domain::limits::MAX_PROFILE_FIELD;
use gatehouse_domain::names::{Email, Password, ProjectKey, RoleName, Username};
use gatehouse_domain::store::{Page, UserFilter};
use gatehouse_domain::{DomainError, FieldError, Store as _};

use super::groups::group_names;
use super::{Done, OpResult, Ops, Paging, missing, not_found, refuse_invalid};
use crate::caller::Client;
use crate::credentials::{random_secret, sha256_hex};
use crate::password;
use crate::problem::ApiProblem;
use crate::state::App;

/// A new user: with a password (invited until its first login), or invited
/// by email alone; a service account has neither.
#[derive(Clone, Debug, Default)]
pub struct CreateUserInput {
    /// Email.
    pub email: String,
    /// Password, if chosen for the user.
    pub password: Option<String>,
    /// Username; the email lowercased when it fits the rule.
    pub username: Option<String>,
    /// Person (default) or service.
    pub kind: Option<UserKind>,
    /// Platform admin.
    pub admin: Option<bool>,
    /// Account permission names.
    pub account_permissions: Vec<String>,
    /// Initial memberships: project key and role names.
    pub memberships: Vec<MembershipInput>,
    /// Names of the groups it joins, in the same commit (the JFrog face's
    /// `groups`; the native wire has none).
    pub groups: Vec<String>,
    /// Who manages the profile: local unless the source itself (SCIM, an
    /// OIDC login) creates the user.
    pub managed_by: Option<ManagedBy>,
}

/// One initial membership.
#[derive(Clone, Debug, Default)]
pub struct MembershipInput {
    /// Project key.
    pub project: String,
    /// Role names.
    pub roles: Vec<String>,
}

/// A change to a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct PatchUserInput {
    /// The user's username.
    pub username: String,
    /// New email.
    pub email: Option<String>,
    /// New admin flag.
    pub admin: Option<bool>,
    /// New account permission names (replacing them).
    pub account_permissions: Option<Vec<String>>,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// A status change or a delete of one user.
#[derive(Clone, Debug, Default)]
pub struct UserRef {
    /// The user's username.
    pub username: String,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// A new password for a user.
#[derive(Clone, Debug)]
pub struct SetPasswordInput {
    /// The user's username.
    pub username: String,
    /// The current password: required when it is the caller's own.
    pub current_password: Option<String>,
    /// The new password.
    pub new_password: String,
    /// The caller's own web session, kept when it changes its own password.
    pub keep_session: Option<String>,
    /// The client, for the rate limit of the current-password check.
    pub client: Client,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// `?q=&status=&kind=&managed_by=` and paging.
#[derive(Clone, Debug, Default)]
pub struct ListUsersInput {
    /// Part of the username or email, any case.
    pub q: Option<String>,
    /// Only users with this status.
    pub status: Option<UserStatus>,
    /// Only persons or only service accounts.
    pub kind: Option<gatehouse_authz::UserKind>,
    /// Only users managed by this.
    pub managed_by: Option<ManagedBy>,
    /// Limit and cursor.
    pub paging: Paging,
}

/// A user as an identity provider provisions it (SCIM, SPEC §13): what the
/// provider manages of it, nothing more.
#[derive(Clone, Debug, Default)]
pub struct ProvisionUserInput {
    /// Username (the provider's `userName`, lowercased by the face).
    pub username: String,
    /// Email, which a provisioned user may lack.
    pub email: Option<String>,
    /// The provider's own id of the user.
    pub external_id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// `false` disables the user at once, its tokens and sessions too.
    pub active: bool,
    /// The revision the caller read (`If-Match`; updates only).
    pub expected_revision: Option<u64>,
}

/// One way to find a single user.
#[derive(Clone, Debug)]
pub enum UserKey {
    /// By username (exact).
    Username(String),
    /// By email, in any case.
    Email(String),
    /// By the identity provider's id (exact).
    ExternalId(String),
}

/// What a provisioning request asks of Gatehouse; every invalid field at
/// once.
fn provisioned(input: &ProvisionUserInput) -> OpResult<(Username, Provisioned)> {
    let mut errors = Vec::new();
    let username = Username::parse(&input.username)
        .map_err(|e| errors.push(e.at("username")))
        .ok();
    let email = input
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| errors.push(e.at("email")))
        .ok()
        .flatten();
    for (field, value) in [
        ("external_id", &input.external_id),
        ("display_name", &input.display_name),
        ("given_name", &input.given_name),
        ("family_name", &input.family_name),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > MAX_PROFILE_FIELD) {
            errors.push(FieldError::invalid(
                field,
                &format!("has at most {MAX_PROFILE_FIELD} characters"),
            ));
        }
    }
    refuse_invalid(errors)?;
    let Some(username) = username else {
        return Err(missing("provision user"));
    };
    let provisioned = Provisioned {
        email,
        profile: Profile {
            external_id: input.external_id.clone(),
            display_name: input.display_name.clone(),
            given_name: input.given_name.clone(),
            family_name: input.family_name.clone(),
        },
        active: input.active,
    };
    Ok((username, provisioned))
}

impl From<gatehouse_api::Membership> for MembershipInput {
    fn from(m: gatehouse_api::Membership) -> Self {
        Self {
            project: m.project,
            roles: m.roles,
        }
    }
}

impl From<gatehouse_api::CreateUser> for CreateUserInput {
    /// The operation's input for a create request in the native wire (also
    /// what the JFrog face maps its own to): managed locally.
    fn from(body: gatehouse_api::CreateUser) -> Self {
        Self {
            email: body.email,
            password: body.password.map(|p| p.expose().to_owned()),
            username: body.username,
            kind: body.kind.map(Into::into),
            admin: body.admin,
            account_permissions: body.account_permissions,
            memberships: body.memberships.into_iter().map(Into::into).collect(),
            groups: Vec::new(),
            managed_by: None,
        }
    }
}

/// The status a list of users is filtered by, as the native wire names it.
#[must_use]
pub fn wire_status(status: gatehouse_api::UserStatus) -> UserStatus {
    match status {
        gatehouse_api::UserStatus::Invited => UserStatus::Invited,
        gatehouse_api::UserStatus::Enabled => UserStatus::Active,
        gatehouse_api::UserStatus::Disabled => UserStatus::Disabled,
        gatehouse_api::UserStatus::Locked => UserStatus::Locked,
    }
}

/// A username from a path: one that cannot exist is not found.
pub(crate) fn path_username(raw: &str) -> OpResult<Username> {
    Username::parse(raw).map_err(|_| not_found("user", raw))
}

/// Reads a user or answers 404.
pub(crate) async fn stored_user(app: &App, username: &Username) -> OpResult<User> {
    app.store()
        .user(username)
        .await?
        .ok_or_else(|| not_found("user", username.as_str()))
}

/// Parses account permission names, each error naming its index.
pub(crate) fn account_permissions(raw: &[String], errors: &mut Vec<FieldError>) -> AccountPermissions {
    let mut set = AccountPermissions::NONE;
    for (i, name) in raw.iter().enumerate() {
        match AccountPermission::parse(name) {
            Some(p) => set.insert(p),
            None => errors.push(FieldError::invalid(
                &format!("account_permissions[{i}]"),
                &format!("`{name}` is not an account permission"),
            )),
        }
    }
    set
}

/// The answer to a job the argon2 gate refused or lost.
fn gate_problem(error: &password::GateError) -> ApiProblem {
    match error {
        password::GateError::Busy => {
            metrics::counter!("gatehouse_password_hashing_refused_total").increment(1);
            ApiProblem::new(
                gatehouse_api::ErrorCode::Busy,
                "too many passwords are being hashed at once; retry shortly",
            )
            .with_header(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(password::BUSY_RETRY_SECS),
            )
        }
        password::GateError::Panicked => ApiProblem::internal("password hashing panicked", error),
    }
}

/// Hashes a password off the async runtime, through the argon2 gate
/// (argon2 is deliberately slow and memory-hard). Callers decide whether
/// the caller may set the password *before* hashing it.
///
/// # Errors
/// 503 `busy` with `Retry-After` when the gate is full.
pub(crate) async fn hash_password(app: &App, password: Password) -> OpResult<String> {
    app.inner
        .argon2
        .run(move || password::hash(password.expose()))
        .await
        .map_err(|e| gate_problem(&e))?
        .map_err(|e| ApiProblem::internal("cannot hash a password", &e))
}

/// Checks a password against a PHC string off the async runtime, through
/// the argon2 gate.
///
/// # Errors
/// 503 `busy` with `Retry-After` when the gate is full.
pub(crate) async fn verify_password(app: &App, password: String, phc: String) -> OpResult<bool> {
    app.inner
        .argon2
        .run(move || password::verify(&password, &phc))
        .await
        .map_err(|e| gate_problem(&e))
}

/// The new user a create request describes, and its password (validated,
/// not hashed); every invalid field at once.
pub(crate) fn new_user(input: &CreateUserInput) -> OpResult<(NewUser, Option<Password>)> {
    let mut errors = Vec::new();
    let email = Email::parse(&input.email).map_err(|e| errors.push(e)).ok();
    let username = match input.username.as_deref().map(Username::parse).transpose() {
        Ok(given) => email
            .as_ref()
            .map(|e| default_username(e, given))
            .transpose()
            .map_err(|e| {
                if let DomainError::Validation(fields) = e {
                    errors.extend(fields);
                }
            })
            .ok()
            .flatten(),
        Err(e) => {
            errors.push(e.at("username"));
            None
        }
    };
    let permissions = account_permissions(&input.account_permissions, &mut errors);
    let mut memberships = Vec::new();
    for (i, m) in input.memberships.iter().enumerate() {
        let project = ProjectKey::parse(&m.project).map_err(|e| e.at(&format!("memberships[{i}].project")));
        let roles: Result<Vec<_>, _> = m
            .roles
            .iter()
            .enumerate()
            .map(|(j, r)| RoleName::parse(r).map_err(|e| e.at(&format!("memberships[{i}].roles[{j}]"))))
            .collect();
        match (project, roles) {
            (Ok(p), Ok(r)) => memberships.push((p, r)),
            (p, r) => errors.extend(p.err().into_iter().chain(r.err())),
        }
    }
    let groups = group_names("groups", &input.groups, &mut errors);
    let password = match (&input.password, &username) {
        (Some(raw), Some(name)) => Password::parse("password", raw, name.as_str(), Some(&input.email))
            .map_err(|e| errors.push(e))
            .ok(),
        _ => None,
    };
    refuse_invalid(errors)?;
    let (Some(email), Some(username)) = (email, username) else {
        return Err(missing("create user"));
    };
    let new = NewUser {
        username,
        email: Some(email),
        password_hash: None,
        kind: input.kind.unwrap_or(UserKind::Person),
        admin: input.admin.unwrap_or(false),
        account_permissions: permissions,
        memberships,
        groups,
        managed_by: input.managed_by.unwrap_or(ManagedBy::Local),
    };
    Ok((new, password))
}

impl Ops<'_> {
    /// Creates a user: with a password it is created (invited until its
    /// first login); without one a person is invited by email (a link
    /// through the outbox), a service account created. Whether the caller
    /// may is decided before any password is hashed.
    ///
    /// # Errors
    /// 422 for every invalid field; 403 (`forbidden`, `escalation`); 409
    /// `already_exists`, `managed_upstream`; 503 `busy`.
    pub async fn create_user(&self, acting: &Acting, input: CreateUserInput) -> OpResult<Done<User>> {
        let app = self.app;
        let (mut new, password) = new_user(&input)?;
        let username = new.username.clone();
        // A person without a password is invited by email, unless its
        // upstream source (SCIM, OIDC) provisions it.
        let invited = password.is_none() && new.kind != UserKind::Service && new.managed_by == ManagedBy::Local;
        if let Some(password) = password {
            // Decide on the current snapshot first: no argon2 work for a
            // request that would be refused (the write lock decides again).
            let probe = NewUser {
                password_hash: Some(String::new()),
                ..new.clone()
            };
            let snapshot = app.snapshot();
            users::create(&self.ctx(&snapshot, acting), probe).await?;
            new.password_hash = Some(hash_password(app, password).await?);
        }
        let writer = self.writer().await?;
        let ctx = writer.ctx(acting, self.via);
        let commit = if invited {
            // The secret is not kept: the SMTP sender mints the one it sends,
            // and a platform admin gets one from `invite`.
            let secret = random_secret().map_err(|e| ApiProblem::internal("no randomness", &e))?;
            let invitation = NewInvitation {
                user: new,
                username_given: input.username.is_some(),
                secret_sha256: sha256_hex(&secret),
            };
            invitations::invite(&ctx, invitation).await?
        } else {
            users::create(&ctx, new).await?
        };
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_user(app, &username).await?))
    }

    /// Creates a user its identity provider provisions (SCIM): `managed_by:
    /// scim`, no password, active or disabled.
    ///
    /// # Errors
    /// 422 for every invalid field; 403; 409 `already_exists` (username,
    /// email, `external_id`).
    pub async fn provision_create_user(&self, acting: &Acting, input: ProvisionUserInput) -> OpResult<Done<User>> {
        let (username, provisioned) = provisioned(&input)?;
        let writer = self.writer().await?;
        let commit = users::provision_create(&writer.ctx(acting, self.via), username.clone(), provisioned).await?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_user(self.app, &username).await?))
    }

    /// Replaces what an identity provider manages of a user: profile,
    /// email, and status (`active: false` disables it at once, tokens and
    /// sessions included). Memberships and roles stay Gatehouse's.
    ///
    /// # Errors
    /// 422 for every invalid field; 403 (escalation); 404; 409
    /// (`already_exists`, `last_admin`); 412.
    pub async fn provision_update_user(&self, acting: &Acting, input: ProvisionUserInput) -> OpResult<Done<User>> {
        let username = path_username(&input.username)?;
        let (_, provisioned) = provisioned(&input)?;
        let writer = self.writer().await?;
        let commit = users::provision_update(
            &writer.ctx(acting, self.via),
            &username,
            provisioned,
            input.expected_revision,
        )
        .await?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_user(self.app, &username).await?))
    }

    /// The one user `key` names, if any: each key is a store index (the
    /// username's primary key, the normalized email's and the
    /// `external_id`'s unique indexes), never a scan.
    ///
    /// # Errors
    /// A store failure.
    pub async fn find_user(&self, key: &UserKey) -> OpResult<Option<User>> {
        let store = self.app.store();
        Ok(match key {
            UserKey::Username(raw) => match Username::parse(raw) {
                Ok(username) => store.user(&username).await?,
                Err(_) => None,
            },
            UserKey::Email(email) => store.user_by_email(email).await?,
            UserKey::ExternalId(id) => store.user_by_external_id(id).await?,
        })
    }

    /// One page of users, filtered.
    ///
    /// # Errors
    /// 422 naming `limit`; 400 `invalid_cursor`.
    pub async fn list_users(&self, input: ListUsersInput) -> OpResult<Page<User>> {
        let page = input.paging.request()?;
        let filter = UserFilter {
            q: input.q.filter(|q| !q.is_empty()),
            status: input.status,
            kind: input.kind,
            managed_by: input.managed_by,
        };
        Ok(self.app.store().users(&filter, &page).await?)
    }

    /// One user.
    ///
    /// # Errors
    /// 404 `not_found`.
    pub async fn get_user(&self, username: &str) -> OpResult<User> {
        stored_user(self.app, &path_username(username)?).await
    }

    /// Changes a user's email, admin flag or account permissions.
    ///
    /// # Errors
    /// 422 for every invalid field; 403; 404; 409 (`already_exists`,
    /// `last_admin`, `managed_upstream` for the email of a user managed
    /// upstream); 412.
    pub async fn patch_user(&self, acting: &Acting, input: PatchUserInput) -> OpResult<Done<User>> {
        let app = self.app;
        let username = path_username(&input.username)?;
        let mut errors = Vec::new();
        let email = input
            .email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let permissions = input
            .account_permissions
            .as_ref()
            .map(|raw| account_permissions(raw, &mut errors));
        refuse_invalid(errors)?;
        let patch = UserPatch {
            email,
            admin: input.admin,
            account_permissions: permissions,
        };
        let writer = self.writer().await?;
        let commit = users::update(&writer.ctx(acting, self.via), &username, patch, input.expected_revision).await?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_user(app, &username).await?))
    }

    /// Disables (denied everything; its tokens and sessions refused from
    /// the next request), enables or unlocks a user.
    ///
    /// # Errors
    /// 403; 404; 409 (`last_admin`, `managed_upstream`); 412.
    pub async fn set_user_status(&self, acting: &Acting, user: UserRef, change: StatusChange) -> OpResult<Done<User>> {
        let app = self.app;
        let username = path_username(&user.username)?;
        let writer = self.writer().await?;
        let commit = users::set_status(&writer.ctx(acting, self.via), &username, change).await?;
        super::expect_revision(user.expected_revision, stored_user(app, &username).await?.revision)?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_user(app, &username).await?))
    }

    /// Deletes a user with its memberships, group memberships, tokens and
    /// sessions (also one managed upstream: an admin's choice).
    ///
    /// # Errors
    /// 403; 404; 409 `last_admin`; 412.
    pub async fn delete_user(&self, acting: &Acting, user: UserRef) -> OpResult<Done<()>> {
        let username = path_username(&user.username)?;
        let writer = self.writer().await?;
        let commit = users::delete(&writer.ctx(acting, self.via), &username, user.expected_revision).await?;
        Ok(Done::new(writer.commit(&commit).await?, ()))
    }

    /// Sets a password: one's own (with the current password, checked as a
    /// login is: rate limited, counted toward the lockout, audited) or
    /// anyone's with `accounts.manage`. Whether the caller may is decided
    /// before any password is hashed. A change by the user ends its other
    /// web sessions, a reset by another all of them; tokens stay. Changing
    /// the first admin's password removes the file holding the generated
    /// one.
    ///
    /// # Errors
    /// 403 (a restricted token, `escalation`); 404; 409
    /// `managed_upstream`; 412; 422 (the new password's rules, a wrong or
    /// missing current password); 429; 503 `busy`.
    pub async fn set_password(&self, acting: &Acting, input: SetPasswordInput) -> OpResult<Done<()>> {
        let app = self.app;
        super::visibility::require_full_scope(acting, "change credentials")?;
        let username = path_username(&input.username)?;
        let own = username == acting.username;
        // Authorize first, on the current snapshot: a refused request costs
        // no argon2 work (the write lock decides again).
        let snapshot = app.snapshot();
        users::set_password(&self.ctx(&snapshot, acting), &username, String::new(), None).await?;
        let target = stored_user(app, &username).await?;
        let email = target.email.as_ref().map(|e| e.as_str().to_owned());
        let password = Password::parse("new_password", &input.new_password, username.as_str(), email.as_deref())?;
        if own {
            let Some(current) = input.current_password.as_deref() else {
                return Err(FieldError::required("current_password").into());
            };
            // A wrong current password is a failed login (SPEC §6.1, §5.1).
            match super::sessions::check_current_password(app, self.via, &input.client, username.as_str(), current)
                .await
            {
                Ok(_) => {}
                Err(problem) if problem.code() == gatehouse_api::ErrorCode::InvalidCredentials => {
                    return Err(FieldError::invalid("current_password", "is not the current password").into());
                }
                Err(problem) => return Err(problem),
            }
        }
        let hash = hash_password(app, password).await?;
        let writer = self.writer().await?;
        let commit = users::set_password(&writer.ctx(acting, self.via), &username, hash, input.keep_session).await?;
        super::expect_revision(input.expected_revision, stored_user(app, &username).await?.revision)?;
        let revision = writer.commit(&commit).await?;
        if username.as_str() == gatehouse_domain::commands::init::FIRST_ADMIN {
            crate::password::forget_initial_password(&app.config().data_dir);
        }
        Ok(Done::new(revision, ()))
    }
}
