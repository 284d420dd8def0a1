//! `gatehouse serve`: load the configuration, start, print where it
//! listens (and, on first start, the one-time admin password), serve.

use anyhow::Context as _;
use gatehouse_server::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

/// Runs the server until SIGTERM or ctrl-c.
pub async fn serve() -> anyhow::Result<()> {
    let config = Config::load(&Config::providers())?;
    init_logs(config.log_format);
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
