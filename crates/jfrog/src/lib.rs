//! The JFrog Access-compatible wire (SPEC §13): JFrog's request and answer
//! shapes for `/access/api/v1` and `/access/api/v2`, and the pure mapping
//! between them and Gatehouse's native wire (`gatehouse-api`).
//!
//! No I/O, no HTTP server, no clock: the server's thin handlers parse a
//! JFrog body here, call the same operations `/api/v1` calls, and map the
//! answer (or the error) back here. Requests are lenient as JFrog is:
//! unknown fields and `null`s are ignored. What Gatehouse cannot honour
//! (an admin-privileged group, a refreshable token, a scope it has no
//! equivalent for) is refused with a 400 that says so — never silently
//! widened.
#![deny(missing_docs)]

pub mod actions;
pub mod body;
pub mod environments;
pub mod error;
pub mod groups;
pub mod members;
pub mod projects;
pub mod roles;
pub mod scope;
pub mod tokens;
pub mod users;

pub use error::{ErrorBody, ErrorEntry, Failure};
