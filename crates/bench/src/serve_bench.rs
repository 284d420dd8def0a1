//! `gatehouse-bench serve`: how long `gatehouse serve` takes from start to
//! ready on a store holding the SPEC §10 workload, and its peak resident
//! memory (SPEC §10 at scale 100: under 30 s and under 4 GiB). The store
//! is loaded first, through an in-process server as the `http` benchmark
//! loads it, into `--data-dir` when named (kept: the load of scale 100
//! takes many minutes, and later runs naming it only time the starts).
//! Each start is a fresh `gatehouse serve` process: ready is its
//! "listening" line, printed once the store is read and the snapshot
//! compiled, confirmed by `GET /readyz`; peak memory is its `VmHWM`.
//! One JSON line.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use serde_json::{Value, json};

use crate::http_bench::ServedArgs;
use crate::measure;
use crate::serve_process::{ServeProcess, gatehouse_binary};

/// Options of `gatehouse-bench serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    served: ServedArgs,
    /// Starts to time; the median counts.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// The `gatehouse` binary; default the one beside this benchmark.
    #[arg(long)]
    gatehouse: Option<PathBuf>,
}

/// Progress goes to stderr, so that stdout holds only the result.
macro_rules! progress {
    ($($arg:tt)*) => { eprintln!("[bench] {}", format_args!($($arg)*)) };
}

/// The longest a start may take before the benchmark gives up.
const START_LIMIT: Duration = Duration::from_secs(900);

/// Runs the benchmark; answers one JSON object.
pub fn run(args: &ServeArgs) -> Result<Value> {
    ensure!(args.runs >= 1, "--runs: at least 1");
    let binary = gatehouse_binary(args.gatehouse.as_deref())?;
    let temporary = match &args.served.data_dir {
        Some(_) => None,
        None => Some(tempfile::tempdir()?),
    };
    let root: PathBuf = args
        .served
        .data_dir
        .clone()
        .or_else(|| temporary.as_ref().map(|d| d.path().to_owned()))
        .context("no data directory")?;
    let data = root.join("data");
    if data.join("gatehouse.db").exists() {
        progress!("serving the store kept in {}", data.display());
    } else {
        progress!(
            "loading the scale-{} workload into {}",
            args.served.scale,
            data.display()
        );
        let loading = ServedArgs {
            data_dir: Some(root.clone()),
            ..args.served.clone()
        };
        let (_, running) = loading.served(1)?;
        drop(running);
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut starts: Vec<Value> = Vec::with_capacity(args.runs);
    let mut ready_ms: Vec<f64> = Vec::with_capacity(args.runs);
    let mut peak_max = 0u64;
    for run in 1..=args.runs {
        progress!("start {run} of {}", args.runs);
        let started = Instant::now();
        let process = runtime.block_on(ServeProcess::start(
            &binary,
            &root,
            &[("GATEHOUSE_DATA_DIR", data.display().to_string())],
            START_LIMIT,
        ))?;
        let ready = measure::ms(started.elapsed());
        ensure!(readyz(&process.addr)? == 200, "GET /readyz was not 200 after the start");
        let peak = process.memory_bytes("VmHWM").context("no VmHWM")?;
        let resident = process.memory_bytes("VmRSS").context("no VmRSS")?;
        drop(process);
        peak_max = peak_max.max(peak);
        ready_ms.push(ready);
        starts.push(json!({
            "start_to_ready_ms": ready,
            "peak_rss_bytes": peak,
            "rss_when_ready_bytes": resident,
        }));
    }
    ready_ms.sort_by(f64::total_cmp);
    let median = ready_ms.get(ready_ms.len() / 2).copied().unwrap_or_default();
    Ok(json!({
        "bench": "serve",
        "scale": args.served.scale,
        "seed": args.served.seed,
        "backend": "sqlite",
        "starts": starts,
        "start_to_ready_ms_median": median,
        "peak_rss_bytes_max": peak_max,
        "target_start_to_ready_ms": 30_000,
        "target_peak_rss_bytes": 4u64 << 30,
    }))
}

/// The status of `GET /readyz` at `addr`.
fn readyz(addr: &str) -> Result<u16> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(format!("GET /readyz HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .context("no status line")?
        .parse()
        .context("no status code")?;
    Ok(status)
}
