//! The areas of one address space ([`VmaTree`]) and the operations that edit them.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use crate::gap_tree::{GapQuery, GapTree, Room};
use crate::{
    PAGE_SIZE, ProtectError, VmFlags, Vma, VmaError, VmaInfo, is_page_aligned, page_align_down,
    page_align_up,
};

/// The highest page-aligned address, where a range rounded up past the top of the address space
/// is cut off.
const TOP: u64 = page_align_down(u64::MAX);

/// The areas of one address space, ordered by address, never overlapping, and always in
/// canonical form: no two adjacent areas that could be merged into one (see the
/// [crate documentation](crate)).
///
/// This is the part of Linux's `struct mm_struct` that `mm/mmap.c` maintains: the tree of areas
/// (`mm_mt`) and their count (`map_count`). Everything else about the address space (page tables,
/// `brk`, the stack start, the mmap base) belongs to the kernel's `Mm`, which calls these
/// operations and then updates its page tables from what they return.
pub struct VmaTree<F> {
    tree: GapTree<F>,
    /// The number of areas (Linux's `map_count`); the tree does not count its elements.
    count: usize,
    /// An address across which areas never merge (see [`VmaTree::set_merge_barrier`]).
    barrier: Option<u64>,
    /// The most areas an operation may create (Linux's `vm.max_map_count`; see
    /// [`VmaTree::set_max_count`]).
    max_count: usize,
}

/// Room for one area, allocated before an operation changes anything, so that running out of
/// memory half-way can never leave the tree half-edited.
type Spare<F> = Room<F>;

/// Room for the new areas of splits at the left and right edges of a range (None: no split there).
type SplitRoom<F> = (Option<Spare<F>>, Option<Spare<F>>);

/// Allocates room for one area; [`VmaError::NoMem`] when the allocator has none.
fn spare<F>() -> Result<Spare<F>, VmaError> {
    Box::try_new_uninit().map_err(|_| VmaError::NoMem)
}

/// One range whose rights [`VmaTree::protect`] changed: the kernel rewrites the page-table
/// entries of `[start, end)` from `old` to `new` (Linux's `change_protection`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtectChange {
    /// First address of the range.
    pub start: u64,
    /// First address past the range.
    pub end: u64,
    /// The area's flags before.
    pub old: VmFlags,
    /// The flags now.
    pub new: VmFlags,
}

/// [`VmaTree::protect`] stopped part-way. As in Linux, what it changed before stopping stays
/// changed, so the kernel must still apply `changes` to its page tables before returning `error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectFailure {
    /// Why it stopped.
    pub error: ProtectError,
    /// The ranges changed before it stopped, in ascending order.
    pub changes: Vec<ProtectChange>,
}

impl fmt::Display for ProtectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<F> VmaTree<F> {
    /// An empty address space.
    pub fn new() -> Self {
        VmaTree {
            tree: GapTree::new(),
            count: 0,
            barrier: None,
            max_count: usize::MAX,
        }
    }

    /// Limits the number of areas as Linux's `vm.max_map_count` does, with Linux's exact rules:
    /// a split (by `mprotect`, or a `munmap` that punches a hole inside one area) is refused with
    /// [`VmaError::NoMem`] once the count has reached `max`; a new area is refused only once the
    /// count is *above* `max` (`do_mmap` and `do_brk_flags` test `map_count > max`), so the count
    /// can end one above the limit, as on Linux.
    pub fn set_max_count(&mut self, max: usize) {
        self.max_count = max;
    }

    /// Areas meeting at `addr` are never merged. The kernel puts it at the start of the heap:
    /// Linux's brk only ever extends the area at or above `start_brk` (`do_brk_flags` is handed
    /// `vma_prev_limit(mm->start_brk)`), so the heap stays an area of its own even when it touches
    /// an identical anonymous area below, such as a program's bss.
    pub fn set_merge_barrier(&mut self, addr: Option<u64>) {
        self.barrier = addr;
    }

    /// Whether two areas meeting at `addr` may merge at all.
    fn may_merge_at(&self, addr: u64) -> bool {
        self.barrier != Some(addr)
    }

    /// The number of areas (Linux's `map_count`).
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The areas in ascending order of address.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Vma<F>> {
        self.tree.iter()
    }

