//! Starting a server on port 0 — on SQLite in a temporary data directory,
//! or on a fresh PostgreSQL database when `GATEHOUSE_TEST_POSTGRES` is set
//! (an unreachable server fails the test) — and talking to it over HTTP.

use std::path::Path;

use gatehouse_domain::Store as _;
use gatehouse_server::{Config, Server, start};
use gatehouse_store::ScratchDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The first admin's password in tests.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A configuration whose data directory is `dir/data`.
pub fn config(dir: &Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        ..Config::default()
    }
}

/// Starts `config` and serves it on a free port; returns the server and its base URL.
pub async fn spawn(config: Config) -> (Server, String) {
    let server = start(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(gatehouse_server::serve(listener, server.clone()));
    (server, url)
}

/// Where a test server keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server of this URL.
    Postgres(String),
}

/// SQLite, and PostgreSQL when `GATEHOUSE_TEST_POSTGRES` is set.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("GATEHOUSE_TEST_POSTGRES") {
        all.push(Backend::Postgres(url));
    }
    all
}

/// A running server with an admin token, and what it needs to stay alive.
pub struct TestServer {
    /// The server (its store, snapshot).
    pub server: Server,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The admin's personal token.
    pub admin: String,
    /// The HTTP client.
    pub http: reqwest::Client,
    /// Keeps the data directory.
    pub _dir: tempfile::TempDir,
    /// The PostgreSQL database, if any.
    pub _database: Option<ScratchDatabase>,
}

/// An answer: status, headers and JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body.
    pub body: Value,
}

impl Answer {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem code.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

/// Starts a server on `backend` with `tweak` applied to its configuration,
/// logs the admin in and keeps its token.
pub async fn start_with(backend: &Backend, tweak: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.admin_password = Some(ADMIN_PASSWORD.to_owned());
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres(admin_url) => {
            let suffix = uuid::Uuid::new_v4().simple().to_string();
            let database = ScratchDatabase::create(admin_url, &suffix)
                .await
                .expect("GATEHOUSE_TEST_POSTGRES is set but the server is unreachable");
            config.database_url = Some(database.url.clone());
            Some(database)
        }
    };
    tweak(&mut config);
    let (server, url) = spawn(config).await;
    let http = reqwest::Client::new();
    let mut test = TestServer {
        server,
        url,
        admin: String::new(),
        http,
        _dir: dir,
        _database: database,
    };
    test.admin = test.token_for("admin", ADMIN_PASSWORD).await;
    test
}

/// Starts a server on `backend` with the default configuration.
pub async fn start_on(backend: &Backend) -> TestServer {
    start_with(backend, |_| {}).await
}

/// Starts a server on SQLite.
pub async fn start_sqlite() -> TestServer {
    start_on(&Backend::Sqlite).await
}

impl TestServer {
    /// Sends `method path` with `token` (if any) and `body` (if any).
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        Self::answer(request.send().await.unwrap()).await
    }

    /// Reads a response.
    pub async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, headers, body }
    }

    /// `GET` as `token`.
    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// `POST` as `token`.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// A personal token for `username` and `password` (asserting success).
    pub async fn token_for(&self, username: &str, password: &str) -> String {
        let answer = self.login_token(username, password).await;
        assert_eq!(answer.status, 201, "token for {username}: {:?}", answer.body);
        answer.body["token"].as_str().unwrap().to_owned()
    }

    /// `POST /api/v1/auth/token`, answered as is.
    pub async fn login_token(&self, username: &str, password: &str) -> Answer {
        let body = json!({"username": username, "password": password});
        self.call(Method::POST, "/api/v1/auth/token", None, Some(&body)).await
    }

    /// Creates a user with a password and `extra` fields as the admin; answers its token.
    pub async fn user_with(&self, username: &str, extra: Value) -> String {
        let mut body = json!({"email": format!("{username}@example.com"), "username": username, "password": password_of(username)});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let created = self.post("/api/v1/users", &self.admin.clone(), &body).await;
        assert_eq!(created.status, 201, "create {username}: {:?}", created.body);
        self.token_for(username, &password_of(username)).await
    }

    /// Creates a plain user; answers its token.
    pub async fn user(&self, username: &str) -> String {
        self.user_with(username, json!({})).await
    }

    /// Asks for a password reset of `email` (202) and mints the link's
    /// secret for `username`, as the SMTP sender would; answers the secret.
    pub async fn reset_link(&self, username: &str, email: &str) -> String {
        let reset = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/password-reset",
                None,
                Some(&serde_json::json!({"email": email})),
            )
            .await;
        assert_eq!(reset.status, 202, "{:?}", reset.body);
        self.mint_link(username, gatehouse_domain::entities::SecretPurpose::PasswordReset)
            .await
    }

    /// Mints a fresh secret for the link of `purpose` of `username`, as the
    /// SMTP sender does when it sends the message; answers the secret
    /// (waits up to 5 s for the link to exist).
    pub async fn mint_link(&self, username: &str, purpose: gatehouse_domain::entities::SecretPurpose) -> String {
        let secret = uuid::Uuid::new_v4().simple().to_string();
        let sha256 = gatehouse_server::credentials::sha256_hex(&secret);
        for _ in 0..50 {
            let now = time_now();
            if self
                .server
                .app()
                .store()
                .mint_link(username, purpose, &sha256, now)
                .await
                .unwrap()
            {
                return secret;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        unreachable!("no {purpose:?} link for {username}");
    }

    /// As the admin: project `web` with a project role `Reader`
    /// (`artifacts.read` in `DEV`), then `more` requests; each must succeed.
    pub async fn web_with_reader(&self, more: Vec<(Method, String, Value)>) {
        let mut requests = vec![
            (
                Method::POST,
                "/api/v1/projects".to_owned(),
                json!({"key": "web", "display_name": "Web"}),
            ),
            (
                Method::POST,
                "/api/v1/projects/web/roles".to_owned(),
                json!({"name": "Reader", "categories": ["artifacts.read"], "environments": ["DEV"]}),
            ),
        ];
        requests.extend(more);
        for (method, path, body) in requests {
            let answer = self.call(method, &path, Some(&self.admin), Some(&body)).await;
            assert!(answer.status.is_success(), "{path}: {:?}", answer.body);
        }
    }

    /// The store's revision.
    pub async fn revision(&self) -> u64 {
        self.server.app().store().revision().await.unwrap()
    }

    /// Drops the PostgreSQL database, if any (call at the end of a test).
    pub async fn finish(self) {
        if let Some(database) = self._database {
            database.drop_database().await.unwrap();
        }
    }
}

/// Now, as the server's clock reads it unmoved.
pub fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// The password tests give `username`.
pub fn password_of(username: &str) -> String {
    format!("{username}-secret-password")
}
