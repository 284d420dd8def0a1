//! Native TLS (SPEC §8.1): a throwaway CA and certificate made here, a
//! client that trusts that CA, HTTP/2 and HTTP/1.1 by ALPN, TLS 1.2 and 1.3
//! only, the certificate read again on SIGHUP without dropping an open
//! connection, a bad file keeping the old one, and a clear error at start.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A test CA.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "Gatehouse test CA");
        Self {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    /// A certificate for `localhost` and 127.0.0.1 written to `dir` as
    /// `cert.pem` (leaf, then the CA: a chain) and `key.pem`; answers its DER.
    fn issue(&self, dir: &Path, name: &str) -> CertificateDer<'static> {
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        std::fs::write(dir.join("cert.pem"), format!("{}{}", cert.pem(), self.issuer.pem())).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
        cert.der().clone()
    }

    fn connector(&self, alpn: &[&[u8]]) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.issuer.der().clone()).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsConnector::from(Arc::new(config))
    }
}

async fn connect(ca: &Ca, url: &str, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
    let addr = url.trim_start_matches("http://");
    let tcp = TcpStream::connect(addr).await.unwrap();
    ca.connector(alpn)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

fn served_cert(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    stream.get_ref().1.peer_certificates().unwrap()[0].clone().into_owned()
}

fn healthz() -> hyper::Request<Empty<Bytes>> {
    hyper::Request::get("https://localhost/healthz")
        .body(Empty::new())
        .unwrap()
}

fn hangup() {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn https_by_alpn_h2_and_http11_and_the_certificate_reloads_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new();
    let first = ca.issue(dir.path(), "first");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let (t, _data) = {
        let (cert, key) = (cert.clone(), key.clone());
        start_with_tls(move |c| {
            c.tls_cert = Some(cert);
            c.tls_key = Some(key);
        })
        .await
    };

    // HTTP/2 by ALPN.
    let h2 = connect(&ca, &t, &[b"h2", b"http/1.1"]).await;
    assert_eq!(h2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(served_cert(&h2), first);
    let (mut h2_sender, h2_conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(h2))
        .await
        .unwrap();
    tokio::spawn(h2_conn);
    let answer = h2_sender.send_request(healthz()).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.version(), hyper::Version::HTTP_2);

    // HTTP/1.1 by ALPN, kept open across the reload.
    let h1 = connect(&ca, &t, &[b"http/1.1"]).await;
    assert_eq!(h1.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut h1_sender, h1_conn) = hyper::client::conn::http1::handshake(TokioIo::new(h1)).await.unwrap();
    tokio::spawn(h1_conn);
    let answer = h1_sender.send_request(healthz()).await.unwrap();
    assert_eq!(answer.status(), 200);
    let _ = answer.into_body().collect().await;

    // A second certificate, SIGHUP: new handshakes get it.
    let second = ca.issue(dir.path(), "second");
    assert_ne!(first, second);
    hangup();
    let mut served = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let stream = connect(&ca, &t, &[b"http/1.1"]).await;
        served = Some(served_cert(&stream));
        if served.as_ref() == Some(&second) {
            break;
        }
    }
    assert_eq!(
        served.as_ref(),
        Some(&second),
        "the new certificate is served after SIGHUP"
    );
    // The connections opened before still work.
    let answer = h1_sender.send_request(healthz()).await.unwrap();
    assert_eq!(answer.status(), 200, "HTTP/1.1 connection kept across the reload");
    let answer = h2_sender.send_request(healthz()).await.unwrap();
    assert_eq!(answer.status(), 200, "HTTP/2 connection kept across the reload");

    // A bad file at the next SIGHUP: the current certificate stays.
    std::fs::write(&cert, "not a certificate").unwrap();
    hangup();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stream = connect(&ca, &t, &[b"http/1.1"]).await;
    assert_eq!(served_cert(&stream), second, "a bad file keeps the old certificate");
}

#[tokio::test]
async fn only_tls_12_and_13_are_spoken_and_plain_http_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new();
    ca.issue(dir.path(), "only");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let (url, _data) = start_with_tls(move |c| {
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
    })
    .await;
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.issuer.der().clone()).unwrap();
        let config =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_protocol_versions(&[version])
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        let tcp = TcpStream::connect(url.trim_start_matches("http://")).await.unwrap();
        let stream = TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        assert_eq!(stream.get_ref().1.protocol_version(), Some(version.version));
    }
    // Plain HTTP on the TLS port gets no HTTP answer.
    let answer = reqwest::Client::new().get(format!("{url}/healthz")).send().await;
    assert!(answer.is_err(), "{answer:?}");
}

#[tokio::test]
async fn a_missing_or_bad_certificate_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let mut config = crate::spawn::config(dir.path());
    config.tls_cert = Some(missing.clone());
    config.tls_key = Some(missing.clone());
    let error = gatehouse_server::start(config.clone()).await.err().unwrap().to_string();
    assert!(error.contains(&missing.display().to_string()), "{error}");

    let garbage = dir.path().join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let ca = Ca::new();
    ca.issue(dir.path(), "x");
    config.tls_cert = Some(garbage.clone());
    config.tls_key = Some(dir.path().join("key.pem"));
    let error = gatehouse_server::start(config.clone()).await.err().unwrap().to_string();
    assert!(error.contains(&garbage.display().to_string()), "{error}");

    // A key that is not the certificate's.
    let other = tempfile::tempdir().unwrap();
    ca.issue(other.path(), "other");
    config.tls_cert = Some(dir.path().join("cert.pem"));
    config.tls_key = Some(other.path().join("key.pem"));
    let error = gatehouse_server::start(config).await.err().unwrap().to_string();
    assert!(error.contains("key.pem"), "{error}");
}

/// Starts a TLS server; answers `http://127.0.0.1:<port>` (the tests
/// choose the scheme) and the data directory to keep.
async fn start_with_tls(tweak: impl FnOnce(&mut gatehouse_server::Config)) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::spawn::config(dir.path());
    config.admin_password = Some(crate::spawn::ADMIN_PASSWORD.to_owned());
    tweak(&mut config);
    let (_server, url) = crate::spawn::spawn(config).await;
    (url, dir)
}
