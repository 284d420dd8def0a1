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

/// A progress bar of `len` units drawn with `template` (standard error,
/// only on a terminal).
fn bar(len: u64, template: &str, message: String) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Reads the document's text, with a bar of the bytes read.
fn read_text(path: &Path, name: &str) -> anyhow::Result<String> {
    use std::io::Read as _;
    if name == "-" {
        return std::io::read_to_string(std::io::stdin()).context("cannot read standard input");
    }
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot read `{name}`"))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or_default();
    let progress = bar(len, "{msg} [{bar:30}] {bytes}/{total_bytes}", format!("reading {name}"));
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or_default());
    let mut chunk = vec![0_u8; 256 * 1024];
    loop {
        let n = file.read(&mut chunk).with_context(|| format!("cannot read `{name}`"))?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
        progress.inc(n as u64);
    }
    progress.finish_and_clear();
    String::from_utf8(bytes).with_context(|| format!("`{name}` is not UTF-8 text"))
}

/// Imports a YAML document and prints the report. A bar counts the bytes
/// read, then the objects of the document, done when the server has
/// validated and applied them all in one transaction.
pub async fn import(client: &Client, format: Format, args: &ImportArgs) -> anyhow::Result<()> {
    let name = args.file.display().to_string();
    let text = read_text(&args.file, &name)?;
    let document = from_yaml(&name, &text)?;
    let members: usize = document.projects.iter().map(|p| p.users.len() + p.groups.len()).sum();
    let roles = document.roles.len() + document.projects.iter().map(|p| p.roles.len()).sum::<usize>();
    let total = document.users.len() + document.groups.len() + roles + document.projects.len() + members;
    let progress = bar(
        total as u64,
        "{msg} [{bar:30}] {pos}/{len} objects ({elapsed})",
        format!(
            "importing {} users, {} groups, {roles} roles, {} projects, {members} members in one transaction",
            document.users.len(),
            document.groups.len(),
            document.projects.len(),
        ),
    );
    let report = client.import(&document).await;
    if let Ok(report) = &report {
        progress.set_position(report.created + report.updated + report.unchanged);
    }
    progress.finish_and_clear();
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
