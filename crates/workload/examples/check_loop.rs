//! A quick A/B loop for changes to the check path: the timed loops of
//! `gatehouse-bench check` (`check`, `check_each`, `explain` over the SPEC
//! §10 reference workload), built against the core alone, so that a
//! release build of a change takes about half a minute instead of the
//! bench's quarter of an hour. `gatehouse-bench check` stays the measure
//! of record: it adds the peers, the memory and the agreement checks.
//!
//! ```text
//! cargo run --release -p gatehouse-workload --example check_loop -- [SCALE] [PASSES]
//! ```
//!
//! Prints three rounds, each the fastest of PASSES passes of each loop
//! (a third as many for `explain`), in millions of checks per second;
//! then `check` and `explain` over the allowed and the denied questions
//! apart (an allow's explanation names its grants, a deny's does not).
//!
//! Timed runs on a shared machine swing by a fifth; the instructions a
//! loop runs do not. Each loop is a function of its own, so that
//! `valgrind --tool=callgrind --toggle-collect=check_loop::check_pass
//! target/release/examples/check_loop 1 1` counts `check`'s alone (four
//! million checks: three rounds and the two halves; `each_pass`, three
//! million).

use std::error::Error;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_authz::{Query, Snapshot};
use gatehouse_workload::NamedCheck;

/// The allocator `gatehouse-bench` uses, so that the tables sit alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CHECKS: usize = 1_000_000;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let scale = count(args.next(), 1, "SCALE")?;
    let passes = count(args.next(), 15, "PASSES")?;

    let workload = gatehouse_workload::reference(scale, gatehouse_workload::DEFAULT_SEED, CHECKS)?;
    let threads = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
    let snapshot = Snapshot::compile_on(Arc::clone(&workload.catalogue), &workload.model, threads)?;
    let queries = workload
        .checks
        .iter()
        .map(|check| resolve(&snapshot, check))
        .collect::<Result<Vec<_>, _>>()?;

    for round in 1..=3 {
        let (check, check_allows) = fastest(passes, queries.len(), || check_pass(&snapshot, &queries))?;
        let (each, each_allows) = fastest(passes, queries.len(), || each_pass(&snapshot, &queries))?;
        let (explain, explain_allows) =
            fastest(passes.div_ceil(3), queries.len(), || explain_pass(&snapshot, &queries))?;
        if check_allows != each_allows || check_allows != explain_allows {
            return Err(format!(
                "the loops disagree: check allows {check_allows}, check_each {each_allows}, explain {explain_allows}"
            )
            .into());
        }
        println!(
            "round {round}: check {check:.2} M/s, check_each {each:.2} M/s, explain {explain:.2} M/s \
             (explain ÷ check {:.3}), {check_allows} allows",
            explain / check
        );
    }
    let (allowed, denied): (Vec<Query>, Vec<Query>) = queries.iter().partition(|q| snapshot.check(q).unwrap_or(false));
    for (name, part, allow) in [("allowed", &allowed, true), ("denied", &denied, false)] {
        let (check, check_allows) = fastest(passes, part.len(), || check_pass(&snapshot, part))?;
        let (explain, explain_allows) = fastest(passes.div_ceil(3), part.len(), || explain_pass(&snapshot, part))?;
        let expected = if allow { part.len() as u64 } else { 0 };
        if check_allows != expected || explain_allows != expected {
            return Err(format!(
                "of the {} {name} questions, check allows {check_allows} and explain {explain_allows}",
                part.len()
            )
            .into());
        }
        println!(
            "{name} ({} questions): check {check:.2} M/s, explain {explain:.2} M/s (explain ÷ check {:.3})",
            part.len(),
            explain / check
        );
    }
    Ok(())
}

/// A positive whole number from the command line, or `default`.
fn count(arg: Option<String>, default: usize, name: &str) -> Result<usize, String> {
    match arg {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{name} is a whole number of at least 1, not `{text}`")),
    }
}

/// A named check as ids, resolved once before timing as the API resolves
/// names ([`Snapshot::query`]); a name the snapshot does not know is an
/// error here (the reference workload names only what it made).
fn resolve(snapshot: &Snapshot, check: &NamedCheck) -> Result<Query, Box<dyn Error>> {
    let asked = snapshot.query(&check.user, &check.action, &check.project, check.environment.as_deref())?;
    asked.map_err(|denial| format!("{check:?} is denied as {denial} before any check").into())
}

/// One pass of `check` over `queries`: the allow count.
// A symbol of its own, for profilers (`perf`, `valgrind --tool=callgrind`).
#[inline(never)]
fn check_pass(snapshot: &Snapshot, queries: &[Query]) -> Result<u64, Box<dyn Error>> {
    let mut allows = 0u64;
    for q in queries {
        allows += u64::from(snapshot.check(black_box(q))?);
    }
    Ok(allows)
}

/// One pass of `check_each` over `queries`: the allow count.
// A symbol of its own, for profilers (`perf`, `valgrind --tool=callgrind`).
#[inline(never)]
fn each_pass(snapshot: &Snapshot, queries: &[Query]) -> Result<u64, Box<dyn Error>> {
    let mut allows = 0u64;
    for decision in snapshot.check_each(black_box(queries)) {
        allows += u64::from(decision?);
    }
    Ok(allows)
}

/// One pass of `explain` over `queries`: the allow count.
// A symbol of its own, for profilers (`perf`, `valgrind --tool=callgrind`).
#[inline(never)]
fn explain_pass(snapshot: &Snapshot, queries: &[Query]) -> Result<u64, Box<dyn Error>> {
    let mut allows = 0u64;
    for q in queries {
        allows += u64::from(snapshot.explain(black_box(q))?.is_allow());
    }
    Ok(allows)
}

/// The fastest of `passes` runs of `pass` over `n` items, in millions of
/// items per second, and the last run's answer.
fn fastest(
    passes: usize,
    n: usize,
    mut pass: impl FnMut() -> Result<u64, Box<dyn Error>>,
) -> Result<(f64, u64), Box<dyn Error>> {
    let mut best = Duration::MAX;
    let mut answer = 0;
    for _ in 0..passes {
        let start = Instant::now();
        answer = black_box(pass()?);
        best = best.min(start.elapsed());
    }
    Ok((n as f64 / best.as_secs_f64().max(f64::MIN_POSITIVE) / 1e6, answer))
}
