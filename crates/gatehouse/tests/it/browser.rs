//! The web UI in a real browser (SPEC §12): each test starts the real
//! `gatehouse serve` on port 0 with a fresh SQLite store and runs one
//! Playwright script of `tests/js/` (playwright-core driving Debian's
//! Chromium, axe-core injected into each page). Screenshots go to
//! `target/tmp/ui-screenshots/<script>/`. A missing node, npm package or
//! Chromium fails the test with the command that installs it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the screenshots of `script` go.
pub fn screenshots(script: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("ui-screenshots")
        .join(script.trim_end_matches(".mjs"))
}

/// Fails, naming the install command, when a tool the browser tests need is missing.
fn require_tools() -> String {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium is missing at {chromium}: install Debian's package with `apt-get install -y chromium` \
         (never a downloaded browser)"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: `apt-get install -y nodejs npm`"
    );
    for package in ["playwright-core", "axe-core"] {
        assert!(
            root().join("tests/js/node_modules").join(package).exists(),
            "tests/js/node_modules/{package} is missing: run `npm ci --prefix tests/js`"
        );
    }
    chromium
}

/// Starts a fresh `gatehouse serve` (generated one-time admin password)
/// and runs `tests/js/<script>` against it; fails with the script's output.
pub fn run(script: &str) {
    let chromium = require_tools();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = crate::serve_cli::first_start(dir.path(), &data)
        .env_remove("GATEHOUSE_PUBLIC_URL")
        .spawn()
        .unwrap();
    let (addr, _stdout) = crate::serve_cli::listening(&mut child);
    let out = screenshots(script);
    let output = Command::new("node")
        .arg(root().join("tests/js").join(script))
        .current_dir(root().join("tests/js"))
        .env("BASE_URL", format!("http://{addr}"))
        .env("ADMIN_PASSWORD_FILE", data.join("initial-admin-password"))
        .env("OUT_DIR", &out)
        .env("CHROMIUM", chromium)
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    println!("{stdout}");
}

#[test]
fn foundation_login_layout_users_list_headers_csrf_axe() {
    run("foundation.mjs");
}

#[test]
fn first_login_create_user_escalation_tokens_bad_input_without_javascript() {
    run("users.mjs");
}

#[test]
fn check_playground_decision_explained_denial_in_words_who_can() {
    run("check.mjs");
}

#[test]
fn audit_log_filters_paging_before_after_export_chain() {
    run("audit.mjs");
}

#[test]
fn environments_in_use_confirmation_groups_members_delete_without_javascript() {
    run("environments_groups.mjs");
}

#[test]
fn status_chips_search_invite_accept_forgotten_password_settings() {
    run("accounts.mjs");
}

#[test]
fn projects_tabs_role_editor_members_escalation_without_javascript() {
    run("projects.mjs");
}

#[test]
fn impact_preview_in_the_role_editor_and_before_a_member_is_removed() {
    run("impact.mjs");
}
