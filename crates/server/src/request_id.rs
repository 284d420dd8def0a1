//! Request ids (SPEC §7): `X-Request-Id` as the client sent it, or a new
//! one — a per-process random prefix and a counter, unique without a
//! system call per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

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

    use super::SequentialIds;

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
