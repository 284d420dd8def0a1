//! The filter and path parsers never panic: every input is either parsed or
//! refused as `invalidFilter` / `invalidPath` (a 400).

use gatehouse_scim::{ScimType, parse_filter, parse_path};
use proptest::prelude::*;

/// Strings made of the filter grammar's own pieces, so that the property
/// reaches deep into the parser rather than failing on the first byte.
fn grammar_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("userName".to_owned()),
        Just("emails".to_owned()),
        Just(".value".to_owned()),
        Just("urn:ietf:params:scim:schemas:core:2.0:User:".to_owned()),
        Just(" eq ".to_owned()),
        Just(" pr".to_owned()),
        Just(" and ".to_owned()),
        Just(" or ".to_owned()),
        Just("not ".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("\"a\\\"b\"".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("true".to_owned()),
        Just("12.5e3".to_owned()),
        Just(" ".to_owned()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn filter_never_panics(s in any::<String>()) {
        if let Err(e) = parse_filter(&s) {
            prop_assert_eq!(e.status, 400);
            prop_assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
        }
    }

    #[test]
    fn path_never_panics(s in any::<String>()) {
        if let Err(e) = parse_path(&s) {
            prop_assert_eq!(e.status, 400);
            prop_assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
        }
    }

    #[test]
    fn grammar_soup_never_panics(s in grammar_soup()) {
        if let Err(e) = parse_filter(&s) {
            prop_assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
        }
        if let Err(e) = parse_path(&s) {
            prop_assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!("{}userName eq \"a\"{}", "(".repeat(1000), ")".repeat(1000));
    assert_eq!(
        parse_filter(&deep).unwrap_err().scim_type,
        Some(ScimType::InvalidFilter)
    );
    let deep = format!("emails[{}type eq \"a\"{}]", "(".repeat(1000), ")".repeat(1000));
    assert_eq!(parse_path(&deep).unwrap_err().scim_type, Some(ScimType::InvalidPath));
    let long_and = vec!["a pr"; 400].join(" and ");
    assert!(parse_filter(&long_and).is_ok());
    let too_long = vec!["a pr"; 2000].join(" and ");
    assert_eq!(
        parse_filter(&too_long).unwrap_err().scim_type,
        Some(ScimType::InvalidFilter)
    );
}
