//! `gatehouse-bench http`: the server over HTTP on 127.0.0.1, in process.
//! The SPEC §10 workload is written into a fresh SQLite store through the
//! store (on top of the first start's `admin` and predefined roles), the
//! server is started again on it and served on its own runtime; a separate
//! runtime drives it with fixed-concurrency keep-alive HTTP/1.1 connections:
//! `GET /healthz` (the HTTP floor), `POST /api/v1/check` (rps, p50/p99) and
//! `POST /api/v1/check/batch` (checks/s). Every answer is verified against
//! a snapshot compiled from the store's model.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use gatehouse_authz::Snapshot;
use gatehouse_domain::store::Store as _;
use gatehouse_server::Config;
use http_body_util::{BodyExt as _, Full};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::load::{self, Measured, Phase};
use crate::{measure, nginx, store_bench};
use gatehouse_workload::{self as workload, NamedCheck};

/// The first admin's password in the benchmark's throw-away store.
pub(crate) const ADMIN_PASSWORD: &str = "gatehouse-bench admin password";

/// The targets of the issue, on a 2-core machine.
const TARGET_CHECK_RPS: f64 = 50_000.0;
const TARGET_CHECK_P99_MS: f64 = 1.0;
const TARGET_CHECK_VS_NOOP: f64 = 0.8;
const TARGET_BATCH_CHECKS_PER_SEC: f64 = 1_000_000.0;

/// Options of `gatehouse-bench http`.
#[derive(clap::Args)]
pub struct HttpArgs {
    /// Workload scale: 10,000·N users, 1,000·N groups, 500·N projects.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    scale: u32,
    /// Generator seed.
    #[arg(long, default_value_t = workload::DEFAULT_SEED)]
    seed: u64,
    /// Distinct checks generated; the phases cycle through them.
    #[arg(long, default_value_t = 100_000)]
    checks: usize,
    /// Timed seconds of each phase (after the warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Warm-up seconds of each phase.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Keep-alive connections of the single-check and no-op phases. By
    /// Little's law the mean latency is connections / rps: 64 connections
    /// at 50,000 rps mean 1.3 ms, so p99 < 1 ms needs far fewer.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Keep-alive connections of the batch phase.
    #[arg(long, default_value_t = 8)]
    batch_concurrency: usize,
    /// Checks per batch request (at most 1,000).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=1000))]
    batch_size: u32,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Worker threads of the load driver's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// nginx binary (Debian: `/usr/sbin/nginx`): also times `POST
    /// /api/v1/check` through nginx with upstream keep-alive, in the same
    /// run as the direct phase (SPEC §8.1).
    #[arg(long)]
    nginx: Option<std::path::PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Progress goes to stderr, so that stdout holds only the result.
macro_rules! progress {
    ($($arg:tt)*) => { eprintln!("[bench] {}", format_args!($($arg)*)) };
}

/// A server serving the loaded workload, and what keeps it alive.
pub(crate) struct Running {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) addr: SocketAddr,
    pub(crate) server: gatehouse_server::Server,
    /// The model as the store holds it after the load, when asked for.
    pub(crate) model: Option<gatehouse_authz::Model>,
    pub(crate) loaded_revision: u64,
    /// The time the workload's commits took (0 when a kept store was
    /// served again).
    pub(crate) load_ms: f64,
    /// The temporary data directory, unless the caller named one.
    pub(crate) _dir: Option<tempfile::TempDir>,
}

/// Where the served store lives, and what to keep in memory.
#[derive(Clone, Copy, Default)]
pub(crate) struct Serving<'a> {
    /// Server worker threads.
    pub(crate) threads: usize,
    /// A data directory to keep: loaded the first time, served again as it
    /// is the next (the load of scale 100 takes many minutes).
    pub(crate) data_dir: Option<&'a std::path::Path>,
    /// Read the stored model back after the load (`Running::model`).
    pub(crate) keep_model: bool,
}

