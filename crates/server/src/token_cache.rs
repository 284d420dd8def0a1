//! Tokens recently read from the store, so an API call costs no query.
//!
//! An entry is trusted for [`FRESH_FOR`]; a commit on this instance clears
//! the cache at once (a revocation takes effect on the next request), and
//! other instances see a revocation within [`FRESH_FOR`] (SPEC §6.3, §8).
//!
//! **Invalidation order.** A reader may have read the store *before* a
//! revocation committed and try to remember that (stale) answer *after*
//! the cache was cleared. So the cache has a generation, moved on by every
//! [`TokenCache::clear`]: a reader takes the [`Generation`] before it reads
//! the store, and [`TokenCache::put`] keeps its answer only if no clear
//! happened since — checked and inserted under the one lock `clear` takes.
//! A clear therefore drops every answer read before it, including those
//! not yet put.

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

/// The SHA-256 of a token's secret, as bytes (the store keeps it in hex;
/// the cache needs no hex for an answer it holds).
pub type SecretDigest = [u8; 32];

/// The number of clears so far, as seen by a reader before it read the
/// store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Generation(u64);

#[derive(Default)]
struct Entries {
    generation: u64,
    map: HashMap<SecretDigest, Entry>,
}

/// Tokens by the SHA-256 of their secret.
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<Entries>,
}

impl TokenCache {
    /// The current generation: take it before reading the store.
    pub fn generation(&self) -> Generation {
        Generation(self.entries.read().map_or(u64::MAX, |e| e.generation))
    }

    /// The cached answer for `sha256` (`Some(None)`: known not to exist),
    /// if it is fresh.
    pub fn get(&self, sha256: &SecretDigest) -> Option<Option<Arc<Token>>> {
        let entries = self.entries.read().ok()?;
        let (token, at) = entries.map.get(sha256)?;
        (at.elapsed() < FRESH_FOR).then(|| token.clone())
    }

    /// The cached answer for `sha256` however old, for when the store
    /// cannot be asked (SPEC §8: during an outage requests are answered
    /// from what this instance last knew; no revocation can commit
    /// meanwhile, and every commit empties the cache).
    pub fn get_stale(&self, sha256: &SecretDigest) -> Option<Option<Arc<Token>>> {
        let entries = self.entries.read().ok()?;
        entries.map.get(sha256).map(|(token, _)| token.clone())
    }

    /// Remembers the store's answer for `sha256`, read at `generation`:
    /// dropped if the cache was cleared since (the answer may be stale).
    /// Answers whether it was kept.
    pub fn put(&self, generation: Generation, sha256: SecretDigest, token: Option<Arc<Token>>) -> bool {
        let Ok(mut entries) = self.entries.write() else {
            return false;
        };
        if entries.generation != generation.0 {
            return false;
        }
        if entries.map.len() >= CAPACITY {
            entries.map.clear();
        }
        entries.map.insert(sha256, (token, Instant::now()));
        true
    }

    /// Forgets everything (after a commit), and every answer read before.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.generation = entries.generation.wrapping_add(1);
            entries.map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Barrier};

    use gatehouse_domain::entities::{Scope, Token};
    use gatehouse_domain::names::{Description, Username};
    use time::OffsetDateTime;

    use super::{SecretDigest, TokenCache};

    const H: SecretDigest = [7; 32];

    fn token() -> Arc<Token> {
        let alice = Username::parse("alice").unwrap();
        Arc::new(Token {
            id: "t1".to_owned(),
            username: alice.clone(),
            description: Description::parse("description", "", 10).unwrap(),
            scope: Scope::User("applied-permissions/user".to_owned()),
            secret_sha256: "h".to_owned(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            expires_at: None,
            last_used_at: None,
            created_by: alice,
        })
    }

    #[test]
    fn an_answer_read_before_a_clear_is_not_kept() {
        let cache = TokenCache::default();
        let before = cache.generation();
        cache.clear();
        assert!(!cache.put(before, H, Some(token())));
        assert_eq!(cache.get(&H), None, "a stale answer would re-admit a revoked token");
        let after = cache.generation();
        assert!(cache.put(after, H, Some(token())));
        assert!(cache.get(&H).is_some());
    }

    /// Readers keep looking a token up while another thread revokes it:
    /// after the revocation (the store says "gone", then the cache is
    /// cleared), no reader that starts afterwards is ever admitted.
    #[test]
    fn no_reader_is_admitted_after_a_revocation() {
        for _ in 0..50 {
            let cache = Arc::new(TokenCache::default());
            // The "store": whether the token exists, and a revision that
            // moves when it is revoked.
            let exists = Arc::new(AtomicBool::new(true));
            let revoked_at = Arc::new(AtomicU64::new(u64::MAX));
            let clock = Arc::new(AtomicU64::new(0));
            let readers = 4;
            let barrier = Arc::new(Barrier::new(readers + 1));
            let handles: Vec<_> = (0..readers)
                .map(|_| {
                    let (cache, exists, revoked_at, clock, barrier) = (
                        Arc::clone(&cache),
                        Arc::clone(&exists),
                        Arc::clone(&revoked_at),
                        Arc::clone(&clock),
                        Arc::clone(&barrier),
                    );
                    std::thread::spawn(move || {
                        barrier.wait();
                        for _ in 0..2_000 {
                            let started = clock.fetch_add(1, Ordering::SeqCst);
                            // What `guard::by_token` does.
                            let generation = cache.generation();
                            let admitted = match cache.get(&H) {
                                Some(found) => found.is_some(),
                                None => {
                                    let found = exists.load(Ordering::SeqCst).then(token);
                                    std::thread::yield_now();
                                    let admitted = found.is_some();
                                    cache.put(generation, H, found);
                                    admitted
                                }
                            };
                            if admitted {
                                assert!(
                                    started < revoked_at.load(Ordering::SeqCst),
                                    "a request that started after the revocation was admitted"
                                );
                            }
                        }
                    })
                })
                .collect();
            barrier.wait();
            std::thread::yield_now();
            // The revocation: the store commits, then the cache is cleared;
            // the revocation is complete once both are done.
            exists.store(false, Ordering::SeqCst);
            cache.clear();
            revoked_at.store(clock.load(Ordering::SeqCst), Ordering::SeqCst);
            for handle in handles {
                handle.join().unwrap();
            }
        }
    }
}
