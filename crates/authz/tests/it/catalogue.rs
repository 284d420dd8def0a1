//! The catalogue loader: both shipped catalogues, and every validation error
//! with the file, line and field it names.

use gatehouse_authz::{Catalogue, CatalogueErrorKind as Kind, RoleType};

#[test]
fn platform_catalogue_matches_spec_3_3() {
    let c = Catalogue::platform().unwrap();
    assert_eq!(c.name(), "platform");
    let types: Vec<(&str, bool, usize)> = c
        .resource_types()
        .iter()
        .map(|t| (t.id.as_str(), t.env_scoped, t.actions.len()))
        .collect();
    assert_eq!(
        types,
        [
            ("repository", true, 5),
            ("release_bundle", true, 7),
            ("build", true, 5),
            ("pipeline", false, 7),
            ("security", false, 7),
            ("project", false, 5),
        ]
    );
    let delete = c.resolve_action("repository.delete").unwrap();
    assert_eq!(c.resolve_action("DELETE_OVERWRITE_REPOSITORY"), Some(delete));
    assert_eq!(c.action(delete).wire_name, "DELETE_OVERWRITE_REPOSITORY");
    assert_eq!(
        c.resolve_action("project.manage_members")
            .map(|a| c.action(a).wire_name.as_str()),
        Some("MANAGE_MEMBERS")
    );
    let categories: Vec<&str> = c.categories().iter().map(|k| k.id.as_str()).collect();
    assert_eq!(
        categories,
        [
            "artifacts.read",
            "artifacts.write",
            "artifacts.delete",
            "releases.promote",
            "pipelines.use",
            "pipelines.manage",
            "security.view",
            "security.manage",
            "project.admin",
        ]
    );
    let roles: Vec<(&str, RoleType, Vec<&str>)> = c
        .predefined_roles()
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.role_type,
                r.environments.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("Project Admin", RoleType::Admin, vec![]),
            ("Developer", RoleType::Predefined, vec!["DEV"]),
            ("Contributor", RoleType::Predefined, vec!["DEV"]),
            ("Viewer", RoleType::Predefined, vec!["DEV", "PROD"]),
            ("Release Manager", RoleType::Predefined, vec!["DEV", "PROD"]),
            ("Security Manager", RoleType::Predefined, vec!["DEV", "PROD"]),
        ]
    );
    // Project Admin holds every project action and no resource action.
    let admin = c.category("project.admin").unwrap().actions;
    assert_eq!(admin.len(), 5);
    assert!(admin.iter().all(|a| c.action(a).id.starts_with("project.")));
}

#[test]
fn connect_catalogue_makes_every_action_a_category() {
    let c = Catalogue::connect().unwrap();
    assert_eq!(c.actions().len(), 13 + 5);
    assert!(c.env_scoped().is_empty());
    for action in c.actions().iter().filter(|a| !a.id.starts_with("project.")) {
        let category = c.category(&action.id).unwrap();
        assert_eq!(category.actions.len(), 1, "{}", action.id);
    }
    assert!(c.resolve_action("device.remote_control").is_some());
    assert_eq!(c.predefined_roles().len(), 1);
}

#[test]
fn categories_within_keeps_only_whole_categories() {
    let c = Catalogue::platform().unwrap();
    let read = c.category("artifacts.read").unwrap().actions;
    let mut actions = read;
    actions.insert(c.resolve_action("repository.delete").unwrap());
    let kept: Vec<&str> = c.categories_within(actions).iter().map(|k| k.id.as_str()).collect();
    assert_eq!(kept, ["artifacts.read"]);
}

const TYPE_OK: &str =
    "[[resource_types]]\nid = \"box\"\nenv_scoped = true\nactions = [{ id = \"open\", wire_name = \"OPEN_BOX\" }]\n";

