//! Settings (SPEC §3.1): the billing details, read and changed by holders
//! of `billing.manage`, and the instance's configuration.

use gatehouse_domain::Store as _;
use gatehouse_domain::commands::{Acting, settings};
use gatehouse_domain::entities::BillingSettings;

use super::{Done, OpResult, Ops, expect_revision};

/// The settings as they are.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The billing details.
    pub billing: BillingSettings,
    /// The catalogue's name.
    pub catalogue: String,
    /// The public URL, if configured.
    pub public_url: Option<String>,
    /// The longest a token may live, in days.
    pub token_max_days: u32,
    /// Whether tokens may never expire.
    pub allow_non_expiring_tokens: bool,
    /// The model's revision (settings have none of their own).
    pub revision: u64,
}

impl Ops<'_> {
    /// The billing details and the instance's configuration.
    ///
    /// # Errors
    /// `internal` when the store fails.
    pub async fn settings(&self) -> OpResult<Settings> {
        let app = self.app;
        let config = app.config();
        // Settings have no revision of their own: their tag is the model's.
        let revision = app.store().revision().await?;
        Ok(Settings {
            billing: app.store().billing().await?,
            catalogue: app.snapshot().catalogue().name().to_owned(),
            public_url: config.public_url.clone(),
            token_max_days: config.token_max_days,
            allow_non_expiring_tokens: config.allow_non_expiring_tokens,
            revision,
        })
    }

    /// Replaces the billing details.
    ///
    /// # Errors
    /// 422; 403; 412.
    pub async fn put_billing(
        &self,
        acting: &Acting,
        billing: BillingSettings,
        expected_revision: Option<u64>,
    ) -> OpResult<Done<Settings>> {
        let writer = self.writer().await?;
        let commit = settings::put_billing(&writer.ctx(acting, self.via), billing).await?;
        expect_revision(expected_revision, writer.snapshot().revision())?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, self.settings().await?))
    }
}
