//! `gatehouse-bench ui`: the server time of the web UI's main pages, each
//! beside the `/api/v1` request that answers the same data, on the SPEC §10
//! workload served over HTTP on 127.0.0.1 (as `gatehouse-bench http` serves
//! it). One session cookie, from `POST /api/v1/auth/login`, is sent by the
//! page and by its API twin, so that both pass the same guard. Each request
//! is sent over and over on one keep-alive connection (one at a time, so a
//! latency is the server's time plus one loopback round trip, the same for
//! both), and every answer must be a 200 holding a text that proves it is
//! the page asked for. Answers one JSON line: median and p99 of each.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::header::{CONTENT_TYPE, HOST, SET_COOKIE};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::http_bench::{ADMIN_PASSWORD, ServedArgs, round};
use crate::load::{self, Measured, Phase};
use crate::measure;
use gatehouse_authz::Model;
use gatehouse_workload as workload;

/// The aims of the issue: a page's median at scale 1, a users page at any
/// scale.
const AIM_PAGE_MEDIAN_MS: f64 = 5.0;
const AIM_USERS_PAGE_MS: f64 = 20.0;

/// Rows per page of the UI's lists, asked of the API too.
const PAGE_SIZE: u32 = 50;

/// Options of `gatehouse-bench ui`.
#[derive(clap::Args)]
pub struct UiArgs {
    #[command(flatten)]
    served: ServedArgs,
    /// Only the User Management pages (the list, a search, a filter, one
    /// user), as for a run at scale 100.
    #[arg(long)]
    users_only: bool,
    /// Timed seconds of each page and of each API twin (after the warm-up).
    #[arg(long, default_value_t = 2)]
    seconds: u64,
    /// Warm-up seconds of each.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
}

/// Progress goes to stderr, so that stdout holds only the result.
macro_rules! progress {
    ($($arg:tt)*) => { eprintln!("[bench] {}", format_args!($($arg)*)) };
}

/// One request of a pair: what is sent and a text its answer must hold.
struct Request1 {
    method: Method,
    path: String,
    body: Bytes,
    needle: String,
}

impl Request1 {
    fn get(path: String, needle: &str) -> Self {
        Self {
            method: Method::GET,
            path,
            body: Bytes::new(),
            needle: needle.to_owned(),
        }
    }
}

/// A page of the UI and the API request answering the same data.
struct Pair {
    name: &'static str,
    users_page: bool,
    page: Request1,
    api: Request1,
}

