//! The server's configuration: `gatehouse.toml` and `GATEHOUSE_*` variables
//! through figment; defaults for everything but secrets.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format as _, Toml};
use serde::Deserialize;

use crate::client_address::TrustedProxies;
use crate::mail_settings::MailSettings;

/// The configuration file read from the working directory, if present.
pub const CONFIG_FILE: &str = "gatehouse.toml";

/// Every configuration key, as `gatehouse.toml` and `GATEHOUSE_<KEY>` name it.
const KEYS: [&str; 30] = [
    "listen",
    "data_dir",
    "database_url",
    "admin_password",
    "public_url",
    "log_format",
    "catalogue",
    "token_max_days",
    "allow_non_expiring_tokens",
    "login_attempts_per_minute",
    "request_timeout_secs",
    "smtp_url",
    "smtp_from",
    "smtp_retry_secs",
    // The HTTP host (SPEC §8.1).
    "trusted_proxies",
    "tls_cert",
    "tls_key",
    "shutdown_grace_secs",
    "header_timeout_secs",
    "keep_alive_secs",
    "max_connections",
    "max_connections_per_address",
    // Log in with an OpenID Connect provider (SPEC §13).
    "oidc_issuer",
    "oidc_client_id",
    "oidc_client_secret",
    "oidc_groups_claim",
    "oidc_display_name",
    "oidc_cli_client_id",
    // Several instances (SPEC §8).
    "listen_notify",
    "poll_interval_ms",
];

/// The prefix of configuration environment variables.
pub const ENV_PREFIX: &str = "GATEHOUSE_";

