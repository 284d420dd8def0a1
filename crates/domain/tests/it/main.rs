//! Tests of the domain's pure rules: names, the user status machine, Basic
//! and Advanced role editing, the audit canonical form.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail by panicking, like the tests they serve"
)]

mod names;
mod role_mode;
mod user_status;
