//! Errors of catalogue loading, each naming the file, the line and the field.

use std::fmt;

/// A catalogue file that cannot be used, and where the problem is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: `{field}`: {kind}")]
pub struct CatalogueError {
    /// The file as the caller named it.
    pub file: String,
    /// 1-based line of the offending value.
    pub line: usize,
    /// Path of the offending field, e.g. `resource_types[1].actions[0].id`.
    pub field: String,
    /// What is wrong.
    pub kind: CatalogueErrorKind,
}

/// What is wrong with a catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatalogueErrorKind {
    /// Not TOML, or not the catalogue's shape (unknown or missing field, wrong type).
    Syntax(String),
    /// An identifier that does not match its pattern.
    InvalidId(String),
    /// A resource type id used twice.
    DuplicateResourceType(String),
    /// `project` is reserved for the project-management actions.
    ReservedResourceType(String),
    /// A resource type without actions.
    NoActions,
    /// An action id used twice within a type.
    DuplicateAction(String),
    /// A JFrog wire name used twice.
    DuplicateWireName(String),
    /// More than 128 actions in all.
    TooManyActions(usize),
    /// A category or role names an action the catalogue lacks.
    UnknownAction(String),
    /// A category id used twice.
    DuplicateCategory(String),
    /// A category without actions.
    EmptyCategory,
    /// A role names a category the catalogue lacks.
    UnknownCategory(String),
    /// A role name used twice.
    DuplicateRole(String),
    /// A predefined role without categories.
    EmptyRole,
    /// A predefined role names an environment other than `DEV` or `PROD`.
    UnknownEnvironment(String),
}

impl fmt::Display for CatalogueErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(message) => write!(f, "{message}"),
            Self::InvalidId(id) => write!(
                f,
                "`{id}` is not a valid identifier (lowercase letters, digits and `_`, starting with a letter)"
            ),
            Self::DuplicateResourceType(id) => write!(f, "resource type `{id}` is defined twice"),
            Self::ReservedResourceType(id) => {
                write!(f, "resource type `{id}` is reserved for the project-management actions")
            }
            Self::NoActions => write!(f, "a resource type needs at least one action"),
            Self::DuplicateAction(id) => write!(f, "action `{id}` is defined twice"),
            Self::DuplicateWireName(name) => write!(f, "wire name `{name}` is used twice"),
            Self::TooManyActions(n) => write!(f, "{n} actions in all; a catalogue holds at most 128"),
            Self::UnknownAction(id) => write!(f, "unknown action `{id}`"),
            Self::DuplicateCategory(id) => write!(f, "category `{id}` is defined twice"),
            Self::EmptyCategory => write!(f, "a category needs at least one action"),
            Self::UnknownCategory(id) => write!(f, "unknown category `{id}`"),
            Self::DuplicateRole(name) => write!(f, "role `{name}` is defined twice"),
            Self::EmptyRole => write!(f, "a predefined role needs at least one category"),
            Self::UnknownEnvironment(name) => write!(
                f,
                "unknown environment `{name}`; predefined roles may name only `DEV` and `PROD`"
            ),
        }
    }
}
