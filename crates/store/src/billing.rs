//! The SQL of the billing details (SPEC §3.1): one JSON document in the
//! `settings` row.

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::BillingSettings;

use crate::codec::{from_json, to_json};
use crate::conn::{Conn, Row as _, args};

/// Replaces the billing details.
pub(crate) async fn put<C: Conn>(c: &mut C, billing: &BillingSettings) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO settings (id, billing) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET billing = excluded.billing",
        args![to_json(billing)?],
    )
    .await?;
    Ok(())
}

/// The billing details; the defaults until first set.
pub(crate) async fn get<C: Conn>(c: &mut C) -> Result<BillingSettings, StoreError> {
    let row = c
        .fetch_optional("SELECT billing FROM settings WHERE id = 1", args![])
        .await?;
    row.map_or_else(
        || Ok(BillingSettings::default()),
        |row| from_json("billing settings", &row.text("billing")?),
    )
}
