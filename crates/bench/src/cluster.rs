//! `gatehouse-bench cluster`: N `gatehouse serve` processes on one scratch
//! PostgreSQL database (SPEC §8), driven over HTTP/1.1 keep-alive:
//!
//! - checks on every instance (fixed connections per instance), with a
//!   share of writes mixed in (`--write-percent`, 1 in the load run);
//! - propagation probes: a project created on instance A, then checks on
//!   instance B until it is allowed — commit (A's 201) to visible on B;
//! - revocation probes: a token used on B, revoked on A, then asked on B
//!   until refused;
//! - the resident memory of each instance at the start and the end.
//!
//! One JSON line on stdout. `--no-notify` runs the instances with
//! `listen_notify = false`: polling alone propagates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use gatehouse_store::ScratchDatabase;
use serde_json::{Value, json};

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::load::read_answer;
use crate::serve_process::{ServeProcess, gatehouse_binary};

/// How many times a write that lost a race between instances is sent.
const WRITE_ATTEMPTS: u64 = 5;

/// The first admin's password in the benchmark's scratch database.
const ADMIN_PASSWORD: &str = "gatehouse-bench cluster admin password";

/// Options of `gatehouse-bench cluster`.
#[derive(clap::Args)]
pub struct ClusterArgs {
    /// The PostgreSQL server (a scratch database is created on it and
    /// dropped afterwards); default `GATEHOUSE_TEST_POSTGRES`.
    #[arg(long, env = "GATEHOUSE_TEST_POSTGRES")]
    postgres: String,
    /// Instances (`gatehouse serve` processes); default 3, 2 with `--load`.
    #[arg(long)]
    instances: Option<usize>,
    /// Timed seconds; default 10, 300 with `--load`.
    #[arg(long)]
    seconds: Option<u64>,
    /// The load run: 99% checks and 1% writes on 2 instances for 5 minutes
    /// (unless `--instances`, `--seconds`, `--write-percent` say otherwise).
    #[arg(long)]
    load: bool,
    /// Percent of the load connections' requests that are writes; default
    /// 0, 1 with `--load`.
    #[arg(long)]
    write_percent: Option<u32>,
    /// Keep-alive connections per instance sending checks (and writes).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Milliseconds between two propagation probes.
    #[arg(long, default_value_t = 100)]
    probe_every_ms: u64,
    /// Poll only: the instances do not `LISTEN` (SPEC §8's fallback).
    #[arg(long)]
    no_notify: bool,
    /// The instances' `poll_interval_ms`.
    #[arg(long, default_value_t = 250)]
    poll_interval_ms: u64,
    /// The `gatehouse` binary; default the one beside this benchmark.
    #[arg(long)]
    gatehouse: Option<PathBuf>,
}

/// Progress goes to stderr, so that stdout holds only the result.
macro_rules! progress {
    ($($arg:tt)*) => { eprintln!("[bench] {}", format_args!($($arg)*)) };
}

/// One instance: its process and its private working directory.
struct Instance {
    process: ServeProcess,
    _dir: tempfile::TempDir,
}

impl Instance {
    /// Resident memory (`VmRSS`) of the process, in bytes.
    fn rss_bytes(&self) -> Option<u64> {
        self.process.memory_bytes("VmRSS")
    }
}

