//! A closed-loop HTTP/1.1 load driver: a fixed number of keep-alive
//! connections (hyper's low-level client), each sending its next request as
//! soon as the last one is answered, for a warm-up and then a timed window.
//! Every answer is verified: status 200 and, where expected, the sequence of
//! `"allowed":` decisions in the body.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Full, combinators::BoxBody};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One kind of request, sent over and over.
pub struct Phase {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: &'static str,
    /// `Authorization` header value, if any.
    pub auth: Option<HeaderValue>,
    /// The request bodies, used in turn (one empty body for a `GET`).
    pub bodies: Arc<[Bytes]>,
    /// For each body, the decisions its answer must hold, in order (empty:
    /// only the status is verified).
    pub expected: Arc<[Vec<bool>]>,
}

/// What a phase measured.
#[derive(Debug, Default)]
pub struct Measured {
    /// Requests started and answered within the timed window.
    pub requests: u64,
    /// The timed window, from the end of the warm-up to the last answer.
    pub seconds: f64,
    /// Every timed request's latency, sorted.
    pub latencies: Vec<Duration>,
    /// Answers whose decisions were verified (warm-up included).
    pub verified: u64,
}

impl Measured {
    /// Requests per second.
    #[must_use]
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds.max(f64::MIN_POSITIVE)
    }

    /// The `q` quantile of the latencies, in milliseconds.
    #[must_use]
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = ((self.latencies.len() as f64 * q).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies.get(rank - 1).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    }
}

/// One connection's tally.
#[derive(Default)]
struct Tally {
    requests: u64,
    verified: u64,
    last_answer: Option<Instant>,
    latencies: Vec<Duration>,
}

/// Runs `phase` over `concurrency` connections to `addr`: `warmup`, then
/// `window` timed. Fails on the first refused connection, non-200 answer or
/// wrong decision.
///
/// # Errors
/// Connection failures and wrong answers, naming the request.
pub async fn run(
    addr: SocketAddr,
    phase: Arc<Phase>,
    concurrency: usize,
    warmup: Duration,
    window: Duration,
) -> Result<Measured> {
    ensure!(!phase.bodies.is_empty(), "a phase needs at least one body");
    ensure!(
        phase.expected.is_empty() || phase.expected.len() == phase.bodies.len(),
        "one expectation per body"
    );
    // Connect everyone before the clock starts.
    let mut senders = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        senders.push(connect(addr).await?);
    }
    let started = Instant::now();
    let timed_from = started + warmup;
    let until = timed_from + window;
    let mut tasks = Vec::with_capacity(concurrency);
    for (k, sender) in senders.into_iter().enumerate() {
        let phase = Arc::clone(&phase);
        tasks.push(tokio::spawn(async move {
            drive(sender, &phase, k, concurrency, timed_from, until).await
        }));
    }
    let mut measured = Measured::default();
    let mut last = timed_from;
    for task in tasks {
        let tally = task.await.context("a connection task failed")??;
        measured.requests += tally.requests;
        measured.verified += tally.verified;
        measured.latencies.extend(tally.latencies);
        if let Some(at) = tally.last_answer {
            last = last.max(at);
        }
    }
    measured.seconds = (last - timed_from).as_secs_f64();
    measured.latencies.sort_unstable();
    Ok(measured)
}

type Sender = hyper::client::conn::http1::SendRequest<BoxBody<Bytes, std::convert::Infallible>>;

async fn connect(addr: SocketAddr) -> Result<Sender> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1.1 handshake")?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Connection `k` of `n` sends bodies `k`, `k + n`, … until `until`.
async fn drive(
    mut sender: Sender,
    phase: &Phase,
    k: usize,
    n: usize,
    timed_from: Instant,
    until: Instant,
) -> Result<Tally> {
    let host = HeaderValue::from_static("127.0.0.1");
    let json = HeaderValue::from_static("application/json");
    let mut tally = Tally::default();
    let mut i = k;
    while Instant::now() < until {
        let index = i % phase.bodies.len();
        i = i.wrapping_add(n);
        let body = phase.bodies.get(index).cloned().unwrap_or_default();
        let mut builder = Request::builder()
            .method(phase.method.clone())
            .uri(phase.path)
            .header(HOST, host.clone());
        if let Some(auth) = &phase.auth {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        let request = if phase.method == Method::GET {
            builder.body(Empty::new().boxed())?
        } else {
            builder
                .header(CONTENT_TYPE, json.clone())
                .body(Full::new(body).boxed())?
        };
        let sent = Instant::now();
        sender.ready().await.context("the connection closed")?;
        let response = sender.send_request(request).await.context("sending a request")?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .context("reading an answer")?
            .to_bytes();
        let answered = Instant::now();
        if status != StatusCode::OK {
            bail!(
                "{} {} #{index} answered {status}: {}",
                phase.method,
                phase.path,
                String::from_utf8_lossy(&body)
            );
        }
        if let Some(expected) = phase.expected.get(index)
            && !expected.is_empty()
        {
            verify(&body, expected).with_context(|| format!("{} {} #{index}", phase.method, phase.path))?;
            tally.verified += 1;
        }
        if sent >= timed_from {
            tally.requests += 1;
            tally.latencies.push(answered - sent);
            tally.last_answer = Some(answered);
        }
    }
    Ok(tally)
}

/// The body's `"allowed":` decisions, in order, are `expected`.
fn verify(body: &[u8], expected: &[bool]) -> Result<()> {
    let text = std::str::from_utf8(body).context("the answer is not UTF-8")?;
    let mut decisions = text.match_indices("\"allowed\":").map(|(at, key)| {
        text.get(at + key.len()..)
            .map(|rest| rest.trim_start().starts_with("true"))
    });
    for (j, want) in expected.iter().enumerate() {
        match decisions.next().flatten() {
            Some(got) if got == *want => {}
            Some(got) => bail!("decision {j}: the server answered allowed={got}, the snapshot says {want}"),
            None => bail!("decision {j} is missing from the answer: {text:.200}"),
        }
    }
    if decisions.next().is_some() {
        bail!("the answer holds more than {} decisions", expected.len());
    }
    Ok(())
}
