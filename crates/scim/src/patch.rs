//! PATCH (RFC 7644 §3.5.2) applied to a resource document: `add`,
//! `replace`, `remove`, with or without `path`, value paths
//! (`emails[type eq "work"].value`, `members[value eq "…"]`), and the
//! spellings real providers send (`"op": "Replace"`, dotted and
//! URN-prefixed keys in a path-less value, Okta's removal of members by a
//! value array).
//!
//! The face renders the current resource, applies the operations here, and
//! reads the result back with [`crate::resource`]: unknown attributes land
//! in the document and are ignored there.

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::filter::{CompValue, CompareOp, Filter, get_ci, matches};
use crate::path::{AttrPath, PatchPath, parse_attr_path, parse_path};

/// A PATCH operation's kind; the wire spelling is case-insensitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// `add`
    Add,
    /// `remove`
    Remove,
    /// `replace`
    Replace,
}

/// One operation of a PATCH request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// What to do.
    pub op: OpKind,
    /// Where; `None` means the resource itself.
    pub path: Option<PatchPath>,
    /// The value (absent for most removes).
    pub value: Option<Value>,
}

/// Attributes whose values are lists.
const MULTI_VALUED: &[&str] = &[
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509Certificates",
    "members",
    "schemas",
];

/// Attributes no request may change.
const READ_ONLY: &[&str] = &["id", "meta", "groups"];

fn is_multi(name: &str) -> bool {
    MULTI_VALUED.iter().any(|m| m.eq_ignore_ascii_case(name))
}

/// Reads a `PatchOp` request body.
///
/// # Errors
/// `invalidSyntax` for a body that is not a `PatchOp`; `invalidValue` for an
/// unknown `op` or a missing `value`; `invalidPath` for a path that does not
/// parse.
pub fn parse_request(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let syntax = |d: &str| ScimError::bad(ScimType::InvalidSyntax, d);
    let ops = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("a PatchOp needs an `Operations` array"))?;
    if ops.is_empty() {
        return Err(syntax("`Operations` is empty"));
    }
    ops.iter()
        .map(|o| {
            let op = match get_ci(o, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("add") => OpKind::Add,
                Some("remove") => OpKind::Remove,
                Some("replace") => OpKind::Replace,
                _ => return Err(ScimError::invalid_value("`op` must be `add`, `remove` or `replace`")),
            };
            let path = match get_ci(o, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.trim().is_empty() => None,
                Some(Value::String(p)) => Some(parse_path(p)?),
                Some(_) => return Err(ScimError::invalid_path("`path` must be a string")),
            };
            let value = get_ci(o, "value").filter(|v| !v.is_null()).cloned();
            match (op, &path, &value) {
                (OpKind::Remove, None, _) => Err(ScimError::bad(ScimType::NoTarget, "`remove` needs a `path`")),
                (OpKind::Add | OpKind::Replace, _, None) => {
                    Err(ScimError::invalid_value("`add` and `replace` need a `value`"))
                }
                _ => Ok(Operation { op, path, value }),
            }
        })
        .collect()
}

/// Applies `ops` in order to `doc`, a resource of core schema `schema`.
/// Either every operation applies or the error of the first that cannot.
///
/// # Errors
/// `mutability` for a change to `id`, `meta` or `groups`; `invalidValue`
/// for a value of the wrong shape; `noTarget` when a value filter matches
/// nothing and cannot make an element.
pub fn apply(doc: &mut Value, schema: &str, ops: &[Operation]) -> Result<(), ScimError> {
    for op in ops {
        match &op.path {
            Some(path) => apply_at(doc, schema, op.op, path, op.value.as_ref())?,
            None => {
                let Some(Value::Object(fields)) = &op.value else {
                    return Err(ScimError::invalid_value(
                        "a PATCH without `path` needs an object `value`",
                    ));
                };
                for (key, value) in fields {
                    if key.eq_ignore_ascii_case("schemas") {
                        continue;
                    }
                    // A key that is no attribute path is an unknown attribute: ignored.
                    let Ok(attr) = parse_attr_path(key) else { continue };
                    let path = PatchPath {
                        attr,
                        filter: None,
                        sub: None,
                    };
                    apply_at(doc, schema, op.op, &path, Some(value))?;
                }
            }
        }
    }
    Ok(())
}

/// The key under which `name` lives in `obj` (the existing spelling, else
/// `name`).
fn key_in(obj: &Map<String, Value>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

fn as_object_mut<'v>(v: &'v mut Value, what: &str) -> Result<&'v mut Map<String, Value>, ScimError> {
    if v.is_null() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut()
        .ok_or_else(|| ScimError::invalid_value(format!("`{what}` is not a complex attribute")))
}

