//! Resources (SPEC §5.6): what a project registers so a check may name a
//! resource instead of a project and an environment.

use gatehouse_domain::entities;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::time_format::utc;

/// A registered resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Resource {
    /// Resource type, e.g. `repository`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Its name, unique per type across the instance.
    pub name: String,
    /// The project it belongs to.
    pub project: String,
    /// Its environment (full name); `null` for a type that is not
    /// environment-scoped.
    pub environment: Option<String>,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&entities::Resource> for Resource {
    fn from(r: &entities::Resource) -> Self {
        Self {
            resource_type: r.resource_type.clone(),
            name: r.name.as_str().to_owned(),
            project: r.project.as_str().to_owned(),
            environment: r.environment.as_ref().map(|e| e.as_str().to_owned()),
            created_at: utc(r.created_at),
        }
    }
}

/// `POST /api/v1/projects/{key}/resources`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResource {
    /// Resource type, e.g. `repository`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Its name.
    pub name: String,
    /// Required for environment-scoped types: a global environment, the
    /// project's `NAME`, or its full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}
