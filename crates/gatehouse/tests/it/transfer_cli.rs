//! `gatehouse export`, `import` and `bench-data` (SPEC §10, §11): an
//! export imported into a fresh server exports the same; a document with
//! errors changes nothing and every error is listed.

use predicates::prelude::*;

use crate::client_cli::Server;

fn seed(server: &Server) {
    server.ok(&["users", "create", "--email", "alice@example.com", "--username", "alice"]);
    server.ok(&["users", "create", "--email", "bob@example.com", "--username", "bob"]);
    server.ok(&["groups", "create", "devs", "--members", "alice,bob"]);
    server.ok(&["projects", "create", "web", "--name", "Web"]);
    server.ok(&["environments", "create", "QA", "--project", "web"]);
    server.ok(&[
        "roles",
        "create",
        "Seed Developer",
        "--categories",
        "artifacts.read,artifacts.write",
        "--environments",
        "DEV,PROD",
    ]);
    server.ok(&[
        "roles",
        "create",
        "Lead Developer",
        "--project",
        "web",
        "--actions",
        "repository.delete",
        "--environments",
        "DEV,web-QA",
    ]);
    server.ok(&[
        "members",
        "set",
        "--project",
        "web",
        "--user",
        "alice",
        "--roles",
        "Lead Developer",
    ]);
    server.ok(&[
        "members",
        "set",
        "--project",
        "web",
        "--group",
        "devs",
        "--roles",
        "Seed Developer",
    ]);
}

#[test]
fn an_export_imported_into_a_fresh_server_exports_the_same() {
    let a = Server::start();
    a.login_admin();
    seed(&a);
    let file = a.dir.path().join("export.yaml");
    a.ok(&["export", "--out", file.to_str().unwrap()]);
    let exported = std::fs::read_to_string(&file).unwrap();
    assert!(
        exported.contains("Lead Developer") && exported.contains("devs"),
        "{exported}"
    );
    assert_eq!(a.ok(&["export"]), exported, "export to stdout and to a file agree");
    let project = a.ok(&["export", "--project", "web"]);
    assert!(
        project.contains("key: web") && project.contains("Lead Developer"),
        "{project}"
    );

    let b = Server::start();
    b.login_admin();
    let report = b.ok(&["import", file.to_str().unwrap()]);
    assert!(report.contains("created"), "{report}");
    assert_eq!(b.ok(&["export"]), exported);
    // Importing again changes nothing.
    let again: serde_json::Value = serde_json::from_str(&b.ok(&["import", file.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(again["created"], 0, "{again}");
    assert_eq!(again["updated"], 0, "{again}");
    b.cli()
        .args([
            "check",
            "alice",
            "repository.delete",
            "--project",
            "web",
            "--environment",
            "web-QA",
        ])
        .assert()
        .code(0);
}

#[test]
fn an_import_with_errors_changes_nothing_and_lists_every_error() {
    let server = Server::start();
    server.login_admin();
    seed(&server);
    let before = server.ok(&["export"]);
    let file = server.dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "version: 1\n\
         users:\n  - username: carol\n    email: carol@example.com\n\
         roles:\n  - name: Broken\n    actions: [no.such.action]\n    environments: [DEV]\n\
         projects:\n  - key: api\n    display_name: API\n    users:\n      nobody: [Seed Developer]\n",
    )
    .unwrap();
    let out = server
        .cli()
        .args(["import", file.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: validation_failed: "));
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("roles[0]"), "{err}");
    assert!(err.contains("projects[0]"), "{err}");
    assert_eq!(server.ok(&["export"]), before, "a refused import changes nothing");
}

#[test]
fn a_yaml_error_names_its_line_and_column() {
    let server = Server::start();
    server.login_admin();
    let file = server.dir.path().join("broken.yaml");
    std::fs::write(&file, "version: 1\nusers:\n  - username: [unclosed\n").unwrap();
    server
        .cli()
        .args(["import", file.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("broken.yaml:3:"));
    std::fs::write(&file, "version: 1\nuserz: []\n").unwrap();
    server
        .cli()
        .args(["import", file.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("broken.yaml:2:").and(predicate::str::contains("userz")));
}

#[test]
fn bench_data_writes_the_reference_workload_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.yaml"), dir.path().join("b.yaml"));
    for file in [&a, &b] {
        assert_cmd::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["bench-data", "--scale", "1", "--out", file.to_str().unwrap()])
            .assert()
            .success();
    }
    let text = std::fs::read_to_string(&a).unwrap();
    assert_eq!(text, std::fs::read_to_string(&b).unwrap());
    let doc: gatehouse_api::Document = serde_yaml_ng::from_str(&text).unwrap();
    assert_eq!(doc.users.len(), 10_000);
    assert_eq!(doc.groups.len(), 1_000);
    assert_eq!(doc.projects.len(), 500);
    assert_eq!(doc.roles.len(), 5);
    let members: usize = doc.projects.iter().map(|p| p.users.len() + p.groups.len()).sum();
    assert!((50_000..=70_000).contains(&members), "{members}");
}
