//! What client commands print: tables for people, the API's JSON for
//! scripts (`--json`), and errors as `error: <code>: <detail>` (SPEC §11).

use comfy_table::{ContentArrangement, Table, presets};
use gatehouse_api::Grant;
use gatehouse_client::ClientError;
use serde::Serialize;

/// How a command prints its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables and sentences.
    Human,
    /// The API's JSON, pretty-printed.
    Json,
}

/// A table with `header`, in the house style.
pub fn table<const N: usize>(header: [&str; N]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    table
}

/// Prints `value` as pretty JSON.
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints `value` as JSON or, for people, the table `human` makes of it.
pub fn print<T: Serialize + ?Sized>(format: Format, value: &T, human: impl FnOnce(&T) -> Table) -> anyhow::Result<()> {
    match format {
        Format::Json => json(value),
        Format::Human => {
            outln!("{}", human(value));
            Ok(())
        }
    }
}

/// A list as one cell.
pub fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(", ")
    }
}

/// An optional value as one cell.
pub fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// A grant for people: `user alice: role Developer (global) in DEV, PROD`.
pub fn grant(g: &Grant) -> String {
    let via = serde_json::to_value(g.via)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let scope = serde_json::to_value(g.role_scope)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let envs = if g.environments.is_empty() {
        String::new()
    } else {
        format!(" in {}", g.environments.join(", "))
    };
    format!("{via} {}: role {} ({scope}){envs}", g.name, g.role)
}

/// Prints an error to stderr: a problem as `error: <code>: <detail>` with
/// its field errors, anything else as `error: <message>`.
pub fn error(error: &anyhow::Error) {
    match error.downcast_ref::<ClientError>() {
        Some(ClientError::Problem(problem)) => {
            eprintln!("error: {}: {}", problem.code, problem.detail);
            for field in &problem.errors {
                eprintln!("  {}: {}: {}", field.field, field.code, field.message);
            }
            if let Some(actions) = &problem.discarded_actions {
                eprintln!("  discarded actions: {}", actions.join(", "));
            }
            if let Some(users) = &problem.in_use {
                eprintln!("  in use by: {}", users.join(", "));
            }
        }
        _ => eprintln!("error: {error:#}"),
    }
}
