//! The write path (SPEC §8): one write at a time on this instance, decided
//! on the snapshot the store is at, committed in one transaction, then
//! applied to the snapshot before the response returns (read-your-writes).
//! Commits of other instances arrive through the change log.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_authz::{Change, Snapshot};
use gatehouse_domain::commands::{Acting, Ctx, Via};
use gatehouse_domain::{Commit, Store as _, StoreError};
use gatehouse_store::Store;
use time::OffsetDateTime;
use tokio::sync::MutexGuard;

use crate::problem::ApiProblem;
use crate::state::App;

/// How often expired invitation and reset secrets are deleted.
const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// What the commit of a dry run answers instead of writing (SPEC §7.2):
/// given the snapshot the command was decided on and the commit, the
/// impact as an answer. Built by `operations/preview.rs`.
pub type DryRunAnswer<'a> = Box<dyn FnOnce(&Snapshot, &Commit) -> ApiProblem + Send + 'a>;

/// The right to write, held while one command is decided and committed.
pub struct Writer<'a> {
    app: &'a App,
    _guard: MutexGuard<'a, ()>,
    snapshot: Arc<Snapshot>,
    now: OffsetDateTime,
    /// Set: [`Writer::commit`] answers the impact and writes nothing.
    preview: Option<DryRunAnswer<'a>>,
}

impl App {
    /// Waits for the write lock and brings the snapshot up to the store.
    ///
    /// # Errors
    /// `internal` when the store cannot be read.
    pub async fn writer(&self) -> Result<Writer<'_>, ApiProblem> {
        let guard = self.inner.write_lock.lock().await;
        self.catch_up().await?;
        Ok(Writer {
            app: self,
            _guard: guard,
            snapshot: self.snapshot(),
            now: self.now(),
            preview: None,
        })
    }

    /// Applies the commits the snapshot has not seen (other instances').
    /// Callers hold the write lock, so the snapshot cannot move meanwhile.
    async fn catch_up(&self) -> Result<(), StoreError> {
        let snapshot = self.snapshot();
        let entries = self.store().changes_since(snapshot.revision()).await?;
        let Some(last) = entries.last().map(|e| e.revision) else {
            return Ok(());
        };
        let changes: Vec<_> = entries.into_iter().flat_map(|e| e.changes).collect();
        self.advance(&snapshot, &changes, last).await
    }

    /// Publishes `snapshot` with `changes` applied as `revision`; changes
    /// that do not apply (which would be a bug) recompile it from the store.
    async fn advance(&self, snapshot: &Snapshot, changes: &[Change], revision: u64) -> Result<(), StoreError> {
        match snapshot.apply_all(changes) {
            Ok(next) => self.publish(next.with_revision(revision)),
            Err(error) => {
                tracing::error!(%error, revision, "committed changes do not apply; recompiling the snapshot");
                self.reload().await?;
            }
        }
        Ok(())
    }

    /// Compiles the snapshot from the whole stored model.
    async fn reload(&self) -> Result<(), StoreError> {
        let (model, revision) = self.store().load_model().await?;
        let catalogue = Arc::clone(self.snapshot().catalogue());
        let threads = crate::compile_threads::for_model(&model);
        let snapshot = Snapshot::compile_owned_on(catalogue, model, threads)
            .map_err(|e| StoreError::Backend(format!("the stored model does not compile: {e}")))?;
        self.publish(snapshot.with_revision(revision));
        Ok(())
    }

    /// Brings the snapshot up to the store now (a client asked for a
    /// revision this instance has not seen).
    pub async fn refresh(&self) {
        let _guard = self.inner.write_lock.lock().await;
        if let Err(error) = self.catch_up().await {
            tracing::warn!(%error, "cannot follow the change log");
        }
    }

    /// Follows other instances' commits until the process ends: woken by
    /// PostgreSQL's `NOTIFY` at once (unless `listen_notify` is off), and
    /// every `poll_interval_ms` whatever happens, by a one-row probe of the
    /// store's revision (a lost notification delays, never loses, a change).
    pub async fn follow(self) {
        let mut tick = tokio::time::interval(Duration::from_millis(self.config().poll_interval_ms));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut announcements = if self.config().listen_notify {
            self.store().revision_announcements().await
        } else {
            None
        };
        let mut purged_at = std::time::Instant::now();
        loop {
            match &mut announcements {
                Some(rx) => {
                    tokio::select! {
                        _ = tick.tick() => {}
                        announced = rx.recv() => {
                            if announced.is_none() {
                                announcements = None;
                            }
                        }
                    }
                }
                None => {
                    tick.tick().await;
                }
            }
            self.inner.limiter.shrink();
            if purged_at.elapsed() >= PURGE_INTERVAL {
                purged_at = std::time::Instant::now();
                // Expired single-use secrets (their hashes) go.
                if let Err(error) = self.store().purge_expired_links(self.now()).await {
                    tracing::warn!(%error, "cannot purge expired links");
                }
            }
            let store_revision = match self.store().revision().await {
                Ok(revision) => revision,
                Err(error) => {
                    tracing::debug!(%error, "the store does not answer; checks answer from the snapshot");
                    self.inner.lag.store_unreachable();
                    continue;
                }
            };
            self.inner.lag.store_at(store_revision, self.snapshot().revision());
            if store_revision <= self.snapshot().revision() {
                continue;
            }
            self.refresh().await;
        }
    }
}

