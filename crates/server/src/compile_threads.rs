//! The threads the server compiles a model on, at start and on reload:
//! one for a small model, one per core for a large one. The core runs a
//! compile on as many as it is told and reads nothing of the machine.

use std::num::NonZeroUsize;

use gatehouse_authz::Model;

/// Memberships from which a compile uses every core: below, a model
/// compiles in milliseconds and threads cost more than they save.
const PARALLEL_FROM: usize = 100_000;

/// The threads to compile `model` on.
#[must_use]
pub fn for_model(model: &Model) -> NonZeroUsize {
    if model.members.len() < PARALLEL_FROM {
        return NonZeroUsize::MIN;
    }
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}
