//! `gatehouse audit`: read the audit log with filters, and follow it
//! (`--follow` polls every 2 s); `gatehouse audit verify` checks the hash
//! chain offline (SPEC §9.1).

use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use gatehouse_api::AuditRecord;
use gatehouse_client::{AuditQuery, Client};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::output::{self, Format};
use super::{PageArgs, pages};

/// How often `--follow` asks for new records.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);

/// `gatehouse audit`: list records, or `verify` the store's chain.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    #[command(flatten)]
    pub list: ListArgs,
}

/// Offline audit commands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit hash chain (of the store, or of an NDJSON export
    /// with `--file`) and report the first altered record.
    Verify(crate::store_cmd::VerifyArgs),
}

/// Filters of `gatehouse audit`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Acting username.
    #[arg(long)]
    pub actor: Option<String>,
    /// Event, e.g. `user.created`.
    #[arg(long)]
    pub event: Option<String>,
    /// Target id, e.g. a username.
    #[arg(long)]
    pub target: Option<String>,
    /// Project key.
    #[arg(long)]
    pub project: Option<String>,
    /// Not before this time (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    pub since: Option<OffsetDateTime>,
    /// Before this time (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    pub until: Option<OffsetDateTime>,
    #[command(flatten)]
    pub page: PageArgs,
    /// Keep printing new records as they come (every 2 s) until interrupted.
    #[arg(long)]
    pub follow: bool,
}

fn rfc3339(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| format!("not an RFC 3339 time: {e}"))
}

/// Lists the records the filters select; with `--follow`, keeps polling.
pub async fn list(client: &Client, format: Format, args: &ListArgs) -> anyhow::Result<()> {
    let base = AuditQuery {
        actor: args.actor.clone(),
        event: args.event.clone(),
        target: args.target.clone(),
        project: args.project.clone(),
        since: args.since,
        until: args.until,
        ..AuditQuery::default()
    };
    let fetch = |base: AuditQuery, page: PageArgs| async move {
        pages(&page, |paging| {
            let query = AuditQuery { paging, ..base.clone() };
            async move { client.audit(&query).await }
        })
        .await
    };
    let found = fetch(base.clone(), args.page.clone()).await?;
    if !args.follow {
        return match format {
            Format::Json => output::json(&found),
            Format::Human => {
                outln!("{}", table(&found.items));
                Ok(())
            }
        };
    }
    let mut last = found.items.iter().max_by_key(|r| r.id).map(|r| (r.id, r.at));
    emit(format, &found.items)?;
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        let query = AuditQuery {
            since: last.map(|(_, at)| at).or(base.since),
            ..base.clone()
        };
        let fresh = fetch(
            query,
            PageArgs {
                limit: None,
                cursor: None,
            },
        )
        .await
        .context("cannot poll the audit log")?;
        let new: Vec<AuditRecord> = fresh
            .items
            .into_iter()
            .filter(|r| last.is_none_or(|(id, _)| r.id > id))
            .collect();
        if let Some(newest) = new.iter().max_by_key(|r| r.id) {
            last = Some((newest.id, newest.at));
        }
        emit(format, &new)?;
    }
}

/// Prints records one per line (JSON lines for scripts) as they come.
fn emit(format: Format, records: &[AuditRecord]) -> anyhow::Result<()> {
    for r in records {
        match format {
            Format::Json => outln!("{}", serde_json::to_string(r)?),
            Format::Human => outln!("{}", line(r)),
        }
    }
    Ok(())
}

fn line(r: &AuditRecord) -> String {
    format!(
        "{} {} {} {} {}:{}{}",
        r.id,
        r.at.format(&Rfc3339).unwrap_or_default(),
        r.actor.username.as_deref().unwrap_or("-"),
        r.event,
        r.target.target_type,
        r.target.id,
        r.project
            .as_deref()
            .map(|p| format!(" project={p}"))
            .unwrap_or_default()
    )
}

fn table(records: &[AuditRecord]) -> comfy_table::Table {
    let mut table = output::table(["ID", "AT", "ACTOR", "EVENT", "TARGET", "PROJECT"]);
    for r in records {
        table.add_row([
            r.id.to_string(),
            r.at.format(&Rfc3339).unwrap_or_default(),
            output::opt(r.actor.username.as_deref()),
            r.event.clone(),
            format!("{}:{}", r.target.target_type, r.target.id),
            output::opt(r.project.as_deref()),
        ]);
    }
    table
}
