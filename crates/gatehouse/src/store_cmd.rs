//! Operator commands on the store: `migrate`, `backup`, `restore`,
//! `audit verify` (SPEC §8, §9.1, §11).

use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use gatehouse_domain::Store as _;
use gatehouse_store::Store;

/// Where the store is: a database URL, or the SQLite file in the data directory.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Data directory; the SQLite store is `gatehouse.db` inside it.
    #[arg(long, env = "GATEHOUSE_DATA_DIR", default_value = "./gatehouse-data")]
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL, or `sqlite://PATH`; overrides the data directory.
    #[arg(long, env = "GATEHOUSE_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// The database URL these arguments select.
    pub fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        if !self.data_dir.exists() {
            // The store holds password and token hashes: only its owner reads it.
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.data_dir)
                .with_context(|| format!("cannot create the data directory `{}`", self.data_dir.display()))?;
        }
        Ok(format!(
            "sqlite://{}?mode=rwc",
            self.data_dir.join("gatehouse.db").display()
        ))
    }

    /// Opens (and migrates) the store.
    pub async fn open(&self) -> anyhow::Result<Store> {
        let url = self.url()?;
        Store::open(&url)
            .await
            .with_context(|| format!("cannot open the store at `{}`", redact(&url)))
    }
}

/// A URL fit for messages: no password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// `gatehouse migrate`: brings the schema up to date.
pub async fn migrate(args: &StoreArgs) -> anyhow::Result<()> {
    let store = args.open().await?;
    store.migrate().await?;
    outln!("store migrated; revision {}", store.revision().await?);
    Ok(())
}

/// `gatehouse backup FILE`: a consistent copy while the store is in use.
pub async fn backup(args: &StoreArgs, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!("`{}` exists; choose a new file", file.display());
    }
    let store = args.open().await?;
    let revision = store.backup(file).await.context("backup failed")?;
    outln!("backed up revision {revision} to {}", file.display());
    Ok(())
}

/// `gatehouse restore FILE`: loads a backup into an empty store.
pub async fn restore(args: &StoreArgs, file: &Path) -> anyhow::Result<()> {
    if !file.exists() {
        bail!("`{}` does not exist", file.display());
    }
    let store = args.open().await?;
    let revision = store.restore(file).await.context("restore failed")?;
    outln!("restored revision {revision} from {}", file.display());
    Ok(())
}

/// `gatehouse audit verify`: recomputes the audit hash chain.
pub async fn verify_audit(args: &StoreArgs) -> anyhow::Result<()> {
    let store = args.open().await?;
    match store.verify_audit().await? {
        Ok(count) => {
            outln!("audit chain verified: {count} records");
            Ok(())
        }
        Err(id) => bail!("audit record {id} does not verify: the log was altered"),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(redact("postgres://u:secret@db:5432/x"), "postgres://u:***@db:5432/x");
        assert_eq!(redact("sqlite://data/g.db?mode=rwc"), "sqlite://data/g.db?mode=rwc");
    }
}
