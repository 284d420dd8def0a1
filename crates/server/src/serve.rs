//! The HTTP host (SPEC §8.1): serving a started server until SIGTERM or
//! ctrl-c — our own accept loop over hyper, so that every connection is
//! bounded (connection caps overall and per peer, a header-read timeout, a
//! keep-alive idle timeout), optionally over TLS (reloaded on SIGHUP), and
//! shut down without losing a request — while following other instances'
//! commits and, with SMTP configured, sending the outbox.
//!
//! Shutdown: `/readyz` turns 503, the listener is closed (new connections
//! are refused by the kernel), every response still to go out says
//! `Connection: close`, idle connections are closed, HTTP/2 connections get
//! a GOAWAY; requests in flight get `shutdown_grace_secs` to finish, then
//! the outbox worker and the store close.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, Request, Version};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt as _;

use crate::client_address::{ServedOverTls, TrustedProxies};
use crate::error::StartError;
use crate::start::Server;
use crate::tls::Tls;

/// How often each connection's timeouts are looked at.
const TICK: Duration = Duration::from_millis(250);

/// During shutdown, an idle HTTP/1.1 connection is closed once it has been
/// quiet this long (a request already on its way gets its answer).
const SHUTDOWN_IDLE: Duration = Duration::from_millis(500);

/// Serves `server` on `listener` until SIGTERM or ctrl-c.
///
/// # Errors
/// [`StartError::Serve`] when the listener fails.
pub async fn serve(listener: TcpListener, server: Server) -> Result<(), StartError> {
    serve_until(listener, server, shutdown_signal()).await
}

/// Serves `server` on `listener` until `shutdown` resolves, then shuts down
/// gracefully.
///
/// # Errors
/// [`StartError::Serve`] when the listener fails.
pub async fn serve_until(
    listener: TcpListener,
    server: Server,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), StartError> {
    let app = server.app().clone();
    let config = server.config().clone();
    let follower = tokio::spawn(app.clone().follow());
    let mailer = server
        .mailer()
        .map(|mailer| tokio::spawn(mailer.clone().run(app.clone())));
    // Listening for SIGHUP before the first connection is accepted: its
    // default action would end the process.
    let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    let reloader = tokio::spawn(reload_on_hangup(hangup, server.tls().cloned()));

    let host = Arc::new(Host {
        router: server.router(),
        tls: server.tls().cloned(),
        trusted: config.trusted_proxies.clone(),
        header_timeout: Duration::from_secs(config.header_timeout_secs),
        keep_alive: Duration::from_secs(config.keep_alive_secs),
        max_connections: config.max_connections as usize,
        max_per_address: config.max_connections_per_address as usize,
        open: Open::default(),
        stopping: AtomicBool::new(false),
    });
    let (stop_tx, stop_rx) = watch::channel(false);

    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => admit(&host, stream, peer, stop_rx.clone()),
                Err(error) => {
                    // Out of descriptors and the like: wait, never die.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }

    // Shutting down (SPEC §8.1).
    tracing::info!(
        open = host.open.total(),
        "shutting down: no new connections, finishing requests in flight"
    );
    app.begin_shutdown();
    drop(listener);
    host.stopping.store(true, Ordering::SeqCst);
    let _ = stop_tx.send(true);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(config.shutdown_grace_secs);
    loop {
        let closed = host.open.closed.notified();
        let open = host.open.total();
        if open == 0 {
            break;
        }
        if tokio::time::timeout_at(deadline, closed).await.is_err() {
            tracing::warn!(open, "shutdown grace over: closing the connections left");
            break;
        }
    }
    reloader.abort();
    follower.abort();
    if let Some(mailer) = mailer {
        mailer.abort();
        let _ = mailer.await;
    }
    let _ = follower.await;
    // A pool waits for every connection to come back; bounded, so a
    // connection held elsewhere cannot keep the process from exiting.
    if tokio::time::timeout(Duration::from_secs(5), app.store().close())
        .await
        .is_err()
    {
        tracing::warn!("the store did not close within 5 s");
    }
    tracing::info!("stopped");
    Ok(())
}

/// What every connection shares.
struct Host {
    router: Router,
    tls: Option<Tls>,
    trusted: TrustedProxies,
    header_timeout: Duration,
    keep_alive: Duration,
    max_connections: usize,
    max_per_address: usize,
    open: Open,
    stopping: AtomicBool,
}

/// The open connections, overall and per peer address.
#[derive(Default)]
struct Open {
    total: AtomicUsize,
    by_address: Mutex<HashMap<IpAddr, usize>>,
    closed: Notify,
}

impl Open {
    fn total(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }
}

/// One admitted connection, counted until dropped.
struct Admitted {
    host: Arc<Host>,
    address: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let open = &self.host.open;
        {
            let mut by_address = open.by_address.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(n) = by_address.get_mut(&self.address) {
                *n -= 1;
                if *n == 0 {
                    by_address.remove(&self.address);
                }
            }
        }
        open.total.fetch_sub(1, Ordering::SeqCst);
        open.closed.notify_waiters();
    }
}