/// Starts the server once to initialise the store, writes the workload
/// through the store, and starts it again on the same data directory (or,
/// when `serving.data_dir` already holds a store, only starts it).
fn serve_workload(w: &workload::Workload, serving: Serving<'_>) -> Result<Running> {
    let temporary = match serving.data_dir {
        Some(_) => None,
        None => Some(tempfile::tempdir()?),
    };
    let root = serving
        .data_dir
        .map_or_else(
            || temporary.as_ref().map(|d| d.path().to_owned()),
            |d| Some(d.to_owned()),
        )
        .context("no data directory")?;
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        data_dir: root.join("data"),
        admin_password: Some(ADMIN_PASSWORD.to_owned()),
        ..Config::default()
    };
    let kept = config.data_dir.join("gatehouse.db").exists();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(serving.threads.max(1))
        .thread_name("gatehouse-server")
        .enable_all()
        .build()?;
    let (server, model, loaded_revision, load_ms, addr) = runtime.block_on(async {
        let mut load_ms = 0.0;
        if !kept {
            let first = gatehouse_server::start(config.clone()).await.context("first start")?;
            ensure!(first.initialized(), "the fresh store was not initialised");
            let store = first.app().store();
            let (existing, revision) = store.load_model().await?;
            let now = OffsetDateTime::now_utc();
            let commits = store_bench::load_commits_onto(&w.model, &existing, now, revision)?;
            drop(existing);
            let started = Instant::now();
            for commit in &commits {
                store.commit(commit, now).await.context("loading the workload")?;
            }
            load_ms = measure::ms(started.elapsed());
            drop(commits);
            store.close().await;
            drop(first);
        }

        let server = gatehouse_server::start(config).await.context("second start")?;
        ensure!(!server.initialized(), "the second start initialised the store again");
        let loaded_revision = server.app().store().revision().await?;
        ensure!(
            server.app().snapshot().revision() == loaded_revision,
            "the server started at revision {}, the store holds {loaded_revision}",
            server.app().snapshot().revision()
        );
        let model = if serving.keep_model {
            Some(server.app().store().load_model().await?.0)
        } else {
            None
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let serving = server.clone();
        tokio::spawn(async move {
            if let Err(error) = gatehouse_server::serve(listener, serving).await {
                eprintln!("[bench] the server stopped: {error}");
            }
        });
        Ok((server, model, loaded_revision, load_ms, addr))
    })?;
    Ok(Running {
        runtime,
        addr,
        server,
        model,
        loaded_revision,
        load_ms,
        _dir: temporary,
    })
}

/// The served store of `gatehouse-bench scim` and `ui`: which workload,
/// how many server threads, and where the store is kept.
#[derive(clap::Args, Clone)]
pub(crate) struct ServedArgs {
    /// Workload scale: 10,000·N users, 1,000·N groups, 500·N projects.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub(crate) scale: u32,
    /// Generator seed.
    #[arg(long, default_value_t = workload::DEFAULT_SEED)]
    pub(crate) seed: u64,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    pub(crate) server_threads: usize,
    /// Keep the loaded store in this directory and serve it again on the
    /// next run naming it (same scale and seed), instead of loading the
    /// workload into a temporary one (minutes at scale 100).
    #[arg(long)]
    pub(crate) data_dir: Option<std::path::PathBuf>,
}

impl ServedArgs {
    /// The workload with `checks` checks, served as these options say
    /// (without a copy of the stored model).
    pub(crate) fn served(&self, checks: usize) -> Result<(workload::Workload, Running)> {
        let serving = Serving {
            threads: self.server_threads,
            data_dir: self.data_dir.as_deref(),
            keep_model: false,
        };
        workload_served(self.scale, self.seed, checks, serving)
    }
}

/// Generates the scale-`scale` workload with `checks` checks and serves it
/// as `serving` says.
fn workload_served(
    scale: u32,
    seed: u64,
    checks: usize,
    serving: Serving<'_>,
) -> Result<(workload::Workload, Running)> {
    let scale = scale as usize;
    progress!("generating the scale-{scale} workload ({checks} checks)");
    let w = workload::reference(scale, seed, checks)?;
    progress!(
        "initialising a SQLite store and loading {} users, {} members through it (unless kept)",
        w.model.users.len(),
        w.model.members.len()
    );
    let running = serve_workload(&w, serving)?;
    progress!(
        "serving revision {} on http://{} ({} server threads); workload committed in {:.0} ms",
        running.loaded_revision,
        running.addr,
        serving.threads,
        running.load_ms
    );
    Ok((w, running))
}

