//! The client commands against a real `gatehouse serve`: login profiles,
//! the SPEC §2.1 seed example through the CLI alone, `--json` equal to the
//! API's answer, exit codes (0, 1, 2, 3) and error output.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;

/// The admin password the test servers start with.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A `gatehouse serve` child on a free port, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Holds the data directory and the CLI's config directory.
    pub dir: tempfile::TempDir,
}

impl Server {
    /// Starts a fresh server with an empty store.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (child, addr, stdout) = crate::serve_cli::serve_in(dir.path(), "human", Stdio::null());
        let url = format!("http://{addr}");
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in stdout.lines() {});
        Self { child, url, dir }
    }

    /// The CLI's config directory for this server's tests.
    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// `gatehouse` with this test's config directory and no ambient settings.
    pub fn cli(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        cmd.env("GATEHOUSE_CONFIG_DIR", self.config_dir())
            .env_remove("GATEHOUSE_URL")
            .env_remove("GATEHOUSE_TOKEN")
            .env_remove("GATEHOUSE_PROFILE")
            .timeout(std::time::Duration::from_secs(60));
        cmd
    }

    /// `gatehouse ARGS` expected to succeed; answers its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cli().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    /// Logs in as `admin` through the CLI.
    pub fn login_admin(&self) {
        self.cli()
            .args(["login", &self.url, "--username", "admin", "--password-stdin"])
            .write_stdin(format!("{ADMIN_PASSWORD}\n"))
            .assert()
            .success();
    }

    /// The saved profile's token.
    pub fn token(&self) -> String {
        let text = std::fs::read_to_string(self.config_dir().join("profiles.toml")).unwrap();
        let value: toml::Value = toml::from_str(&text).unwrap();
        value["profiles"]["default"]["token"].as_str().unwrap().to_owned()
    }

    /// A typed client acting with the saved token.
    pub fn client(&self) -> gatehouse_client::Client {
        gatehouse_client::Client::new(&self.url, Some(self.token())).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a future of the typed client to completion.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn login_keeps_a_private_token_and_logout_revokes_it() {
    let server = Server::start();
    server.login_admin();
    let file = server.config_dir().join("profiles.toml");
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(ADMIN_PASSWORD), "{text}");
    assert!(text.contains("gate_"), "{text}");
    assert!(text.contains(&server.url), "{text}");

    let me = server.ok(&["whoami"]);
    assert!(me.contains("admin"), "{me}");
    let me = json(&server.ok(&["whoami", "--json"]));
    assert_eq!(me["username"], "admin");

    let token = server.token();
    server.ok(&["logout"]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&token), "{text}");
    // The token is revoked server-side.
    server
        .cli()
        .args(["whoami", "--url", &server.url, "--token", &token])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error: "));
}

#[test]
fn login_refuses_a_wrong_password_with_the_problem_code() {
    let server = Server::start();
    server
        .cli()
        .args(["login", &server.url, "--username", "admin", "--password-stdin"])
        .write_stdin("not the password at all\n")
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: invalid_credentials: "));
    assert!(!server.config_dir().join("profiles.toml").exists());
}

