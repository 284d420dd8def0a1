//! Request bodies of the native API: JSON read through our own extractor
//! so every refusal has the problem+json shape (STYLE §2.6) — 400 for
//! malformed JSON, 422 for a body that is not an object and, naming the
//! field's path, for an unknown, missing or mistyped field; 413 over 1 MiB.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use gatehouse_api::{ErrorCode, Problem};
use gatehouse_domain::FieldError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::problem::ApiProblem;

/// The largest request body (SPEC §7).
pub const MAX_BODY: usize = 1024 * 1024;

/// A JSON body of type `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + Serialize, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiProblem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiProblem::new(ErrorCode::PayloadTooLarge, "the body is over 1 MiB")
            } else {
                ApiProblem::new(ErrorCode::MalformedJson, format!("cannot read the body: {rejection}"))
            }
        })?;
        // Syntax first: malformed JSON is 400 whatever its shape.
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|error| ApiProblem::from(Problem::from_json_error(&error)))?;
        // serde reads a struct from an array too; a request is an object.
        if !value.is_object() {
            return Err(FieldError::invalid("", "the body must be a JSON object").into());
        }
        let parsed: T = serde_path_to_error::deserialize(value.clone()).map_err(|error| {
            let path = error.path().to_string();
            ApiProblem::from(Problem::from_json_error_at(&path, error.inner()))
        })?;
        // serde also reads a nested struct from an array, field by field:
        // find an array where the parsed request holds an object.
        let shape = serde_json::to_value(&parsed).map_err(|e| ApiProblem::internal("cannot re-read a request", &e))?;
        if let Some(path) = positional_object(&value, &shape, String::new()) {
            return Err(FieldError::invalid(&path, "must be a JSON object, not an array").into());
        }
        Ok(Self(parsed))
    }
}

/// The path of the first place `sent` has an array where `parsed` (the
/// request read and written back) has an object.
fn positional_object(sent: &Value, parsed: &Value, path: String) -> Option<String> {
    match (sent, parsed) {
        (Value::Array(_), Value::Object(_)) => Some(path),
        (Value::Object(sent), Value::Object(parsed)) => sent.iter().find_map(|(key, value)| {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            parsed.get(key).and_then(|p| positional_object(value, p, at))
        }),
        (Value::Array(sent), Value::Array(parsed)) => sent
            .iter()
            .zip(parsed)
            .enumerate()
            .find_map(|(i, (s, p))| positional_object(s, p, format!("{path}[{i}]"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::positional_object;

    #[test]
    fn arrays_standing_for_objects_are_found_with_their_path() {
        let parsed = json!({"a": {"x": 1}, "list": [{"y": 2}], "plain": [1, 2]});
        assert_eq!(
            positional_object(&json!({"a": [1]}), &parsed, String::new()),
            Some("a".into())
        );
        assert_eq!(
            positional_object(&json!({"list": [[2]]}), &parsed, String::new()),
            Some("list[0]".into())
        );
        assert_eq!(
            positional_object(&json!({"plain": [1, 2], "a": {"x": 1}}), &parsed, String::new()),
            None
        );
    }
}
