//! Users on JFrog's v2 wire (`/access/api/v2/users`): `username`,
//! `email`, `password`, `admin`, `internal_password_disabled`, `groups`,
//! and the status names Gatehouse shares with JFrog (`invited`,
//! `enabled`, `disabled`, `locked`).
//!
//! A user whose internal password is disabled is a Gatehouse service
//! account (tokens only); a user created without a password is invited.

use gatehouse_api::{self as api, Secret};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use crate::body::opt_bool;
use crate::error::Failure;

/// The path of a user on this layer, JFrog's `uri`.
#[must_use]
pub fn uri(username: &str) -> String {
    format!("/access/api/v2/users/{username}")
}

/// JFrog's `realm` of a user: where it is managed.
#[must_use]
pub const fn realm(managed_by: api::ManagedBy) -> &'static str {
    match managed_by {
        api::ManagedBy::Local => "internal",
        api::ManagedBy::Scim => "scim",
        api::ManagedBy::Oidc => "oidc",
    }
}

/// The wire status (JFrog's names are Gatehouse's).
#[must_use]
pub const fn status_name(status: api::UserStatus) -> &'static str {
    match status {
        api::UserStatus::Invited => "invited",
        api::UserStatus::Enabled => "enabled",
        api::UserStatus::Disabled => "disabled",
        api::UserStatus::Locked => "locked",
    }
}

/// The status a `?status=` names.
///
/// # Errors
/// 400 for another name.
pub fn parse_status(raw: &str) -> Result<api::UserStatus, Failure> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "invited" => Ok(api::UserStatus::Invited),
        "enabled" => Ok(api::UserStatus::Enabled),
        "disabled" => Ok(api::UserStatus::Disabled),
        "locked" => Ok(api::UserStatus::Locked),
        _ => Err(Failure::field(
            "status",
            format!("`{raw}` is not one of invited, enabled, disabled, locked"),
        )),
    }
}

/// A user as JFrog's v2 API answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetails {
    /// Username.
    pub username: String,
    /// Email, when it has one.
    pub email: Option<String>,
    /// Platform admin.
    pub admin: bool,
    /// The same as `admin`: Gatehouse's groups confer no admin rights.
    pub effective_admin: bool,
    /// Always `true`.
    pub profile_updatable: bool,
    /// Always `false`.
    pub disable_ui_access: bool,
    /// Whether it is a service account (no password, tokens only).
    pub internal_password_disabled: bool,
    /// The last login, RFC 3339.
    pub last_logged_in: Option<String>,
    /// `internal`, `scim` or `oidc`.
    pub realm: String,
    /// Its groups.
    pub groups: Vec<String>,
    /// `invited`, `enabled`, `disabled` or `locked`.
    pub status: String,
}

impl From<&api::User> for UserDetails {
    fn from(u: &api::User) -> Self {
        Self {
            username: u.username.clone(),
            email: u.email.clone(),
            admin: u.admin,
            effective_admin: u.admin,
            profile_updatable: true,
            disable_ui_access: false,
            internal_password_disabled: u.kind == api::UserKind::Service,
            last_logged_in: u.last_login_at.and_then(|t| t.format(&Rfc3339).ok()),
            realm: realm(u.managed_by).to_owned(),
            groups: u.groups.clone(),
            status: status_name(u.status).to_owned(),
        }
    }
}

/// One user of a list answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserItem {
    /// Username.
    pub username: String,
    /// Its path on this layer.
    pub uri: String,
    /// `internal`, `scim` or `oidc`.
    pub realm: String,
    /// Status.
    pub status: String,
}

impl From<&api::User> for UserItem {
    fn from(u: &api::User) -> Self {
        Self {
            username: u.username.clone(),
            uri: uri(&u.username),
            realm: realm(u.managed_by).to_owned(),
            status: status_name(u.status).to_owned(),
        }
    }
}

