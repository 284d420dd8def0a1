//! Environments (SPEC §5.4): the environment shape and its request.

use gatehouse_domain::entities;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::scope_kind::ScopeKind;

/// An environment, always by its full name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Environment {
    /// Full name, e.g. `DEV` or `web-QA`.
    pub name: String,
    /// Global or of one project.
    pub scope: ScopeKind,
    /// The owning project's key; `null` for a global environment.
    pub project: Option<String>,
}

impl From<&entities::Environment> for Environment {
    fn from(e: &entities::Environment) -> Self {
        Self {
            name: e.name.as_str().to_owned(),
            scope: ScopeKind::of(e.project.as_ref()),
            project: e.project.as_ref().map(|p| p.as_str().to_owned()),
        }
    }
}

/// `POST /api/v1/environments` or `/api/v1/projects/{key}/environments`:
/// `NAME` or the full name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnvironment {
    /// `QA` or `web-QA`.
    pub name: String,
}
