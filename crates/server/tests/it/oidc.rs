//! Logging in through an OpenID Connect provider (SPEC §13), over real
//! HTTP against a real provider: `oauth2-mock-server` from npm, started by
//! each test on a free port (`tests/js/oidc-mock.mjs`). The mock verifies
//! PKCE, keeps the nonce, signs with its RS256 key, and lets the test shape
//! (or spoil) the next ID token.

use std::path::Path;
use std::process::Stdio;

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::spawn::{Backend, TestServer, start_with};

const CLIENT_ID: &str = "gatehouse-test";

/// The mock provider, a node child process killed when dropped.
struct Provider {
    issuer: String,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    _child: Child,
}

impl Provider {
    async fn start() -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/js");
        assert!(
            dir.join("node_modules/oauth2-mock-server").is_dir(),
            "tests/js/node_modules is missing: run `npm ci --prefix tests/js` (needs node and npm: `apt-get install -y nodejs npm`)"
        );
        let mut child = Command::new("node")
            .arg("oidc-mock.mjs")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("cannot run `node` (install it: `apt-get install -y nodejs npm`, then `npm ci --prefix tests/js`)");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = stdout
            .next_line()
            .await
            .unwrap()
            .expect("the mock provider said nothing");
        let issuer = serde_json::from_str::<Value>(&first).unwrap()["issuer"]
            .as_str()
            .unwrap()
            .to_owned();
        Self {
            issuer,
            stdin,
            stdout,
            _child: child,
        }
    }

    async fn send(&mut self, command: Value) {
        let line = format!("{command}\n");
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
        assert_eq!(self.stdout.next_line().await.unwrap().as_deref(), Some("ok"));
    }

    /// The claims of every ID token from now on.
    async fn profile(&mut self, profile: Value) {
        self.send(json!({ "profile": profile })).await;
    }

    /// An ID token issued to `audience` (the mock's password grant stands
    /// in for the device grant, which it lacks).
    async fn id_token_for(&self, audience: &str) -> String {
        let answer: Value = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=password&username=alice&password=x&scope=openid&client_id={audience}"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["id_token"].as_str().unwrap().to_owned()
    }

    /// Spoils the next ID token.
    async fn tamper(&mut self, how: &str) {
        self.send(json!({ "tamper": how })).await;
    }
}

/// A Gatehouse whose OIDC provider is `provider`.
async fn gatehouse(provider: &Provider, groups_claim: Option<&str>) -> TestServer {
    let issuer = provider.issuer.clone();
    let groups = groups_claim.map(str::to_owned);
    start_with(&Backend::Sqlite, move |config| {
        config.oidc_issuer = Some(issuer);
        config.oidc_client_id = Some(CLIENT_ID.to_owned());
        config.oidc_client_secret = Some("test-secret".to_owned());
        config.oidc_groups_claim = groups;
        config.oidc_display_name = Some("Test SSO".to_owned());
    })
    .await
}

/// A browser that follows no redirect by itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Clicks "Log in with …" and lets the provider answer: the callback URL
/// (on the test server) the provider sends the browser back to.
async fn authorize(gh: &TestServer) -> String {
    let http = browser();
    let start = http.get(format!("{}/auth/oidc/login", gh.url)).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER, "{:?}", start.text().await);
    let authorize = location(&start);
    assert!(authorize.contains("code_challenge_method=S256"), "{authorize}");
    assert!(authorize.contains("nonce="), "{authorize}");
    assert!(authorize.contains("state="), "{authorize}");
    let provider = http.get(&authorize).send().await.unwrap();
    assert_eq!(provider.status(), StatusCode::FOUND, "{:?}", provider.text().await);
    let back = location(&provider);
    // The redirect URI names the configured listen address (port 0 in
    // tests); the browser goes to the same path on the test server.
    let path = &back[back.find("/auth/oidc/callback").expect("the callback path")..];
    format!("{}{path}", gh.url)
}

/// The outcome of a callback: status, session cookie (if any), page.
struct Landing {
    status: StatusCode,
    cookie: Option<String>,
    page: String,
}

impl Landing {
    fn reason(&self) -> &str {
        let at = self.page.find("data-reason=\"").map(|i| i + 13).unwrap_or(0);
        let end = self.page[at..].find('"').map_or(at, |e| at + e);
        &self.page[at..end]
    }
}

async fn land(callback: &str) -> Landing {
    let response = browser().get(callback).send().await.unwrap();
    let status = response.status();
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gatehouse_session="))
        .map(|v| v.split(';').next().unwrap().to_owned());
    let page = response.text().await.unwrap();
    Landing { status, cookie, page }
}

