//! The check API and the reverse questions (SPEC §2.2–§2.3, §7.1): requests,
//! decisions, and grants named for people.

use std::borrow::Cow;

use gatehouse_authz::{self as authz, Explanation, Snapshot, UserId};
use gatehouse_domain::{DomainError, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::borrowed;
use super::scope_kind::ScopeKind;

/// A registered resource named instead of project and environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceRef<'a> {
    /// Resource type, e.g. `repository`.
    #[serde(rename = "type", borrow)]
    pub resource_type: Cow<'a, str>,
    /// Its name, unique per type.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
}

/// `POST /api/v1/check`, and one check of a batch. Its strings borrow from
/// the body they are read from where they can (a server reads a thousand
/// in a batch), and own their text where a client builds one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest<'a> {
    /// Who would act; the caller when absent.
    #[serde(
        default,
        borrow,
        deserialize_with = "borrowed::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub user: Option<Cow<'a, str>>,
    /// Action id or JFrog wire name.
    #[serde(borrow)]
    pub action: Cow<'a, str>,
    /// Project key (or `resource`).
    #[serde(
        default,
        borrow,
        deserialize_with = "borrowed::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub project: Option<Cow<'a, str>>,
    /// Environment, for environment-scoped actions.
    #[serde(
        default,
        borrow,
        deserialize_with = "borrowed::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub environment: Option<Cow<'a, str>>,
    /// A registered resource instead of project and environment.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef<'a>>,
    /// Answer with the grants or the denial code.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub explain: bool,
    /// Answer from a snapshot at least this new (else 503 `stale_snapshot`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_revision: Option<u64>,
}

impl CheckRequest<'_> {
    /// Checks the request's shape: a project or a resource, not both, and
    /// no environment beside a resource.
    ///
    /// # Errors
    /// `validation_failed` naming the offending fields.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        match (&self.project, &self.resource) {
            (None, None) => errors.push(FieldError::required("project")),
            (Some(_), Some(_)) => errors.push(FieldError::invalid(
                "resource",
                "name a project or a resource, not both",
            )),
            (None, Some(_)) if self.environment.is_some() => errors.push(FieldError::invalid(
                "environment",
                "a resource names its environment; omit `environment`",
            )),
            _ => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(errors))
        }
    }
}

/// How a grant reaches the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// A direct membership.
    User,
    /// A membership of one of the user's groups.
    Group,
    /// The user is a platform admin.
    Admin,
}

/// One reason an allow holds (SPEC §2.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Grant {
    /// User, group or platform admin.
    pub via: Via,
    /// The member's name (the user for `admin`).
    pub name: String,
    /// The role; `Platform Admin` for `admin`.
    pub role: String,
    /// Whether the role is global or the project's.
    pub role_scope: ScopeKind,
    /// The role's environments (empty for `admin`: all).
    pub environments: Vec<String>,
}

/// The role name shown for a platform admin's grant.
pub const PLATFORM_ADMIN_ROLE: &str = "Platform Admin";

/// The wire shape of `grant`, a reason `user` is allowed, with names from
/// `snapshot`. Ids the snapshot does not know show as empty names.
#[must_use]
pub fn grant(snapshot: &Snapshot, user: UserId, grant: &authz::Grant) -> Grant {
    match grant {
        authz::Grant::PlatformAdmin => Grant {
            via: Via::Admin,
            name: snapshot.user_name(user).unwrap_or_default().to_owned(),
            role: PLATFORM_ADMIN_ROLE.to_owned(),
            role_scope: ScopeKind::Global,
            environments: Vec::new(),
        },
        authz::Grant::Role { via, role } => {
            let (via, name) = match via {
                authz::Member::User(u) => (Via::User, snapshot.user_name(*u)),
                authz::Member::Group(g) => (Via::Group, snapshot.group_name(*g)),
            };
            let view = snapshot.role(*role);
            Grant {
                via,
                name: name.unwrap_or_default().to_owned(),
                role: view.map(|r| r.name().to_owned()).unwrap_or_default(),
                role_scope: if view.is_none_or(|r| r.is_global()) {
                    ScopeKind::Global
                } else {
                    ScopeKind::Project
                },
                environments: view
                    .map(|r| r.environment_names().map(str::to_owned).collect())
                    .unwrap_or_default(),
            }
        }
    }
}

/// The answer to a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CheckResponse {
    /// The decision.
    pub allowed: bool,
    /// The revision of the snapshot that decided.
    pub revision: u64,
    /// With `explain`, an allow's grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<Grant>>,
    /// With `explain`, a deny's code, e.g. `not_a_member`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denial: Option<String>,
}

impl CheckResponse {
    /// An unexplained decision.
    #[must_use]
    pub const fn decision(allowed: bool, revision: u64) -> Self {
        Self {
            allowed,
            revision,
            reasons: None,
            denial: None,
        }
    }