fn many_actions(n: usize) -> String {
    let actions: Vec<String> = (0..n)
        .map(|i| format!("{{ id = \"a{i}\", wire_name = \"A{i}\" }}"))
        .collect();
    format!(
        "name = \"big\"\n[[resource_types]]\nid = \"t\"\nenv_scoped = false\nactions = [{}]\n",
        actions.join(", ")
    )
}

#[test]
fn every_validation_error_names_file_line_and_field() {
    let cases: Vec<(&str, String, usize, &str, Kind)> = vec![
        ("syntax", "name = \n".into(), 1, "(document)", Kind::Syntax(String::new())),
        ("missing name", TYPE_OK.into(), 1, "name", Kind::Syntax(String::new())),
        (
            "unknown field",
            format!("name = \"x\"\ncolour = \"red\"\n{TYPE_OK}"),
            2,
            "colour",
            Kind::Syntax(String::new()),
        ),
        (
            "bad type id",
            "name = \"x\"\n[[resource_types]]\nid = \"Box\"\nenv_scoped = true\nactions = [{ id = \"open\", wire_name = \"OPEN\" }]\n".into(),
            3,
            "resource_types[0].id",
            Kind::InvalidId("Box".into()),
        ),
        (
            "reserved type",
            "name = \"x\"\n[[resource_types]]\nid = \"project\"\nenv_scoped = false\nactions = [{ id = \"x\", wire_name = \"X\" }]\n".into(),
            3,
            "resource_types[0].id",
            Kind::ReservedResourceType("project".into()),
        ),
        (
            "duplicate type",
            format!("name = \"x\"\n{TYPE_OK}{TYPE_OK}"),
            7,
            "resource_types[1].id",
            Kind::DuplicateResourceType("box".into()),
        ),
        (
            "no actions",
            "name = \"x\"\n[[resource_types]]\nid = \"box\"\nenv_scoped = true\nactions = []\n".into(),
            5,
            "resource_types[0].actions",
            Kind::NoActions,
        ),
        (
            "bad action id",
            "name = \"x\"\n[[resource_types]]\nid = \"box\"\nenv_scoped = true\nactions = [\n  { id = \"o-pen\", wire_name = \"OPEN\" },\n]\n".into(),
            6,
            "resource_types[0].actions[0].id",
            Kind::InvalidId("o-pen".into()),
        ),
        (
            "bad wire name",
            "name = \"x\"\n[[resource_types]]\nid = \"box\"\nenv_scoped = true\nactions = [{ id = \"open\", wire_name = \"open box\" }]\n".into(),
            5,
            "resource_types[0].actions[0].wire_name",
            Kind::InvalidId("open box".into()),
        ),
        (
            "duplicate action",
            "name = \"x\"\n[[resource_types]]\nid = \"box\"\nenv_scoped = true\nactions = [\n{ id = \"open\", wire_name = \"A\" },\n{ id = \"open\", wire_name = \"B\" },\n]\n".into(),
            7,
            "resource_types[0].actions[1].id",
            Kind::DuplicateAction("box.open".into()),
        ),
        (
            "duplicate wire name",
            "name = \"x\"\n[[resource_types]]\nid = \"box\"\nenv_scoped = true\nactions = [\n{ id = \"open\", wire_name = \"A\" },\n{ id = \"shut\", wire_name = \"A\" },\n]\n".into(),
            7,
            "resource_types[0].actions[1].wire_name",
            Kind::DuplicateWireName("A".into()),
        ),
        (
            "wire name of a project action",
            "name = \"x\"\n[[resource_types]]\nid = \"box\"\nenv_scoped = true\nactions = [{ id = \"open\", wire_name = \"MANAGE_MEMBERS\" }]\n".into(),
            1,
            "resource_types",
            Kind::DuplicateWireName("MANAGE_MEMBERS".into()),
        ),
        ("too many actions", many_actions(124), 1, "resource_types", Kind::TooManyActions(129)),
        (
            "bad category id",
            format!("name = \"x\"\n{TYPE_OK}[[categories]]\nid = \"Open\"\nactions = [\"box.open\"]\n"),
            7,
            "categories[0].id",
            Kind::InvalidId("Open".into()),
        ),
        (
            "duplicate category",
            format!("name = \"x\"\n{TYPE_OK}[[categories]]\nid = \"c\"\nactions = [\"box.open\"]\n[[categories]]\nid = \"c\"\nactions = [\"box.open\"]\n"),
            10,
            "categories[1].id",
            Kind::DuplicateCategory("c".into()),
        ),
        (
            "category named project.admin",
            format!("name = \"x\"\n{TYPE_OK}[[categories]]\nid = \"project.admin\"\nactions = [\"box.open\"]\n"),
            7,
            "categories[0].id",
            Kind::DuplicateCategory("project.admin".into()),
        ),
        (
            "empty category",
            format!("name = \"x\"\n{TYPE_OK}[[categories]]\nid = \"c\"\nactions = []\n"),
            8,
            "categories[0].actions",
            Kind::EmptyCategory,
        ),
        (
            "category with unknown action",
            format!("name = \"x\"\n{TYPE_OK}[[categories]]\nid = \"c\"\nactions = [\"box.open\", \"box.smash\"]\n"),
            8,
            "categories[0].actions[1]",
            Kind::UnknownAction("box.smash".into()),
        ),
        (
            "bad role name",
            format!("name = \"x\"\n{TYPE_OK}[[predefined_roles]]\nname = \" Opener\"\ncategories = [\"project.admin\"]\n"),
            7,
            "predefined_roles[0].name",
            Kind::InvalidId(" Opener".into()),
        ),
        (
            "role named like Project Admin",
            format!("name = \"x\"\n{TYPE_OK}[[predefined_roles]]\nname = \"project admin\"\ncategories = [\"project.admin\"]\n"),
            7,
            "predefined_roles[0].name",
            Kind::DuplicateRole("project admin".into()),
        ),
        (
            "empty role",
            format!("name = \"x\"\n{TYPE_OK}[[predefined_roles]]\nname = \"Opener\"\ncategories = []\n"),
            8,
            "predefined_roles[0].categories",
            Kind::EmptyRole,
        ),
        (
            "role with unknown category",
            format!("name = \"x\"\n{TYPE_OK}[[predefined_roles]]\nname = \"Opener\"\ncategories = [\"c\"]\n"),
            8,
            "predefined_roles[0].categories[0]",
            Kind::UnknownCategory("c".into()),
        ),
        (
            "role with unknown environment",
            format!("name = \"x\"\n{TYPE_OK}[[predefined_roles]]\nname = \"Opener\"\ncategories = [\"project.admin\"]\nenvironments = [\"DEV\", \"QA\"]\n"),
            9,
            "predefined_roles[0].environments[1]",
            Kind::UnknownEnvironment("QA".into()),
        ),
    ];
    for (case, text, line, field, kind) in cases {
        let err = Catalogue::parse("custom.toml", &text).expect_err(case);
        assert_eq!(err.file, "custom.toml", "{case}");
        assert_eq!((err.line, err.field.as_str()), (line, field), "{case}: {err}");
        match (&err.kind, &kind) {
            (Kind::Syntax(message), Kind::Syntax(_)) => assert!(!message.is_empty(), "{case}"),
            (got, want) => assert_eq!(got, want, "{case}"),
        }
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("custom.toml:{line}: `{field}`: ")),
            "{case}: {shown}"
        );
    }
}

#[test]
fn a_custom_catalogue_may_use_all_128_actions() {
    let c = Catalogue::parse("big.toml", &many_actions(123)).unwrap();
    assert_eq!(c.actions().len(), 128);
    assert_eq!(c.all_actions().len(), 128);
    let last = c.resolve_action("project.index_resources").unwrap();
    assert_eq!(last.index(), 127);
}
