//! A `gatehouse serve` child process, as the cluster and serve benchmarks
//! start it: the binary beside this one (or named), its address read from
//! the "listening" line, its memory read from `/proc`, killed when dropped.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};

/// The `gatehouse` binary: `named`, or the one beside this benchmark.
pub(crate) fn gatehouse_binary(named: Option<&Path>) -> Result<PathBuf> {
    let binary = match named {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()?
            .parent()
            .context("no directory")?
            .join("gatehouse"),
    };
    ensure!(
        binary.exists(),
        "no `gatehouse` binary at {} (cargo build --release -p gatehouse, or --gatehouse)",
        binary.display()
    );
    Ok(binary)
}

/// A running `gatehouse serve`, killed when dropped.
pub(crate) struct ServeProcess {
    child: Child,
    /// `host:port` it listens on.
    pub(crate) addr: String,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServeProcess {
    /// Starts `binary serve` in `dir` with `env` (logs at `error`);
    /// answers once it prints that it listens, which it does once its
    /// snapshot is compiled, or fails after `wait`.
    pub(crate) async fn start(binary: &Path, dir: &Path, env: &[(&str, String)], wait: Duration) -> Result<Self> {
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .current_dir(dir)
            .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        // Read on a thread of its own until the listening line, then drained
        // there, so the process never blocks on a full pipe.
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let mut tx = Some(tx);
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("Gatehouse listening on http://")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let listening = tokio::time::timeout(wait, rx).await;
        let mut process = Self {
            child,
            addr: String::new(),
        };
        process.addr = listening
            .with_context(|| format!("gatehouse serve did not listen within {} s", wait.as_secs()))?
            .context("gatehouse serve ended before listening")?;
        Ok(process)
    }

    /// A memory figure of `/proc/<pid>/status` in bytes: `VmRSS` (resident
    /// now) or `VmHWM` (the peak resident so far).
    pub(crate) fn memory_bytes(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status
            .lines()
            .find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }
}
