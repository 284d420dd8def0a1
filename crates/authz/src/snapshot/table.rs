//! The per-project member table: an open-addressing hash table of 8-byte
//! slots, user id → a 32-bit value (a permission reference, or a source-set
//! index).

use std::sync::Arc;

use crate::ids::UserId;

const MIN_SLOTS: usize = 8;

/// The slots of a member table, read-only: what checks read (the
/// snapshot's check table keeps these, two words, without the count).
#[derive(Clone, Debug)]
pub(crate) struct Slots {
    // INVARIANT: the length is a power of two (at least MIN_SLOTS); a slot
    // is 0 (empty) or `value << 32 | key(user)`; linear probing with no
    // tombstones (removal shifts entries back), never full.
    slots: Arc<[u64]>,
}

impl Default for Slots {
    fn default() -> Self {
        Self::empty(MIN_SLOTS)
    }
}

/// A user's key in the low half of its slot: never 0 (an empty slot),
/// for user ids are dense indices, far below `u32::MAX`.
#[inline]
fn key(user: UserId) -> u32 {
    user.0.wrapping_add(1)
}

/// The key of a taken slot (its low half).
#[inline]
fn key_of(slot: u64) -> u32 {
    slot as u32
}

/// The value of a taken slot (its high half).
#[inline]
fn value_of(slot: u64) -> u32 {
    (slot >> 32) as u32
}

/// Fibonacci hashing: the high bits of the product spread dense ids;
/// `shift` leaves log2(slots) of them.
#[inline]
fn home_of(key: u32, shift: u32) -> usize {
    // the shift leaves at most log2(slots) bits.
    (u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

impl Slots {
    fn empty(len: usize) -> Self {
        Self {
            slots: vec![0; len].into(),
        }
    }

    /// The shift that leaves log2(len) bits of a 64-bit hash.
    #[inline]
    fn shift(&self) -> u32 {
        // The length is a power of two, 2^k: shift by 64 − k.
        u64::BITS - self.slots.len().trailing_zeros()
    }

    #[inline]
    fn home(&self, user: UserId) -> usize {
        home_of(key(user), self.shift())
    }

    /// The value of `user`, if it is in the table.
    #[inline]
    pub(crate) fn get(&self, user: UserId) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let wanted = key(user);
        let mut i = self.home(user);
        loop {
            let slot = self.slots[i];
            if key_of(slot) == wanted {
                return Some(value_of(slot));
            }
            if slot == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Asks the CPU to fetch `user`'s home slot into cache (a hint).
    #[inline]
    pub(crate) fn prefetch(&self, user: UserId) {
        if let Some(slot) = self.slots.get(self.home(user)) {
            mem_prefetch::prefetch_read_data::<u64, 3>(slot);
        }
    }

    /// Every (user, value) pair, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (UserId, u32)> + '_ {
        self.slots
            .iter()
            .filter(|s| **s != 0)
            .map(|s| (UserId(key_of(*s).wrapping_sub(1)), value_of(*s)))
    }

    /// Whether both are the same slots (one shared copy).
    pub(crate) fn ptr_eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.slots, &other.slots)
    }
}

/// Users of one project and their role-set index: the slots, and how many
/// are taken.
#[derive(Clone, Debug, Default)]
pub(crate) struct MemberTable {
    // INVARIANT: at most 3/4 of the slots are taken; `len` of them.
    slots: Slots,
    len: usize,
}

impl MemberTable {
    pub(crate) fn with_capacity(entries: usize) -> Self {
        Self {
            slots: Slots::empty((entries * 4 / 3 + 1).next_power_of_two().max(MIN_SLOTS)),
            len: 0,
        }
    }

    /// How many users the table holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The slots, shared (for the check table).
    pub(crate) fn slots(&self) -> Slots {
        self.slots.clone()
    }

    /// The role-set index of `user`, if it is in the table.
    #[inline]
    pub(crate) fn get(&self, user: UserId) -> Option<u32> {
        self.slots.get(user)
    }