fn container<'v>(doc: &'v mut Value, schema: &str, attr: &AttrPath) -> Result<&'v mut Map<String, Value>, ScimError> {
    let root = as_object_mut(doc, "resource")?;
    match &attr.urn {
        Some(urn) if !attr.in_schema(schema) => {
            let key = key_in(root, urn);
            as_object_mut(root.entry(key).or_insert(Value::Null), urn)
        }
        _ => Ok(root),
    }
}

fn apply_at(
    doc: &mut Value,
    schema: &str,
    op: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let attr = &path.attr;
    if attr.in_schema(schema) && READ_ONLY.iter().any(|r| attr.name.eq_ignore_ascii_case(r)) {
        return Err(ScimError::bad(ScimType::Mutability, format!("`{attr}` is read-only")));
    }
    let obj = container(doc, schema, attr)?;
    let key = key_in(obj, &attr.name);
    match (&path.filter, &attr.sub) {
        (Some(filter), _) => apply_filtered(obj, &key, op, filter, path.sub.as_deref(), value),
        (None, Some(sub)) => {
            let target = obj.entry(key.clone()).or_insert(Value::Null);
            if let Value::Array(items) = target {
                // `emails.value`: every element.
                for item in items {
                    set_sub(item, &key, sub, op, value)?;
                }
                return Ok(());
            }
            set_sub(target, &key, sub, op, value)?;
            if target.as_object().is_some_and(Map::is_empty) {
                obj.remove(&key);
            }
            Ok(())
        }
        (None, None) => apply_plain(obj, &key, op, value),
    }
}

fn set_sub(target: &mut Value, key: &str, sub: &str, op: OpKind, value: Option<&Value>) -> Result<(), ScimError> {
    let inner = as_object_mut(target, key)?;
    let sub_key = key_in(inner, sub);
    match (op, value) {
        (OpKind::Remove, _) => {
            inner.remove(&sub_key);
        }
        (_, Some(v)) => {
            inner.insert(sub_key, v.clone());
        }
        (_, None) => {}
    }
    Ok(())
}

