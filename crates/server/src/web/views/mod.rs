//! One file per screen of SPEC §12.

pub mod account;
pub mod audit;
pub mod check;
pub mod environments;
pub mod groups;
pub mod home;
pub mod invitations;
pub mod login;
pub mod recovery;
pub mod settings;
pub mod tokens;
pub mod user;
pub mod users;
