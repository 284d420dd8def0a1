//! One file per screen of SPEC §12.

pub mod account;
pub mod confirm;
pub mod groups;
pub mod home;
pub mod login;
pub mod project;
pub mod project_environments;
pub mod project_members;
pub mod project_resources;
pub mod project_roles;
pub mod projects;
pub mod role;
pub mod tokens;
pub mod user;
pub mod users;
