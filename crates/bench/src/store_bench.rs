//! `gatehouse-bench store`: the SPEC §10 workload written into SQLite and
//! PostgreSQL through the real store, then single member-role assignments
//! committed one by one, `load_model()` timed, and the database measured.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use gatehouse_authz::{Model, RoleGrants, Snapshot};
use gatehouse_domain::commit::{AuditActor, AuditEntry, Commit, Mutation};
use gatehouse_domain::entities::{Environment, Group, Member, Principal, Project, Role, RoleMode, User};
use gatehouse_domain::names::{Description, DisplayName, Email, EnvName, GroupName, ProjectKey, RoleName, Username};
use gatehouse_domain::store::Store as _;
use gatehouse_store::{ScratchDatabase, Store};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::measure;
use gatehouse_workload as workload;

/// Options of `gatehouse-bench store`.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// Workload scale: 10,000·N users, 1,000·N groups, 500·N projects.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    scale: u32,
    /// Generator seed.
    #[arg(long, default_value_t = workload::DEFAULT_SEED)]
    seed: u64,
    /// Single member-role assignments to commit and time, per backend.
    #[arg(long, default_value_t = 2_000)]
    commits: usize,
    /// PostgreSQL server to create a scratch database on.
    #[arg(long, env = "GATEHOUSE_TEST_POSTGRES")]
    postgres: Option<String>,
    /// Skip PostgreSQL even when a server is named.
    #[arg(long)]
    no_postgres: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn audit(event: &str) -> AuditEntry {
    AuditEntry {
        actor: AuditActor {
            username: Some("bench".into()),
            ..AuditActor::default()
        },
        event: event.into(),
        target_type: "bench".into(),
        target_id: "workload".into(),
        project: None,
        before: None,
        after: None,
        request_id: None,
    }
}

fn principal(p: &gatehouse_authz::Principal) -> Result<Principal> {
    Ok(match p {
        gatehouse_authz::Principal::User(u) => Principal::User(Username::parse(u)?),
        gatehouse_authz::Principal::Group(g) => Principal::Group(GroupName::parse(g)?),
    })
}

