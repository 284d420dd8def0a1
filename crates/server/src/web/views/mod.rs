//! One file per screen of SPEC §12.

pub mod account;
pub mod groups;
pub mod home;
pub mod login;
pub mod tokens;
pub mod user;
pub mod users;
