//! A real proxy in front (SPEC §8.1): nginx with upstream keep-alive in
//! front of two `gatehouse serve` on one PostgreSQL database. A load of
//! checks, writes and refusals of every kind through nginx gets no 502/504
//! and no connection error — also while the two instances are restarted one
//! after the other (SIGTERM, start again, then the other).
//!
//! Needs nginx (`apt-get install -y nginx`, done by .ci/run) and
//! `GATEHOUSE_TEST_POSTGRES`; says loudly when either is missing.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse_store::ScratchDatabase;

use crate::host_cli::read_response;

const NGINX: &str = "/usr/sbin/nginx";

/// Password attempts a client address may make a minute, on each instance:
/// low, so that the per-client check below spends a bucket quickly.
const LOGINS_PER_MINUTE: u32 = 5;

/// A free port of 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_instance(dir: &Path, port: u16, database_url: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("serve")
        .current_dir(dir)
        .env("GATEHOUSE_DATABASE_URL", database_url)
        .env("GATEHOUSE_ADMIN_PASSWORD", crate::client_cli::ADMIN_PASSWORD)
        .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_DATA_DIR", dir.join(format!("data-{port}")))
        .env("GATEHOUSE_TRUSTED_PROXIES", "127.0.0.1")
        .env("GATEHOUSE_LOGIN_ATTEMPTS_PER_MINUTE", LOGINS_PER_MINUTE.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    crate::serve_cli::listening(&mut child);
    child
}

fn request(addr: &str, method: &str, path: &str, headers: &str, body: &str) -> Option<(u16, String, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: g\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    read_response(&mut stream)
}

