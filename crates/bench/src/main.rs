//! `gatehouse-bench`: whole-workload benchmarks of Gatehouse: its authorization
//! core beside Cedar and casbin on the SPEC §10 reference workload, its store,
//! and its HTTP server (ratios in one run).

mod casbin_peer;
mod cedar;
mod changes;
mod cluster;
mod http_bench;
mod impact_bench;
mod load;
mod measure;
mod nginx;
mod peer_model;
mod report;
mod scim_bench;
mod serve_bench;
mod serve_process;
mod store_bench;
mod ui_bench;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use cedar_policy::Authorizer;
use clap::{Args, Parser, Subcommand};
use gatehouse_authz::{Change, Explanation, Grant, Query, Snapshot};

use crate::casbin_peer::{CasbinCheck, CasbinModel};
use crate::cedar::CedarModel;
use crate::report::{ApplyKind, CasbinReport, CedarReport, Report};
use gatehouse_workload as workload;
use gatehouse_workload::NamedCheck;

#[derive(Parser)]
#[command(
    name = "gatehouse-bench",
    about = "Whole-workload benchmarks of Gatehouse beside its peers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check, explain, compile and apply on the SPEC §10 workload, beside
    /// Cedar and casbin.
    Check(CheckArgs),
    /// Commits, load_model and size of the SPEC §10 workload in SQLite and PostgreSQL.
    Store(store_bench::StoreArgs),
    /// The server over HTTP on 127.0.0.1: single checks, batches and the no-op route.
    Http(http_bench::HttpArgs),
    /// Several `gatehouse serve` instances on one PostgreSQL database:
    /// propagation, revocation, checks and writes under load, memory.
    Cluster(cluster::ClusterArgs),
    /// The SCIM face over HTTP on 127.0.0.1: `GET /Users?filter=userName eq`
    /// and `PATCH /Users/{id}`, one JSON line.
    Scim(scim_bench::ScimArgs),
    /// The web UI's main pages over HTTP on 127.0.0.1, each beside the API
    /// request answering the same data: median and p99, one JSON line.
    Ui(ui_bench::UiArgs),
    /// The impact preview (SPEC §7.2): dry runs of a global-role edit and
    /// of leaving a group, beside the apply of the same change, one JSON line.
    Impact(impact_bench::ImpactArgs),
    /// `gatehouse serve` from start to ready on a store holding the
    /// workload, and its peak resident memory, one JSON line.
    Serve(serve_bench::ServeArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// Workload scale: 10,000·N users, 1,000·N groups, 500·N projects.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: u32,
    /// Generator seed.
    #[arg(long, default_value_t = workload::DEFAULT_SEED)]
    seed: u64,
    /// Checks to generate and time.
    #[arg(long, default_value_t = 1_000_000)]
    checks: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Skip the peers (Cedar and casbin).
    #[arg(long)]
    no_peers: bool,
    /// Time Cedar on the first N checks (Cedar is hundreds of times slower).
    #[arg(long, default_value_t = 200_000)]
    cedar_checks: usize,
    /// Timed passes of Cedar over its checks; the best counts.
    #[arg(long, default_value_t = 1)]
    cedar_passes: usize,
    /// Time casbin on the first N checks (casbin is thousands of times slower).
    #[arg(long, default_value_t = 20_000)]
    casbin_checks: usize,
    /// Timed passes of casbin over its checks; the best counts.
    #[arg(long, default_value_t = 1)]
    casbin_passes: usize,
    /// Compare each peer with Gatehouse on the first N checks before timing
    /// (casbin: at most its timed checks).
    #[arg(long, default_value_t = 10_000)]
    agree: usize,
    /// Timed passes over the checks; the best counts.
    #[arg(long, default_value_t = 5)]
    passes: usize,
    /// Edits of each kind whose apply time is measured.
    #[arg(long, default_value_t = 200)]
    changes: usize,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Store(args) => {
            let report = store_bench::run(&args)?;
            if args.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", store_bench::table(&report));
            }
            Ok(())
        }
        Command::Http(args) => {
            let report = http_bench::run(&args)?;
            if args.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", http_bench::table(&report));
            }
            Ok(())
        }
        Command::Scim(args) => {
            println!("{}", serde_json::to_string(&scim_bench::run(&args)?)?);
            Ok(())
        }
        Command::Ui(args) => {
            println!("{}", serde_json::to_string(&ui_bench::run(&args)?)?);
            Ok(())
        }
        Command::Impact(args) => {
            println!("{}", serde_json::to_string(&impact_bench::run(&args)?)?);
            Ok(())
        }
        Command::Serve(args) => {
            println!("{}", serde_json::to_string(&serve_bench::run(&args)?)?);
            Ok(())
        }
        Command::Cluster(args) => {
            let report = cluster::run(&args)?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Command::Check(args) => {
            let report = run_check(&args)?;
            if args.json {
                println!("{}", serde_json::to_string(&report.to_json())?);
            } else {
                print!("{}", report.to_table());
            }
            Ok(())
        }
    }
}