    /// An explained decision about `user`, with names from `snapshot`.
    #[must_use]
    pub fn explained(snapshot: &Snapshot, user: UserId, explanation: &Explanation) -> Self {
        let result = CheckResult::explained(snapshot, user, explanation);
        Self {
            allowed: result.allowed,
            revision: snapshot.revision(),
            reasons: result.reasons,
            denial: result.denial,
        }
    }
}

/// `POST /api/v1/check/batch`: at most [`BatchRequest::MAX`] checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest<'a> {
    /// The checks, answered in order.
    #[serde(borrow)]
    pub checks: Vec<CheckRequest<'a>>,
}

impl BatchRequest<'_> {
    /// The most checks in one batch.
    pub const MAX: usize = 1_000;

    /// Checks the batch's size and every check's shape.
    ///
    /// # Errors
    /// `validation_failed` naming `checks` or `checks[i].…`.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.checks.len() > Self::MAX {
            return Err(DomainError::field(FieldError::invalid(
                "checks",
                &format!("at most {} checks in one batch", Self::MAX),
            )));
        }
        let mut errors = Vec::new();
        for (i, check) in self.checks.iter().enumerate() {
            if let Err(DomainError::Validation(fields)) = check.validate() {
                errors.extend(fields.into_iter().map(|f| {
                    let path = format!("checks[{i}].{}", f.field);
                    f.at(&path)
                }));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(errors))
        }
    }
}

/// One answer of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CheckResult {
    /// The decision.
    pub allowed: bool,
    /// With `explain`, an allow's grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<Grant>>,
    /// With `explain`, a deny's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denial: Option<String>,
}

impl CheckResult {
    /// An explained decision about `user`, with names from `snapshot`.
    #[must_use]
    pub fn explained(snapshot: &Snapshot, user: UserId, explanation: &Explanation) -> Self {
        match explanation {
            Explanation::Allow(grants) => Self {
                allowed: true,
                reasons: Some(grants.iter().map(|g| grant(snapshot, user, g)).collect()),
                denial: None,
            },
            Explanation::Deny(denial) => Self {
                allowed: false,
                reasons: None,
                denial: Some(denial.code().to_owned()),
            },
        }
    }
}

/// The answer to a batch: one result per check, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BatchResponse {
    /// The revision of the snapshot that decided them all.
    pub revision: u64,
    /// The results, in the order of the checks.
    pub results: Vec<CheckResult>,
}

/// One action a user may do in a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PermissionEntry {
    /// Action id.
    pub action: String,
    /// The environments it is allowed in; `null` for a non-scoped action.
    pub environments: Option<Vec<String>>,
    /// Every grant that allows it.
    pub grants: Vec<Grant>,
}

/// `GET /api/v1/users/{username}/permissions?project=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Permissions {
    /// Whose.
    pub username: String,
    /// Where.
    pub project: String,
    /// The revision of the snapshot that answered.
    pub revision: u64,
    /// What the user may do, in catalogue order.
    pub permissions: Vec<PermissionEntry>,
}

impl Permissions {
    /// The wire shape of `user`'s effective `permissions` in `project`.
    #[must_use]
    pub fn new(snapshot: &Snapshot, user: UserId, project: &str, permissions: &[authz::Permission]) -> Self {
        let catalogue = snapshot.catalogue();
        Self {
            username: snapshot.user_name(user).unwrap_or_default().to_owned(),
            project: project.to_owned(),
            revision: snapshot.revision(),
            permissions: permissions
                .iter()
                .map(|p| PermissionEntry {
                    action: catalogue.action(p.action).id.clone(),
                    environments: p.environments.as_ref().map(|envs| {
                        envs.iter()
                            .filter_map(|e| snapshot.env_name(*e))
                            .map(str::to_owned)
                            .collect()
                    }),
                    grants: p.grants.iter().map(|g| grant(snapshot, user, g)).collect(),
                })
                .collect(),
        }
    }
}

/// A user allowed an action, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WhoCanUser {
    /// The user.
    pub username: String,
    /// Every grant that allows it.
    pub grants: Vec<Grant>,
}

/// `GET /api/v1/projects/{key}/who-can?action=&environment=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WhoCan {
    /// The revision of the snapshot that answered.
    pub revision: u64,
    /// Every user allowed, by username.
    pub users: Vec<WhoCanUser>,
}

impl WhoCan {
    /// The wire shape of a who-can answer.
    #[must_use]
    pub fn new(snapshot: &Snapshot, allowed: &[authz::Allowed]) -> Self {
        Self {
            revision: snapshot.revision(),
            users: allowed
                .iter()
                .map(|a| WhoCanUser {
                    username: snapshot.user_name(a.user).unwrap_or_default().to_owned(),
                    grants: a.grants.iter().map(|g| grant(snapshot, a.user, g)).collect(),
                })
                .collect(),
        }
    }
}
