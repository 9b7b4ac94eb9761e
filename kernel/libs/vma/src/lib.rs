//! Virtual memory areas: the per-process map of what is mapped where, as Linux keeps it.
//!
//! A process's address space is described twice. The page tables say, page by page, what the MMU
//! may translate *now*; they are filled lazily by the page-fault handler and may be thrown away
//! at any time. The authoritative description is a short list of *virtual memory areas* (VMAs,
//! Linux's `struct vm_area_struct`): half-open, page-aligned ranges `[start, end)`, each with one
//! set of rights ([`VmFlags`], Linux's `vm_flags`) and one backing object (anonymous memory, or a
//! file plus the page offset `pgoff` at which the area starts in it). A fault looks up the area
//! that contains the faulting address and asks it what the page should be; `mmap`, `munmap` and
//! `mprotect` edit the areas and then bring the page tables in line.
//!
//! This crate is that list and its editing rules, without any hardware: the kernel's `Mm` wraps a
//! [`VmaTree`] together with its page tables.
//!
//! # Where Linux keeps its areas, and where we do
//!
//! Linux kept the areas in a red-black tree keyed by address (with an augmented "largest gap in
//! this subtree" field for `get_unmapped_area`) until 6.1, and in a maple tree (which keeps the
//! gaps too) since. [`VmaTree`] is a balanced (relaxed AVL) tree of its own, keyed by `start` and
//! augmented the same way: each node is one heap allocation holding a [`Vma`], its links, the
//! free gap below the area and a bound on the largest such gap in its subtree, so lookups and the
//! top-down free-area search are `O(log n)`, and no operation allocates more than the areas it
//! creates. (`intrusive-collections`' red-black tree, used before, has no hook to keep such a
//! field up to date through its rotations.) Like Linux before 6.1 it also remembers where the
//! last search found its gap and which area was inserted last (`free_area_cache`, `vmacache`),
//! so that the `mmap` + `munmap` of a page costs nearly the same with 60,000 areas as with 10:
//! see the `gap_tree` module.
//!
//! # The rules that keep the list short
//!
//! * **Split.** An operation that covers only part of an area (`munmap` or `mprotect` of a middle
//!   page) first cuts the area at the edges of the range (Linux's `__split_vma`). The right-hand
//!   part of a file area starts further into the file, so its `pgoff` is advanced.
//! * **Merge.** After an area is created or changed it is merged with its neighbours when nothing
//!   but the address would tell them apart: adjacent, equal flags, the same backing object, and
//!   for a file contiguous offsets (Linux's `vma_merge`), and not areas of huge pages. So a program that maps a heap one page
//!   at a time, or `mprotect`s a page and then gives the rights back, ends with a single area.
//!
//! Together they keep the tree *canonical*: for a given page-by-page content there is exactly one
//! set of areas describing it, which [`VmaTree::check_invariants`] verifies and the model test in
//! `tests/model.rs` relies on.
//!
//! The [`maps`] module prints one area as a line of `/proc/PID/maps`, byte for byte as Linux does.
#![no_std]
#![feature(allocator_ext)]
// `unsafe` only in `gap_tree`, which allows it for itself; see its invariants.
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(test)]
extern crate std;

#[cfg(test)]
mod tests;

#[allow(unsafe_code)]
mod gap_tree;
pub mod maps;
mod tree;
mod vma;

pub use tree::{ProtectChange, ProtectFailure, VmaTree};
pub use vma::{Vma, VmaInfo};

use core::fmt;

use bitflags::bitflags;

/// The size of a page; every area starts and ends on a multiple of it.
pub const PAGE_SIZE: u64 = 4096;

