//! The audit log (SPEC §9.1): filtered, cursor-paged reading, the
//! batches an export streams, and the chain's verification, for holders
//! of `audit.read`.

use gatehouse_domain::Store as _;
use gatehouse_domain::store::{AuditFilter, AuditRecord, Page, PageRequest};

use super::{OpResult, Ops, Paging};

/// Records read per batch of an export.
pub const EXPORT_BATCH: usize = 1_000;
/// At most this many records from [`Ops::latest_audit`].
pub const MAX_LATEST: u32 = 100;

impl Ops<'_> {
    /// One page of records matching `filter`, oldest first.
    ///
    /// # Errors
    /// 422 naming `limit`; 400 `invalid_cursor`.
    pub async fn audit(&self, filter: &AuditFilter, paging: &Paging) -> OpResult<Page<AuditRecord>> {
        Ok(self.app.store().audit(filter, &paging.request()?).await?)
    }

    /// The last `n` (at most [`MAX_LATEST`]) records matching `filter`,
    /// newest first.
    ///
    /// # Errors
    /// `internal` when the store fails.
    pub async fn latest_audit(&self, filter: &AuditFilter, n: u32) -> OpResult<Vec<AuditRecord>> {
        Ok(self.app.store().latest_audit(filter, n.min(MAX_LATEST)).await?)
    }

    /// One batch of an export: up to [`EXPORT_BATCH`] records from
    /// `cursor` on.
    ///
    /// # Errors
    /// 400 `invalid_cursor`.
    pub async fn audit_batch(&self, filter: &AuditFilter, cursor: Option<String>) -> OpResult<Page<AuditRecord>> {
        let page = PageRequest {
            cursor,
            limit: EXPORT_BATCH,
        };
        Ok(self.app.store().audit(filter, &page).await?)
    }

    /// The hash chain recomputed over every record in the store (as
    /// `gatehouse audit verify`).
    ///
    /// # Errors
    /// `internal` when the store fails.
    pub async fn verify_audit_chain(&self) -> OpResult<gatehouse_api::AuditChain> {
        Ok(match self.app.store().verify_audit().await? {
            Ok(records) => gatehouse_api::AuditChain {
                verified: true,
                records,
                first_bad_record: None,
            },
            Err(id) => gatehouse_api::AuditChain {
                verified: false,
                records: id.saturating_sub(1),
                first_bad_record: Some(id),
            },
        })
    }
}
