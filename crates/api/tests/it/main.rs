//! Tests of the wire layer: the error-code table, problem+json, and the JSON
//! shapes of SPEC Appendix A.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail by panicking, like the tests they serve"
)]

mod error_codes;
mod grants;
mod problems;
mod strict;
mod wire_json;
