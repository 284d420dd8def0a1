//! Reading JFrog request bodies as JFrog does: unknown fields and `null`s
//! are ignored, an empty body is an empty object, and the token endpoint
//! takes `application/x-www-form-urlencoded` as well as JSON, whose values
//! are all text (`refreshable=True`, `expires_in=3600`).

use gatehouse_api::ErrorCode;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde_json::{Map, Value};

use crate::error::Failure;

/// How a body is encoded, from its `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// JSON (also when no type is given, as JFrog's clients often omit it).
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

impl Encoding {
    /// The encoding a `Content-Type` names; anything but a form is read as
    /// JSON.
    #[must_use]
    pub fn of(content_type: Option<&str>) -> Self {
        let essence = content_type
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase());
        if essence.as_deref() == Some("application/x-www-form-urlencoded") {
            Self::Form
        } else {
            Self::Json
        }
    }
}

/// Parses a JSON body leniently: unknown fields and `null`s ignored; an
/// empty body is `{}`.
///
/// # Errors
/// 400 when the body is not JSON or a field has the wrong type.
pub fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(bytes).map_err(|e| Failure::new(ErrorCode::MalformedJson, format!("not JSON: {e}")))?
    };
    serde_json::from_value(value).map_err(|e| Failure::invalid(e.to_string()))
}

/// Parses a body in `encoding` leniently (see [`json`]); a form's fields
/// are read as text, which the lenient scalar readers below accept.
///
/// # Errors
/// 400 when the body cannot be read or a field has the wrong type.
pub fn parse<T: DeserializeOwned>(encoding: Encoding, bytes: &[u8]) -> Result<T, Failure> {
    match encoding {
        Encoding::Json => json(bytes),
        Encoding::Form => {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
                .map_err(|e| Failure::new(ErrorCode::MalformedJson, format!("not a form: {e}")))?;
            let object: Map<String, Value> = pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            serde_json::from_value(Value::Object(object)).map_err(|e| Failure::invalid(e.to_string()))
        }
    }
}

/// An optional boolean given as JSON or as form text (`true`, `True`, `1`).
///
/// # Errors
/// Anything else.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" | "" => Ok(Some(false)),
            _ => Err(D::Error::custom(format!("expected a boolean, got `{s}`"))),
        },
        Some(other) => Err(D::Error::custom(format!("expected a boolean, got {other}"))),
    }
}

/// An optional non-negative integer given as JSON or as form text.
///
/// # Errors
/// Anything else.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected a non-negative integer, got {n}"))),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected a non-negative integer, got `{s}`"))),
        Some(other) => Err(D::Error::custom(format!(
            "expected a non-negative integer, got {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::{Encoding, parse};

    #[derive(Debug, Deserialize, PartialEq)]
    struct Probe {
        name: Option<String>,
        #[serde(default, deserialize_with = "super::opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "super::opt_u64")]
        n: Option<u64>,
        list: Option<Vec<String>>,
    }

    #[test]
    fn bodies_are_read_leniently() {
        for (encoding, raw, want) in [
            (Encoding::Json, "", Some(none_like())),
            (Encoding::Json, "{}", Some(none_like())),
            (
                Encoding::Json,
                r#"{"name": null, "flag": null, "n": null, "list": null}"#,
                Some(none_like()),
            ),
            (
                Encoding::Json,
                r#"{"name": "a", "unknown": {"deep": [1]}, "flag": true, "n": 7, "list": ["x"]}"#,
                Some(Probe {
                    name: Some("a".into()),
                    flag: Some(true),
                    n: Some(7),
                    list: Some(vec!["x".into()]),
                }),
            ),
            (
                Encoding::Form,
                "name=a+b&flag=True&n=3600&grant_type=client_credentials",
                Some(Probe {
                    name: Some("a b".into()),
                    flag: Some(true),
                    n: Some(3600),
                    list: None,
                }),
            ),
            (
                Encoding::Form,
                "flag=false&n=",
                Some(Probe {
                    flag: Some(false),
                    ..none_like()
                }),
            ),
            (Encoding::Json, "{not json", None),
            (Encoding::Json, r#"{"flag": "maybe"}"#, None),
            (Encoding::Json, r#"{"n": -1}"#, None),
            (Encoding::Json, r#"{"name": 3}"#, None),
        ] {
            let got = parse::<Probe>(encoding, raw.as_bytes());
            match want {
                Some(want) => assert_eq!(got.unwrap(), want, "{raw}"),
                None => assert_eq!(got.unwrap_err().status, 400, "{raw}"),
            }
        }
    }

    fn none_like() -> Probe {
        Probe {
            name: None,
            flag: None,
            n: None,
            list: None,
        }
    }

    #[test]
    fn the_encoding_comes_from_the_content_type() {
        for (header, want) in [
            (None, Encoding::Json),
            (Some("application/json"), Encoding::Json),
            (Some("application/x-www-form-urlencoded"), Encoding::Form),
            (Some("Application/X-WWW-Form-Urlencoded; charset=utf-8"), Encoding::Form),
            (Some("text/plain"), Encoding::Json),
        ] {
            assert_eq!(Encoding::of(header), want, "{header:?}");
        }
    }
}
