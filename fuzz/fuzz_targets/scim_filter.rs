//! SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2) from arbitrary
//! text, as a client sends them: never a panic; every refusal is the 400
//! `invalidFilter` / `invalidPath` the SCIM face answers; a parsed filter
//! evaluates against a user document without a panic either.
#![no_main]

use gatehouse_scim::{ScimType, USER_SCHEMA, parse_filter, parse_path};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let user = serde_json::json!({
        "schemas": [USER_SCHEMA], "id": "ann", "userName": "ann", "externalId": "x-1",
        "name": {"givenName": "Ann", "familyName": "Lee"}, "displayName": "Ann Lee", "active": true,
        "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
        "groups": [{"value": "devs", "display": "devs"}],
        "meta": {"created": "2026-01-02T03:04:05Z", "lastModified": "2026-01-02T03:04:05Z", "version": "W/\"3\""},
    });
    match parse_filter(text) {
        Ok(filter) => {
            if let Err(e) = gatehouse_scim::filter::matches(&filter, &user, USER_SCHEMA) {
                assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidFilter)), "{text:?}");
            }
            let _ = filter.lookup(USER_SCHEMA, "userName");
        }
        Err(e) => assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidFilter)), "{text:?}"),
    }
    if let Err(e) = parse_path(text) {
        assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidPath)), "{text:?}");
    }
});
