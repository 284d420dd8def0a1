//! `gatehouse users`: list, show, create, invite, update, delete, disable,
//! enable, unlock, password (SPEC §5.1).

use clap::{Args, Subcommand, ValueEnum};
use gatehouse_api::{CreateInvitation, CreateUser, InvitationSent, PatchUser, SetPassword, UserKind, UserStatus};
use gatehouse_client::{Client, UserQuery};

use super::login::user_table;
use super::output::{self, Format};
use super::secrets::{self, StdinSecrets};
use super::{PageArgs, names, pages};

/// A status filter.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusArg {
    /// Never logged in.
    Invited,
    /// Active.
    Enabled,
    /// Disabled by an admin.
    Disabled,
    /// Locked after failed logins.
    Locked,
}

impl From<StatusArg> for UserStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Invited => Self::Invited,
            StatusArg::Enabled => Self::Enabled,
            StatusArg::Disabled => Self::Disabled,
            StatusArg::Locked => Self::Locked,
        }
    }
}

/// `gatehouse users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List users.
    List {
        /// Text in the username or email.
        #[arg(long)]
        q: Option<String>,
        /// Only users with this status.
        #[arg(long)]
        status: Option<StatusArg>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one user.
    Get {
        /// Username.
        username: String,
    },
    /// Create a user; without `--password-stdin` the user is invited by email.
    Create(CreateArgs),
    /// Invite a user by email (or re-send the invitation of the user with
    /// this email, while it has not logged in). The link goes to the
    /// address; without SMTP, a platform admin is shown it once to pass on.
    Invite {
        /// Email.
        email: String,
        /// Username (default: the email, lowercased, when valid).
        #[arg(long)]
        username: Option<String>,
        /// Account permissions (comma-separated).
        #[arg(long, value_delimiter = ',')]
        account_permissions: Vec<String>,
    },
    /// Change a user's email, admin flag or account permissions.
    Update {
        /// Username.
        username: String,
        /// New email.
        #[arg(long)]
        email: Option<String>,
        /// Platform admin or not.
        #[arg(long)]
        admin: Option<bool>,
        /// The new set of account permissions (comma-separated; empty clears).
        #[arg(long, value_delimiter = ',', num_args = 0..)]
        account_permissions: Option<Vec<String>>,
    },
    /// Delete a user.
    Delete {
        /// Username.
        username: String,
    },
    /// Disable a user.
    Disable {
        /// Username.
        username: String,
    },
    /// Enable a disabled user.
    Enable {
        /// Username.
        username: String,
    },
    /// Unlock a locked user.
    Unlock {
        /// Username.
        username: String,
    },
    /// Set a user's password (prompted; for your own, the current one too).
    Password {
        /// Username.
        username: String,
        /// Read the password(s) from standard input: the current one first
        /// when it is your own, then the new one, one per line.
        #[arg(long)]
        password_stdin: bool,
        /// Ask for the current password (needed for your own).
        #[arg(long)]
        own: bool,
    },
}

/// `gatehouse users create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Email.
    #[arg(long)]
    pub email: String,
    /// Username (default: the email, lowercased, when valid).
    #[arg(long)]
    pub username: Option<String>,
    /// Read the new user's password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// A service account rather than a person.
    #[arg(long)]
    pub service: bool,
    /// A platform admin.
    #[arg(long)]
    pub admin: bool,
    /// Account permissions (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub account_permissions: Vec<String>,
}