/// `value` as one query-string parameter value.
fn escaped(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `value` as one path segment (a space is `%20` there, not `+`; a `+`
/// of the value is already `%2B`).
fn segment(value: &str) -> String {
    escaped(value).replace('+', "%20")
}

/// The pages measured, with names taken from the served model.
fn pairs(model: &Model, w: &workload::Workload) -> Result<Vec<Pair>> {
    let project = model.projects.first().context("the workload has no project")?;
    let key = project.key.as_str();
    let role = model
        .roles
        .iter()
        .find(|r| r.project.as_deref() == Some(key))
        .or_else(|| model.roles.iter().find(|r| r.project.is_none()))
        .context("the workload has no role")?;
    let role_page = match &role.project {
        Some(p) => format!("/projects/{p}/roles/{}", segment(&role.name)),
        None => format!("/roles/{}", segment(&role.name)),
    };
    let role_api = match &role.project {
        Some(p) => format!("/api/v1/projects/{p}/roles/{}", segment(&role.name)),
        None => format!("/api/v1/roles/{}", segment(&role.name)),
    };
    let user = model
        .users
        .iter()
        .find(|u| !u.admin)
        .context("the workload has no user")?;
    let name = user.name.as_str();
    // A search that finds a handful: the user's name but its last character.
    let needle = &name[..name.len().saturating_sub(1).max(1)];
    let check = w.checks.first().context("the workload has no check")?;
    let mut check_page = format!(
        "/check?user={}&project={}&action={}",
        escaped(&check.user),
        escaped(&check.project),
        escaped(&check.action)
    );
    let mut check_body = json!({"user": check.user, "project": check.project, "action": check.action, "explain": true});
    if let Some(environment) = &check.environment {
        check_page.push_str(&format!("&environment={}", escaped(environment)));
        check_body["environment"] = json!(environment);
    }
    let limit = format!("limit={PAGE_SIZE}");
    let pair = |name, users_page, page: Request1, api: Request1| Pair {
        name,
        users_page,
        page,
        api,
    };
    let get = Request1::get;
    Ok(vec![
        pair(
            "users",
            true,
            get("/users".to_owned(), "User Management"),
            get(format!("/api/v1/users?{limit}"), "\"items\""),
        ),
        pair(
            "users_search",
            true,
            get(format!("/users?q={}", escaped(needle)), name),
            get(format!("/api/v1/users?q={}&{limit}", escaped(needle)), name),
        ),
        pair(
            "users_disabled",
            true,
            get("/users?status=disabled".to_owned(), "User Management"),
            get(format!("/api/v1/users?status=disabled&{limit}"), "\"items\""),
        ),
        pair(
            "user",
            true,
            get(format!("/users/{}", segment(name)), name),
            // The page also computes the user's effective permissions in
            // each of its projects (up to 20), which the profile does not.
            get(format!("/api/v1/users/{}", segment(name)), name),
        ),
        pair(
            "projects",
            false,
            get("/projects".to_owned(), key),
            get(format!("/api/v1/projects?{limit}"), key),
        ),
        pair(
            "project",
            false,
            get(format!("/projects/{key}"), key),
            get(format!("/api/v1/projects/{key}"), key),
        ),
        pair(
            "project_members",
            false,
            get(format!("/projects/{key}/members"), key),
            get(format!("/api/v1/projects/{key}/members?{limit}"), "\"items\""),
        ),
        pair(
            "project_roles",
            false,
            get(format!("/projects/{key}/roles"), key),
            get(format!("/api/v1/projects/{key}/roles"), "\"items\""),
        ),
        pair(
            "role_editor",
            false,
            get(role_page, &role.name),
            get(role_api, &role.name),
        ),
        pair(
            "groups",
            false,
            get("/groups".to_owned(), "Groups"),
            get(format!("/api/v1/groups?{limit}"), "\"items\""),
        ),
        pair(
            "audit",
            false,
            get("/audit".to_owned(), "Audit log"),
            get(format!("/api/v1/audit?{limit}"), "\"items\""),
        ),
        pair(
            "check",
            false,
            get(check_page, &check.action),
            Request1 {
                method: Method::POST,
                path: "/api/v1/check".to_owned(),
                body: Bytes::from(serde_json::to_vec(&check_body)?),
                needle: "\"allowed\"".to_owned(),
            },
        ),
        pair(
            "environments",
            false,
            get("/environments".to_owned(), "PROD"),
            get("/api/v1/environments".to_owned(), "PROD"),
        ),
        pair(
            "tokens",
            false,
            get("/tokens".to_owned(), "My tokens"),
            get("/api/v1/tokens".to_owned(), "\"items\""),
        ),
        pair(
            "settings",
            false,
            get("/settings".to_owned(), "Settings"),
            get("/api/v1/settings".to_owned(), "{"),
        ),
    ])
}

/// Logs the first admin in through `POST /api/v1/auth/login`; answers the
/// `Cookie` header value of its session and the session's CSRF token.
async fn session(addr: SocketAddr) -> Result<(String, String)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let body = json!({"username": "admin", "password": ADMIN_PASSWORD});
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header(HOST, "127.0.0.1")
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(serde_json::to_vec(&body)?)))?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gatehouse_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let answer = response.into_body().collect().await?.to_bytes();
    if status != 200 {
        bail!(
            "POST /api/v1/auth/login answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    let answer: Value = serde_json::from_slice(&answer)?;
    let csrf = answer["csrf_token"].as_str().context("no `csrf_token` in the answer")?;
    Ok((cookie.context("no session cookie in the answer")?, csrf.to_owned()))
}

/// Times one request over one connection.
async fn time(
    addr: SocketAddr,
    r: &Request1,
    cookie: &str,
    csrf: &str,
    warmup: Duration,
    window: Duration,
) -> Result<Measured> {
    let phase = Phase {
        method: r.method.clone(),
        path: "ui",
        headers: vec![("cookie", cookie.to_owned()), ("x-csrf-token", csrf.to_owned())],
        bodies: vec![r.body.clone()].into(),
        expected: Arc::new([]),
        paths: vec![r.path.clone()].into(),
        needles: vec![r.needle.clone()].into(),
    };
    load::run(addr, Arc::new(phase), 1, warmup, window)
        .await
        .with_context(|| format!("{} {}", r.method, r.path))
}

/// Runs the UI benchmark; answers one JSON object.
pub fn run(args: &UiArgs) -> Result<Value> {
    ensure!(args.seconds > 0, "--seconds must be at least 1");
    let (w, running) = args.served.served(100)?;
    let pairs: Vec<Pair> = pairs(&w.model, &w)?
        .into_iter()
        .filter(|p| p.users_page || !args.users_only)
        .collect();
    let client = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let warmup = Duration::from_secs(args.warmup);
    let window = Duration::from_secs(args.seconds);
    let addr = running.addr;
    let measured = client.block_on(async {
        let (cookie, csrf) = session(addr).await?;
        let mut measured = Vec::with_capacity(pairs.len());
        for p in &pairs {
            progress!("{}: {} beside {} {}", p.name, p.page.path, p.api.method, p.api.path);
            let page = time(addr, &p.page, &cookie, &csrf, warmup, window).await?;
            let api = time(addr, &p.api, &cookie, &csrf, warmup, window).await?;
            measured.push((page, api));
        }
        anyhow::Ok(measured)
    })?;
    let load_ms = running.load_ms;
    let crate::http_bench::Running { runtime, _dir, .. } = running;
    runtime.shutdown_background();
    drop(_dir);

    let mut rows = serde_json::Map::new();
    let mut aims_met = true;
    for (p, (page, api)) in pairs.iter().zip(&measured) {
        let median = page.quantile_ms(0.5);
        let p99 = page.quantile_ms(0.99);
        let aim = if p.users_page {
            AIM_USERS_PAGE_MS
        } else {
            AIM_PAGE_MEDIAN_MS
        };
        let met = if p.users_page {
            p99 < aim && median < aim
        } else {
            median < aim
        };
        aims_met &= met;
        rows.insert(
            p.name.to_owned(),
            json!({
                "page": p.page.path,
                "page_median_ms": round(median, 3),
                "page_p99_ms": round(p99, 3),
                "page_requests": page.requests,
                "api": format!("{} {}", p.api.method, p.api.path),
                "api_median_ms": round(api.quantile_ms(0.5), 3),
                "api_p99_ms": round(api.quantile_ms(0.99), 3),
                "page_vs_api_median": round(median / api.quantile_ms(0.5).max(f64::MIN_POSITIVE), 2),
                "aim_ms": aim,
                "met": met,
            }),
        );
    }
    Ok(json!({
        "bench": "ui",
        "scale": args.served.scale,
        "seed": w.seed,
        "users": w.model.users.len(),
        "projects": w.model.projects.len(),
        "load_ms": load_ms.round(),
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "server_threads": args.served.server_threads,
        "pages": rows,
        "aims_met": aims_met,
        "peak_rss_bytes": measure::peak_rss_bytes(),
    }))
}
