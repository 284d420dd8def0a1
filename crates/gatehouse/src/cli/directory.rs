//! `gatehouse groups`: list, show, create, update, delete, add and remove
//! members (SPEC §5.2).

use clap::Subcommand;
use gatehouse_api::{CreateGroup, Group, PatchGroup, PatchGroupMembers};
use gatehouse_client::Client;

use super::output::{self, Format};
use super::users::done;
use super::{PageArgs, names, pages};

/// `gatehouse groups …`.
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// List groups.
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one group.
    Get {
        /// Group name.
        name: String,
    },
    /// Create a group.
    Create {
        /// Group name.
        name: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Its users (comma-separated).
        #[arg(long, value_delimiter = ',')]
        members: Vec<String>,
    },
    /// Change a group's description.
    Update {
        /// Group name.
        name: String,
        /// New description.
        #[arg(long)]
        description: String,
    },
    /// Delete a group.
    Delete {
        /// Group name.
        name: String,
    },
    /// Add users to a group.
    Add {
        /// Group name.
        name: String,
        /// Usernames.
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Remove users from a group.
    Remove {
        /// Group name.
        name: String,
        /// Usernames.
        #[arg(required = true)]
        users: Vec<String>,
    },
}

/// Runs `gatehouse groups …`.
pub async fn run(client: &Client, format: Format, command: GroupsCommand) -> anyhow::Result<()> {
    let one = |g: &Group| table(std::slice::from_ref(g));
    match command {
        GroupsCommand::List { page } => {
            let found = pages(&page, |paging| async move { client.list_groups(&paging).await }).await?;
            output::print(format, &found, |p| table(&p.items))
        }
        GroupsCommand::Get { name } => output::print(format, &client.get_group(&name).await?, one),
        GroupsCommand::Create {
            name,
            description,
            members,
        } => {
            let request = CreateGroup {
                name,
                description,
                members: names(&members),
            };
            output::print(format, &client.create_group(&request).await?, one)
        }
        GroupsCommand::Update { name, description } => {
            let request = PatchGroup {
                description: Some(description),
            };
            output::print(format, &client.patch_group(&name, &request).await?, one)
        }
        GroupsCommand::Delete { name } => {
            client.delete_group(&name).await?;
            done(format, &format!("deleted group {name}"))
        }
        GroupsCommand::Add { name, users } => {
            let request = PatchGroupMembers {
                add: names(&users),
                remove: Vec::new(),
            };
            output::print(format, &client.change_group_members(&name, &request).await?, one)
        }
        GroupsCommand::Remove { name, users } => {
            let request = PatchGroupMembers {
                add: Vec::new(),
                remove: names(&users),
            };
            output::print(format, &client.change_group_members(&name, &request).await?, one)
        }
    }
}

fn table(groups: &[Group]) -> comfy_table::Table {
    let mut table = output::table(["NAME", "DESCRIPTION", "MEMBERS"]);
    for g in groups {
        table.add_row([g.name.clone(), g.description.clone(), output::list(&g.members)]);
    }
    table
}
