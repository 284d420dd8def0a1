//! `gatehouse check`, `who-can` and `permissions`: the check API and the
//! reverse questions (SPEC §2, §7.1). A denied check exits with 3.

use std::process::ExitCode;

use clap::Args;
use gatehouse_api::{CheckRequest, CheckResponse};
use gatehouse_client::Client;

use super::DENIED;
use super::output::{self, Format};

/// `gatehouse check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Username.
    pub user: String,
    /// Action id (or JFrog wire name), e.g. `repository.delete`.
    pub action: String,
    /// Project key.
    #[arg(long)]
    pub project: String,
    /// Environment (needed for environment-scoped actions).
    #[arg(long)]
    pub environment: Option<String>,
    /// Explain the decision: the grants that allow it, or why it is denied.
    #[arg(long)]
    pub explain: bool,
    /// Answer from a snapshot at least this new.
    #[arg(long)]
    pub min_revision: Option<u64>,
}

/// Asks the check API; exit code 0 when allowed, 3 when denied.
pub async fn check(client: &Client, format: Format, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let request = CheckRequest {
        user: Some(args.user.clone()),
        action: args.action.clone(),
        project: Some(args.project.clone()),
        environment: args.environment.clone(),
        resource: None,
        explain: args.explain,
        min_revision: args.min_revision,
    };
    let answer = client.check(&request).await?;
    match format {
        Format::Json => output::json(&answer)?,
        Format::Human => print_decision(args, &answer),
    }
    Ok(if answer.allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(DENIED)
    })
}

fn print_decision(args: &CheckArgs, answer: &CheckResponse) {
    let place = match &args.environment {
        Some(env) => format!("in {} ({env})", args.project),
        None => format!("in {}", args.project),
    };
    let verdict = if answer.allowed { "allowed" } else { "denied" };
    outln!(
        "{verdict}: {} may{} {} {place}",
        args.user,
        if answer.allowed { "" } else { " not" },
        args.action
    );
    if let Some(reasons) = &answer.reasons {
        for g in reasons {
            outln!("  via {}", output::grant(g));
        }
    }
    if let Some(denial) = &answer.denial {
        outln!("  reason: {denial}");
    }
}

/// `gatehouse who-can`.
#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// Action id.
    pub action: String,
    /// Project key.
    #[arg(long)]
    pub project: String,
    /// Environment.
    #[arg(long)]
    pub environment: Option<String>,
}

/// Every user allowed, and through which member and role.
pub async fn who_can(client: &Client, format: Format, args: &WhoCanArgs) -> anyhow::Result<()> {
    let answer = client
        .who_can(&args.project, &args.action, args.environment.as_deref())
        .await?;
    output::print(format, &answer, |w| {
        let mut table = output::table(["USER", "GRANTS"]);
        for u in &w.users {
            let grants: Vec<String> = u.grants.iter().map(output::grant).collect();
            table.add_row([u.username.clone(), grants.join("\n")]);
        }
        table
    })
}

/// `gatehouse permissions`.
#[derive(Debug, Args)]
pub struct PermissionsArgs {
    /// Username.
    pub user: String,
    /// Project key.
    #[arg(long)]
    pub project: String,
}

/// A user's effective permissions in a project.
pub async fn permissions(client: &Client, format: Format, args: &PermissionsArgs) -> anyhow::Result<()> {
    let answer = client.user_permissions(&args.user, &args.project).await?;
    output::print(format, &answer, |p| {
        let mut table = output::table(["ACTION", "ENVIRONMENTS", "GRANTS"]);
        for e in &p.permissions {
            let envs = e
                .environments
                .as_deref()
                .map_or_else(|| "(any)".to_owned(), output::list);
            let grants: Vec<String> = e.grants.iter().map(output::grant).collect();
            table.add_row([e.action.clone(), envs, grants.join("\n")]);
        }
        table
    })
}
