//! Every name rule of SPEC §4–§5, table-driven.

use gatehouse_domain::names::{
    Description, DisplayName, Email, EnvName, EnvPart, GroupName, Password, ProjectKey, RoleName, Username,
};

#[test]
fn usernames() {
    for ok in [
        "alice",
        "a",
        "bob.smith",
        "x-y_z",
        "ops@corp.example",
        "a+b",
        &"a".repeat(64),
    ] {
        assert!(Username::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "Alice",
        "has space",
        "tab\t",
        "émile",
        &"a".repeat(65),
        "semi;colon",
        "quote'",
    ] {
        let err = Username::parse(bad).unwrap_err();
        assert_eq!((err.field.as_str(), err.code), ("username", "invalid"), "{bad}");
    }
}

#[test]
fn emails() {
    for ok in ["a@b.example", "first.last+tag@sub.example.org", "UPPER@Example.COM"] {
        assert!(Email::parse(ok).is_ok(), "{ok}");
    }
    let long_local = format!("{}@x.example", "a".repeat(65));
    let too_long = format!("{}@{}.example", "a".repeat(60), "b".repeat(200));
    for bad in [
        "",
        "no-at",
        "@x.example",
        "a@",
        "a@-x.example",
        "a b@x.example",
        "a..b@x.example",
        &long_local,
        &too_long,
        "a@x_y.example",
    ] {
        assert_eq!(Email::parse(bad).unwrap_err().field, "email", "{bad}");
    }
    assert_eq!(Email::parse("Ann@Example.com").unwrap().normalized(), "ann@example.com");
    assert_eq!(
        Username::from_email(&Email::parse("Ann@Example.com").unwrap())
            .unwrap()
            .as_str(),
        "ann@example.com"
    );
    assert!(Username::from_email(&Email::parse("o'neil@example.com").unwrap()).is_none());
}

#[test]
fn groups_projects_environments_roles() {
    let cases: Vec<(&str, bool, bool, bool, bool)> = vec![
        // raw, group, project key, env part, role
        ("Web Team", true, false, false, true),
        ("web", true, true, true, true),
        ("w", true, false, true, true),
        ("web-2", true, true, true, true),
        ("-web", false, false, false, true),
        ("9lives", true, false, true, true),
        ("QA", true, false, true, true),
        ("a_b", true, false, true, true),
        ("", false, false, false, false),
        (" padded", false, false, false, false),
    ];
    for (raw, group, key, env, role) in cases {
        assert_eq!(GroupName::parse(raw).is_ok(), group, "group {raw:?}");
        assert_eq!(ProjectKey::parse(raw).is_ok(), key, "key {raw:?}");
        assert_eq!(EnvPart::parse(raw).is_ok(), env, "env {raw:?}");
        assert_eq!(RoleName::parse(raw).is_ok(), role, "role {raw:?}");
    }
    assert!(ProjectKey::parse(&format!("a{}", "b".repeat(31))).is_ok());
    assert!(ProjectKey::parse(&format!("a{}", "b".repeat(32))).is_err());
    assert!(GroupName::parse(&"g".repeat(65)).is_err());
    assert!(EnvPart::parse(&"E".repeat(33)).is_err());
    assert!(DisplayName::parse(&"d".repeat(128)).is_ok());
    assert!(DisplayName::parse(&"d".repeat(129)).is_err());
    assert!(DisplayName::parse("bell\u{7}").is_err());
    assert!(Description::parse("description", &"d".repeat(1024), 1024).is_ok());
    assert!(Description::parse("description", &"d".repeat(1025), 1024).is_err());
    assert!(Description::parse("description", "two\nlines", 1024).is_ok());
    assert!(Description::parse("description", "nul\0", 1024).is_err());
}

#[test]
fn project_environment_names_take_the_short_or_full_form() {
    let web = ProjectKey::parse("web").unwrap();
    assert_eq!(EnvName::for_project(&web, "QA").unwrap().as_str(), "web-QA");
    assert_eq!(EnvName::for_project(&web, "web-QA").unwrap().as_str(), "web-QA");
    assert!(EnvName::for_project(&web, "web-").is_err());
    assert!(EnvName::for_project(&web, "Q A").is_err());
}

#[test]
fn passwords() {
    assert!(Password::parse("password", "correct horse", "alice", Some("a@b.example")).is_ok());
    let cases = [
        ("short", "must be 12 to 256 characters"),
        ("alice@corp.example", "must differ from the username and the email"),
        ("ALICE.SMITH.X", "must differ from the username and the email"),
    ];
    for (raw, message) in cases {
        let err = Password::parse("password", raw, "alice.smith.x", Some("alice@corp.example")).unwrap_err();
        assert_eq!(err.message, message, "{raw}");
    }
    assert!(Password::parse("password", &"p".repeat(257), "u", None).is_err());
    assert_eq!(
        format!("{:?}", Password::parse("password", "secret secret", "u", None).unwrap()),
        "Password(…)"
    );
}
