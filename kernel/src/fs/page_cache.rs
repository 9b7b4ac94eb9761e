//! The page cache of one file (Linux's address_space with its xarray): the frames holding the
//! file's pages that have been read, by page offset, each kept with one reference of its own. Two
//! levels, like a small radix tree: a vector of 512-page chunks allocated as pages are first
//! touched, so lookups are O(1) and a sparse file costs only the chunks it uses. Every allocation is
//! fallible: a fault that cannot grow the cache fails with NoMemory instead of panicking.

use alloc::{boxed::Box, vec::Vec};

use crate::{
    mm::{frame::Frame, vm_object::PageError},
    sync::IrqMutex,
};

/// Pages per chunk (one 4 KiB table of references).
const CHUNK_PAGES: usize = 512;

type Chunk = [Option<Frame>; CHUNK_PAGES];

pub struct PageCache {
    chunks: IrqMutex<Vec<Option<Box<Chunk>>>>,
}

impl PageCache {
    pub const fn new() -> Self {
        PageCache {
            chunks: IrqMutex::new(Vec::new()),
        }
    }

    /// The cached page at `pgoff`, or the one `fill` makes and the cache then keeps, with a
    /// reference for the caller either way. `fill` runs under the cache's lock, so two faults on
    /// the same page cannot both read it in.
    pub fn get_or_fill(
        &self,
        pgoff: u64,
        fill: impl FnOnce() -> Result<Frame, PageError>,
    ) -> Result<Frame, PageError> {
        let chunk_index =
            usize::try_from(pgoff / CHUNK_PAGES as u64).map_err(|_| PageError::Beyond)?;
        let slot = (pgoff % CHUNK_PAGES as u64) as usize;
        let mut chunks = self.chunks.lock();
        if chunk_index >= chunks.len() {
            let more = chunk_index + 1 - chunks.len();
            chunks.try_reserve(more).map_err(|_| PageError::NoMemory)?;
            chunks.resize_with(chunk_index + 1, || None);
        }
        let chunk = match &mut chunks[chunk_index] {
            Some(chunk) => chunk,
            empty => {
                let room = Box::try_new_uninit().map_err(|_| PageError::NoMemory)?;
                empty.insert(Box::write(room, [const { None }; CHUNK_PAGES]))
            }
        };
        if let Some(frame) = &chunk[slot] {
            return Ok(frame.clone());
        }
        let frame = fill()?;
        chunk[slot] = Some(frame.clone());
        Ok(frame)
    }

    /// Whether the page at `pgoff` is in the cache (mincore's question for a file).
    pub fn contains(&self, pgoff: u64) -> bool {
        let chunk = (pgoff / CHUNK_PAGES as u64) as usize;
        let slot = (pgoff % CHUNK_PAGES as u64) as usize;
        self.chunks
            .lock()
            .get(chunk)
            .and_then(|c| c.as_ref())
            .is_some_and(|c| c[slot].is_some())
    }

    /// Frames held.
    pub fn pages(&self) -> usize {
        self.chunks
            .lock()
            .iter()
            .flatten()
            .map(|chunk| chunk.iter().flatten().count())
            .sum()
    }
}
