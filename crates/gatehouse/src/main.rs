//! The `gatehouse` binary: server and operator commands (SPEC §11).
//!
//! Today: `serve`, catalogue inspection and the store's operator commands
//! (`migrate`, `backup`, `restore`, `audit verify`); the client commands
//! arrive with the crate that implements them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gatehouse_authz::Catalogue;

mod catalogue_cmd;
mod serve_cmd;
mod store_cmd;

/// Gatehouse: self-hosted access management.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (configured by `gatehouse.toml` and `GATEHOUSE_*`).
    Serve,
    /// Inspect or validate a permission catalogue (SPEC §3).
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Create or update the store's schema.
    Migrate(store_cmd::StoreArgs),
    /// Write a consistent copy of the store to FILE while it is in use.
    Backup {
        #[command(flatten)]
        store: store_cmd::StoreArgs,
        /// The backup file to create.
        file: PathBuf,
    },
    /// Load a backup into an empty store.
    Restore {
        #[command(flatten)]
        store: store_cmd::StoreArgs,
        /// The backup file.
        file: PathBuf,
    },
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute the audit hash chain and report the first altered record.
    Verify(store_cmd::StoreArgs),
}

#[derive(Debug, Subcommand)]
enum CatalogueCommand {
    /// Print a catalogue's resource types, actions, categories and roles.
    Show {
        /// `platform`, `connect`, or the path of a custom catalogue file.
        #[arg(default_value = "platform")]
        catalogue: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Validate a custom catalogue file; errors name the file, line and field.
    Validate {
        /// The catalogue file.
        file: PathBuf,
    },
}

fn load(name_or_path: &str) -> anyhow::Result<Catalogue> {
    if let Some(builtin) = Catalogue::builtin(name_or_path) {
        return Ok(builtin?);
    }
    let text = std::fs::read_to_string(name_or_path).with_context(|| format!("cannot read `{name_or_path}`"))?;
    Ok(Catalogue::parse(name_or_path, &text)?)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => serve_cmd::serve().await?,
        Command::Migrate(store) => store_cmd::migrate(&store).await?,
        Command::Backup { store, file } => store_cmd::backup(&store, &file).await?,
        Command::Restore { store, file } => store_cmd::restore(&store, &file).await?,
        Command::Audit(AuditCommand::Verify(store)) => store_cmd::verify_audit(&store).await?,
        Command::Catalogue(CatalogueCommand::Show { catalogue, json }) => {
            let catalogue = load(&catalogue)?;
            let out = if json {
                catalogue_cmd::to_json(&catalogue)?
            } else {
                catalogue_cmd::to_table(&catalogue)
            };
            println!("{out}");
        }
        Command::Catalogue(CatalogueCommand::Validate { file }) => {
            let catalogue = load(&file.to_string_lossy())?;
            println!(
                "{}: catalogue `{}` is valid: {} resource types, {} actions, {} categories",
                file.display(),
                catalogue.name(),
                catalogue.resource_types().len(),
                catalogue.actions().len(),
                catalogue.categories().len()
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
