//! Request bodies of the native API: JSON read through our own extractor
//! so every refusal has the problem+json shape (STYLE §2.6) — 415 for a
//! body that is not declared JSON, 413 over 1 MiB, 400 for malformed JSON
//! (a key named twice in one object included: SPEC §7), 422 for a body that
//! is not an object and, naming the field's path, for an unknown, missing
//! or mistyped field. No body is answered with a 5xx.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use gatehouse_api::{self as api, ErrorCode, Problem};
use gatehouse_domain::FieldError;
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
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
        let bytes = body_bytes(request, state).await?;
        read(&bytes).map(Self)
    }
}

/// A JSON body kept as its bytes, for a request type whose strings borrow
/// from them (the checks: a batch holds up to 4,000 strings).
#[derive(Debug)]
pub struct JsonBytes(Bytes);

impl JsonBytes {
    /// Reads a `T` made of structs that deny unknown fields all the way
    /// down (no map, no `serde_json::Value`, no `flatten`): serde's derive
    /// refuses a key named twice in those, so the body is read in one pass,
    /// and again the precise way ([`read`]) only when it is refused.
    ///
    /// # Errors
    /// As [`read`].
    pub fn read_struct<'a, T: Deserialize<'a>>(&'a self) -> Result<T, ApiProblem> {
        read_struct(&self.0)
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiProblem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        body_bytes(request, state).await.map(Self)
    }
}

/// A body declared JSON, at most [`MAX_BODY`].
async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiProblem> {
    declared_json(request.headers())?;
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiProblem::new(ErrorCode::PayloadTooLarge, "the body is over 1 MiB")
        } else {
            ApiProblem::new(ErrorCode::MalformedJson, format!("cannot read the body: {rejection}"))
        }
    })
}

/// Refuses a request whose `Content-Type` is not `application/json` or
/// `application/…+json` (parameters such as `charset` aside).
///
/// # Errors
/// 415 `unsupported_media_type`.
pub fn declared_json(headers: &HeaderMap) -> Result<(), ApiProblem> {
    let declared = headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("?"));
    let essence = declared
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let json = essence.as_deref().is_some_and(|e| {
        e == "application/json"
            || e.strip_prefix("application/")
                .and_then(|sub| sub.strip_suffix("+json"))
                .is_some_and(|sub| !sub.is_empty() && !sub.contains('/'))
    });
    if json {
        return Ok(());
    }
    let detail = match declared {
        None => "the body must be sent as `Content-Type: application/json`".to_owned(),
        Some(declared) => format!("the body is `{declared}`; send it as `application/json`"),
    };
    Err(ApiProblem::new(ErrorCode::UnsupportedMediaType, detail))
}

/// Reads a `T` from a body's bytes, or says why not.
///
/// # Errors
/// As [`JsonBody`]: 400 for what is not JSON (or names a key twice), 422
/// for JSON that is not a `T`.
pub fn read<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiProblem> {
    // One pass for the syntax and the keys named twice, which serde would
    // read as "the last one wins" in a map or a `Value`.
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    if let Err(error) = NoDuplicates.deserialize(&mut reader).and_then(|()| reader.end()) {
        return Err(malformed(&error));
    }
    // Straight from the bytes, structs from objects only.
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    if let Ok(parsed) = T::deserialize(Strict(&mut reader))
        && reader.end().is_ok()
    {
        return Ok(parsed);
    }
    Err(refusal::<T>(bytes))
}

/// Reads a `T` in one pass where serde's derive refuses a key named twice
/// ([`JsonBytes::read_struct`]); a refused body is read again by [`read`],
/// so every refusal is [`read`]'s.
fn read_struct<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiProblem> {
    // UTF-8 checked once for the whole body: read from bytes, serde_json
    // checks each string and key alone, a fifth of a batch's reading.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return read(bytes);
    };
    let mut reader = serde_json::Deserializer::from_str(text);
    match T::deserialize(Strict(&mut reader)) {
        Ok(parsed) if reader.end().is_ok() => Ok(parsed),
        _ => read(bytes),
    }
}

/// The 400 for JSON that cannot be read; a key named twice is a data error
/// for serde, a syntax error for us.
fn malformed(error: &serde_json::Error) -> ApiProblem {
    if error.is_data() {
        ApiProblem::new(ErrorCode::MalformedJson, format!("malformed JSON: {error}"))
    } else {
        ApiProblem::from(Problem::from_json_error(error))
    }
}

