//! The one configuration loader of `serve` and the operator commands
//! (`migrate`, `backup`, `restore`, `audit verify`; SPEC §8):
//! `gatehouse.toml` in the working directory, then `GATEHOUSE_*`, then the
//! command line's flags, which win.

use std::path::PathBuf;

use figment::providers::Serialized;
use gatehouse_server::{Config, LogFormat};

/// Values given on the command line.
#[derive(Debug, Default)]
pub struct Overrides {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--log-format`.
    pub log_format: Option<LogFormat>,
}

/// The configuration: [`Config::providers`] with `overrides` on top.
///
/// # Errors
/// A key whose value is invalid, named.
pub fn load(overrides: &Overrides) -> anyhow::Result<Config> {
    let mut figment = Config::providers();
    if let Some(dir) = &overrides.data_dir {
        figment = figment.merge(Serialized::default("data_dir", dir));
    }
    if let Some(url) = &overrides.database_url {
        figment = figment.merge(Serialized::default("database_url", url));
    }
    if let Some(format) = overrides.log_format {
        let name = match format {
            LogFormat::Human => "human",
            LogFormat::Json => "json",
        };
        figment = figment.merge(Serialized::default("log_format", name));
    }
    Ok(Config::load(&figment)?)
}