/// Starts instance `i` on `url`; answers once it listens.
async fn start(binary: &Path, url: &str, i: usize, args: &ClusterArgs) -> Result<Instance> {
    let dir = tempfile::tempdir()?;
    let separator = if url.contains('?') { '&' } else { '?' };
    let env = [
        (
            "GATEHOUSE_DATABASE_URL",
            format!("{url}{separator}application_name=gh_bench_{i}"),
        ),
        ("GATEHOUSE_ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
        ("GATEHOUSE_DATA_DIR", dir.path().join("data").display().to_string()),
        (
            "GATEHOUSE_LISTEN_NOTIFY",
            (if args.no_notify { "false" } else { "true" }).to_owned(),
        ),
        ("GATEHOUSE_POLL_INTERVAL_MS", args.poll_interval_ms.to_string()),
        ("GATEHOUSE_LOGIN_ATTEMPTS_PER_MINUTE", "100000".to_owned()),
    ];
    let process = ServeProcess::start(binary, dir.path(), &env, Duration::from_secs(60)).await?;
    Ok(Instance { process, _dir: dir })
}

/// A keep-alive HTTP/1.1 connection to one instance.
struct Conn {
    stream: TcpStream,
    buffer: Vec<u8>,
    token: String,
}

impl Conn {
    async fn open(addr: &str, token: &str) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(16 * 1024),
            token: token.to_owned(),
        })
    }

    /// Sends one request; answers the status and the body.
    async fn send(&mut self, method: &str, path: &str, token: Option<&str>, body: &str) -> Result<(u16, Vec<u8>)> {
        let token = token.unwrap_or(&self.token);
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(request.as_bytes()).await?;
        let (status, body) = read_answer(&mut self.stream, &mut self.buffer).await?;
        Ok((status, body.to_vec()))
    }

    /// Sends one write as a careful client does: a 409 `conflict` (two
    /// instances decided writes on the same revision; SPEC §8 refuses the
    /// later one whole) is sent again, at most [`WRITE_ATTEMPTS`] times.
    /// Answers the last status and body, and how many times it was resent.
    async fn write(&mut self, method: &str, path: &str, body: &str) -> Result<(u16, Vec<u8>, u64)> {
        let mut resent = 0;
        loop {
            let (status, answer) = self.send(method, path, None, body).await?;
            let lost_race = status == 409 && answer.windows(17).any(|w| w == b"\"code\":\"conflict\"");
            if !lost_race || resent + 1 >= WRITE_ATTEMPTS {
                return Ok((status, answer, resent));
            }
            resent += 1;
        }
    }

    /// Whether the admin's check of `repository.read` in `project` is allowed.
    async fn allowed(&mut self, project: &str) -> Result<bool> {
        let body = format!(r#"{{"action": "repository.read", "project": "{project}", "environment": "DEV"}}"#);
        let (status, answer) = self.send("POST", "/api/v1/check", None, &body).await?;
        ensure!(status == 200, "check answered {status}");
        Ok(answer.windows(14).any(|w| w == b"\"allowed\":true"))
    }
}

/// Latencies (sorted on read) and a count of errors.
#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
}

impl Samples {
    fn quantile_ms(&mut self, q: f64) -> Option<f64> {
        self.latencies.sort_unstable();
        let last = self.latencies.len().checked_sub(1)?;
        let at = ((last as f64) * q).round() as usize;
        self.latencies.get(at.min(last)).map(|d| d.as_secs_f64() * 1e3)
    }

    fn summary(&mut self) -> Value {
        json!({
            "n": self.latencies.len(),
            "p50_ms": self.quantile_ms(0.5),
            "p99_ms": self.quantile_ms(0.99),
            "p999_ms": self.quantile_ms(0.999),
            "max_ms": self.quantile_ms(1.0),
        })
    }
}

/// What one load connection measured.
#[derive(Default)]
struct Tally {
    checks: Samples,
    writes: Samples,
    /// Writes sent again after a 409 `conflict`.
    resent: u64,
    errors: u64,
    first_error: Option<String>,
    /// Errors by kind: `load <status>`, or what a probe met.
    by_kind: BTreeMap<String, u64>,
}

