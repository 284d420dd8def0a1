//! Several instances on one PostgreSQL database, and faults (SPEC §8,
//! §6.3, §7): writes on each seen by the others; `min_revision` on a
//! lagging instance; revocations refused everywhere with `NOTIFY` off;
//! every connection of an instance killed while it serves. PostgreSQL only
//! (`GATEHOUSE_TEST_POSTGRES`; set and unreachable fails the test).
//!
//! Bounds here are generous (a shared, loaded machine); the measured
//! figures come from `gatehouse-bench cluster` (docs/operations.md).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gatehouse_server::Config;
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{Backend, TestServer, backends, spawn, start_with};

/// How long a change may take to reach another instance in these tests
/// (SPEC: 1 s; measured far below it, but the machine is shared).
const BOUND: Duration = Duration::from_secs(3);

/// The PostgreSQL backend, when `GATEHOUSE_TEST_POSTGRES` is set.
fn postgres() -> Option<Backend> {
    backends().into_iter().find(|b| matches!(b, Backend::Postgres(_)))
}

/// Another instance on `first`'s database, with `tweak` applied to its
/// configuration.
async fn sibling(first: &TestServer, tweak: impl FnOnce(&mut Config)) -> TestServer {
    let mut config = first.server.config().clone();
    tweak(&mut config);
    let (server, url) = spawn(config).await;
    TestServer {
        url,
        admin: first.admin.clone(),
        http: first.http.clone(),
        server,
        _dir: tempfile::tempdir().unwrap(),
        _database: None,
    }
}