/// A whole login: the landing after the provider's answer.
async fn log_in(gh: &TestServer) -> Landing {
    land(&authorize(gh).await).await
}

/// `GET /api/v1/me` with a session cookie.
async fn me(gh: &TestServer, cookie: &str) -> (StatusCode, Value) {
    let response = browser()
        .get(format!("{}/api/v1/me", gh.url))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The audit records of `event`, newest last.
async fn audit(gh: &TestServer, event: &str) -> Vec<Value> {
    let answer = gh
        .get(&format!("/api/v1/audit?event={event}&limit=100"), &gh.admin)
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["items"].as_array().unwrap().clone()
}

/// A provider whose ID tokens are Alice's, and a Gatehouse using it.
async fn with_alice() -> (Provider, TestServer) {
    let mut provider = Provider::start().await;
    let gh = gatehouse(&provider, None).await;
    provider.profile(alice()).await;
    (provider, gh)
}

fn alice() -> Value {
    json!({"sub": "alice-sub-1", "preferred_username": "Alice", "email": "alice@example.com", "name": "Alice Liddell"})
}

#[tokio::test]
async fn the_code_flow_creates_the_user_then_refreshes_it() {
    let (mut provider, gh) = with_alice().await;

    let first = log_in(&gh).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.page);
    let cookie = first.cookie.expect("a session cookie");
    let (status, user) = me(&gh, &cookie).await;
    assert_eq!(status, StatusCode::OK, "{user:?}");
    assert_eq!(user["username"], "alice", "preferred_username, lower-cased");
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["managed_by"], "oidc");
    assert_eq!(user["status"], "enabled");

    let created = audit(&gh, "user.created").await;
    let created = created
        .iter()
        .find(|r| r["target"]["id"] == "alice")
        .expect("user.created");
    assert_eq!(created["after"]["identity"]["subject"], "alice-sub-1");
    let sessions = audit(&gh, "session.created").await;
    let session = sessions.last().expect("session.created");
    assert_eq!(session["after"]["via"], "oidc");
    assert_eq!(session["after"]["issuer"], provider.issuer);
    assert_eq!(session["after"]["subject"], "alice-sub-1");

    // The provider changes her email and name: the next login refreshes
    // them; the same subject is the same user, whatever it is called now.
    provider
        .profile(json!({"sub": "alice-sub-1", "preferred_username": "alice.l", "email": "alice.l@example.com", "name": "Alice L."}))
        .await;
    let second = log_in(&gh).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.page);
    let (_, user) = me(&gh, &second.cookie.unwrap()).await;
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "alice.l@example.com");
    let refreshed = audit(&gh, "user.refreshed").await;
    assert_eq!(refreshed.last().unwrap()["after"]["display_name"], "Alice L.");
    let users = gh.get("/api/v1/users", &gh.admin).await;
    assert_eq!(users.body["items"].as_array().unwrap().len(), 2, "admin and alice");
    gh.finish().await;
}

#[tokio::test]
async fn the_groups_claim_sets_the_users_groups_among_existing_ones() {
    let mut provider = Provider::start().await;
    let gh = gatehouse(&provider, Some("groups")).await;
    for group in ["devs", "ops"] {
        let created = gh.post("/api/v1/groups", &gh.admin, &json!({"name": group})).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
    }
    let members = |gh: &TestServer, group: &'static str| {
        let (http, url, admin) = (gh.http.clone(), gh.url.clone(), gh.admin.clone());
        async move {
            let answer: Value = http
                .get(format!("{url}/api/v1/groups/{group}"))
                .bearer_auth(admin)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer["members"].clone()
        }
    };
    let mut profile = alice();
    profile["groups"] = json!(["devs", "no-such-group"]);
    provider.profile(profile.clone()).await;
    assert_eq!(log_in(&gh).await.status, StatusCode::OK);
    assert_eq!(members(&gh, "devs").await, json!(["alice"]));
    assert_eq!(members(&gh, "ops").await, json!([]));

    profile["groups"] = json!(["ops"]);
    provider.profile(profile).await;
    assert_eq!(log_in(&gh).await.status, StatusCode::OK);
    assert_eq!(members(&gh, "devs").await, json!([]), "left devs upstream");
    assert_eq!(members(&gh, "ops").await, json!(["alice"]));
    gh.finish().await;
}

