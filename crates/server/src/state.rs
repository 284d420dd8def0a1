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
    /// A hash of a random password: unknown users are checked against it,
    /// so they cost the same argon2 work as a wrong password (SPEC §6.1).
    pub(crate) dummy_hash: String,
    pub(crate) metrics: PrometheusHandle,
    /// When the current snapshot was published (for its age on `/metrics`).
    pub(crate) published_at: std::sync::Mutex<std::time::Instant>,
    /// Set at SIGTERM: `/readyz` answers 503 from then on (SPEC §8.1).
    pub(crate) stopping: std::sync::atomic::AtomicBool,
}

impl App {
    /// An application over `store` answering from `snapshot`.
    #[must_use]
    pub fn new(store: Store, snapshot: Snapshot, config: Config, dummy_hash: String) -> Self {
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
                dummy_hash,
                metrics: crate::observe::recorder(),
                published_at: std::sync::Mutex::new(std::time::Instant::now()),
                stopping: std::sync::atomic::AtomicBool::new(false),
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

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.inner.config
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
        if let Ok(mut at) = self.inner.published_at.lock() {
            *at = std::time::Instant::now();
        }
        self.inner.tokens.clear();
        self.inner.revision.send_replace(revision);
        metrics::gauge!("gatehouse_snapshot_revision").set(revision as f64);
    }
}
