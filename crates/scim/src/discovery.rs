//! The discovery documents (RFC 7644 §4): `ServiceProviderConfig`,
//! `ResourceTypes` and `Schemas`, saying exactly what Gatehouse supports:
//! PATCH, filters (with `maxResults`), ETags; no bulk, no sort, no
//! password change (a provisioned user signs in upstream).

use serde_json::{Value, json};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RT_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// `GET /ServiceProviderConfig`.
#[must_use]
pub fn service_provider_config(base_url: &str, docs_url: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": docs_url,
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": crate::MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "a Gatehouse token (`gate_…`) whose user holds `accounts.manage`",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base_url}/ServiceProviderConfig")},
    })
}

fn resource_type(base_url: &str, name: &str, endpoint: &str, schema: &str, extensions: &[&str]) -> Value {
    let ext: Vec<Value> = extensions
        .iter()
        .map(|e| json!({"schema": e, "required": false}))
        .collect();
    json!({
        "schemas": [RT_SCHEMA],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": name,
        "schema": schema,
        "schemaExtensions": ext,
        "meta": {"resourceType": "ResourceType", "location": format!("{base_url}/ResourceTypes/{name}")},
    })
}

/// Every resource type, as `GET /ResourceTypes` lists them.
#[must_use]
pub fn resource_types(base_url: &str) -> Vec<Value> {
    vec![
        resource_type(base_url, "User", "/Users", crate::USER_SCHEMA, &[]),
        resource_type(base_url, "Group", "/Groups", crate::GROUP_SCHEMA, &[]),
    ]
}

fn attr(name: &str, kind: &str, multi: bool, required: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": name,
        "required": required,
        "caseExact": matches!(name, "id" | "externalId"),
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    })
}

fn complex(name: &str, multi: bool, mutability: &str, subs: Vec<Value>) -> Value {
    let mut a = attr(name, "complex", multi, false, mutability, "none");
    if let Some(o) = a.as_object_mut() {
        o.insert("subAttributes".into(), Value::Array(subs));
    }
    a
}

fn schema(base_url: &str, id: &str, name: &str, attributes: Vec<Value>) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": name,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{base_url}/Schemas/{id}")},
    })
}

/// Every schema, as `GET /Schemas` lists them: the attributes Gatehouse
/// keeps, and no others.
#[must_use]
pub fn schemas(base_url: &str) -> Vec<Value> {
    let s = |n: &str| attr(n, "string", false, false, "readWrite", "none");
    let user = vec![
        // The username is the user's `id`: Gatehouse never renames a user.
        attr("userName", "string", false, true, "immutable", "server"),
        attr("externalId", "string", false, false, "readWrite", "server"),
        complex(
            "name",
            false,
            "readWrite",
            vec![
                s("givenName"),
                s("familyName"),
                attr("formatted", "string", false, false, "readOnly", "none"),
            ],
        ),
        s("displayName"),
        complex(
            "emails",
            true,
            "readWrite",
            vec![
                s("value"),
                s("type"),
                attr("primary", "boolean", false, false, "readWrite", "none"),
            ],
        ),
        attr("active", "boolean", false, false, "readWrite", "none"),
        complex(
            "groups",
            true,
            "readOnly",
            vec![
                attr("value", "string", false, false, "readOnly", "none"),
                attr("display", "string", false, false, "readOnly", "none"),
                attr("$ref", "reference", false, false, "readOnly", "none"),
            ],
        ),
    ];
    let group = vec![
        // The group's name is its `id`: Gatehouse never renames a group.
        attr("displayName", "string", false, true, "immutable", "server"),
        attr("externalId", "string", false, false, "readWrite", "server"),
        complex(
            "members",
            true,
            "readWrite",
            vec![
                attr("value", "string", false, false, "immutable", "none"),
                attr("display", "string", false, false, "readOnly", "none"),
                attr("type", "string", false, false, "immutable", "none"),
                attr("$ref", "reference", false, false, "immutable", "none"),
            ],
        ),
    ];
    vec![
        schema(base_url, crate::USER_SCHEMA, "User", user),
        schema(base_url, crate::GROUP_SCHEMA, "Group", group),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_truth() {
        let spc = service_provider_config("http://h/scim/v2", "http://h/docs");
        assert_eq!(spc["patch"]["supported"], true);
        assert_eq!(spc["bulk"]["supported"], false);
        assert_eq!(spc["sort"]["supported"], false);
        assert_eq!(spc["etag"]["supported"], true);
        assert_eq!(spc["filter"]["maxResults"], crate::MAX_RESULTS);
        assert_eq!(resource_types("b").len(), 2);
        let s = schemas("b");
        assert_eq!(s[0]["id"], crate::USER_SCHEMA);
        assert!(
            s[0]["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == "userName")
        );
    }
}