/// The list answer: `{"users", "cursor"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    /// One page of users.
    pub users: Vec<UserItem>,
    /// The next page's cursor; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// `POST /access/api/v2/users` and `PATCH …/{username}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserBody {
    /// Username (create).
    pub username: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Password.
    pub password: Option<Secret>,
    /// Platform admin.
    #[serde(default, deserialize_with = "opt_bool")]
    pub admin: Option<bool>,
    /// `true`: a service account, which has no password.
    #[serde(default, deserialize_with = "opt_bool")]
    pub internal_password_disabled: Option<bool>,
    /// Groups to join (create).
    pub groups: Option<Vec<String>>,
}

/// What a JFrog create asks: the native user and the groups it joins.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// The native create request.
    pub user: api::CreateUser,
    /// Groups the user joins as it is created.
    pub groups: Vec<String>,
}

/// The native create request of a JFrog v2 user body.
///
/// # Errors
/// 400 without `username` or `email`, or with a password for a user whose
/// internal password is disabled.
pub fn create(body: UserBody) -> Result<NewUser, Failure> {
    let username = body.username.ok_or_else(|| Failure::field("username", "is required"))?;
    let email = body.email.ok_or_else(|| Failure::field("email", "is required"))?;
    let service = body.internal_password_disabled.unwrap_or(false);
    if service && body.password.is_some() {
        return Err(Failure::field(
            "password",
            "a user whose internal password is disabled is a service account and has none",
        ));
    }
    Ok(NewUser {
        user: api::CreateUser {
            email,
            password: body.password,
            username: Some(username),
            kind: Some(if service {
                api::UserKind::Service
            } else {
                api::UserKind::Person
            }),
            admin: body.admin,
            account_permissions: Vec::new(),
            memberships: Vec::new(),
        },
        groups: body.groups.unwrap_or_default(),
    })
}

/// What a JFrog PATCH asks: the native patch, and a new password.
#[derive(Clone, Debug)]
pub struct UserChange {
    /// Email and admin flag.
    pub patch: api::PatchUser,
    /// A password set by someone else (no current password).
    pub password: Option<Secret>,
}

/// The native requests of a JFrog v2 PATCH of user `current`.
///
/// # Errors
/// 400 when it would turn a person into a service account or back.
pub fn update(body: UserBody, current: &api::User) -> Result<UserChange, Failure> {
    let service = current.kind == api::UserKind::Service;
    if body.internal_password_disabled.is_some_and(|d| d != service) {
        return Err(Failure::unsupported(
            "a change of `internal_password_disabled`: a service account stays one, a person stays one",
        ));
    }
    Ok(UserChange {
        patch: api::PatchUser {
            email: body.email,
            admin: body.admin,
            account_permissions: None,
        },
        password: body.password,
    })
}

/// `PUT /access/api/v2/users/{username}/password`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PasswordBody {
    /// The new password.
    pub password: Option<Secret>,
    /// The new password, by its other name.
    pub new_password: Option<Secret>,
    /// The current one (needed to change one's own).
    pub old_password: Option<Secret>,
    /// The current one, by Gatehouse's name.
    pub current_password: Option<Secret>,
}

/// The native request of a password body.
///
/// # Errors
/// 400 without a new password.
pub fn set_password(body: PasswordBody) -> Result<api::SetPassword, Failure> {
    let new_password = body
        .password
        .or(body.new_password)
        .ok_or_else(|| Failure::field("password", "is required"))?;
    Ok(api::SetPassword {
        current_password: body.old_password.or(body.current_password),
        new_password,
    })
}

