//! Logging in through an OpenID Connect provider with the real binary
//! (SPEC §13): `gatehouse login --oidc` through the device-authorization
//! grant (RFC 8628), and the log-in page's "Log in with …" button in
//! Chromium. The provider is a real one, `oidc-provider` from npm
//! (`tests/js/oidc-provider.mjs`), started on a free port of this machine
//! with its own sign-in and consent pages, which a Playwright script clicks
//! through as the person would.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The repository's `tests/js`.
fn js() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/js")
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The provider, sending browsers back to `callback`; answers it and its
/// issuer URL.
fn provider(callback: &str) -> (Killed, String) {
    assert!(
        js().join("node_modules/oidc-provider").is_dir(),
        "tests/js/node_modules/oidc-provider is missing: run `npm ci --prefix tests/js`"
    );
    let mut child = Command::new("node")
        .arg("oidc-provider.mjs")
        .arg(callback)
        .current_dir(js())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot run `node` (install it: `apt-get install -y nodejs npm`)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let child = Killed(child);
    let issuer = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            serde_json::from_str::<serde_json::Value>(&line)
                .ok()
                .and_then(|v| v["issuer"].as_str().map(str::to_owned))
        })
        .expect("the provider said nothing");
    // Keep reading its notices: a provider writing to a closed pipe dies.
    std::thread::spawn(move || for _ in lines {});
    (child, issuer)
}

/// A fresh `gatehouse serve` whose OIDC provider is `issuer`, with the
/// provider's two clients: `gatehouse-web` for browsers and the public
/// `gatehouse-cli` for the device grant.
struct Instance {
    _provider: Killed,
    _serve: Killed,
    url: String,
    dir: tempfile::TempDir,
}

impl Instance {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // The callback URL the provider knows names the port before Gatehouse starts.
        let port = crate::proxy_cli::free_port();
        let url = format!("http://127.0.0.1:{port}");
        let (provider, issuer) = provider(&format!("{url}/auth/oidc/callback"));
        let mut serve = crate::serve_cli::first_start(dir.path(), &dir.path().join("data"))
            .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
            .env_remove("GATEHOUSE_PUBLIC_URL")
            .env("GATEHOUSE_OIDC_ISSUER", &issuer)
            .env("GATEHOUSE_OIDC_CLIENT_ID", "gatehouse-web")
            .env("GATEHOUSE_OIDC_CLIENT_SECRET", "web-secret")
            .env("GATEHOUSE_OIDC_CLI_CLIENT_ID", "gatehouse-cli")
            .env("GATEHOUSE_OIDC_DISPLAY_NAME", "Test SSO")
            .spawn()
            .unwrap();
        let (addr, stdout) = crate::serve_cli::listening(&mut serve);
        assert_eq!(format!("http://{addr}"), url);
        std::thread::spawn(move || for _ in stdout.lines() {});
        Self {
            _provider: provider,
            _serve: Killed(serve),
            url,
            dir,
        }
    }

    /// `gatehouse` with this test's own config directory.
    fn cli(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        cmd.env("GATEHOUSE_CONFIG_DIR", self.dir.path().join("config"))
            .env_remove("GATEHOUSE_URL")
            .env_remove("GATEHOUSE_TOKEN")
            .env_remove("GATEHOUSE_PROFILE");
        cmd
    }
}

/// Runs `tests/js/<script>` with `env`; fails with its output.
fn node(script: &str, env: &[(&str, &str)]) {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium is missing at {chromium}: `apt-get install -y chromium`"
    );
    let output = Command::new("node")
        .arg(js().join(script))
        .current_dir(js())
        .env("CHROMIUM", &chromium)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn login_oidc_uses_the_device_grant_and_keeps_a_token_of_the_new_user() {
    let instance = Instance::start();
    let mut login = instance
        .cli()
        .args(["login", &instance.url, "--oidc"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The CLI says where to go; the person goes there in a browser.
    let (lines, said) = mpsc::channel();
    let stderr = BufReader::new(login.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut shown = Vec::new();
    let url = loop {
        let line = said
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("the CLI showed no verification URL: {shown:?}"));
        if let Some(url) = line.strip_prefix("To log in with Test SSO, open ") {
            break url.trim().to_owned();
        }
        shown.push(line);
    };
    assert!(url.contains("user_code="), "the complete verification URL: {url}");
    let mut login = Killed(login);
    node("oidc-device.mjs", &[("DEVICE_URL", &url), ("LOGIN", "dave")]);

    // The CLI polls at the provider's interval, then exchanges the ID token.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = login.0.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the CLI did not finish");
        std::thread::sleep(Duration::from_millis(200));
    };
    let rest: Vec<String> = said.try_iter().collect();
    assert!(status.success(), "gatehouse login --oidc failed: {rest:?}");

    // The saved profile's token is the user the first login created.
    let out = instance.cli().args(["whoami", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(me["username"], "dave", "{me}");
    assert_eq!(me["managed_by"], "oidc", "{me}");
    assert_eq!(me["email"], "dave@example.com", "{me}");
    assert_eq!(me["status"], "enabled", "{me}");
}

#[test]
fn the_log_in_page_button_logs_in_through_the_provider_in_chromium() {
    let instance = Instance::start();
    let out = crate::browser::screenshots("oidc-login.mjs");
    node(
        "oidc-login.mjs",
        &[("BASE_URL", &instance.url), ("OUT_DIR", out.to_str().unwrap())],
    );
}
