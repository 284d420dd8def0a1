//! The UI's static files — the stylesheet, htmx 2 (vendored from npm,
//! `tests/js/package.json` pins the version) and the UI's own small
//! scripts — embedded in the binary (rust-embed) and served at
//! `/assets/…`: no page loads anything from another origin (SPEC §12).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};

/// The files under `crates/server/assets/`, in the binary.
#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

/// How long a browser may keep an asset without asking again.
const CACHE_CONTROL: &str = "public, max-age=3600";

/// `GET /assets/{*path}`.
pub async fn asset(Path(path): Path<String>) -> Response {
    let Some(file) = Assets::get(&path) else {
        return super::page::not_found();
    };
    let content_type = match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    let mut response = (StatusCode::OK, file.data.into_owned()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    response
}

/// Whether the asset at `path` is in the binary (tests).
#[must_use]
pub fn exists(path: &str) -> bool {
    Assets::get(path).is_some()
}
