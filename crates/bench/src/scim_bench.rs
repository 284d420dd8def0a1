//! `gatehouse-bench scim`: the SCIM face over HTTP on 127.0.0.1, on the
//! SPEC §10 workload written into SQLite as `gatehouse-bench http` writes
//! it. Two phases, each over fixed-concurrency keep-alive connections:
//! `GET /scim/v2/Users?filter=userName eq "…"` for random existing users
//! (every answer must name the user asked for), then `PATCH
//! /scim/v2/Users/{id}` on random users that are not admins — half replace
//! `displayName`, half set `active` — each a commit through the writer.
//! Answers one JSON line: requests per second, p50 and p99 of each.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, ensure};
use bytes::Bytes;
use hyper::Method;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};

use crate::http_bench::{ServedArgs, admin_token, round};
use crate::load::{self, Measured, Phase};
use crate::measure;

/// Options of `gatehouse-bench scim`.
#[derive(clap::Args)]
pub struct ScimArgs {
    #[command(flatten)]
    served: ServedArgs,
    /// Distinct requests of each phase; the phases cycle through them.
    #[arg(long, default_value_t = 10_000)]
    requests: usize,
    /// Timed seconds of each phase (after the warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Warm-up seconds of each phase.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Keep-alive connections of the filter phase.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Keep-alive connections of the PATCH phase (writes queue on the one
    /// writer: more connections only lengthen the queue).
    #[arg(long, default_value_t = 4)]
    patch_concurrency: usize,
    /// Worker threads of the load driver's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
}

/// Progress goes to stderr, so that stdout holds only the result.
macro_rules! progress {
    ($($arg:tt)*) => { eprintln!("[bench] {}", format_args!($($arg)*)) };
}

/// `GET /scim/v2/Users?filter=userName eq "<name>"`.
fn filter_path(name: &str) -> Result<String> {
    let query = serde_urlencoded::to_string([("filter", format!("userName eq \"{name}\""))])?;
    Ok(format!("/scim/v2/Users?{query}"))
}

/// Runs the SCIM benchmark; answers one JSON object.
pub fn run(args: &ScimArgs) -> Result<Value> {
    ensure!(
        args.concurrency > 0 && args.patch_concurrency > 0,
        "concurrency must be at least 1"
    );
    ensure!(args.seconds > 0, "--seconds must be at least 1");
    ensure!(args.requests > 0, "--requests must be at least 1");
    let (w, running) = args.served.served(1)?;

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.served.seed);
    let users = &w.model.users;
    let plain: Vec<&str> = users.iter().filter(|u| !u.admin).map(|u| u.name.as_str()).collect();
    ensure!(!plain.is_empty(), "the workload has no user that is not an admin");
    let mut filter_paths = Vec::with_capacity(args.requests);
    let mut filter_needles = Vec::with_capacity(args.requests);
    for _ in 0..args.requests {
        let name = users[rng.random_range(0..users.len())].name.as_str();
        filter_paths.push(filter_path(name)?);
        filter_needles.push(format!("\"userName\":\"{name}\""));
    }
    let mut patch_paths = Vec::with_capacity(args.requests);
    let mut patch_bodies = Vec::with_capacity(args.requests);
    for k in 0..args.requests {
        let name = plain[rng.random_range(0..plain.len())];
        let op = if k % 2 == 0 {
            json!({"op": "Replace", "path": "displayName", "value": format!("Bench {k}")})
        } else {
            json!({"op": "replace", "value": {"active": k % 4 == 1}})
        };
        let body = json!({"schemas": [gatehouse_scim::PATCH_OP], "Operations": [op]});
        patch_paths.push(format!("/scim/v2/Users/{name}"));
        patch_bodies.push(Bytes::from(serde_json::to_vec(&body)?));
    }

    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .thread_name("bench-client")
        .enable_all()
        .build()?;
    let warmup = Duration::from_secs(args.warmup);
    let window = Duration::from_secs(args.seconds);
    let (filter, patch) = client.block_on(async {
        let auth = admin_token(running.addr).await?;
        progress!(
            "GET /scim/v2/Users?filter=userName eq …: {} connections, {}s warm-up + {}s",
            args.concurrency,
            args.warmup,
            args.seconds
        );
        let filter = Phase {
            method: Method::GET,
            path: "/scim/v2/Users",
            headers: vec![("authorization", auth.clone())],
            bodies: vec![Bytes::new(); args.requests].into(),
            expected: Arc::new([]),
            paths: filter_paths.into(),
            needles: filter_needles.into(),
        };
        let filter = load::run(running.addr, Arc::new(filter), args.concurrency, warmup, window).await?;
        progress!("PATCH /scim/v2/Users/{{id}}: {} connections", args.patch_concurrency);
        let patch = Phase {
            method: Method::PATCH,
            path: "/scim/v2/Users/{id}",
            headers: vec![("authorization", auth)],
            bodies: patch_bodies.into(),
            expected: Arc::new([]),
            paths: patch_paths.into(),
            needles: Arc::new([]),
        };
        let patch = load::run(running.addr, Arc::new(patch), args.patch_concurrency, warmup, window).await?;
        anyhow::Ok((filter, patch))
    })?;
    client.shutdown_background();
    let revision = running.server.app().snapshot().revision();
    let load_ms = running.load_ms;
    let crate::http_bench::Running { runtime, _dir, .. } = running;
    runtime.shutdown_background();
    drop(_dir);
    ensure!(filter.verified > 0, "no filter answer was verified");
    let phase = |m: &Measured| {
        json!({
            "rps": round(m.rps(), 1),
            "requests": m.requests,
            "p50_ms": round(m.quantile_ms(0.5), 3),
            "p99_ms": round(m.quantile_ms(0.99), 3),
        })
    };
    Ok(json!({
        "bench": "scim",
        "scale": args.served.scale,
        "seed": w.seed,
        "users": users.len(),
        "members": w.model.members.len(),
        "load_ms": load_ms.round(),
        "revision": revision,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "server_threads": args.served.server_threads,
        "client_threads": args.client_threads,
        "filter_concurrency": args.concurrency,
        "patch_concurrency": args.patch_concurrency,
        "filter": phase(&filter),
        "filter_answers_verified": filter.verified,
        "patch": phase(&patch),
        "peak_rss_bytes": measure::peak_rss_bytes(),
    }))
}
