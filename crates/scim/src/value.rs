//! Value coercions for what providers really send: Entra ID writes booleans
//! as strings (`"active": "False"`).

use serde_json::Value;

use crate::error::ScimError;

/// A boolean, or a string spelling one without regard to case.
#[must_use]
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The boolean `attr` holds, if present and not null.
///
/// # Errors
/// `invalidValue` when it is neither a boolean nor a string spelling one.
pub fn opt_bool(v: Option<&Value>, attr: &str) -> Result<Option<bool>, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => as_bool(v)
            .map(Some)
            .ok_or_else(|| ScimError::invalid_value(format!("`{attr}` must be a boolean"))),
    }
}

/// The string `attr` holds, if present, not null and not empty.
///
/// # Errors
/// `invalidValue` when it is not a string.
pub fn opt_string(v: Option<&Value>, attr: &str) -> Result<Option<String>, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::invalid_value(format!("`{attr}` must be a string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn booleans_as_strings() {
        for (v, want) in [
            (json!(true), Some(true)),
            (json!("False"), Some(false)),
            (json!("TRUE"), Some(true)),
            (json!("no"), None),
            (json!(1), None),
        ] {
            assert_eq!(as_bool(&v), want, "{v}");
        }
        assert!(opt_bool(Some(&json!("x")), "active").is_err());
        assert_eq!(opt_bool(None, "active").unwrap(), None);
    }
}
