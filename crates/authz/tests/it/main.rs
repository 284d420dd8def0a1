//! Integration tests of the authorization core: seed fixtures, the catalogue
//! loader, anti-escalation, and properties against a naive reference.

mod catalogue;
mod escalation;
mod fixtures;
mod properties;
mod reference;
mod seeds;