/// A wrong login sent to `addr` from the local address `source` (any
/// 127.x.y.z: every one of them is this machine), as a client of its own.
fn wrong_login_from(source: &str, addr: &str, attempt: usize) -> u16 {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let from: std::net::SocketAddr = format!("{source}:0").parse().unwrap();
    socket.bind(&from.into()).unwrap();
    let to: std::net::SocketAddr = addr.parse().unwrap();
    socket.connect(&to.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    let body = format!(r#"{{"username": "nobody-{source}-{attempt}", "password": "not the password at all"}}"#);
    write!(
        stream,
        "POST /api/v1/auth/token HTTP/1.1\r\nhost: g\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    read_response(&mut stream).unwrap().0
}

fn wait_ready(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while request(addr, "GET", "/readyz", "", "").map(|r| r.0) != Some(200) {
        assert!(Instant::now() < deadline, "{addr} never ready");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(child: &mut Child) {
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "an instance did not exit 0 after SIGTERM: {status:?}");
}

fn nginx_conf(dir: &Path, port: u16, upstreams: [u16; 2]) -> String {
    let d = dir.display();
    format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           upstream gatehouse {{\n    server 127.0.0.1:{a} max_fails=0;\n    server 127.0.0.1:{b} max_fails=0;\n\
             keepalive 16;\n    keepalive_timeout 60s;\n  }}\n\
           server {{\n    listen 127.0.0.1:{port};\n    client_max_body_size 1m;\n\
             location / {{\n      proxy_pass http://gatehouse;\n      proxy_http_version 1.1;\n\
               proxy_set_header Connection \"\";\n      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
               proxy_set_header X-Forwarded-Proto $scheme;\n      proxy_request_buffering off;\n\
               proxy_next_upstream error timeout;\n    }}\n  }}\n}}\n",
        a = upstreams[0],
        b = upstreams[1],
    )
}

/// The load: each worker keeps one connection to nginx and sends, in turn,
/// a check, a write, and a refusal of each kind, counting every status.
fn load(addr: String, token: String, stop: Arc<AtomicBool>, seen: Arc<Mutex<BTreeMap<String, u64>>>, worker: usize) {
    let auth = format!("authorization: Bearer {token}\r\n");
    let json = "content-type: application/json\r\n";
    let mut n = 0u64;
    let mut stream: Option<TcpStream> = None;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let (method, path, headers, body) = match n % 8 {
            0 => (
                "POST",
                "/api/v1/check".to_owned(),
                format!("{auth}{json}"),
                r#"{"action": "repository.read", "project": "nope"}"#.to_owned(),
            ),
            1 => (
                "POST",
                "/api/v1/groups".to_owned(),
                format!("{auth}{json}"),
                format!(r#"{{"name": "g-{worker}-{n}"}}"#),
            ),
            2 => (
                "POST",
                "/api/v1/environments".to_owned(),
                format!("authorization: Bearer \r\n{json}"),
                r#"{"name": "X"}"#.to_owned(),
            ),
            3 => (
                "POST",
                "/api/v1/nope".to_owned(),
                format!("{auth}{json}"),
                r#"{"a": 1}"#.to_owned(),
            ),
            4 => (
                "PUT",
                "/api/v1/check".to_owned(),
                format!("{auth}{json}"),
                r#"{"a": 1}"#.to_owned(),
            ),
            5 => (
                "POST",
                "/api/v1/groups".to_owned(),
                format!("{auth}{json}"),
                r#"{"name": "#.to_owned(),
            ),
            6 => (
                "POST",
                "/api/v1/groups".to_owned(),
                format!("{auth}{json}"),
                r#"{"nmae": "x"}"#.to_owned(),
            ),
            _ => ("GET", "/api/v1/me".to_owned(), auth.clone(), String::new()),
        };
        let conn = match stream.as_mut() {
            Some(conn) => conn,
            None => match TcpStream::connect(&addr) {
                Ok(conn) => stream.insert(conn),
                Err(_) => {
                    *seen.lock().unwrap().entry("connect error".to_owned()).or_default() += 1;
                    continue;
                }
            },
        };
        let sent = write!(
            conn,
            "{method} {path} HTTP/1.1\r\nhost: g\r\n{headers}content-length: {}\r\n\r\n{body}",
            body.len()
        );
        let answer = sent.ok().and_then(|()| read_response(conn));
        let key = match &answer {
            Some((status, _, _)) => status.to_string(),
            None => "connection error".to_owned(),
        };
        *seen.lock().unwrap().entry(key).or_default() += 1;
        if answer.is_none_or(|(_, head, _)| head.contains("connection: close")) {
            stream = None;
        }
    }
}

#[test]
fn nginx_in_front_of_two_instances_loses_nothing_through_a_rolling_restart() {
    let Ok(admin_url) = std::env::var("GATEHOUSE_TEST_POSTGRES") else {
        eprintln!("\n!!!!! SKIPPED: GATEHOUSE_TEST_POSTGRES is not set; the nginx test did NOT run.\n");
        return;
    };
    assert!(
        Path::new(NGINX).exists(),
        "nginx is not installed: `apt-get install -y nginx` (.ci/run does) — this test never skips itself"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let suffix = format!("proxy{}", std::process::id());
    let database = runtime.block_on(ScratchDatabase::create(&admin_url, &suffix)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ports = [free_port(), free_port()];
    let mut a = start_instance(dir.path(), ports[0], &database.url);
    wait_ready(&format!("127.0.0.1:{}", ports[0]));
    let mut b = start_instance(dir.path(), ports[1], &database.url);
    wait_ready(&format!("127.0.0.1:{}", ports[1]));

    let nginx_port = free_port();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, nginx_conf(dir.path(), nginx_port, ports)).unwrap();
    let mut nginx = Command::new(NGINX)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proxy = format!("127.0.0.1:{nginx_port}");
    wait_ready(&proxy);

    let body = format!(
        r#"{{"username": "admin", "password": "{}"}}"#,
        crate::client_cli::ADMIN_PASSWORD
    );
    let (status, _, answer) = request(
        &proxy,
        "POST",
        "/api/v1/auth/token",
        "content-type: application/json\r\n",
        &body,
    )
    .unwrap();
    assert_eq!(status, 201, "{answer}");
    let token: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let token = token["token"].as_str().unwrap().to_owned();

    let run = |seconds: u64, restart: &mut dyn FnMut()| {
        let halt = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let workers: Vec<_> = (0..6)
            .map(|w| {
                let (proxy, token, halt, seen) = (proxy.clone(), token.clone(), Arc::clone(&halt), Arc::clone(&seen));
                std::thread::spawn(move || load(proxy, token, halt, seen, w))
            })
            .collect();
        let started = Instant::now();
        restart();
        while started.elapsed() < Duration::from_secs(seconds) {
            std::thread::sleep(Duration::from_millis(100));
        }
        halt.store(true, Ordering::SeqCst);
        for worker in workers {
            worker.join().unwrap();
        }
        Arc::try_unwrap(seen).unwrap().into_inner().unwrap()
    };

    let steady = run(10, &mut || {});
    eprintln!("through nginx, steady: {steady:?}");
    let rolling = run(10, &mut || {
        std::thread::sleep(Duration::from_millis(500));
        stop(&mut a);
        a = start_instance(dir.path(), ports[0], &database.url);
        wait_ready(&format!("127.0.0.1:{}", ports[0]));
        stop(&mut b);
        b = start_instance(dir.path(), ports[1], &database.url);
        wait_ready(&format!("127.0.0.1:{}", ports[1]));
    });
    eprintln!("through nginx, rolling restart: {rolling:?}");

    // Rate limits apply per real client (SPEC §8.1): a client behind nginx
    // that spends its bucket is refused, another is not — the instances
    // see each by X-Forwarded-For, not as nginx's one address.
    let mut spent = Vec::new();
    for attempt in 0..4 * LOGINS_PER_MINUTE as usize {
        spent.push(wrong_login_from("127.0.0.3", &proxy, attempt));
        if spent.last() == Some(&429) {
            break;
        }
    }
    assert_eq!(spent.last(), Some(&429), "a client spending its bucket: {spent:?}");
    assert!(
        spent.iter().take(LOGINS_PER_MINUTE as usize).all(|s| *s == 401),
        "{spent:?}"
    );
    assert_eq!(
        wrong_login_from("127.0.0.4", &proxy, 0),
        401,
        "another client behind the same proxy has a bucket of its own"
    );

    // SIGTERM, not SIGKILL: the master stops its workers (a killed master
    // would leave them running).
    let _ = Command::new("kill").args(["-TERM", &nginx.id().to_string()]).status();
    let _ = nginx.wait();
    stop(&mut a);
    stop(&mut b);
    runtime.block_on(database.drop_database()).unwrap();

    for (phase, seen) in [("steady", &steady), ("rolling restart", &rolling)] {
        for bad in ["502", "503", "504", "connection error", "connect error"] {
            assert_eq!(seen.get(bad), None, "{phase}: {bad} in {seen:?}");
        }
        for kind in ["200", "201", "400", "401", "404", "405", "422"] {
            assert!(seen.get(kind).is_some_and(|n| *n > 0), "{phase}: no {kind} in {seen:?}");
        }
    }
}
