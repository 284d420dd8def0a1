//! Attribute paths (RFC 7644 §3.10) and PATCH paths (§3.5.2):
//! `[URN ":"] attrName ["." subAttr]`, and `attrPath "[" valFilter "]"
//! ["." subAttr]`. Attribute names compare without regard to case.

use std::fmt;

use winnow::ModalResult;
use winnow::error::{ErrMode, ParserError};
use winnow::prelude::*;
use winnow::token::take_while;

use crate::error::ScimError;
use crate::filter::{self, Filter};

/// An attribute path: an optional schema URN, a name and an optional
/// sub-attribute. Names keep the client's spelling; compare them with
/// [`AttrPath::is`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    /// Schema URN prefix (`urn:ietf:params:scim:schemas:core:2.0:User`).
    pub urn: Option<String>,
    /// Attribute name.
    pub name: String,
    /// Sub-attribute name.
    pub sub: Option<String>,
}

impl AttrPath {
    /// A path without URN.
    #[must_use]
    pub fn new(name: &str, sub: Option<&str>) -> Self {
        Self {
            urn: None,
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        }
    }

    /// Whether this path names `name` (and `sub`), without regard to case.
    #[must_use]
    pub fn is(&self, name: &str, sub: Option<&str>) -> bool {
        self.name.eq_ignore_ascii_case(name)
            && match (&self.sub, sub) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    }

    /// Whether the URN, if any, is `schema` (the resource's core schema):
    /// such a path means the same as the bare name. A path with another URN
    /// names an extension attribute.
    #[must_use]
    pub fn in_schema(&self, schema: &str) -> bool {
        self.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(schema))
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// The target of a PATCH operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchPath {
    /// The attribute (its `sub` is the sub-attribute of a plain path).
    pub attr: AttrPath,
    /// For `attr[filter]`: the value filter selecting elements.
    pub filter: Option<Filter>,
    /// For `attr[filter].sub`: the sub-attribute of the selected elements.
    pub sub: Option<String>,
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '$'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '$'
}

fn is_attr_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// Splits a path token (`urn:…:name.sub`) into an [`AttrPath`].
fn split_token(token: &str) -> Option<AttrPath> {
    let (urn, rest) = match token.rfind(':') {
        Some(at) => {
            let urn = &token[..at];
            if !urn.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
                return None;
            }
            (Some(urn.to_owned()), &token[at + 1..])
        }
        None => (None, token),
    };
    let mut parts = rest.split('.');
    let name = parts.next().filter(|n| is_attr_name(n))?;
    let sub = match parts.next() {
        Some(s) if is_attr_name(s) => Some(s.to_owned()),
        Some(_) => return None,
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(AttrPath {
        urn,
        name: name.to_owned(),
        sub,
    })
}

/// Parses an attribute path at the start of `input`.
pub(crate) fn attr_path(input: &mut &str) -> ModalResult<AttrPath> {
    let start = *input;
    let token = take_while(1.., |c: char| is_name_char(c) || c == ':' || c == '.').parse_next(input)?;
    split_token(token).ok_or_else(|| ErrMode::from_input(&start))
}

/// Parses `.sub` after a value filter.
fn sub_attr(input: &mut &str) -> ModalResult<String> {
    '.'.parse_next(input)?;
    let name = take_while(1.., is_name_char).parse_next(input)?;
    if is_attr_name(name) {
        Ok(name.to_owned())
    } else {
        Err(ErrMode::from_input(input))
    }
}

fn patch_path(input: &mut &str) -> ModalResult<PatchPath> {
    let attr = attr_path.parse_next(input)?;
    if !input.starts_with('[') {
        return Ok(PatchPath {
            attr,
            filter: None,
            sub: None,
        });
    }
    if attr.sub.is_some() {
        return Err(ErrMode::from_input(input));
    }
    let inner = filter::value_filter.parse_next(input)?;
    let sub = if input.starts_with('.') {
        Some(sub_attr.parse_next(input)?)
    } else {
        None
    };
    Ok(PatchPath {
        attr,
        filter: Some(inner),
        sub,
    })
}

/// Parses a PATCH `path`; a rejected path is a 400 `invalidPath`.
///
/// # Errors
/// `invalidPath` when `text` is not a path of RFC 7644 §3.5.2.
pub fn parse_path(text: &str) -> Result<PatchPath, ScimError> {
    if text.len() > filter::MAX_FILTER_LEN {
        return Err(ScimError::invalid_path("the path is too long"));
    }
    filter::check_nesting(text).map_err(|()| ScimError::invalid_path(format!("path `{text}` nests too deeply")))?;
    patch_path
        .parse(text.trim())
        .map_err(|_| ScimError::invalid_path(format!("`{text}` is not a valid attribute path")))
}

/// Parses a bare attribute path (no value filter), as in `attributes=` or a
/// dotted key of a PATCH value.
///
/// # Errors
/// `invalidPath` when `text` is not an attribute path.
pub fn parse_attr_path(text: &str) -> Result<AttrPath, ScimError> {
    split_token(text.trim()).ok_or_else(|| ScimError::invalid_path(format!("`{text}` is not a valid attribute path")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{CompValue, CompareOp};

    #[test]
    fn paths() {
        let p = parse_path("name.givenName").unwrap();
        assert!(p.attr.is("name", Some("givenname")) && p.filter.is_none());
        let p = parse_path("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName").unwrap();
        assert_eq!(p.attr.urn.as_deref(), Some(crate::USER_SCHEMA));
        assert!(p.attr.in_schema(crate::USER_SCHEMA) && p.attr.is("name", Some("familyName")));
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert!(p.attr.is("emails", None));
        assert_eq!(p.sub.as_deref(), Some("value"));
        assert_eq!(
            p.filter,
            Some(Filter::Compare(
                AttrPath::new("type", None),
                CompareOp::Eq,
                CompValue::String("work".into())
            ))
        );
        let p = parse_path(r#"members[value eq "2819c223"]"#).unwrap();
        assert!(p.attr.is("members", None) && p.sub.is_none());
        let p = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").unwrap();
        assert!(!p.attr.in_schema(crate::USER_SCHEMA));
        assert!(p.attr.is("department", None));
    }

    #[test]
    fn rejected_paths_are_invalid_path() {
        for bad in [
            "",
            "1abc",
            "a.b.c",
            "emails[",
            "emails[type eq]",
            r#"emails[type eq "w"]x"#,
            r#"name.givenName[type eq "w"]"#,
            "foo:bar",
            "emails[]",
            "a b",
        ] {
            let e = parse_path(bad).unwrap_err();
            assert_eq!(e.scim_type, Some(crate::ScimType::InvalidPath), "{bad}");
        }
    }
}
