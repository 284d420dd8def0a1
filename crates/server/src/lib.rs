//! Gatehouse's HTTP server: configuration, start-up (SPEC §6.4), the route
//! table and the ops endpoints (SPEC §7), graceful serving.

pub mod config;
pub mod error;
pub mod ops;
pub mod password;
pub mod problem;
pub mod router;
pub mod serve;
pub mod start;
pub mod state;

pub use config::{Config, ConfigError, LogFormat};
pub use error::StartError;
pub use serve::serve;
pub use start::{InitialAdmin, Server, start};
pub use state::App;
