//! A persistent vector: fixed-size chunks behind `Arc`, so that a snapshot
//! derived from another copies only the chunk it changes. A chunk is one
//! allocation holding its items (`Arc<[T; N]>`, the last one padded with
//! defaults), so a read chases two pointers, not three, and tests its
//! index against the number of chunks only: within a chunk every index
//! is in range. [`SharedVec`] keeps
//! the list of chunks of a large table behind one more pointer, so that a
//! snapshot that does not write to it shares it with one reference;
//! [`PagedVec`] keeps it in pages, so that one that does copies a page of
//! the list, not all of it.

use std::marker::PhantomData;
use std::sync::Arc;

/// The chunk size (a power of two) of vectors of plain values, whose
/// chunk is copied with one `memcpy`.
pub(crate) const PLAIN_CHUNK: usize = 1 << 10;
/// The chunk size of vectors of shared values (`Arc`s): a copied chunk
/// counts one reference more for each of its items, and an edit touching
/// a hundred users copies a hundred chunks.
pub(crate) const SHARED_CHUNK: usize = 1 << 7;

/// Where a [`ChunkVec`] keeps its chunks of `N` items.
pub(crate) trait Chunks<T, const N: usize>: Clone + Default {
    fn chunk(&self, index: usize) -> Option<&Arc<[T; N]>>;
    fn chunk_mut(&mut self, index: usize) -> Option<&mut Arc<[T; N]>>;
    fn push_chunk(&mut self, chunk: Arc<[T; N]>);
    fn each<'a>(&'a self) -> impl Iterator<Item = &'a Arc<[T; N]>>
    where
        T: 'a;
}

/// A plain list: a read chases one pointer to the chunk; a clone counts a
/// reference per chunk.
impl<T, const N: usize> Chunks<T, N> for Vec<Arc<[T; N]>> {
    #[inline]
    fn chunk(&self, index: usize) -> Option<&Arc<[T; N]>> {
        self.get(index)
    }

    fn chunk_mut(&mut self, index: usize) -> Option<&mut Arc<[T; N]>> {
        self.get_mut(index)
    }

    fn push_chunk(&mut self, chunk: Arc<[T; N]>) {
        self.push(chunk);
    }

    fn each<'a>(&'a self) -> impl Iterator<Item = &'a Arc<[T; N]>>
    where
        T: 'a,
    {
        self.iter()
    }
}

/// A list of chunks behind one `Arc`: a clone counts one reference, a
/// write copies the list (a reference per chunk) and the chunk.
impl<T, const N: usize, L: Chunks<T, N>> Chunks<T, N> for Arc<L> {
    #[inline]
    fn chunk(&self, index: usize) -> Option<&Arc<[T; N]>> {
        (**self).chunk(index)
    }

    fn chunk_mut(&mut self, index: usize) -> Option<&mut Arc<[T; N]>> {
        Arc::make_mut(self).chunk_mut(index)
    }

    fn push_chunk(&mut self, chunk: Arc<[T; N]>) {
        Arc::make_mut(self).push_chunk(chunk);
    }

    fn each<'a>(&'a self) -> impl Iterator<Item = &'a Arc<[T; N]>>
    where
        T: 'a,
    {
        (**self).each()
    }
}

/// A list of chunks in pages: itself a chunked vector, of chunks (none
/// in a page's padding).
impl<T, const N: usize, const PAGE: usize, L> Chunks<T, N> for ChunkVec<Option<Arc<[T; N]>>, PAGE, L>
where
    L: Chunks<Option<Arc<[T; N]>>, PAGE>,
{
    #[inline]
    fn chunk(&self, index: usize) -> Option<&Arc<[T; N]>> {
        self.get(index)?.as_ref()
    }

    fn chunk_mut(&mut self, index: usize) -> Option<&mut Arc<[T; N]>> {
        self.get_mut(index)?.as_mut()
    }

    fn push_chunk(&mut self, chunk: Arc<[T; N]>) {
        self.push(Some(chunk));
    }

    fn each<'a>(&'a self) -> impl Iterator<Item = &'a Arc<[T; N]>>
    where
        T: 'a,
    {
        self.iter().flatten()
    }
}

/// The number of chunks in one page of a [`PagedVec`].
const PAGE: usize = 1 << 6;

/// A vector whose clones share every chunk they have not written to;
/// chunks of `N` items (a power of two), listed in `L`.
#[derive(Clone, Debug)]
pub(crate) struct ChunkVec<T, const N: usize = PLAIN_CHUNK, L = Vec<Arc<[T; N]>>> {
    // INVARIANT: the items at `len` and after are defaults, never read.
    chunks: L,
    len: usize,
    _items: PhantomData<T>,
}

impl<T, const N: usize, L: Default> Default for ChunkVec<T, N, L> {
    fn default() -> Self {
        Self {
            chunks: L::default(),
            len: 0,
            _items: PhantomData,
        }
    }
}

