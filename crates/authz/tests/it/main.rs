//! Integration tests of the authorization core: seed fixtures, the catalogue
//! loader, anti-escalation, and properties against a naive reference.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail by panicking, like the tests they serve"
)]

mod catalogue;
mod compile;
mod edits;
mod escalation;
mod fixtures;
mod impact;
mod properties;
mod reference;
mod resources;
mod seeds;
mod split_mix;
