//! One area ([`Vma`]) and its detached description ([`VmaInfo`]).

use core::cell::Cell;
use core::fmt;

use crate::{PAGE_SIZE, VmFlags, is_page_aligned};

/// One virtual memory area: Linux's `struct vm_area_struct`, reduced to what decides what a page
/// of it is.
///
/// `[start, end)` is page-aligned and non-empty. The backing is either anonymous memory
/// (`file() == None`) or a file, of which page `pgoff` is mapped at `start`, page `pgoff + 1` at
/// `start + PAGE_SIZE`, and so on ([`file_page`](Self::file_page)). `F` is the kernel's handle to
/// an open file; the tree only clones it (on a split) and compares it (to decide a merge).
///
/// # Anonymous areas have a `pgoff` too
///
/// As in Linux (`do_mmap` sets `pgoff = addr >> PAGE_SHIFT` for private anonymous memory), the
/// `pgoff` of an anonymous area is the virtual page number of its start. Since anonymous areas
/// never move, that makes "contiguous offsets" hold for any two adjacent anonymous areas, so one
/// merge rule serves both kinds, and [`file_page`](Self::file_page) of an anonymous area is the
/// page's virtual page number, a stable name for it across splits and merges.
///
/// # Why some fields are `Cell`s
///
/// The area lives inside the tree, which hands out only shared references to its elements. The
/// fields that splits, merges, `mprotect` and stack growth change in place are `Cell`s: the
/// flags and `pgoff` are not part of the key, and `start` and `end` only ever move within the
/// gap to the neighbouring areas, so the order of the tree, which is by `start`, never changes
/// under it; the tree's record of the free gaps is refreshed after each such change. (Linux
/// likewise adjusts `vm_start`/`vm_end` in place in `vma_expand` and `vma_shrink`, then updates
/// the gaps.) The file handle never changes once an area exists.
pub struct Vma<F> {
    start: Cell<u64>,
    end: Cell<u64>,
    flags: Cell<VmFlags>,
    pgoff: Cell<u64>,
    file: Option<F>,
}

impl<F> Vma<F> {
    /// A new, unlinked area. The caller has checked the range.
    pub(crate) fn new(start: u64, end: u64, flags: VmFlags, file: Option<F>, pgoff: u64) -> Self {
        debug_assert!(start < end && is_page_aligned(start) && is_page_aligned(end));
        Vma {
            start: Cell::new(start),
            end: Cell::new(end),
            flags: Cell::new(flags),
            pgoff: Cell::new(pgoff),
            file,
        }
    }

    /// The first address of the area (Linux's `vm_start`).
    pub fn start(&self) -> u64 {
        self.start.get()
    }

    /// The first address past the area (Linux's `vm_end`).
    pub fn end(&self) -> u64 {
        self.end.get()
    }

    /// The area's rights and properties (Linux's `vm_flags`).
    pub fn flags(&self) -> VmFlags {
        self.flags.get()
    }

    /// The file mapped here, or `None` for anonymous memory (Linux's `vm_file`).
    pub fn file(&self) -> Option<&F> {
        self.file.as_ref()
    }

    /// The page offset mapped at [`start`](Self::start) (Linux's `vm_pgoff`): a page index into
    /// the file, or for anonymous memory the virtual page number of `start`.
    pub fn pgoff(&self) -> u64 {
        self.pgoff.get()
    }

    /// The length in pages (Linux's `vma_pages`).
    pub fn pages(&self) -> u64 {
        (self.end() - self.start()) / PAGE_SIZE
    }

    /// Whether `addr` lies in `[start, end)`.
    pub fn contains(&self, addr: u64) -> bool {
        self.start() <= addr && addr < self.end()
    }

    /// The index of the backing page that `addr` maps (Linux's `linear_page_index`):
    /// `pgoff + (addr - start) / PAGE_SIZE`. For a file, the page of the file to read in; for
    /// anonymous memory, the virtual page number. `addr` must lie in the area.
    pub fn file_page(&self, addr: u64) -> u64 {
        debug_assert!(self.contains(addr));
        self.pgoff() + (addr - self.start()) / PAGE_SIZE
    }

    /// The lowest address another mapping may end at below this area (Linux's `vm_start_gap`):
    /// `start` itself, except that a stack ([`VmFlags::GROWSDOWN`]) keeps `stack_guard_gap` bytes
    /// free below it, so that it can grow, and so that a stack overflow faults instead of running
    /// silently into the mapping below ("Stack Clash", CVE-2017-1000364).
    pub fn start_gap(&self, stack_guard_gap: u64) -> u64 {
        if self.flags().contains(VmFlags::GROWSDOWN) {
            self.start().saturating_sub(stack_guard_gap)
        } else {
            self.start()
        }
    }