#[test]
fn the_seed_example_through_the_cli_alone() {
    let server = Server::start();
    server.login_admin();
    server.ok(&["users", "create", "--email", "alice@example.com", "--username", "alice"]);
    server.ok(&["users", "create", "--email", "bob@example.com", "--username", "bob"]);
    server.ok(&["projects", "create", "web", "--name", "Web"]);
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
        "--categories",
        "artifacts.read,artifacts.write,artifacts.delete",
        "--environments",
        "DEV",
    ]);
    server.ok(&[
        "members",
        "set",
        "--project",
        "web",
        "--user",
        "alice",
        "--roles",
        "Seed Developer,Lead Developer",
    ]);
    let members = server.ok(&["members", "list", "--project", "web"]);
    assert!(
        members.contains("alice") && members.contains("Lead Developer"),
        "{members}"
    );

    // Read and write in DEV and PROD, delete only in DEV.
    for (action, env, code) in [
        ("repository.read", "PROD", 0),
        ("repository.deploy", "PROD", 0),
        ("repository.delete", "DEV", 0),
        ("repository.delete", "PROD", 3),
    ] {
        server
            .cli()
            .args(["check", "alice", action, "--project", "web", "--environment", env])
            .assert()
            .code(code);
    }
    let out = server
        .cli()
        .args([
            "check",
            "alice",
            "repository.read",
            "--project",
            "web",
            "--environment",
            "DEV",
            "--explain",
        ])
        .assert()
        .code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("Seed Developer") && text.contains("Lead Developer") && text.contains("DEV"),
        "{text}"
    );
    let out = server
        .cli()
        .args([
            "check",
            "alice",
            "repository.delete",
            "--project",
            "web",
            "--environment",
            "PROD",
            "--explain",
        ])
        .assert()
        .code(3);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("denied") && text.contains("environment_not_granted"),
        "{text}"
    );
    server
        .cli()
        .args([
            "check",
            "bob",
            "repository.read",
            "--project",
            "web",
            "--environment",
            "DEV",
            "--explain",
        ])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("not_a_member"));

    let who = server.ok(&[
        "who-can",
        "repository.delete",
        "--project",
        "web",
        "--environment",
        "DEV",
    ]);
    assert!(who.contains("alice") && who.contains("Lead Developer"), "{who}");
    let perms = server.ok(&["permissions", "alice", "--project", "web"]);
    assert!(perms.contains("repository.delete"), "{perms}");

    // Removing the member takes its permissions away.
    server.ok(&["members", "remove", "--project", "web", "--user", "alice"]);
    server
        .cli()
        .args([
            "check",
            "alice",
            "repository.read",
            "--project",
            "web",
            "--environment",
            "DEV",
        ])
        .assert()
        .code(3);
    let audit = server.ok(&["audit", "--project", "web"]);
    assert!(audit.contains("member"), "{audit}");
}

#[test]
fn json_output_is_the_api_answer() {
    let server = Server::start();
    server.login_admin();
    server.ok(&["users", "create", "--email", "carol@example.com"]);
    server.ok(&["projects", "create", "web", "--name", "Web"]);
    let client = server.client();

    let cli = json(&server.ok(&["users", "list", "--json"]));
    let api = block_on(client.list_users(&gatehouse_client::UserQuery::default())).unwrap();
    assert_eq!(cli, serde_json::to_value(&api).unwrap());

    let cli = json(&server.ok(&["projects", "get", "web", "--json"]));
    let api = block_on(client.get_project("web")).unwrap();
    assert_eq!(cli, serde_json::to_value(&api).unwrap());

    let cli = json(&server.ok(&["invitations", "list", "--json"]));
    let api = block_on(client.list_invitations(&gatehouse_client::Paging::default())).unwrap();
    assert_eq!(cli, serde_json::to_value(&api).unwrap());
    assert_eq!(cli["items"][0]["to"], "carol@example.com");
    let table = server.ok(&["invitations", "list"]);
    assert!(
        table.contains("carol@example.com") && table.contains("pending"),
        "{table}"
    );

    let cli = json(&server.ok(&["roles", "list", "--project", "web", "--json"]));
    let api = block_on(client.list_roles(Some("web"), &gatehouse_client::Paging::default())).unwrap();
    assert_eq!(cli, serde_json::to_value(&api).unwrap());

    let out = server
        .cli()
        .args([
            "check",
            "carol@example.com",
            "repository.read",
            "--project",
            "web",
            "--environment",
            "DEV",
        ])
        .args(["--explain", "--json"])
        .assert()
        .code(3);
    let cli = json(&String::from_utf8_lossy(&out.get_output().stdout));
    assert_eq!(cli["allowed"], false);
    assert_eq!(cli["denial"], "not_a_member");
}

