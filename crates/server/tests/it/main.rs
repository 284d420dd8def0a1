//! End-to-end tests of the server: real HTTP on port 0 against a SQLite
//! store in a temporary data directory.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail by panicking, like the tests they serve"
)]

mod config;
mod ops;
mod spawn;
mod start;
