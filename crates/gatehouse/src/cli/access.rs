//! `gatehouse check`, `who-can` and `permissions`: the check API and the
//! reverse questions (SPEC §2, §7.1). A denied check exits with 3.

use std::process::ExitCode;

use clap::Args;
use gatehouse_api::{CheckRequest, CheckResponse, ResourceRef};
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
    #[arg(long, required_unless_present = "resource", conflicts_with = "resource")]
    pub project: Option<String>,
    /// Environment (needed for environment-scoped actions).
    #[arg(long, conflicts_with = "resource")]
    pub environment: Option<String>,
    /// A registered resource instead of project and environment: `TYPE/NAME`.
    #[arg(long, value_parser = parse_resource)]
    pub resource: Option<ResourceRef<'static>>,
    /// Explain the decision: the grants that allow it, or why it is denied.
    #[arg(long)]
    pub explain: bool,
    /// Answer from a snapshot at least this new.
    #[arg(long)]
    pub min_revision: Option<u64>,
}

/// `TYPE/NAME` as a resource reference.
fn parse_resource(raw: &str) -> Result<ResourceRef<'static>, String> {
    match raw.split_once('/') {
        Some((resource_type, name)) if !resource_type.is_empty() && !name.is_empty() => Ok(ResourceRef {
            resource_type: resource_type.to_owned().into(),
            name: name.to_owned().into(),
        }),
        _ => Err(format!("`{raw}` is not `TYPE/NAME`")),
    }
}

/// Asks the check API; exit code 0 when allowed, 3 when denied.
pub async fn check(client: &Client, format: Format, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let request = CheckRequest {
        user: Some(args.user.as_str().into()),
        action: args.action.as_str().into(),
        project: args.project.as_deref().map(Into::into),
        environment: args.environment.as_deref().map(Into::into),
        resource: args.resource.clone(),
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
    let place = match (&args.resource, &args.project, &args.environment) {
        (Some(r), _, _) => format!("on {} `{}`", r.resource_type, r.name),
        (None, Some(project), Some(env)) => format!("in {project} ({env})"),
        (None, Some(project), None) => format!("in {project}"),
        (None, None, _) => String::new(),
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