/// One request, answered: status and body.
async fn call(addr: SocketAddr, method: Method, path: &str, body: &Value) -> Result<(u16, Bytes)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, "127.0.0.1")
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(serde_json::to_vec(body)?)))?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    Ok((status, response.into_body().collect().await?.to_bytes()))
}

/// The admin's personal token, from `POST /api/v1/auth/token`.
pub(crate) async fn admin_token(addr: SocketAddr) -> Result<String> {
    let body = json!({"username": "admin", "password": ADMIN_PASSWORD, "description": "gatehouse-bench"});
    let (status, answer) = call(addr, Method::POST, "/api/v1/auth/token", &body).await?;
    if status != 201 {
        bail!(
            "POST /api/v1/auth/token answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    let answer: Value = serde_json::from_slice(&answer)?;
    let token = answer["token"].as_str().context("no `token` in the answer")?;
    Ok(format!("Bearer {token}"))
}

fn check_body(c: &NamedCheck) -> Value {
    let mut body = json!({"user": c.user, "action": c.action, "project": c.project});
    if let Some(environment) = &c.environment {
        body["environment"] = json!(environment);
    }
    body
}

/// Runs the HTTP benchmark; answers one JSON object.
pub fn run(args: &HttpArgs) -> Result<Value> {
    ensure!(
        args.concurrency > 0 && args.batch_concurrency > 0,
        "concurrency must be at least 1"
    );
    ensure!(args.seconds > 0, "--seconds must be at least 1");
    ensure!(args.checks > 0, "--checks must be at least 1");
    let serving = Serving {
        threads: args.server_threads,
        keep_model: true,
        ..Serving::default()
    };
    let (w, running) = workload_served(args.scale, args.seed, args.checks, serving)?;

    // The expected decisions, from a snapshot compiled from the store's model.
    let model = running.model.as_ref().context("the stored model was not kept")?;
    let snapshot = Snapshot::compile(Arc::clone(&w.catalogue), model).context("compiling the stored model")?;
    let expected: Vec<bool> = w
        .checks
        .iter()
        .map(|c| Ok(snapshot.check(&crate::resolve(&snapshot, c)?)?))
        .collect::<Result<_>>()?;
    let allow_rate = expected.iter().filter(|a| **a).count() as f64 / expected.len() as f64;
    drop(snapshot);

    let single: Arc<[Bytes]> = w
        .checks
        .iter()
        .map(|c| Ok(Bytes::from(serde_json::to_vec(&check_body(c))?)))
        .collect::<Result<_>>()?;
    let single_expected: Arc<[Vec<bool>]> = expected.iter().map(|a| vec![*a]).collect();
    let batch_size = args.batch_size as usize;
    let mut batches = Vec::new();
    let mut batch_expected = Vec::new();
    for (checks, answers) in w.checks.chunks(batch_size).zip(expected.chunks(batch_size)) {
        if checks.len() < batch_size && !batches.is_empty() {
            break;
        }
        let body = json!({"checks": checks.iter().map(check_body).collect::<Vec<_>>()});
        batches.push(Bytes::from(serde_json::to_vec(&body)?));
        batch_expected.push(answers.to_vec());
    }
    let actual_batch_size = batch_expected.first().map_or(0, Vec::len);

    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .thread_name("bench-client")
        .enable_all()
        .build()?;
    let warmup = Duration::from_secs(args.warmup);
    let window = Duration::from_secs(args.seconds);
    let (noop, check, batch, proxied) = client.block_on(async {
        let auth = admin_token(running.addr).await?;
        progress!(
            "GET /healthz: {} connections, {}s warm-up + {}s",
            args.concurrency,
            args.warmup,
            args.seconds
        );
        let noop = Phase {
            method: Method::GET,
            path: "/healthz",
            headers: vec![],
            bodies: vec![Bytes::new()].into(),
            expected: Arc::new([]),
            paths: Arc::new([]),
            needles: Arc::new([]),
        };
        let noop = load::run(running.addr, Arc::new(noop), args.concurrency, warmup, window).await?;
        let check = Arc::new(Phase {
            method: Method::POST,
            path: "/api/v1/check",
            headers: vec![("authorization", auth.clone())],
            bodies: single,
            expected: single_expected,
            paths: Arc::new([]),
            needles: Arc::new([]),
        });
        let proxied = match &args.nginx {
            Some(binary) => {
                // Through nginx first, then direct, so that neither phase
                // has the warmer caches.
                let nginx = nginx::Nginx::start(binary, running.addr)?;
                progress!(
                    "POST /api/v1/check through nginx on {} (upstream keep-alive): {} connections",
                    nginx.addr,
                    args.concurrency
                );
                let measured = load::run(nginx.addr, Arc::clone(&check), args.concurrency, warmup, window).await?;
                drop(nginx);
                Some(measured)
            }
            None => None,
        };
        progress!("POST /api/v1/check direct: {} connections", args.concurrency);
        let check = load::run(running.addr, check, args.concurrency, warmup, window).await?;
        progress!(
            "POST /api/v1/check/batch: {} connections, {actual_batch_size} checks a request",
            args.batch_concurrency
        );
        let batch = Phase {
            method: Method::POST,
            path: "/api/v1/check/batch",
            headers: vec![("authorization", auth)],
            bodies: batches.into(),
            expected: batch_expected.into(),
            paths: Arc::new([]),
            needles: Arc::new([]),
        };
        let batch = load::run(running.addr, Arc::new(batch), args.batch_concurrency, warmup, window).await?;
        anyhow::Ok((noop, check, batch, proxied))
    })?;
    client.shutdown_background();
    let revision = running.server.app().snapshot().revision();
    let Running { runtime, _dir, .. } = running;
    runtime.shutdown_background();
    drop(_dir);

    ensure!(check.verified > 0, "no check answer was verified");
    let mut report = report(args, &w, allow_rate, revision, actual_batch_size, &noop, &check, &batch);
    if let Some(proxied) = proxied {
        // load::run fails on any answer but a verified 200, so reaching
        // here means no 502, 504 or connection error through the proxy.
        report["nginx_check_rps"] = json!(proxied.rps().round());
        report["nginx_check_requests"] = json!(proxied.requests);
        report["nginx_check_p50_ms"] = json!(round(proxied.quantile_ms(0.5), 3));
        report["nginx_check_p99_ms"] = json!(round(proxied.quantile_ms(0.99), 3));
        report["nginx_check_answers_verified"] = json!(proxied.verified);
        report["nginx_vs_direct_rps"] = json!(round(proxied.rps() / check.rps().max(f64::MIN_POSITIVE), 3));
    }
    Ok(report)
}

#[expect(clippy::too_many_arguments, reason = "one report from everything measured")]
fn report(
    args: &HttpArgs,
    w: &workload::Workload,
    allow_rate: f64,
    revision: u64,
    batch_size: usize,
    noop: &Measured,
    check: &Measured,
    batch: &Measured,
) -> Value {
    let check_rps = check.rps();
    let noop_rps = noop.rps();
    let batch_checks_per_sec = batch.rps() * batch_size as f64;
    let check_p99_ms = check.quantile_ms(0.99);
    let check_vs_noop = check_rps / noop_rps.max(f64::MIN_POSITIVE);
    json!({
        "scale": args.scale,
        "seed": w.seed,
        "users": w.model.users.len(),
        "members": w.model.members.len(),
        "checks": w.checks.len(),
        "allow_rate": round(allow_rate, 4),
        "revision": revision,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "concurrency": args.concurrency,
        "batch_concurrency": args.batch_concurrency,
        "server_threads": args.server_threads,
        "client_threads": args.client_threads,
        "noop_rps": noop_rps.round(),
        "noop_requests": noop.requests,
        "noop_p50_ms": round(noop.quantile_ms(0.5), 3),
        "noop_p99_ms": round(noop.quantile_ms(0.99), 3),
        "check_rps": check_rps.round(),
        "check_requests": check.requests,
        "check_p50_ms": round(check.quantile_ms(0.5), 3),
        "check_p99_ms": round(check_p99_ms, 3),
        "check_p999_ms": round(check.quantile_ms(0.999), 3),
        "check_max_ms": round(check.quantile_ms(1.0), 3),
        "check_vs_noop": round(check_vs_noop, 3),
        "check_answers_verified": check.verified,
        "batch_size": batch_size,
        "batch_rps": round(batch.rps(), 1),
        "batch_checks_per_sec": batch_checks_per_sec.round(),
        "batch_p50_ms": round(batch.quantile_ms(0.5), 3),
        "batch_p99_ms": round(batch.quantile_ms(0.99), 3),
        "batch_answers_verified": batch.verified,
        "targets": {
            "check_rps": check_rps >= TARGET_CHECK_RPS,
            "check_p99_ms": check_p99_ms < TARGET_CHECK_P99_MS,
            "check_vs_noop": check_vs_noop >= TARGET_CHECK_VS_NOOP,
            "batch_checks_per_sec": batch_checks_per_sec >= TARGET_BATCH_CHECKS_PER_SEC,
        },
        "peak_rss_bytes": measure::peak_rss_bytes(),
    })
}

pub(crate) fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn met(v: &Value, key: &str) -> &'static str {
    if v["targets"][key].as_bool().unwrap_or_default() {
        "met"
    } else {
        "MISSED"
    }
}

/// A table for people.
pub fn table(v: &Value) -> String {
    let f = |k: &str| v[k].as_f64().unwrap_or_default();
    let rows = [
        (
            "workload",
            format!(
                "scale {}: {} users, {} members; {} distinct checks (allow rate {:.3}); revision {}",
                v["scale"],
                v["users"],
                v["members"],
                v["checks"],
                f("allow_rate"),
                v["revision"]
            ),
        ),
        (
            "setup",
            format!(
                "in process on 127.0.0.1, SQLite; {} server threads, {} client threads; {} s warm-up + {} s per phase",
                v["server_threads"], v["client_threads"], v["warmup_seconds"], v["seconds"]
            ),
        ),
        (
            "GET /healthz",
            format!(
                "{:.0} rps; p50 {:.3} ms, p99 {:.3} ms ({} connections)",
                f("noop_rps"),
                f("noop_p50_ms"),
                f("noop_p99_ms"),
                v["concurrency"]
            ),
        ),
        (
            "POST /check",
            format!(
                "{:.0} rps; p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms ({} connections; {} answers verified)",
                f("check_rps"),
                f("check_p50_ms"),
                f("check_p99_ms"),
                f("check_p999_ms"),
                v["concurrency"],
                v["check_answers_verified"]
            ),
        ),
        (
            "check vs no-op",
            format!("{:.1} % of the /healthz rps", f("check_vs_noop") * 100.0),
        ),
        (
            "POST /check/batch",
            format!(
                "{:.0} checks/s ({:.0} requests/s of {}; p50 {:.2} ms, p99 {:.2} ms; {} connections; {} answers verified)",
                f("batch_checks_per_sec"),
                f("batch_rps"),
                v["batch_size"],
                f("batch_p50_ms"),
                f("batch_p99_ms"),
                v["batch_concurrency"],
                v["batch_answers_verified"]
            ),
        ),
        (
            "targets",
            format!(
                "check ≥ 50k rps {}; p99 < 1 ms {}; ≥ 80% of no-op {}; batch ≥ 1M checks/s {}",
                met(v, "check_rps"),
                met(v, "check_p99_ms"),
                met(v, "check_vs_noop"),
                met(v, "batch_checks_per_sec")
            ),
        ),
        ("peak RSS", format!("{:.1} MiB", f("peak_rss_bytes") / 1_048_576.0)),
    ];
    let mut rows = rows.to_vec();
    if v.get("nginx_check_rps").is_some() {
        rows.push((
            "POST /check via nginx",
            format!(
                "{:.0} rps ({:.1} % of direct); p50 {:.3} ms, p99 {:.3} ms ({} connections, upstream keep-alive; {} answers verified, no error)",
                f("nginx_check_rps"),
                f("nginx_vs_direct_rps") * 100.0,
                f("nginx_check_p50_ms"),
                f("nginx_check_p99_ms"),
                v["concurrency"],
                v["nginx_check_answers_verified"]
            ),
        ));
    }
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    rows.iter().map(|(k, v)| format!("{k:<width$}  {v}\n")).collect()
}