/// Waits until `done` answers true; answers how long it took, and fails
/// the test past [`BOUND`].
async fn within<F, Fut>(what: &str, mut done: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < BOUND, "{what}: not within {BOUND:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// Whether `on` answers the admin's check of `action` in `project`/DEV.
async fn allowed(on: &TestServer, user: Option<&str>, project: &str) -> bool {
    let mut ask = json!({"action": "repository.read", "project": project, "environment": "DEV"});
    if let Some(user) = user {
        ask["user"] = json!(user);
    }
    let answer = on.post("/api/v1/check", &on.admin, &ask).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["allowed"] == true
}

async fn readyz(on: &TestServer) -> (u16, Value) {
    let answer = on.call(Method::GET, "/readyz", None, None).await;
    (answer.status.as_u16(), answer.body)
}

#[tokio::test(flavor = "multi_thread")]
async fn three_instances_see_each_others_writes_and_revocations_without_notify() {
    let Some(backend) = postgres() else { return };
    let a = start_with(&backend, |_| {}).await;
    // B and C hear nothing: polling alone must bring every change.
    let b = sibling(&a, |c| c.listen_notify = false).await;
    let c = sibling(&a, |c| c.listen_notify = false).await;
    let all = [&a, &b, &c];

    for (i, writer) in all.iter().enumerate() {
        let key = format!("p{i}");
        let created = writer
            .post(
                "/api/v1/projects",
                &writer.admin,
                &json!({"key": key, "display_name": key}),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        for reader in all {
            within(&format!("project {key} on {}", reader.url), || {
                allowed(reader, None, &key)
            })
            .await;
        }
    }

    // A revoked token: refused on B and C (no NOTIFY) within the bound.
    let token = a.post("/api/v1/tokens", &a.admin, &json!({})).await;
    let (secret, id) = (
        token.body["token"].as_str().unwrap().to_owned(),
        token.body["id"].as_str().unwrap().to_owned(),
    );
    for on in all {
        assert_eq!(on.get("/api/v1/me", &secret).await.status, 200);
    }
    let revoked = a
        .call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&a.admin), None)
        .await;
    assert_eq!(revoked.status, 204);
    for on in all {
        let took = within("revoked token refused", || async {
            on.get("/api/v1/me", &secret).await.status == 401
        })
        .await;
        eprintln!("revoked token refused on {} after {took:?}", on.url);
    }

    // A disabled user: refused on B and C.
    let dora = a.user("dora").await;
    for on in all {
        // A new user reaches the other instances as any write does.
        within("new user seen", || async {
            on.get("/api/v1/me", &dora).await.status == 200
        })
        .await;
    }
    let disabled = a.post("/api/v1/users/dora/disable", &a.admin, &json!({})).await;
    assert!(disabled.status.is_success(), "{:?}", disabled.body);
    for on in all {
        let took = within("disabled user refused", || async {
            on.get("/api/v1/me", &dora).await.status == 401
        })
        .await;
        eprintln!("disabled user refused on {} after {took:?}", on.url);
    }

    // A removed membership: no longer allowed on B and C.
    a.user("gina").await;
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/projects/p0/roles",
            json!({"name": "Reader", "categories": ["artifacts.read"], "environments": ["DEV"]}),
        ),
        (
            Method::PUT,
            "/api/v1/projects/p0/members/users/gina",
            json!({"roles": ["Reader"]}),
        ),
    ] {
        let answer = a.call(method, path, Some(&a.admin), Some(&body)).await;
        assert!(answer.status.is_success(), "{path}: {:?}", answer.body);
    }
    for on in all {
        within("membership seen", || allowed(on, Some("gina"), "p0")).await;
    }
    let removed = a
        .call(
            Method::DELETE,
            "/api/v1/projects/p0/members/users/gina",
            Some(&a.admin),
            None,
        )
        .await;
    assert!(removed.status.is_success(), "{:?}", removed.body);
    for on in all {
        let took = within("membership removed", || async {
            !allowed(on, Some("gina"), "p0").await
        })
        .await;
        eprintln!("removed membership refused on {} after {took:?}", on.url);
    }
    drop((b, c));
    a.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn min_revision_on_a_lagging_instance_waits_or_answers_stale_never_older() {
    let Some(backend) = postgres() else { return };
    let a = start_with(&backend, |_| {}).await;
    // Hears nothing and polls once a minute: it lags until asked.
    let lagging = sibling(&a, |c| {
        c.listen_notify = false;
        c.poll_interval_ms = 60_000;
    })
    .await;
    // Its follower probes the store once at start (covering the gap
    // between loading the model and listening); on a loaded machine that
    // probe can come after a first write, so write until it lags.
    let mut revision = 0;
    for attempt in 0..5 {
        let key = if attempt == 0 {
            "late".to_owned()
        } else {
            format!("late{attempt}")
        };
        let created = a
            .post("/api/v1/projects", &a.admin, &json!({"key": key, "display_name": key}))
            .await;
        assert_eq!(created.status, 201);
        revision = created.header("gatehouse-revision").unwrap().parse().unwrap();
        let (_, ready) = readyz(&lagging).await;
        if ready["snapshot_revision"].as_u64().unwrap() < revision {
            break;
        }
    }

    // Freshness is visible: the store is ahead of the snapshot.
    let (status, ready) = readyz(&lagging).await;
    assert_eq!(status, 200, "{ready}");
    assert!(ready["store_revision"].as_u64().unwrap() >= revision, "{ready}");
    assert!(ready["snapshot_revision"].as_u64().unwrap() < revision, "{ready}");
    assert!(ready["behind_revisions"].as_u64().unwrap() >= 1, "{ready}");
    assert_eq!(ready["stale"], true, "{ready}");
    assert!(ready["behind_since"].is_string(), "{ready}");
    let metrics = lagging.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);

    // Without min_revision: the lagging model, and it says which.
    let ask = json!({"action": "repository.read", "project": "late", "environment": "DEV"});
    let plain = lagging.post("/api/v1/check", &lagging.admin, &ask).await;
    assert_eq!(plain.status, 200);
    assert!(plain.body["revision"].as_u64().unwrap() < revision, "{:?}", plain.body);

    // With it: the instance catches up first.
    let mut fresh = ask.clone();
    fresh["min_revision"] = json!(revision);
    let answer = lagging.post("/api/v1/check", &lagging.admin, &fresh).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert!(answer.body["revision"].as_u64().unwrap() >= revision);
    assert_eq!(answer.body["allowed"], true);
    let (_, ready) = readyz(&lagging).await;
    assert_eq!(ready["stale"], false, "{ready}");

    // A revision no instance has: 503 `stale_snapshot` with Retry-After
    // after the bounded wait, never an answer from an older model.
    let mut future = ask.clone();
    future["min_revision"] = json!(revision + 1_000);
    let started = Instant::now();
    let answer = lagging.post("/api/v1/check", &lagging.admin, &future).await;
    assert_eq!(answer.status, 503, "{:?}", answer.body);
    assert_eq!(answer.code(), "stale_snapshot");
    assert!(answer.header("retry-after").is_some());
    assert!(started.elapsed() >= Duration::from_secs(2), "waits the bounded time");
    drop(lagging);
    a.finish().await;
}