/// Progress goes to stderr, so that stdout holds only the result.
macro_rules! progress {
    ($($arg:tt)*) => { eprintln!("[bench] {}", format_args!($($arg)*)) };
}

fn run_check(args: &CheckArgs) -> Result<Report> {
    let scale = args.scale as usize;
    progress!("generating the scale-{scale} workload ({} checks)", args.checks);
    let start = Instant::now();
    let w = workload::reference(scale, args.seed, args.checks)?;
    let generate_ms = measure::ms(start.elapsed());
    let mut report = Report {
        scale,
        seed: w.seed,
        checks: w.checks.len(),
        users: w.model.users.len(),
        groups: w.model.groups.len(),
        projects: w.model.projects.len(),
        members: w.model.members.len(),
        roles: w.model.roles.len(),
        generate_ms,
        ..Report::default()
    };

    // Compile: the first run is also the memory measurement.
    progress!("compiling ({} members)", report.members);
    // On the threads `serve` compiles it on.
    let threads = gatehouse_server::compile_threads::for_model(&w.model);
    let before = measure::live_heap_bytes();
    let start = Instant::now();
    let snapshot =
        Snapshot::compile_on(Arc::clone(&w.catalogue), &w.model, threads).context("compiling the workload")?;
    let mut compile = start.elapsed();
    report.snapshot_bytes = measure::live_heap_bytes().saturating_sub(before);
    report.access_heap_bytes = snapshot.access_heap_bytes();
    report.compile_runs = if scale <= 10 { 3 } else { 1 };
    for _ in 1..report.compile_runs {
        let start = Instant::now();
        let again = Snapshot::compile_on(Arc::clone(&w.catalogue), &w.model, threads)?;
        compile = compile.min(start.elapsed());
        drop(again);
    }
    report.compile_ms = measure::ms(compile);

    let queries: Vec<Query> = w.checks.iter().map(|c| resolve(&snapshot, c)).collect::<Result<_>>()?;
    let decisions: Vec<bool> = queries.iter().map(|q| snapshot.check(q)).collect::<Result<_, _>>()?;
    let allows = decisions.iter().filter(|d| **d).count();
    report.allow_rate = allows as f64 / decisions.len().max(1) as f64;

    // explain agrees with check on every query; count the reasons.
    let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (i, (q, allowed)) in queries.iter().zip(&decisions).enumerate() {
        let explanation = snapshot.explain(q)?;
        let reason = match &explanation {
            Explanation::Allow(grants) if grants.contains(&Grant::PlatformAdmin) => "allow_admin",
            Explanation::Allow(_) => "allow",
            Explanation::Deny(denial) => denial.code(),
        };
        *reasons.entry(reason).or_default() += 1;
        if explanation.is_allow() != *allowed {
            bail!(
                "explain disagrees with check on check #{i} {:?}: check {allowed}, explain {explanation:?}",
                w.checks.get(i)
            );
        }
    }
    report.explain_agreement_checked = queries.len();
    report.decisions = reasons;

    // Cedar: build, then compare before any timing.
    let cedar = if args.no_peers {
        None
    } else {
        progress!("building Cedar policy sets and entities");
        let (model, build_ms, live) = measure::built(|| CedarModel::build(&w.catalogue, &w.model))?;
        let cedar_checks: Vec<cedar::CedarCheck> = w
            .checks
            .iter()
            .map(|c| model.resolve(&w.catalogue, c))
            .collect::<Result<_>>()?;
        let authorizer = Authorizer::new();
        let agree = args.agree.min(cedar_checks.len());
        progress!("comparing Cedar with Gatehouse on {agree} checks");
        for i in 0..agree {
            let (Some(c), Some(allowed)) = (cedar_checks.get(i), decisions.get(i)) else {
                break;
            };
            compare(
                &w,
                &snapshot,
                &queries,
                i,
                *allowed,
                ("Cedar", model.is_authorized(&authorizer, c)?),
            )?;
        }
        Some((model, cedar_checks, authorizer, build_ms, live, agree))
    };
    let casbin = if args.no_peers {
        None
    } else {
        Some(prepare_casbin(args, &w, &snapshot, &queries, &decisions)?)
    };

    // Gatehouse check and explain throughput.
    progress!("timing check ({} passes)", args.passes);
    let (rate, timed_allows) = measure::best_rate(args.passes, queries.len(), || check_pass(&snapshot, &queries))?;
    if timed_allows != allows as u64 {
        bail!("check pass counted {timed_allows} allows, expected {allows}");
    }
    report.checks_per_sec = rate;
    report.check_passes = args.passes;
    progress!("timing check_each ({} passes)", args.passes);
    let (rate, batch_allows) = measure::best_rate(args.passes, queries.len(), || batch_pass(&snapshot, &queries))?;
    if batch_allows != allows as u64 {
        bail!("check_each pass counted {batch_allows} allows, expected {allows}");
    }
    report.batch_checks_per_sec = rate;
    let explain_passes = args.passes.div_ceil(2);
    progress!("timing explain ({explain_passes} passes)");
    let (rate, _) = measure::best_rate(explain_passes, queries.len(), || explain_pass(&snapshot, &queries))?;
    report.explain_checks_per_sec = rate;

    // One change applied to the snapshot: every kind, each alone on the
    // compiled workload.
    progress!("timing apply ({} changes of each kind)", args.changes);
    let budget = Duration::from_secs(if scale <= 10 { 10 } else { 20 });
    let mut pooled: Vec<Duration> = Vec::new();
    for kind in changes::sweep(&w, args.changes, args.seed)? {
        let samples = measure::sample(&kind.changes, 11, budget, |c| time_apply(&snapshot, c))?;
        pooled.extend_from_slice(&samples);
        report.apply.push(ApplyKind::of(kind.name, samples));
    }
    let all = ApplyKind::of("every kind", pooled);
    report.apply_p99_us = all.p99_us;
    report.apply_max_us = all.max_us;
    report.apply_samples = all.samples;

    // Cedar throughput over the first checks, compared again afterwards.
    if let Some((model, cedar_checks, authorizer, build_ms, live, agree)) = cedar {
        let timed = args.cedar_checks.min(cedar_checks.len());
        progress!("timing Cedar on {timed} checks ({} passes)", args.cedar_passes);
        let prefix = cedar_checks.get(..timed).context("cedar prefix")?;
        let (best, cedar_decisions) =
            measure::best_decisions(args.cedar_passes, prefix, |c| model.is_authorized(&authorizer, c))?;
        compare_all(&w, &snapshot, &queries, &decisions, ("Cedar", &cedar_decisions))?;
        report.cedar = Some(CedarReport {
            encoding: cedar::ENCODING,
            build_ms,
            policies: model.policy_count(),
            entities: model.entity_count(),
            checks_per_sec: measure::per_second(timed, best),
            checks_timed: timed,
            passes: args.cedar_passes.max(1),
            allow_rate: cedar_decisions.iter().filter(|d| **d).count() as f64 / timed.max(1) as f64,
            agreement_checked: agree.max(timed),
            live_heap_bytes: live,
        });
    }
    if let Some(casbin) = casbin {
        report.casbin = Some(time_casbin(args, &w, &snapshot, &queries, &decisions, &casbin)?);
    }
    report.peak_rss_bytes = measure::peak_rss_bytes();
    Ok(report)
}

