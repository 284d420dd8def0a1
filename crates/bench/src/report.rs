//! The results of one `check` run, as a table for people or one JSON object
//! for scripts.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// Everything one run measured, fields named as their JSON keys; peer
/// figures are `None` with `--no-peers`.
#[derive(Debug, Default)]
pub struct Report {
    pub scale: usize,
    pub seed: u64,
    pub checks: usize,
    pub users: usize,
    pub groups: usize,
    pub projects: usize,
    pub members: usize,
    pub roles: usize,
    pub generate_ms: f64,
    pub allow_rate: f64,
    /// Checks by decision: `allow`, `allow_admin` or a denial code.
    pub decisions: BTreeMap<&'static str, usize>,
    pub compile_ms: f64,
    pub compile_runs: usize,
    pub snapshot_bytes: usize,
    pub access_heap_bytes: usize,
    pub checks_per_sec: f64,
    pub check_passes: usize,
    pub explain_checks_per_sec: f64,
    /// `Snapshot::check_each` over the same checks (prefetching ahead).
    pub batch_checks_per_sec: f64,
    pub explain_agreement_checked: usize,
    /// `Snapshot::apply` of one change, by kind.
    pub apply: Vec<ApplyKind>,
    /// The 99th percentile and the maximum over every kind's samples pooled.
    pub apply_p99_us: f64,
    pub apply_max_us: f64,
    pub apply_samples: usize,
    pub cedar: Option<CedarReport>,
    pub casbin: Option<CasbinReport>,
    pub peak_rss_bytes: Option<u64>,
}

/// The apply times of one kind of change.
#[derive(Debug, Default)]
pub struct ApplyKind {
    pub name: &'static str,
    pub samples: usize,
    pub median_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

impl ApplyKind {
    /// Summarizes `samples` of the change kind `name`.
    #[must_use]
    pub fn of(name: &'static str, mut samples: Vec<std::time::Duration>) -> Self {
        samples.sort_unstable();
        let us = |i: usize| samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6);
        let n = samples.len();
        Self {
            name,
            samples: n,
            median_us: us(n / 2),
            p99_us: us((n * 99).div_ceil(100).saturating_sub(1)),
            max_us: us(n.saturating_sub(1)),
        }
    }

    /// The kind's figures as JSON.
    fn to_json(&self) -> Value {
        json!({
            "kind": self.name,
            "samples": self.samples,
            "median_us": round(self.median_us, 1),
            "p99_us": round(self.p99_us, 1),
            "max_us": round(self.max_us, 1),
        })
    }
}

/// Cedar's figures.
#[derive(Debug, Default)]
pub struct CedarReport {
    pub encoding: &'static str,
    pub build_ms: f64,
    pub policies: usize,
    pub entities: usize,
    pub checks_per_sec: f64,
    pub checks_timed: usize,
    pub passes: usize,
    pub allow_rate: f64,
    pub agreement_checked: usize,
    pub live_heap_bytes: usize,
}

/// casbin's figures.
#[derive(Debug, Default)]
pub struct CasbinReport {
    pub encoding: &'static str,
    pub build_ms: f64,
    pub enforcers: usize,
    /// `p` rules over all enforcers.
    pub policies: usize,
    /// `g` rules over all enforcers.
    pub groupings: usize,
    pub checks_per_sec: f64,
    pub checks_timed: usize,
    pub passes: usize,
    pub allow_rate: f64,
    pub agreement_checked: usize,
    pub live_heap_bytes: usize,
}

impl Report {
    /// Gatehouse's `check` throughput over Cedar's.
    #[must_use]
    pub fn ratio_vs_cedar(&self) -> Option<f64> {
        self.cedar.as_ref().map(|c| self.checks_per_sec / c.checks_per_sec)
    }

    /// Gatehouse's `check` throughput over casbin's.
    #[must_use]
    pub fn ratio_vs_casbin(&self) -> Option<f64> {
        self.casbin.as_ref().map(|c| self.checks_per_sec / c.checks_per_sec)
    }

