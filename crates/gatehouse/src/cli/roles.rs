//! `gatehouse roles`: global roles, or a project's with `--project`;
//! Basic mode with `--categories`, Advanced with `--actions` (SPEC §4).

use anyhow::bail;
use clap::{Subcommand, ValueEnum};
use gatehouse_api::{CreateRole, PatchRole, Role, RoleMode};
use gatehouse_client::Client;

use super::login::enum_text;
use super::output::{self, Format};
use super::{PageArgs, names, pages};

/// A role's editing mode.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModeArg {
    /// Categories.
    Basic,
    /// Actions.
    Advanced,
}

/// `gatehouse roles …`.
#[derive(Debug, Subcommand)]
pub enum RolesCommand {
    /// List global roles, or a project's (which also sees the global ones).
    List {
        /// A project's roles.
        #[arg(long)]
        project: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one role.
    Get {
        /// Role name.
        name: String,
        /// A project's role.
        #[arg(long)]
        project: Option<String>,
    },
    /// Create a role: `--categories` (Basic) or `--actions` (Advanced).
    Create {
        /// Role name.
        name: String,
        /// A project's role (else global).
        #[arg(long)]
        project: Option<String>,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Basic mode: categories (comma-separated).
        #[arg(
            long,
            value_delimiter = ',',
            conflicts_with = "actions",
            required_unless_present = "actions"
        )]
        categories: Option<Vec<String>>,
        /// Advanced mode: actions (comma-separated).
        #[arg(long, value_delimiter = ',')]
        actions: Option<Vec<String>>,
        /// Environments (comma-separated).
        #[arg(long, value_delimiter = ',')]
        environments: Vec<String>,
    },
    /// Change a role.
    Update {
        /// Role name.
        name: String,
        /// A project's role.
        #[arg(long)]
        project: Option<String>,
        /// New name.
        #[arg(long)]
        rename: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
        /// Switch mode.
        #[arg(long)]
        mode: Option<ModeArg>,
        /// New categories.
        #[arg(long, value_delimiter = ',')]
        categories: Option<Vec<String>>,
        /// New actions.
        #[arg(long, value_delimiter = ',')]
        actions: Option<Vec<String>>,
        /// New environments (comma-separated).
        #[arg(long, value_delimiter = ',', num_args = 0..)]
        environments: Option<Vec<String>>,
        /// Accept losing the actions a switch to Basic mode cannot keep.
        #[arg(long)]
        discard_advanced: bool,
    },
    /// Delete a role.
    Delete {
        /// Role name.
        name: String,
        /// A project's role.
        #[arg(long)]
        project: Option<String>,
        /// Also remove it from the members that hold it.
        #[arg(long)]
        force: bool,
    },
}

/// Runs `gatehouse roles …`.
pub async fn run(client: &Client, format: Format, command: RolesCommand) -> anyhow::Result<()> {
    let one = |r: &Role| table(std::slice::from_ref(r));
    match command {
        RolesCommand::List { project, page } => {
            let project = project.as_deref();
            let found = pages(&page, |paging| async move { client.list_roles(project, &paging).await }).await?;
            output::print(format, &found, |p| table(&p.items))
        }
        RolesCommand::Get { name, project } => {
            output::print(format, &client.get_role(project.as_deref(), &name).await?, one)
        }
        RolesCommand::Create {
            name,
            project,
            description,
            categories,
            actions,
            environments,
        } => {
            if categories.is_none() && actions.is_none() {
                bail!("give `--categories` or `--actions`");
            }
            let request = CreateRole {
                name,
                description,
                categories: categories.as_deref().map(names),
                actions: actions.as_deref().map(names),
                environments: names(&environments),
                ..CreateRole::default()
            };
            output::print(format, &client.create_role(project.as_deref(), &request).await?, one)
        }
        RolesCommand::Update {
            name,
            project,
            rename,
            description,
            mode,
            categories,
            actions,
            environments,
            discard_advanced,
        } => {
            let request = PatchRole {
                name: rename,
                description,
                mode: mode.map(|m| match m {
                    ModeArg::Basic => RoleMode::Basic,
                    ModeArg::Advanced => RoleMode::Advanced,
                }),
                categories: categories.as_deref().map(names),
                actions: actions.as_deref().map(names),
                environments: environments.as_deref().map(names),
                discard_advanced,
            };
            output::print(
                format,
                &client.patch_role(project.as_deref(), &name, &request).await?,
                one,
            )
        }
        RolesCommand::Delete { name, project, force } => {
            let answer = client.delete_role(project.as_deref(), &name, force).await?;
            match format {
                Format::Json => output::json(&answer),
                Format::Human => {
                    outln!("deleted role {name}");
                    Ok(())
                }
            }
        }
    }
}

fn table(roles: &[Role]) -> comfy_table::Table {
    let mut table = output::table(["NAME", "SCOPE", "TYPE", "MODE", "GRANTS", "ENVIRONMENTS"]);
    for r in roles {
        let grants = match r.mode {
            RoleMode::Basic => r.categories.clone(),
            RoleMode::Advanced => r.actions.clone(),
        };
        let scope = match &r.project {
            Some(p) => format!("project {p}"),
            None => enum_text(&r.scope),
        };
        table.add_row([
            r.name.clone(),
            scope,
            enum_text(&r.role_type),
            enum_text(&r.mode),
            output::list(&grants),
            output::list(&r.environments),
        ]);
    }
    table
}