/// casbin built, its memory measured, and its timed checks prepared and
/// compared with Gatehouse's decisions.
struct PreparedCasbin {
    model: CasbinModel,
    checks: Vec<CasbinCheck>,
    build_ms: f64,
    live_heap_bytes: usize,
}

/// Builds the casbin enforcers, then compares casbin with Gatehouse on the
/// first `--agree` of the checks it will time, before any timing.
fn prepare_casbin(
    args: &CheckArgs,
    w: &workload::Workload,
    snapshot: &Snapshot,
    queries: &[Query],
    decisions: &[bool],
) -> Result<PreparedCasbin> {
    progress!("building casbin enforcers");
    let (model, build_ms, live_heap_bytes) = measure::built(|| CasbinModel::build(&w.catalogue, &w.model))?;
    let timed = args.casbin_checks.min(w.checks.len());
    let checks: Vec<CasbinCheck> = w
        .checks
        .iter()
        .take(timed)
        .map(|c| model.resolve(&w.catalogue, c))
        .collect::<Result<_>>()?;
    let agree = args.agree.min(checks.len());
    progress!("comparing casbin with Gatehouse on {agree} checks");
    for (i, (c, allowed)) in checks.iter().zip(decisions).take(agree).enumerate() {
        compare(w, snapshot, queries, i, *allowed, ("casbin", model.enforce(c)?))?;
    }
    Ok(PreparedCasbin {
        model,
        checks,
        build_ms,
        live_heap_bytes,
    })
}

