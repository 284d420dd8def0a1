//! Reading the credential a request presents (bearer token or session
//! cookie) from arbitrary header lines: never a panic, and a token read is
//! always a trimmed `gate_…` secret.
#![no_main]

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use gatehouse_server::credentials::{Presented, presented};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in bytes.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii_start()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    if let Ok(Some(Presented::Token(secret))) = presented(&headers) {
        assert!(secret.starts_with("gate_") && secret.trim() == secret, "{secret:?}");
    }
});
