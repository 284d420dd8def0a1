//! Request bodies of the native API: JSON read through our own extractor
//! so every refusal has the problem+json shape (STYLE §2.6) — 400 for
//! malformed JSON, 422 for a body that is not an object and, naming the
//! field's path, for an unknown, missing or mistyped field; 413 over 1 MiB.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use gatehouse_api::{ErrorCode, Problem};
use gatehouse_domain::FieldError;
use serde::de::DeserializeOwned;

use crate::problem::ApiProblem;

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
        // Syntax first: malformed JSON is 400 whatever its shape.
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|error| ApiProblem::from(Problem::from_json_error(&error)))?;
        // serde reads a struct from an array too; a request is an object.
        if !value.is_object() {
            return Err(FieldError::invalid("", "the body must be a JSON object").into());
        }
        serde_path_to_error::deserialize(value).map(Self).map_err(|error| {
            let path = error.path().to_string();
            ApiProblem::from(Problem::from_json_error_at(&path, error.inner()))
        })
    }
}