/// The connections of the instance named `victim` in these tests.
const VICTIM: &str = "gh_victim";

#[tokio::test(flavor = "multi_thread")]
async fn every_connection_killed_while_serving_loses_nothing_and_listen_comes_back() {
    let Some(backend) = postgres() else { return };
    // The victim hears others only through NOTIFY (it polls once a minute),
    // so its seeing a later write proves that LISTEN came back.
    let a = start_with(&backend, |c| {
        let url = c.database_url.take().unwrap();
        let separator = if url.contains('?') { '&' } else { '?' };
        c.database_url = Some(format!("{url}{separator}application_name={VICTIM}"));
        c.poll_interval_ms = 60_000;
    })
    .await;
    let a = Arc::new(a);
    let database = a._database.clone().unwrap();
    let other = sibling(&a, |c| {
        c.database_url = Some(database.url.clone());
    })
    .await;

    let stop = Arc::new(AtomicBool::new(false));
    let checker = {
        let (a, stop) = (Arc::clone(&a), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let ask = json!({"action": "repository.read", "project": "k0", "environment": "DEV"});
                statuses.push(a.post("/api/v1/check", &a.admin, &ask).await.status.as_u16());
            }
            statuses
        })
    };
    let writer = {
        let (a, stop) = (Arc::clone(&a), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("k{i}");
                let answer = a
                    .post("/api/v1/projects", &a.admin, &json!({"key": key, "display_name": key}))
                    .await;
                let retry_after = answer.header("retry-after").is_some();
                answers.push((key, answer.status.as_u16(), retry_after));
                i += 1;
            }
            answers
        })
    };
    let mut ended = 0;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        ended += database.terminate_connections(VICTIM).await.unwrap();
    }
    assert!(ended > 0, "no connection of the victim was found to kill");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let checks = checker.await.unwrap();
    let writes = writer.await.unwrap();
    eprintln!(
        "killed {ended} connections; {} checks, {} writes: {:?}",
        checks.len(),
        writes.len(),
        count(writes.iter().map(|w| w.1))
    );
    assert!(checks.iter().all(|s| *s == 200), "checks failed: {:?}", count(checks));
    for (key, status, retry_after) in &writes {
        assert!(
            *status == 201 || (*status == 503 && *retry_after),
            "write {key}: {status} (retry-after: {retry_after})"
        );
    }

    // After recovery: writes succeed, /readyz is ready, LISTEN is back.
    let after = within("a write after the kills", || async {
        a.post(
            "/api/v1/projects",
            &a.admin,
            &json!({"key": "after", "display_name": "After"}),
        )
        .await
        .status
            == 201
    })
    .await;
    eprintln!("first write after the kills succeeded after {after:?}");
    assert_eq!(readyz(&a).await.0, 200);
    let heard = other
        .post(
            "/api/v1/projects",
            &other.admin,
            &json!({"key": "heard", "display_name": "Heard"}),
        )
        .await;
    assert_eq!(heard.status, 201);
    within("the victim hears another instance's write (LISTEN again)", || {
        allowed(&a, None, "heard")
    })
    .await;

    // Nothing half-applied: each acknowledged write is there, the audit
    // chain verifies, and the victim's model answers as a fresh load does.
    let fresh = sibling(&a, |c| c.database_url = Some(database.url.clone())).await;
    for (key, status, _) in &writes {
        let on_victim = allowed(&a, None, key).await;
        assert_eq!(
            on_victim,
            allowed(&fresh, None, key).await,
            "{key}: the victim's model differs"
        );
        if *status == 201 {
            assert!(on_victim, "{key} was acknowledged and is missing");
        }
    }
    let verified = gatehouse_domain::Store::verify_audit(a.server.app().store())
        .await
        .unwrap();
    assert!(verified.is_ok(), "the audit chain breaks at {verified:?}");
    drop((other, fresh));
    if let Ok(a) = Arc::try_unwrap(a) {
        a.finish().await;
    }
}

/// How many of each status.
fn count(statuses: impl IntoIterator<Item = u16>) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for status in statuses {
        *counts.entry(status).or_default() += 1;
    }
    counts
}
