//! Gatehouse's HTTP server: configuration, start-up (SPEC §6.4), the route
//! table and its guard, the handlers of the native API (SPEC §7), the write
//! path that keeps the in-memory snapshot current (SPEC §8), observability
//! (SPEC §9), the web UI (SPEC §12) and graceful serving.

pub mod caller;
pub mod client_address;
pub mod compile_threads;
pub mod config;
pub mod credentials;
pub mod denials;
pub mod error;
pub mod guard;
pub mod handlers;
pub mod jfrog;
pub mod json;
pub mod keep_alive;
pub mod mail_settings;
pub mod mailer;
pub mod needs;
pub mod observe;
pub mod oidc;
pub mod openapi;
pub mod operations;
pub mod ops;
pub mod password;
pub mod problem;
pub mod query_params;
pub mod rate_limit;
pub mod request_id;
pub mod router;
pub mod scim;
pub mod serve;
pub mod start;
pub mod state;
pub mod strict_json;
pub mod tls;
pub mod token_cache;
pub mod web;
pub mod writer;

pub use config::{Config, ConfigError, LogFormat};
pub use error::StartError;
pub use serve::{serve, serve_until};
pub use start::{InitialAdmin, Server, start};
pub use state::App;
