//! Access tokens (SPEC §6.3): the token shape, its scope, and its requests.
//! A secret appears once, in [`CreatedToken`].

use std::fmt;

use gatehouse_domain::entities;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::time_format::utc;
use crate::secret::Secret;

/// The scope text meaning "everything the user may do".
pub const APPLIED_PERMISSIONS_USER: &str = gatehouse_domain::commands::tokens::USER_SCOPE;

/// One entry of a restricted scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

/// What a token may do at most: `"applied-permissions/user"` or a list of
/// entries that narrows it (SPEC §2.4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// `"applied-permissions/user"`: everything the user may do.
    #[default]
    User,
    /// Only what these entries name, and the user may do.
    Entries(Vec<ScopeEntry>),
}

impl utoipa::PartialSchema for Scope {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([APPLIED_PERMISSIONS_USER])),
            )
            .item(ArrayBuilder::new().items(<ScopeEntry as utoipa::PartialSchema>::schema()))
            .description(Some("`applied-permissions/user`, or a list of entries that narrows it"))
            .into()
    }
}

impl ToSchema for Scope {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push((
            ScopeEntry::name().into_owned(),
            <ScopeEntry as utoipa::PartialSchema>::schema(),
        ));
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::User => serializer.serialize_str(APPLIED_PERMISSIONS_USER),
            Self::Entries(entries) => entries.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Scope {
    // By hand rather than `untagged`, so that an unknown field of an entry
    // is named in the error (SPEC §7).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScopeVisitor;

        impl<'de> Visitor<'de> for ScopeVisitor {
            type Value = Scope;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "`{APPLIED_PERMISSIONS_USER}` or a list of scope entries")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scope, E> {
                if v == APPLIED_PERMISSIONS_USER {
                    Ok(Scope::User)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scope, A::Error> {
                Vec::<ScopeEntry>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Scope::Entries)
            }
        }

        deserializer.deserialize_any(ScopeVisitor)
    }
}

impl From<&entities::Scope> for Scope {
    fn from(s: &entities::Scope) -> Self {
        match s {
            entities::Scope::User(_) => Self::User,
            entities::Scope::Entries(entries) => Self::Entries(
                entries
                    .iter()
                    .map(|e| ScopeEntry {
                        project: e.project.clone(),
                        actions: e.actions.clone(),
                        categories: e.categories.clone(),
                        environments: e.environments.clone(),
                    })
                    .collect(),
            ),
        }
    }
}

impl From<Scope> for entities::Scope {
    fn from(s: Scope) -> Self {
        match s {
            Scope::User => Self::User(APPLIED_PERMISSIONS_USER.to_owned()),
            Scope::Entries(entries) => Self::Entries(
                entries
                    .into_iter()
                    .map(|e| entities::ScopeEntry {
                        project: e.project,
                        actions: e.actions,
                        categories: e.categories,
                        environments: e.environments,
                    })
                    .collect(),
            ),
        }
    }
}

/// A token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Token {
    /// Public id.
    pub id: String,
    /// The user it acts for.
    pub username: String,
    /// Free text.
    pub description: String,
    /// What it may do at most.
    pub scope: Scope,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Expiry; `null` never expires.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Last use, to the minute.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<&entities::Token> for Token {
    fn from(t: &entities::Token) -> Self {
        Self {
            id: t.id.clone(),
            username: t.username.as_str().to_owned(),
            description: t.description.as_str().to_owned(),
            scope: Scope::from(&t.scope),
            created_at: utc(t.created_at),
            expires_at: t.expires_at.map(utc),
            last_used_at: t.last_used_at.map(utc),
        }
    }
}

/// The 201 answer that creates a token: the token and, once, its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    /// The token.
    #[serde(flatten)]
    pub token: Token,
    /// The secret, `gate_…`; shown only here.
    #[serde(rename = "token")]
    pub secret: Secret,
}

/// `POST /api/v1/tokens` or `/api/v1/users/{username}/tokens`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Lifetime in seconds (default one year; `0` never expires, where allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Scope (default `applied-permissions/user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
}
