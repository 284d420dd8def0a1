//! End-to-end tests of the server: real HTTP on port 0 against a SQLite
//! store in a temporary data directory, and against a fresh PostgreSQL
//! database when `GATEHOUSE_TEST_POSTGRES` is set.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail by panicking, like the tests they serve"
)]

mod audit;
mod auth;
mod bad_input;
mod bounded;
mod cluster;
mod config;
mod consistency;
mod delegated;
mod dry_run;
mod escalation;
mod full_disk;
mod fuzz_corpus;
mod host;
mod instances;
mod jfrog;
mod jfrog_client;
mod lockout;
mod mail;
mod metrics;
mod model_property;
mod narrowing;
mod oidc;
mod openapi;
mod operations;
mod ops;
mod packaging;
mod recovery;
mod routes;
mod rules;
mod scim;
mod scim_conformance;
mod seeds;
mod spawn;
mod squatting;
mod start;
mod takeover;
mod tls;
mod tokens;
mod transfer;
mod users;
