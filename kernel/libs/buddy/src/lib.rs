//! A binary buddy allocator over page frame numbers (pfns).
//!
//! This is the allocation policy of Linux's page allocator (`mm/page_alloc.c`) reduced to its core:
//! free memory is kept as naturally aligned blocks of `2^order` frames, one free list per order;
//! an allocation takes the smallest block that fits and splits it, handing the unused halves back
//! to the lower lists; a free merges the block with its *buddy* (the other half of the block one
//! order up) for as long as that buddy is free too.
//!
//! The allocator never touches the memory it manages. All of its bookkeeping lives in a
//! caller-provided slice of [`Link`]s, one per frame, just as Linux keeps the free-list links and
//! the order of a free block in the block's first `struct page`. The kernel carves that slice out
//! of RAM at boot, before it has a heap, which is why the allocator needs no `alloc` and owns no
//! memory of its own. At 12 bytes per 4 KiB frame the slice costs about 0.3% of RAM.
//!
//! # States
//!
//! Every frame is in exactly one of four states, recorded in its [`Link`]:
//!
//! * *Reserved*: not managed (firmware, kernel image, MMIO holes, the link slice itself). Never
//!   handed out, never merged with.
//! * *Free head*: first frame of a free block; carries the block's order and its free-list links.
//!   This is Linux's `PageBuddy()` with `buddy_order()`.
//! * *Allocated head*: first frame of an allocated block; carries the order the block was
//!   allocated with, so that [`Buddy::free`] can refuse a wrong order or a double free.
//! * *Tail*: any other frame of a managed block, free or allocated.
//!
//! Only heads change state on a split or a merge, so both stay O(1) per order and [`Buddy::alloc`]
//! and [`Buddy::free`] are O([`MAX_ORDER`]), i.e. O(log n).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

#[cfg(test)]
mod tests;

use core::fmt;
use core::ops::Range;

/// The largest order: blocks go up to `2^MAX_ORDER` frames (4 MiB with 4 KiB frames).
///
/// Same value and same meaning (inclusive) as Linux's `MAX_PAGE_ORDER` on x86_64: it bounds the
/// largest physically contiguous allocation, and how far a free block can coalesce.
pub const MAX_ORDER: usize = 10;

/// The number of free lists, one per order `0..=MAX_ORDER` (Linux's `NR_PAGE_ORDERS`).
pub const NR_ORDERS: usize = MAX_ORDER + 1;

/// The "no frame" value of a free-list link.
const NONE: u32 = u32::MAX;

/// What a frame currently is; see the [crate documentation](crate#states).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Reserved,
    Free,
    Allocated,
    Tail,
}

/// The allocator's record for one frame: 12 bytes.
///
/// Links are indices into the [`Buddy`]'s slice rather than pointers (or pfns) so that the record
/// stays small and the allocator needs no `unsafe`. An index is a `u32`, which bounds one
/// allocator to `u32::MAX - 1` frames (16 TiB of 4 KiB frames).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// Next block in the free list of `order` (valid only in a free head).
    next: u32,
    /// Previous block in that free list: it makes removing an arbitrary block, the buddy being
    /// merged with, O(1), as the `list_head` in Linux's `struct page` does.
    prev: u32,
    /// The order of the block this frame heads (valid only in a head).
    order: u8,
    state: State,
}

impl Link {
    /// A frame that the allocator does not manage. Every frame starts in this state.
    pub const fn reserved() -> Self {
        Link {
            next: NONE,
            prev: NONE,
            order: 0,
            state: State::Reserved,
        }
    }
}

impl Default for Link {
    fn default() -> Self {
        Link::reserved()
    }
}

/// Why [`Buddy::free`] refused a block. The allocator is left unchanged in every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The pfn is not covered by this allocator's slice.
    OutOfRange,
    /// The pfn is not a multiple of `2^order`, so no block of that order can start there.
    Misaligned,
    /// No allocated block starts at that pfn: a double free, a pfn inside a block, or a frame that
    /// was never handed out (reserved, or free).
    NotAllocated,
    /// A block was allocated at that pfn, but with another order (or the order exceeds
    /// [`MAX_ORDER`]). Freeing it with the wrong size would corrupt the free lists, so it is
    /// refused, unlike in Linux, which trusts the caller's order.
    WrongOrder,
}

impl fmt::Display for FreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FreeError::OutOfRange => "pfn outside the allocator's range",
            FreeError::Misaligned => "pfn not aligned to the block's order",
            FreeError::NotAllocated => "no allocated block starts at this pfn",
            FreeError::WrongOrder => "block was allocated with a different order",
        })
    }
}

impl core::error::Error for FreeError {}

