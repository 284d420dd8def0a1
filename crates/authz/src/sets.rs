//! Bitsets of actions (`u128`: a catalogue has at most 128 actions) and of a
//! project's environment slots (`u64`: at most 30 global and 30 project ones).

use crate::ids::ActionId;

/// A set of catalogue actions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionSet(pub(crate) u128);

impl ActionSet {
    /// The empty set.
    pub const EMPTY: Self = Self(0);

    /// A set holding one action.
    #[must_use]
    pub const fn single(action: ActionId) -> Self {
        Self(1u128 << action.0)
    }

    /// Whether `action` is in the set.
    #[must_use]
    pub const fn contains(self, action: ActionId) -> bool {
        self.0 & (1u128 << action.0) != 0
    }

    /// Adds `action`.
    pub fn insert(&mut self, action: ActionId) {
        self.0 |= 1u128 << action.0;
    }

    /// Whether the set holds nothing.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The number of actions in the set.
    #[must_use]
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Actions in either set.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Actions in both sets.
    #[must_use]
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// Actions of `self` not in `other`.
    #[must_use]
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Whether every action of `self` is in `other`.
    #[must_use]
    pub const fn is_subset(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    /// The actions in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = ActionId> {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let bit = rest.trailing_zeros();
            rest &= rest - 1;
            // trailing_zeros of a non-zero u128 is below 128: no truncation.
            Some(ActionId(bit as u8))
        })
    }
}

impl FromIterator<ActionId> for ActionSet {
    fn from_iter<I: IntoIterator<Item = ActionId>>(iter: I) -> Self {
        let mut set = Self::EMPTY;
        for action in iter {
            set.insert(action);
        }
        set
    }
}
