//! `gatehouse resources` (a project's registered resources, SPEC §5.6) and
//! `gatehouse settings` (the billing details, SPEC §3.1).

use clap::Subcommand;
use comfy_table::Table;
use gatehouse_api::{Billing, CreateResource, PutSettings, Resource, Settings};
use gatehouse_client::Client;

use super::output::{self, Format};
use super::users::done;
use super::{PageArgs, pages};

/// `gatehouse resources …`.
#[derive(Debug, Subcommand)]
pub enum ResourcesCommand {
    /// A project's resources, by type then name.
    List {
        /// Project key.
        #[arg(long)]
        project: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Register a resource so checks may name it instead of a project and
    /// an environment.
    Register {
        /// Project key.
        #[arg(long)]
        project: String,
        /// Resource type, e.g. `repository`.
        #[arg(long = "type")]
        resource_type: String,
        /// Its name, unique per type.
        name: String,
        /// Environment, for environment-scoped types.
        #[arg(long)]
        environment: Option<String>,
    },
    /// Remove a resource.
    Remove {
        /// Project key.
        #[arg(long)]
        project: String,
        /// Resource type.
        #[arg(long = "type")]
        resource_type: String,
        /// Its name.
        name: String,
    },
}

/// Runs `gatehouse resources …`.
pub async fn run_resources(client: &Client, format: Format, command: ResourcesCommand) -> anyhow::Result<()> {
    match command {
        ResourcesCommand::List { project, page } => {
            let project = project.as_str();
            let found = pages(
                &page,
                |paging| async move { client.list_resources(project, &paging).await },
            )
            .await?;
            output::print(format, &found, |p| resource_table(&p.items))
        }
        ResourcesCommand::Register {
            project,
            resource_type,
            name,
            environment,
        } => {
            let request = CreateResource {
                resource_type,
                name,
                environment,
            };
            let created = client.register_resource(&project, &request).await?;
            output::print(format, &created, |r| resource_table(std::slice::from_ref(r)))
        }
        ResourcesCommand::Remove {
            project,
            resource_type,
            name,
        } => {
            client.remove_resource(&project, &resource_type, &name).await?;
            done(
                format,
                &format!("removed {resource_type} `{name}` from project `{project}`"),
            )
        }
    }
}

fn resource_table(items: &[Resource]) -> Table {
    let mut table = output::table(["TYPE", "NAME", "PROJECT", "ENVIRONMENT"]);
    for r in items {
        table.add_row([
            r.resource_type.clone(),
            r.name.clone(),
            r.project.clone(),
            output::opt(r.environment.as_ref()),
        ]);
    }
    table
}

/// `gatehouse settings …`.
#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// The billing details and the instance's configuration.
    Show,
    /// Replace the billing details (`billing.manage`).
    SetBilling {
        /// Plan name.
        #[arg(long, default_value = "")]
        plan: String,
        /// Billing contact.
        #[arg(long, default_value = "")]
        contact: String,
        /// Renewal date, `YYYY-MM-DD`.
        #[arg(long)]
        renewal_date: Option<String>,
    },
}

/// Runs `gatehouse settings …`.
pub async fn run_settings(client: &Client, format: Format, command: SettingsCommand) -> anyhow::Result<()> {
    let settings = match command {
        SettingsCommand::Show => client.settings().await?,
        SettingsCommand::SetBilling {
            plan,
            contact,
            renewal_date,
        } => {
            let billing = Billing {
                plan,
                contact,
                renewal_date,
            };
            client.put_settings(&PutSettings { billing }).await?
        }
    };
    output::print(format, &settings, settings_table)
}

fn settings_table(s: &Settings) -> Table {
    let mut table = output::table(["SETTING", "VALUE"]);
    table.add_row(["billing plan".to_owned(), s.billing.plan.clone()]);
    table.add_row(["billing contact".to_owned(), s.billing.contact.clone()]);
    table.add_row(["renewal date".to_owned(), output::opt(s.billing.renewal_date.as_ref())]);
    table.add_row(["catalogue".to_owned(), s.instance.catalogue.clone()]);
    table.add_row(["public URL".to_owned(), output::opt(s.instance.public_url.as_ref())]);
    table.add_row([
        "token lifetime (max days)".to_owned(),
        s.instance.token_max_days.to_string(),
    ]);
    table.add_row([
        "tokens that never expire".to_owned(),
        s.instance.allow_non_expiring_tokens.to_string(),
    ]);
    table
}
