//! The native API's handlers, one module per area. Each is thin: its wire
//! (path, query, `If-Match`, JSON body) → one input of `operations` → the
//! operation (with `Via::Api`) → its answer in the wire shape.

pub mod audit;
pub mod auth;
pub mod check;
pub mod environments;
pub mod groups;
pub mod invitations;
pub mod members;
pub mod oidc;
pub mod projects;
pub mod resources;
pub mod respond;
pub mod roles;
pub mod settings;
pub mod tokens;
pub mod transfer;
pub mod users;