/// A binary buddy allocator for the frames `base .. base + links.len()`.
///
/// It is `Send` (the kernel wraps it in a lock) but deliberately not internally synchronised.
pub struct Buddy<'a> {
    /// The pfn described by `links[0]`. Need not be aligned: block alignment is always computed
    /// on absolute pfns, and a buddy that would lie below `base` simply does not exist.
    base: usize,
    links: &'a mut [Link],
    /// Head of the free list of each order, as an index into `links`, or `NONE`.
    free_heads: [u32; NR_ORDERS],
    /// Length of each free list (Linux's `free_area[order].nr_free`).
    nr_free: [usize; NR_ORDERS],
    free_frames: usize,
    managed_frames: usize,
}

impl<'a> Buddy<'a> {
    /// Creates an allocator in which `links[i]` describes frame `base + i`.
    ///
    /// Every frame is reset to reserved: nothing is allocatable until [`Buddy::add_free_range`]
    /// hands frames over, so the slice may hold anything on entry.
    ///
    /// # Panics
    ///
    /// If the slice has `u32::MAX` or more entries (the links are `u32` indices) or if
    /// `base + links.len()` overflows.
    pub fn new(base: usize, links: &'a mut [Link]) -> Self {
        assert!(
            links.len() < NONE as usize,
            "buddy: too many frames for u32 links"
        );
        assert!(
            base.checked_add(links.len()).is_some(),
            "buddy: pfn range overflows"
        );
        links.fill(Link::reserved());
        Buddy {
            base,
            links,
            free_heads: [NONE; NR_ORDERS],
            nr_free: [0; NR_ORDERS],
            free_frames: 0,
            managed_frames: 0,
        }
    }

    /// The pfns this allocator can describe: `base .. base + links.len()`.
    pub fn span(&self) -> Range<usize> {
        self.base..self.base + self.links.len()
    }

    /// Hands the usable frames `start..end` to the allocator.
    ///
    /// At boot this is called once per usable RAM region. Like Linux's `__free_pages_memory()`
    /// (the memblock to buddy hand-over), the range is cut into the largest naturally aligned
    /// blocks that fit, each of which is freed, so it coalesces with free buddies, including those
    /// of ranges added earlier: two adjacent ranges end up exactly as if added as one.
    ///
    /// An empty range (`start == end`) does nothing.
    ///
    /// # Panics
    ///
    /// If `start > end`, if the range is not inside [`Buddy::span`], or if any of its frames was
    /// already added. These are bugs in the caller's memory map handling, and going on would hand
    /// out the same frame twice.
    pub fn add_free_range(&mut self, start: usize, end: usize) {
        assert!(
            start <= end,
            "buddy: range {start:#x}..{end:#x} is reversed"
        );
        if start == end {
            return;
        }
        let span = self.span();
        assert!(
            span.start <= start && end <= span.end,
            "buddy: range {start:#x}..{end:#x} outside {span:#x?}"
        );
        let frames = &mut self.links[start - self.base..end - self.base];
        assert!(
            frames.iter().all(|link| link.state == State::Reserved),
            "buddy: range {start:#x}..{end:#x} overlaps frames already added"
        );
        // Every frame becomes a tail; `release` then turns the right ones into heads.
        for link in frames {
            link.state = State::Tail;
        }
        self.managed_frames += end - start;

        let mut pfn = start;
        while pfn < end {
            // The largest order that `pfn` is aligned to, capped at MAX_ORDER...
            let mut order = (pfn.trailing_zeros() as usize).min(MAX_ORDER);
            // ...then the largest block of it that does not run past `end`.
            while end - pfn < 1 << order {
                order -= 1;
            }
            self.release(pfn - self.base, order);
            pfn += 1 << order;
        }
    }

    /// Allocates a block of `2^order` frames and returns its first pfn, which is a multiple of
    /// `2^order`. Returns `None` if no free block of that order or larger exists, or if
    /// `order > MAX_ORDER`.
    ///
    /// Mirrors Linux's `__rmqueue_smallest()` and `expand()`: take the first block of the
    /// smallest non-empty order that fits, keep its lower half, and put each upper half back on
    /// the free list one order down, until the block has the requested order.
    pub fn alloc(&mut self, order: usize) -> Option<usize> {
        if order > MAX_ORDER {
            return None;
        }
        let mut current = (order..=MAX_ORDER).find(|&k| self.free_heads[k] != NONE)?;
        let index = self.free_heads[current] as usize;
        self.list_del(index, current);
        while current > order {
            current -= 1;
            let upper = index + (1 << current);
            self.set_head(upper, State::Free, current);
            self.list_add(upper, current);
        }
        self.set_head(index, State::Allocated, order);
        self.free_frames -= 1 << order;
        Some(self.base + index)
    }

