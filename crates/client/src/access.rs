//! The check API and the reverse questions (SPEC §2.2–§2.3, §7.1), and the
//! catalogue they are asked in.

use gatehouse_api::{BatchRequest, BatchResponse, Catalogue, CheckRequest, CheckResponse, WhoCan};
use reqwest::Method;

use crate::accounts::NO_QUERY;
use crate::error::ClientError;
use crate::transport::Client;

impl Client {
    /// `POST /api/v1/check`.
    ///
    /// # Errors
    /// 422 for an unknown action or a scoped action without an environment;
    /// 403 for asking about another user without `authz.query`.
    pub async fn check(&self, request: &CheckRequest<'_>) -> Result<CheckResponse, ClientError> {
        self.send(Method::POST, &["api", "v1", "check"], Some(request)).await
    }

    /// `POST /api/v1/check/batch` (at most 1,000 checks).
    ///
    /// # Errors
    /// 422 naming `checks[i].field`.
    pub async fn check_batch(&self, request: &BatchRequest<'_>) -> Result<BatchResponse, ClientError> {
        self.send(Method::POST, &["api", "v1", "check", "batch"], Some(request))
            .await
    }

    /// `GET /api/v1/projects/{key}/who-can?action=&environment=`.
    ///
    /// # Errors
    /// 404, 422.
    pub async fn who_can(&self, project: &str, action: &str, environment: Option<&str>) -> Result<WhoCan, ClientError> {
        let mut query = vec![("action", action)];
        query.extend(environment.map(|e| ("environment", e)));
        self.get(&["api", "v1", "projects", project, "who-can"], &query).await
    }

    /// `GET /api/v1/catalogue`: the instance's catalogue.
    ///
    /// # Errors
    /// 401.
    pub async fn catalogue(&self) -> Result<Catalogue, ClientError> {
        self.get(&["api", "v1", "catalogue"], NO_QUERY).await
    }
}
