//! Integration tests of the store: one conformance suite whose bodies run
//! on SQLite always and on PostgreSQL when `GATEHOUSE_TEST_POSTGRES` is set
//! (see `backend.rs`), plus SQLite crash durability.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail by panicking, like the tests they serve"
)]

mod atomicity;
mod audit;
mod backend;
mod backup;
mod cascades;
mod commands;
mod concurrency;
mod crash;
mod entities;
mod fixtures;
mod listen;
mod model;
mod paging;
mod resources;
mod revisions;
mod schema;