/// Times casbin on its checks (the best of `--casbin-passes`), then
/// compares every timed decision with Gatehouse's.
fn time_casbin(
    args: &CheckArgs,
    w: &workload::Workload,
    snapshot: &Snapshot,
    queries: &[Query],
    decisions: &[bool],
    casbin: &PreparedCasbin,
) -> Result<CasbinReport> {
    let passes = args.casbin_passes.max(1);
    let timed = casbin.checks.len();
    progress!("timing casbin on {timed} checks ({passes} passes)");
    let (best, answers) = measure::best_decisions(passes, &casbin.checks, |c| casbin.model.enforce(c))?;
    compare_all(w, snapshot, queries, decisions, ("casbin", &answers))?;
    Ok(CasbinReport {
        encoding: casbin_peer::ENCODING,
        build_ms: casbin.build_ms,
        enforcers: casbin.model.enforcer_count(),
        policies: casbin.model.policy_count(),
        groupings: casbin.model.grouping_count(),
        checks_per_sec: measure::per_second(timed, best),
        checks_timed: timed,
        passes,
        allow_rate: answers.iter().filter(|d| **d).count() as f64 / timed.max(1) as f64,
        // The agreement checks are a prefix of the timed ones, all compared.
        agreement_checked: timed,
        live_heap_bytes: casbin.live_heap_bytes,
    })
}

/// A named check as Gatehouse ids, resolved once before timing.
pub(crate) fn resolve(snapshot: &Snapshot, check: &NamedCheck) -> Result<Query> {
    let user = snapshot
        .user_id(&check.user)
        .with_context(|| format!("unknown user `{}`", check.user))?;
    let project = snapshot
        .project_id(&check.project)
        .with_context(|| format!("unknown project `{}`", check.project))?;
    let action = snapshot
        .catalogue()
        .resolve_action(&check.action)
        .with_context(|| format!("unknown action `{}`", check.action))?;
    let environment = check
        .environment
        .as_deref()
        .map(|e| snapshot.env_id(e).with_context(|| format!("unknown environment `{e}`")))
        .transpose()?;
    Ok(Query {
        user,
        action,
        project,
        environment,
    })
}

/// One pass of `check` over every query; answers the allow count.
fn check_pass(snapshot: &Snapshot, queries: &[Query]) -> Result<u64> {
    let mut allows = 0u64;
    for q in queries {
        allows += u64::from(snapshot.check(black_box(q))?);
    }
    Ok(black_box(allows))
}

/// One pass of `check_each` over every query; answers the allow count.
fn batch_pass(snapshot: &Snapshot, queries: &[Query]) -> Result<u64> {
    let mut allows = 0u64;
    for decision in snapshot.check_each(black_box(queries)) {
        allows += u64::from(decision?);
    }
    Ok(black_box(allows))
}

/// One pass of `explain` over every query; answers the allow count.
fn explain_pass(snapshot: &Snapshot, queries: &[Query]) -> Result<u64> {
    let mut allows = 0u64;
    for q in queries {
        allows += u64::from(snapshot.explain(black_box(q))?.is_allow());
    }
    Ok(black_box(allows))
}

/// The time of one `apply`; the new snapshot is dropped untimed.
fn time_apply(snapshot: &Snapshot, change: &Change) -> Result<Duration> {
    let start = Instant::now();
    let next = snapshot.apply(change).with_context(|| format!("applying {change:?}"))?;
    let elapsed = start.elapsed();
    drop(black_box(next));
    Ok(elapsed)
}

/// Fails on the first of a peer's `answers` (its name, its decisions on
/// the first checks) that disagrees with Gatehouse's `decisions`.
fn compare_all(
    w: &workload::Workload,
    snapshot: &Snapshot,
    queries: &[Query],
    decisions: &[bool],
    (peer, answers): (&str, &[bool]),
) -> Result<()> {
    for (i, (answer, gatehouse)) in answers.iter().zip(decisions).enumerate() {
        compare(w, snapshot, queries, i, *gatehouse, (peer, *answer))?;
    }
    Ok(())
}

/// Fails on a disagreement between Gatehouse and a peer (its name and its
/// decision), naming the check.
fn compare(
    w: &workload::Workload,
    snapshot: &Snapshot,
    queries: &[Query],
    i: usize,
    gatehouse: bool,
    (peer, decision): (&str, bool),
) -> Result<()> {
    if gatehouse == decision {
        return Ok(());
    }
    let explanation = queries.get(i).map(|q| snapshot.explain(q));
    bail!(
        "{peer} and Gatehouse disagree on check #{i} {:?}: Gatehouse {gatehouse}, {peer} {decision}; Gatehouse explains {explanation:?}",
        w.checks.get(i)
    )
}