impl<'a> Writer<'a> {
    /// This writer for a dry run: its commit answers `answer`'s impact.
    #[must_use]
    pub fn previewing(mut self, answer: DryRunAnswer<'a>) -> Self {
        self.preview = Some(answer);
        self
    }

    /// The snapshot commands are decided on.
    #[must_use]
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The context a domain command reads, coming through `via`.
    #[must_use]
    pub fn ctx<'b>(&'b self, acting: &'b Acting, via: Via) -> Ctx<'b, Store> {
        Ctx {
            store: self.app.store(),
            snapshot: &self.snapshot,
            acting,
            via,
            now: self.now,
        }
    }

    /// The time the command is decided at.
    #[must_use]
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// Commits in one transaction and applies the model changes to the
    /// snapshot; answers the new revision.
    ///
    /// # Errors
    /// 409 `conflict` when another instance wrote first (the snapshot is
    /// brought up to date; retrying decides again); `internal` when the
    /// store fails (nothing was written).
    pub async fn commit(self, commit: &Commit) -> Result<u64, ApiProblem> {
        self.commit_leading_to(commit, None).await
    }

    /// [`Writer::commit`] of a commit whose snapshot was computed already
    /// (`after`: this writer's snapshot with the commit's model changes
    /// applied, as a command checks a large change before it commits):
    /// published as it is rather than computed again.
    ///
    /// # Errors
    /// As [`Writer::commit`].
    pub async fn commit_applied(self, commit: &Commit, after: Snapshot) -> Result<u64, ApiProblem> {
        self.commit_leading_to(commit, Some(after)).await
    }

    async fn commit_leading_to(self, commit: &Commit, after: Option<Snapshot>) -> Result<u64, ApiProblem> {
        if let Some(answer) = self.preview {
            // Nothing is written: the write lock goes at once, and the
            // impact is computed on the snapshot the command was decided on.
            let Writer {
                snapshot, _guard: lock, ..
            } = self;
            drop(lock);
            return Err(answer(&snapshot, commit));
        }
        match self.app.store().commit(commit, self.now).await {
            Ok(revision) => {
                match after {
                    Some(after) => self.app.publish(after.with_revision(revision)),
                    None => {
                        self.app
                            .advance(&self.snapshot, &commit.model_changes(), revision)
                            .await?;
                    }
                }
                Ok(revision)
            }
            Err(error) => {
                if matches!(error, StoreError::Stale { .. }) {
                    self.app.catch_up().await?;
                }
                Err(error.into())
            }
        }
    }
}
