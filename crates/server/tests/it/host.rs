//! The HTTP host (SPEC §8.1): refusals keep keep-alive connections usable,
//! the client address behind trusted proxies, connection caps and
//! timeouts, graceful shutdown, native TLS — over raw sockets, as a proxy
//! talks to us.

use std::time::{Duration, Instant};

use gatehouse_server::Config;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::spawn::{ADMIN_PASSWORD, start_with};

/// One response read off a raw connection.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// An HTTP/1.1 connection driven by hand.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(url: &str) -> Self {
        let addr = url.trim_start_matches("http://");
        Self {
            stream: TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        }
    }

    /// Sends a request: the head, then (after `pause`, as Python's
    /// `http.client` sends it in a second write) the body.
    pub async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8], pause: Duration) {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: gatehouse\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length")) {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        self.stream.write_all(head.as_bytes()).await.unwrap();
        if !body.is_empty() {
            tokio::time::sleep(pause).await;
            // The server may have closed after a refusal; the read says so.
            let _ = self.stream.write_all(body).await;
        }
    }

    /// Reads one response; `None` when the connection was closed first.
    pub async fn read(&mut self) -> Option<Raw> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut parsed = httparse::Response::new(&mut headers);
            if let Ok(httparse::Status::Complete(head_len)) = parsed.parse(&self.buf) {
                let status = parsed.code.unwrap_or_default();
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|h| (h.name.to_owned(), String::from_utf8_lossy(h.value).into_owned()))
                    .collect();
                let raw = Raw {
                    status,
                    headers,
                    body: Vec::new(),
                };
                let chunked = raw.header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
                let length: usize = raw.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                let mut rest = self.buf.split_off(head_len);
                self.buf.clear();
                let body = if chunked {
                    self.read_chunked(&mut rest).await?
                } else {
                    while rest.len() < length {
                        let mut chunk = [0u8; 16 * 1024];
                        let n = self.stream.read(&mut chunk).await.ok()?;
                        if n == 0 {
                            return None;
                        }
                        rest.extend_from_slice(&chunk[..n]);
                    }
                    self.buf = rest.split_off(length);
                    rest
                };
                return Some(Raw { body, ..raw });
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = match tokio::time::timeout(Duration::from_secs(20), self.stream.read(&mut chunk)).await {
                Ok(Ok(n)) => n,
                Ok(Err(_)) => 0,
                Err(_) => unreachable!("no response within 20 s"),
            };
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn read_chunked(&mut self, rest: &mut Vec<u8>) -> Option<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            if let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
                let size_text = String::from_utf8_lossy(&rest[..line_end]).trim().to_owned();
                let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0"), 16).ok()?;
                if rest.len() >= line_end + 2 + size + 2 {
                    body.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
                    rest.drain(..line_end + 2 + size + 2);
                    if size == 0 {
                        self.buf = std::mem::take(rest);
                        return Some(body);
                    }
                    continue;
                }
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            rest.extend_from_slice(&chunk[..n]);
        }
    }

    /// Whether the server closed the connection within `within`, sending nothing.
    pub async fn closed_within(&mut self, within: Duration) -> bool {
        let mut chunk = [0u8; 1024];
        matches!(
            tokio::time::timeout(within, self.stream.read(&mut chunk)).await,
            Ok(Ok(0) | Err(_))
        )
    }
}

/// `GET /healthz` on `conn`, which must answer 200.
async fn healthy(conn: &mut Conn, after: &str) {
    conn.send("GET", "/healthz", &[], b"", Duration::ZERO).await;
    let answer = conn.read().await;
    assert!(
        answer.is_some(),
        "after {after}: the connection was closed without `Connection: close`"
    );
    assert_eq!(answer.map(|a| a.status), Some(200), "after {after}");
}

/// A refusal: status, method, path, headers, body.
type Case<'a> = (u16, &'a str, &'a str, Vec<(&'a str, &'a str)>, &'a [u8]);