#[tokio::test]
async fn a_clash_with_a_local_user_is_refused_until_an_admin_links_them() {
    let mut provider = Provider::start().await;
    let gh = gatehouse(&provider, None).await;
    gh.user("bob").await;
    provider
        .profile(json!({"sub": "bob-sub", "preferred_username": "bob", "email": "robert@example.com"}))
        .await;
    let refused = log_in(&gh).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.page);
    assert_eq!(refused.reason(), "username_taken");
    assert!(refused.cookie.is_none(), "no session");
    assert!(refused.page.contains("an admin may link them"), "{}", refused.page);
    let records = audit(&gh, "login.refused").await;
    assert_eq!(records.last().unwrap()["after"]["reason"], "username_taken");

    // The email of another user is refused the same way.
    provider
        .profile(json!({"sub": "bob-sub", "preferred_username": "robert", "email": "bob@example.com"}))
        .await;
    assert_eq!(log_in(&gh).await.reason(), "email_taken");

    // An admin links them, explicitly and audited; then the login works.
    let linked = gh
        .post("/api/v1/users/bob/oidc-link", &gh.admin, &json!({"subject": "bob-sub"}))
        .await;
    assert_eq!(linked.status, 200, "{:?}", linked.body);
    assert_eq!(linked.body["managed_by"], "oidc");
    assert_eq!(audit(&gh, "user.oidc_linked").await.len(), 1);
    let landed = log_in(&gh).await;
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.page);
    let (_, user) = me(&gh, &landed.cookie.unwrap()).await;
    assert_eq!(user["username"], "bob");
    gh.finish().await;
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in() {
    let mut provider = Provider::start().await;
    let gh = gatehouse(&provider, None).await;
    gh.user("carol").await;
    let disabled = gh.post("/api/v1/users/carol/disable", &gh.admin, &json!({})).await;
    assert_eq!(disabled.status, 200, "{:?}", disabled.body);
    let linked = gh
        .post(
            "/api/v1/users/carol/oidc-link",
            &gh.admin,
            &json!({"subject": "carol-sub"}),
        )
        .await;
    assert_eq!(linked.status, 200, "{:?}", linked.body);
    provider
        .profile(json!({"sub": "carol-sub", "email": "carol@example.com"}))
        .await;
    let refused = log_in(&gh).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.page);
    assert_eq!(refused.reason(), "user_disabled");
    assert!(refused.cookie.is_none());
    gh.finish().await;
}

#[tokio::test]
async fn every_forged_stale_or_replayed_answer_is_refused_with_a_page_and_an_audit_record() {
    let (mut provider, gh) = with_alice().await;
    for (tamper, reason) in [
        ("expired", "expired"),
        ("wrong_audience", "wrong_audience"),
        ("wrong_nonce", "wrong_nonce"),
        ("wrong_issuer", "wrong_issuer"),
        ("bad_signature", "bad_signature"),
        ("alg_none", "alg_none"),
        ("unknown_kid", "unknown_key"),
    ] {
        provider.tamper(tamper).await;
        let refused = log_in(&gh).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{tamper}: {}", refused.page);
        assert_eq!(refused.reason(), reason, "{tamper}: {}", refused.page);
        assert!(refused.cookie.is_none(), "{tamper}: no session");
        let records = audit(&gh, "login.refused").await;
        assert_eq!(records.last().unwrap()["after"]["reason"], reason, "{tamper}");
    }
    let users = gh.get("/api/v1/users", &gh.admin).await;
    assert_eq!(users.body["items"].as_array().unwrap().len(), 1, "no user was created");

    // A state is good once: the same callback again is refused.
    let callback = authorize(&gh).await;
    assert_eq!(land(&callback).await.status, StatusCode::OK);
    let replayed = land(&callback).await;
    assert_eq!(replayed.status, StatusCode::FORBIDDEN);
    assert_eq!(replayed.reason(), "bad_state");
    assert!(replayed.cookie.is_none());
    // A state no login started, and none at all.
    for query in ["code=x&state=made-up", "code=x"] {
        let refused = land(&format!("{}/auth/oidc/callback?{query}", gh.url)).await;
        assert_eq!(refused.reason(), "bad_state", "{query}");
    }
    assert_eq!(
        audit(&gh, "login.refused").await.last().unwrap()["after"]["reason"],
        "bad_state"
    );
    gh.finish().await;
}

