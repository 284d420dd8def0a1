//! A persistent vector: fixed-size chunks behind `Arc`, so that a snapshot
//! derived from another copies only the chunk it changes. A chunk is one
//! allocation holding its items (`Arc<[T]>`, the last one padded with
//! defaults), so a read chases two pointers, not three.

use std::sync::Arc;

const CHUNK_BITS: u32 = 10;
const CHUNK_LEN: usize = 1 << CHUNK_BITS;
const CHUNK_MASK: usize = CHUNK_LEN - 1;

/// A vector whose clones share every chunk they have not written to.
#[derive(Clone, Debug)]
pub(crate) struct ChunkVec<T> {
    // INVARIANT: every chunk holds exactly CHUNK_LEN items; the items at
    // `len` and after are defaults, never read.
    chunks: Vec<Arc<[T]>>,
    len: usize,
}

impl<T> Default for ChunkVec<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone + Default> ChunkVec<T> {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len {
            return None;
        }
        self.chunks
            .get(index >> CHUNK_BITS)
            .and_then(|chunk| chunk.get(index & CHUNK_MASK))
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
        let chunk = self.chunks.get_mut(index >> CHUNK_BITS)?;
        Arc::make_mut(chunk).get_mut(index & CHUNK_MASK)
    }

    /// Appends `value` and answers its index.
    pub(crate) fn push(&mut self, value: T) -> usize {
        let index = self.len;
        if index & CHUNK_MASK == 0 {
            self.chunks.push((0..CHUNK_LEN).map(|_| T::default()).collect());
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

#[cfg(test)]
mod tests {
    //! The vector against `Vec`, over pushes and writes, clones included.

    use proptest::prelude::*;

    use super::{CHUNK_LEN, ChunkVec};

    proptest! {
        #[test]
        fn behaves_like_a_vec(ops in proptest::collection::vec((any::<bool>(), 0usize..3000, any::<u32>()), 0..3000)) {
            let mut chunked: ChunkVec<u32> = ChunkVec::default();
            let mut plain: Vec<u32> = Vec::new();
            let mut earlier: Option<(ChunkVec<u32>, Vec<u32>)> = None;
            for (push, at, value) in ops {
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
                if plain.len() == CHUNK_LEN + 1 {
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
        }
    }
}
