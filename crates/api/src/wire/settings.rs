//! Instance settings (SPEC §3.1, §7): the billing details and what the
//! instance was configured with.

use gatehouse_domain::entities::BillingSettings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The billing details: a record, no payment processing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Billing {
    /// Plan name.
    #[serde(default)]
    pub plan: String,
    /// Billing contact.
    #[serde(default)]
    pub contact: String,
    /// Renewal date, `YYYY-MM-DD`.
    #[serde(default)]
    pub renewal_date: Option<String>,
}

impl From<BillingSettings> for Billing {
    fn from(b: BillingSettings) -> Self {
        Self {
            plan: b.plan,
            contact: b.contact,
            renewal_date: b.renewal_date,
        }
    }
}

impl From<Billing> for BillingSettings {
    fn from(b: Billing) -> Self {
        Self {
            plan: b.plan,
            contact: b.contact,
            renewal_date: b.renewal_date,
        }
    }
}

/// What the instance runs with (read-only over the API).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Instance {
    /// The catalogue's name.
    pub catalogue: String,
    /// The URL clients reach the instance at, if configured.
    pub public_url: Option<String>,
    /// The longest token lifetime, in days.
    pub token_max_days: u32,
    /// Whether tokens that never expire may be created.
    pub allow_non_expiring_tokens: bool,
}

/// `GET /api/v1/settings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// The billing details.
    pub billing: Billing,
    /// The instance's configuration.
    pub instance: Instance,
}

/// `PUT /api/v1/settings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSettings {
    /// The new billing details.
    pub billing: Billing,
}
