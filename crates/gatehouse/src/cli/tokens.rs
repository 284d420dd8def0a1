//! `gatehouse tokens`: list, create and revoke access tokens (SPEC §6.3).

use anyhow::Context as _;
use clap::Subcommand;
use gatehouse_api::{CreateToken, Scope, Token};
use gatehouse_client::Client;

use super::output::{self, Format};
use super::users::done;
use super::{PageArgs, pages};

/// `gatehouse tokens …`.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// List your tokens, or a user's.
    List {
        /// Another user's tokens.
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Create a token; its secret is printed once.
    Create {
        /// For this user (platform admins), else for you.
        #[arg(long)]
        user: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Lifetime in seconds (`0`: never expires, where allowed).
        #[arg(long)]
        expires_in: Option<u64>,
        /// Scope as JSON: `"applied-permissions/user"` or
        /// `[{"project": "web", "actions": ["repository.read"], "environments": ["DEV"]}]`.
        #[arg(long)]
        scope: Option<String>,
    },
    /// Revoke a token by id.
    Revoke {
        /// Token id.
        id: String,
    },
}

/// Runs `gatehouse tokens …`.
pub async fn run(client: &Client, format: Format, command: TokensCommand) -> anyhow::Result<()> {
    match command {
        TokensCommand::List { user, page } => {
            let found = pages(&page, |paging| {
                let user = user.clone();
                async move {
                    match user {
                        Some(user) => client.list_user_tokens(&user, &paging).await,
                        None => client.list_tokens(&paging).await,
                    }
                }
            })
            .await?;
            output::print(format, &found, |p| table(&p.items))
        }
        TokensCommand::Create {
            user,
            description,
            expires_in,
            scope,
        } => {
            let scope: Option<Scope> = scope
                .map(|s| serde_json::from_str(&s).context("`--scope` is not a scope"))
                .transpose()?;
            let request = CreateToken {
                description,
                expires_in,
                scope,
            };
            let created = match user {
                Some(user) => client.create_user_token(&user, &request).await?,
                None => client.create_token(&request).await?,
            };
            match format {
                Format::Json => output::json(&created),
                Format::Human => {
                    outln!("{}", table(std::slice::from_ref(&created.token)));
                    outln!("token (shown once): {}", created.secret.expose());
                    Ok(())
                }
            }
        }
        TokensCommand::Revoke { id } => {
            client.revoke_token(&id).await?;
            done(format, &format!("revoked token {id}"))
        }
    }
}

fn table(tokens: &[Token]) -> comfy_table::Table {
    let mut table = output::table(["ID", "USER", "DESCRIPTION", "SCOPE", "CREATED", "EXPIRES", "LAST USED"]);
    for t in tokens {
        let scope = match &t.scope {
            Scope::User => "applied-permissions/user".to_owned(),
            Scope::Entries(entries) => entries.iter().map(|e| e.project.clone()).collect::<Vec<_>>().join(", "),
        };
        table.add_row([
            t.id.clone(),
            t.username.clone(),
            t.description.clone(),
            scope,
            t.created_at.date().to_string(),
            output::opt(t.expires_at.map(|d| d.date())),
            output::opt(t.last_used_at.map(|d| d.date())),
        ]);
    }
    table
}
