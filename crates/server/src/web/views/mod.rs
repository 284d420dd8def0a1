//! One file per screen of SPEC §12.

pub mod account;
pub mod audit;
pub mod check;
pub mod confirm;
pub mod environments;
pub mod groups;
pub mod home;
pub mod impact;
pub mod invitations;
pub mod login;
pub mod project;
pub mod project_environments;
pub mod project_members;
pub mod project_resources;
pub mod project_roles;
pub mod projects;
pub mod recovery;
pub mod role;
pub mod settings;
pub mod tokens;
pub mod user;
pub mod users;