/// Runs `gatehouse users …`.
pub async fn run(client: &Client, format: Format, command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::List { q, status, page } => {
            let base = UserQuery {
                q,
                status: status.map(Into::into),
                ..UserQuery::default()
            };
            let found = pages(&page, |paging| {
                let query = UserQuery { paging, ..base.clone() };
                async move { client.list_users(&query).await }
            })
            .await?;
            output::print(format, &found, |p| user_table(&p.items))
        }
        UsersCommand::Get { username } => {
            let user = client.get_user(&username).await?;
            output::print(format, &user, |u| user_table(std::slice::from_ref(u)))
        }
        UsersCommand::Create(args) => {
            let password = if args.password_stdin {
                Some(StdinSecrets::new().next_secret("password")?)
            } else {
                None
            };
            let user = client
                .create_user(&CreateUser {
                    email: args.email,
                    password,
                    username: args.username,
                    kind: args.service.then_some(UserKind::Service),
                    admin: args.admin.then_some(true),
                    account_permissions: names(&args.account_permissions),
                    memberships: Vec::new(),
                })
                .await?;
            output::print(format, &user, |u| user_table(std::slice::from_ref(u)))
        }
        UsersCommand::Invite {
            email,
            username,
            account_permissions,
        } => {
            let sent = client
                .invite(&CreateInvitation {
                    email,
                    username,
                    account_permissions: names(&account_permissions),
                    memberships: Vec::new(),
                })
                .await?;
            print_invitation(format, &sent)
        }
        UsersCommand::Update {
            username,
            email,
            admin,
            account_permissions,
        } => {
            let patch = PatchUser {
                email,
                admin,
                account_permissions: account_permissions.as_deref().map(names),
            };
            let user = client.patch_user(&username, &patch).await?;
            output::print(format, &user, |u| user_table(std::slice::from_ref(u)))
        }
        UsersCommand::Delete { username } => {
            client.delete_user(&username).await?;
            done(format, &format!("deleted user {username}"))
        }
        UsersCommand::Disable { username } => {
            let user = client.disable_user(&username).await?;
            output::print(format, &user, |u| user_table(std::slice::from_ref(u)))
        }
        UsersCommand::Enable { username } => {
            let user = client.enable_user(&username).await?;
            output::print(format, &user, |u| user_table(std::slice::from_ref(u)))
        }
        UsersCommand::Unlock { username } => {
            let user = client.unlock_user(&username).await?;
            output::print(format, &user, |u| user_table(std::slice::from_ref(u)))
        }
        UsersCommand::Password {
            username,
            password_stdin,
            own,
        } => {
            let request = if password_stdin {
                let mut stdin = StdinSecrets::new();
                let current = if own {
                    Some(stdin.next_secret("current password")?)
                } else {
                    None
                };
                SetPassword {
                    current_password: current,
                    new_password: stdin.next_secret("new password")?,
                }
            } else {
                let current = if own {
                    Some(secrets::prompt("Current password")?)
                } else {
                    None
                };
                SetPassword {
                    current_password: current,
                    new_password: secrets::prompt("New password")?,
                }
            };
            client.set_password(&username, &request).await?;
            done(format, &format!("changed the password of {username}"))
        }
    }
}

/// Reports an invitation sent: to whom, until when, and the link when the
/// server showed it (a platform admin, no SMTP).
pub fn print_invitation(format: Format, sent: &InvitationSent) -> anyhow::Result<()> {
    match format {
        Format::Json => output::json(sent),
        Format::Human => {
            let to = sent.user.email.as_deref().unwrap_or("its address");
            let until = sent
                .expires_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            match &sent.link {
                Some(link) => {
                    outln!(
                        "invited {} ({to}); no SMTP server is configured: pass this link on (it works once, until {until}):",
                        sent.user.username
                    );
                    outln!("{link}");
                }
                None => outln!(
                    "invited {}: the link was sent to {to} (it works once, until {until})",
                    sent.user.username
                ),
            }
            Ok(())
        }
    }
}

/// Reports a change that answers nothing: a sentence, or `{}` for scripts.
pub fn done(format: Format, sentence: &str) -> anyhow::Result<()> {
    match format {
        Format::Json => output::json(&serde_json::json!({})),
        Format::Human => {
            outln!("{sentence}");
            Ok(())
        }
    }
}