/// How logs are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text for people.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// The server's configuration.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The data directory (SQLite store, initial admin password).
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; default the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// The first admin's password; random when unset (SPEC §6.4).
    pub admin_password: Option<String>,
    /// The URL clients reach this instance at.
    pub public_url: Option<String>,
    /// How logs are written.
    pub log_format: LogFormat,
    /// `platform`, `connect`, or the path of a catalogue file.
    pub catalogue: String,
    /// The longest lifetime a token may ask for, in days (SPEC §6.3).
    pub token_max_days: u32,
    /// Whether `expires_in: 0` (a token that never expires) is allowed.
    pub allow_non_expiring_tokens: bool,
    /// Login and token-exchange attempts per client address per minute
    /// (SPEC §6.1); an account gets a third of it.
    pub login_attempts_per_minute: u32,
    /// How long a request may take before it is answered 408.
    pub request_timeout_secs: u64,
    /// The SMTP server that delivers the outbox (SPEC §9.4), as lettre
    /// reads it: `smtps://user:password@host` (TLS), `smtp://host:587?tls=required`
    /// (STARTTLS), or `smtp://host:25` (unencrypted: a local relay only).
    /// Unset: messages wait in the outbox for admins.
    pub smtp_url: Option<String>,
    /// The sender of outbox messages, e.g. `Gatehouse <gatehouse@example.com>`;
    /// required with `smtp_url`.
    pub smtp_from: Option<String>,
    /// Seconds before the first retry of a failed message; each further
    /// retry waits twice as long, at most an hour.
    pub smtp_retry_secs: u64,
    // The HTTP host (SPEC §8.1).
    /// Proxies whose `Forwarded` and `X-Forwarded-*` headers are believed:
    /// addresses and CIDR ranges (TOML array, or comma-separated in
    /// `GATEHOUSE_TRUSTED_PROXIES`); default none.
    pub trusted_proxies: TrustedProxies,
    /// The PEM certificate (chain allowed) to serve HTTPS with; with `tls_key`.
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// How long requests in flight may take to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// How long a client may take to send a request's headers (and the TLS
    /// handshake) once it has started.
    pub header_timeout_secs: u64,
    /// How long an idle keep-alive connection is kept open.
    pub keep_alive_secs: u64,
    /// The most connections open at once; past it, new ones are closed at once.
    pub max_connections: u32,
    /// The most connections open at once from one peer address (trusted
    /// proxies are exempt).
    pub max_connections_per_address: u32,
    // Log in with an OpenID Connect provider (SPEC §13, docs/oidc.md).
    /// The provider's issuer URL (discovery at
    /// `<issuer>/.well-known/openid-configuration`); unset: no OIDC login.
    pub oidc_issuer: Option<String>,
    /// This instance's client id at the provider; required with `oidc_issuer`.
    pub oidc_client_id: Option<String>,
    /// The client secret; unset for a public client (PKCE only).
    pub oidc_client_secret: Option<String>,
    /// The ID-token claim listing the user's groups (e.g. `groups`); unset:
    /// group memberships are Gatehouse's alone.
    pub oidc_groups_claim: Option<String>,
    /// The provider's name on the login page ("Log in with <name>");
    /// default: the issuer's host.
    pub oidc_display_name: Option<String>,
    /// The client id `gatehouse login --oidc` uses for the device grant
    /// (RFC 8628), when the provider wants a separate public (native)
    /// client for it, as Okta does; default: `oidc_client_id`. ID tokens
    /// exchanged by the CLI must be addressed to this client.
    pub oidc_cli_client_id: Option<String>,
    // Several instances (SPEC §8).
    /// Whether to `LISTEN` for other instances' commits on PostgreSQL (the
    /// wake-up); when off, polling alone finds them (tests, and proxies
    /// that cannot carry `LISTEN`, such as PgBouncer in transaction mode).
    pub listen_notify: bool,
    /// How often the store's revision is probed for other instances'
    /// commits, in milliseconds: the bound on propagation when a
    /// notification is lost (SPEC §6.3: a revocation within 1 s).
    pub poll_interval_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./gatehouse-data"),
            database_url: None,
            admin_password: None,
            public_url: None,
            log_format: LogFormat::Human,
            catalogue: "platform".to_owned(),
            token_max_days: 3_650,
            allow_non_expiring_tokens: false,
            login_attempts_per_minute: 60,
            request_timeout_secs: 30,
            smtp_url: None,
            smtp_from: None,
            smtp_retry_secs: 30,
            trusted_proxies: TrustedProxies::default(),
            tls_cert: None,
            tls_key: None,
            shutdown_grace_secs: 20,
            header_timeout_secs: 5,
            keep_alive_secs: 75,
            max_connections: 4_096,
            max_connections_per_address: 256,
            oidc_issuer: None,
            oidc_client_id: None,
            oidc_client_secret: None,
            oidc_groups_claim: None,
            oidc_display_name: None,
            oidc_cli_client_id: None,
            listen_notify: true,
            poll_interval_ms: 250,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("admin_password", &self.admin_password.as_ref().map(|_| "<redacted>"))
            .field("public_url", &self.public_url)
            .field("log_format", &self.log_format)
            .field("catalogue", &self.catalogue)
            .field("token_max_days", &self.token_max_days)
            .field("allow_non_expiring_tokens", &self.allow_non_expiring_tokens)
            .field("login_attempts_per_minute", &self.login_attempts_per_minute)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "<set>"))
            .field("smtp_from", &self.smtp_from)
            .field("smtp_retry_secs", &self.smtp_retry_secs)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("header_timeout_secs", &self.header_timeout_secs)
            .field("keep_alive_secs", &self.keep_alive_secs)
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_address", &self.max_connections_per_address)
            .field("oidc_issuer", &self.oidc_issuer)
            .field("oidc_client_id", &self.oidc_client_id)
            .field(
                "oidc_client_secret",
                &self.oidc_client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("oidc_groups_claim", &self.oidc_groups_claim)
            .field("oidc_display_name", &self.oidc_display_name)
            .field("oidc_cli_client_id", &self.oidc_cli_client_id)
            .field("listen_notify", &self.listen_notify)
            .field("poll_interval_ms", &self.poll_interval_ms)
            .finish()
    }
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// The providers of a running server: `gatehouse.toml` in the working
    /// directory (if present), then `GATEHOUSE_*` variables, which win.
    #[must_use]
    ///
    /// Only the variables of the keys above are read: other `GATEHOUSE_*`
    /// variables (the CLI's `GATEHOUSE_URL`, a test's
    /// `GATEHOUSE_TEST_POSTGRES`) belong to someone else.
    pub fn providers() -> Figment {
        Figment::new()
            .merge(Toml::file(CONFIG_FILE))
            .merge(Env::prefixed(ENV_PREFIX).only(&KEYS))
    }

    /// Reads the configuration from `figment`; unset keys take defaults.
    ///
    /// # Errors
    /// [`ConfigError`] naming the key whose value is invalid.
    pub fn load(figment: &Figment) -> Result<Self, ConfigError> {
        let config = figment.extract::<Self>().map_err(|error| {
            let messages: Vec<String> = error.into_iter().map(|e| describe(&e)).collect();
            ConfigError(messages.join("; "))
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Refuses values that parse but cannot be used.
    fn validate(&self) -> Result<(), ConfigError> {
        if self.token_max_days == 0 {
            return Err(ConfigError("key `token_max_days`: must be at least 1".into()));
        }
        if self.login_attempts_per_minute == 0 {
            return Err(ConfigError(
                "key `login_attempts_per_minute`: must be at least 1".into(),
            ));
        }
        if !(1..=3_600).contains(&self.request_timeout_secs) {
            return Err(ConfigError("key `request_timeout_secs`: must be 1 to 3600".into()));
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError(
                "key `public_url`: must start with `http://` or `https://`".into(),
            ));
        }
        if !(1..=3_600).contains(&self.smtp_retry_secs) {
            return Err(ConfigError("key `smtp_retry_secs`: must be 1 to 3600".into()));
        }
        self.mail_settings()?;
        self.validate_host()?;
        self.validate_oidc()?;
        Ok(())
    }

    /// Refuses unusable values of the OIDC keys (SPEC §13): the issuer is
    /// an http(s) URL (https unless it is this machine), the client id comes
    /// with it, and the other keys mean nothing without it.
    fn validate_oidc(&self) -> Result<(), ConfigError> {
        let Some(issuer) = &self.oidc_issuer else {
            for (key, set) in [
                ("oidc_client_id", self.oidc_client_id.is_some()),
                ("oidc_client_secret", self.oidc_client_secret.is_some()),
                ("oidc_groups_claim", self.oidc_groups_claim.is_some()),
                ("oidc_display_name", self.oidc_display_name.is_some()),
                ("oidc_cli_client_id", self.oidc_cli_client_id.is_some()),
            ] {
                if set {
                    return Err(ConfigError(format!("key `{key}`: needs `oidc_issuer`")));
                }
            }
            return Ok(());
        };
        let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|prefix| {
                issuer
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
            });
        if !(issuer.starts_with("https://") || local) {
            return Err(ConfigError(format!(
                "key `oidc_issuer`: `{issuer}` must be an https URL (http only on this machine)"
            )));
        }
        if self.oidc_client_id.as_deref().is_none_or(str::is_empty) {
            return Err(ConfigError("key `oidc_client_id`: required with `oidc_issuer`".into()));
        }
        for (key, value) in [
            ("oidc_groups_claim", &self.oidc_groups_claim),
            ("oidc_cli_client_id", &self.oidc_cli_client_id),
        ] {
            if value.as_deref().is_some_and(str::is_empty) {
                return Err(ConfigError(format!("key `{key}`: must not be empty")));
            }
        }
        Ok(())
    }

    /// Refuses unusable values of the HTTP host's keys (SPEC §8.1).
    fn validate_host(&self) -> Result<(), ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => return Err(ConfigError("key `tls_key`: required with `tls_cert`".into())),
            (None, Some(_)) => return Err(ConfigError("key `tls_cert`: required with `tls_key`".into())),
            _ => {}
        }
        if !(1..=3_600).contains(&self.shutdown_grace_secs) {
            return Err(ConfigError("key `shutdown_grace_secs`: must be 1 to 3600".into()));
        }
        if !(1..=300).contains(&self.header_timeout_secs) {
            return Err(ConfigError("key `header_timeout_secs`: must be 1 to 300".into()));
        }
        if !(1..=3_600).contains(&self.keep_alive_secs) {
            return Err(ConfigError("key `keep_alive_secs`: must be 1 to 3600".into()));
        }
        if self.max_connections == 0 {
            return Err(ConfigError("key `max_connections`: must be at least 1".into()));
        }
        if self.max_connections_per_address == 0 {
            return Err(ConfigError(
                "key `max_connections_per_address`: must be at least 1".into(),
            ));
        }
        if !(20..=60_000).contains(&self.poll_interval_ms) {
            return Err(ConfigError("key `poll_interval_ms`: must be 20 to 60000".into()));
        }
        Ok(())
    }

    /// The outbox's SMTP settings of `smtp_url` and `smtp_from`, if they are set.
    ///
    /// # Errors
    /// [`ConfigError`] naming the key that is missing or unusable.
    pub fn mail_settings(&self) -> Result<Option<MailSettings>, ConfigError> {
        match (&self.smtp_url, &self.smtp_from) {
            (Some(url), Some(from)) => MailSettings::new(url, from, self.smtp_retry_secs)
                .map(Some)
                .map_err(ConfigError),
            (Some(_), None) => Err(ConfigError("key `smtp_from`: required with `smtp_url`".into())),
            (None, Some(_)) => Err(ConfigError("key `smtp_url`: required with `smtp_from`".into())),
            (None, None) => Ok(None),
        }
    }

    /// Whether cookies must be `Secure`: the public URL is https.
    #[must_use]
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// The base URL links in messages point at.
    #[must_use]
    pub fn base_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    /// The database URL: `database_url`, or the SQLite file in `data_dir`.
    #[must_use]
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("gatehouse.db").display()))
    }
}

/// One figment error as `key `name`: what is wrong (from where)`.
fn describe(error: &figment::Error) -> String {
    let key = error.path.join(".");
    let source = error
        .metadata
        .as_ref()
        .map(|m| format!(" (from {})", m.name))
        .unwrap_or_default();
    if key.is_empty() {
        format!("{}{source}", error.kind)
    } else {
        format!("key `{key}`: {}{source}", error.kind)
    }
}
