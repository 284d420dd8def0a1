//! The User and Group resources (RFC 7643 §4): what Gatehouse keeps of them,
//! read leniently from a request document (unknown attributes and schemas
//! ignored, attribute names without regard to case, booleans as strings),
//! and written back as the wire document.

use serde_json::{Map, Value, json};

use crate::error::ScimError;
use crate::filter::get_ci;
use crate::value::{opt_bool, opt_string};

/// What Gatehouse keeps of a SCIM User.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserResource {
    /// `userName` (Gatehouse's username).
    pub user_name: String,
    /// `externalId`, the provider's id.
    pub external_id: Option<String>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `name.givenName`.
    pub given_name: Option<String>,
    /// `name.familyName`.
    pub family_name: Option<String>,
    /// The one email Gatehouse keeps: the primary one, else the `work` one,
    /// else the first.
    pub email: Option<String>,
    /// `active`; absent means `true`.
    pub active: bool,
}

/// A group a user belongs to, or a member of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    /// The `id` of the referenced resource.
    pub id: String,
    /// Its display name.
    pub display: String,
}

/// What the `meta` attribute says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// RFC 3339 creation time.
    pub created: String,
    /// RFC 3339 time of the last change.
    pub last_modified: String,
    /// The revision of the last change; `meta.version` is `W/"<revision>"`.
    pub revision: u64,
    /// Absolute URL of the resource.
    pub location: String,
}

/// The ETag (and `meta.version`) of a revision.
#[must_use]
pub fn etag(revision: u64) -> String {
    format!("W/\"{revision}\"")
}

/// Whether an `If-Match` / `If-None-Match` header value names `revision`
/// (`*` names any).
#[must_use]
pub fn etag_matches(header: &str, revision: u64) -> bool {
    let want = revision.to_string();
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == want)
}

fn object<'v>(doc: &'v Value, what: &str) -> Result<&'v Map<String, Value>, ScimError> {
    doc.as_object().ok_or_else(|| {
        ScimError::bad(
            crate::ScimType::InvalidSyntax,
            format!("the {what} must be a JSON object"),
        )
    })
}

fn first_email(emails: Option<&Value>) -> Result<Option<String>, ScimError> {
    let items = match emails {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ScimError::invalid_value("`emails` must be an array")),
    };
    let mut best: Option<(u8, String)> = None;
    for item in items {
        let Some(value) = opt_string(get_ci(item, "value"), "emails.value")? else {
            continue;
        };
        let rank = if opt_bool(get_ci(item, "primary"), "emails.primary")? == Some(true) {
            0
        } else if opt_string(get_ci(item, "type"), "emails.type")?.is_some_and(|t| t.eq_ignore_ascii_case("work")) {
            1
        } else {
            2
        };
        if best.as_ref().is_none_or(|(r, _)| rank < *r) {
            best = Some((rank, value));
        }
    }
    Ok(best.map(|(_, v)| v))
}

impl UserResource {
    /// Reads a User document (POST, PUT body, or the result of a PATCH).
    ///
    /// # Errors
    /// `invalidValue` for a missing `userName` or a value of the wrong type;
    /// `invalidSyntax` when `doc` is not an object.
    pub fn from_json(doc: &Value) -> Result<Self, ScimError> {
        object(doc, "User")?;
        let user_name = opt_string(get_ci(doc, "userName"), "userName")?
            .ok_or_else(|| ScimError::invalid_value("`userName` is required"))?;
        let name = get_ci(doc, "name");
        if name.is_some_and(|n| !n.is_object() && !n.is_null()) {
            return Err(ScimError::invalid_value("`name` must be an object"));
        }
        let sub = |attr: &str| opt_string(name.and_then(|n| get_ci(n, attr)), &format!("name.{attr}"));
        Ok(Self {
            user_name,
            external_id: opt_string(get_ci(doc, "externalId"), "externalId")?,
            display_name: opt_string(get_ci(doc, "displayName"), "displayName")?,
            given_name: sub("givenName")?,
            family_name: sub("familyName")?,
            email: first_email(get_ci(doc, "emails"))?,
            active: opt_bool(get_ci(doc, "active"), "active")?.unwrap_or(true),
        })
    }

    /// The wire document, as `id` with `groups` and `meta`.
    #[must_use]
    pub fn to_json(&self, id: &str, groups: &[Ref], meta: &Meta, base_url: &str) -> Value {
        let mut doc = Map::new();
        doc.insert("schemas".into(), json!([crate::USER_SCHEMA]));
        doc.insert("id".into(), json!(id));
        if let Some(x) = &self.external_id {
            doc.insert("externalId".into(), json!(x));
        }
        doc.insert("userName".into(), json!(self.user_name));
        let mut name = Map::new();
        if let Some(g) = &self.given_name {
            name.insert("givenName".into(), json!(g));
        }
        if let Some(f) = &self.family_name {
            name.insert("familyName".into(), json!(f));
        }
        if !name.is_empty() {
            let formatted: Vec<&str> = [&self.given_name, &self.family_name]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            name.insert("formatted".into(), json!(formatted.join(" ")));
            doc.insert("name".into(), Value::Object(name));
        }
        if let Some(d) = &self.display_name {
            doc.insert("displayName".into(), json!(d));
        }
        if let Some(e) = &self.email {
            doc.insert("emails".into(), json!([{"value": e, "type": "work", "primary": true}]));
        }
        doc.insert("active".into(), json!(self.active));
        let groups: Vec<Value> = groups
            .iter()
            .map(|g| json!({"value": g.id, "display": g.display, "$ref": format!("{base_url}/Groups/{}", g.id)}))
            .collect();
        doc.insert("groups".into(), Value::Array(groups));
        doc.insert("meta".into(), meta_json("User", meta));
        Value::Object(doc)
    }
}