    /// The run as one JSON object.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let cedar = self.cedar.as_ref();
        let mut value = json!({
            "scale": self.scale,
            "seed": self.seed,
            "checks": self.checks,
            "users": self.users,
            "groups": self.groups,
            "projects": self.projects,
            "members": self.members,
            "roles": self.roles,
            "generate_ms": round(self.generate_ms, 1),
            "allow_rate": round(self.allow_rate, 4),
            "decisions": self.decisions,
            "checks_per_sec": self.checks_per_sec.round(),
            "explain_checks_per_sec": self.explain_checks_per_sec.round(),
            "explain_vs_check": round(self.explain_checks_per_sec / self.checks_per_sec, 3),
            "batch_checks_per_sec": self.batch_checks_per_sec.round(),
            "batch_vs_check": round(self.batch_checks_per_sec / self.checks_per_sec, 3),
            "explain_agreement_checked": self.explain_agreement_checked,
            "cedar_checks_per_sec": cedar.map(|c| c.checks_per_sec.round()),
            "cedar_checks_timed": cedar.map(|c| c.checks_timed),
            "cedar_passes": cedar.map(|c| c.passes),
            "cedar_allow_rate": cedar.map(|c| round(c.allow_rate, 4)),
            "ratio_vs_cedar": self.ratio_vs_cedar().map(|r| round(r, 1)),
            "cedar_encoding": cedar.map(|c| c.encoding),
            "cedar_build_ms": cedar.map(|c| round(c.build_ms, 1)),
            "cedar_policies": cedar.map(|c| c.policies),
            "cedar_entities": cedar.map(|c| c.entities),
            "cedar_live_heap_bytes": cedar.map(|c| c.live_heap_bytes),
            "agreement_checked": cedar.map(|c| c.agreement_checked),
            "compile_ms": round(self.compile_ms, 1),
            "compile_runs": self.compile_runs,
            "apply": self.apply.iter().map(ApplyKind::to_json).collect::<Vec<_>>(),
            "apply_p99_us": round(self.apply_p99_us, 1),
            "apply_max_us": round(self.apply_max_us, 1),
            "apply_samples": self.apply_samples,
            "snapshot_bytes": self.snapshot_bytes,
            "access_heap_bytes": self.access_heap_bytes,
            "peak_rss_bytes": self.peak_rss_bytes,
        });
        if let Value::Object(map) = &mut value {
            map.extend(self.casbin_json());
        }
        value
    }

    /// casbin's figures, `casbin_`-prefixed keys of the run's JSON object
    /// (apart from it: one `json!` of every key overflows the macro's
    /// recursion limit).
    fn casbin_json(&self) -> Map<String, Value> {
        let casbin = self.casbin.as_ref();
        let value = json!({
            "casbin_checks_per_sec": casbin.map(|c| c.checks_per_sec.round()),
            "casbin_ns_per_check": casbin.map(|c| (1e9 / c.checks_per_sec).round()),
            "casbin_checks_timed": casbin.map(|c| c.checks_timed),
            "casbin_passes": casbin.map(|c| c.passes),
            "casbin_allow_rate": casbin.map(|c| round(c.allow_rate, 4)),
            "ratio_vs_casbin": self.ratio_vs_casbin().map(|r| round(r, 1)),
            "casbin_encoding": casbin.map(|c| c.encoding),
            "casbin_build_ms": casbin.map(|c| round(c.build_ms, 1)),
            "casbin_enforcers": casbin.map(|c| c.enforcers),
            "casbin_policies": casbin.map(|c| c.policies),
            "casbin_grouping_policies": casbin.map(|c| c.groupings),
            "casbin_live_heap_bytes": casbin.map(|c| c.live_heap_bytes),
            "casbin_agreement_checked": casbin.map(|c| c.agreement_checked),
        });
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// The run as a table.
    #[must_use]
    pub fn to_table(&self) -> String {
        let mut rows: Vec<(String, String)> = vec![
            (
                "workload".into(),
                format!(
                    "scale {}, seed {:#x}: {} users, {} groups, {} projects, {} members, {} roles; generated in {:.0} ms",
                    self.scale,
                    self.seed,
                    self.users,
                    self.groups,
                    self.projects,
                    self.members,
                    self.roles,
                    self.generate_ms
                ),
            ),
            (
                "checks".into(),
                format!("{} (allow rate {:.3})", self.checks, self.allow_rate),
            ),
            (
                "compile".into(),
                format!("{:.1} ms (best of {})", self.compile_ms, self.compile_runs),
            ),
            (
                "snapshot memory".into(),
                format!(
                    "{} live heap after compile; access tables {} (Snapshot::access_heap_bytes)",
                    mib(self.snapshot_bytes as f64),
                    mib(self.access_heap_bytes as f64)
                ),
            ),
            (
                "check".into(),
                format!(
                    "{} checks/s ({:.1} ns/check, best of {} passes, one thread)",
                    si(self.checks_per_sec),
                    1e9 / self.checks_per_sec,
                    self.check_passes
                ),
            ),
            (
                "check, batch".into(),
                format!(
                    "{} checks/s ({:.2}× check; Snapshot::check_each, prefetching ahead, same checks)",
                    si(self.batch_checks_per_sec),
                    self.batch_checks_per_sec / self.checks_per_sec,
                ),
            ),
            (
                "explain".into(),
                format!(
                    "{} checks/s ({:.2}× check; explain agrees with check on {} checks)",
                    si(self.explain_checks_per_sec),
                    self.explain_checks_per_sec / self.checks_per_sec,
                    self.explain_agreement_checked
                ),
            ),
        ];
        for kind in &self.apply {
            rows.push((
                format!("apply {}", kind.name),
                format!(
                    "median {:.1} µs, p99 {:.1} µs, max {:.1} µs ({} samples)",
                    kind.median_us, kind.p99_us, kind.max_us, kind.samples
                ),
            ));
        }
        rows.push((
            "apply, every kind".into(),
            format!(
                "p99 {:.1} µs, max {:.1} µs over {} samples (target: under 1 ms)",
                self.apply_p99_us, self.apply_max_us, self.apply_samples
            ),
        ));
        match &self.cedar {
            Some(c) => {
                rows.push(("cedar encoding".into(), c.encoding.to_owned()));
                rows.push((
                    "cedar build".into(),
                    format!(
                        "{:.0} ms: {} policies, {} entities, {} live heap",
                        c.build_ms,
                        c.policies,
                        c.entities,
                        mib(c.live_heap_bytes as f64)
                    ),
                ));
                peer_check_rows(
                    &mut rows,
                    ("cedar", "Cedar"),
                    PeerTiming {
                        checks_per_sec: c.checks_per_sec,
                        passes: c.passes,
                        checks_timed: c.checks_timed,
                        allow_rate: c.allow_rate,
                        agreement_checked: c.agreement_checked,
                    },
                    self.ratio_vs_cedar(),
                );
            }
            None => rows.push(("cedar".into(), "skipped (--no-peers)".into())),
        }
        match &self.casbin {
            Some(c) => {
                rows.push(("casbin encoding".into(), c.encoding.to_owned()));
                rows.push((
                    "casbin build".into(),
                    format!(
                        "{:.0} ms: {} enforcers, {} p rules, {} g rules, {} live heap",
                        c.build_ms,
                        c.enforcers,
                        c.policies,
                        c.groupings,
                        mib(c.live_heap_bytes as f64)
                    ),
                ));
                peer_check_rows(
                    &mut rows,
                    ("casbin", "casbin"),
                    PeerTiming {
                        checks_per_sec: c.checks_per_sec,
                        passes: c.passes,
                        checks_timed: c.checks_timed,
                        allow_rate: c.allow_rate,
                        agreement_checked: c.agreement_checked,
                    },
                    self.ratio_vs_casbin(),
                );
            }
            None => rows.push(("casbin".into(), "skipped (--no-peers)".into())),
        }
        if let Some(rss) = self.peak_rss_bytes {
            rows.push(("peak RSS".into(), mib(rss as f64)));
        }
        let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
        rows.iter().map(|(k, v)| format!("{k:<width$}  {v}\n")).collect()
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

fn si(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.2} k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// A peer's timed checks, as its table rows show them.
struct PeerTiming {
    checks_per_sec: f64,
    passes: usize,
    checks_timed: usize,
    allow_rate: f64,
    agreement_checked: usize,
}

/// A peer's check, agreement and ratio rows; `(key, name)` as the rows'
/// labels and the agreement line spell the peer.
fn peer_check_rows(rows: &mut Vec<(String, String)>, (key, name): (&str, &str), t: PeerTiming, ratio: Option<f64>) {
    rows.push((
        format!("{key} check"),
        format!(
            "{} checks/s ({:.0} ns/check, best of {} passes over the first {} checks, allow rate {:.3})",
            si(t.checks_per_sec),
            1e9 / t.checks_per_sec,
            t.passes,
            t.checks_timed,
            t.allow_rate
        ),
    ));
    rows.push((
        format!("{key} agreement"),
        format!("{name} = Gatehouse on {} checks", t.agreement_checked),
    ));
    if let Some(ratio) = ratio {
        rows.push((
            format!("ratio vs {key}"),
            format!("{ratio:.0}× (check, same checks, same run)"),
        ));
    }
}
