//! A persistent vector: fixed-size chunks behind `Arc`, so that a snapshot
//! derived from another copies only the chunk it changes. A chunk is one
//! allocation holding its items (`Arc<[T]>`, the last one padded with
//! defaults), so a read chases two pointers, not three. [`SharedVec`] puts
//! the list of chunks of a large table behind one more, so that a snapshot
//! that does not write to it shares it with one reference.

use std::sync::Arc;

/// The chunk size (as a power of two) of vectors of plain values, whose
/// chunk is copied with one `memcpy`.
pub(crate) const PLAIN_CHUNK_BITS: u32 = 10;
/// The chunk size of vectors of shared values (`Arc`s): a copied chunk
/// counts one reference more for each of its items, and an edit touching
/// a hundred users copies a hundred chunks.
pub(crate) const SHARED_CHUNK_BITS: u32 = 7;

/// A vector whose clones share every chunk they have not written to;
/// chunks of `2^BITS` items.
#[derive(Clone, Debug)]
pub(crate) struct ChunkVec<T, const BITS: u32 = PLAIN_CHUNK_BITS> {
    // INVARIANT: every chunk holds exactly `2^BITS` items; the items at
    // `len` and after are defaults, never read.
    chunks: Vec<Arc<[T]>>,
    len: usize,
}

impl<T, const BITS: u32> Default for ChunkVec<T, BITS> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone + Default, const BITS: u32> ChunkVec<T, BITS> {
    const CHUNK_LEN: usize = 1 << BITS;
    const CHUNK_MASK: usize = Self::CHUNK_LEN - 1;

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len {
            return None;
        }
        self.chunks
            .get(index >> BITS)
            .and_then(|chunk| chunk.get(index & Self::CHUNK_MASK))
    }

    /// Replaces the item at `index`; false when `index` is out of range.
    pub(crate) fn set(&mut self, index: usize, value: T) -> bool {
        match self.get_mut(index) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len {
            return None;
        }
        let chunk = self.chunks.get_mut(index >> BITS)?;
        Arc::make_mut(chunk).get_mut(index & Self::CHUNK_MASK)
    }

    /// Appends `value` and answers its index.
    pub(crate) fn push(&mut self, value: T) -> usize {
        let index = self.len;
        if index & Self::CHUNK_MASK == 0 {
            self.chunks.push((0..Self::CHUNK_LEN).map(|_| T::default()).collect());
        }
        self.len += 1;
        if let Some(slot) = self.get_mut(index) {
            *slot = value;
        }
        index
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flat_map(|chunk| chunk.iter()).take(self.len)
    }
}

/// A [`ChunkVec`] of shared values in small chunks, itself shared: for the
/// snapshot's large tables (users, groups, projects, roles, environments), which most
/// changes do not write to (a clone counts one reference) and a change
/// writes to in few places (a written chunk counts one reference more for
/// each of its `2^SHARED_CHUNK_BITS` items).
#[derive(Clone, Debug, Default)]
pub(crate) struct SharedVec<T>(Arc<ChunkVec<T, SHARED_CHUNK_BITS>>);

impl<T> std::ops::Deref for SharedVec<T> {
    type Target = ChunkVec<T, SHARED_CHUNK_BITS>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<T: Clone + Default> SharedVec<T> {
    /// Replaces the item at `index`; false when `index` is out of range.
    pub(crate) fn set(&mut self, index: usize, value: T) -> bool {
        Arc::make_mut(&mut self.0).set(index, value)
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        Arc::make_mut(&mut self.0).get_mut(index)
    }

    /// Appends `value` and answers its index.
    pub(crate) fn push(&mut self, value: T) -> usize {
        Arc::make_mut(&mut self.0).push(value)
    }
}

#[cfg(test)]
mod tests {
    //! The vector against `Vec`, over pushes and writes, clones included.

    use proptest::prelude::*;

    use proptest::test_runner::TestCaseError;

    use super::{ChunkVec, PLAIN_CHUNK_BITS, SHARED_CHUNK_BITS, SharedVec};

    /// Applies `ops` (push, or write at an index) to a chunked vector of
    /// `2^BITS`-item chunks and to a `Vec`, and compares them, and a clone
    /// taken just after the first chunk filled.
    fn behaves_like_a_vec_with<const BITS: u32>(ops: &[(bool, usize, u32)]) -> Result<(), TestCaseError> {
        let mut chunked: ChunkVec<u32, BITS> = ChunkVec::default();
        let mut plain: Vec<u32> = Vec::new();
        let mut earlier: Option<(ChunkVec<u32, BITS>, Vec<u32>)> = None;
        for &(push, at, value) in ops {
            if push {
                prop_assert_eq!(chunked.push(value), plain.len());
                plain.push(value);
            } else {
                let inside = at < plain.len();
                prop_assert_eq!(chunked.set(at, value), inside);
                if inside {
                    plain[at] = value;
                }
            }
            if plain.len() == (1 << BITS) + 1 {
                earlier = Some((chunked.clone(), plain.clone()));
            }
        }
        prop_assert_eq!(chunked.len(), plain.len());
        for at in 0..plain.len() + 2 {
            prop_assert_eq!(chunked.get(at), plain.get(at));
        }
        prop_assert!(chunked.iter().eq(plain.iter()));
        // A clone taken earlier saw none of the later writes.
        if let Some((chunked, plain)) = earlier {
            prop_assert!(chunked.iter().eq(plain.iter()));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn behaves_like_a_vec(ops in proptest::collection::vec((any::<bool>(), 0usize..3000, any::<u32>()), 0..3000)) {
            behaves_like_a_vec_with::<PLAIN_CHUNK_BITS>(&ops)?;
            behaves_like_a_vec_with::<SHARED_CHUNK_BITS>(&ops)?;
        }
    }

    #[test]
    fn a_shared_vec_clone_sees_none_of_the_later_writes() {
        let mut written: SharedVec<u32> = SharedVec::default();
        for i in 0..300 {
            assert_eq!(written.push(i), i as usize);
        }
        let earlier = written.clone();
        assert!(written.set(5, 99));
        if let Some(item) = written.get_mut(200) {
            *item = 7;
        }
        written.push(1_000);
        assert!(!written.set(301, 1), "out of range");
        assert_eq!(
            (written.get(5), written.get(200), written.get(300)),
            (Some(&99), Some(&7), Some(&1_000))
        );
        assert_eq!(
            (earlier.get(5), earlier.get(200), earlier.get(300)),
            (Some(&5), Some(&200), None)
        );
        assert_eq!((written.len(), earlier.len()), (301, 300));
    }
}
