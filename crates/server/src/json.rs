//! Request bodies of the native API: JSON read through our own extractor
//! so every refusal has the problem+json shape (STYLE §2.6) — 400 for
//! malformed JSON, 422 for a body that is not an object and, naming the
//! field's path, for an unknown, missing or mistyped field; 413 over 1 MiB.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use gatehouse_api::{ErrorCode, Problem};
use gatehouse_domain::FieldError;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::problem::ApiProblem;
use crate::strict_json::Strict;

/// The largest request body (SPEC §7).
pub const MAX_BODY: usize = 1024 * 1024;

/// A JSON body of type `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiProblem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiProblem::new(ErrorCode::PayloadTooLarge, "the body is over 1 MiB")
            } else {
                ApiProblem::new(ErrorCode::MalformedJson, format!("cannot read the body: {rejection}"))
            }
        })?;
        // The fast path: straight from the bytes, structs from objects only.
        let mut reader = serde_json::Deserializer::from_slice(&bytes);
        if let Ok(parsed) = T::deserialize(Strict(&mut reader))
            && reader.end().is_ok()
        {
            return Ok(Self(parsed));
        }
        Err(refusal::<T>(&bytes))
    }
}

/// Why `bytes` is not a `T`, as precisely as can be said: malformed JSON
/// (400) before anything else, then a body that is not an object, then the
/// first bad field with its path (422).
fn refusal<T: DeserializeOwned>(bytes: &[u8]) -> ApiProblem {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(error) => return ApiProblem::from(Problem::from_json_error(&error)),
    };
    if !value.is_object() {
        return FieldError::invalid("", "the body must be a JSON object").into();
    }
    match serde_path_to_error::deserialize::<_, T>(Strict(value)) {
        Ok(_) => ApiProblem::internal("a body refused once was read the second time", &"json"),
        Err(error) => {
            let path = error.path().to_string();
            ApiProblem::from(Problem::from_json_error_at(&path, error.inner()))
        }
    }
}