#[test]
fn usage_errors_exit_2_and_problems_exit_1_with_their_code() {
    let server = Server::start();
    server.login_admin();
    server.cli().args(["check"]).assert().code(2);
    server
        .cli()
        .args(["members", "set", "--project", "web"])
        .assert()
        .code(2);
    server.cli().args(["no-such-command"]).assert().code(2);
    server
        .cli()
        .args(["projects", "get", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: not_found: "));
    server
        .cli()
        .args(["projects", "create", "Bad Key", "--name", ""])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: validation_failed: ").and(predicate::str::contains("  key: ")));
    // No server at all: exit 1, not a panic.
    Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .env("GATEHOUSE_CONFIG_DIR", server.dir.path().join("empty"))
        .env_remove("GATEHOUSE_URL")
        .env_remove("GATEHOUSE_TOKEN")
        .args(["whoami"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("gatehouse login"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("gatehouse"));
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::io::Read as _;

    for args in [&["completions", "bash"][..], &["catalogue", "show"][..]] {
        let mut child = StdCommand::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before anything is written, like
        // `gatehouse … | true`: every write meets a closed pipe.
        drop(child.stdout.take());
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert!(status.success(), "{args:?}: {status:?} {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn resources_settings_and_checks_by_resource() {
    let server = Server::start();
    server.login_admin();
    server.ok(&["projects", "create", "web", "--name", "Web"]);
    server.ok(&[
        "resources",
        "register",
        "--project",
        "web",
        "--type",
        "repository",
        "web-libs",
        "--environment",
        "DEV",
    ]);
    let listed = json(&server.ok(&["--json", "resources", "list", "--project", "web"]));
    assert_eq!(listed["items"][0]["name"], "web-libs");
    assert_eq!(listed["items"][0]["environment"], "DEV");

    // The admin may read in DEV: exit 0; an unknown resource is a deny: exit 3.
    server
        .cli()
        .args(["check", "admin", "repository.read", "--resource", "repository/web-libs"])
        .assert()
        .code(0);
    server
        .cli()
        .args([
            "check",
            "admin",
            "repository.read",
            "--resource",
            "repository/nothing",
            "--explain",
        ])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("unknown_resource"));
    server
        .cli()
        .args(["check", "admin", "repository.read", "--resource", "no-slash"])
        .assert()
        .code(2);

    let settings = json(&server.ok(&[
        "--json",
        "settings",
        "set-billing",
        "--plan",
        "team",
        "--contact",
        "b@example.com",
    ]));
    assert_eq!(settings["billing"]["plan"], "team");
    assert!(server.ok(&["settings", "show"]).contains("b@example.com"));
    server.ok(&[
        "resources",
        "remove",
        "--project",
        "web",
        "--type",
        "repository",
        "web-libs",
    ]);
    assert_eq!(
        json(&server.ok(&["--json", "resources", "list", "--project", "web"])),
        serde_json::json!({"items": [], "next_cursor": null})
    );
}

/// The Python verifier of `docs/audit.md`, as printed there.
fn documented_python_verifier() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/audit.md")).unwrap();
    let start = doc.find("```python\n").expect("docs/audit.md shows a Python verifier") + "```python\n".len();
    let end = start + doc[start..].find("```").unwrap();
    doc[start..end].to_owned()
}

#[test]
fn an_audit_export_verifies_with_the_documented_python_and_with_audit_verify_file() {
    let server = Server::start();
    server.login_admin();
    server.ok(&["users", "create", "--email", "zoe@example.com", "--username", "zoe"]);
    server.ok(&["projects", "create", "web", "--name", "Wéb ☃ \"quoted\""]);
    // A failed login: a record with `revision: null`.
    server
        .cli()
        .args(["login", &server.url, "--username", "zoe", "--password-stdin"])
        .write_stdin("wrong password\n")
        .assert()
        .failure();

    let export = http_get(&format!("{}/api/v1/audit/export", server.url), &server.token());
    let lines: Vec<serde_json::Value> = export.lines().map(json).collect();
    assert!(lines.len() >= 4, "{export}");
    assert!(
        lines.iter().all(|l| l.get("revision").is_some()),
        "revision is exported"
    );
    assert!(lines.iter().any(|l| l["revision"].is_null()), "{export}");
    let file = server.dir.path().join("audit.ndjson");
    std::fs::write(&file, &export).unwrap();
    let script = server.dir.path().join("verify.py");
    std::fs::write(&script, documented_python_verifier()).unwrap();

    let python = |path: &Path| {
        StdCommand::new("python3")
            .arg(&script)
            .arg(path)
            .output()
            .expect("python3 runs")
    };
    let out = python(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{} records verified", lines.len())));
    let out = server.ok(&["audit", "verify", "--file", file.to_str().unwrap()]);
    assert!(
        out.contains(&format!("audit export verified: {} records", lines.len())),
        "{out}"
    );

    // One altered field, and both refuse it.
    let tampered = server.dir.path().join("tampered.ndjson");
    std::fs::write(
        &tampered,
        export.replacen("\"zoe@example.com\"", "\"eve@example.com\"", 1),
    )
    .unwrap();
    assert_ne!(std::fs::read_to_string(&tampered).unwrap(), export);
    let out = python(&tampered);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("was altered"));
    server
        .cli()
        .args(["audit", "verify", "--file", tampered.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("does not verify"));
}

/// `GET url` with a bearer token, as text.
fn http_get(url: &str, token: &str) -> String {
    let out = StdCommand::new("curl")
        .args(["-sf", "-H", &format!("Authorization: Bearer {token}"), url])
        .output()
        .unwrap();
    assert!(out.status.success(), "curl {url}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn dry_run_prints_the_impact_and_writes_nothing() {
    let server = Server::start();
    server.login_admin();
    server.ok(&["users", "create", "--email", "alice@example.com", "--username", "alice"]);
    server.ok(&["projects", "create", "web", "--name", "Web"]);
    server.ok(&[
        "roles",
        "create",
        "Reader",
        "--project",
        "web",
        "--categories",
        "artifacts.read",
        "--environments",
        "DEV",
    ]);
    let set_alice = [
        "members",
        "set",
        "--project",
        "web",
        "--user",
        "alice",
        "--roles",
        "Reader",
    ];

    // Counts first, then the changes; nothing written.
    let mut args = vec!["--dry-run"];
    args.extend(set_alice);
    let human = server.ok(&args);
    assert!(human.starts_with("Dry run at revision "), "{human}");
    assert!(human.contains("1 user(s) affected"), "{human}");
    assert!(human.contains("repository.read") && human.contains("gained"), "{human}");
    let members = server.ok(&["members", "list", "--project", "web", "--json"]);
    assert_eq!(
        json(&members)["items"],
        serde_json::json!([]),
        "the dry run wrote nothing"
    );

    let mut args = vec!["--dry-run", "--json", "--dry-run-limit", "1"];
    args.extend(set_alice);
    let answer = json(&server.ok(&args));
    assert_eq!(answer["dry_run"], serde_json::json!(true));
    assert_eq!(answer["impact"]["changes"].as_array().unwrap().len(), 1);
    assert_eq!(answer["impact"]["truncated"], serde_json::json!(true));
    assert!(answer["impact"]["gained"].as_u64().unwrap() > 1);

    // A write that cannot be previewed is refused by the server, not made.
    server
        .cli()
        .args(["--dry-run", "projects", "create", "api", "--name", "API"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("dry_run"));
    server.cli().args(["projects", "get", "api"]).assert().code(1);

    // Without --dry-run the same command writes.
    server.ok(&set_alice);
    let members = server.ok(&["members", "list", "--project", "web"]);
    assert!(members.contains("alice"), "{members}");
}
