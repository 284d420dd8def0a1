//! A typed async client of Gatehouse's native HTTP API (SPEC §7, Appendix A),
//! over the wire types of `gatehouse-api`; used by the `gatehouse` CLI and
//! by end-to-end tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gatehouse_client::ClientError> {
//! let client = gatehouse_client::Client::new("http://127.0.0.1:8080", Some("gate_…".to_owned()))?;
//! let me = client.me().await?;
//! println!("{}", me.username);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod access;
mod accounts;
pub mod device;
mod error;
mod instance;
mod projects;
mod query;
mod transport;

pub use error::ClientError;
pub use projects::Principal;
pub use query::{AuditQuery, MemberQuery, Paging, UserQuery};
pub use transport::Client;

/// Re-exported wire types, so that callers need not name `gatehouse-api`.
pub use gatehouse_api as api;
