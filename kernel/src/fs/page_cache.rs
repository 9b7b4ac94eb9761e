//! The page cache of one file (Linux's address_space with its xarray): the frames holding the
//! file's pages, by page offset, each kept with one reference of its own. Two levels, like a small
//! radix tree: a vector of 512-page chunks allocated as pages are first touched, so lookups are
//! O(1) and a sparse file costs only the chunks it uses. Every allocation is fallible: a fault or a
//! write that cannot grow the cache fails with NoMemory instead of panicking.
//!
//! Every frame held by any cache is counted in one global counter, what /proc/meminfo shows as
//! Cached: a cache gives its frames back (and the count goes down) when pages are truncated away
//! or the cache itself is dropped with its inode.

use alloc::{boxed::Box, vec::Vec};
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::{
    mm::{frame::Frame, vm_object::PageError},
    sync::IrqMutex,
};

/// Pages per chunk (one 4 KiB table of references).
const CHUNK_PAGES: usize = 512;

type Chunk = [Option<Frame>; CHUNK_PAGES];

/// Frames held by all page caches.
static CACHED_PAGES: AtomicUsize = AtomicUsize::new(0);

/// Frames held by all page caches (/proc/meminfo's Cached).
pub fn cached_pages() -> usize {
    CACHED_PAGES.load(Ordering::Relaxed)
}

/// How many pages the page caches may hold before a write that needs a new page fails with
/// ENOSPC: half of memory, tmpfs's default size (`size=50%`), so that file data can never take
/// the memory programs need to run. Pages read in from the initramfs do not ask: a fault on a
/// program's text must not fail because files are big.
pub fn size_limit() -> usize {
    crate::mm::frame::stats().total / 2
}

/// Whether a write may add a page to a cache now.
pub fn may_grow() -> bool {
    cached_pages() < size_limit()
}

pub struct PageCache {
    chunks: IrqMutex<Vec<Option<Box<Chunk>>>>,
}

/// Splits a page offset into chunk index and slot; None if it cannot index a vector.
fn split(pgoff: u64) -> Option<(usize, usize)> {
    let chunk = usize::try_from(pgoff / CHUNK_PAGES as u64).ok()?;
    Some((chunk, (pgoff % CHUNK_PAGES as u64) as usize))
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
        let (chunk_index, slot) = split(pgoff).ok_or(PageError::Beyond)?;
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
        CACHED_PAGES.fetch_add(1, Ordering::Relaxed);
        Ok(frame)
    }

    /// The cached page at `pgoff`, if there is one (what read uses: a hole stays a hole).
    pub fn get(&self, pgoff: u64) -> Option<Frame> {
        let (chunk_index, slot) = split(pgoff)?;
        let chunks = self.chunks.lock();
        chunks.get(chunk_index)?.as_ref()?[slot].clone()
    }

    /// Drops every page at `from` and beyond (truncate_inode_pages_range): their frames are freed
    /// unless a mapping still holds them. Chunks left empty are freed too.
    pub fn truncate_from(&self, from: u64) {
        self.remove_range(from, u64::MAX);
    }

    /// Drops the pages at `from` up to (not including) `to`, as [`truncate_from`](Self::truncate_from)
    /// does beyond `from` (a punched hole).
    pub fn remove_range(&self, from: u64, to: u64) {
        let Some((first_chunk, _)) = split(from).filter(|_| from < to) else {
            return;
        };
        let mut removed = 0;
        let mut chunks = self.chunks.lock();
        for (index, entry) in chunks.iter_mut().enumerate().skip(first_chunk) {
            let Some(chunk) = entry else { continue };
            let base = (index * CHUNK_PAGES) as u64;
            if base >= to {
                break;
            }
            let start = from.saturating_sub(base).min(CHUNK_PAGES as u64) as usize;
            let end = to.saturating_sub(base).min(CHUNK_PAGES as u64) as usize;
            // A dropped frame puts its reference, which takes the allocator's lock (a leaf).
            for slot in &mut chunk[start..end] {
                if slot.take().is_some() {
                    removed += 1;
                }
            }
            if chunk.iter().all(Option::is_none) {
                *entry = None;
            }
        }
        drop(chunks);
        CACHED_PAGES.fetch_sub(removed, Ordering::Relaxed);
    }

    /// Whether the page at `pgoff` is in the cache (mincore's question for a file).
    pub fn contains(&self, pgoff: u64) -> bool {
        self.get(pgoff).is_some()
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

impl Drop for PageCache {
    fn drop(&mut self) {
        CACHED_PAGES.fetch_sub(self.pages(), Ordering::Relaxed);
    }
}