fn same_element(a: &Value, b: &Value) -> bool {
    match (get_ci(a, "value"), get_ci(b, "value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn apply_plain(obj: &mut Map<String, Value>, key: &str, op: OpKind, value: Option<&Value>) -> Result<(), ScimError> {
    let multi = is_multi(key) || obj.get(key).is_some_and(Value::is_array);
    match op {
        OpKind::Remove => {
            match (obj.get_mut(key), value) {
                // Okta: `{"op":"remove","path":"members","value":[{"value":"id1"}]}`.
                (Some(Value::Array(items)), Some(v)) => {
                    let gone: Vec<Value> = match v {
                        Value::Array(vs) => vs.clone(),
                        other => vec![other.clone()],
                    };
                    items.retain(|item| !gone.iter().any(|g| same_element(item, g)));
                }
                _ => {
                    obj.remove(key);
                }
            }
            Ok(())
        }
        OpKind::Add | OpKind::Replace => {
            let Some(value) = value else { return Ok(()) };
            if multi {
                let new: Vec<Value> = match value {
                    Value::Array(vs) => vs.clone(),
                    other => vec![other.clone()],
                };
                if op == OpKind::Replace {
                    obj.insert(key.to_owned(), Value::Array(new));
                    return Ok(());
                }
                let entry = obj.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
                if !entry.is_array() {
                    *entry = Value::Array(Vec::new());
                }
                if let Value::Array(items) = entry {
                    for v in new {
                        if let Some(existing) = items.iter_mut().find(|i| same_element(i, &v)) {
                            *existing = v;
                        } else {
                            items.push(v);
                        }
                    }
                }
                return Ok(());
            }
            match (obj.get_mut(key), value) {
                // A complex single-valued attribute: the sub-attributes given
                // replace theirs, the others stay.
                (Some(Value::Object(existing)), Value::Object(new)) => {
                    for (k, v) in new {
                        let k2 = key_in(existing, k);
                        existing.insert(k2, v.clone());
                    }
                }
                _ => {
                    obj.insert(key.to_owned(), value.clone());
                }
            }
            Ok(())
        }
    }
}

/// The `attr eq "literal"` conjuncts of a filter, from which a new element
/// is made when a value filter matches nothing (`emails[type eq "work"]`).
fn equalities(filter: &Filter, out: &mut Map<String, Value>) -> bool {
    match filter {
        Filter::Compare(path, CompareOp::Eq, value) if path.urn.is_none() && path.sub.is_none() => {
            let v = match value {
                CompValue::String(s) => Value::String(s.clone()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return false,
            };
            out.insert(path.name.clone(), v);
            true
        }
        Filter::And(a, b) => equalities(a, out) && equalities(b, out),
        _ => false,
    }
}

fn apply_filtered(
    obj: &mut Map<String, Value>,
    key: &str,
    op: OpKind,
    filter: &Filter,
    sub: Option<&str>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let entry = obj.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
    if entry.is_null() {
        *entry = Value::Array(Vec::new());
    }
    let Value::Array(items) = entry else {
        return Err(ScimError::invalid_path(format!("`{key}` is not multi-valued")));
    };
    let mut hits = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if matches(filter, item, "")? {
            hits.push(i);
        }
    }
    match op {
        OpKind::Remove => {
            if let Some(sub) = sub {
                for &i in &hits {
                    if let Some(Value::Object(o)) = items.get_mut(i) {
                        let k = key_in(o, sub);
                        o.remove(&k);
                    }
                }
            } else {
                let mut i = 0;
                items.retain(|_| {
                    let keep = !hits.contains(&i);
                    i += 1;
                    keep
                });
            }
            if items.is_empty() {
                obj.remove(key);
            }
            Ok(())
        }
        OpKind::Add | OpKind::Replace => {
            let Some(value) = value else { return Ok(()) };
            if hits.is_empty() {
                // Entra ID adds and replaces `emails[type eq "work"].value`
                // when there is no work email yet: make the element.
                let mut element = Map::new();
                if !equalities(filter, &mut element) {
                    return Err(ScimError::bad(
                        ScimType::NoTarget,
                        format!("no `{key}` matches the filter"),
                    ));
                }
                match (sub, value) {
                    (Some(sub), v) => {
                        element.insert(sub.to_owned(), v.clone());
                    }
                    (None, Value::Object(fields)) => element.extend(fields.clone()),
                    (None, _) => return Err(ScimError::invalid_value("the value must be an object")),
                }
                items.push(Value::Object(element));
                return Ok(());
            }
            for &i in &hits {
                let Some(item) = items.get_mut(i) else { continue };
                match (sub, value) {
                    (Some(sub), v) => set_sub(item, key, sub, op, Some(v))?,
                    (None, Value::Object(fields)) => {
                        let o = as_object_mut(item, key)?;
                        for (k, v) in fields {
                            let k2 = key_in(o, k);
                            o.insert(k2, v.clone());
                        }
                    }
                    (None, _) => return Err(ScimError::invalid_value("the value must be an object")),
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{GroupResource, UserResource};
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [crate::USER_SCHEMA],
            "id": "ann",
            "userName": "ann",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@x.org", "type": "home"}],
            "active": true,
        })
    }

    fn patched(doc: Value, schema: &str, body: &Value) -> Result<Value, ScimError> {
        let ops = parse_request(body)?;
        let mut doc = doc;
        apply(&mut doc, schema, &ops)?;
        Ok(doc)
    }

    fn user_patched(body: &Value) -> Result<UserResource, ScimError> {
        UserResource::from_json(&patched(user(), crate::USER_SCHEMA, body)?)
    }

    fn ops(list: &Value) -> Value {
        json!({"schemas": [crate::PATCH_OP], "Operations": list})
    }

    #[test]
    fn entra_capitalised_ops_string_booleans_and_dotted_keys() {
        let u = user_patched(&ops(&json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "value": {
                "name.givenName": "Annie",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "x",
                "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Annie Lee"
            }},
            {"op": "Add", "path": "externalId", "value": "E-9"},
        ])))
        .unwrap();
        assert!(!u.active);
        assert_eq!(u.given_name.as_deref(), Some("Annie"));
        assert_eq!(u.family_name.as_deref(), Some("Lee"));
        assert_eq!(u.display_name.as_deref(), Some("Annie Lee"));
        assert_eq!(u.external_id.as_deref(), Some("E-9"));
        let u = user_patched(&ops(&json!([{"op": "Remove", "path": "externalId"}]))).unwrap();
        assert_eq!(u.external_id, None);
    }

    #[test]
    fn okta_deactivate_without_path() {
        let u = user_patched(&ops(&json!([{"op": "replace", "value": {"active": false}}]))).unwrap();
        assert!(!u.active);
    }

    #[test]
    fn add_on_a_value_path_with_no_match_creates_the_element() {
        let doc = patched(
            user(),
            crate::USER_SCHEMA,
            &ops(&json!([{"op": "add", "path": "emails[type eq \"work\"].value", "value": "ann@work.org"}])),
        )
        .unwrap();
        assert_eq!(doc["emails"][1], json!({"type": "work", "value": "ann@work.org"}));
        assert_eq!(
            UserResource::from_json(&doc).unwrap().email.as_deref(),
            Some("ann@work.org")
        );
        // and replacing it then changes it in place
        let doc = patched(
            doc,
            crate::USER_SCHEMA,
            &ops(&json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@work.org"}])),
        )
        .unwrap();
        assert_eq!(doc["emails"].as_array().unwrap().len(), 2);
        assert_eq!(doc["emails"][1]["value"], "b@work.org");
    }

    #[test]
    fn paths_with_sub_attributes_and_removes() {
        let u = user_patched(&ops(
            &json!([{"op": "replace", "path": "name.familyName", "value": "Ng"}]),
        ))
        .unwrap();
        assert_eq!(u.family_name.as_deref(), Some("Ng"));
        let u = user_patched(&ops(&json!([{"op": "remove", "path": "name.givenName"}]))).unwrap();
        assert_eq!(u.given_name, None);
        let u = user_patched(&ops(&json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]))).unwrap();
        assert_eq!(u.email, None);
        let u = user_patched(&ops(
            &json!([{"op": "replace", "path": "name", "value": {"givenName": "Z"}}]),
        ))
        .unwrap();
        assert_eq!(
            (u.given_name.as_deref(), u.family_name.as_deref()),
            (Some("Z"), Some("Lee"))
        );
        let u = user_patched(&ops(
            &json!([{"op": "replace", "path": "emails", "value": [{"value": "n@x.org"}]}]),
        ))
        .unwrap();
        assert_eq!(u.email.as_deref(), Some("n@x.org"));
    }

    #[test]
    fn refusals() {
        let t = |body: Value| user_patched(&body).unwrap_err().scim_type;
        assert_eq!(
            t(ops(&json!([{"op": "replace", "path": "id", "value": "x"}]))),
            Some(ScimType::Mutability)
        );
        assert_eq!(t(ops(&json!([{"op": "remove"}]))), Some(ScimType::NoTarget));
        assert_eq!(
            t(ops(&json!([{"op": "frob", "path": "x", "value": 1}]))),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            t(ops(&json!([{"op": "add", "path": "emails[", "value": 1}]))),
            Some(ScimType::InvalidPath)
        );
        assert_eq!(t(json!({"Operations": []})), Some(ScimType::InvalidSyntax));
        assert_eq!(
            t(ops(
                &json!([{"op": "replace", "path": "emails[value co \"q\"].value", "value": "x"}])
            )),
            Some(ScimType::NoTarget)
        );
        assert_eq!(
            t(ops(&json!([{"op": "replace", "path": "active", "value": "maybe"}]))),
            Some(ScimType::InvalidValue)
        );
    }

    #[test]
    fn okta_and_entra_group_membership() {
        let group = json!({"schemas": [crate::GROUP_SCHEMA], "id": "ops", "displayName": "ops", "members": []});
        let g = |doc: &Value| GroupResource::from_json(doc).unwrap().members;
        let doc = patched(
            group,
            crate::GROUP_SCHEMA,
            &ops(&json!([{"op": "add", "path": "members", "value": [{"value": "id1"}, {"value": "id2"}, {"value": "id3"}]}])),
        )
        .unwrap();
        assert_eq!(g(&doc), ["id1", "id2", "id3"]);
        let doc = patched(
            doc,
            crate::GROUP_SCHEMA,
            &ops(&json!([{"op": "remove", "path": "members[value eq \"id1\"]"}])),
        )
        .unwrap();
        assert_eq!(g(&doc), ["id2", "id3"]);
        let doc = patched(
            doc,
            crate::GROUP_SCHEMA,
            &ops(&json!([{"op": "Remove", "path": "members", "value": [{"value": "id2"}]}])),
        )
        .unwrap();
        assert_eq!(g(&doc), ["id3"]);
        let doc = patched(
            doc,
            crate::GROUP_SCHEMA,
            &ops(&json!([{"op": "Add", "path": "members", "value": [{"value": "id3"}]}, {"op": "replace", "path": "displayName", "value": "ops2"}])),
        )
        .unwrap();
        assert_eq!(g(&doc), ["id3"]);
        assert_eq!(doc["displayName"], "ops2");
        let doc = patched(
            doc,
            crate::GROUP_SCHEMA,
            &ops(&json!([{"op": "remove", "path": "members"}])),
        )
        .unwrap();
        assert!(g(&doc).is_empty());
    }
}
