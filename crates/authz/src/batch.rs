//! Checks in bulk (SPEC §10: a batch can hide memory latency). A single
//! check waits for two cache misses one after the other: the user's slot
//! in the project's member table, then the permission run it points to. A
//! batch knows the questions to come, so while it answers one it asks the
//! CPU to fetch the slot of a question [`SLOT_AHEAD`] places on and the run
//! of one [`RUN_AHEAD`] places on, whose slot it fetched earlier. The
//! prefetches are hints: the answers are [`Snapshot::check`]'s, in order.

use crate::check::{Query, QueryError};
use crate::snapshot::Snapshot;

/// How far ahead a question's member-table slot is fetched.
const SLOT_AHEAD: usize = 16;
/// How far ahead a question's permission run is fetched (its slot came
/// `SLOT_AHEAD − RUN_AHEAD` questions earlier).
const RUN_AHEAD: usize = 8;

impl Snapshot {
    /// The answer of [`Snapshot::check`] to each of `queries`, in order,
    /// fetching the tables of later questions while it answers earlier
    /// ones: for `check/batch` and other callers with many questions at
    /// once. Allocates nothing.
    pub fn check_each<'a>(&'a self, queries: &'a [Query]) -> impl Iterator<Item = Result<bool, QueryError>> + 'a {
        queries.iter().enumerate().map(move |(i, q)| {
            if let Some(far) = queries.get(i + SLOT_AHEAD) {
                self.prefetch_slot(far);
            }
            if let Some(near) = queries.get(i + RUN_AHEAD) {
                self.prefetch_run(near);
            }
            self.check(q)
        })
    }

    /// Fetches the user's flags and member-table slot of `q` into cache.
    #[inline]
    fn prefetch_slot(&self, q: &Query) {
        self.prefetch_flags(q.user);
        if let Some(hot) = self.hot(q.project) {
            hot.prefetch_slot(q.user);
        }
    }

    /// Fetches the permission run of `q` into cache (reading its slot).
    #[inline]
    fn prefetch_run(&self, q: &Query) {
        if let Some(hot) = self.hot(q.project) {
            hot.prefetch_run(q.user);
        }
    }
}
