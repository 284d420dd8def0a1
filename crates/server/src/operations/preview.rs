//! Dry runs (SPEC §7.2): any write operation, run with a [`Preview`], goes
//! through its parsing, validation, authorization, anti-escalation and
//! `If-Match` exactly as the real write, and stops where it would commit:
//! there it computes the impact of the commit's model changes on the
//! snapshot it decided on — with the snapshot's own apply, so the preview
//! and the write cannot disagree — and leaves with it. Nothing is written:
//! no revision, audit record, outbox message or snapshot change.

use gatehouse_authz::Snapshot;
use gatehouse_domain::Commit;
use gatehouse_domain::commands::Acting;

use super::{OpResult, Ops};
use crate::operations::visibility::may_ask_about;
use crate::problem::ApiProblem;
use crate::state::App;
use crate::writer::Writer;

/// The changes a dry run lists when not told (SPEC §7.2).
pub const DEFAULT_LIMIT: usize = 100;
/// The most changes a dry run lists.
pub const MAX_LIMIT: usize = 1_000;

/// A dry run: who asks (what it may see of the impact) and how many
/// changes to list.
#[derive(Clone, Debug)]
pub struct Preview {
    /// The caller: changes in projects it may not ask about are hidden.
    pub acting: Acting,
    /// At most this many changes are listed.
    pub limit: usize,
}

impl Preview {
    /// A dry run for `acting`, listing at most `limit` changes (clamped to
    /// [`MAX_LIMIT`]).
    #[must_use]
    pub fn new(acting: &Acting, limit: usize) -> Self {
        Self {
            acting: acting.clone(),
            limit: limit.min(MAX_LIMIT),
        }
    }
}

impl<'a> Ops<'a> {
    /// These operations as a dry run when `preview` is set: every write
    /// answers its impact instead of committing.
    #[must_use]
    pub fn previewing(mut self, preview: Option<&'a Preview>) -> Self {
        self.preview = preview;
        self
    }

    /// The write lock, for a dry run when these operations preview.
    ///
    /// # Errors
    /// `internal` when the store cannot be read.
    pub(super) async fn writer(&self) -> OpResult<Writer<'a>> {
        let writer = self.app.writer().await?;
        Ok(match self.preview {
            Some(preview) => {
                let app = self.app;
                writer.previewing(Box::new(move |snapshot, commit| answer(app, snapshot, commit, preview)))
            }
            None => writer,
        })
    }
}

/// The answer of a dry run of `commit`, decided on `snapshot`.
#[must_use]
pub fn answer(app: &App, snapshot: &Snapshot, commit: &Commit, preview: &Preview) -> ApiProblem {
    let listable = |project| may_ask_about(app, snapshot, &preview.acting, None, Some(project));
    match snapshot.impact(&commit.model_changes(), preview.limit, listable) {
        Ok(impact) => ApiProblem::dry_run(gatehouse_api::DryRun {
            dry_run: true,
            revision: snapshot.revision(),
            impact: gatehouse_api::Impact::from(&impact),
        }),
        // The real write would apply it; a change that does not is a bug.
        Err(error) => ApiProblem::internal("a dry run's changes do not apply", &error),
    }
}
