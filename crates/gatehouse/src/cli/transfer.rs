//! `gatehouse export` and `gatehouse import`: the instance, or one project,
//! as a YAML document of `gatehouse_api::Document` (SPEC §11). Import is
//! validated by the server first and applied in one transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use clap::Args;
use gatehouse_api::Document;
use gatehouse_client::Client;
use indicatif::{ProgressBar, ProgressStyle};

use super::output::{self, Format};

/// `gatehouse export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only this project (else the whole instance).
    #[arg(long)]
    pub project: Option<String>,
    /// Write to FILE instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// `gatehouse import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The YAML document (`-` for standard input).
    pub file: PathBuf,
}

/// The YAML text of a document.
pub fn to_yaml(document: &Document) -> anyhow::Result<String> {
    serde_yaml_ng::to_string(document).context("cannot write the document as YAML")
}

/// Parses a YAML document; errors name the file, line and column.
pub fn from_yaml(name: &str, text: &str) -> anyhow::Result<Document> {
    serde_yaml_ng::from_str(text).map_err(|e| match e.location() {
        Some(at) => anyhow!("{name}:{}:{}: {e}", at.line(), at.column()),
        None => anyhow!("{name}: {e}"),
    })
}

/// Writes `text` to `out`, or standard output.
pub fn write_out(out: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display())),
        None => {
            out!("{text}");
            Ok(())
        }
    }
}

/// Exports as YAML.
pub async fn export(client: &Client, args: &ExportArgs) -> anyhow::Result<()> {
    let document = client.export(args.project.as_deref()).await?;
    write_out(args.out.as_deref(), &to_yaml(&document)?)
}

fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Imports a YAML document and prints the report.
pub async fn import(client: &Client, format: Format, args: &ImportArgs) -> anyhow::Result<()> {
    let name = args.file.display().to_string();
    let text = if name == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
    } else {
        std::fs::read_to_string(&args.file).with_context(|| format!("cannot read `{name}`"))?
    };
    let bar = spinner(format!("reading {name}"));
    let document = from_yaml(&name, &text);
    let document = match document {
        Ok(d) => d,
        Err(e) => {
            bar.finish_and_clear();
            return Err(e);
        }
    };
    let members: usize = document.projects.iter().map(|p| p.users.len() + p.groups.len()).sum();
    bar.set_message(format!(
        "importing {} users, {} groups, {} roles, {} projects, {members} members",
        document.users.len(),
        document.groups.len(),
        document.roles.len() + document.projects.iter().map(|p| p.roles.len()).sum::<usize>(),
        document.projects.len(),
    ));
    let report = client.import(&document).await;
    bar.finish_and_clear();
    let report = report?;
    match format {
        Format::Json => output::json(&report),
        Format::Human => {
            outln!(
                "imported {name}: {} created, {} updated, {} unchanged; revision {}",
                report.created,
                report.updated,
                report.unchanged,
                report.revision
            );
            Ok(())
        }
    }
}