#[tokio::test]
async fn every_refusal_leaves_the_keep_alive_connection_usable() {
    // Three attempts a minute: the admin's login, the user's, one refused.
    let t = start_with(&crate::spawn::Backend::Sqlite, |c| c.login_attempts_per_minute = 3).await;
    let user = t.user("plain").await;
    let admin = format!("Bearer {}", t.admin);
    let user = format!("Bearer {user}");
    let json = ("Content-Type", "application/json");
    let body = br#"{"name": "PROD", "description": "a body the refusal does not read"}"#.as_slice();
    // Each refusal kind with a JSON body the handler does not (fully) read;
    // the body arrives in a second write, after the head, as Python's
    // http.client and streaming proxies send it.
    let cases: Vec<Case<'_>> = vec![
        (
            401,
            "POST",
            "/api/v1/environments",
            vec![("Authorization", "Bearer "), json],
            body,
        ),
        (
            401,
            "POST",
            "/api/v1/environments",
            vec![("Authorization", "Bearer "), json],
            body,
        ),
        (
            401,
            "POST",
            "/api/v1/environments",
            vec![("Authorization", "Bearer "), json],
            body,
        ),
        (
            403,
            "POST",
            "/api/v1/environments",
            vec![("Authorization", &user), json],
            body,
        ),
        (
            404,
            "POST",
            "/api/v1/no-such-route",
            vec![("Authorization", &admin), json],
            body,
        ),
        (405, "PUT", "/api/v1/check", vec![("Authorization", &admin), json], body),
        (
            400,
            "POST",
            "/api/v1/environments",
            vec![("Authorization", &admin), json],
            b"{\"name\": ",
        ),
        (
            415,
            "POST",
            "/api/v1/environments",
            vec![("Authorization", &admin), ("Content-Type", "text/plain")],
            body,
        ),
        (
            422,
            "POST",
            "/api/v1/environments",
            vec![("Authorization", &admin), json],
            br#"{"nmae": "PROD"}"#,
        ),
        (
            401,
            "POST",
            "/api/v1/auth/token",
            vec![json],
            br#"{"username": "admin", "password": "wrong-password-1"}"#,
        ),
        (
            429,
            "POST",
            "/api/v1/auth/token",
            vec![json],
            br#"{"username": "admin", "password": "wrong-password-2"}"#,
        ),
        (
            503,
            "POST",
            "/api/v1/check",
            vec![("Authorization", &admin), json],
            br#"{"action": "repository.read", "project": "nope", "min_revision": 999999}"#,
        ),
    ];
    let mut conn = Conn::open(&t.url).await;
    for (status, method, path, headers, body) in &cases {
        conn.send(method, path, headers, body, Duration::from_millis(50)).await;
        let answer = conn.read().await;
        let what = format!("{status} {method} {path}");
        let answer = answer.unwrap_or_else(|| unreachable!("{what}: no answer"));
        assert_eq!(answer.status, *status, "{what}: {:?}", answer.json());
        assert_eq!(answer.header("connection"), None, "{what}: drained, so kept alive");
        healthy(&mut conn, &what).await;
    }

    // Over the 1 MiB limit: 413. The extractor read a little over 1 MiB;
    // a rest under the limit is drained (the connection stays usable),
    // a longer one is not, and the response says `Connection: close`.
    for (size, drained) in [(2 * 1024 * 1024, true), (4 * 1024 * 1024, false)] {
        let mut conn = Conn::open(&t.url).await;
        let big = vec![b' '; size];
        conn.send(
            "POST",
            "/api/v1/environments",
            &[("Authorization", &admin), json],
            &big,
            Duration::ZERO,
        )
        .await;
        let answer = conn.read().await.unwrap();
        assert_eq!(answer.status, 413);
        if drained {
            assert_eq!(answer.header("connection"), None, "{size}");
            healthy(&mut conn, "a 413 whose rest was drained").await;
        } else {
            assert_eq!(
                answer.header("connection"),
                Some("close"),
                "{size}: {:?}",
                answer.headers
            );
        }
    }

    // A body that never comes: `Connection: close` after the drain time.
    let mut conn = Conn::open(&t.url).await;
    conn.send(
        "POST",
        "/api/v1/environments",
        &[("Authorization", "Bearer "), json, ("Content-Length", "100")],
        b"",
        Duration::ZERO,
    )
    .await;
    let answer = conn.read().await.unwrap();
    assert_eq!(answer.status, 401);
    assert_eq!(answer.header("connection"), Some("close"));
    t.finish().await;
}

