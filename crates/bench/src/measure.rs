//! Measuring tools: a counting global allocator, best-of timing of a pass
//! over the checks, medians, and the process's peak memory.

use std::time::{Duration, Instant};

use anyhow::Result;
use cap::Cap;
use mimalloc::MiMalloc;

/// Every allocation of the bench binary goes through this counter (one
/// relaxed atomic per allocation and free, for Gatehouse and Cedar alike),
/// over mimalloc, the `gatehouse` binary's allocator, so that the snapshot
/// and the in-process server sit in memory as under `gatehouse serve`.
#[global_allocator]
static ALLOCATOR: Cap<MiMalloc> = Cap::new(MiMalloc, usize::MAX);

/// Heap bytes allocated and not yet freed by the whole process.
#[must_use]
pub fn live_heap_bytes() -> usize {
    ALLOCATOR.allocated()
}

/// The fastest of `passes` runs of `pass` over `n` items, as items per second,
/// and the value the last pass returned (for instance its allow count).
///
/// # Errors
/// The first error a pass returns.
pub fn best_rate(passes: usize, n: usize, mut pass: impl FnMut() -> Result<u64>) -> Result<(f64, u64)> {
    let mut best = Duration::MAX;
    let mut value = 0;
    for _ in 0..passes.max(1) {
        let start = Instant::now();
        value = pass()?;
        best = best.min(start.elapsed());
    }
    Ok((per_second(n, best), value))
}

/// What `build` makes, with the milliseconds it took and the heap bytes
/// it left allocated (a peer's build time and memory).
///
/// # Errors
/// `build`'s error.
pub fn built<T>(build: impl FnOnce() -> Result<T>) -> Result<(T, f64, usize)> {
    let before = live_heap_bytes();
    let start = Instant::now();
    let value = build()?;
    let elapsed = ms(start.elapsed());
    Ok((value, elapsed, live_heap_bytes().saturating_sub(before)))
}

/// The fastest of `passes` runs of `decide` over every item, and the
/// decisions of the last run (a peer's timed checks).
///
/// # Errors
/// The first error `decide` returns.
pub fn best_decisions<T>(
    passes: usize,
    items: &[T],
    mut decide: impl FnMut(&T) -> Result<bool>,
) -> Result<(Duration, Vec<bool>)> {
    let mut best = Duration::MAX;
    let mut decisions = Vec::with_capacity(items.len());
    for _ in 0..passes.max(1) {
        decisions.clear();
        let start = Instant::now();
        for item in items {
            decisions.push(decide(std::hint::black_box(item))?);
        }
        best = best.min(start.elapsed());
        std::hint::black_box(&decisions);
    }
    Ok((best, decisions))
}

/// Items per second.
#[must_use]
pub fn per_second(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// Milliseconds, as a float.
#[must_use]
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The `q` quantile (nearest rank) of `sorted` latencies, in
/// milliseconds; 0 for none.
#[must_use]
pub fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // A rank within the samples.
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted.get(rank - 1).map_or(0.0, |d| ms(*d))
}

/// Times `run` on each of `inputs` until all are done, or `budget` is spent
/// and at least `min_samples` are taken. Answers the durations.
///
/// # Errors
/// The first error `run` returns.
pub fn sample<T>(
    inputs: &[T],
    min_samples: usize,
    budget: Duration,
    mut run: impl FnMut(&T) -> Result<Duration>,
) -> Result<Vec<Duration>> {
    let start = Instant::now();
    let mut samples = Vec::with_capacity(inputs.len());
    for input in inputs {
        if samples.len() >= min_samples && start.elapsed() > budget {
            break;
        }
        samples.push(run(input)?);
    }
    Ok(samples)
}

/// The process's peak resident memory (`VmHWM`), where Linux tells it.
#[must_use]
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
