//! The instance as a whole: the audit log, settings, and import/export of
//! the whole model or one project (SPEC §9.1, §11).

use gatehouse_api::{AuditRecord, Document, ImportReport, Page, PutSettings, Settings};
use reqwest::Method;

use crate::accounts::NO_QUERY;
use crate::error::ClientError;
use crate::query::AuditQuery;
use crate::transport::Client;

impl Client {
    /// `GET /api/v1/audit`: one page of records, filtered.
    ///
    /// # Errors
    /// 403 without `audit.read`; 400 `invalid_cursor`.
    pub async fn audit(&self, query: &AuditQuery) -> Result<Page<AuditRecord>, ClientError> {
        self.get(&["api", "v1", "audit"], query).await
    }

    /// `GET /api/v1/settings`.
    ///
    /// # Errors
    /// 403 without `billing.manage`.
    pub async fn settings(&self) -> Result<Settings, ClientError> {
        self.get(&["api", "v1", "settings"], NO_QUERY).await
    }

    /// `PUT /api/v1/settings`.
    ///
    /// # Errors
    /// 403, 422.
    pub async fn put_settings(&self, request: &PutSettings) -> Result<Settings, ClientError> {
        self.send(Method::PUT, &["api", "v1", "settings"], Some(request)).await
    }

    /// `GET /api/v1/export?project=`: the whole instance, or one project.
    ///
    /// # Errors
    /// 403, 404 for a project the caller cannot see.
    pub async fn export(&self, project: Option<&str>) -> Result<Document, ClientError> {
        let query: Vec<(&str, &str)> = project.map(|p| ("project", p)).into_iter().collect();
        self.get(&["api", "v1", "export"], &query).await
    }

    /// `POST /api/v1/import`: validated first, applied in one transaction.
    ///
    /// # Errors
    /// 422 listing every error with its path; nothing is changed then.
    pub async fn import(&self, document: &Document) -> Result<ImportReport, ClientError> {
        self.send(Method::POST, &["api", "v1", "import"], Some(document)).await
    }
}