/// `POST /api/v1/auth/token` with a wrong password from a raw connection
/// with `headers`; answers the status.
async fn wrong_login(url: &str, headers: &[(&str, &str)]) -> u16 {
    let mut conn = Conn::open(url).await;
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    conn.send(
        "POST",
        "/api/v1/auth/token",
        &all,
        br#"{"username": "nobody", "password": "wrong-password"}"#,
        Duration::ZERO,
    )
    .await;
    conn.read().await.unwrap().status
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    // Two attempts a minute per address; the admin's login spent one.
    let t = start_with(&crate::spawn::Backend::Sqlite, |c| c.login_attempts_per_minute = 2).await;
    assert_eq!(wrong_login(&t.url, &[("X-Forwarded-For", "198.51.100.1")]).await, 401);
    // Another made-up address is the same peer: the same, spent bucket.
    assert_eq!(wrong_login(&t.url, &[("X-Forwarded-For", "198.51.100.2")]).await, 429);
    assert_eq!(wrong_login(&t.url, &[("Forwarded", "for=198.51.100.3")]).await, 429);
    t.finish().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_bucket() {
    let t = start_with(&crate::spawn::Backend::Sqlite, |c| {
        c.login_attempts_per_minute = 2;
        c.trusted_proxies =
            gatehouse_server::client_address::TrustedProxies::parse(["127.0.0.1", "10.0.0.0/8"]).unwrap();
    })
    .await;
    // Two attempts a minute per client address.
    assert_eq!(wrong_login(&t.url, &[("X-Forwarded-For", "198.51.100.1")]).await, 401);
    assert_eq!(wrong_login(&t.url, &[("X-Forwarded-For", "198.51.100.1")]).await, 401);
    assert_eq!(
        wrong_login(&t.url, &[("X-Forwarded-For", "198.51.100.2")]).await,
        401,
        "another client"
    );
    assert_eq!(
        wrong_login(&t.url, &[("X-Forwarded-For", "198.51.100.1")]).await,
        429,
        "the first again"
    );
    // A chain of two trusted proxies (127.0.0.1, then 10.1.2.3); the
    // leftmost entry is the client's own claim and is not believed.
    let chain = [("X-Forwarded-For", "203.0.113.66, 198.51.100.7, 10.1.2.3")];
    assert_eq!(wrong_login(&t.url, &chain).await, 401);
    assert_eq!(wrong_login(&t.url, &chain).await, 401);
    assert_eq!(
        wrong_login(&t.url, &[("X-Forwarded-For", "198.51.100.7")]).await,
        429,
        "the client is .7"
    );
    assert_eq!(
        wrong_login(&t.url, &[("Forwarded", "for=203.0.113.66")]).await,
        401,
        "not .66"
    );
    let v6 = [("Forwarded", "for=\"[2001:db8::1]:4711\", for=10.9.9.9")];
    assert_eq!(wrong_login(&t.url, &v6).await, 401);
    assert_eq!(wrong_login(&t.url, &v6).await, 401);
    assert_eq!(
        wrong_login(&t.url, &[("Forwarded", "for=\"[2001:db8::1]\"")]).await,
        429
    );

    // The audit record of a failed login names the client, not the proxy.
    let records = t
        .get("/api/v1/audit?event=login.failed&limit=1000", &t.admin)
        .await
        .body;
    let addresses: Vec<&str> = records["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|r| r["actor"]["address"].as_str()).collect())
        .unwrap_or_default();
    assert!(addresses.contains(&"198.51.100.7"), "{records}");
    assert!(!addresses.contains(&"127.0.0.1"), "{addresses:?}");

    // `X-Forwarded-Proto: https` from the trusted proxy: a Secure cookie.
    for (proto, secure, client) in [("https", true, "192.0.2.200"), ("http", false, "192.0.2.201")] {
        let mut conn = Conn::open(&t.url).await;
        let body = json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string();
        conn.send(
            "POST",
            "/api/v1/auth/login",
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-Proto", proto),
                ("X-Forwarded-For", client),
            ],
            body.as_bytes(),
            Duration::ZERO,
        )
        .await;
        let answer = conn.read().await.unwrap();
        assert_eq!(answer.status, 200, "{:?}", answer.json());
        let cookie = answer.header("set-cookie").unwrap_or_default().to_owned();
        assert_eq!(cookie.contains("; Secure"), secure, "{proto}: {cookie}");
    }
    t.finish().await;
}

#[tokio::test]
async fn x_forwarded_proto_from_an_untrusted_peer_does_not_make_cookies_secure() {
    let t = start_with(&crate::spawn::Backend::Sqlite, |_| {}).await;
    let mut conn = Conn::open(&t.url).await;
    let body = json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string();
    conn.send(
        "POST",
        "/api/v1/auth/login",
        &[("Content-Type", "application/json"), ("X-Forwarded-Proto", "https")],
        body.as_bytes(),
        Duration::ZERO,
    )
    .await;
    let answer = conn.read().await.unwrap();
    assert_eq!(answer.status, 200);
    assert!(!answer.header("set-cookie").unwrap_or_default().contains("Secure"));
    t.finish().await;
}

/// Closes the test client's pooled connections, so they count against no cap.
async fn forget_pooled(t: &mut crate::spawn::TestServer) {
    t.http = reqwest::Client::new();
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn quick(c: &mut Config) {
    c.header_timeout_secs = 1;
    c.keep_alive_secs = 2;
}

#[tokio::test]
async fn slow_headers_are_cut_off_and_idle_connections_closed() {
    let t = start_with(&crate::spawn::Backend::Sqlite, quick).await;
    // Slowloris: a byte every 300 ms never completes the head.
    let mut slow = Conn::open(&t.url).await;
    let started = Instant::now();
    let head = b"GET /healthz HTTP/1.1\r\nHost: gatehouse\r\nX-Slow: ";
    let mut closed = false;
    for byte in head.iter().chain([b'a'; 40].iter()) {
        if slow.stream.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        if slow.closed_within(Duration::from_millis(300)).await {
            closed = true;
            break;
        }
    }
    let took = started.elapsed();
    assert!(closed, "a trickled head was never cut off");
    assert!(took < Duration::from_secs(4), "{took:?}");

    // Idle keep-alive: used within the timeout it stays, idle past it it
    // is closed.
    let mut conn = Conn::open(&t.url).await;
    healthy(&mut conn, "start").await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    healthy(&mut conn, "an idle second, under the keep-alive timeout").await;
    assert!(
        conn.closed_within(Duration::from_secs(4)).await,
        "idle past keep_alive_secs"
    );

    // A connection that sends nothing at all is closed too.
    let mut silent = Conn::open(&t.url).await;
    assert!(silent.closed_within(Duration::from_secs(4)).await);
    t.finish().await;
}

#[tokio::test]
async fn connections_are_capped_per_address_and_overall() {
    let mut t = start_with(&crate::spawn::Backend::Sqlite, |c| {
        c.max_connections_per_address = 3;
        c.keep_alive_secs = 60;
    })
    .await;
    forget_pooled(&mut t).await;
    let mut held = Vec::new();
    for i in 0..3 {
        let mut conn = Conn::open(&t.url).await;
        healthy(&mut conn, &format!("connection {i}")).await;
        held.push(conn);
    }
    // The fourth from the same address is closed at once, unanswered.
    let mut over = Conn::open(&t.url).await;
    over.send("GET", "/healthz", &[], b"", Duration::ZERO).await;
    assert!(over.read().await.is_none(), "a fourth connection was served");
    // One closes: a new one is admitted again.
    drop(held.pop());
    let mut admitted = None;
    for _ in 0..50 {
        let mut conn = Conn::open(&t.url).await;
        conn.send("GET", "/healthz", &[], b"", Duration::ZERO).await;
        if let Some(answer) = conn.read().await {
            admitted = Some(answer.status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(admitted, Some(200));
    t.finish().await;

    // Overall: a trusted proxy is exempt from the per-address cap, not
    // from `max_connections`.
    let mut t = start_with(&crate::spawn::Backend::Sqlite, |c| {
        c.max_connections_per_address = 1;
        c.max_connections = 4;
        c.keep_alive_secs = 60;
        c.trusted_proxies = gatehouse_server::client_address::TrustedProxies::parse(["127.0.0.1"]).unwrap();
    })
    .await;
    forget_pooled(&mut t).await;
    let mut held = Vec::new();
    for i in 0..4 {
        let mut conn = Conn::open(&t.url).await;
        healthy(&mut conn, &format!("connection {i} from a trusted proxy")).await;
        held.push(conn);
    }
    let mut over = Conn::open(&t.url).await;
    over.send("GET", "/healthz", &[], b"", Duration::ZERO).await;
    assert!(over.read().await.is_none(), "a fifth connection was served");
    drop(held);
    t.finish().await;
}
