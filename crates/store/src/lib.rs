//! Gatehouse's store: the only crate with SQL. One [`Store`] over SQLite
//! (the default, one WAL file) or PostgreSQL (shared by several instances)
//! implements [`gatehouse_domain::Store`]: every commit is one transaction
//! holding its mutations, the revision increment, a change-log row and its
//! audit record (SPEC §8, §9.1).
//!
//! The SQL is written once, against the small [`conn`] interface that both
//! backends implement; the two schemas live in `migrations/sqlite` and
//! `migrations/postgres` and hold the same tables and columns.

mod audit;
mod backup;
mod billing;
mod codec;
mod commit;
mod conn;
mod cursor;
mod environments;
mod error;
mod groups;
mod invitations;
mod listen;
mod members;
mod model;
mod oidc;
mod outbox;
mod projects;
mod resources;
mod revision;
mod roles;
mod scratch;
mod sessions;
mod store;
mod store_impl;
mod tokens;
mod users;

pub use revision::CHANNEL as REVISION_CHANNEL;
pub use scratch::ScratchDatabase;
pub use store::{Backend, Store};