    /// Every (user, value) pair, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (UserId, u32)> + '_ {
        self.slots.iter()
    }

    /// Sets `user`'s set index (inserting it), or removes it with `None`.
    /// Answers the index it replaced.
    pub(crate) fn set(&mut self, user: UserId, set: Option<u32>) -> Option<u32> {
        let previous = self.get(user);
        match (previous, set) {
            (None, None) => {}
            (Some(_), None) => self.remove(user),
            (_, Some(set)) => {
                if previous.is_none() && (self.len + 1) * 4 > self.slots.slots.len() * 3 {
                    self.grow();
                }
                self.insert(user, set, previous.is_none());
            }
        }
        previous
    }

    fn grow(&mut self) {
        let mut bigger = Self::with_capacity(self.len * 2);
        for (user, set) in self.iter() {
            bigger.insert(user, set, true);
        }
        *self = bigger;
    }

    fn insert(&mut self, user: UserId, set: u32, new: bool) {
        let mut i = self.slots.home(user);
        let slots = Arc::make_mut(&mut self.slots.slots);
        let mask = slots.len() - 1;
        let wanted = key(user);
        while slots[i] != 0 && key_of(slots[i]) != wanted {
            i = (i + 1) & mask;
        }
        slots[i] = u64::from(set) << 32 | u64::from(wanted);
        if new {
            self.len += 1;
        }
    }

    fn remove(&mut self, user: UserId) {
        let mut hole = self.slots.home(user);
        let shift = self.slots.shift();
        let slots = Arc::make_mut(&mut self.slots.slots);
        let mask = slots.len() - 1;
        let wanted = key(user);
        while key_of(slots[hole]) != wanted {
            hole = (hole + 1) & mask;
        }
        slots[hole] = 0;
        self.len -= 1;
        // Backward-shift: move later entries of the run into the hole when
        // their home lies at or before it.
        let mut i = (hole + 1) & mask;
        while slots[i] != 0 {
            let home = home_of(key_of(slots[i]), shift);
            if (i.wrapping_sub(home) & mask) >= (i.wrapping_sub(hole) & mask) {
                slots[hole] = slots[i];
                slots[i] = 0;
                hole = i;
            }
            i = (i + 1) & mask;
        }
    }

    /// Approximate heap bytes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.slots.len() * 8
    }
}

#[cfg(test)]
mod tests {
    //! The table against `std`'s map, over random inserts, updates and
    //! removals (backward-shift deletion is easy to get wrong).

    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::MemberTable;
    use crate::ids::UserId;

    /// Small ids, which collide often, and the largest a table holds.
    fn users() -> impl Strategy<Value = u32> {
        prop_oneof![0u32..64, u32::MAX - 65..u32::MAX - 1]
    }

    proptest! {
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec((users(), proptest::option::of(any::<u32>())), 0..400)) {
            // Values of every size: a value's bits must not spill into its key.
            let mut table = MemberTable::default();
            let mut model: HashMap<u32, u32> = HashMap::new();
            for (user, value) in ops {
                let previous = table.set(UserId(user), value);
                let expected = match value {
                    Some(v) => model.insert(user, v),
                    None => model.remove(&user),
                };
                prop_assert_eq!(previous, expected);
                prop_assert_eq!(table.len, model.len());
                prop_assert!(table.slots.slots.len() * 3 >= table.len * 4, "at most 3/4 full");
            }
            for user in (0..64).chain(u32::MAX - 65..u32::MAX - 1) {
                prop_assert_eq!(table.get(UserId(user)), model.get(&user).copied());
            }
            let mut listed: Vec<(u32, u32)> = table.iter().map(|(u, v)| (u.0, v)).collect();
            let mut expected: Vec<(u32, u32)> = model.into_iter().collect();
            listed.sort_unstable();
            expected.sort_unstable();
            prop_assert_eq!(listed, expected);
        }
    }
}