/// Runs the benchmark; answers the one JSON object it prints.
pub fn run(args: &ClusterArgs) -> Result<Value> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: &ClusterArgs) -> Result<Value> {
    let instances = args.instances.unwrap_or(if args.load { 2 } else { 3 });
    let seconds = args.seconds.unwrap_or(if args.load { 300 } else { 10 });
    let write_percent = args.write_percent.unwrap_or(u32::from(args.load));
    ensure!(instances >= 2, "--instances: at least 2");
    ensure!(write_percent <= 100, "--write-percent: 0 to 100");
    let binary = gatehouse_binary(args.gatehouse.as_deref())?;
    let suffix = format!("bench_cluster_{}", std::process::id());
    let database = ScratchDatabase::create(&args.postgres, &suffix)
        .await
        .context("creating the scratch database")?;
    let outcome = measure(args, &binary, &database, instances, seconds, write_percent).await;
    database.drop_database().await.ok();
    outcome
}

async fn measure(
    args: &ClusterArgs,
    binary: &Path,
    database: &ScratchDatabase,
    instances: usize,
    seconds: u64,
    write_percent: u32,
) -> Result<Value> {
    progress!("starting {instances} instances (notify: {})", !args.no_notify);
    // The first initialises the store; the others find it.
    let mut running = vec![start(binary, &database.url, 0, args).await?];
    for i in 1..instances {
        running.push(start(binary, &database.url, i, args).await?);
    }
    let addrs: Vec<String> = running.iter().map(|r| r.process.addr.clone()).collect();
    let token = admin_token(&addrs[0]).await?;
    // A project every check asks about.
    let mut setup = Conn::open(&addrs[0], &token).await?;
    let (status, _) = setup
        .send(
            "POST",
            "/api/v1/projects",
            None,
            r#"{"key": "hot", "display_name": "Hot"}"#,
        )
        .await?;
    ensure!(status == 201, "creating the checked project: {status}");
    for addr in &addrs {
        let mut conn = Conn::open(addr, &token).await?;
        let started = Instant::now();
        while !conn.allowed("hot").await? {
            ensure!(
                started.elapsed() < Duration::from_secs(10),
                "{addr} never saw the project"
            );
        }
    }
    let memory_start: Vec<Option<u64>> = running.iter().map(Instance::rss_bytes).collect();

    progress!(
        "{seconds} s: {} connections per instance, {write_percent}% writes",
        args.concurrency
    );
    let stop = Arc::new(AtomicBool::new(false));
    let keys = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for (i, addr) in addrs.iter().enumerate() {
        for _ in 0..args.concurrency {
            let conn = Conn::open(addr, &token).await?;
            load.push((
                i,
                tokio::spawn(drive(conn, Arc::clone(&stop), Arc::clone(&keys), write_percent)),
            ));
        }
    }
    let probes = tokio::spawn(probe(
        addrs.clone(),
        token.clone(),
        Arc::clone(&stop),
        Duration::from_millis(args.probe_every_ms),
    ));
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();

    let mut per_instance: Vec<Tally> = (0..instances).map(|_| Tally::default()).collect();
    for (i, task) in load {
        let tally = task.await??;
        let into = per_instance.get_mut(i).context("no such instance")?;
        into.checks.latencies.extend(tally.checks.latencies);
        into.writes.latencies.extend(tally.writes.latencies);
        into.errors += tally.errors;
        into.resent += tally.resent;
        for (kind, n) in tally.by_kind {
            *into.by_kind.entry(kind).or_default() += n;
        }
        if into.first_error.is_none() {
            into.first_error = tally.first_error;
        }
    }
    let (mut propagation, mut revocation, probe_errors) = probes.await??;
    let memory_end: Vec<Option<u64>> = running.iter().map(Instance::rss_bytes).collect();

    let mut all_checks = Samples::default();
    let mut all_writes = Samples::default();
    let mut rows = Vec::new();
    let (mut errors, mut first_error, mut by_kind) = probe_errors;
    let mut resent = 0;
    for (i, tally) in per_instance.iter_mut().enumerate() {
        errors += tally.errors;
        resent += tally.resent;
        for (kind, n) in &tally.by_kind {
            *by_kind.entry(kind.clone()).or_default() += n;
        }
        if first_error.is_none() {
            first_error = tally.first_error.clone();
        }
        rows.push(json!({
            "instance": i,
            "check_rps": tally.checks.latencies.len() as f64 / elapsed,
            "write_rps": tally.writes.latencies.len() as f64 / elapsed,
            "rss_start_bytes": memory_start.get(i).copied().flatten(),
            "rss_end_bytes": memory_end.get(i).copied().flatten(),
        }));
        all_checks.latencies.extend(tally.checks.latencies.iter());
        all_writes.latencies.extend(tally.writes.latencies.iter());
    }
    let rps = (all_checks.latencies.len() + all_writes.latencies.len()) as f64 / elapsed;
    Ok(json!({
        "benchmark": if args.load { "cluster-load" } else { "cluster" },
        "instances": instances,
        "notify": !args.no_notify,
        "poll_interval_ms": args.poll_interval_ms,
        "seconds": elapsed,
        "concurrency_per_instance": args.concurrency,
        "write_percent": write_percent,
        "rps": rps,
        "checks": all_checks.summary(),
        "writes": all_writes.summary(),
        "propagation": propagation.summary(),
        "revocation": revocation.summary(),
        "per_instance": rows,
        "errors": errors,
        "first_error": first_error,
        "errors_by_kind": by_kind,
        "writes_resent_after_conflict": resent,
        "targets": {
            "propagation_p99_ms": if args.no_notify { 1_000 } else { 100 },
            "revocation_p99_ms": 1_000,
            "errors": 0,
        },
    }))
}

