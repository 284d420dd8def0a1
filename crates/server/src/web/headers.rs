//! The security headers of SPEC §12 on every response, error pages and
//! the API's answers included: a strict Content-Security-Policy (no inline
//! script or style, nothing from another origin, never framed),
//! `Referrer-Policy: same-origin`, `X-Content-Type-Options: nosniff` and
//! `X-Frame-Options: DENY` for browsers that predate `frame-ancestors`.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The Content-Security-Policy of every page (SPEC §12).
pub const CSP: &str = "default-src 'self'; frame-ancestors 'none'";

/// Adds the security headers a response does not already carry (the
/// Swagger UI sets a CSP of its own, `openapi.rs`).
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}