fn role_names(roles: &[String]) -> Result<Vec<RoleName>> {
    let mut names = roles
        .iter()
        .map(|r| RoleName::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    names.sort();
    Ok(names)
}

/// The whole model as the mutations of one commit into an empty store.
fn load_commit(model: &Model, now: OffsetDateTime) -> Result<Commit> {
    load_commit_onto(model, &Model::default(), now, 0)
}

/// The model as the mutations of one commit into a store at `revision`
/// already holding `existing`: users, environments and roles it has (the
/// first start's `admin`, `DEV`, `PROD` and predefined roles) are skipped.
pub fn load_commit_onto(model: &Model, existing: &Model, now: OffsetDateTime, revision: u64) -> Result<Commit> {
    let has_user = |name: &str| existing.users.iter().any(|u| u.name == name);
    let has_env = |name: &str| existing.environments.iter().any(|e| e.name == name);
    let has_role = |name: &str, project: Option<&str>| {
        existing
            .roles
            .iter()
            .any(|r| r.name == name && r.project.as_deref() == project)
    };
    let mut m = Vec::new();
    for u in model.users.iter().filter(|u| !has_user(&u.name)) {
        let email = Email::parse(&format!("{}@bench.example", u.name))?;
        m.push(Mutation::CreateUser(User {
            kind: u.kind,
            status: u.status,
            admin: u.admin,
            account_permissions: u.account_permissions,
            ..User::new(Username::parse(&u.name)?, Some(email), now, None)
        }));
    }
    for g in &model.groups {
        let name = GroupName::parse(&g.name)?;
        m.push(Mutation::CreateGroup(Group {
            name: name.clone(),
            description: Description::default(),
            members: vec![],
            revision: 0,
            external_id: None,
            created_at: None,
            modified_at: None,
        }));
        for user in &g.members {
            m.push(Mutation::AddGroupMember(name.clone(), Username::parse(user)?));
        }
    }
    for p in &model.projects {
        m.push(Mutation::CreateProject(Project {
            key: ProjectKey::parse(&p.key)?,
            display_name: DisplayName::parse(&p.key)?,
            description: Description::default(),
            admin_privileges: p.admin_privileges,
            created_at: now,
            revision: 0,
        }));
    }
    for e in model.environments.iter().filter(|e| !has_env(&e.name)) {
        let project = e.project.as_deref().map(ProjectKey::parse).transpose()?;
        m.push(Mutation::CreateEnvironment(Environment {
            name: EnvName::from_trusted(&e.name),
            project,
        }));
    }
    for r in model.roles.iter().filter(|r| !has_role(&r.name, r.project.as_deref())) {
        let (mode, categories, actions) = match &r.grants {
            RoleGrants::Categories(c) => (RoleMode::Basic, c.clone(), vec![]),
            RoleGrants::Actions(a) => (RoleMode::Advanced, vec![], a.clone()),
        };
        m.push(Mutation::PutRole(Role {
            name: RoleName::parse(&r.name)?,
            project: r.project.as_deref().map(ProjectKey::parse).transpose()?,
            description: Description::default(),
            role_type: r.role_type,
            mode,
            categories,
            actions,
            environments: r.environments.iter().map(|e| EnvName::from_trusted(e)).collect(),
            revision: 0,
        }));
    }
    for member in &model.members {
        m.push(Mutation::SetMember(Member {
            project: ProjectKey::parse(&member.project)?,
            principal: principal(&member.principal)?,
            roles: role_names(&member.roles)?,
        }));
    }
    Ok(Commit {
        mutations: m,
        audit: audit("bench.loaded"),
        expected_revision: Some(revision),
    })
}

/// Mutations per commit of [`load_commits_onto`]: a commit's change-log
/// entry is one JSON value, and SQLite holds no value over 1 GB
/// (`SQLITE_MAX_LENGTH`); the scale-100 model is about 7 million mutations.
const LOAD_CHUNK: usize = 500_000;

/// [`load_commit_onto`] split into commits of at most [`LOAD_CHUNK`]
/// mutations, in order, each expecting the revision the one before it
/// made (one commit at scale 1).
pub fn load_commits_onto(model: &Model, existing: &Model, now: OffsetDateTime, revision: u64) -> Result<Vec<Commit>> {
    let whole = load_commit_onto(model, existing, now, revision)?;
    let mut commits = Vec::new();
    let mut mutations = whole.mutations.into_iter().peekable();
    while mutations.peek().is_some() {
        commits.push(Commit {
            mutations: mutations.by_ref().take(LOAD_CHUNK).collect(),
            audit: whole.audit.clone(),
            expected_revision: Some(revision + commits.len() as u64),
        });
    }
    Ok(commits)
}

/// `commits` single member-role assignments: user members of the model,
/// each given one role of its project (its first one, then the next).
fn assignments(model: &Model, commits: usize) -> Result<Vec<Member>> {
    let users: Vec<_> = model
        .members
        .iter()
        .filter(|m| matches!(m.principal, gatehouse_authz::Principal::User(_)))
        .collect();
    if users.is_empty() {
        bail!("the workload has no user members");
    }
    (0..commits)
        .map(|i| {
            let m = users[i * 7919 % users.len()];
            let pick = m.roles.get(i % m.roles.len()).cloned().unwrap_or_default();
            Ok(Member {
                project: ProjectKey::parse(&m.project)?,
                principal: principal(&m.principal)?,
                roles: vec![RoleName::parse(&pick)?],
            })
        })
        .collect()
}

async fn measure_backend(store: &Store, model: &Model, commits: usize) -> Result<Value> {
    let now = OffsetDateTime::now_utc();
    let load = load_commit(model, now)?;
    let started = Instant::now();
    let mut revision = store.commit(&load, now).await.context("loading the workload")?;
    let load_ms = measure::ms(started.elapsed());

    let work = assignments(model, commits)?;
    let mut latencies: Vec<Duration> = Vec::with_capacity(commits);
    let started = Instant::now();
    for member in work {
        let commit = Commit {
            mutations: vec![Mutation::SetMember(member)],
            audit: audit("member.updated"),
            expected_revision: Some(revision),
        };
        let one = Instant::now();
        revision = store
            .commit(&commit, OffsetDateTime::now_utc())
            .await
            .context("committing an assignment")?;
        latencies.push(one.elapsed());
    }
    let commits_per_sec = measure::per_second(commits, started.elapsed());
    latencies.sort_unstable();

    let mut best = f64::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let (loaded, at) = store.load_model().await?;
        best = best.min(measure::ms(started.elapsed()));
        if at != revision || loaded.members.len() != model.members.len() {
            bail!(
                "load_model answered revision {at} with {} members",
                loaded.members.len()
            );
        }
    }
    Ok(json!({
        "initial_load_ms": load_ms,
        "commits_per_sec": commits_per_sec,
        "commit_p50_ms": measure::quantile_ms(&latencies, 0.50),
        "commit_p99_ms": measure::quantile_ms(&latencies, 0.99),
        "load_model_ms": best,
        "database_bytes": store.size_bytes().await?,
    }))
}

