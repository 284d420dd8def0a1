//! `gatehouse serve`: load the configuration, start, print where it
//! listens (and, on first start, the one-time admin password), serve.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use gatehouse_server::LogFormat;
use tracing_subscriber::EnvFilter;

use crate::config_load::{self, Overrides};

/// `gatehouse serve`'s flags; everything else is configuration.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// How logs are written (overrides `log_format` and
    /// `GATEHOUSE_LOG_FORMAT`).
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormatArg>,
    /// Start even when the data directory is readable or writable by
    /// others than its owner (it holds password and token hashes).
    #[arg(long)]
    pub allow_shared_data_dir: bool,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormatArg {
    /// Text for people.
    Human,
    /// One JSON object per line.
    Json,
}

/// Runs the server until SIGTERM or ctrl-c.
pub async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let config = config_load::load(&Overrides {
        log_format: args.log_format.map(|f| match f {
            LogFormatArg::Human => LogFormat::Human,
            LogFormatArg::Json => LogFormat::Json,
        }),
        ..Overrides::default()
    })?;
    init_logs(config.log_format);
    check_data_dir(&config.data_dir, args.allow_shared_data_dir)?;
    let server = gatehouse_server::start(config).await?;
    let listen = server.config().listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on `{listen}`"))?;
    let addr = listener.local_addr()?;
    if let Some(admin) = server.initial_admin() {
        outln!(
            "First start: the platform admin is `admin` with password\n\n    {}\n\n\
             shown once and saved to {} (mode 0600); change it at first login.",
            admin.password,
            admin.file.display()
        );
    }
    let scheme = if server.tls().is_some() { "https" } else { "http" };
    outln!("Gatehouse listening on {scheme}://{addr}");
    gatehouse_server::serve(listener, server).await?;
    Ok(())
}

/// Refuses a data directory that others may read or write (mode with any
/// group or other bit), unless `allow_shared`, which warns instead. A
/// missing one is created private by the start.
fn check_data_dir(dir: &Path, allow_shared: bool) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(());
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    if allow_shared {
        tracing::warn!(
            data_dir = %dir.display(),
            mode = format!("{mode:o}"),
            "the data directory is open to other users; its files are kept 0600"
        );
        return Ok(());
    }
    bail!(
        "the data directory `{}` has mode {mode:o}: others than its owner may read it, and it holds \
         password and token hashes; `chmod 700` it, or start with --allow-shared-data-dir",
        dir.display()
    )
}

/// Logs to stderr, human or JSON; `RUST_LOG` filters (default `info`).
fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
