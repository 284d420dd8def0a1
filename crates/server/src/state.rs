//! The state every handler shares: the store, the compiled snapshot, the
//! write lock, the configuration, the login limiter and the token cache.

use std::num::NonZeroU32;
use std::sync::Arc;

use arc_swap::ArcSwap;
use gatehouse_authz::Snapshot;
use gatehouse_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::{Mutex, watch};

use crate::config::Config;
use crate::rate_limit::LoginLimiter;
use crate::token_cache::TokenCache;

/// The application: cheap to clone.
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    // INVARIANT: the snapshot compiled from the store's model at
    // `Snapshot::revision`; swapped whole, never edited in place, and only
    // replaced by a newer one (see `writer.rs`).
    pub(crate) snapshot: ArcSwap<Snapshot>,
    /// Announces each new snapshot revision (for `min_revision` waits).
    pub(crate) revision: watch::Sender<u64>,
    /// Serialises this instance's writes, so a command is decided on the
    /// snapshot the store is at.
    pub(crate) write_lock: Mutex<()>,
    pub(crate) config: Config,
    pub(crate) limiter: LoginLimiter,
    pub(crate) tokens: TokenCache,
    /// The `access.denied` records recently written (bounded growth).
    pub(crate) denials: crate::denials::DeniedLog,
    /// A hash of a random password: unknown users are checked against it,
    /// so they cost the same argon2 work as a wrong password (SPEC §6.1).
    pub(crate) dummy_hash: String,
    pub(crate) metrics: PrometheusHandle,
    /// How far the snapshot is behind the store, and since when (`/metrics`).
    pub(crate) lag: crate::observe::Lag,
    /// Bounds the argon2 work in flight (SPEC §6.1).
    pub(crate) argon2: crate::password::Gate,
    /// How far the clock was moved ahead of the system's, in seconds (tests).
    pub(crate) clock_ahead: std::sync::atomic::AtomicI64,
    /// Set at SIGTERM: `/readyz` answers 503 from then on (SPEC §8.1).
    pub(crate) stopping: std::sync::atomic::AtomicBool,
    /// The OpenID Connect provider, when one is configured (SPEC §13).
    pub(crate) oidc: Option<crate::oidc::Oidc>,
}

impl App {
    /// An application over `store` answering from `snapshot`.
    #[must_use]
    pub fn new(
        store: Store,
        snapshot: Snapshot,
        config: Config,
        dummy_hash: String,
        oidc: Option<crate::oidc::Oidc>,
    ) -> Self {
        let per_minute = NonZeroU32::new(config.login_attempts_per_minute).unwrap_or(NonZeroU32::MIN);
        let (revision, _) = watch::channel(snapshot.revision());
        Self {
            inner: Arc::new(Inner {
                store,
                snapshot: ArcSwap::from_pointee(snapshot),
                revision,
                write_lock: Mutex::new(()),
                limiter: LoginLimiter::new(per_minute),
                config,
                tokens: TokenCache::default(),
                denials: crate::denials::DeniedLog::default(),
                dummy_hash,
                metrics: crate::observe::recorder(),
                lag: crate::observe::Lag::default(),
                argon2: crate::password::Gate::for_this_machine(),
                clock_ahead: std::sync::atomic::AtomicI64::new(0),
                stopping: std::sync::atomic::AtomicBool::new(false),
                oidc,
            }),
        }
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The current snapshot.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.snapshot.load_full()
    }

    /// The OpenID Connect provider, if one is configured.
    #[must_use]
    pub(crate) fn oidc(&self) -> Option<&crate::oidc::Oidc> {
        self.inner.oidc.as_ref()
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The time sessions and single-use links are judged by: the system's
    /// clock, plus whatever [`App::advance_clock`] added.
    #[must_use]
    pub fn now(&self) -> time::OffsetDateTime {
        let ahead = self.inner.clock_ahead.load(std::sync::atomic::Ordering::Relaxed);
        time::OffsetDateTime::now_utc() + time::Duration::seconds(ahead)
    }

    /// How many argon2 jobs (hashes and verifications) this instance has
    /// started (diagnostics and tests).
    #[must_use]
    pub fn password_jobs(&self) -> u64 {
        self.inner.argon2.jobs_started()
    }

    /// Moves [`App::now`] ahead by `by` (for tests of timeouts; nothing in
    /// the server calls it).
    pub fn advance_clock(&self, by: time::Duration) {
        self.inner
            .clock_ahead
            .fetch_add(by.whole_seconds(), std::sync::atomic::Ordering::Relaxed);
    }

    /// Marks the instance as shutting down: `/readyz` answers 503.
    pub fn begin_shutdown(&self) {
        self.inner.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether the instance is shutting down.
    #[must_use]
    pub fn is_stopping(&self) -> bool {
        self.inner.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Replaces the snapshot if `snapshot` is newer than the current one.
    pub(crate) fn publish(&self, snapshot: Snapshot) {
        let revision = snapshot.revision();
        let current = self.inner.snapshot.load();
        if revision < current.revision() {
            return;
        }
        self.inner.snapshot.store(Arc::new(snapshot));
        self.inner.lag.published(revision);
        self.inner.tokens.clear();
        self.inner.revision.send_replace(revision);
        metrics::gauge!("gatehouse_snapshot_revision").set(revision as f64);
    }
}
