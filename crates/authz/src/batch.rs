//! Checks in bulk (SPEC §10: a batch can hide memory latency). A single
//! check waits for three cache misses one after the other: the project's
//! entry in the check table, the user's slot in the project's member
//! table it points to, then the permission run the slot points to. A batch
//! knows the questions to come, so it runs them through a pipeline: while
//! it answers one question it asks the CPU to fetch the project entry (and
//! the user's flags) of the question [`ENTRY_AHEAD`] places on, the slot
//! of the one [`SLOT_AHEAD`] places on (whose entry it fetched earlier),
//! and finds the run of the one [`RUN_AHEAD`] places on (whose slot it
//! fetched earlier), fetching the run's words; when that question's turn
//! comes, its check starts from the run found. The prefetches are hints
//! and the run found is the one [`Snapshot::check`] would find: the
//! answers are `check`'s, in order.

use crate::check::{Query, QueryError};
use crate::snapshot::{PermRef, Snapshot};

/// How far ahead a question's project entry and user flags are fetched.
const ENTRY_AHEAD: usize = 24;
/// How far ahead a question's member-table slot is fetched (its project
/// entry came `ENTRY_AHEAD − SLOT_AHEAD` questions earlier).
const SLOT_AHEAD: usize = 16;
/// How far ahead a question's permission run is found and fetched (its
/// slot came `SLOT_AHEAD − RUN_AHEAD` questions earlier).
const RUN_AHEAD: usize = 8;

impl Snapshot {
    /// The answer of [`Snapshot::check`] to each of `queries`, in order,
    /// fetching the tables of later questions while it answers earlier
    /// ones: for `check/batch` and other callers with many questions at
    /// once. Allocates nothing.
    pub fn check_each<'a>(&'a self, queries: &'a [Query]) -> impl Iterator<Item = Result<bool, QueryError>> + 'a {
        // The pipeline's start: the first questions' stages, at once.
        queries.iter().take(ENTRY_AHEAD).for_each(|q| self.prefetch_entry(q));
        queries.iter().take(SLOT_AHEAD).for_each(|q| self.prefetch_slot(q));
        // `runs[i % RUN_AHEAD]` is question i's run, found RUN_AHEAD
        // questions before its turn.
        let mut runs: [Option<PermRef>; RUN_AHEAD] = [None; RUN_AHEAD];
        for (run, q) in runs.iter_mut().zip(queries) {
            *run = self.find_run(q);
        }
        queries.iter().enumerate().map(move |(i, q)| {
            if let Some(farthest) = queries.get(i + ENTRY_AHEAD) {
                self.prefetch_entry(farthest);
            }
            if let Some(far) = queries.get(i + SLOT_AHEAD) {
                self.prefetch_slot(far);
            }
            let later = queries.get(i + RUN_AHEAD).and_then(|near| self.find_run(near));
            let run = std::mem::replace(&mut runs[i % RUN_AHEAD], later);
            self.check_finding(q, |_| run)
        })
    }

    /// Fetches the user's flags and the project's check-table entry of `q`
    /// into cache (reading neither).
    #[inline]
    fn prefetch_entry(&self, q: &Query) {
        self.prefetch_flags(q.user);
        self.prefetch_hot(q.project);
    }

    /// Fetches the member-table slot of `q` into cache (reading its
    /// project's entry).
    #[inline]
    fn prefetch_slot(&self, q: &Query) {
        // A project that is not live has an empty table: fetching a slot
        // of it costs less than telling it apart.
        if let Some(hot) = self.hot_entry(q.project) {
            hot.prefetch_slot(q.user);
        }
    }

    /// The permission run of `q` as `check` finds it (reading its slot),
    /// fetching the run's first words into cache.
    #[inline]
    fn find_run(&self, q: &Query) -> Option<PermRef> {
        // A project that is not live has no members: `find` finds none.
        let hot = self.hot_entry(q.project)?;
        let run = hot.find(q.user)?;
        hot.prefetch_run(run);
        Some(run)
    }
}
