//! Tokens recently read from the store, so an API call costs no query.
//!
//! An entry is trusted for [`FRESH_FOR`]; a commit on this instance clears
//! the cache at once (a revocation takes effect on the next request), and
//! other instances see a revocation within [`FRESH_FOR`] (SPEC §6.3, §8).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use gatehouse_domain::entities::Token;

/// How long a token read from the store is trusted.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Most tokens kept; the cache is emptied when it would grow past this.
const CAPACITY: usize = 100_000;

/// The store's answer for one secret hash, and when it was read.
type Entry = (Option<Arc<Token>>, Instant);

/// Tokens by the SHA-256 of their secret.
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<String, Entry>>,
}

impl TokenCache {
    /// The cached answer for `sha256` (`Some(None)`: known not to exist),
    /// if it is fresh.
    pub fn get(&self, sha256: &str) -> Option<Option<Arc<Token>>> {
        let entries = self.entries.read().ok()?;
        let (token, at) = entries.get(sha256)?;
        (at.elapsed() < FRESH_FOR).then(|| token.clone())
    }

    /// Remembers the store's answer for `sha256`.
    pub fn put(&self, sha256: String, token: Option<Arc<Token>>) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(sha256, (token, Instant::now()));
        }
    }

    /// Forgets everything (after a commit).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}
