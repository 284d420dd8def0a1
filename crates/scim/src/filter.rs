//! The filter grammar of RFC 7644 §3.4.2.2, parsed by `winnow` into
//! [`Filter`], and its evaluation against a resource document.
//!
//! Precedence: `not (…)` and grouping bind tightest, then `and`, then `or`.
//! Operators, keywords and attribute names are case-insensitive; string
//! comparisons are too, except on `caseExact` attributes (`id`,
//! `externalId`, `meta.version`).

use std::cmp::Ordering;

use serde_json::{Number, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use winnow::ModalResult;
use winnow::ascii::{Caseless, multispace0, multispace1};
use winnow::combinator::{alt, opt};
use winnow::error::{ErrMode, ParserError};
use winnow::prelude::*;
use winnow::token::take_while;

use crate::error::ScimError;
use crate::path::{AttrPath, attr_path};

/// The deepest nesting of parentheses and brackets a filter may have.
pub const MAX_NESTING: usize = 32;
/// The longest filter accepted, in bytes (keeps evaluation's recursion
/// over `and`/`or` chains shallow).
pub const MAX_FILTER_LEN: usize = 4096;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `co` (contains)
    Co,
    /// `sw` (starts with)
    Sw,
    /// `ew` (ends with)
    Ew,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

/// A literal on the right of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompValue {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A JSON number.
    Number(Number),
    /// A JSON string.
    String(String),
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// `attr op value`
    Compare(AttrPath, CompareOp, CompValue),
    /// `attr pr`
    Present(AttrPath),
    /// `a and b`
    And(Box<Filter>, Box<Filter>),
    /// `a or b`
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`
    Not(Box<Filter>),
    /// `attr[filter]`: some element of multi-valued `attr` matches the
    /// inner filter, whose paths are relative to the element.
    ValuePath(AttrPath, Box<Filter>),
}

/// Rejects a text nesting parentheses or brackets deeper than
/// [`MAX_NESTING`] (outside string literals), so that parsing is bounded.
pub(crate) fn check_nesting(text: &str) -> Result<(), ()> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(());
                }
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses a filter; a rejected filter is a 400 `invalidFilter`.
///
/// # Errors
/// `invalidFilter` when `text` is not a filter of RFC 7644 §3.4.2.2.
pub fn parse_filter(text: &str) -> Result<Filter, ScimError> {
    if text.len() > MAX_FILTER_LEN {
        return Err(ScimError::invalid_filter(format!(
            "a filter has at most {MAX_FILTER_LEN} bytes"
        )));
    }
    check_nesting(text).map_err(|()| ScimError::invalid_filter("the filter nests too deeply"))?;
    delimited_ws(or_expr)
        .parse(text)
        .map_err(|e| ScimError::invalid_filter(format!("`{text}` is not a valid filter (at offset {})", e.offset())))
}

fn delimited_ws<'i, O>(
    mut inner: impl Parser<&'i str, O, ErrMode<winnow::error::ContextError>>,
) -> impl Parser<&'i str, O, ErrMode<winnow::error::ContextError>> {
    move |input: &mut &'i str| {
        multispace0.parse_next(input)?;
        let out = inner.parse_next(input)?;
        multispace0.parse_next(input)?;
        Ok(out)
    }
}

/// A keyword (`and`, `or`) between spaces, not followed by a name character.
fn keyword<'i>(word: &'static str) -> impl Parser<&'i str, (), ErrMode<winnow::error::ContextError>> {
    move |input: &mut &'i str| {
        multispace1.parse_next(input)?;
        Caseless(word).parse_next(input)?;
        multispace1.parse_next(input)?;
        Ok(())
    }
}

fn or_expr(input: &mut &str) -> ModalResult<Filter> {
    let mut left = and_expr.parse_next(input)?;
    while let Some(right) = opt(winnow::combinator::preceded(keyword("or"), and_expr)).parse_next(input)? {
        left = Filter::Or(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn and_expr(input: &mut &str) -> ModalResult<Filter> {
    let mut left = unary.parse_next(input)?;
    while let Some(right) = opt(winnow::combinator::preceded(keyword("and"), unary)).parse_next(input)? {
        left = Filter::And(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn group(input: &mut &str) -> ModalResult<Filter> {
    '('.parse_next(input)?;
    let inner = delimited_ws(or_expr).parse_next(input)?;
    ')'.parse_next(input)?;
    Ok(inner)
}

fn unary(input: &mut &str) -> ModalResult<Filter> {
    alt((
        (Caseless("not"), multispace0, group).map(|(_, _, f)| Filter::Not(Box::new(f))),
        group,
        attr_expr,
    ))
    .parse_next(input)
}

/// `[ valFilter ]` after an attribute path; value paths do not nest.
pub(crate) fn value_filter(input: &mut &str) -> ModalResult<Filter> {
    '['.parse_next(input)?;
    let inner = delimited_ws(or_expr).parse_next(input)?;
    ']'.parse_next(input)?;
    if contains_value_path(&inner) {
        return Err(ErrMode::from_input(input));
    }
    Ok(inner)
}

fn contains_value_path(f: &Filter) -> bool {
    match f {
        Filter::ValuePath(..) => true,
        Filter::And(a, b) | Filter::Or(a, b) => contains_value_path(a) || contains_value_path(b),
        Filter::Not(a) => contains_value_path(a),
        Filter::Compare(..) | Filter::Present(_) => false,
    }
}

fn attr_expr(input: &mut &str) -> ModalResult<Filter> {
    let path = attr_path.parse_next(input)?;
    if input.starts_with('[') {
        if path.sub.is_some() {
            return Err(ErrMode::from_input(input));
        }
        let inner = value_filter.parse_next(input)?;
        return Ok(Filter::ValuePath(path, Box::new(inner)));
    }
    multispace1.parse_next(input)?;
    let op = take_while(2..=2, |c: char| c.is_ascii_alphabetic()).parse_next(input)?;
    let op = match op.to_ascii_lowercase().as_str() {
        "pr" => return Ok(Filter::Present(path)),
        "eq" => CompareOp::Eq,
        "ne" => CompareOp::Ne,
        "co" => CompareOp::Co,
        "sw" => CompareOp::Sw,
        "ew" => CompareOp::Ew,
        "gt" => CompareOp::Gt,
        "ge" => CompareOp::Ge,
        "lt" => CompareOp::Lt,
        "le" => CompareOp::Le,
        _ => return Err(ErrMode::from_input(input)),
    };
    multispace1.parse_next(input)?;
    let value = comp_value.parse_next(input)?;
    Ok(Filter::Compare(path, op, value))
}

fn comp_value(input: &mut &str) -> ModalResult<CompValue> {
    if input.starts_with('"') {
        return json_string.map(CompValue::String).parse_next(input);
    }
    let start = *input;
    let word = take_while(1.., |c: char| c.is_ascii_alphanumeric() || "+-.".contains(c)).parse_next(input)?;
    match word.to_ascii_lowercase().as_str() {
        "true" => Ok(CompValue::Bool(true)),
        "false" => Ok(CompValue::Bool(false)),
        "null" => Ok(CompValue::Null),
        _ => serde_json::from_str::<Number>(word)
            .map(CompValue::Number)
            .map_err(|_| ErrMode::from_input(&start)),
    }
}

/// A JSON string literal, escapes included.
fn json_string(input: &mut &str) -> ModalResult<String> {
    let text = *input;
    let bytes = text.as_bytes();
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => {
                let literal = text.get(..=i).ok_or_else(|| ErrMode::from_input(input))?;
                let value: String = serde_json::from_str(literal).map_err(|_| ErrMode::from_input(input))?;
                *input = text.get(i + 1..).unwrap_or_default();
                return Ok(value);
            }
            _ => i += 1,
        }
    }
    Err(ErrMode::from_input(input))
}

/// Which attributes compare strings exactly (RFC 7643 `caseExact: true`).
fn case_exact(path: &AttrPath) -> bool {
    path.is("id", None) || path.is("externalId", None) || path.is("meta", Some("version"))
}

/// Looks up `key` in `obj` without regard to case.
#[must_use]
pub fn get_ci<'v>(obj: &'v Value, key: &str) -> Option<&'v Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The values `path` names in `resource` (whose core schema is `schema`):
/// one per element for multi-valued attributes, the `value` sub-attribute of
/// complex elements when no sub-attribute is named.
fn values_at<'v>(resource: &'v Value, schema: &str, path: &AttrPath) -> Vec<&'v Value> {
    let base = if path.in_schema(schema) {
        Some(resource)
    } else {
        path.urn.as_deref().and_then(|urn| get_ci(resource, urn))
    };
    let Some(top) = base.and_then(|b| get_ci(b, &path.name)) else {
        return Vec::new();
    };
    let elements: Vec<&Value> = match top {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    elements
        .into_iter()
        .filter_map(|e| match (&path.sub, e) {
            (Some(sub), _) => get_ci(e, sub),
            (None, Value::Object(_)) => get_ci(e, "value").or(Some(e)),
            (None, _) => Some(e),
        })
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        })
        .collect()
}

/// Whether `resource` (a document of core schema `schema`) matches `filter`.
///
/// # Errors
/// `invalidFilter` for a comparison the RFC does not define: ordering or
/// substring operators on booleans, `null` with anything but `eq`/`ne`.
pub fn matches(filter: &Filter, resource: &Value, schema: &str) -> Result<bool, ScimError> {
    Ok(match filter {
        Filter::And(a, b) => matches(a, resource, schema)? && matches(b, resource, schema)?,
        Filter::Or(a, b) => matches(a, resource, schema)? || matches(b, resource, schema)?,
        Filter::Not(a) => !matches(a, resource, schema)?,
        Filter::Present(path) => values_at(resource, schema, path).into_iter().any(present),
        Filter::ValuePath(path, inner) => {
            let base = if path.in_schema(schema) {
                Some(resource)
            } else {
                path.urn.as_deref().and_then(|urn| get_ci(resource, urn))
            };
            let elements = match base.and_then(|b| get_ci(b, &path.name)) {
                Some(Value::Array(items)) => items.iter().collect(),
                Some(other) => vec![other],
                None => Vec::new(),
            };
            let mut any = false;
            for e in elements {
                // Inner paths are relative to the element: no schema URN.
                if matches(inner, e, "")? {
                    any = true;
                    break;
                }
            }
            any
        }
        Filter::Compare(path, op, value) => {
            if matches!(value, CompValue::Null) && !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(ScimError::invalid_filter(format!(
                    "`{path}` cannot be ordered against null"
                )));
            }
            let found = values_at(resource, schema, path);
            let exact = case_exact(path);
            let hit = match value {
                CompValue::Null => !found.into_iter().any(present),
                _ => {
                    let mut hit = false;
                    for v in found {
                        if compare(v, *op, value, exact)? {
                            hit = true;
                            break;
                        }
                    }
                    hit
                }
            };
            if matches!(value, CompValue::Null) && *op == CompareOp::Ne {
                !hit
            } else {
                hit
            }
        }
    })
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn ordered(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn compare(actual: &Value, op: CompareOp, expected: &CompValue, exact: bool) -> Result<bool, ScimError> {
    match (actual, expected) {
        (Value::String(a), CompValue::String(e)) => {
            if let (Ok(ta), Ok(te)) = (OffsetDateTime::parse(a, &Rfc3339), OffsetDateTime::parse(e, &Rfc3339))
                && !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
            {
                return Ok(ordered(op, ta.cmp(&te)));
            }
            let (a, e) = if exact {
                (a.clone(), e.clone())
            } else {
                (a.to_lowercase(), e.to_lowercase())
            };
            Ok(match op {
                CompareOp::Co => a.contains(&e),
                CompareOp::Sw => a.starts_with(&e),
                CompareOp::Ew => a.ends_with(&e),
                _ => ordered(op, a.cmp(&e)),
            })
        }
        (Value::Bool(a), CompValue::Bool(e)) => match op {
            CompareOp::Eq => Ok(a == e),
            CompareOp::Ne => Ok(a != e),
            _ => Err(ScimError::invalid_filter("booleans compare only with `eq` and `ne`")),
        },
        // Entra ID and others store booleans as strings now and then.
        (Value::String(a), CompValue::Bool(e)) => compare(
            &Value::Bool(a.eq_ignore_ascii_case("true")),
            op,
            &CompValue::Bool(*e),
            exact,
        ),
        (Value::Number(a), CompValue::Number(e)) => {
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(ScimError::invalid_filter(
                    "numbers compare only with `eq ne gt ge lt le`",
                ));
            }
            let (Some(a), Some(e)) = (a.as_f64(), e.as_f64()) else {
                return Ok(false);
            };
            Ok(a.partial_cmp(&e).is_some_and(|ord| ordered(op, ord)))
        }
        (_, CompValue::Bool(_)) if !matches!(op, CompareOp::Eq | CompareOp::Ne) => {
            Err(ScimError::invalid_filter("booleans compare only with `eq` and `ne`"))
        }
        // Mismatched types never match (`ne` does).
        _ => Ok(op == CompareOp::Ne),
    }
}

/// An equality on one indexed attribute, which the store answers without a
/// scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// `id eq "…"`
    Id(String),
    /// `userName eq "…"` (Users) or `displayName eq "…"` (Groups).
    Name(String),
    /// `externalId eq "…"`
    ExternalId(String),
    /// `emails.value eq "…"` or `emails eq "…"` (Users).
    Email(String),
}

impl Filter {
    /// An indexed equality that every resource this filter matches
    /// satisfies, if there is one (`name_attr` is `userName` or
    /// `displayName`): the filter itself, one side of an `and`, or
    /// `emails[value eq "…"]`. The resources the index finds must still be
    /// matched against the whole filter.
    #[must_use]
    pub fn lookup(&self, schema: &str, name_attr: &str) -> Option<Lookup> {
        match self {
            Self::And(a, b) => a.lookup(schema, name_attr).or_else(|| b.lookup(schema, name_attr)),
            Self::ValuePath(outer, inner)
                if schema == crate::USER_SCHEMA && outer.in_schema(schema) && outer.is("emails", None) =>
            {
                match inner.as_ref() {
                    Self::Compare(path, CompareOp::Eq, CompValue::String(v)) if path.is("value", None) => {
                        Some(Lookup::Email(v.clone()))
                    }
                    _ => None,
                }
            }
            Self::Compare(path, CompareOp::Eq, CompValue::String(v)) if path.in_schema(schema) => {
                if path.is("id", None) {
                    Some(Lookup::Id(v.clone()))
                } else if path.is(name_attr, None) {
                    Some(Lookup::Name(v.clone()))
                } else if path.is("externalId", None) {
                    Some(Lookup::ExternalId(v.clone()))
                } else if schema == crate::USER_SCHEMA && (path.is("emails", Some("value")) || path.is("emails", None))
                {
                    Some(Lookup::Email(v.clone()))
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cmp(name: &str, sub: Option<&str>, op: CompareOp, v: CompValue) -> Filter {
        Filter::Compare(AttrPath::new(name, sub), op, v)
    }

    fn s(v: &str) -> CompValue {
        CompValue::String(v.to_owned())
    }

    #[test]
    fn parses_every_operator() {
        for (text, op) in [
            ("eq", CompareOp::Eq),
            ("NE", CompareOp::Ne),
            ("co", CompareOp::Co),
            ("Sw", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ] {
            assert_eq!(
                parse_filter(&format!(r#"userName {text} "x""#)).unwrap(),
                cmp("userName", None, op, s("x"))
            );
        }
        assert_eq!(
            parse_filter("title pr").unwrap(),
            Filter::Present(AttrPath::new("title", None))
        );
    }

    #[test]
    fn parses_the_rfc_examples() {
        let table = [
            r#"userName Eq "john""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            "title pr",
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            "active eq true",
            "x.y eq 12.5",
            "x eq null",
            r#"  userName   eq   "a"  "#,
        ];
        for text in table {
            parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn precedence_and_grouping() {
        let f = parse_filter(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap();
        assert_eq!(
            f,
            Filter::Or(
                Box::new(cmp("a", None, CompareOp::Eq, s("1"))),
                Box::new(Filter::And(
                    Box::new(cmp("b", None, CompareOp::Eq, s("2"))),
                    Box::new(cmp("c", None, CompareOp::Eq, s("3")))
                ))
            )
        );
        let f = parse_filter(r#"(a eq "1" OR b eq "2") AND NOT(c eq "3")"#).unwrap();
        assert!(matches!(f, Filter::And(_, ref n) if matches!(**n, Filter::Not(_))));
    }

    #[test]
    fn rejects_what_is_not_a_filter() {
        for bad in [
            "",
            "userName",
            "userName eq",
            r#"userName xx "a""#,
            r#"userName eq "a" and"#,
            r#"userName eq "a"#,
            "userName eq john",
            r#"(userName eq "a""#,
            r#"emails[type eq "work""#,
            r#"emails[type[value eq "x"] pr]"#,
            r#"not userName eq "a""#,
            r#"userName eq "a" userName eq "b""#,
            r#"userName.a.b eq "a""#,
            &"(".repeat(1000),
        ] {
            let e = parse_filter(bad).unwrap_err();
            assert_eq!(e.scim_type, Some(crate::ScimType::InvalidFilter), "{bad}");
            assert_eq!(e.status, 400);
        }
    }

    #[test]
    fn evaluates() {
        let user = json!({
            "schemas": [crate::USER_SCHEMA],
            "id": "Ann",
            "userName": "ann@example.com",
            "externalId": "E-1",
            "active": true,
            "name": {"givenName": "Ann", "familyName": "O'Malley"},
            "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
            "meta": {"lastModified": "2026-01-02T03:04:05Z", "version": "W/\"7\""},
        });
        let table: &[(&str, bool)] = &[
            (r#"username eq "ANN@example.com""#, true),
            (r#"userName ne "ann@example.com""#, false),
            (r#"userName co "@EXAMPLE""#, true),
            (r#"userName sw "ann""#, true),
            (r#"userName ew ".com""#, true),
            (r#"userName ew ".org""#, false),
            (r#"externalId eq "e-1""#, false),
            (r#"externalId eq "E-1""#, true),
            (r#"id eq "Ann""#, true),
            (r#"name.familyName co "o'm""#, true),
            ("title pr", false),
            ("name.givenName pr", true),
            ("active eq true", true),
            ("active eq false", false),
            (r#"emails co "example.com""#, true),
            (r#"emails.value eq "ann@example.com""#, true),
            (r#"emails[type eq "work" and value co "@example.com"]"#, true),
            (r#"emails[type eq "home"]"#, false),
            (r#"meta.lastModified gt "2026-01-01T00:00:00Z""#, true),
            (r#"meta.lastModified ge "2026-01-02T03:04:05+00:00""#, true),
            (r#"meta.lastModified lt "2026-01-01T00:00:00Z""#, false),
            (r#"meta.lastModified le "2026-01-02T03:04:05Z""#, true),
            (r#"not (userName eq "bob") and (active eq true or title pr)"#, true),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann@example.com""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x""#,
                false,
            ),
            ("title eq null", true),
            ("userName eq null", false),
        ];
        for (text, want) in table {
            let f = parse_filter(text).unwrap();
            assert_eq!(matches(&f, &user, crate::USER_SCHEMA).unwrap(), *want, "{text}");
        }
        let f = parse_filter("active gt true").unwrap();
        assert_eq!(
            matches(&f, &user, crate::USER_SCHEMA).unwrap_err().scim_type,
            Some(crate::ScimType::InvalidFilter)
        );
    }

    #[test]
    fn indexed_lookups() {
        let u = crate::USER_SCHEMA;
        let l = |t: &str| parse_filter(t).unwrap().lookup(u, "userName");
        assert_eq!(l(r#"USERNAME eq "Ann""#), Some(Lookup::Name("Ann".into())));
        assert_eq!(l(r#"externalId eq "x""#), Some(Lookup::ExternalId("x".into())));
        assert_eq!(l(r#"emails.value eq "a@b.c""#), Some(Lookup::Email("a@b.c".into())));
        assert_eq!(l(r#"id eq "a""#), Some(Lookup::Id("a".into())));
        assert_eq!(l(r#"userName co "a""#), None);
        assert_eq!(
            l(r#"active eq true and userName eq "a""#),
            Some(Lookup::Name("a".into())),
            "one side of an `and` narrows the search"
        );
        assert_eq!(l(r#"emails[value eq "a@b.c"]"#), Some(Lookup::Email("a@b.c".into())));
        assert_eq!(l(r#"emails[type eq "work"]"#), None);
        assert_eq!(l(r#"userName eq "a" or active eq true"#), None, "an `or` needs a scan");
        assert_eq!(l(r#"not (userName eq "a")"#), None);
        assert_eq!(l(r#"userName eq 1"#), None);
    }
}