async fn admin_token(addr: &str) -> Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let body = format!(r#"{{"username": "admin", "password": "{ADMIN_PASSWORD}"}}"#);
    let request = format!(
        "POST /api/v1/auth/token HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buffer = Vec::new();
    let (status, answer) = read_answer(&mut stream, &mut buffer).await?;
    ensure!(status == 201, "the admin's token: {status}");
    let value: Value = serde_json::from_slice(answer)?;
    value["token"].as_str().map(str::to_owned).context("no token")
}

/// One load connection: checks, and writes `write_percent` of the time,
/// until `stop`.
async fn drive(mut conn: Conn, stop: Arc<AtomicBool>, keys: Arc<AtomicU64>, write_percent: u32) -> Result<Tally> {
    let mut tally = Tally::default();
    let check = r#"{"action": "repository.read", "project": "hot", "environment": "DEV"}"#;
    let mut n: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let write = write_percent > 0 && n.is_multiple_of(u64::from(100 / write_percent.max(1)));
        let sent = Instant::now();
        let (expected, answer) = if write {
            let key = format!("w{}", keys.fetch_add(1, Ordering::Relaxed));
            let body = format!(r#"{{"key": "{key}", "display_name": "{key}"}}"#);
            let answer = conn.write("POST", "/api/v1/projects", &body).await;
            (
                201,
                answer.map(|(status, body, resent)| {
                    tally.resent += resent;
                    (status, body)
                }),
            )
        } else {
            (200, conn.send("POST", "/api/v1/check", None, check).await)
        };
        let took = sent.elapsed();
        match answer {
            Ok((status, _)) if status == expected => {
                if write {
                    tally.writes.latencies.push(took);
                } else {
                    tally.checks.latencies.push(took);
                }
            }
            Ok((status, body)) => {
                tally.errors += 1;
                *tally.by_kind.entry(format!("load {status}")).or_default() += 1;
                tally
                    .first_error
                    .get_or_insert_with(|| format!("{status}: {}", String::from_utf8_lossy(&body)));
            }
            Err(error) => bail!("a load connection failed: {error}"),
        }
    }
    Ok(tally)
}

/// The probes' errors: how many, the first one, and how many of each kind.
type ProbeErrors = (u64, Option<String>, BTreeMap<String, u64>);

/// Propagation and revocation probes between instance pairs until `stop`;
/// answers both samples and the errors.
async fn probe(
    addrs: Vec<String>,
    token: String,
    stop: Arc<AtomicBool>,
    every: Duration,
) -> Result<(Samples, Samples, ProbeErrors)> {
    let mut conns = Vec::new();
    for addr in &addrs {
        conns.push(Conn::open(addr, &token).await?);
    }
    let mut propagation = Samples::default();
    let mut revocation = Samples::default();
    let mut errors: ProbeErrors = (0, None, BTreeMap::new());
    let n = conns.len();
    let mut i = 0_usize;
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(every).await;
        let (a, b) = (i % n, (i + 1) % n);
        let outcome = if i % 5 == 4 {
            revoke_probe(&mut conns, a, b)
                .await
                .map(|d| revocation.latencies.push(d))
        } else {
            propagate_probe(&mut conns, a, b, i)
                .await
                .map(|d| propagation.latencies.push(d))
        };
        if let Err(error) = outcome {
            errors.0 += 1;
            *errors.2.entry(format!("probe: {error}")).or_default() += 1;
            errors.1.get_or_insert_with(|| error.to_string());
        }
        i += 1;
    }
    Ok((propagation, revocation, errors))
}

