//! Why the server could not start.

use gatehouse_authz::{CatalogueError, ModelError};
use gatehouse_domain::{DomainError, StoreError};

use crate::config::ConfigError;

/// A start-up failure; the message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The catalogue cannot be read or is invalid.
    #[error("catalogue `{name}`: {message}")]
    Catalogue {
        /// `catalogue` as configured.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The data directory or a file in it cannot be written.
    #[error("{what} `{path}`: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
    /// The configured catalogue is not the one the store keeps, and the
    /// stored roles do not all validate against it (SPEC §7).
    #[error(
        "the store keeps catalogue `{kept}`, but `catalogue` is `{configured}`, against which the stored roles do \
         not validate ({why}); set `catalogue` back to `{kept}`"
    )]
    CatalogueChanged {
        /// The catalogue the store was initialised with or switched to.
        kept: String,
        /// The configured catalogue.
        configured: String,
        /// The first role that does not validate.
        why: String,
    },
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The OIDC keys name a provider that cannot be used.
    #[error(transparent)]
    Oidc(#[from] crate::oidc::OidcConfigError),
    /// The initial commit could not be built.
    #[error("initialisation: {0}")]
    Domain(#[from] DomainError),
    /// The stored model does not compile.
    #[error("the stored model does not compile: {0}")]
    Model(#[from] ModelError),
    /// The password could not be hashed or generated.
    #[error("password: {0}")]
    Password(String),
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// Binding or serving failed.
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

impl StartError {
    pub(crate) fn catalogue(name: &str, error: &CatalogueError) -> Self {
        Self::Catalogue {
            name: name.to_owned(),
            message: error.to_string(),
        }
    }
}
