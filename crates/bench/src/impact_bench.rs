//! The impact preview's cost (SPEC §7.2): a dry run of adding one action
//! to the global role held by the most members, and of removing a user
//! from the group that is a member of the most projects, each beside the
//! real apply of the same change, on the compiled SPEC §10 workload.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Args;
use gatehouse_authz::{Change, Principal, RoleGrants, RoleType, Snapshot};
use gatehouse_workload::{self as workload, Workload};
use serde_json::{Value, json};

use crate::measure;

macro_rules! progress {
    ($($arg:tt)*) => { eprintln!("[bench] {}", format_args!($($arg)*)) };
}

/// `gatehouse-bench impact`.
#[derive(Args)]
pub struct ImpactArgs {
    /// Workload scale: 10,000·N users, 1,000·N groups, 500·N projects.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: u32,
    /// Generator seed.
    #[arg(long, default_value_t = workload::DEFAULT_SEED)]
    seed: u64,
    /// Timed runs of each dry run and apply; the median and the slowest count.
    #[arg(long, default_value_t = 15)]
    runs: usize,
}

fn median_and_max(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort_unstable();
    let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
    let max = samples.last().copied().unwrap_or_default();
    (measure::ms(median), measure::ms(max))
}

/// The custom global role held by the most memberships, with one more action.
fn widened_global_role(w: &Workload) -> Result<(String, Change)> {
    let mut held: HashMap<&str, usize> = HashMap::new();
    for member in &w.model.members {
        for role in &member.roles {
            *held.entry(role.as_str()).or_default() += 1;
        }
    }
    let role = w
        .model
        .roles
        .iter()
        .filter(|r| r.role_type == RoleType::CustomGlobal)
        .max_by_key(|r| held.get(r.name.as_str()).copied().unwrap_or(0))
        .context("the workload has no custom global role")?;
    let mut actions: Vec<String> = match &role.grants {
        RoleGrants::Actions(actions) => actions.clone(),
        RoleGrants::Categories(categories) => categories
            .iter()
            .filter_map(|c| w.catalogue.category(c))
            .flat_map(|c| c.actions.iter().map(|a| w.catalogue.action(a).id.clone()))
            .collect(),
    };
    let extra = w
        .catalogue
        .actions()
        .iter()
        .find(|a| !a.id.starts_with("project.") && !actions.contains(&a.id))
        .context("the role grants every action")?;
    actions.push(extra.id.clone());
    let mut spec = role.clone();
    spec.grants = RoleGrants::Actions(actions);
    let name = format!(
        "add {} to global role {} ({} memberships hold it)",
        extra.id,
        role.name,
        held.get(role.name.as_str()).copied().unwrap_or(0)
    );
    Ok((name, Change::PutRole(spec)))
}

/// A user of the group that is a member of the most projects, leaving it.
fn group_leaver(w: &Workload) -> Result<(String, Change)> {
    let mut projects: HashMap<&str, usize> = HashMap::new();
    for member in &w.model.members {
        if let Principal::Group(g) = &member.principal {
            *projects.entry(g.as_str()).or_default() += 1;
        }
    }
    let group = w
        .model
        .groups
        .iter()
        .filter(|g| !g.members.is_empty())
        .max_by_key(|g| projects.get(g.name.as_str()).copied().unwrap_or(0))
        .context("the workload has no group with members")?;
    let user = group.members.first().context("an empty group")?;
    let name = format!(
        "remove {user} from group {} (a member of {} projects)",
        group.name,
        projects.get(group.name.as_str()).copied().unwrap_or(0)
    );
    Ok((
        name,
        Change::RemoveGroupMember {
            group: group.name.clone(),
            user: user.clone(),
        },
    ))
}

/// One change: its dry run (median, slowest) beside its apply (median).
fn case(snapshot: &Snapshot, name: String, change: &Change, runs: usize) -> Result<Value> {
    progress!("{name}");
    let changes = std::slice::from_ref(change);
    let impact = snapshot
        .impact(changes, 100, |_| true)
        .context("the change does not apply")?;
    let mut dry = Vec::with_capacity(runs);
    let mut apply = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        black_box(snapshot.impact(changes, 100, |_| true)?);
        dry.push(start.elapsed());
        let start = Instant::now();
        black_box(snapshot.apply(change)?);
        apply.push(start.elapsed());
    }
    let (dry_run_median_ms, dry_run_max_ms) = median_and_max(dry);
    let (apply_median_ms, _) = median_and_max(apply);
    Ok(json!({
        "name": name,
        "users": impact.users,
        "gained": impact.gained,
        "lost": impact.lost,
        "dry_run_median_ms": dry_run_median_ms,
        "dry_run_max_ms": dry_run_max_ms,
        "apply_median_ms": apply_median_ms,
    }))
}

/// Runs the bench.
///
/// # Errors
/// A workload that cannot be generated or compiled.
pub fn run(args: &ImpactArgs) -> Result<Value> {
    progress!("generating the scale-{} workload", args.scale);
    let w = workload::reference(args.scale as usize, args.seed, 1)?;
    progress!("compiling ({} members)", w.model.members.len());
    let start = Instant::now();
    let snapshot = Snapshot::compile(Arc::clone(&w.catalogue), &w.model)?;
    let compile_ms = measure::ms(start.elapsed());
    let mut cases = Vec::new();
    for (name, change) in [widened_global_role(&w)?, group_leaver(&w)?] {
        cases.push(case(&snapshot, name, &change, args.runs)?);
    }
    Ok(json!({
        "bench": "impact",
        "scale": args.scale,
        "members": w.model.members.len(),
        "compile_ms": compile_ms,
        "cases": cases,
    }))
}