    /// Frees the block of `2^order` frames at `pfn`, which must have been returned by
    /// [`Buddy::alloc`] with the same order, and merges it with its buddies.
    ///
    /// Unlike Linux's `__free_pages()`, which trusts its caller, every misuse is detected (in
    /// O(1)) and refused without touching any state; see [`FreeError`] for the cases, which are
    /// checked in the order of its variants (except that an order above [`MAX_ORDER`] is
    /// `WrongOrder` before anything else).
    pub fn free(&mut self, pfn: usize, order: usize) -> Result<(), FreeError> {
        let index = self.allocated_block(pfn, order)?;
        self.release(index, order);
        Ok(())
    }

    /// The index of the allocated block of `order` at `pfn`, or why there is none (the checks
    /// of [`Buddy::free`], in the order of [`FreeError`]'s variants).
    fn allocated_block(&self, pfn: usize, order: usize) -> Result<usize, FreeError> {
        if order > MAX_ORDER {
            return Err(FreeError::WrongOrder);
        }
        let index = self.index(pfn).ok_or(FreeError::OutOfRange)?;
        if !pfn.is_multiple_of(1 << order) {
            return Err(FreeError::Misaligned);
        }
        let link = self.links[index];
        if link.state != State::Allocated {
            return Err(FreeError::NotAllocated);
        }
        if usize::from(link.order) != order {
            return Err(FreeError::WrongOrder);
        }
        Ok(index)
    }

    /// Turns the allocated block of `2^order` frames at `pfn` into `2^order` allocated blocks of
    /// order 0, which are then freed one by one, in any order, and merge back as they go: Linux's
    /// `split_page()`. A transparent huge page is allocated as one order-9 block and split at once,
    /// so that each of its frames can outlive the others once the huge page is broken up.
    ///
    /// Refused, changing nothing, for the same misuses as [`Buddy::free`].
    pub fn split(&mut self, pfn: usize, order: usize) -> Result<(), FreeError> {
        let index = self.allocated_block(pfn, order)?;
        for frame in index..index + (1 << order) {
            self.set_head(frame, State::Allocated, 0);
        }
        Ok(())
    }

    /// The number of frames currently free.
    pub fn free_frames(&self) -> usize {
        self.free_frames
    }

    /// The number of frames ever handed over by [`Buddy::add_free_range`], free or allocated.
    pub fn managed_frames(&self) -> usize {
        self.managed_frames
    }

    /// The number of free blocks of `order` (0 for an order above [`MAX_ORDER`]): one column of
    /// Linux's `/proc/buddyinfo`.
    pub fn free_blocks(&self, order: usize) -> usize {
        self.nr_free.get(order).copied().unwrap_or(0)
    }

