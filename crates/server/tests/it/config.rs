//! Configuration: defaults, `gatehouse.toml`, `GATEHOUSE_*`, and errors
//! naming the key.

use figment::Figment;
use figment::providers::{Format as _, Toml};
use gatehouse_server::{Config, LogFormat};

#[test]
#[expect(
    clippy::result_large_err,
    reason = "`figment::Jail` closures return `figment::Error`"
)]
fn defaults_file_and_environment() {
    let config = Config::load(&Figment::new()).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.database_url(), "sqlite://./gatehouse-data/gatehouse.db?mode=rwc");

    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "gatehouse.toml",
            "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\ncatalogue = \"connect\"\n",
        )?;
        jail.set_env("GATEHOUSE_LISTEN", "127.0.0.1:9001");
        jail.set_env("GATEHOUSE_DATA_DIR", "/srv/gatehouse");
        jail.set_env("GATEHOUSE_ADMIN_PASSWORD", "s3cret-pass");
        // Other tools' variables are not the server's keys.
        jail.set_env("GATEHOUSE_TEST_POSTGRES", "postgres://elsewhere/test");
        jail.set_env("GATEHOUSE_URL", "http://elsewhere");
        let config = Config::load(&Config::providers()).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.catalogue, "connect");
        assert_eq!(config.admin_password.as_deref(), Some("s3cret-pass"));
        assert_eq!(config.database_url(), "sqlite:///srv/gatehouse/gatehouse.db?mode=rwc");
        assert!(!format!("{config:?}").contains("s3cret"));
        Ok(())
    });
}

#[test]
#[expect(
    clippy::result_large_err,
    reason = "`figment::Jail` closures return `figment::Error`"
)]
fn a_bad_value_names_its_key() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("GATEHOUSE_LISTEN", "nonsense");
        let error = Config::load(&Config::providers()).unwrap_err().to_string();
        assert!(error.contains("`listen`"), "{error}");
        Ok(())
    });
    let error = Config::load(&Figment::new().merge(Toml::string("log_format = \"xml\"")))
        .unwrap_err()
        .to_string();
    assert!(error.contains("`log_format`"), "{error}");

    for (toml, key) in [
        ("smtp_url = \"smtp://mail.example.com\"", "`smtp_from`"),
        ("smtp_from = \"gatehouse@example.com\"", "`smtp_url`"),
        (
            "smtp_url = \"http://mail.example.com\"\nsmtp_from = \"gatehouse@example.com\"",
            "`smtp_url`",
        ),
        (
            "smtp_url = \"smtp://mail.example.com\"\nsmtp_from = \"not a mailbox\"",
            "`smtp_from`",
        ),
        ("smtp_retry_secs = 0", "`smtp_retry_secs`"),
        // The OIDC keys (SPEC §13, docs/oidc.md).
        ("oidc_client_id = \"web\"", "`oidc_client_id`: needs `oidc_issuer`"),
        (
            "oidc_cli_client_id = \"cli\"",
            "`oidc_cli_client_id`: needs `oidc_issuer`",
        ),
        (
            "oidc_issuer = \"http://idp.example.com\"\noidc_client_id = \"web\"",
            "`oidc_issuer`",
        ),
        (
            "oidc_issuer = \"https://idp.example.com\"",
            "`oidc_client_id`: required",
        ),
        (
            "oidc_issuer = \"https://idp.example.com\"\noidc_client_id = \"web\"\noidc_cli_client_id = \"\"",
            "`oidc_cli_client_id`: must not be empty",
        ),
    ] {
        let error = Config::load(&Figment::new().merge(Toml::string(toml)))
            .unwrap_err()
            .to_string();
        assert!(error.contains(key), "{toml}: {error}");
    }
}

#[test]
fn the_cli_uses_its_own_oidc_client_when_one_is_named() {
    let load = |toml: &str| Config::load(&Figment::new().merge(Toml::string(toml))).unwrap();
    let web = "oidc_issuer = \"https://idp.example.com\"\noidc_client_id = \"web\"\n";
    assert_eq!(load(web).oidc_cli_client_id, None);
    let both = load(&format!("{web}oidc_cli_client_id = \"cli\"\n"));
    assert_eq!(both.oidc_cli_client_id.as_deref(), Some("cli"));
    assert_eq!(both.oidc_client_id.as_deref(), Some("web"));
}

#[test]
fn smtp_settings_load_and_keep_their_password_out_of_debug() {
    let config = Config::load(&Figment::new().merge(Toml::string(
        "smtp_url = \"smtps://mailer:hunter2-secret@mail.example.com\"\n\
         smtp_from = \"Gatehouse <gatehouse@example.com>\"\nsmtp_retry_secs = 60",
    )))
    .unwrap();
    assert!(config.mail_settings().unwrap().is_some());
    assert_eq!(config.smtp_retry_secs, 60);
    let shown = format!("{config:?} {:?}", config.mail_settings().unwrap());
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(Config::default().mail_settings().unwrap().is_none());
}
