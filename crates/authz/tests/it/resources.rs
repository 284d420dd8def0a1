//! The resource registry (SPEC §5.6): lookups, checks that name a resource,
//! cascades when a project or environment goes, and what `compile` and
//! `apply` refuse.

use gatehouse_authz::{Change, Denial, Model, ModelError, QueryError, ResourceSpec, Snapshot, UserSpec};

use crate::fixtures::{compile, member, platform, project, project_env, role, user};

fn resource(resource_type: &str, name: &str, project: &str, env: Option<&str>) -> ResourceSpec {
    ResourceSpec {
        resource_type: resource_type.into(),
        name: name.into(),
        project: project.into(),
        environment: env.map(str::to_owned),
    }
}

/// Projects `web` (with `web-QA`) and `api`; alice deletes repositories in
/// `web` in DEV only; three resources.
fn model() -> Model {
    let mut model = Model::new(&platform());
    model.users.push(UserSpec::person("alice"));
    model.projects.extend([project("web"), project("api")]);
    model.environments.push(project_env("web", "QA"));
    model.roles.push(role(
        "Deleter",
        Some("web"),
        &["repository.delete", "pipeline.trigger"],
        &["DEV"],
    ));
    model.members.push(member("web", user("alice"), &["Deleter"]));
    model.resources.extend([
        resource("repository", "web-libs-dev", "web", Some("DEV")),
        resource("repository", "web-libs-qa", "web", Some("web-QA")),
        resource("pipeline", "web-build", "web", None),
        resource("repository", "api-libs", "api", Some("PROD")),
    ]);
    model
}

fn resolved<'a>(s: &'a Snapshot, t: &str, n: &str) -> Option<(&'a str, Option<&'a str>)> {
    s.resolve_resource(t, n)
}

fn allows_on(s: &Snapshot, action: &str, t: &str, n: &str) -> Result<bool, Denial> {
    let q = s.resource_query("alice", action, t, n).expect("a valid question")?;
    Ok(s.check(&q).expect("a valid question"))
}

#[test]
fn a_resource_resolves_to_its_project_and_environment() {
    let s = compile(&model());
    for (t, n, want) in [
        ("repository", "web-libs-dev", Some(("web", Some("DEV")))),
        ("repository", "web-libs-qa", Some(("web", Some("web-QA")))),
        ("pipeline", "web-build", Some(("web", None))),
        ("repository", "api-libs", Some(("api", Some("PROD")))),
        ("repository", "nothing", None),
        ("pipeline", "web-libs-dev", None),
        ("nonsense", "web-build", None),
    ] {
        assert_eq!(resolved(&s, t, n), want, "{t}/{n}");
        assert_eq!(s.resource(t, n).is_some(), want.is_some(), "{t}/{n}");
    }
    let (p, e) = s.resource("repository", "web-libs-dev").unwrap();
    assert_eq!(Some(p), s.project_id("web"));
    assert_eq!(e, s.env_id("DEV"));
    let listed: Vec<(&str, &str)> = s.resources().map(|(t, n, _, _)| (t, n)).collect();
    assert_eq!(
        listed,
        [
            ("pipeline", "web-build"),
            ("repository", "api-libs"),
            ("repository", "web-libs-dev"),
            ("repository", "web-libs-qa"),
        ]
    );
}

