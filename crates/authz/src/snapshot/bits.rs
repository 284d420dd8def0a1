//! The encoding of a permission: one bit per (action, environment slot)
//! that some role grants, in a short run of 32-bit words, so that a check
//! tests one bit at a computed place instead of scanning entries.
//!
//! Bits `0..A` (`A` actions in the catalogue) say which actions some role
//! *names*: for an action that is not environment-scoped that is the grant
//! itself (the environment is ignored); for a scoped one it is what tells
//! `environment_not_granted` from `action_not_granted`. Then one row of
//! `S` bits per environment slot for the `S` scoped actions. Rows
//! interleave global slots (even rows) and project slots (odd rows), so
//! that a project with a few environments of each kind uses a few rows
//! whatever the slot numbers, and a place never moves when an environment
//! is added. Trailing zero words are left out; a bit past the end is clear.

use super::ALL_SLOTS;
use crate::ids::ActionId;
use crate::sets::ActionSet;

/// One word of a permission run.
pub(crate) type Word = u32;

const WORD_BITS: u32 = Word::BITS;

/// Where each action's bits are, for one catalogue.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    env_scoped: ActionSet,
    // `place[a]` packs the first bit of action `a` (low half) and the
    // distance between its rows (high half, 0 for an action that is not
    // environment-scoped: its one bit stands for every environment);
    // `NO_PLACE` for an action past the catalogue's.
    place: [u32; 128],
    // The words that hold every bit of the layout: every bit `locate`
    // and `bit` give is below `width · 32`.
    width: u32,
}

/// The place of an action the catalogue does not have.
const NO_PLACE: u32 = u32::MAX;

/// Where one action's bits are ([`Layout::locate`]): its first bit and
/// the distance between its rows, packed as in [`Layout`].
#[derive(Clone, Copy)]
pub(crate) struct ActionPlace(u32);

impl ActionPlace {
    /// Whether the action is environment-scoped (its rows are apart).
    #[inline]
    pub(crate) fn scoped(self) -> bool {
        self.0 >> 16 != 0
    }

    /// The bit that grants the action in environment slot `slot` (any
    /// slot for an action that is not environment-scoped).
    #[inline]
    pub(crate) fn bit(self, slot: u8) -> u32 {
        self.row_bit(row_of(slot))
    }

    /// The action's bit in row `row`: its first bit plus `row` times the
    /// distance between its rows.
    #[inline]
    pub(crate) fn row_bit(self, row: u32) -> u32 {
        (self.0 & 0xFFFF) + row * (self.0 >> 16)
    }
}

/// The row of an environment slot: global slots (below 32) on even rows,
/// project slots on odd ones.
#[inline]
pub(crate) const fn row_of(slot: u8) -> u32 {
    (((slot & 31) as u32) << 1) | (slot >> 5 & 1) as u32
}

/// The slot of a row (inverse of [`row_of`]).
const fn slot_of(row: u32) -> u8 {
    // rows are below 64.
    ((row >> 1) as u8) | (((row & 1) as u8) << 5)
}

impl Layout {
    /// The layout of a catalogue of `action_count` actions, of which
    /// `env_scoped` are environment-scoped.
    pub(crate) fn new(action_count: usize, env_scoped: ActionSet) -> Self {
        let mut place = [NO_PLACE; 128];
        let mut next_scoped = 0u32;
        // A catalogue has at most 128 actions.
        let count = action_count.min(128) as u32;
        let scoped_count = env_scoped.len();
        for (a, p) in (0..count).zip(place.iter_mut()) {
            *p = if env_scoped.0 & (1u128 << a) != 0 {
                let first = count + next_scoped;
                next_scoped += 1;
                first | scoped_count << 16
            } else {
                a
            };
        }
        // The last scoped action's bit in the last row (row 63), or the
        // last action's bit without scoped actions.
        let last = if scoped_count == 0 {
            count.saturating_sub(1)
        } else {
            count + scoped_count - 1 + 63 * scoped_count
        };
        Self {
            env_scoped,
            place,
            width: last / WORD_BITS + 1,
        }
    }