/// Why `bytes`, which is JSON with no key named twice, is not a `T`, as
/// precisely as can be said: a body that is not an object, then the first
/// bad field with its path (422).
fn refusal<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> ApiProblem {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(error) => return malformed(&error),
    };
    if !value.is_object() {
        return FieldError::invalid("", "the body must be a JSON object").into();
    }
    match serde_path_to_error::deserialize::<_, T>(Strict(value)) {
        Ok(_) => {
            // Read from a `Value` but not from the bytes: nothing a client
            // can fix by reading the detail, and still not our failure.
            tracing::warn!("a body refused from its bytes was read from its JSON value");
            ApiProblem::new(ErrorCode::MalformedJson, "the body cannot be read")
        }
        Err(error) => {
            let path = error.path().to_string();
            ApiProblem::from(Problem::from_json_error_at(&path, error.inner()))
        }
    }
}

/// Walks a JSON document and refuses an object that names a key twice.
struct NoDuplicates;

/// An object's keys seen so far: a list while short, a set after.
enum Seen<'de> {
    Few(Vec<Cow<'de, str>>),
    Many(HashSet<Cow<'de, str>>),
}

impl<'de> Seen<'de> {
    const FEW: usize = 16;

    /// Adds `key`; `false` when it was there already.
    fn insert(&mut self, key: Cow<'de, str>) -> bool {
        match self {
            Self::Few(keys) if keys.contains(&key) => false,
            Self::Few(keys) if keys.len() < Self::FEW => {
                keys.push(key);
                true
            }
            Self::Few(keys) => {
                let mut set: HashSet<_> = keys.drain(..).collect();
                set.insert(key);
                *self = Self::Many(set);
                true
            }
            Self::Many(set) => set.insert(key),
        }
    }
}

/// An object key, borrowed from the body where it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

impl<'de> DeserializeSeed<'de> for NoDuplicates {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NoDuplicates {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(NoDuplicates)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = Seen::Few(Vec::new());
        while let Some(key) = map.next_key_seed(Key)? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!(
                    "the key `{key}` is named twice in one object"
                )));
            }
            map.next_value_seed(NoDuplicates)?;
        }
        Ok(())
    }
}

/// Reads `bytes` as a `T` and forgets it: what a write route's extractor
/// does before its handler runs.
fn read_only<T: DeserializeOwned>(bytes: &[u8]) -> Result<(), ApiProblem> {
    read::<T>(bytes).map(drop)
}

/// Reads a check as its route does, and forgets it.
fn read_check(bytes: &[u8]) -> Result<(), ApiProblem> {
    read_struct::<api::CheckRequest<'_>>(bytes).map(drop)
}

/// Reads a batch of checks as its route does, and forgets it.
fn read_batch(bytes: &[u8]) -> Result<(), ApiProblem> {
    read_struct::<api::BatchRequest<'_>>(bytes).map(drop)
}

/// Reads bytes as one request body type, keeping only the refusal.
pub type ReadBody = fn(&[u8]) -> Result<(), ApiProblem>;

