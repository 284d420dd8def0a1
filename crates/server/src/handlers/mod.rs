//! The native API's handlers, one module per area. Each is thin: parse →
//! (authorized already by the route guard) → domain command → respond.

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
pub mod visibility;
