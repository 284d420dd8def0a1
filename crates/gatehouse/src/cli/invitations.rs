//! `gatehouse invitations`: the outbox of invitation messages and where
//! each one's delivery stands (SPEC §9.4; a message's link is never shown),
//! and re-sending the invitation of a user who has not logged in yet.

use clap::Subcommand;
use gatehouse_api::{CreateInvitation, Message};
use gatehouse_client::Client;
use time::format_description::well_known::Rfc3339;

use super::login::enum_text;
use super::output::{self, Format};
use super::{PageArgs, pages};

/// `gatehouse invitations …`.
#[derive(Debug, Subcommand)]
pub enum InvitationsCommand {
    /// List the outbox, oldest first.
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Re-send the invitation of a user who has not logged in: a new link
    /// (7 days), the old one stops working. Without SMTP, a platform admin
    /// is shown the link once, to pass on.
    Resend {
        /// Username.
        user: String,
    },
}

/// Runs `gatehouse invitations …`.
pub async fn run(client: &Client, format: Format, command: InvitationsCommand) -> anyhow::Result<()> {
    match command {
        InvitationsCommand::List { page } => {
            let found = pages(&page, |paging| async move { client.list_invitations(&paging).await }).await?;
            output::print(format, &found, |p| table(&p.items))
        }
        InvitationsCommand::Resend { user } => {
            let found = client.get_user(&user).await?;
            let Some(email) = found.email else {
                anyhow::bail!("user {user} has no email to invite");
            };
            let sent = client
                .invite(&CreateInvitation {
                    email,
                    username: Some(found.username),
                    account_permissions: Vec::new(),
                    memberships: Vec::new(),
                })
                .await?;
            super::users::print_invitation(format, &sent)
        }
    }
}

fn table(messages: &[Message]) -> comfy_table::Table {
    let mut table = output::table(["ID", "TO", "SUBJECT", "STATUS", "ATTEMPTS", "SENT AT", "LAST ERROR"]);
    for m in messages {
        table.add_row([
            m.id.to_string(),
            m.to.clone(),
            m.subject.clone(),
            enum_text(&m.status),
            m.attempts.to_string(),
            output::opt(m.sent_at.and_then(|at| at.format(&Rfc3339).ok()).as_deref()),
            output::opt(m.last_error.as_deref()),
        ]);
    }
    table
}