#[test]
fn a_check_may_name_a_resource() {
    let s = compile(&model());
    for (action, t, n, want) in [
        ("repository.delete", "repository", "web-libs-dev", Ok(true)),
        ("repository.delete", "repository", "web-libs-qa", Ok(false)),
        ("repository.delete", "repository", "api-libs", Ok(false)),
        ("pipeline.trigger", "pipeline", "web-build", Ok(true)),
        ("repository.delete", "repository", "ghost", Err(Denial::UnknownResource)),
    ] {
        assert_eq!(allows_on(&s, action, t, n), want, "{action} on {t}/{n}");
    }
    assert!(
        s.resource_query("alice", "no.such", "repository", "web-libs-dev")
            .is_err()
    );
    assert!(s.resource_query("alice", "no.such", "repository", "ghost").is_err());
    // An action of another type than the resource's, registered or not.
    for n in ["web-build", "ghost"] {
        assert_eq!(
            s.resource_query("alice", "repository.delete", "pipeline", n),
            Err(QueryError::ActionNotOfResourceType),
            "repository.delete on pipeline/{n}"
        );
    }
    assert_eq!(
        s.resource_query("alice", "project.manage_members", "repository", "web-libs-dev"),
        Err(QueryError::ActionNotOfResourceType)
    );
    // A type the catalogue does not know: no such resource can exist.
    assert_eq!(
        s.resource_query("alice", "repository.delete", "nonsense", "web-build"),
        Ok(Err(Denial::UnknownResource))
    );
}

#[test]
fn removing_a_project_removes_its_resources() {
    let s = compile(&model());
    let s = s.apply(&Change::RemoveProject("web".into())).unwrap();
    let left: Vec<&str> = s.resources().map(|(_, n, _, _)| n).collect();
    assert_eq!(left, ["api-libs"]);
    let s = s.apply(&Change::PutProject(project("web"))).unwrap();
    assert_eq!(resolved(&s, "repository", "web-libs-dev"), None);
}

#[test]
fn removing_an_environment_removes_the_resources_in_it() {
    let s = compile(&model());
    let s = s.apply(&Change::RemoveEnvironment("web-QA".into())).unwrap();
    assert_eq!(resolved(&s, "repository", "web-libs-qa"), None);
    assert_eq!(resolved(&s, "repository", "web-libs-dev"), Some(("web", Some("DEV"))));
    assert_eq!(s.resources().count(), 3);
}

#[test]
fn put_moves_and_remove_removes() {
    let s = compile(&model());
    let s = s
        .apply(&Change::PutResource(resource(
            "repository",
            "web-libs-dev",
            "api",
            Some("DEV"),
        )))
        .unwrap();
    assert_eq!(resolved(&s, "repository", "web-libs-dev"), Some(("api", Some("DEV"))));
    let remove = Change::RemoveResource {
        resource_type: "repository".into(),
        name: "web-libs-dev".into(),
    };
    let s = s.apply(&remove).unwrap();
    assert_eq!(resolved(&s, "repository", "web-libs-dev"), None);
    assert_eq!(
        s.apply(&remove).unwrap_err(),
        ModelError::UnknownResource("repository/web-libs-dev".into())
    );
}

#[test]
fn invalid_resources_are_refused_by_apply_and_compile() {
    let s = compile(&model());
    for (spec, error) in [
        (
            resource("gadget", "g", "web", None),
            ModelError::UnknownResourceType("gadget".into()),
        ),
        (
            resource("repository", "r", "nowhere", Some("DEV")),
            ModelError::UnknownProject("nowhere".into()),
        ),
        (
            resource("repository", "r", "web", None),
            ModelError::ResourceNeedsEnvironment("repository/r".into()),
        ),
        (
            resource("pipeline", "p", "web", Some("DEV")),
            ModelError::ResourceTakesNoEnvironment("pipeline/p".into()),
        ),
        (
            resource("repository", "r", "api", Some("web-QA")),
            ModelError::UnknownEnvironment("web-QA".into()),
        ),
        (
            resource("repository", "r", "web", Some("NOPE")),
            ModelError::UnknownEnvironment("NOPE".into()),
        ),
    ] {
        assert_eq!(
            s.apply(&Change::PutResource(spec.clone())).unwrap_err(),
            error,
            "{spec:?}"
        );
        let mut bad = model();
        bad.resources.push(spec.clone());
        assert_eq!(Snapshot::compile(platform(), &bad).unwrap_err(), error, "{spec:?}");
    }
}
