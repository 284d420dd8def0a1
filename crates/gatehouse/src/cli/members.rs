//! `gatehouse members`: list, set and remove a project's members, users or
//! groups (SPEC §5.5).

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use gatehouse_api::{Member, MemberKind};
use gatehouse_client::{Client, MemberQuery, Principal};

use super::login::enum_text;
use super::output::{self, Format};
use super::users::done;
use super::{PageArgs, names, pages};

/// Users or groups.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    /// Users.
    User,
    /// Groups.
    Group,
}

/// Which member: `--user U` or `--group G`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("member").required(true).args(["user", "group"])))]
pub struct Who {
    /// A user member.
    #[arg(long)]
    pub user: Option<String>,
    /// A group member.
    #[arg(long)]
    pub group: Option<String>,
}

impl Who {
    fn principal(&self) -> Principal<'_> {
        match (&self.user, &self.group) {
            (Some(u), _) => Principal::User(u),
            (None, Some(g)) => Principal::Group(g),
            // clap's group makes one of them required.
            (None, None) => Principal::User(""),
        }
    }

    fn describe(&self) -> String {
        match self.principal() {
            Principal::User(u) => format!("user {u}"),
            Principal::Group(g) => format!("group {g}"),
        }
    }
}

/// `gatehouse members …`.
#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// List a project's members.
    List {
        /// Project key.
        #[arg(long)]
        project: String,
        /// Only users or only groups.
        #[arg(long)]
        kind: Option<KindArg>,
        /// Text in the member's name.
        #[arg(long)]
        q: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Set a member's roles (replacing them).
    Set {
        /// Project key.
        #[arg(long)]
        project: String,
        #[command(flatten)]
        who: Who,
        /// Roles (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
    },
    /// Remove a member.
    Remove {
        /// Project key.
        #[arg(long)]
        project: String,
        #[command(flatten)]
        who: Who,
    },
}

/// Runs `gatehouse members …`.
pub async fn run(client: &Client, format: Format, command: MembersCommand) -> anyhow::Result<()> {
    match command {
        MembersCommand::List { project, kind, q, page } => {
            let base = MemberQuery {
                kind: kind.map(|k| match k {
                    KindArg::User => MemberKind::User,
                    KindArg::Group => MemberKind::Group,
                }),
                q,
                ..MemberQuery::default()
            };
            let project = project.as_str();
            let found = pages(&page, |paging| {
                let query = MemberQuery { paging, ..base.clone() };
                async move { client.list_members(project, &query).await }
            })
            .await?;
            output::print(format, &found, |p| table(&p.items))
        }
        MembersCommand::Set { project, who, roles } => {
            let member = client.set_member(&project, who.principal(), names(&roles)).await?;
            output::print(format, &member, |m| table(std::slice::from_ref(m)))
        }
        MembersCommand::Remove { project, who } => {
            client.remove_member(&project, who.principal()).await?;
            done(format, &format!("removed {} from {project}", who.describe()))
        }
    }
}

fn table(members: &[Member]) -> comfy_table::Table {
    let mut table = output::table(["KIND", "NAME", "ROLES"]);
    for m in members {
        table.add_row([enum_text(&m.kind), m.name.clone(), output::list(&m.roles)]);
    }
    table
}