    /// The first area whose end is above `addr` (Linux's `find_vma`). It contains `addr` if
    /// `start <= addr`; otherwise `addr` is in the gap below it, which is where the fault
    /// handler looks for a stack to grow down. `O(log n)`.
    pub fn find_vma(&self, addr: u64) -> Option<&Vma<F>> {
        self.tree.first_ending_above(addr)
    }

    /// The area containing `addr`, if any.
    pub fn find(&self, addr: u64) -> Option<&Vma<F>> {
        self.find_vma(addr).filter(|vma| vma.start() <= addr)
    }

    /// The area just below `addr`: the one ending at or below it with the highest end (the `prev`
    /// of Linux's `find_vma_prev`, i.e. the area before [`find_vma`](Self::find_vma)'s answer).
    pub fn find_prev(&self, addr: u64) -> Option<&Vma<F>> {
        let around = self.tree.around(addr);
        match (around.at, around.prev) {
            // `addr` is the start of an area: the one before it.
            (Some(_), prev) => prev,
            // The area before `addr` contains it: the one before that.
            (None, Some(prev)) if prev.end() > addr => self.tree.last_before(prev.start(), false),
            (None, prev) => prev,
        }
    }

    /// Whether any area overlaps `[start, end)` (Linux's `find_vma_intersection(..).is_some()`).
    pub fn intersects(&self, start: u64, end: u64) -> bool {
        start < end && self.find_vma(start).is_some_and(|vma| vma.start() < end)
    }

    /// Linux's top-down `get_unmapped_area` (`generic_get_unmapped_area_topdown`): where to put a
    /// new mapping of `len` bytes (rounded up to pages) inside `[low, high)`, or `None` if no gap
    /// is large enough.
    ///
    /// * A `hint` (the address passed to `mmap` without `MAP_FIXED`) is rounded up to a page, as
    ///   Linux does, and returned if the whole range there is free and inside `[low, high)`.
    /// * Otherwise the answer is the top of the highest gap that fits, so mappings pile up
    ///   downwards from `high` (the mmap base, below the stack) and the space between them and
    ///   the heap stays in one piece.
    ///
    /// Either way, a stack ([`VmFlags::GROWSDOWN`]) keeps `stack_guard_gap` bytes free below it
    /// ([`Vma::start_gap`]); as in Linux only the area right above a gap is consulted.
    ///
    /// The answer is exactly that of walking the gaps down from `high` one area at a time
    /// (Linux 6.0's `unmapped_area_topdown` visits them in that order), but found in `O(log n)`:
    /// like Linux (the augmented rbtree's `rb_subtree_gap` in 6.0, the maple tree's gaps in
    /// 6.1), the tree keeps the largest free gap of each subtree and descends only where one is
    /// large enough (see the `gap_tree` module). Each candidate that a stack's guard gap or the
    /// edges of `[low, high)` make too small costs another `O(log n)`, as Linux 6.1's retry does.
    /// A search with the same `low`, `high` and `stack_guard_gap` as the last one starts where
    /// that one found its gap, when nothing above it can have become large enough since: the
    /// exact form of Linux 2.6's `free_area_cache`.
    pub fn get_unmapped_area(
        &self,
        len: u64,
        hint: Option<u64>,
        low: u64,
        high: u64,
        stack_guard_gap: u64,
    ) -> Option<u64> {
        let len = page_align_up(len)?;
        let low = page_align_up(low)?;
        let high = page_align_down(high);
        if len == 0 || high < low || len > high - low {
            return None;
        }

        if let Some(addr) = hint.and_then(page_align_up)
            && addr >= low
            && addr <= high - len
            && self
                .find_vma(addr)
                .is_none_or(|next| addr + len <= next.start_gap(stack_guard_gap))
        {
            return Some(addr);
        }

        self.tree.unmapped_area_topdown(&GapQuery {
            len,
            low,
            high,
            stack_guard_gap,
        })
    }
}

