//! The decision changes an impact has found: exact counts, the users
//! concerned, and the first `limit` changes by names.

use std::collections::BinaryHeap;

use super::DecisionChange;
use crate::ids::{ProjectId, UserId};

/// The decision changes found so far.
pub(super) struct Tally {
    pub(super) gained: usize,
    pub(super) lost: usize,
    pub(super) hidden: usize,
    /// Every user with a change.
    pub(super) users: UserSet,
    pub(super) first: FirstChanges,
    /// Listable changes counted by run and not offered yet: the (user,
    /// project) pairs, and their users.
    pub(super) deferred: Vec<(UserId, ProjectId)>,
    pub(super) deferred_users: UserSet,
}

impl Tally {
    pub(super) fn count(&mut self, user: UserId, gained: bool, shown: bool) {
        self.count_many(user, usize::from(gained), usize::from(!gained), shown);
    }

    pub(super) fn count_many(&mut self, user: UserId, gained: usize, lost: usize, shown: bool) {
        self.users.insert(user);
        self.gained += gained;
        self.lost += lost;
        if !shown {
            self.hidden += gained + lost;
        }
    }
}

/// A set of users, one bit per user id.
#[derive(Default)]
pub(super) struct UserSet {
    words: Vec<u64>,
    pub(super) len: usize,
}

impl UserSet {
    /// The users, by id.
    pub(super) fn iter(&self) -> impl Iterator<Item = UserId> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let bit = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    // User ids are u32: w·64 + bit fits.
                    UserId((w * 64 + bit) as u32)
                })
            })
        })
    }

    pub(super) fn contains(&self, user: UserId) -> bool {
        self.words
            .get(user.index() / 64)
            .is_some_and(|word| word & (1u64 << (user.index() % 64)) != 0)
    }

    pub(super) fn insert(&mut self, user: UserId) {
        let (word, bit) = (user.index() / 64, 1u64 << (user.index() % 64));
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        if self.words[word] & bit == 0 {
            self.words[word] |= bit;
            self.len += 1;
        }
    }
}

/// Keeps the `limit` smallest changes it is offered, and counts the rest.
pub(super) struct FirstChanges {
    pub(super) limit: usize,
    pub(super) kept: BinaryHeap<DecisionChange>,
    pub(super) offered: usize,
}

impl FirstChanges {
    /// Offers the change `key` names; `make` builds it (allocating) only
    /// when it is kept. The caller counts it in `offered`.
    pub(super) fn offer(
        &mut self,
        key: (&str, &str, Option<&str>, &str),
        gained: bool,
        make: impl FnOnce() -> DecisionChange,
    ) {
        if self.kept.len() < self.limit {
            self.kept.push(make());
        } else if self
            .kept
            .peek()
            .is_some_and(|largest| (key, gained) < (largest.key(), largest.gained))
        {
            self.kept.pop();
            self.kept.push(make());
        }
    }
}
