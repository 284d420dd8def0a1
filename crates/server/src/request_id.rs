//! Request ids (SPEC §7): `X-Request-Id` as the client sent it when it is
//! short and safe (at most [`MAX_CLIENT_ID`] of `[A-Za-z0-9._-]`), else a
//! new one — a per-process random prefix and a counter, unique without a
//! system call per request. The id is logged and written into audit
//! records, so a client never chooses more than that.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, Request};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::problem::REQUEST_ID;

/// The longest request id a client may choose.
pub const MAX_CLIENT_ID: usize = 64;

/// Whether a client's request id is kept: 1 to [`MAX_CLIENT_ID`] of
/// `[A-Za-z0-9._-]`.
#[must_use]
pub fn is_safe_id(id: &[u8]) -> bool {
    (1..=MAX_CLIENT_ID).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops a client's `X-Request-Id` that is not safe (or sent twice), so that
/// the request-id layer inside generates one instead.
pub async fn keep_safe_id(mut request: axum::extract::Request, next: Next) -> Response {
    let headers = request.headers_mut();
    let mut sent = headers.get_all(REQUEST_ID).iter();
    let keep = match (sent.next(), sent.next()) {
        (None, _) => true,
        (Some(id), None) => is_safe_id(id.as_bytes()),
        (Some(_), Some(_)) => false,
    };
    if !keep {
        headers.remove(REQUEST_ID);
    }
    next.run(request).await
}

/// Makes request ids `<16 hex random>-<counter>`.
#[derive(Clone, Debug)]
pub struct SequentialIds {
    prefix: u64,
    next: Arc<AtomicU64>,
}

impl SequentialIds {
    /// A generator with a random prefix (a fixed one if the system has no
    /// randomness to give: ids stay unique within the process).
    #[must_use]
    pub fn new() -> Self {
        let mut bytes = [0_u8; 8];
        let prefix = getrandom::fill(&mut bytes).map_or(0, |()| u64::from_le_bytes(bytes));
        Self {
            prefix,
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl Default for SequentialIds {
    fn default() -> Self {
        Self::new()
    }
}

impl MakeRequestId for SequentialIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:016x}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;
    use tower_http::request_id::MakeRequestId as _;

    use super::{SequentialIds, is_safe_id};

    #[test]
    fn only_short_safe_ids_are_kept() {
        assert!(is_safe_id(b"abc-123_X.y"));
        assert!(is_safe_id(&[b'a'; 64]));
        assert!(!is_safe_id(&[b'a'; 65]));
        assert!(!is_safe_id(b""));
        assert!(!is_safe_id(b"a b"));
        assert!(!is_safe_id(b"a/b"));
        assert!(!is_safe_id("é".as_bytes()));
    }

    #[test]
    fn ids_are_distinct_and_share_the_process_prefix() {
        let mut ids = SequentialIds::new();
        let request = Request::new(());
        let a = ids.make_request_id(&request).unwrap();
        let b = ids.make_request_id(&request).unwrap();
        let (a, b) = (a.header_value().to_str().unwrap(), b.header_value().to_str().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.split('-').next(), b.split('-').next());
        assert_ne!(
            a.split('-').next(),
            SequentialIds::new()
                .make_request_id(&request)
                .unwrap()
                .header_value()
                .to_str()
                .ok()
                .and_then(|s| s.split('-').next())
        );
    }
}