#[tokio::test]
async fn an_oidc_users_profile_is_read_only_through_the_native_api() {
    let (_provider, gh) = with_alice().await;
    assert_eq!(log_in(&gh).await.status, StatusCode::OK);
    let patched = gh
        .call(
            Method::PATCH,
            "/api/v1/users/alice",
            Some(&gh.admin),
            Some(&json!({"email": "x@example.com"})),
        )
        .await;
    assert!(matches!(patched.status.as_u16(), 403 | 409), "{:?}", patched.body);
    let disabled = gh.post("/api/v1/users/alice/disable", &gh.admin, &json!({})).await;
    assert!(matches!(disabled.status.as_u16(), 403 | 409), "{:?}", disabled.body);
    let user = gh.get("/api/v1/users/alice", &gh.admin).await;
    assert_eq!(user.body["email"], "alice@example.com");
    assert_eq!(user.body["status"], "enabled");
    gh.finish().await;
}

#[tokio::test]
async fn an_unreachable_issuer_is_a_readiness_detail_and_a_clear_page_never_a_hang() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let wanted = issuer.clone();
    let gh = start_with(&Backend::Sqlite, move |config| {
        config.oidc_issuer = Some(issuer);
        config.oidc_client_id = Some(CLIENT_ID.to_owned());
    })
    .await;
    let ready = gh.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, 200, "password logins still work: {:?}", ready.body);
    assert_eq!(ready.body["oidc"]["status"], "unavailable");
    assert!(
        ready.body["oidc"]["detail"].as_str().unwrap().contains(&wanted),
        "{:?}",
        ready.body
    );
    let page = browser()
        .get(format!("{}/auth/oidc/login", gh.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::BAD_GATEWAY);
    assert!(
        page.text().await.unwrap().contains(&wanted),
        "the page names the issuer"
    );
    gh.finish().await;
}

#[tokio::test]
async fn a_fresh_id_token_of_this_client_buys_a_personal_token_and_others_do_not() {
    let (mut provider, gh) = with_alice().await;
    let info = gh.call(Method::GET, "/api/v1/auth/oidc", None, None).await;
    assert_eq!(info.status, 200, "{:?}", info.body);
    assert_eq!(info.body["client_id"], CLIENT_ID);
    assert_eq!(info.body["display_name"], "Test SSO");
    // An ID token issued to this client by the provider (its password
    // grant stands in for the device grant, which the mock lacks).
    let gh = &gh;
    let exchange = |id_token: String| {
        let body = json!({ "id_token": id_token });
        async move {
            gh.call(Method::POST, "/api/v1/auth/oidc/token", None, Some(&body))
                .await
        }
    };
    let bought = exchange(provider.id_token_for(CLIENT_ID).await).await;
    assert_eq!(bought.status, 201, "{:?}", bought.body);
    let token = bought.body["token"].as_str().unwrap().to_owned();
    let me = gh.get("/api/v1/me", &token).await;
    assert_eq!(me.body["username"], "alice");
    assert_eq!(me.body["managed_by"], "oidc");

    let other = exchange(provider.id_token_for("another-client").await).await;
    assert_eq!(other.status, 401, "{:?}", other.body);
    provider.tamper("bad_signature").await;
    let forged = exchange(provider.id_token_for(CLIENT_ID).await).await;
    assert_eq!(forged.status, 401, "{:?}", forged.body);
    let records = audit(gh, "login.refused").await;
    assert_eq!(records.last().unwrap()["after"]["reason"], "bad_signature");
}

#[tokio::test]
async fn with_its_own_cli_client_only_tokens_issued_to_it_are_exchanged() {
    let mut provider = Provider::start().await;
    provider.profile(alice()).await;
    let issuer = provider.issuer.clone();
    let gh = start_with(&Backend::Sqlite, move |config| {
        config.oidc_issuer = Some(issuer);
        config.oidc_client_id = Some(CLIENT_ID.to_owned());
        config.oidc_client_secret = Some("test-secret".to_owned());
        config.oidc_cli_client_id = Some("gatehouse-cli".to_owned());
    })
    .await;
    let info = gh.call(Method::GET, "/api/v1/auth/oidc", None, None).await;
    assert_eq!(
        info.body["client_id"], "gatehouse-cli",
        "the CLI is told its own client"
    );
    let exchange = |audience: &'static str| {
        let (gh, provider) = (&gh, &provider);
        async move {
            let body = json!({ "id_token": provider.id_token_for(audience).await });
            gh.call(Method::POST, "/api/v1/auth/oidc/token", None, Some(&body))
                .await
        }
    };
    // A browser login's token (the web client's) is not the CLI's.
    let web = exchange(CLIENT_ID).await;
    assert_eq!(web.status, 401, "{:?}", web.body);
    assert_eq!(
        audit(&gh, "login.refused").await.last().unwrap()["after"]["reason"],
        "wrong_audience"
    );
    let cli = exchange("gatehouse-cli").await;
    assert_eq!(cli.status, 201, "{:?}", cli.body);
}
