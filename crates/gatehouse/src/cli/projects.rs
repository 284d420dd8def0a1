//! `gatehouse projects` and `gatehouse environments` (SPEC §5.3, §5.4).

use anyhow::bail;
use clap::Subcommand;
use gatehouse_api::{CreateProject, Environment, PatchProject, Project};
use gatehouse_client::Client;

use super::login::enum_text;
use super::output::{self, Format};
use super::users::done;
use super::{PageArgs, names, pages};

/// `gatehouse projects …`.
#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// List the projects you can see.
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one project.
    Get {
        /// Project key.
        key: String,
    },
    /// Create a project.
    Create {
        /// Project key, `^[a-z][a-z0-9-]{1,31}$`.
        key: String,
        /// Display name.
        #[arg(long = "name")]
        display_name: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Users who become its Project Admins (comma-separated).
        #[arg(long, value_delimiter = ',')]
        admins: Vec<String>,
    },
    /// Change a project's display name or description.
    Update {
        /// Project key.
        key: String,
        /// New display name.
        #[arg(long = "name")]
        display_name: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a project and everything in it.
    Delete {
        /// Project key.
        key: String,
        /// The key again, to confirm.
        #[arg(long)]
        confirm: String,
    },
}

/// `gatehouse environments …`.
#[derive(Debug, Subcommand)]
pub enum EnvironmentsCommand {
    /// List global environments, or a project's.
    List {
        /// A project's environments instead of the global ones.
        #[arg(long)]
        project: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Create a global environment, or a project's (`NAME` becomes `<key>-NAME`).
    Create {
        /// Name.
        name: String,
        /// In this project.
        #[arg(long)]
        project: Option<String>,
    },
    /// Delete an environment.
    Delete {
        /// Name (full name for a project's).
        name: String,
        /// In this project.
        #[arg(long)]
        project: Option<String>,
        /// Also remove it from the roles that use it.
        #[arg(long)]
        force: bool,
    },
}

/// Runs `gatehouse projects …`.
pub async fn run(client: &Client, format: Format, command: ProjectsCommand) -> anyhow::Result<()> {
    let one = |p: &Project| table(std::slice::from_ref(p));
    match command {
        ProjectsCommand::List { page } => {
            let found = pages(&page, |paging| async move { client.list_projects(&paging).await }).await?;
            output::print(format, &found, |p| table(&p.items))
        }
        ProjectsCommand::Get { key } => output::print(format, &client.get_project(&key).await?, one),
        ProjectsCommand::Create {
            key,
            display_name,
            description,
            admins,
        } => {
            let request = CreateProject {
                key,
                display_name,
                description,
                admin_privileges: gatehouse_api::AdminPrivileges::default(),
                admins: names(&admins),
            };
            output::print(format, &client.create_project(&request).await?, one)
        }
        ProjectsCommand::Update {
            key,
            display_name,
            description,
        } => {
            let request = PatchProject {
                display_name,
                description,
                admin_privileges: None,
            };
            output::print(format, &client.patch_project(&key, &request).await?, one)
        }
        ProjectsCommand::Delete { key, confirm } => {
            if confirm != key {
                bail!("`--confirm` must repeat the key `{key}`");
            }
            client.delete_project(&key).await?;
            done(format, &format!("deleted project {key}"))
        }
    }
}

/// Runs `gatehouse environments …`.
pub async fn run_environments(client: &Client, format: Format, command: EnvironmentsCommand) -> anyhow::Result<()> {
    match command {
        EnvironmentsCommand::List { project, page } => {
            let project = project.as_deref();
            let found = pages(&page, |paging| async move {
                client.list_environments(project, &paging).await
            })
            .await?;
            output::print(format, &found, |p| env_table(&p.items))
        }
        EnvironmentsCommand::Create { name, project } => {
            let env = client.create_environment(project.as_deref(), &name).await?;
            output::print(format, &env, |e| env_table(std::slice::from_ref(e)))
        }
        EnvironmentsCommand::Delete { name, project, force } => {
            let answer = client.delete_environment(project.as_deref(), &name, force).await?;
            match format {
                Format::Json => output::json(&answer),
                Format::Human => {
                    outln!("deleted environment {name}");
                    Ok(())
                }
            }
        }
    }
}

fn table(projects: &[Project]) -> comfy_table::Table {
    let mut table = output::table(["KEY", "DISPLAY NAME", "DESCRIPTION", "CREATED"]);
    for p in projects {
        table.add_row([
            p.key.clone(),
            p.display_name.clone(),
            p.description.clone(),
            p.created_at.date().to_string(),
        ]);
    }
    table
}

fn env_table(envs: &[Environment]) -> comfy_table::Table {
    let mut table = output::table(["NAME", "SCOPE", "PROJECT"]);
    for e in envs {
        table.add_row([e.name.clone(), enum_text(&e.scope), output::opt(e.project.as_deref())]);
    }
    table
}
