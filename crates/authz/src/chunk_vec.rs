//! A persistent vector: fixed-size chunks behind `Arc`, so that a snapshot
//! derived from another copies only the chunk it changes.

use std::sync::Arc;

const CHUNK_BITS: u32 = 10;
const CHUNK_LEN: usize = 1 << CHUNK_BITS;
const CHUNK_MASK: usize = CHUNK_LEN - 1;

/// A vector whose clones share every chunk they have not written to.
#[derive(Clone, Debug)]
pub(crate) struct ChunkVec<T> {
    // INVARIANT: every chunk but the last holds exactly CHUNK_LEN items; `len`
    // is the total.
    chunks: Vec<Arc<Vec<T>>>,
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

impl<T: Clone> ChunkVec<T> {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
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
        let chunk = self.chunks.get_mut(index >> CHUNK_BITS)?;
        Arc::make_mut(chunk).get_mut(index & CHUNK_MASK)
    }

    /// Appends `value` and answers its index.
    pub(crate) fn push(&mut self, value: T) -> usize {
        let index = self.len;
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK_LEN => Arc::make_mut(last).push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK_LEN);
                chunk.push(value);
                self.chunks.push(Arc::new(chunk));
            }
        }
        self.len += 1;
        index
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
    }
}
