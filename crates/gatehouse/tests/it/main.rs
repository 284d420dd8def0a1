//! End-to-end tests of the `gatehouse` binary, and the tidy checks of the
//! codebase itself.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail by panicking, like the tests they serve"
)]

mod browser;
mod catalogue_cli;
mod client_cli;
mod crash_cli;
mod host_cli;
mod memory_cli;
mod oidc_cli;
mod proxy_cli;
mod serve_cli;
mod store_cli;
mod tidy;
mod transfer_cli;
