//! Operator commands on the store: `migrate`, `backup`, `restore`,
//! `audit verify` (SPEC §8, §9.1, §11).

use std::io::BufRead as _;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use gatehouse_domain::Store as _;
use gatehouse_server::Config;
use gatehouse_store::Store;

use crate::config_load::{self, Overrides};

/// Where the store is. Read as `serve` reads it (`gatehouse.toml` in the
/// working directory, then `GATEHOUSE_*`); these flags win over both.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Data directory; the SQLite store is `gatehouse.db` inside it
    /// (default: `data_dir` of the configuration).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` for PostgreSQL, or `sqlite://PATH`; overrides the data
    /// directory (default: `database_url` of the configuration).
    #[arg(long)]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// The configuration, as `serve` loads it, with these flags on top.
    pub fn config(&self) -> anyhow::Result<Config> {
        config_load::load(&Overrides {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            ..Overrides::default()
        })
    }

    /// Opens (and migrates) the store, creating it if there is none
    /// (`migrate`, `restore`).
    pub async fn open_or_create(&self) -> anyhow::Result<Store> {
        let config = self.config()?;
        if config.database_url.is_none() && !config.data_dir.exists() {
            // The store holds password and token hashes: only its owner reads it.
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&config.data_dir)
                .with_context(|| format!("cannot create the data directory `{}`", config.data_dir.display()))?;
        }
        let url = config.database_url();
        Store::open(&url)
            .await
            .with_context(|| format!("cannot open the store at `{}`", redact(&url)))
    }

    /// Opens the store that is there, refusing a data directory or
    /// database that holds none (`backup`, `audit verify`); creates nothing.
    pub async fn open_existing(&self) -> anyhow::Result<Store> {
        let config = self.config()?;
        if config.database_url.is_none() && !config.data_dir.join("gatehouse.db").is_file() {
            bail!(
                "no Gatehouse store in the data directory `{}` (no gatehouse.db); \
                 set `data_dir` or `database_url` (gatehouse.toml, GATEHOUSE_*, or --data-dir/--database-url)",
                config.data_dir.display()
            );
        }
        let url = config.database_url();
        Store::open_existing(&url)
            .await
            .with_context(|| format!("cannot use the store at `{}`", redact(&url)))
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
    let store = args.open_or_create().await?;
    store.migrate().await?;
    outln!("store migrated; revision {}", store.revision().await?);
    Ok(())
}

/// `gatehouse backup FILE`: a consistent copy while the store is in use.
pub async fn backup(args: &StoreArgs, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!("`{}` exists; choose a new file", file.display());
    }
    let store = args.open_existing().await?;
    let revision = store.backup(file).await.context("backup failed")?;
    outln!("backed up revision {revision} to {}", file.display());
    Ok(())
}

/// `gatehouse restore FILE`: loads a backup into an empty store.
pub async fn restore(args: &StoreArgs, file: &Path) -> anyhow::Result<()> {
    if !file.exists() {
        bail!("`{}` does not exist", file.display());
    }
    let store = args.open_or_create().await?;
    let revision = store.restore(file).await.context("restore failed")?;
    outln!("restored revision {revision} from {}", file.display());
    Ok(())
}

/// `gatehouse audit verify`: recomputes the audit hash chain of the
/// store, or (`--file`) of an NDJSON export.
pub async fn verify_audit(args: &VerifyArgs) -> anyhow::Result<()> {
    if let Some(file) = &args.file {
        let count = verify_export(file)?;
        outln!("audit export verified: {count} records");
        return Ok(());
    }
    let store = args.store.open_existing().await?;
    match store.verify_audit().await? {
        Ok(count) => {
            outln!("audit chain verified: {count} records");
            Ok(())
        }
        Err(id) => bail!("audit record {id} does not verify: the log was altered"),
    }
}

/// `gatehouse audit verify`'s arguments.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Verify this NDJSON export (`GET /api/v1/audit/export`) instead of
    /// the store.
    #[arg(long, conflicts_with_all = ["data_dir", "database_url"])]
    pub file: Option<PathBuf>,
}

/// The `prev_hash` of the first record of a chain.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Checks an NDJSON export (SPEC §9.1): each record's `hash` is the SHA-256
/// of its `prev_hash` and the RFC 8785 form of the record without `hash`,
/// and each `prev_hash` is the `hash` of the line before (the first
/// record's, 64 zeros when it is record 1). Answers the number of records.
fn verify_export(file: &Path) -> anyhow::Result<u64> {
    let reader = std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("cannot read `{}`", file.display()))?,
    );
    let mut previous: Option<(u64, String)> = None;
    let mut count = 0;
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read `{}`", file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", file.display(), n + 1);
        let mut record: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("{}: not a JSON record", at()))?;
        let fields = record
            .as_object_mut()
            .with_context(|| format!("{}: not a JSON object", at()))?;
        let hash = fields.remove("hash");
        let (Some(serde_json::Value::String(hash)), Some(id), Some(prev)) = (
            hash,
            fields.get("id").and_then(serde_json::Value::as_u64),
            fields
                .get("prev_hash")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
        ) else {
            bail!("{}: a record needs `id`, `prev_hash` and `hash`", at());
        };
        match &previous {
            Some((last_id, last_hash)) if id != last_id + 1 || prev != *last_hash => {
                bail!(
                    "{}: record {id} does not follow record {last_id}: the export was altered or is filtered",
                    at()
                )
            }
            None if id == 1 && prev != GENESIS => bail!("{}: record 1 does not start the chain", at()),
            _ => {}
        }
        let computed = gatehouse_domain::store::audit_hash(&prev, &record).map_err(anyhow::Error::msg)?;
        if computed != hash {
            bail!("{}: audit record {id} does not verify: the log was altered", at());
        }
        previous = Some((id, hash));
        count += 1;
    }
    if count == 0 {
        bail!("`{}` holds no audit record", file.display());
    }
    Ok(count)
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