/// `PATCH /access/api/v2/users/{username}/groups` and
/// `PATCH /access/api/v2/groups/{name}/members`: `{"add", "remove"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddRemove {
    /// Names to add.
    pub add: Option<Vec<String>>,
    /// Names to remove.
    pub remove: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use gatehouse_api as api;
    use serde_json::json;

    use super::{PasswordBody, UserBody, UserDetails, UserItem, create, parse_status, set_password, update};
    use crate::body;

    fn native() -> api::User {
        api::User {
            username: "alice".into(),
            email: Some("alice@example.com".into()),
            kind: api::UserKind::Person,
            status: api::UserStatus::Enabled,
            admin: false,
            account_permissions: vec![],
            groups: vec!["devs".into()],
            managed_by: api::ManagedBy::Local,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            created_by: None,
            last_login_at: Some(time::OffsetDateTime::UNIX_EPOCH),
        }
    }

    #[test]
    fn statuses_are_jfrogs_names() {
        for (status, name) in [
            (api::UserStatus::Invited, "invited"),
            (api::UserStatus::Enabled, "enabled"),
            (api::UserStatus::Disabled, "disabled"),
            (api::UserStatus::Locked, "locked"),
        ] {
            assert_eq!(super::status_name(status), name);
            assert_eq!(parse_status(name).unwrap(), status);
        }
        assert_eq!(parse_status("active").unwrap_err().status, 400);
    }

    #[test]
    fn create_bodies_map_to_native_requests() {
        for (raw, want) in [
            (
                json!({"username": "alice", "email": "alice@example.com", "password": "correct horse battery",
                    "admin": false, "profile_updatable": true, "internal_password_disabled": false,
                    "disable_ui_access": false, "groups": ["devs"], "watch_manager": null}),
                Ok((api::UserKind::Person, true, vec!["devs"])),
            ),
            (
                json!({"username": "ci", "email": "ci@example.com", "internal_password_disabled": true}),
                Ok((api::UserKind::Service, false, vec![])),
            ),
            (
                json!({"username": "bob", "email": "bob@example.com"}),
                Ok((api::UserKind::Person, false, vec![])),
            ),
            (json!({"email": "bob@example.com"}), Err("`username`")),
            (json!({"username": "bob"}), Err("`email`")),
            (
                json!({"username": "ci", "email": "ci@example.com", "password": "x", "internal_password_disabled": true}),
                Err("`password`"),
            ),
        ] {
            let parsed: UserBody = body::json(raw.to_string().as_bytes()).unwrap();
            match (create(parsed), want) {
                (Ok(got), Ok((kind, password, groups))) => {
                    assert_eq!(got.user.kind, Some(kind), "{raw}");
                    assert_eq!(got.user.password.is_some(), password, "{raw}");
                    assert_eq!(got.groups, groups, "{raw}");
                }
                (Err(failure), Err(field)) => {
                    assert_eq!(failure.status, 400);
                    assert!(failure.body.errors[0].message.contains(field), "{failure:?}");
                }
                (got, want) => panic!("{raw}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn patches_map_email_admin_and_password() {
        let change = update(
            body::json(br#"{"email": "a@example.com", "admin": true, "password": "a new password!", "disable_ui_access": true}"#)
                .unwrap(),
            &native(),
        )
        .unwrap();
        assert_eq!(change.patch.email.as_deref(), Some("a@example.com"));
        assert_eq!(change.patch.admin, Some(true));
        assert_eq!(change.password.unwrap().expose(), "a new password!");
        let refused = update(
            body::json(br#"{"internal_password_disabled": true}"#).unwrap(),
            &native(),
        )
        .unwrap_err();
        assert_eq!(refused.status, 400);
    }

    #[test]
    fn password_bodies_take_either_name() {
        let got = set_password(body::json::<PasswordBody>(br#"{"password": "p1 p1 p1 p1"}"#).unwrap()).unwrap();
        assert_eq!(
            (got.new_password.expose(), got.current_password.is_none()),
            ("p1 p1 p1 p1", true)
        );
        let got = set_password(
            body::json::<PasswordBody>(br#"{"old_password": "old old old", "new_password": "new new new"}"#).unwrap(),
        )
        .unwrap();
        assert_eq!(got.current_password.unwrap().expose(), "old old old");
        assert_eq!(set_password(PasswordBody::default()).unwrap_err().status, 400);
    }

    #[test]
    fn users_answer_in_jfrogs_shape() {
        assert_eq!(
            serde_json::to_value(UserDetails::from(&native())).unwrap(),
            json!({"username": "alice", "email": "alice@example.com", "admin": false, "effective_admin": false,
                "profile_updatable": true, "disable_ui_access": false, "internal_password_disabled": false,
                "last_logged_in": "1970-01-01T00:00:00Z", "realm": "internal", "groups": ["devs"], "status": "enabled"})
        );
        assert_eq!(
            serde_json::to_value(UserItem::from(&native())).unwrap(),
            json!({"username": "alice", "uri": "/access/api/v2/users/alice", "realm": "internal", "status": "enabled"})
        );
    }
}
