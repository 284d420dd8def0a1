//! Reading passwords: prompted without echo, or read from standard input
//! with `--password-stdin`; never from the command line (SPEC §11).

use std::io::BufRead as _;

use anyhow::{Context as _, bail};
use gatehouse_api::Secret;

/// Reads lines of standard input, one per secret.
pub struct StdinSecrets {
    lines: std::io::Lines<std::io::StdinLock<'static>>,
}

impl StdinSecrets {
    /// Reads from standard input.
    pub fn new() -> Self {
        Self {
            lines: std::io::stdin().lock().lines(),
        }
    }

    /// The next line, without its line ending.
    pub fn next_secret(&mut self, what: &str) -> anyhow::Result<Secret> {
        let line = self
            .lines
            .next()
            .with_context(|| format!("standard input ended before the {what}"))?
            .context("cannot read standard input")?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            bail!("the {what} on standard input is empty");
        }
        Ok(Secret::new(line))
    }
}

/// Asks for a secret on the terminal, without echo.
pub fn prompt(what: &str) -> anyhow::Result<Secret> {
    let text = rpassword::prompt_password(format!("{what}: "))
        .with_context(|| format!("cannot prompt for the {what} (no terminal?); use `--password-stdin`"))?;
    if text.is_empty() {
        bail!("the {what} is empty");
    }
    Ok(Secret::new(text))
}

/// Asks for a line of text (not secret) on the terminal.
pub fn ask(what: &str) -> anyhow::Result<String> {
    eprint!("{what}: ");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read standard input")?;
    let line = line.trim().to_owned();
    if line.is_empty() {
        bail!("the {what} is empty");
    }
    Ok(line)
}