impl<F: Clone + PartialEq> VmaTree<F> {
    /// Add an area for `[info.start, info.end)`, which must be page-aligned, non-empty and free
    /// (`mmap` with `MAP_FIXED` unmaps the range first). The new area is then merged with the
    /// area ending at `start` and the one starting at `end` where [the merge rule](crate) allows,
    /// as Linux's `mmap_region` does with `vma_merge`.
    ///
    /// The `pgoff` of an anonymous area is set to `start / PAGE_SIZE` (see [`Vma`]).
    pub fn insert(&mut self, info: VmaInfo<F>) -> Result<(), VmaError> {
        let VmaInfo {
            start,
            end,
            flags,
            file,
            pgoff,
        } = info;
        if !is_page_aligned(start) || !is_page_aligned(end) {
            return Err(VmaError::Unaligned);
        }
        if start >= end {
            return Err(VmaError::Empty);
        }
        // One descent finds both neighbours: for the overlap check and for the merge.
        let around = self.tree.around(start);
        if around.at.is_some()
            || around.prev.is_some_and(|prev| prev.end() > start)
            || around.next.is_some_and(|next| next.start() < end)
        {
            return Err(VmaError::Overlap);
        }
        let pgoff = if file.is_some() {
            pgoff
        } else {
            start / PAGE_SIZE
        };
        // The last page's offset in the file must exist (the kernel refuses such an mmap with
        // EOVERFLOW before it gets here; this keeps `file_page` free of overflow whatever it does).
        let pages = (end - start) / PAGE_SIZE;
        if pgoff.checked_add(pages).is_none() {
            return Err(VmaError::OutOfRange);
        }
        if self.count > self.max_count {
            return Err(VmaError::NoMem);
        }
        // Linux's `vma_merge` before allocating: a new range that continues an area extends it.
        let prev = around.prev.filter(|prev| {
            prev.end() == start
                && self.may_merge_at(start)
                && prev.can_merge_after(flags, file.as_ref(), pgoff)
        });
        let next = around.next.filter(|next| {
            next.start() == end
                && self.may_merge_at(end)
                && next.can_merge_before(flags, file.as_ref(), pgoff, pages)
        });
        match (prev, next) {
            (Some(prev), Some(next)) => {
                // The range fills the hole between two areas that now become one.
                prev.set_end(next.end());
                let next_start = next.start();
                self.unlink(next_start);
            }
            (Some(prev), None) => {
                prev.set_end(end);
                if let Some(next) = around.next.map(Vma::start) {
                    self.tree.refresh_gap(next);
                }
            }
            (None, Some(next)) => {
                // Moving `start` down into the free gap keeps the tree's order.
                next.set_start(start);
                next.set_pgoff(pgoff);
                self.tree.refresh_gap(start);
            }
            (None, None) => self.link(spare()?, Vma::new(start, end, flags, file, pgoff)),
        }
        Ok(())
    }

    /// Remove `[start, end)` from the address space, whatever it covers: whole areas, parts of
    /// areas (which are split, Linux's `__split_vma`), holes or nothing at all. Returns the pieces
    /// removed in ascending order, each a whole area or the part of one inside the range, with
    /// the `pgoff` of that part; the kernel unmaps their pages and drops their files.
    ///
    /// `start` is rounded down and `end` up to a page boundary; `munmap`'s `EINVAL` for an
    /// unaligned address is the system call's business. This is Linux's
    /// `do_vmi_align_munmap`: split at both edges, then detach everything in between.
    ///
    /// Fails with [`VmaError::NoMem`], changing nothing, when memory for the split areas or the
    /// list cannot be had, or when the range lies strictly inside one area and the count has
    /// reached the [limit](Self::set_max_count) (the one case where `munmap` adds an area).
    /// [`unmap_each`](Self::unmap_each) does the same without a list.
    pub fn unmap(&mut self, start: u64, end: u64) -> Result<Vec<VmaInfo<F>>, VmaError> {
        let mut removed = Vec::new();
        let pieces = self.iter_range(start, end).count();
        removed
            .try_reserve_exact(pieces)
            .map_err(|_| VmaError::NoMem)?;
        self.unmap_each(start, end, |piece| removed.push(piece))?;
        Ok(removed)
    }

