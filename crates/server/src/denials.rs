//! Refused requests are audited (`access.denied`, SPEC §9.1) — but not one
//! append-only record per refusal, which would let any authenticated caller
//! grow the audit chain without bound by repeating a forbidden request.
//! For one actor (user and token), method and route pattern, the first
//! refusal in each [`WINDOW`] is recorded; the ones after it are counted,
//! and the next record written for that key says how many there were.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most one `access.denied` record per actor, method and route this often.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Most keys remembered; past it, those whose window is over are dropped
/// first, then all (a caller then gets at most one more record per key).
const CAPACITY: usize = 10_000;

/// Who was refused what: user, token id, method, route pattern.
type Key = (String, Option<String>, String, String);

/// The refusals seen in the current window of one key.
#[derive(Debug)]
struct Window {
    started: Instant,
    suppressed: u64,
}

/// The refusals recently audited.
#[derive(Debug, Default)]
pub struct DeniedLog {
    windows: Mutex<HashMap<Key, Window>>,
}

impl DeniedLog {
    /// Whether this refusal is to be recorded: `Some(n)` with the number of
    /// refusals of the same key not recorded since the last record, `None`
    /// when it is only counted.
    pub fn admit(&self, user: &str, token: Option<&str>, method: &str, route: &str) -> Option<u64> {
        let Ok(mut windows) = self.windows.lock() else {
            return Some(0);
        };
        let key = (
            user.to_owned(),
            token.map(str::to_owned),
            method.to_owned(),
            route.to_owned(),
        );
        let now = Instant::now();
        if let Some(window) = windows.get_mut(&key) {
            if now.duration_since(window.started) < WINDOW {
                window.suppressed = window.suppressed.saturating_add(1);
                return None;
            }
            let suppressed = window.suppressed;
            *window = Window {
                started: now,
                suppressed: 0,
            };
            return Some(suppressed);
        }
        if windows.len() >= CAPACITY {
            windows.retain(|_, w| now.duration_since(w.started) < WINDOW);
            if windows.len() >= CAPACITY {
                windows.clear();
            }
        }
        windows.insert(
            key,
            Window {
                started: now,
                suppressed: 0,
            },
        );
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::DeniedLog;

    #[test]
    fn one_record_per_window_and_key() {
        let log = DeniedLog::default();
        assert_eq!(log.admit("kim", None, "GET", "/api/v1/users"), Some(0));
        for _ in 0..100 {
            assert_eq!(log.admit("kim", None, "GET", "/api/v1/users"), None);
        }
        assert_eq!(
            log.admit("kim", None, "POST", "/api/v1/users"),
            Some(0),
            "another method"
        );
        assert_eq!(
            log.admit("kim", Some("t"), "GET", "/api/v1/users"),
            Some(0),
            "another token"
        );
        assert_eq!(log.admit("lee", None, "GET", "/api/v1/users"), Some(0), "another actor");
    }
}