fn meta_json(resource_type: &str, meta: &Meta) -> Value {
    json!({
        "resourceType": resource_type,
        "created": meta.created,
        "lastModified": meta.last_modified,
        "version": etag(meta.revision),
        "location": meta.location,
    })
}

/// What Gatehouse keeps of a SCIM Group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupResource {
    /// `displayName` (Gatehouse's group name).
    pub display_name: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// The `value` (user id) of each member, in the order given, without
    /// repeats.
    pub members: Vec<String>,
}

impl GroupResource {
    /// Reads a Group document.
    ///
    /// # Errors
    /// `invalidValue` for a missing `displayName`, a member without `value`
    /// or a value of the wrong type.
    pub fn from_json(doc: &Value) -> Result<Self, ScimError> {
        object(doc, "Group")?;
        let display_name = opt_string(get_ci(doc, "displayName"), "displayName")?
            .ok_or_else(|| ScimError::invalid_value("`displayName` is required"))?;
        let mut members: Vec<String> = Vec::new();
        match get_ci(doc, "members") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    let id = opt_string(get_ci(item, "value"), "members.value")?
                        .ok_or_else(|| ScimError::invalid_value("every member needs a `value`"))?;
                    if !members.contains(&id) {
                        members.push(id);
                    }
                }
            }
            Some(_) => return Err(ScimError::invalid_value("`members` must be an array")),
        }
        Ok(Self {
            display_name,
            external_id: opt_string(get_ci(doc, "externalId"), "externalId")?,
            members,
        })
    }

    /// The wire document; `members` carries each member's display name.
    #[must_use]
    pub fn to_json(&self, id: &str, members: &[Ref], meta: &Meta, base_url: &str) -> Value {
        let mut doc = Map::new();
        doc.insert("schemas".into(), json!([crate::GROUP_SCHEMA]));
        doc.insert("id".into(), json!(id));
        if let Some(x) = &self.external_id {
            doc.insert("externalId".into(), json!(x));
        }
        doc.insert("displayName".into(), json!(self.display_name));
        let members: Vec<Value> = members
            .iter()
            .map(|m| json!({"value": m.id, "display": m.display, "type": "User", "$ref": format!("{base_url}/Users/{}", m.id)}))
            .collect();
        doc.insert("members".into(), Value::Array(members));
        doc.insert("meta".into(), meta_json("Group", meta));
        Value::Object(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_leniently() {
        let doc = json!({
            "schemas": [crate::USER_SCHEMA, "urn:example:unknown"],
            "USERNAME": "Ann@Example.com",
            "Name": {"GivenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "home@x.org", "type": "home"}, {"value": "work@x.org", "type": "work"}],
            "active": "False",
            "externalId": "E1",
            "nickName": "ignored",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "x"},
        });
        let u = UserResource::from_json(&doc).unwrap();
        assert_eq!(u.user_name, "Ann@Example.com");
        assert_eq!(u.given_name.as_deref(), Some("Ann"));
        assert_eq!(u.email.as_deref(), Some("work@x.org"));
        assert!(!u.active);
        assert_eq!(u.external_id.as_deref(), Some("E1"));
        let e = UserResource::from_json(&json!({"active": true})).unwrap_err();
        assert_eq!(e.scim_type, Some(crate::ScimType::InvalidValue));
        assert!(UserResource::from_json(&json!({"userName": 5})).is_err());
    }

    #[test]
    fn round_trips() {
        let u = UserResource {
            user_name: "ann".into(),
            given_name: Some("Ann".into()),
            email: Some("a@x.org".into()),
            active: true,
            ..UserResource::default()
        };
        let meta = Meta {
            created: "t".into(),
            last_modified: "t".into(),
            revision: 3,
            location: "l".into(),
        };
        let doc = u.to_json("ann", &[], &meta, "http://h/scim/v2");
        assert_eq!(doc["meta"]["version"], "W/\"3\"");
        assert_eq!(UserResource::from_json(&doc).unwrap(), u);
        let g = GroupResource {
            display_name: "ops".into(),
            external_id: None,
            members: vec!["ann".into()],
        };
        let doc = g.to_json(
            "ops",
            &[Ref {
                id: "ann".into(),
                display: "ann".into(),
            }],
            &meta,
            "http://h/scim/v2",
        );
        assert_eq!(GroupResource::from_json(&doc).unwrap(), g);
    }

    #[test]
    fn etags() {
        assert!(etag_matches("W/\"3\"", 3));
        assert!(etag_matches("\"3\"", 3));
        assert!(etag_matches("*", 9));
        assert!(etag_matches("W/\"1\", W/\"3\"", 3));
        assert!(!etag_matches("W/\"2\"", 3));
    }
}