    /// [`unmap`](Self::unmap), handing each removed piece to `removed` in ascending order instead
    /// of collecting them: nothing is allocated but the split halves, so removing any number of
    /// whole areas cannot fail.
    pub fn unmap_each(
        &mut self,
        start: u64,
        end: u64,
        mut removed: impl FnMut(VmaInfo<F>),
    ) -> Result<(), VmaError> {
        let start = page_align_down(start);
        let end = page_align_up(end).unwrap_or(TOP);
        if start >= end {
            return Ok(());
        }
        let Some(first) = self.find_vma(start).filter(|vma| vma.start() < end) else {
            // Nothing mapped in the range.
            return Ok(());
        };
        let need_left = first.start() < start;
        let inside_one = need_left && end < first.end();
        if inside_one && self.count >= self.max_count {
            return Err(VmaError::NoMem);
        }
        // Everything that can fail comes first: room for the split halves.
        // The area at `end` is `first` itself unless `first` ends before it.
        let need_right = if first.end() >= end {
            first.end() > end
        } else {
            self.find(end).is_some_and(|vma| vma.start() < end)
        };
        // After the splits, the first area inside the range starts here.
        let mut next = Some(first.start().max(start));
        let (mut left, mut right) = self.allocate_splits(need_left, need_right)?;
        // Each split looks the area up again: only where one is needed.
        if need_left {
            self.split_at(start, &mut left);
        }
        if need_right {
            self.split_at(end, &mut right);
        }
        // Every area from `start` on that begins before `end` now lies wholly inside the range.
        while let Some(at) = next.filter(|&at| at < end) {
            let Some((vma, after)) = self.tree.remove(at) else {
                debug_assert!(false, "unmap: no area at {at:#x}");
                break;
            };
            removed(VmaInfo::from_removed(vma));
            self.count -= 1;
            next = after;
        }
        Ok(())
    }

