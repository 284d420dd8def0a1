//! The JSON shapes of the native API (SPEC Appendix A), one module per area.
//! Request bodies deny unknown fields (SPEC §7); answers may gain fields.

pub mod audit;
pub mod borrowed;
pub mod catalogue;
pub mod check;
pub mod document;
pub mod environments;
pub mod groups;
pub mod impact;
pub mod invitations;
pub mod members;
pub mod page;
pub mod projects;
pub mod resources;
pub mod roles;
pub mod scope_kind;
pub mod settings;
pub mod time_format;
pub mod tokens;
pub mod users;
