//! A refusal never kills a connection (SPEC §8.1): whatever a handler or an
//! extractor left of the request body is read and thrown away before the
//! response goes out (up to [`MAX_BODY`] and [`DRAIN_TIME`]), so an
//! HTTP/1.1 keep-alive connection stays usable; when the rest is too long
//! or too slow, the response says `Connection: close` before the
//! connection is closed.
//!
//! One mechanism for every route: [`keep_alive`] is the outermost layer of
//! the router, so it sees every refusal — the guard's 401/403, the
//! extractors' 400/413/415/422, the fallbacks' 404/405, the rate limits'
//! 429 and 503.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, Version};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt as _;

use crate::json::MAX_BODY;

/// The longest wait for the unread rest of a body.
pub const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Keeps the request body reachable after the handler drops it, then
/// drains what is left, or marks the response `Connection: close`.
pub async fn keep_alive(request: Request, next: Next) -> Response {
    // HTTP/2 streams are independent: an unread body resets one stream.
    if request.version() != Version::HTTP_11 {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let slot = Arc::new(Mutex::new(Some(body)));
    let request = Request::from_parts(parts, Body::new(Shared(Arc::clone(&slot))));
    let mut response = next.run(request).await;
    let rest = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(rest) = rest
        && !rest.is_end_stream()
        && !drain(rest).await
    {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Reads and discards `body`; whether it ended within the limits.
async fn drain(mut body: Body) -> bool {
    if body.size_hint().lower() > MAX_BODY as u64 {
        return false;
    }
    let read = async {
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            if let Some(data) = frame.data_ref() {
                total += data.len();
                if total > MAX_BODY {
                    return false;
                }
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIME, read).await.unwrap_or(false)
}

/// The request body behind a shared slot: the handler reads it through
/// this, and [`keep_alive`] takes back what it left.
struct Shared(Arc<Mutex<Option<Body>>>);

impl HttpBody for Shared {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}