    /// How many words hold every bit of the layout (every bit that
    /// [`Layout::locate`] and [`Layout::bit`] give lies in them).
    pub(crate) fn width(&self) -> usize {
        self.width as usize
    }

    /// The actions that are environment-scoped.
    #[inline]
    pub(crate) fn env_scoped(&self) -> ActionSet {
        self.env_scoped
    }

    /// Where `action`'s bits are, and whether it is environment-scoped,
    /// in one read: `None` for an action the catalogue does not have.
    #[inline]
    pub(crate) fn locate(&self, action: ActionId) -> Option<ActionPlace> {
        let place = *self.place.get(action.index())?;
        (place != NO_PLACE).then_some(ActionPlace(place))
    }

    /// The bit that grants `action` (of the catalogue) in environment slot
    /// `slot` (any slot for an action that is not environment-scoped).
    #[inline]
    pub(crate) fn bit(&self, action: ActionId, slot: u8) -> u32 {
        ActionPlace(self.place[action.index() & 127]).bit(slot)
    }

    /// The bit that says some role names `action`.
    #[inline]
    fn named_bit(action: ActionId) -> u32 {
        action.index() as u32
    }

    /// The words granting the union of `grants`, each a set of actions
    /// in the environment slots of a mask (scoped actions only in those;
    /// the others everywhere, whatever the mask).
    pub(crate) fn encode(&self, grants: impl Iterator<Item = (ActionSet, u64)>) -> Vec<Word> {
        let mut words: Vec<Word> = Vec::new();
        for (actions, envs) in grants {
            for action in actions.iter() {
                set_bit(&mut words, Self::named_bit(action));
                if self.env_scoped.contains(action) {
                    let mut slots = envs & ALL_SLOTS;
                    while slots != 0 {
                        // a slot is below 64.
                        set_bit(&mut words, self.bit(action, slots.trailing_zeros() as u8));
                        slots &= slots - 1;
                    }
                }
            }
        }
        words
    }

    /// The slots in which `words` grant `action`: every slot for a named
    /// action that is not environment-scoped.
    pub(crate) fn slots(&self, words: &[Word], action: ActionId) -> u64 {
        if !self.env_scoped.contains(action) {
            return if has_bit(words, Self::named_bit(action)) {
                ALL_SLOTS
            } else {
                0
            };
        }
        let place = ActionPlace(self.place[action.index() & 127]);
        let mut slots = 0u64;
        for row in 0..64 {
            let bit = place.row_bit(row);
            if bit >= words.len() as u32 * WORD_BITS {
                break;
            }
            if has_bit(words, bit) {
                slots |= 1u64 << slot_of(row);
            }
        }
        slots
    }

    /// Whether `words` name `action` (in any environment, or none).
    #[inline]
    pub(crate) fn names(words: &[Word], action: ActionId) -> bool {
        has_bit(words, Self::named_bit(action))
    }
}

fn set_bit(words: &mut Vec<Word>, bit: u32) {
    let at = word_of(bit);
    if words.len() <= at {
        words.resize(at + 1, 0);
    }
    words[at] |= 1 << (bit % WORD_BITS);
}

/// Whether `bit` is set (clear past the end).
#[inline]
pub(crate) fn has_bit(words: &[Word], bit: u32) -> bool {
    words.get(word_of(bit)).is_some_and(|w| word_has(*w, bit))
}

/// The word `at` of the run `words[start..start + len]`, 0 past its end:
/// one load and no branch on where the word falls (the check path: where
/// a run starts and ends depends on words just fetched from memory). Past
/// the run's end it still reads the word there (a later run's, in the
/// same cache line or the next) and clears it: choosing which word to
/// read would cost more than that read; past the end of `words`, 0.
#[inline]
pub(crate) fn word_in(words: &[Word], start: usize, len: usize, at: usize) -> Word {
    let inside = at < len;
    let word = words.get(start + at).copied().unwrap_or(0);
    word & Word::from(inside).wrapping_neg()
}

