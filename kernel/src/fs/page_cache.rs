//! The page cache of one file (Linux's address_space with its xarray): the frames holding the
//! file's pages, by page offset, each kept with one reference of its own. Two levels: 512-page
//! chunks allocated as pages are first touched, found by binary search in a list sorted by
//! their index, so a sparse file costs only the chunks it uses, wherever they lie (a page at
//! 32 TiB is one chunk, not a table reaching that far), and a lookup is O(log chunks). Every
//! allocation is fallible: a fault or a write that cannot grow the cache fails with NoMemory
//! instead of panicking.
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
    /// The chunks that hold a page, by chunk index (page offset / 512), ascending.
    chunks: IrqMutex<Vec<(u64, Box<Chunk>)>>,
}

/// Splits a page offset into chunk index and slot.
fn split(pgoff: u64) -> (u64, usize) {
    (
        pgoff / CHUNK_PAGES as u64,
        (pgoff % CHUNK_PAGES as u64) as usize,
    )
}

/// Where chunk `index` is in `chunks`, or where it would go.
fn find(chunks: &[(u64, Box<Chunk>)], index: u64) -> Result<usize, usize> {
    chunks.binary_search_by_key(&index, |(i, _)| *i)
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
        let (chunk_index, slot) = split(pgoff);
        let mut chunks = self.chunks.lock();
        let at = match find(&chunks, chunk_index) {
            Ok(at) => at,
            Err(at) => {
                chunks.try_reserve(1).map_err(|_| PageError::NoMemory)?;
                let room = Box::try_new_uninit().map_err(|_| PageError::NoMemory)?;
                let chunk = Box::write(room, [const { None }; CHUNK_PAGES]);
                chunks.insert(at, (chunk_index, chunk));
                at
            }
        };
        let chunk = &mut chunks[at].1;
        if let Some(frame) = &chunk[slot] {
            return Ok(frame.clone());
        }
        let frame = match fill() {
            Ok(frame) => frame,
            Err(e) => {
                // Leave no empty chunk behind.
                if chunk.iter().all(Option::is_none) {
                    chunks.remove(at);
                }
                return Err(e);
            }
        };
        chunk[slot] = Some(frame.clone());
        CACHED_PAGES.fetch_add(1, Ordering::Relaxed);
        Ok(frame)
    }

    /// The cached page at `pgoff`, if there is one (what read uses: a hole stays a hole).
    pub fn get(&self, pgoff: u64) -> Option<Frame> {
        let (chunk_index, slot) = split(pgoff);
        let chunks = self.chunks.lock();
        let at = find(&chunks, chunk_index).ok()?;
        chunks[at].1[slot].clone()
    }

    /// Drops every page at `from` and beyond (truncate_inode_pages_range): their frames are freed
    /// unless a mapping still holds them. Chunks left empty are freed too.
    pub fn truncate_from(&self, from: u64) {
        self.remove_range(from, u64::MAX);
    }

    /// Drops the pages at `from` up to (not including) `to`, as [`truncate_from`](Self::truncate_from)
    /// does beyond `from` (a punched hole).
    pub fn remove_range(&self, from: u64, to: u64) {
        if from >= to {
            return;
        }
        let mut removed = 0;
        let mut chunks = self.chunks.lock();
        let first = find(&chunks, split(from).0).unwrap_or_else(|at| at);
        for (index, chunk) in chunks[first..].iter_mut() {
            let base = *index * CHUNK_PAGES as u64;
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
        }
        // Chunks left empty go.
        chunks.retain(|(_, chunk)| chunk.iter().any(Option::is_some));
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
            .map(|(_, chunk)| chunk.iter().flatten().count())
            .sum()
    }
}

impl Drop for PageCache {
    fn drop(&mut self) {
        CACHED_PAGES.fetch_sub(self.pages(), Ordering::Relaxed);
    }
}