    /// The byte offset `/proc/PID/maps` prints for the area: the file offset of `start`, or 0 for
    /// anonymous memory, whose `pgoff` is not a file offset (as in Linux's `show_map_vma`, which
    /// shifts `vm_pgoff` left by `PAGE_SHIFT`, dropping bits that do not fit).
    pub fn maps_offset(&self) -> u64 {
        if self.file.is_some() {
            self.pgoff().wrapping_mul(PAGE_SIZE)
        } else {
            0
        }
    }

    pub(crate) fn set_start(&self, start: u64) {
        self.start.set(start);
    }

    pub(crate) fn set_end(&self, end: u64) {
        self.end.set(end);
    }

    pub(crate) fn set_flags(&self, flags: VmFlags) {
        self.flags.set(flags);
    }

    pub(crate) fn set_pgoff(&self, pgoff: u64) {
        self.pgoff.set(pgoff);
    }
}

impl<F: PartialEq> Vma<F> {
    /// Whether an area with these properties, starting right at this area's end, may be merged
    /// into it (Linux's `can_vma_merge_after`): equal flags, the same backing object, and the
    /// offsets continue where this area's leave off. Areas of huge pages never merge (Linux's
    /// is_mergeable_vma refuses areas whose vm_ops have a close, as hugetlb's do). The caller
    /// checks adjacency.
    pub(crate) fn can_merge_after(&self, flags: VmFlags, file: Option<&F>, pgoff: u64) -> bool {
        self.flags() == flags
            && !flags.contains(VmFlags::HUGETLB)
            && self.file() == file
            && self.pgoff().checked_add(self.pages()) == Some(pgoff)
    }

    /// Whether an area with these properties, of `pages` pages and ending right at this area's
    /// start, may be merged into it (Linux's `can_vma_merge_before`).
    pub(crate) fn can_merge_before(
        &self,
        flags: VmFlags,
        file: Option<&F>,
        pgoff: u64,
        pages: u64,
    ) -> bool {
        self.flags() == flags
            && !flags.contains(VmFlags::HUGETLB)
            && self.file() == file
            && pgoff.checked_add(pages) == Some(self.pgoff())
    }
}

impl<F: Clone> Vma<F> {
    /// A detached copy of the area's description.
    pub fn info(&self) -> VmaInfo<F> {
        VmaInfo {
            start: self.start(),
            end: self.end(),
            flags: self.flags(),
            file: self.file.clone(),
            pgoff: self.pgoff(),
        }
    }
}

impl<F: fmt::Debug> fmt::Debug for Vma<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vma")
            .field("start", &format_args!("{:#x}", self.start()))
            .field("end", &format_args!("{:#x}", self.end()))
            .field("flags", &self.flags())
            .field("file", &self.file)
            .field("pgoff", &self.pgoff())
            .finish()
    }
}

/// A detached description of an area or part of one: what [`VmaTree::insert`] takes to create an
/// area, and what [`VmaTree::unmap`] hands back for each piece it removed, so that the kernel can
/// unmap the pages and drop the references the area held.
///
/// [`VmaTree::insert`]: crate::VmaTree::insert
/// [`VmaTree::unmap`]: crate::VmaTree::unmap
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmaInfo<F> {
    /// First address, page-aligned.
    pub start: u64,
    /// First address past the range, page-aligned.
    pub end: u64,
    /// Rights and properties.
    pub flags: VmFlags,
    /// The file mapped, or `None` for anonymous memory.
    pub file: Option<F>,
    /// The page of the file mapped at `start`. For anonymous memory [`VmaTree::insert`] ignores
    /// it and uses `start / PAGE_SIZE` (see [`Vma`]), which is what pieces handed back carry.
    ///
    /// [`VmaTree::insert`]: crate::VmaTree::insert
    pub pgoff: u64,
}

impl<F> VmaInfo<F> {
    /// The length in pages.
    pub fn pages(&self) -> u64 {
        (self.end - self.start) / PAGE_SIZE
    }
}

impl<F> VmaInfo<F> {
    /// Take apart an area that has been removed from its tree.
    pub(crate) fn from_removed(vma: Vma<F>) -> Self {
        let Vma {
            start,
            end,
            flags,
            pgoff,
            file,
        } = vma;
        VmaInfo {
            start: start.get(),
            end: end.get(),
            flags: flags.get(),
            file,
            pgoff: pgoff.get(),
        }
    }
}
