//! The client commands of the `gatehouse` binary (SPEC §11): they talk to
//! a server through `gatehouse-client`, with the URL and token of a login
//! profile, `--url`/`GATEHOUSE_URL` and `--token`/`GATEHOUSE_TOKEN`.

use std::future::Future;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use gatehouse_api::Page;
use gatehouse_client::{Client, ClientError, Paging};

pub mod access;
pub mod audit;
pub mod directory;
pub mod impact;
pub mod instance;
pub mod invitations;
pub mod login;
pub mod members;
pub mod output;
pub mod profile;
pub mod projects;
pub mod roles;
pub mod secrets;
pub mod tokens;
pub mod transfer;
pub mod users;

use output::Format;
use profile::{Profile, Profiles};

/// The exit code of a `check` that was denied (SPEC §11).
pub const DENIED: u8 = 3;

/// Options of every client command.
#[derive(Debug, Args)]
pub struct Global {
    /// The server's URL; overrides the profile's.
    #[arg(long, global = true, env = "GATEHOUSE_URL")]
    pub url: Option<String>,
    /// A bearer token; overrides the profile's.
    #[arg(long, global = true, env = "GATEHOUSE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The login profile to use.
    #[arg(long, global = true, env = "GATEHOUSE_PROFILE", default_value = "default")]
    pub profile: String,
    /// Print the API's JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Write nothing: print what the write would do to people's access
    /// (SPEC §7.2). A command whose write cannot be previewed is refused.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// With `--dry-run`: list at most this many changes (1 to 1,000).
    #[arg(long, global = true, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub dry_run_limit: u16,
}

impl Global {
    /// How to print.
    pub fn format(&self) -> Format {
        if self.json { Format::Json } else { Format::Human }
    }

    /// The saved profile this invocation uses, if any.
    pub fn saved_profile(&self) -> anyhow::Result<Option<Profile>> {
        Ok(Profiles::load()?.profiles.get(&self.profile).cloned())
    }

    /// A client for the server and token these options and the profile name.
    pub fn client(&self) -> anyhow::Result<Client> {
        let saved = self.saved_profile()?;
        let url = match (&self.url, &saved) {
            (Some(url), _) => url.clone(),
            (None, Some(p)) => p.url.clone(),
            (None, None) => bail!(
                "no server: run `gatehouse login URL`, or give `--url` (or GATEHOUSE_URL) for profile `{}`",
                self.profile
            ),
        };
        // The profile's token goes only to the profile's server.
        let token = self
            .token
            .clone()
            .or_else(|| saved.filter(|p| same_server(&p.url, &url)).map(|p| p.token));
        let client = Client::new(&url, token).with_context(|| format!("cannot use server `{url}`"))?;
        Ok(if self.dry_run {
            client.previewing(usize::from(self.dry_run_limit))
        } else {
            client
        })
    }
}

fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The client commands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Log in to a server and keep a token in a profile.
    Login(login::LoginArgs),
    /// Revoke the profile's token and forget the profile.
    Logout,
    /// Show who the token acts for.
    Whoami,
    /// Users (SPEC §5.1).
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Groups (SPEC §5.2).
    #[command(subcommand)]
    Groups(directory::GroupsCommand),
    /// The outbox of invitation messages and their delivery (SPEC §9.4).
    #[command(subcommand)]
    Invitations(invitations::InvitationsCommand),
    /// Projects (SPEC §5.3).
    #[command(subcommand)]
    Projects(projects::ProjectsCommand),
    /// Environments, global or of a project (SPEC §5.4).
    #[command(subcommand)]
    Environments(projects::EnvironmentsCommand),
    /// Roles, global or of a project (SPEC §4).
    #[command(subcommand)]
    Roles(roles::RolesCommand),
    /// Project members (SPEC §5.5).
    #[command(subcommand)]
    Members(members::MembersCommand),
    /// Access tokens (SPEC §6.3).
    #[command(subcommand)]
    Tokens(tokens::TokensCommand),
    /// A project's registered resources (SPEC §5.6).
    #[command(subcommand)]
    Resources(instance::ResourcesCommand),
    /// The billing details and the instance's settings.
    #[command(subcommand)]
    Settings(instance::SettingsCommand),
    /// May USER do ACTION in a project? Exit code 0 when allowed, 3 when denied.
    Check(access::CheckArgs),
    /// Who may do an action in a project (and environment)?
    WhoCan(access::WhoCanArgs),
    /// A user's effective permissions in a project.
    Permissions(access::PermissionsArgs),
    /// Export the whole instance, or one project, as YAML.
    Export(transfer::ExportArgs),
    /// Import a YAML document: validated first, applied in one transaction.
    Import(transfer::ImportArgs),
}

