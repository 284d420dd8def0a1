//! The SCIM error schema (RFC 7644 §3.12): `schemas`, `status` as a string,
//! `scimType`, `detail`.

use serde_json::{Value, json};

/// The `scimType` of a 400 or 409 (RFC 7644 §3.12, table 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScimType {
    /// The filter syntax was invalid or the filter cannot be evaluated.
    InvalidFilter,
    /// The filter yields more results than the server will answer.
    TooMany,
    /// A unique attribute's value is already taken.
    Uniqueness,
    /// The request tried to change an immutable or read-only attribute.
    Mutability,
    /// The request body was not valid SCIM.
    InvalidSyntax,
    /// The PATCH path was invalid.
    InvalidPath,
    /// The PATCH path's value filter matched nothing.
    NoTarget,
    /// A required value was missing or a value was of the wrong type.
    InvalidValue,
    /// The `version` given does not match.
    InvalidVers,
    /// The request is refused for a reason the protocol cannot express.
    Sensitive,
}

impl ScimType {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::TooMany => "tooMany",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::InvalidVers => "invalidVers",
            Self::Sensitive => "sensitive",
        }
    }
}

/// One SCIM error answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {detail}")]
pub struct ScimError {
    /// HTTP status.
    pub status: u16,
    /// `scimType`, for the 400s and 409s that have one.
    pub scim_type: Option<ScimType>,
    /// Human-readable detail.
    pub detail: String,
}

impl ScimError {
    /// A 400 with `scim_type`.
    #[must_use]
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self {
            status: 400,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    /// A 400 `invalidFilter`.
    #[must_use]
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidFilter, detail)
    }

    /// A 400 `invalidPath`.
    #[must_use]
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidPath, detail)
    }

    /// A 400 `invalidValue`.
    #[must_use]
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidValue, detail)
    }

    /// A 409 `uniqueness`.
    #[must_use]
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self {
            status: 409,
            scim_type: Some(ScimType::Uniqueness),
            detail: detail.into(),
        }
    }

    /// An error without `scimType` (401, 403, 404, 412, 413, 501, …).
    #[must_use]
    pub fn status(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    /// The wire body.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [crate::ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(obj)) = (self.scim_type, body.as_object_mut()) {
            obj.insert("scimType".to_owned(), Value::String(t.as_str().to_owned()));
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_a_string_and_scim_type_is_named() {
        let body = ScimError::uniqueness("userName `ann` is taken").to_json();
        assert_eq!(body["status"], "409");
        assert_eq!(body["scimType"], "uniqueness");
        assert_eq!(body["schemas"][0], crate::ERROR);
        let body = ScimError::status(404, "no such user").to_json();
        assert!(body.get("scimType").is_none());
    }
}
