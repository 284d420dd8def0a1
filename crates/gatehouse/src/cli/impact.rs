//! `--dry-run` (SPEC §7.2): what a write would do to people's access, as
//! the server answered it — the counts first, then the changes.

use gatehouse_api::DryRun;
use gatehouse_api::wire::impact::Change;

use super::output::{self, Format};

fn word(change: Change) -> &'static str {
    match change {
        Change::Gained => "gained",
        Change::Lost => "lost",
    }
}

/// Prints a dry run's answer: its JSON, or the counts and tables.
pub fn print(format: Format, answer: &DryRun) -> anyhow::Result<()> {
    if format == Format::Json {
        return output::json(answer);
    }
    let impact = &answer.impact;
    outln!(
        "Dry run at revision {}: nothing was written. {} user(s) affected: {} decision(s) gained, {} lost{}.",
        answer.revision,
        impact.users,
        impact.gained,
        impact.lost,
        if impact.hidden > 0 {
            format!(" ({} in projects you may not ask about, not listed)", impact.hidden)
        } else {
            String::new()
        }
    );
    if !impact.changes.is_empty() {
        let mut table = output::table(["USER", "PROJECT", "ENVIRONMENT", "ACTION", "CHANGE"]);
        for c in &impact.changes {
            table.add_row([
                c.user.clone(),
                c.project.clone(),
                output::opt(c.environment.as_deref()),
                c.action.clone(),
                word(c.change).to_owned(),
            ]);
        }
        outln!("{table}");
    }
    if impact.truncated {
        outln!(
            "Only the first {} change(s) are listed (--dry-run-limit lists up to 1000).",
            impact.changes.len()
        );
    }
    if !impact.account_changes.is_empty() {
        let mut table = output::table(["USER", "ACCOUNT PERMISSION", "CHANGE"]);
        for c in &impact.account_changes {
            table.add_row([c.user.clone(), c.permission.clone(), word(c.change).to_owned()]);
        }
        outln!("{table}");
    }
    Ok(())
}
