//! A closed-loop HTTP/1.1 load driver: a fixed number of keep-alive
//! connections, each sending its next request as soon as the last one is
//! answered (no pipelining), for a warm-up and then a timed window. The
//! requests are pre-built bytes and answers are read by a minimal parser
//! (status, `content-length`), as wrk does, so that the client's share of
//! the machine's cores stays small.
//! Every answer is verified: status 200 and, where expected, the sequence of
//! `"allowed":` decisions in the body.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use hyper::Method;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One kind of request, sent over and over.
pub struct Phase {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: &'static str,
    /// Headers sent with every request (`authorization`, `cookie`, …).
    pub headers: Vec<(&'static str, String)>,
    /// The request bodies, used in turn (one empty body for a `GET`).
    pub bodies: Arc<[Bytes]>,
    /// For each body, the decisions its answer must hold, in order (empty:
    /// only the status is verified).
    pub expected: Arc<[Vec<bool>]>,
    /// For each body, its own path (empty: [`Phase::path`] for every body).
    pub paths: Arc<[String]>,
    /// For each body, a text its answer must hold (empty: none is looked
    /// for).
    pub needles: Arc<[String]>,
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
        crate::measure::quantile_ms(&self.latencies, q)
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
    for (what, len) in [
        ("expectation", phase.expected.len()),
        ("path", phase.paths.len()),
        ("needle", phase.needles.len()),
    ] {
        ensure!(len == 0 || len == phase.bodies.len(), "one {what} per body");
    }
    let requests: Arc<[Vec<u8>]> = phase
        .bodies
        .iter()
        .enumerate()
        .map(|(k, b)| raw_request(&phase, k, b))
        .collect();
    // Connect everyone before the clock starts.
    let mut streams = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        streams.push(stream);
    }
    let started = Instant::now();
    let timed_from = started + warmup;
    let until = timed_from + window;
    let mut tasks = Vec::with_capacity(concurrency);
    for (k, stream) in streams.into_iter().enumerate() {
        let phase = Arc::clone(&phase);
        let requests = Arc::clone(&requests);
        tasks.push(tokio::spawn(async move {
            drive(stream, &phase, &requests, k, concurrency, timed_from, until).await
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

/// The raw request `k`: request line, headers and body.
fn raw_request(phase: &Phase, k: usize, body: &[u8]) -> Vec<u8> {
    let path = phase.paths.get(k).map_or(phase.path, String::as_str);
    let mut head = format!("{} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n", phase.method);
    for (name, value) in &phase.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if phase.method != Method::GET {
        head.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    let mut raw = head.into_bytes();
    raw.extend_from_slice(body);
    raw
}

/// Connection `k` of `n` sends bodies `k`, `k + n`, … until `until`, one
/// at a time (no pipelining), reading each answer whole before the next.
async fn drive(
    mut stream: TcpStream,
    phase: &Phase,
    requests: &[Vec<u8>],
    k: usize,
    n: usize,
    timed_from: Instant,
    until: Instant,
) -> Result<Tally> {
    let mut tally = Tally::default();
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut i = k;
    while Instant::now() < until {
        let index = i % requests.len();
        i = i.wrapping_add(n);
        let request = requests.get(index).context("no such request")?;
        let sent = Instant::now();
        stream.write_all(request).await.context("sending a request")?;
        let (status, body) = read_answer(&mut stream, &mut buffer).await?;
        let answered = Instant::now();
        if status != 200 {
            bail!(
                "{} {} #{index} answered {status}: {}",
                phase.method,
                phase.path,
                String::from_utf8_lossy(body)
            );
        }
        if let Some(expected) = phase.expected.get(index)
            && !expected.is_empty()
        {
            verify(body, expected).with_context(|| format!("{} {} #{index}", phase.method, phase.path))?;
            tally.verified += 1;
        }
        if let Some(needle) = phase.needles.get(index)
            && !needle.is_empty()
        {
            ensure!(
                body.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} {} #{index}: the answer lacks {needle}: {}",
                phase.method,
                phase.path,
                String::from_utf8_lossy(body)
            );
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

/// Reads one HTTP/1.1 answer with a `content-length` into `buffer`;
/// answers its status and body.
pub(crate) async fn read_answer<'b>(stream: &mut TcpStream, buffer: &'b mut Vec<u8>) -> Result<(u16, &'b [u8])> {
    buffer.clear();
    let (head_end, length) = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(buffer.get(..at).unwrap_or_default()).context("a non-UTF-8 head")?;
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .or_else(|| head.starts_with("HTTP/1.1 204").then_some(0))
                .with_context(|| format!("an answer without content-length: {head}"))?;
            break (at + 4, length);
        }
        read_more(stream, buffer).await?;
    };
    while buffer.len() < head_end + length {
        read_more(stream, buffer).await?;
    }
    ensure!(buffer.len() == head_end + length, "more bytes than one answer");
    let status = buffer
        .get(9..12)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse::<u16>().ok())
        .context("an answer without a status line")?;
    Ok((status, buffer.get(head_end..).unwrap_or_default()))
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<()> {
    if buffer.capacity() - buffer.len() < 16 * 1024 {
        buffer.reserve(64 * 1024);
    }
    let read = stream.read_buf(buffer).await.context("reading an answer")?;
    ensure!(read > 0, "the server closed the connection");
    Ok(())
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
