//! A sorted map from user to a 32-bit value in one array of packed pairs:
//! the cold twin of [`MemberTable`](super::table::MemberTable). Checks
//! never read it, so it trades the hash table's constant-time probe and
//! its empty slots (a quarter to a half of them) for a short scan from an
//! interpolated guess and none: at a million users the user → source-set
//! maps of every project take a few hundred MiB less.

use std::sync::Arc;

use crate::ids::UserId;

/// Users of one project and a value each, sorted by user.
#[derive(Clone, Debug, Default)]
pub(crate) struct SortedPairs {
    // INVARIANT: strictly increasing by the high half (the user id); a
    // pair is `user << 32 | value`.
    pairs: Arc<[u64]>,
    // INVARIANT: the first and last pairs' users (0 when empty), and
    // `(len - 1) · 2^32 / (high - low)` (0 when they are equal), kept
    // here so that a guess reads no more cache lines and divides nothing.
    low: u32,
    high: u32,
    step: u64,
}

/// Pairs scanned from a guess before a binary search takes over.
const SCAN: usize = 32;

#[inline]
fn pair(user: UserId, value: u32) -> u64 {
    u64::from(user.0) << 32 | u64::from(value)
}

#[inline]
fn user_of(pair: u64) -> u32 {
    // the high half is the user id.
    (pair >> 32) as u32
}

impl SortedPairs {
    /// The map of `pairs` (in any order; a later pair of a user wins).
    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (UserId, u32)>) -> Self {
        let mut packed: Vec<u64> = pairs.into_iter().map(|(user, value)| pair(user, value)).collect();
        // Stable: among equal users the last given stays last.
        packed.sort_by_key(|p| user_of(*p));
        let mut kept: Vec<u64> = Vec::with_capacity(packed.len());
        for p in packed {
            match kept.last_mut() {
                Some(last) if user_of(*last) == user_of(p) => *last = p,
                _ => kept.push(p),
            }
        }
        Self::of(kept.into())
    }

    fn of(pairs: Arc<[u64]>) -> Self {
        let key = |p: Option<&u64>| p.map_or(0, |p| user_of(*p));
        let (low, high) = (key(pairs.first()), key(pairs.last()));
        let gaps = (pairs.len().saturating_sub(1) as u64) << 32;
        Self {
            low,
            high,
            step: gaps.checked_div(u64::from(high - low)).unwrap_or(0),
            pairs,
        }
    }

    /// Where `user` is (`Ok`) or would go (`Err`), as a binary search
    /// answers. A project's members have ids spread over the id range, so
    /// the place is guessed by interpolation (one multiplication), then
    /// found by a short scan from the guess, which reads one or two cache
    /// lines and mispredicts one branch; a binary search, where the scan
    /// of [`SCAN`] pairs does not reach (ids far from evenly spread).
    fn find(&self, user: UserId) -> Result<usize, usize> {
        let pairs = &self.pairs[..];
        let key = |p: &u64| user_of(*p);
        if user.0 <= self.low || user.0 >= self.high {
            return pairs.binary_search_by_key(&user.0, key);
        }
        // Below `pairs.len() - 1`: `user` lies strictly between the ends.
        let guess = ((u64::from(user.0 - self.low) * self.step) >> 32) as usize;
        let at = |i: usize| -> Result<usize, usize> {
            if pairs.get(i).is_some_and(|p| key(p) == user.0) {
                Ok(i)
            } else {
                Err(i)
            }
        };
        if pairs.get(guess).is_some_and(|p| key(p) < user.0) {
            // After the guess: the first pair not below the user.
            let ahead = pairs.get(guess + 1..).unwrap_or_default();
            let near = ahead.get(..SCAN.min(ahead.len())).unwrap_or_default();
            match near.iter().position(|p| key(p) >= user.0) {
                Some(i) => at(guess + 1 + i),
                None => match ahead.binary_search_by_key(&user.0, key) {
                    Ok(i) => Ok(guess + 1 + i),
                    Err(i) => Err(guess + 1 + i),
                },
            }
        } else {
            // At or before the guess: just after the last pair below it.
            let behind = pairs.get(..=guess).unwrap_or_default();
            let from = behind.len().saturating_sub(SCAN);
            let near = behind.get(from..).unwrap_or_default();
            match near.iter().rposition(|p| key(p) < user.0) {
                Some(i) => at(from + i + 1),
                None if from == 0 => at(0),
                None => behind.binary_search_by_key(&user.0, key),
            }
        }
    }

    /// Asks the CPU to fetch the pair [`SortedPairs::get`] reads first for
    /// `user` (a hint).
    #[inline]
    pub(crate) fn prefetch(&self, user: UserId) {
        // As `find` guesses; a user beyond the ends counts as at the end.
        let offset = user.0.clamp(self.low, self.high) - self.low;
        let guess = ((u64::from(offset) * self.step) >> 32) as usize;
        if let Some(pair) = self.pairs.get(guess) {
            mem_prefetch::prefetch_read_data::<u64, 3>(pair);
        }
    }

    /// The value of `user`, if it is in the map.
    pub(crate) fn get(&self, user: UserId) -> Option<u32> {
        // the low half is the value.
        self.find(user).ok().and_then(|i| self.pairs.get(i)).map(|p| *p as u32)
    }

    /// Sets `user`'s value (inserting it), or removes it with `None`.
    /// Answers the value it replaced.
    pub(crate) fn set(&mut self, user: UserId, value: Option<u32>) -> Option<u32> {
        match (self.find(user), value) {
            (Ok(i), Some(value)) => {
                let slot = Arc::make_mut(&mut self.pairs).get_mut(i)?;
                let previous = *slot as u32;
                *slot = pair(user, value);
                Some(previous)
            }
            (Ok(i), None) => {
                let mut pairs = self.pairs.to_vec();
                let previous = pairs.remove(i) as u32;
                *self = Self::of(pairs.into());
                Some(previous)
            }
            (Err(i), Some(value)) => {
                let mut pairs = Vec::with_capacity(self.pairs.len() + 1);
                pairs.extend_from_slice(self.pairs.get(..i).unwrap_or_default());
                pairs.push(pair(user, value));
                pairs.extend_from_slice(self.pairs.get(i..).unwrap_or_default());
                *self = Self::of(pairs.into());
                None
            }
            (Err(_), None) => None,
        }
    }

    /// Every (user, value) pair, by user.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (UserId, u32)> + '_ {
        self.pairs.iter().map(|p| (UserId(user_of(*p)), *p as u32))
    }
}

