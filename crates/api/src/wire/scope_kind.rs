//! Whether a role or environment is global or belongs to one project.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `global` or `project`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    /// Usable in every project.
    Global,
    /// Belongs to one project.
    Project,
}

impl ScopeKind {
    /// `Project` when a project is named, else `Global`.
    #[must_use]
    pub const fn of<T>(project: Option<&T>) -> Self {
        if project.is_some() { Self::Project } else { Self::Global }
    }
}
