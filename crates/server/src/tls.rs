//! Native TLS (SPEC §8.1): `tls_cert` and `tls_key` (PEM; the certificate
//! file may hold a chain) served with rustls — TLS 1.2 and 1.3 only, HTTP/2
//! and HTTP/1.1 by ALPN — through the `aws-lc-rs` provider (already built
//! for the SMTP client; docs/decisions.md). The files are read again on
//! SIGHUP: a new handshake gets the new certificate, open connections keep
//! theirs, and a bad file keeps the old one (and says why in the log).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, version};
use tokio_rustls::TlsAcceptor;

/// Why a certificate or key cannot be used; names the file.
#[derive(Debug, thiserror::Error)]
#[error("TLS: `{path}`: {message}")]
pub struct TlsError {
    /// The file.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl TlsError {
    fn new(path: &Path, message: impl fmt::Display) -> Self {
        Self {
            path: path.display().to_string(),
            message: message.to_string(),
        }
    }
}

/// The server's certificate, reloadable.
#[derive(Clone)]
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    current: Arc<ArcSwap<CertifiedKey>>,
    acceptor: TlsAcceptor,
    provider: Arc<CryptoProvider>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish()
    }
}

impl Tls {
    /// Reads `cert` and `key`.
    ///
    /// # Errors
    /// [`TlsError`] naming the file that is missing, unreadable or unusable.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let current = Arc::new(ArcSwap::from_pointee(read(cert, key, &provider)?));
        let mut config = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&version::TLS13, &version::TLS12])
            .map_err(|e| TlsError::new(cert, e))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Resolver(Arc::clone(&current))));
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            cert: cert.to_owned(),
            key: key.to_owned(),
            current,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            provider,
        })
    }

    /// Reads the files again; on failure the current certificate stays.
    ///
    /// # Errors
    /// [`TlsError`] naming the file.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = read(&self.cert, &self.key, &self.provider)?;
        self.current.store(Arc::new(fresh));
        Ok(())
    }

    /// The acceptor of new connections.
    #[must_use]
    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

/// The certificate chain of `cert` with the private key of `key`, checked
/// to belong together.
fn read(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    std::fs::metadata(cert).map_err(|e| TlsError::new(cert, e))?;
    std::fs::metadata(key).map_err(|e| TlsError::new(key, e))?;
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| TlsError::new(cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::new(cert, format!("not a PEM certificate file: {e}")))?;
    if chain.is_empty() {
        return Err(TlsError::new(cert, "holds no PEM certificate"));
    }
    let private =
        PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::new(key, format!("not a PEM private key: {e}")))?;
    CertifiedKey::from_der(chain, private, provider)
        .map_err(|e| TlsError::new(key, format!("cannot be used with the certificate: {e}")))
}

/// Hands every handshake the current certificate.
#[derive(Debug)]
struct Resolver(Arc<ArcSwap<CertifiedKey>>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.load_full())
    }
}