impl<T: Clone + Default, const N: usize, L: Chunks<T, N>> ChunkVec<T, N, L> {
    const BITS: u32 = {
        assert!(N.is_power_of_two(), "a chunk holds a power of two of items");
        N.trailing_zeros()
    };
    const CHUNK_MASK: usize = N - 1;

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len {
            return None;
        }
        self.get_or_default(index)
    }

    /// [`ChunkVec::get`] without its test of the length: within the last
    /// chunk an index at or past `len` reads a default item. For the
    /// check's tables, whose default item reads as "none" (an unknown
    /// user's flags, a project that is not live, an unknown environment):
    /// one test and one read fewer per check.
    #[inline]
    pub(crate) fn get_or_default(&self, index: usize) -> Option<&T> {
        self.chunks
            .chunk(index >> Self::BITS)
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
        let chunk = self.chunks.chunk_mut(index >> Self::BITS)?;
        Some(&mut Arc::make_mut(chunk)[index & Self::CHUNK_MASK])
    }

    /// Appends `value` and answers its index.
    pub(crate) fn push(&mut self, value: T) -> usize {
        let index = self.len;
        if index & Self::CHUNK_MASK == 0 {
            self.chunks.push_chunk(Arc::new(std::array::from_fn(|_| T::default())));
        }
        self.len += 1;
        if let Some(slot) = self.get_mut(index) {
            *slot = value;
        }
        index
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.each().flat_map(|chunk| chunk.iter()).take(self.len)
    }
}

/// A vector of shared values in small chunks (a written chunk counts one
/// reference more for each of its `SHARED_CHUNK` items), its chunk
/// list behind one `Arc`: for the snapshot's cold tables that changes
/// seldom write to and explanations read (projects, roles, environments):
/// a read chases three pointers.
pub(crate) type SharedVec<T> = ChunkVec<T, SHARED_CHUNK, Arc<Vec<Arc<[T; SHARED_CHUNK]>>>>;

/// A [`SharedVec`] whose chunk list is kept in pages of `PAGE`
/// chunks, for the largest cold tables (users, groups): a write copies the
/// list of pages, one page and one chunk (at a million users about 300
/// references counted, where one list counts one per chunk, 7,800); a
/// read chases one pointer more.
pub(crate) type PagedVec<T> = ChunkVec<T, SHARED_CHUNK, Arc<ChunkVec<Option<Arc<[T; SHARED_CHUNK]>>, PAGE>>>;

#[cfg(test)]
mod tests {
    //! The vector against `Vec`, over pushes and writes, clones included.

    use std::sync::Arc;

    use proptest::prelude::*;

    use proptest::test_runner::TestCaseError;

    use super::{ChunkVec, Chunks, PAGE, PLAIN_CHUNK, SHARED_CHUNK};

    /// Applies `ops` (push, or write at an index) to a chunked vector of
    /// `N`-item chunks and to a `Vec`, and compares them, and a clone
    /// taken just after the first chunk filled.
    fn behaves_like_a_vec_with<const N: usize>(ops: &[(bool, usize, u32)]) -> Result<(), TestCaseError> {
        let mut chunked: ChunkVec<u32, N> = ChunkVec::default();
        let mut plain: Vec<u32> = Vec::new();
        let mut earlier: Option<(ChunkVec<u32, N>, Vec<u32>)> = None;
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
            if plain.len() == N + 1 {
                earlier = Some((chunked.clone(), plain.clone()));
            }
        }
        prop_assert_eq!(chunked.len(), plain.len());
        for at in 0..plain.len() + 2 {
            prop_assert_eq!(chunked.get(at), plain.get(at));
            // Past the end: a default, or nothing past the last chunk.
            let padding = (at >= plain.len())
                .then_some(&0)
                .filter(|_| at < plain.len().next_multiple_of(N));
            prop_assert_eq!(chunked.get_or_default(at), plain.get(at).or(padding));
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
            behaves_like_a_vec_with::<PLAIN_CHUNK>(&ops)?;
            behaves_like_a_vec_with::<SHARED_CHUNK>(&ops)?;
        }
    }

    #[test]
    fn a_shared_vec_clone_sees_none_of_the_later_writes() {
        clone_sees_none_of_the_later_writes::<Arc<Vec<Arc<[u32; SHARED_CHUNK]>>>>();
        clone_sees_none_of_the_later_writes::<Arc<ChunkVec<Option<Arc<[u32; SHARED_CHUNK]>>, PAGE>>>();
    }

    /// A clone of a vector of shared chunks listed in `L` sees none of the
    /// writes made after it, over three pages' worth of chunks.
    fn clone_sees_none_of_the_later_writes<L: Chunks<u32, SHARED_CHUNK>>() {
        const LEN: u32 = 20_000;
        let mut written: ChunkVec<u32, SHARED_CHUNK, L> = ChunkVec::default();
        for i in 0..LEN {
            assert_eq!(written.push(i), i as usize);
        }
        let earlier = written.clone();
        assert!(written.set(5, 99));
        if let Some(item) = written.get_mut(9_000) {
            *item = 7;
        }
        assert!(written.set(19_999, 3));
        written.push(1_000);
        assert!(!written.set(LEN as usize + 1, 1), "out of range");
        assert_eq!(
            (
                written.get(5),
                written.get(9_000),
                written.get(19_999),
                written.get(20_000)
            ),
            (Some(&99), Some(&7), Some(&3), Some(&1_000))
        );
        assert_eq!(
            (
                earlier.get(5),
                earlier.get(9_000),
                earlier.get(19_999),
                earlier.get(20_000)
            ),
            (Some(&5), Some(&9_000), Some(&19_999), None)
        );
        assert_eq!((written.len(), earlier.len()), (LEN as usize + 1, LEN as usize));
        assert!(earlier.iter().copied().eq(0..LEN));
        let expected = (0..=LEN).map(|i| match i {
            5 => 99,
            9_000 => 7,
            19_999 => 3,
            LEN => 1_000,
            other => other,
        });
        assert!(written.iter().copied().eq(expected));
    }
}