/// Whether `word` ([`word_in`] of `bit`'s word) sets `bit`.
#[inline]
pub(crate) fn word_has(word: Word, bit: u32) -> bool {
    word >> (bit % WORD_BITS) & 1 != 0
}

/// The word of a run that holds `bit`.
#[inline]
pub(crate) fn word_of(bit: u32) -> usize {
    (bit / WORD_BITS) as usize
}

#[cfg(test)]
mod tests {
    //! Places against a plain set of (action, slot) grants.

    use proptest::prelude::*;

    use super::{ALL_SLOTS, Layout, has_bit, row_of, slot_of, word_has, word_in, word_of};
    use crate::ids::ActionId;
    use crate::sets::ActionSet;

    #[test]
    fn rows_and_slots_are_inverse_and_dense() {
        for slot in 0..64u8 {
            assert_eq!(slot_of(row_of(slot)), slot);
        }
        // Two global and two project environments use rows 0..4.
        let rows: Vec<u32> = [0u8, 1, 32, 33].into_iter().map(row_of).collect();
        assert_eq!(rows, vec![0, 2, 1, 3]);
    }

    proptest! {
        #[test]
        fn a_run_read_in_place_reads_as_its_slice(
            words in proptest::collection::vec(any::<u32>(), 0..12),
            start in 0usize..12,
            len in 0usize..12,
            bit in 0u32..512,
        ) {
            // A run within the words, as every run is.
            let start = start.min(words.len());
            let len = len.min(words.len() - start);
            let run = &words[start..start + len];
            prop_assert_eq!(word_has(word_in(&words, start, len, word_of(bit)), bit), has_bit(run, bit));
        }

        #[test]
        fn a_bit_is_set_exactly_where_a_grant_says(
            count in 1usize..=128,
            scoped_bits in any::<u128>(),
            grants in proptest::collection::vec((any::<u128>(), any::<u64>()), 0..6),
            asked in proptest::collection::vec((0u32..128, 0u8..63), 1..40),
        ) {
            let all = if count == 128 { u128::MAX } else { (1u128 << count) - 1 };
            let scoped = ActionSet(scoped_bits & all);
            let layout = Layout::new(count, scoped);
            for beyond in count..256 {
                // An action id past the catalogue's has no place.
                prop_assert!(layout.locate(ActionId(beyond as u8)).is_none());
            }
            let grants: Vec<(ActionSet, u64)> = grants.into_iter().map(|(a, e)| (ActionSet(a & all), e)).collect();
            let words = layout.encode(grants.iter().copied());
            prop_assert!(words.last().is_none_or(|w| *w != 0), "no trailing zero word");
            prop_assert!(words.len() <= layout.width(), "a run fits in the layout's width");
            for (action, slot) in asked {
                let action = ActionId((action as usize % count) as u8);
                let expected = grants.iter().any(|(actions, envs)| {
                    actions.contains(action) && (!scoped.contains(action) || envs & ALL_SLOTS & (1u64 << slot) != 0)
                });
                prop_assert_eq!(has_bit(&words, layout.bit(action, slot)), expected);
                prop_assert!((layout.bit(action, slot) as usize) < layout.width() * 32);
                let place = layout.locate(action);
                prop_assert_eq!(place.map(|p| p.bit(slot)), Some(layout.bit(action, slot)));
                prop_assert_eq!(place.map(|p| p.scoped()), Some(scoped.contains(action)));
                let named = grants.iter().any(|(actions, _)| actions.contains(action));
                prop_assert_eq!(Layout::names(&words, action), named);
                let slots = layout.slots(&words, action);
                prop_assert_eq!(slots & (1u64 << slot) != 0, expected);
            }
        }
    }
}