/// Runs the store benchmark; answers one JSON object.
pub fn run(args: &StoreArgs) -> Result<Value> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let w = workload::reference(args.scale as usize, args.seed, 0)?;
        // The snapshot side of a bulk import: the whole load as one commit's
        // changes, applied incrementally to an empty snapshot.
        let load = load_commit(&w.model, OffsetDateTime::now_utc())?;
        let started = Instant::now();
        let snapshot = Snapshot::empty(w.catalogue.clone()).apply_all(&load.model_changes())?;
        let snapshot_apply_load_ms = measure::ms(started.elapsed());
        drop(snapshot);
        let dir = tempfile::tempdir()?;
        let sqlite = Store::open(&format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display())).await?;
        let sq = measure_backend(&sqlite, &w.model, args.commits).await?;
        sqlite.close().await;
        let pg = match (&args.postgres, args.no_postgres) {
            (Some(admin), false) => {
                let suffix = format!("bench_{}", std::process::id());
                let scratch = ScratchDatabase::create(admin, &suffix)
                    .await
                    .context("creating a PostgreSQL database")?;
                let store = Store::open(&scratch.url).await?;
                let result = measure_backend(&store, &w.model, args.commits).await;
                store.close().await;
                scratch.drop_database().await?;
                Some(result?)
            }
            _ => None,
        };
        let field = |v: &Option<Value>, k: &str| v.as_ref().map_or(Value::Null, |v| v[k].clone());
        Ok(json!({
            "scale": args.scale,
            "users": w.model.users.len(),
            "members": w.model.members.len(),
            "commits": args.commits,
            "snapshot_apply_load_ms": snapshot_apply_load_ms,
            "sqlite_commits_per_sec": sq["commits_per_sec"],
            "sqlite_commit_p50_ms": sq["commit_p50_ms"],
            "sqlite_commit_p99_ms": sq["commit_p99_ms"],
            "sqlite_load_model_ms": sq["load_model_ms"],
            "sqlite_initial_load_ms": sq["initial_load_ms"],
            "sqlite_database_bytes": sq["database_bytes"],
            "pg_commits_per_sec": field(&pg, "commits_per_sec"),
            "pg_commit_p50_ms": field(&pg, "commit_p50_ms"),
            "pg_commit_p99_ms": field(&pg, "commit_p99_ms"),
            "pg_load_model_ms": field(&pg, "load_model_ms"),
            "pg_initial_load_ms": field(&pg, "initial_load_ms"),
            "pg_database_bytes": field(&pg, "database_bytes"),
        }))
    })
}

/// A table for people.
pub fn table(v: &Value) -> String {
    let mut out = format!(
        "workload      scale {}: {} users, {} members; {} single member-role assignments per backend\n\
         snapshot      the whole load applied as one commit's changes: {:.0} ms\n",
        v["scale"],
        v["users"],
        v["members"],
        v["commits"],
        v["snapshot_apply_load_ms"].as_f64().unwrap_or_default()
    );
    for (name, prefix) in [("SQLite", "sqlite"), ("PostgreSQL", "pg")] {
        if v[format!("{prefix}_commits_per_sec")].is_null() {
            out.push_str(&format!("{name:<13} skipped (no server)\n"));
            continue;
        }
        out.push_str(&format!(
            "{name:<13} {:.0} commits/s (p50 {:.2} ms, p99 {:.2} ms); load_model {:.0} ms; initial load {:.0} ms; \
             database {:.1} MiB\n",
            v[format!("{prefix}_commits_per_sec")].as_f64().unwrap_or_default(),
            v[format!("{prefix}_commit_p50_ms")].as_f64().unwrap_or_default(),
            v[format!("{prefix}_commit_p99_ms")].as_f64().unwrap_or_default(),
            v[format!("{prefix}_load_model_ms")].as_f64().unwrap_or_default(),
            v[format!("{prefix}_initial_load_ms")].as_f64().unwrap_or_default(),
            v[format!("{prefix}_database_bytes")].as_f64().unwrap_or_default() / 1_048_576.0,
        ));
    }
    out
}
