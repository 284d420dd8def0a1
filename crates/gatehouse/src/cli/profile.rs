//! Login profiles: `{url, username, token}` per profile name, in
//! `profiles.toml` under the user's config directory (or
//! `GATEHOUSE_CONFIG_DIR`), written with mode 0600 (SPEC §11).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use serde::{Deserialize, Serialize};

/// The environment variable that overrides the config directory.
pub const CONFIG_DIR_ENV: &str = "GATEHOUSE_CONFIG_DIR";
/// The file holding the profiles, in the config directory.
pub const FILE_NAME: &str = "profiles.toml";

/// One saved login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The server's base URL.
    pub url: String,
    /// Who logged in.
    pub username: String,
    /// The bearer token (a secret: the file is 0600).
    pub token: String,
    /// The token's public id, to revoke it on logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
}

/// Every profile, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profiles {
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// The directory holding the profile file.
pub fn config_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("dev", "gatehouse", "gatehouse")
        .map(|d| d.config_dir().to_path_buf())
        .ok_or_else(|| anyhow!("no home directory to keep profiles in; set {CONFIG_DIR_ENV}"))
}

/// The profile file's path.
pub fn path() -> anyhow::Result<PathBuf> {
    Ok(config_dir()?.join(FILE_NAME))
}

impl Profiles {
    /// Reads the profiles; none when the file does not exist.
    pub fn load() -> anyhow::Result<Self> {
        let path = path()?;
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| format!("cannot read profiles from `{}`", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        }
    }

    /// Writes the profiles, readable by the owner only.
    pub fn save(&self) -> anyhow::Result<()> {
        let path = path()?;
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        let text = toml::to_string(self).context("cannot encode the profiles")?;
        let tmp = dir.join(format!(".{FILE_NAME}.tmp"));
        let _ = std::fs::remove_file(&tmp);
        let mut file = private_file(&tmp).with_context(|| format!("cannot write `{}`", tmp.display()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write `{}`", tmp.display()))?;
        drop(file);
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write `{}`", path.display()))?;
        Ok(())
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)
}