/// Two distinct connections of `conns`, mutably.
fn pair(conns: &mut [Conn], a: usize, b: usize) -> Result<(&mut Conn, &mut Conn)> {
    ensure!(a != b, "one instance is not a pair");
    let (low, high) = (a.min(b), a.max(b));
    let (left, right) = conns.split_at_mut(high);
    let (low, high) = (
        left.get_mut(low).context("no such")?,
        right.first_mut().context("no such")?,
    );
    Ok(if a < b { (low, high) } else { (high, low) })
}

/// A project created on A: how long from A's 201 until a check on B allows it.
async fn propagate_probe(conns: &mut [Conn], a: usize, b: usize, i: usize) -> Result<Duration> {
    let (on_a, on_b) = pair(conns, a, b)?;
    let key = format!("probe{i}");
    let body = format!(r#"{{"key": "{key}", "display_name": "{key}"}}"#);
    let (status, _, _) = on_a.write("POST", "/api/v1/projects", &body).await?;
    ensure!(status == 201, "a probe project's creation answered {status}");
    let committed = Instant::now();
    while !on_b.allowed(&key).await? {
        ensure!(
            committed.elapsed() < Duration::from_secs(10),
            "a probe project was not visible on B in 10 s"
        );
    }
    Ok(committed.elapsed())
}

/// A token used on B, revoked on A: how long from A's 204 until B refuses it.
async fn revoke_probe(conns: &mut [Conn], a: usize, b: usize) -> Result<Duration> {
    let (on_a, on_b) = pair(conns, a, b)?;
    let (status, created, _) = on_a.write("POST", "/api/v1/tokens", "{}").await?;
    ensure!(status == 201, "probe token: {status}");
    let created: Value = serde_json::from_slice(&created)?;
    let (secret, id) = (
        created["token"].as_str().context("no token")?.to_owned(),
        created["id"].as_str().context("no id")?.to_owned(),
    );
    // B has seen (and cached) the token before it is revoked.
    let started = Instant::now();
    loop {
        let (status, _) = on_b.send("GET", "/api/v1/me", Some(&secret), "").await?;
        if status == 200 {
            break;
        }
        ensure!(
            started.elapsed() < Duration::from_secs(10),
            "the new token never worked on B"
        );
    }
    let (status, _, _) = on_a.write("DELETE", &format!("/api/v1/tokens/{id}"), "").await?;
    ensure!(status == 204, "revoking the probe token: {status}");
    let revoked = Instant::now();
    loop {
        let (status, _) = on_b.send("GET", "/api/v1/me", Some(&secret), "").await?;
        if status == 401 {
            return Ok(revoked.elapsed());
        }
        ensure!(
            revoked.elapsed() < Duration::from_secs(10),
            "a revoked token still works on B after 10 s"
        );
    }
}
