//! SCIM 2.0 (RFC 7643, RFC 7644) as pure functions: the filter grammar
//! (§3.4.2.2) parsed into a typed AST and evaluated against a resource, PATCH
//! operations and paths (§3.5.2) applied to a resource document, the User and
//! Group resources and their wire shapes, `ListResponse` paging, the error
//! schema, and the discovery documents (`ServiceProviderConfig`, `Schemas`,
//! `ResourceTypes`).
//!
//! No I/O, no clock, no HTTP: the server's `/scim/v2` face translates between
//! these values and Gatehouse's operations.
#![deny(missing_docs)]

pub mod discovery;
pub mod error;
pub mod filter;
pub mod list;
pub mod patch;
pub mod path;
pub mod resource;
pub mod value;

pub use error::{ScimError, ScimType};
pub use filter::{Filter, parse_filter};
pub use path::{AttrPath, PatchPath, parse_path};

/// `Content-Type` of every SCIM request and answer.
pub const CONTENT_TYPE: &str = "application/scim+json";
/// Schema URN of the core User resource.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Schema URN of the core Group resource.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Schema URN of the enterprise User extension (accepted, ignored).
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Message URN of a list answer.
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Message URN of a PATCH request.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Message URN of an error.
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The most resources one list answer carries (`filter.maxResults`).
pub const MAX_RESULTS: usize = 200;
