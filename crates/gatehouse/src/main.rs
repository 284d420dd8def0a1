//! The `gatehouse` binary (SPEC §11): the server (`serve`), the store's
//! operator commands (`migrate`, `backup`, `restore`, `audit verify`),
//! catalogue inspection, `bench-data`, and the client commands against a
//! server (`login`, `users`, `check`, `import`, … in `cli/`).

use std::path::PathBuf;

/// `print!` to stdout; a reader that went away (`gatehouse … | head`) ends
/// the program quietly instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(error) = write!(std::io::stdout().lock(), $($arg)*) {
            $crate::stdout_failed(&error);
        }
    }};
}

/// `println!` to stdout, as [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(error) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::stdout_failed(&error);
        }
    }};
}
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory as _, Parser, Subcommand};
use gatehouse_authz::Catalogue;

/// mimalloc rather than the C library's malloc: huge pages for the compiled
/// model, and what one thread frees reused by the others (docs/operations.md,
/// "The allocator and huge pages").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench_data;
mod catalogue_cmd;
mod cli;
mod config_load;
mod serve_cmd;
mod store_cmd;

/// Gatehouse: self-hosted access management.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: cli::Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (configured by `gatehouse.toml` and `GATEHOUSE_*`).
    Serve(serve_cmd::ServeArgs),
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
    /// Read the audit log from a server (filters, `--follow`), or `verify`
    /// the store's hash chain.
    Audit(cli::audit::AuditArgs),
    /// Write the SPEC §10 reference workload as an import document (YAML).
    BenchData {
        /// Multiply users, groups and projects by N.
        #[arg(long, default_value_t = 1)]
        scale: usize,
        /// The generator's seed.
        #[arg(long, default_value_t = bench_data::DEFAULT_SEED)]
        seed: u64,
        /// Write to FILE instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    #[command(flatten)]
    Client(cli::ClientCommand),
}

#[derive(Debug, Subcommand)]
enum CatalogueCommand {
    /// Print a catalogue's resource types, actions, categories and roles
    /// (`--json` for JSON).
    Show {
        /// `platform`, `connect`, or the path of a custom catalogue file.
        #[arg(default_value = "platform", conflicts_with = "server")]
        catalogue: String,
        /// The catalogue of the server logged in to (or `--url`).
        #[arg(long)]
        server: bool,
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

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = &cli.global;
    match cli.command {
        Command::Serve(args) => serve_cmd::serve(&args).await?,
        Command::Migrate(store) => store_cmd::migrate(&store).await?,
        Command::Backup { store, file } => store_cmd::backup(&store, &file).await?,
        Command::Restore { store, file } => store_cmd::restore(&store, &file).await?,
        Command::Audit(args) => match args.command {
            Some(cli::audit::AuditCommand::Verify(store)) => store_cmd::verify_audit(&store).await?,
            None => cli::audit::list(&global.client()?, global.format(), &args.list).await?,
        },
        Command::BenchData { scale, seed, out } => {
            let document = bench_data::generate(scale, seed)?;
            cli::transfer::write_out(out.as_deref(), &cli::transfer::to_yaml(&document)?)?;
        }
        Command::Completions { shell } => {
            // Into a buffer first: the generator panics on a closed pipe.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "gatehouse", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
        }
        Command::Client(command) => return cli::run(global, command).await,
        Command::Catalogue(CatalogueCommand::Show { catalogue, server }) => {
            if server {
                catalogue_cmd::show_server(&global.client()?, global.format()).await?;
            } else {
                let catalogue = load(&catalogue)?;
                let out = if global.json {
                    catalogue_cmd::to_json(&catalogue)?
                } else {
                    catalogue_cmd::to_table(&catalogue)
                };
                outln!("{out}");
            }
        }
        Command::Catalogue(CatalogueCommand::Validate { file }) => {
            let catalogue = load(&file.to_string_lossy())?;
            outln!(
                "{}: catalogue `{}` is valid: {} resource types, {} actions, {} categories",
                file.display(),
                catalogue.name(),
                catalogue.resource_types().len(),
                catalogue.actions().len(),
                catalogue.categories().len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Stdout cannot be written: a closed pipe ends the program with success
/// (the reader has what it wanted); anything else is an error.
fn stdout_failed(error: &std::io::Error) -> ! {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to stdout: {error}");
    std::process::exit(1);
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
        Ok(code) => code,
        Err(error) => {
            cli::output::error(&error);
            ExitCode::FAILURE
        }
    }
}
