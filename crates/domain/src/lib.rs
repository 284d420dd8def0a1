//! Gatehouse's domain: validated names, the rules of SPEC §4–§5, commands
//! that turn a request into one [`Commit`], and the [`Store`] trait that
//! applies a commit whole or refuses it.
//!
//! No SQL, no HTTP, no clock: time comes in as an argument.
#![deny(missing_docs)]

pub mod commands;
pub mod commit;
pub mod entities;
pub mod error;
pub mod limits;
pub mod names;
pub mod role_mode;
pub mod store;
pub mod user_status;

pub use commit::{AuditActor, AuditEntry, Commit, Mutation, Via};
pub use error::{DomainError, FieldError};
pub use store::{Store, StoreError};