    /// The areas overlapping `[start, end)`, in ascending order.
    pub fn iter_range(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma<F>> {
        self.tree
            .iter_ending_above(start)
            .take_while(move |vma| vma.start() < end)
    }

    /// Linux's `mprotect` on `[start, end)`: set the access rights of every page in the range to
    /// `prot` (only its [`VmFlags::ACCESS`] bits are used) and return the ranges that changed.
    ///
    /// Like `do_mprotect_pkey`, it walks the areas upwards from `start`, and for each one:
    ///
    /// 1. if no area contains the current address (the first page, or a hole further on), stops
    ///    with [`ProtectError::NoMem`];
    /// 2. if the new rights exceed the area's `MAY*` bits ([`VmFlags::access_allowed`]), stops with
    ///    [`ProtectError::Access`];
    /// 3. if the rights differ from the area's (`mprotect_fixup`), splits the area at the edges
    ///    of the range, sets the new flags on the part inside (with [`VmFlags::ACCOUNT`] added
    ///    when a private area first becomes writable), and merges that part with its
    ///    neighbours, so that giving rights back restores a single area.
    ///
    /// Stopping does not undo the areas already changed (Linux does not either): they are in
    /// [`ProtectFailure::changes`], and the page tables must follow them.
    ///
    /// `start` is rounded down and `end` up to a page boundary (`EINVAL` for an unaligned `start`
    /// is the system call's business); an empty range succeeds without looking at the areas, as
    /// in Linux.
    pub fn protect(
        &mut self,
        start: u64,
        end: u64,
        prot: VmFlags,
    ) -> Result<Vec<ProtectChange>, ProtectFailure> {
        let prot = prot & VmFlags::ACCESS;
        let start = page_align_down(start);
        let end = page_align_up(end).unwrap_or(TOP);
        let mut changes = Vec::new();
        let mut nstart = start;
        while nstart < end {
            let Some(vma) = self.find(nstart) else {
                return Err(ProtectFailure {
                    error: ProtectError::NoMem,
                    changes,
                });
            };
            let old = vma.flags();
            let mut new = old.difference(VmFlags::ACCESS).union(prot);
            // mprotect_fixup: a private area made writable for the first time is charged from
            // now on; a file-backed one made read-only stays charged (its written pages are
            // private copies). Linux uncharges an anonymous area made read-only only if it never
            // had a page (no anon_vma); the tree does not know that, and uncharges every
            // anonymous one, which keeps anonymous areas merging as they did before.
            // Hugetlb areas are never charged (their pages are the pool's).
            let unaccounted = VmFlags::ACCOUNT
                | VmFlags::WRITE
                | VmFlags::SHARED
                | VmFlags::NORESERVE
                | VmFlags::HUGETLB;
            if new.contains(VmFlags::WRITE) && !old.intersects(unaccounted) {
                new |= VmFlags::ACCOUNT;
            } else if !new.contains(VmFlags::WRITE) && vma.file().is_none() {
                new.remove(VmFlags::ACCOUNT);
            }
            if !new.access_allowed() {
                return Err(ProtectFailure {
                    error: ProtectError::Access,
                    changes,
                });
            }
            let tmp = vma.end().min(end);
            if new != old {
                if changes.try_reserve(1).is_err() || self.modify_flags(nstart, tmp, new).is_err() {
                    return Err(ProtectFailure {
                        error: ProtectError::NoMem,
                        changes,
                    });
                }
                changes.push(ProtectChange {
                    start: nstart,
                    end: tmp,
                    old,
                    new,
                });
            }
            // `nstart` was an area boundary before any merge, so the next round's lookup
            // fails exactly when there is a hole at `tmp`.
            nstart = tmp;
        }
        Ok(changes)
    }

    /// Give `[start, end)`, which must lie inside one area, the flags `new` (Linux's
    /// `vma_modify_flags`, the step shared by `mprotect_fixup`, `mlock_fixup` and
    /// `madvise_update_vma`): split the area at the edges of the range, set the flags on the part
    /// inside, and merge that part with its neighbours, so that giving the old flags back restores
    /// a single area. Setting the flags the area already has changes nothing.
    ///
    /// Fails, changing nothing, with [`VmaError::NotFound`] if no single area holds the range
    /// (or it is empty or unaligned), and with [`VmaError::NoMem`] if the splits cannot be had:
    /// no memory, or the count would pass `vm.max_map_count` (Linux's `split_vma` check).
    pub fn modify_flags(&mut self, start: u64, end: u64, new: VmFlags) -> Result<(), VmaError> {
        if !is_page_aligned(start) || !is_page_aligned(end) || start >= end {
            return Err(VmaError::NotFound);
        }
        let vma = self
            .find(start)
            .filter(|vma| end <= vma.end())
            .ok_or(VmaError::NotFound)?;
        if vma.flags() == new {
            return Ok(());
        }
        let (mut left, mut right) = self.room_for_splits(vma.start() < start, end < vma.end())?;
        self.split_at(start, &mut left);
        self.split_at(end, &mut right);
        if let Some(piece) = self.find(start) {
            debug_assert!(piece.start() == start && piece.end() == end);
            piece.set_flags(new);
        }
        self.merge(start);
        Ok(())
    }

    /// Grow the stack starting at `vma_start` down to `new_start` (Linux's `expand_downwards`,
    /// called by the fault handler when a fault lands in the gap below a
    /// [`VmFlags::GROWSDOWN`] area).
    ///
    /// Refused with [`VmaError::Overlap`] if it would overlap the area below, or come within
    /// `stack_guard_gap` bytes of it, unless that area is itself a stack or inaccessible
    /// (`PROT_NONE`, which is a guard of its own), exactly Linux's exceptions. A `new_start` at or
    /// above `vma_start` is nothing to do. The area's `pgoff` moves down with its start.
    pub fn expand_down(
        &mut self,
        vma_start: u64,
        new_start: u64,
        stack_guard_gap: u64,
    ) -> Result<(), VmaError> {
        if !is_page_aligned(new_start) {
            return Err(VmaError::Unaligned);
        }
        let vma = self
            .tree
            .get(vma_start)
            .filter(|vma| vma.flags().contains(VmFlags::GROWSDOWN))
            .ok_or(VmaError::NotFound)?;
        if new_start >= vma_start {
            return Ok(());
        }
        if let Some(prev) = self.tree.last_before(vma_start, false) {
            if prev.end() > new_start {
                return Err(VmaError::Overlap);
            }
            if !prev.flags().contains(VmFlags::GROWSDOWN)
                && prev.flags().is_accessible()
                && new_start - prev.end() < stack_guard_gap
            {
                return Err(VmaError::Overlap);
            }
        }
        let grow = (vma_start - new_start) / PAGE_SIZE;
        let pgoff = vma.pgoff().checked_sub(grow).ok_or(VmaError::OutOfRange)?;
        // Moving `start` down into the free gap keeps the tree's order.
        vma.set_start(new_start);
        vma.set_pgoff(pgoff);
        self.tree.refresh_gap(new_start);
        // Linux leaves a grown stack unmerged; merging keeps the tree canonical when it now
        // touches an identical stack below it.
        self.merge(new_start);
        Ok(())
    }

    /// Grow the area starting at `vma_start` up to `new_end` in place (Linux's `vma_expand`, as
    /// `mremap` uses it when the room above the area is free: `vma_expandable`). The part added
    /// continues the area's backing (for a file, the pages after its last one), and the area is
    /// then merged with the one above if they now meet and may merge.
    ///
    /// Refused, changing nothing, with [`VmaError::NotFound`] if no area starts at `vma_start`,
    /// [`VmaError::Unaligned`], [`VmaError::Overlap`] if `[end, new_end)` is not free, and
    /// [`VmaError::OutOfRange`] if the file offsets would overflow. A `new_end` at or below the
    /// area's end is nothing to do.
    pub fn expand_up(&mut self, vma_start: u64, new_end: u64) -> Result<(), VmaError> {
        if !is_page_aligned(new_end) {
            return Err(VmaError::Unaligned);
        }
        let vma = self.tree.get(vma_start).ok_or(VmaError::NotFound)?;
        let end = vma.end();
        if new_end <= end {
            return Ok(());
        }
        if self.intersects(end, new_end) {
            return Err(VmaError::Overlap);
        }
        if vma
            .pgoff()
            .checked_add((new_end - vma_start) / PAGE_SIZE)
            .is_none()
        {
            return Err(VmaError::OutOfRange);
        }
        // Moving `end` up into the free gap keeps the tree's order; the gap below the next area
        // shrinks.
        vma.set_end(new_end);
        if let Some(next) = self.tree.first_after(vma_start, false).map(Vma::start) {
            self.tree.refresh_gap(next);
        }
        self.merge(vma_start);
        Ok(())
    }

    /// A copy of every area, for `fork` (the area half of Linux's `dup_mmap`; the kernel copies
    /// the page tables, marking private writable pages copy-on-write).
    ///
    /// Fails with [`VmaError::NoMem`] if memory for the copies runs out; what was copied is freed.
    pub fn duplicate(&self) -> Result<Self, VmaError> {
        // The copy has the same shape as the original, so no rebalancing and no gap is
        // recomputed: `O(n)`.
        let tree = self.tree.try_copy(|vma| {
            let copy = Vma::new(
                vma.start(),
                vma.end(),
                vma.flags(),
                vma.file().cloned(),
                vma.pgoff(),
            );
            Ok((spare()?, copy))
        })?;
        Ok(VmaTree {
            tree,
            count: self.count,
            barrier: self.barrier,
            max_count: self.max_count,
        })
    }

    /// Check everything the operations promise: areas sorted and non-overlapping, page-aligned
    /// and non-empty, anonymous `pgoff`s equal to the start's page number, the count right, and
    /// no two adjacent areas that the merge rule would have merged; and the balanced tree's
    /// heights and free gaps (see the `gap_tree` module) up to date. For tests and debugging.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        let mut count = 0;
        let mut prev: Option<&Vma<F>> = None;
        for vma in self.iter() {
            count += 1;
            if !is_page_aligned(vma.start()) || !is_page_aligned(vma.end()) {
                return Err("area not page-aligned");
            }
            if vma.start() >= vma.end() {
                return Err("empty area");
            }
            if vma.file().is_none() && vma.pgoff() != vma.start() / PAGE_SIZE {
                return Err("anonymous area's pgoff is not its start page");
            }
            if let Some(prev) = prev {
                if prev.start() >= vma.start() {
                    return Err("areas out of order");
                }
                if prev.end() > vma.start() {
                    return Err("areas overlap");
                }
                if prev.end() == vma.start()
                    && self.may_merge_at(vma.start())
                    && prev.can_merge_after(vma.flags(), vma.file(), vma.pgoff())
                {
                    return Err("adjacent areas should have been merged");
                }
            }
            prev = Some(vma);
        }
        if count != self.count {
            return Err("area count wrong");
        }
        // The tree's own shape and its record of the free gaps.
        self.tree.check()?;
        Ok(())
    }