bitflags! {
    /// An area's rights and properties: Linux's `vm_flags`, with the same bit values (so they can
    /// be compared with `/proc/PID/smaps`' `VmFlags` or a Linux kernel's debugging output).
    ///
    /// The `MAY*` bits bound what `mprotect` may ever grant: a file opened read-only is mapped
    /// without [`MAYWRITE`](Self::MAYWRITE), so it can never become writable. `mmap` sets them from
    /// the file's open mode (all of them for anonymous memory).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct VmFlags: u64 {
        /// Pages may be read.
        const READ = 0x1;
        /// Pages may be written.
        const WRITE = 0x2;
        /// Pages may be executed.
        const EXEC = 0x4;
        /// Writes go to the shared backing object (`MAP_SHARED` with write access), not to a
        /// private copy.
        const SHARED = 0x8;
        /// `mprotect` may add [`READ`](Self::READ).
        const MAYREAD = 0x10;
        /// `mprotect` may add [`WRITE`](Self::WRITE).
        const MAYWRITE = 0x20;
        /// `mprotect` may add [`EXEC`](Self::EXEC).
        const MAYEXEC = 0x40;
        /// The mapping was made `MAP_SHARED` (even if read-only, when [`SHARED`](Self::SHARED) is
        /// clear). `/proc/PID/maps` prints `s` for it, `p` otherwise.
        const MAYSHARE = 0x80;
        /// A stack: a fault just below the area grows it down ([`VmaTree::expand_down`]), and
        /// nothing is placed in the guard gap below it.
        const GROWSDOWN = 0x100;
        /// The area's pages stay in memory (`mlock`, `MAP_LOCKED`): populated when locked, and
        /// never dropped by `MADV_DONTNEED`.
        const LOCKED = 0x0000_2000;
        /// Memory-mapped I/O (Linux sets it for device mappings; none here yet, but madvise's
        /// checks name it).
        const IO = 0x0000_4000;
        /// `MADV_SEQUENTIAL`: read ahead aggressively.
        const SEQ_READ = 0x0000_8000;
        /// `MADV_RANDOM`: do not read ahead.
        const RAND_READ = 0x0001_0000;
        /// `MADV_DONTFORK`: a forked child does not get this area.
        const DONTCOPY = 0x0002_0000;
        /// The area may not be grown by `mremap` (device mappings).
        const DONTEXPAND = 0x0004_0000;
        /// `mlock2(MLOCK_ONFAULT)`, `MCL_ONFAULT`: pages are locked as they are faulted in,
        /// rather than all at once.
        const LOCKONFAULT = 0x0008_0000;
        /// The area is charged against memory (Linux's `VM_ACCOUNT`): set when a private
        /// writable mapping is made, or when `mprotect` first makes a private area writable, and
        /// kept when the area becomes read-only again. So a RELRO region (data that the dynamic
        /// loader relocates, then write-protects) stays an area of its own next to the read-only
        /// part of the same library, as `/proc/PID/maps` shows it on Linux.
        const ACCOUNT = 0x0010_0000;
        /// No swap space is reserved for the area (`MAP_NORESERVE`).
        const NORESERVE = 0x0020_0000;
        /// An area of hugetlbfs huge pages (`MAP_HUGETLB`, a `MFD_HUGETLB` memfd): mapped and
        /// unmapped in whole 2 MiB pages only, never split (Linux's `VM_HUGETLB`).
        const HUGETLB = 0x0040_0000;
        /// `MADV_WIPEONFORK`: a forked child gets the area empty (zeros), not a copy.
        const WIPEONFORK = 0x0200_0000;
        /// `MADV_DONTDUMP`: left out of core dumps.
        const DONTDUMP = 0x0400_0000;
        /// `MADV_HUGEPAGE`: transparent huge pages are wanted here.
        const HUGEPAGE = 0x2000_0000;
        /// `MADV_NOHUGEPAGE`: no transparent huge pages here.
        const NOHUGEPAGE = 0x4000_0000;
    }
}

impl VmFlags {
    /// The bits `mprotect` sets and clears (Linux's `VM_ACCESS_FLAGS`).
    pub const ACCESS: VmFlags = VmFlags::READ.union(VmFlags::WRITE).union(VmFlags::EXEC);

    /// The two lock bits `mlock`, `munlock` and `mlockall` set and clear together (Linux's
    /// `VM_LOCKED_MASK`).
    pub const LOCKED_MASK: VmFlags = VmFlags::LOCKED.union(VmFlags::LOCKONFAULT);

    /// Areas that are not plain memory, which `mlock` leaves alone and `MADV_DODUMP` refuses
    /// (Linux's `VM_SPECIAL`, without the bits this kernel never sets).
    pub const SPECIAL: VmFlags = VmFlags::IO.union(VmFlags::DONTEXPAND);

    /// Whether every access right in `self` is allowed by the matching `MAY*` bit, which sits
    /// exactly four bits higher. This is Linux's `mprotect` check
    /// `(newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS`.
    pub const fn access_allowed(self) -> bool {
        self.bits() & !(self.bits() >> 4) & Self::ACCESS.bits() == 0
    }

    /// Whether any access at all is allowed (Linux's `vma_is_accessible`). A `PROT_NONE` area is
    /// itself a guard, which is why a stack may grow right up to one.
    pub const fn is_accessible(self) -> bool {
        self.intersects(Self::ACCESS)
    }
}

/// Why [`VmaTree::insert`] or [`VmaTree::expand_down`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmaError {
    /// The range overlaps an existing area (or, when growing a stack, comes closer to the area
    /// below than the stack guard gap allows).
    Overlap,
    /// An address is not page-aligned.
    Unaligned,
    /// The range is empty (`start >= end`).
    Empty,
    /// No area with the required properties starts at the given address.
    NotFound,
    /// The result would begin before the start of its file (`pgoff` would go below 0), or end
    /// past the last page offset a file can have.
    OutOfRange,
    /// No memory for a new area, or the count limit (`vm.max_map_count`) is reached: `ENOMEM`.
    NoMem,
}

impl fmt::Display for VmaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VmaError::Overlap => "range overlaps an existing area",
            VmaError::Unaligned => "address not page-aligned",
            VmaError::Empty => "empty range",
            VmaError::NotFound => "no such area",
            VmaError::OutOfRange => "area would start before its file or end past its last page",
            VmaError::NoMem => "out of memory for areas, or too many areas",
        })
    }
}

/// Why [`VmaTree::protect`] stopped; the errno `mprotect` returns for each is in brackets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtectError {
    /// Part of the range is not mapped (`ENOMEM`).
    NoMem,
    /// An area's `MAY*` bits forbid the requested rights (`EACCES`).
    Access,
}

impl fmt::Display for ProtectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtectError::NoMem => "range not fully mapped",
            ProtectError::Access => "rights exceed what the mapping allows",
        })
    }
}

/// Round `addr` down to a page boundary.
const fn page_align_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

/// Round `addr` up to a page boundary (Linux's `PAGE_ALIGN`), or `None` past the top of the
/// address space.
const fn page_align_up(addr: u64) -> Option<u64> {
    match addr.checked_add(PAGE_SIZE - 1) {
        Some(a) => Some(page_align_down(a)),
        None => None,
    }
}

const fn is_page_aligned(addr: u64) -> bool {
    addr.is_multiple_of(PAGE_SIZE)
}
