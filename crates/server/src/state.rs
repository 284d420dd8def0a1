//! The state every handler shares: the store and the compiled snapshot.

use std::sync::Arc;

use arc_swap::ArcSwap;
use gatehouse_authz::Snapshot;
use gatehouse_store::Store;

/// The application: cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    // INVARIANT: the snapshot compiled from the store's model at
    // `Snapshot::revision`; swapped whole, never edited in place.
    snapshot: ArcSwap<Snapshot>,
}

impl App {
    /// An application over `store` answering from `snapshot`.
    #[must_use]
    pub fn new(store: Store, snapshot: Snapshot) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                snapshot: ArcSwap::from_pointee(snapshot),
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

    /// Replaces the snapshot.
    pub fn set_snapshot(&self, snapshot: Snapshot) {
        self.inner.snapshot.store(Arc::new(snapshot));
    }
}
