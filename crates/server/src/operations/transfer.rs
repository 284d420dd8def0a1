//! Importing a whole model (SPEC §11): the desired state a face read from
//! its document becomes one commit — created, updated and unchanged
//! counted — decided and written under the write lock.

use gatehouse_authz::Snapshot;
use gatehouse_domain::commands::Acting;
use gatehouse_domain::commands::import::{self, Desired, ImportCounts};
use time::OffsetDateTime;

use super::{Done, OpResult, Ops};

impl Ops<'_> {
    /// Imports the state `read` makes of the face's document against the
    /// current snapshot (names are checked against both). Idempotent: a
    /// document already in force writes nothing and answers the current
    /// revision. Platform admins only (the domain's rule).
    ///
    /// # Errors
    /// What `read` refuses; 403; 409; 503 `busy`.
    pub async fn import<F>(&self, acting: &Acting, read: F) -> OpResult<Done<ImportCounts>>
    where
        F: FnOnce(&Snapshot, OffsetDateTime) -> OpResult<Desired>,
    {
        let writer = self.writer().await?;
        let desired = read(writer.snapshot(), writer.now())?;
        let plan = import::plan(&writer.ctx(acting, self.via), desired).await?;
        let revision = match plan.commit {
            Some((commit, after)) => writer.commit_applied(&commit, after).await?,
            None => writer.snapshot().revision(),
        };
        Ok(Done::new(revision, plan.counts))
    }
}
