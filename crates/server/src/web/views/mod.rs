//! One file per screen of SPEC §12.

pub mod home;
pub mod login;
pub mod users;