/// Admits `stream` if the caps allow it (SPEC §8.1, slowloris), else closes
/// it at once.
fn admit(host: &Arc<Host>, stream: TcpStream, peer: SocketAddr, stop: watch::Receiver<bool>) {
    let address = peer.ip();
    let over = {
        let mut by_address = host.open.by_address.lock().unwrap_or_else(PoisonError::into_inner);
        let from_peer = by_address.get(&address).copied().unwrap_or(0);
        if host.open.total() >= host.max_connections {
            Some("max_connections")
        } else if from_peer >= host.max_per_address && !host.trusted.contains(address) {
            Some("max_connections_per_address")
        } else {
            *by_address.entry(address).or_insert(0) += 1;
            host.open.total.fetch_add(1, Ordering::SeqCst);
            None
        }
    };
    if let Some(cap) = over {
        metrics::counter!("gatehouse_connections_refused_total").increment(1);
        tracing::debug!(%peer, cap, "connection refused: over the cap");
        drop(stream);
        return;
    }
    let admitted = Admitted {
        host: Arc::clone(host),
        address,
    };
    let _ = stream.set_nodelay(true);
    tokio::spawn(async move {
        let host = Arc::clone(&admitted.host);
        match &host.tls {
            None => connection(&host, stream, peer, false, stop).await,
            Some(tls) => {
                let handshake = tokio::time::timeout(host.header_timeout, tls.acceptor().accept(stream)).await;
                match handshake {
                    Ok(Ok(stream)) => connection(&host, stream, peer, true, stop).await,
                    Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            }
        }
        drop(admitted);
    });
}

/// Serves one connection until it ends, times out, or shutdown closes it.
async fn connection<IO>(host: &Arc<Host>, io: IO, peer: SocketAddr, tls: bool, mut stop: watch::Receiver<bool>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: io,
        activity: Arc::clone(&activity),
    });
    let service = {
        let host = Arc::clone(host);
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let host = Arc::clone(&host);
            let busy = Busy::begin(&activity, request.version());
            async move {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                if tls {
                    request.extensions_mut().insert(ServedOverTls);
                }
                let version = request.version();
                let Ok(mut response) = host.router.clone().oneshot(request).await;
                if host.stopping.load(Ordering::SeqCst) && version == Version::HTTP_11 {
                    response
                        .headers_mut()
                        .insert(CONNECTION, HeaderValue::from_static("close"));
                }
                drop(busy);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let mut tick = tokio::time::interval(TICK);
    let mut stopping = *stop.borrow();
    let mut goaway_sent = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%peer, %error, "connection ended");
                }
                return;
            }
            changed = stop.changed(), if !stopping => {
                stopping = changed.is_err() || *stop.borrow();
            }
            _ = tick.tick() => {}
        }
        match activity.verdict(host.header_timeout, host.keep_alive, stopping) {
            Verdict::Keep => {}
            Verdict::Close(why) => {
                tracing::debug!(%peer, why, "closing the connection");
                return;
            }
            Verdict::GoAway => {
                if !goaway_sent {
                    goaway_sent = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// What a connection has been doing, for its timeouts.
struct Activity {
    started: Instant,
    /// Requests being answered.
    in_flight: AtomicUsize,
    /// Milliseconds since `started` of the last byte read or written.
    last_io: AtomicU64,
    /// Milliseconds since `started` of the first byte of a request not yet
    /// handed to the router; [`NONE`] when there is none.
    head_since: AtomicU64,
    /// Whether the connection speaks HTTP/2.
    h2: AtomicBool,
}

/// No time.
const NONE: u64 = u64::MAX;

/// What to do with a connection.
enum Verdict {
    Keep,
    Close(&'static str),
    GoAway,
}

impl Activity {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_io: AtomicU64::new(0),
            head_since: AtomicU64::new(NONE),
            h2: AtomicBool::new(false),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn read(&self) {
        let now = self.now();
        self.last_io.store(now, Ordering::SeqCst);
        if self.in_flight.load(Ordering::SeqCst) == 0 && !self.h2.load(Ordering::SeqCst) {
            let _ = self
                .head_since
                .compare_exchange(NONE, now, Ordering::SeqCst, Ordering::SeqCst);
        }
    }

    fn wrote(&self) {
        self.last_io.store(self.now(), Ordering::SeqCst);
    }

    fn verdict(&self, header_timeout: Duration, keep_alive: Duration, stopping: bool) -> Verdict {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return if stopping && self.h2.load(Ordering::SeqCst) {
                Verdict::GoAway
            } else {
                Verdict::Keep
            };
        }
        let now = self.now();
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(NONE);
        let head_since = self.head_since.load(Ordering::SeqCst);
        if head_since != NONE {
            return if now.saturating_sub(head_since) > millis(header_timeout) {
                Verdict::Close("the request's headers took too long")
            } else {
                Verdict::Keep
            };
        }
        let idle = now.saturating_sub(self.last_io.load(Ordering::SeqCst));
        if idle > millis(keep_alive) {
            return Verdict::Close("idle");
        }
        if stopping {
            if self.h2.load(Ordering::SeqCst) {
                return Verdict::GoAway;
            }
            if idle > millis(SHUTDOWN_IDLE) {
                return Verdict::Close("shutting down");
            }
        }
        Verdict::Keep
    }
}

/// A request being answered on a connection.
struct Busy(Arc<Activity>);

impl Busy {
    fn begin(activity: &Arc<Activity>, version: Version) -> Self {
        if version == Version::HTTP_2 {
            activity.h2.store(true, Ordering::SeqCst);
        }
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        activity.head_since.store(NONE, Ordering::SeqCst);
        Self(Arc::clone(activity))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.wrote();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's stream, noting its reads and writes in [`Activity`].
struct Watched<IO> {
    inner: IO,
    activity: Arc<Activity>,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Watched<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        poll
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Reads the certificate again at each SIGHUP (a bad file keeps the old
/// one); without TLS, SIGHUP is logged and otherwise ignored (never the
/// default action, which would end the process).
async fn reload_on_hangup(hangup: io::Result<tokio::signal::unix::Signal>, tls: Option<Tls>) {
    let mut hangup = match hangup {
        Ok(signal) => signal,
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGHUP");
            return;
        }
    };
    while hangup.recv().await.is_some() {
        match &tls {
            None => tracing::info!("SIGHUP: nothing to reload (no TLS configured)"),
            Some(tls) => match tls.reload() {
                Ok(()) => tracing::info!("SIGHUP: TLS certificate reloaded"),
                Err(error) => {
                    tracing::error!(%error, "SIGHUP: the TLS certificate was not reloaded; the old one stays")
                }
            },
        }
    }
}

/// Resolves at the first SIGTERM or ctrl-c.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