/// Every request body a native write route reads, by its OpenAPI schema
/// name: the list that the property tests, the fuzz target `json_bodies`
/// (`fuzz/`) and the fuzz corpus replay feed arbitrary input. A test checks
/// it against the OpenAPI document's request bodies.
pub const WRITE_BODIES: &[(&str, ReadBody)] = &[
    ("Document", read_only::<api::Document>),
    ("AcceptInvitation", read_only::<api::AcceptInvitation>),
    ("BatchRequest", read_batch),
    ("CheckRequest", read_check),
    ("CreateEnvironment", read_only::<api::CreateEnvironment>),
    ("CreateGroup", read_only::<api::CreateGroup>),
    ("CreateInvitation", read_only::<api::CreateInvitation>),
    ("CreateProject", read_only::<api::CreateProject>),
    ("CreateResource", read_only::<api::CreateResource>),
    ("CreateRole", read_only::<api::CreateRole>),
    ("CreateToken", read_only::<api::CreateToken>),
    ("CreateUser", read_only::<api::CreateUser>),
    ("LinkOidc", read_only::<api::LinkOidc>),
    ("Login", read_only::<api::Login>),
    ("OidcTokenRequest", read_only::<api::OidcTokenRequest>),
    ("PatchGroup", read_only::<api::PatchGroup>),
    ("PatchGroupMembers", read_only::<api::PatchGroupMembers>),
    ("PatchProject", read_only::<api::PatchProject>),
    ("PatchRole", read_only::<api::PatchRole>),
    ("PatchUser", read_only::<api::PatchUser>),
    ("PutSettings", read_only::<api::PutSettings>),
    ("RequestPasswordReset", read_only::<api::RequestPasswordReset>),
    ("ResetPassword", read_only::<api::ResetPassword>),
    ("SetPassword", read_only::<api::SetPassword>),
    ("SetRoles", read_only::<api::SetRoles>),
    ("TokenRequest", read_only::<api::TokenRequest>),
];

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "read only to be refused")]
    struct Mapped {
        #[serde(default)]
        map: std::collections::BTreeMap<String, Value>,
        #[serde(default)]
        any: Option<Value>,
    }

    fn code<T: DeserializeOwned + fmt::Debug>(text: &str) -> Option<String> {
        read::<T>(text.as_bytes()).err().map(|p| p.code().as_str().to_owned())
    }

    #[test]
    fn a_key_named_twice_is_malformed_at_every_depth() {
        for text in [
            r#"{"email": "a@x", "email": "b@x"}"#,
            r#"{"map": {"a": 1, "a": 2}}"#,
            r#"{"any": [{"k": 1, "k": 1}]}"#,
            r#"{"map": {"a": {"b": {"c": 1, "c": 2}}}}"#,
            r#"{"map": {"\u0061": 1, "a": 2}}"#,
        ] {
            assert_eq!(code::<Mapped>(text).as_deref(), Some("malformed_json"), "{text}");
        }
        let many = (0..40).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>().join(",");
        assert!(read::<Mapped>(format!(r#"{{"map": {{{many}}}}}"#).as_bytes()).is_ok());
        let twice = format!(r#"{{"map": {{{many}, "k39": 0}}}}"#);
        assert_eq!(code::<Mapped>(&twice).as_deref(), Some("malformed_json"));
        assert_eq!(
            code::<api::CreateUser>(r#"{"email": "a@x", "email": "b@x"}"#).as_deref(),
            Some("malformed_json")
        );
    }

    #[test]
    fn a_check_or_batch_read_in_one_pass_refuses_a_key_named_twice_at_every_depth() {
        let check = |text: &str| read_struct::<api::CheckRequest<'_>>(text.as_bytes()).map(drop);
        let batch = |text: &str| read_struct::<api::BatchRequest<'_>>(text.as_bytes()).map(drop);
        let malformed = |read: Result<(), ApiProblem>| read.err().map(|p| p.code());
        let one = r#"{"action": "a", "project": "web"}"#;
        assert!(check(one).is_ok());
        assert!(batch(&format!(r#"{{"checks": [{one}, {one}]}}"#)).is_ok());
        for text in [
            r#"{"action": "a", "project": "web", "project": "ops"}"#,
            r#"{"action": "a", "\u0061ction": "b", "project": "web"}"#,
            r#"{"action": "a", "resource": {"type": "t", "name": "n", "name": "m"}}"#,
            r#"{"action": "a", "project": "web", "explain": true, "explain": false}"#,
        ] {
            assert_eq!(malformed(check(text)), Some(ErrorCode::MalformedJson), "{text}");
            let in_batch = format!(r#"{{"checks": [{one}, {text}]}}"#);
            assert_eq!(
                malformed(batch(&in_batch)),
                Some(ErrorCode::MalformedJson),
                "{in_batch}"
            );
        }
        let twice = format!(r#"{{"checks": [{one}], "checks": [{one}]}}"#);
        assert_eq!(malformed(batch(&twice)), Some(ErrorCode::MalformedJson));
        // Bytes that are not UTF-8 get the two-pass reader's refusal.
        let invalid = b"{\"action\": \"a\xff\", \"project\": \"web\"}";
        let detail = |read: Result<(), ApiProblem>| read.err().map(|p| (p.code(), p.problem.detail));
        let once = detail(read_struct::<api::CheckRequest<'_>>(invalid).map(drop));
        assert_eq!(once, detail(read::<api::CheckRequest<'_>>(invalid).map(drop)));
        assert_eq!(once.map(|(code, _)| code), Some(ErrorCode::MalformedJson));
    }

    #[test]
    fn only_json_media_types_are_read() {
        let with = |ct: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(ct) = ct {
                headers.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            }
            declared_json(&headers).map_err(|p| p.code())
        };
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert_eq!(with(Some(ok)), Ok(()), "{ok}");
        }
        for bad in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("text/json"),
            Some("application/+json"),
            Some(""),
        ] {
            assert_eq!(with(bad), Err(ErrorCode::UnsupportedMediaType), "{bad:?}");
        }
    }

    /// Arbitrary JSON text: nesting, keys that repeat, huge and odd
    /// numbers, escapes (lone surrogates among them).
    fn json_text() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("email".to_owned()),
            Just("name".to_owned()),
            Just("scope".to_owned()),
            Just("checks".to_owned()),
            "[a-z_]{1,8}",
            Just("\\ud800".to_owned()),
            Just("\\u0065mail".to_owned()),
        ];
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("1e999".to_owned()),
            Just("-1e-999".to_owned()),
            Just("18446744073709551616".to_owned()),
            Just("-9223372036854775809".to_owned()),
            Just("123456789012345678901234567890".to_owned()),
            Just("0.5".to_owned()),
            Just("\"\\udc00\"".to_owned()),
            Just("\"\\ud800\\u0041\"".to_owned()),
            Just("\"a@x\"".to_owned()),
            Just("\"applied-permissions/user\"".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            "\"[ -~]{0,12}\"",
        ];
        leaf.prop_recursive(6, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((key.clone(), inner), 0..6).prop_map(|pairs| {
                    let body: Vec<_> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    /// Check-shaped JSON: the check's own keys, each perhaps twice, with
    /// values of every kind, escapes included.
    fn check_text() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("action"),
            Just("project"),
            Just("environment"),
            Just("user"),
            Just("explain"),
            Just("min_revision"),
            Just("resource"),
            Just("\\u0061ction"),
            Just("other"),
        ];
        let value = prop_oneof![
            Just("\"web\"".to_owned()),
            Just("\"w\\u0065b\"".to_owned()),
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("7".to_owned()),
            Just("-1".to_owned()),
            Just(r#"{"type": "t", "name": "n"}"#.to_owned()),
            Just(r#"{"type": "t", "type": "u", "name": "n"}"#.to_owned()),
            Just(r#"["t", "n"]"#.to_owned()),
            json_text(),
        ];
        prop::collection::vec((key, value), 0..7).prop_map(|pairs| {
            let body: Vec<_> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", body.join(","))
        })
    }

    fn refused_as_the_client_s_fault(name: &str, read: Result<(), ApiProblem>) -> Result<(), TestCaseError> {
        if let Err(problem) = read {
            let status = problem.code().status();
            prop_assert!((400..500).contains(&status), "{name}: status {status}");
            prop_assert!(
                problem.problem.detail != "the body cannot be read",
                "{name}: the two readings disagree"
            );
        }
        Ok(())
    }

    /// Every request body type a write route reads, and one with maps.
    fn every_body(bytes: &[u8]) -> Result<(), TestCaseError> {
        for (name, read_body) in WRITE_BODIES {
            refused_as_the_client_s_fault(name, read_body(bytes))?;
        }
        refused_as_the_client_s_fault("Mapped", read::<Mapped>(bytes).map(drop))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_are_never_our_fault(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            every_body(&bytes)?;
        }

        #[test]
        fn arbitrary_json_is_never_our_fault(text in json_text()) {
            every_body(text.as_bytes())?;
        }

        /// The one-pass reading of the checks answers what the two-pass
        /// one does, refusals word for word.
        #[test]
        fn checks_read_in_one_pass_as_in_two(text in check_text()) {
            let bytes = text.as_bytes();
            let detail = |read: Result<(), ApiProblem>| read.err().map(|p| (p.code(), p.problem.detail, p.problem.errors));
            prop_assert_eq!(
                detail(read_struct::<api::CheckRequest<'_>>(bytes).map(drop)),
                detail(read::<api::CheckRequest<'_>>(bytes).map(drop))
            );
            let batch = format!(r#"{{"checks": [{text}, {text}]}}"#);
            prop_assert_eq!(
                detail(read_struct::<api::BatchRequest<'_>>(batch.as_bytes()).map(drop)),
                detail(read::<api::BatchRequest<'_>>(batch.as_bytes()).map(drop))
            );
        }
    }
}