/// Runs a client command; with `--dry-run`, prints the impact its write
/// answered instead.
pub async fn run(global: &Global, command: ClientCommand) -> anyhow::Result<ExitCode> {
    match run_command(global, command).await {
        Err(error) => match error.downcast_ref::<ClientError>() {
            Some(ClientError::Previewed(answer)) => {
                impact::print(global.format(), answer)?;
                Ok(ExitCode::SUCCESS)
            }
            _ => Err(error),
        },
        done => done,
    }
}

async fn run_command(global: &Global, command: ClientCommand) -> anyhow::Result<ExitCode> {
    let format = global.format();
    match command {
        ClientCommand::Login(args) => login::login(global, &args).await?,
        ClientCommand::Logout => login::logout(global).await?,
        ClientCommand::Whoami => login::whoami(&global.client()?, format).await?,
        ClientCommand::Users(c) => users::run(&global.client()?, format, c).await?,
        ClientCommand::Groups(c) => directory::run(&global.client()?, format, c).await?,
        ClientCommand::Invitations(c) => invitations::run(&global.client()?, format, c).await?,
        ClientCommand::Projects(c) => projects::run(&global.client()?, format, c).await?,
        ClientCommand::Environments(c) => projects::run_environments(&global.client()?, format, c).await?,
        ClientCommand::Roles(c) => roles::run(&global.client()?, format, c).await?,
        ClientCommand::Members(c) => members::run(&global.client()?, format, c).await?,
        ClientCommand::Tokens(c) => tokens::run(&global.client()?, format, c).await?,
        ClientCommand::Resources(c) => instance::run_resources(&global.client()?, format, c).await?,
        ClientCommand::Settings(c) => instance::run_settings(&global.client()?, format, c).await?,
        ClientCommand::Check(args) => return access::check(&global.client()?, format, &args).await,
        ClientCommand::WhoCan(args) => access::who_can(&global.client()?, format, &args).await?,
        ClientCommand::Permissions(args) => access::permissions(&global.client()?, format, &args).await?,
        ClientCommand::Export(args) => transfer::export(&global.client()?, &args).await?,
        ClientCommand::Import(args) => transfer::import(&global.client()?, format, &args).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Paging options of list commands.
#[derive(Debug, Clone, Args)]
pub struct PageArgs {
    /// Fetch one page of at most this many items (default: every page).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Start at this cursor (a `next_cursor` of an earlier page).
    #[arg(long)]
    pub cursor: Option<String>,
}

/// One page when `--limit` is given, else every page from `--cursor` on,
/// merged into one.
pub async fn pages<T, F, Fut>(args: &PageArgs, mut fetch: F) -> Result<Page<T>, ClientError>
where
    F: FnMut(Paging) -> Fut,
    Fut: Future<Output = Result<Page<T>, ClientError>>,
{
    let first = Paging {
        limit: args.limit,
        cursor: args.cursor.clone(),
    };
    let mut page = fetch(first).await?;
    if args.limit.is_some() {
        return Ok(page);
    }
    while let Some(cursor) = page.next_cursor.take() {
        let next = fetch(Paging {
            limit: None,
            cursor: Some(cursor),
        })
        .await?;
        page.items.extend(next.items);
        page.next_cursor = next.next_cursor;
    }
    Ok(page)
}

/// Splits `a,b,c` arguments (clap's `value_delimiter`) into owned names,
/// dropping empty ones.
pub fn names(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}