    /// Cut the area straddling `addr`, if any, in two at `addr` (Linux's `__split_vma`). The
    /// left part keeps the node and shrinks in place; the right part is a new area whose
    /// `pgoff` is advanced by the pages left behind. The new area goes into `room`, which the
    /// caller allocated (see [`room_for_splits`](Self::room_for_splits)) before it changed
    /// anything.
    fn split_at(&mut self, addr: u64, room: &mut Option<Spare<F>>) {
        let Some(vma) = self.find(addr) else {
            return;
        };
        if vma.start() == addr {
            return;
        }
        let room = room.take().expect("split without room allocated for it");
        let right = Vma::new(
            addr,
            vma.end(),
            vma.flags(),
            vma.file().cloned(),
            vma.file_page(addr),
        );
        // The gap below `right` (none) and above it (unchanged) are recorded by `link`.
        vma.set_end(addr);
        self.link(room, right);
    }

    /// Merge the area starting at `start` with its neighbours where the merge rule allows: into
    /// the area before it, the one after it into it, or all three into one. These are the cases
    /// of Linux's `vma_merge`. The areas absorbed are freed.
    fn merge(&mut self, start: u64) {
        let around = self.tree.around(start);
        let Some(vma) = around.at else {
            debug_assert!(false, "merge: no area at {start:#x}");
            return;
        };
        let prev = around.prev.filter(|prev| {
            prev.end() == vma.start()
                && self.may_merge_at(vma.start())
                && prev.can_merge_after(vma.flags(), vma.file(), vma.pgoff())
        });
        let next = around.next.filter(|next| {
            next.start() == vma.end()
                && self.may_merge_at(vma.end())
                && next.can_merge_before(vma.flags(), vma.file(), vma.pgoff(), vma.pages())
        });
        // Growing an area's end over its neighbour before unlinking the neighbour is fine: the
        // tree is ordered by start, which does not change, and unlinking the last area absorbed
        // records the gap above the merged area.
        match (prev, next) {
            (Some(prev), Some(next)) => {
                prev.set_end(next.end());
                let next_start = next.start();
                self.unlink(start);
                self.unlink(next_start);
            }
            (Some(prev), None) => {
                prev.set_end(vma.end());
                self.unlink(start);
            }
            (None, Some(next)) => {
                vma.set_end(next.end());
                let next_start = next.start();
                self.unlink(next_start);
            }
            (None, None) => {}
        }
    }

