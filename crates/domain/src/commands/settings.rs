//! Instance settings: the billing details, read and changed by holders of
//! `billing.manage` (SPEC §3.1).

use gatehouse_authz::AccountPermission;
use serde_json::json;

use super::{Ctx, read};
use crate::commit::{Commit, Mutation};
use crate::entities::BillingSettings;
use crate::error::{DomainError, FieldError};
use crate::store::Store;

/// Longest plan name or contact.
const MAX_FIELD: usize = 256;

fn validate(billing: &BillingSettings) -> Result<(), DomainError> {
    let mut errors = Vec::new();
    for (field, value) in [("billing.plan", &billing.plan), ("billing.contact", &billing.contact)] {
        if value.chars().count() > MAX_FIELD {
            errors.push(FieldError::invalid(field, "at most 256 characters"));
        }
        if value.chars().any(char::is_control) {
            errors.push(FieldError::invalid(field, "must not contain control characters"));
        }
    }
    if let Some(date) = &billing.renewal_date {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        if time::Date::parse(date, format).is_err() {
            errors.push(FieldError::invalid(
                "billing.renewal_date",
                "must be a date, `YYYY-MM-DD`",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}

/// Replaces the billing details.
///
/// # Errors
/// Forbidden without `billing.manage`; invalid fields.
pub async fn put_billing<S: Store>(ctx: &Ctx<'_, S>, billing: BillingSettings) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::BillingManage)?;
    validate(&billing)?;
    let before = read(ctx.store.billing().await)?;
    let mut audit = ctx.audit("settings.billing_updated", "settings", "billing");
    audit.before = Some(json!(before));
    audit.after = Some(json!(billing));
    Ok(ctx.commit(vec![Mutation::PutBilling(billing)], audit))
}
