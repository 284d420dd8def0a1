//! Request strings read in place: a field borrows its text from the body
//! where the JSON string has no escape, and owns a copy where it has one.
//! serde borrows a `Cow<str>` field marked `#[serde(borrow)]` by itself,
//! but not one inside an `Option`: such a field names [`option`].

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// Reads an optional string, borrowed from the input where it can be:
/// `#[serde(default, borrow, deserialize_with = "borrowed::option")]`.
///
/// # Errors
/// The deserializer's, for what is neither a string nor `null`.
pub fn option<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    Option::<Text<'a>>::deserialize(d).map(|text| text.map(|Text(text)| text))
}

/// A string borrowed where the input allows it.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v)))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Holder<'a> {
        #[serde(default, borrow, deserialize_with = "super::option")]
        text: Option<Cow<'a, str>>,
    }

    fn read(json: &str) -> Option<Cow<'_, str>> {
        serde_json::from_str::<Holder<'_>>(json).unwrap().text
    }

    #[test]
    fn plain_text_is_borrowed_and_escaped_text_owned() {
        assert!(matches!(read(r#"{"text": "web"}"#), Some(Cow::Borrowed("web"))));
        assert!(matches!(read(r#"{"text": "w\u0065b"}"#), Some(Cow::Owned(t)) if t == "web"));
        assert!(read(r#"{"text": null}"#).is_none());
        assert!(read("{}").is_none());
        assert!(serde_json::from_str::<Holder<'_>>(r#"{"text": 1}"#).is_err());
        // Read from an owned value, the text is copied.
        let value = serde_json::json!({"text": "web"});
        let holder = Holder::deserialize(&value).unwrap();
        assert_eq!(holder.text.as_deref(), Some("web"));
    }
}