    /// Room for the areas that splits at the two edges of a range will create, allocated before
    /// anything changes, refused if the splits would take the count past the limit (Linux's
    /// `split_vma` check, applied to both splits at once so that a refusal changes nothing).
    fn room_for_splits(&self, left: bool, right: bool) -> Result<SplitRoom<F>, VmaError> {
        let splits = usize::from(left) + usize::from(right);
        if splits > 0 && self.count + splits > self.max_count {
            return Err(VmaError::NoMem);
        }
        self.allocate_splits(left, right)
    }

    /// Room for the split halves, without looking at the limit.
    fn allocate_splits(&self, left: bool, right: bool) -> Result<SplitRoom<F>, VmaError> {
        let left = if left { Some(spare()?) } else { None };
        let right = if right { Some(spare()?) } else { None };
        Ok((left, right))
    }

    /// Add an area to the tree (Linux's `vma_link`), in memory allocated beforehand.
    fn link(&mut self, room: Spare<F>, vma: Vma<F>) {
        self.tree.insert(room, vma);
        self.count += 1;
    }

    /// Remove and free the area starting at `start`.
    fn unlink(&mut self, start: u64) {
        let removed = self.tree.remove(start);
        debug_assert!(removed.is_some(), "unlink: no area at {start:#x}");
        self.count -= 1;
    }
}

impl<F> Default for VmaTree<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: fmt::Debug> fmt::Debug for VmaTree<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