    /// The first pfns of the free blocks of `order`, most recently freed first (empty for an
    /// order above [`MAX_ORDER`]). For statistics, debugging and tests.
    pub fn free_list(&self, order: usize) -> FreeList<'_> {
        FreeList {
            base: self.base,
            links: self.links,
            next: self.free_heads.get(order).copied().unwrap_or(NONE),
        }
    }

    /// Checks every structure for consistency, in O(frames).
    ///
    /// The allocator itself never needs this: tests call it after every operation, and the kernel
    /// may call it in its self-tests. It checks that
    ///
    /// * the managed frames are partitioned into naturally aligned blocks, each a head followed
    ///   only by tails, and no tail lies outside a block;
    /// * every free list is a well-formed doubly linked list of free heads of its order, whose
    ///   length is its count, and every free head is on the list of its order;
    /// * no free block has a free buddy of the same order (Linux would have merged them);
    /// * the free and managed frame counts match the blocks.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        // Free lists: each node is a free head of the list's order; `prev` mirrors `next`; the
        // walk ends within the list's count (this also rules out cycles: the first repeated node
        // would have two different predecessors, but only one `prev`).
        for order in 0..NR_ORDERS {
            let mut prev = NONE;
            let mut node = self.free_heads[order];
            let mut count = 0;
            while node != NONE {
                let link = self
                    .links
                    .get(node as usize)
                    .ok_or("free list link out of range")?;
                if link.state != State::Free {
                    return Err("free list holds a frame that is not a free head");
                }
                if usize::from(link.order) != order {
                    return Err("free list holds a block of another order");
                }
                if link.prev != prev {
                    return Err("free list prev link does not mirror next link");
                }
                count += 1;
                if count > self.nr_free[order] {
                    return Err("free list longer than its count");
                }
                prev = node;
                node = link.next;
            }
            if count != self.nr_free[order] {
                return Err("free list shorter than its count");
            }
        }

        // Blocks: walk the slice block by block.
        let mut free_heads = [0usize; NR_ORDERS];
        let (mut free, mut managed) = (0, 0);
        let mut index = 0;
        while index < self.links.len() {
            let link = self.links[index];
            let order = usize::from(link.order);
            match link.state {
                State::Reserved => {
                    index += 1;
                    continue;
                }
                State::Tail => return Err("tail frame outside any block"),
                State::Free | State::Allocated => {}
            }
            if order > MAX_ORDER {
                return Err("block order above MAX_ORDER");
            }
            let pfn = self.base + index;
            let size = 1 << order;
            if !pfn.is_multiple_of(size) {
                return Err("block not naturally aligned");
            }
            let tails = self
                .links
                .get(index + 1..index + size)
                .ok_or("block runs past the end of the slice")?;
            if tails.iter().any(|tail| tail.state != State::Tail) {
                return Err("block frame other than the head is not a tail");
            }
            if link.state == State::Free {
                if order < MAX_ORDER
                    && let Some(buddy) = self.index(pfn ^ size)
                    && self.is_free_head(buddy, order)
                {
                    return Err("free block has a free buddy of the same order");
                }
                free_heads[order] += 1;
                free += size;
            }
            managed += size;
            index += size;
        }
        if free_heads != self.nr_free {
            return Err("free heads do not match the free lists");
        }
        if free != self.free_frames {
            return Err("free frame count does not match the free blocks");
        }
        if managed != self.managed_frames {
            return Err("managed frame count does not match the blocks");
        }
        Ok(())
    }

    /// The index of `pfn` in the slice, if the slice covers it.
    fn index(&self, pfn: usize) -> Option<usize> {
        pfn.checked_sub(self.base)
            .filter(|&index| index < self.links.len())
    }

    /// Whether `index` heads a free block of exactly `order` (Linux's `page_is_buddy()`). A free
    /// head's block always lies inside the slice, so a buddy found this way is whole.
    fn is_free_head(&self, index: usize, order: usize) -> bool {
        let link = self.links[index];
        link.state == State::Free && usize::from(link.order) == order
    }

    fn set_head(&mut self, index: usize, state: State, order: usize) {
        let link = &mut self.links[index];
        link.state = state;
        // Cannot truncate: order <= MAX_ORDER.
        link.order = order as u8;
    }

    /// Frees the block of `order` at `index` (whose frames are all allocated or tails) and
    /// merges it with its buddy as long as the buddy is a free block of the same order: Linux's
    /// `__free_one_page()`. The merged block goes to the head of its list, where the next
    /// allocation of that order takes it while it is still cache-hot. (Linux queues it at the
    /// tail instead when a merge one order up looks likely, to give its buddy time to be freed;
    /// this allocator keeps to plain LIFO.)
    fn release(&mut self, mut index: usize, mut order: usize) {
        self.free_frames += 1 << order;
        while order < MAX_ORDER {
            let pfn = self.base + index;
            let Some(buddy) = self.index(pfn ^ (1 << order)) else {
                break;
            };
            if !self.is_free_head(buddy, order) {
                break;
            }
            self.list_del(buddy, order);
            // The lower of the two heads the merged block; the upper becomes one of its tails.
            let (head, tail) = if buddy < index {
                (buddy, index)
            } else {
                (index, buddy)
            };
            self.links[tail].state = State::Tail;
            index = head;
            order += 1;
        }
        self.set_head(index, State::Free, order);
        self.list_add(index, order);
    }

    /// Pushes the free head `index` on the front of the list of `order`.
    fn list_add(&mut self, index: usize, order: usize) {
        let old = self.free_heads[order];
        if old != NONE {
            self.links[old as usize].prev = index as u32;
        }
        let link = &mut self.links[index];
        link.next = old;
        link.prev = NONE;
        // Cannot truncate: `new` checked that every index fits in a u32.
        self.free_heads[order] = index as u32;
        self.nr_free[order] += 1;
    }

    /// Unlinks the free head `index` from the list of `order`, wherever it is in the list.
    fn list_del(&mut self, index: usize, order: usize) {
        let Link { next, prev, .. } = self.links[index];
        if prev == NONE {
            self.free_heads[order] = next;
        } else {
            self.links[prev as usize].next = next;
        }
        if next != NONE {
            self.links[next as usize].prev = prev;
        }
        let link = &mut self.links[index];
        link.next = NONE;
        link.prev = NONE;
        self.nr_free[order] -= 1;
    }
}

impl fmt::Debug for Buddy<'_> {
    /// A summary in the spirit of `/proc/buddyinfo`, not the whole slice.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buddy")
            .field("span", &format_args!("{:#x?}", self.span()))
            .field("managed_frames", &self.managed_frames)
            .field("free_frames", &self.free_frames)
            .field("free_blocks", &self.nr_free)
            .finish()
    }
}

/// Iterator over the first pfns of the free blocks of one order; see [`Buddy::free_list`].
pub struct FreeList<'b> {
    base: usize,
    links: &'b [Link],
    next: u32,
}

impl Iterator for FreeList<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let index = self.next;
        if index == NONE {
            return None;
        }
        self.next = self.links[index as usize].next;
        Some(self.base + index as usize)
    }
}