#[cfg(test)]
mod tests {
    //! The map against `std`'s, over random inserts, updates and removals.

    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::SortedPairs;
    use crate::ids::UserId;

    proptest! {
        #[test]
        fn behaves_like_a_map(
            start in proptest::collection::vec((prop_oneof![0u32..256, 100_000u32..100_100], 0u32..1000), 0..120),
            ops in proptest::collection::vec((0u32..256, proptest::option::of(0u32..1000)), 0..300),
        ) {
            let mut map = SortedPairs::from_pairs(start.iter().map(|(u, v)| (UserId(*u), *v)));
            let mut model: BTreeMap<u32, u32> = start.into_iter().collect();
            for (user, value) in ops {
                let previous = map.set(UserId(user), value);
                let expected = match value {
                    Some(v) => model.insert(user, v),
                    None => model.remove(&user),
                };
                prop_assert_eq!(previous, expected);
            }
            for user in (0..256).chain(100_000..100_100).chain([u32::MAX]) {
                // A hint for any user, at or past the ends too.
                map.prefetch(UserId(user));
                prop_assert_eq!(map.get(UserId(user)), model.get(&user).copied());
            }
            let listed: Vec<(u32, u32)> = map.iter().map(|(u, v)| (u.0, v)).collect();
            let expected: Vec<(u32, u32)> = model.into_iter().collect();
            prop_assert_eq!(listed, expected);
        }
    }
}
