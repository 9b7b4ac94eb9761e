//! The memory descriptor of a process (Linux's `struct mm_struct`): its VMAs, its page tables, and
//! the boundaries of its classic areas (code, data, heap, stack, arguments).
//!
//! The operations on it live one per file, as in Linux's mm/ and Asterinas: [`super::fault`]
//! (demand paging and copy-on-write), [`super::mmap`], [`super::munmap`], [`super::mprotect`],
//! [`super::brk`], and [`super::maps`] (/proc/PID/maps and status).
//!
//! Locking: one lock per mm (Linux's mmap_lock), taken by every operation and by the fault handler.
//! Never copy to or from user memory while holding it: the copy may fault, and the fault needs it.

use alloc::sync::Arc;
use x86_64::structures::paging::PhysFrame;

use super::vm_object::VmFile;
use super::{
    frame::{self, PageFlags},
    layout::TASK_SIZE,
    paging::{AddressSpace, MapError, PteFlags},
};
use crate::{sync::IrqMutex, syscall::errno::*};

pub use vma::{PAGE_SIZE, VmFlags};

/// The VMA tree of a process; a file-backed area refers to its [`VmFile`].
pub type VmaTree = vma::VmaTree<VmFile>;
pub type Vma = vma::Vma<VmFile>;
pub type VmaInfo = vma::VmaInfo<VmFile>;

/// Linux's stack_guard_gap: 256 pages kept free below a stack.
pub const STACK_GUARD_GAP: u64 = 256 * PAGE_SIZE;
/// Linux's default vm.max_map_count.
pub const MAX_MAP_COUNT: usize = 65530;
/// The top of the initial stack (Linux's STACK_TOP without randomisation).
pub const STACK_TOP: u64 = TASK_SIZE;
/// Where top-down mmap placement starts: TASK_SIZE less the stack limit rounded up to Linux's
/// minimum gap of 128 MiB (mm/util.c mmap_base, without randomisation).
pub const MMAP_BASE: u64 = TASK_SIZE - (128 << 20);
/// The lowest address mmap hands out without MAP_FIXED (Linux's default vm.mmap_min_addr).
pub const MMAP_MIN_ADDR: u64 = 0x1_0000;

/// Per-process memory counters (the numbers /proc/PID/status shows).
#[derive(Clone, Copy, Debug, Default)]
pub struct MmCounters {
    /// Resident anonymous pages (RssAnon).
    pub anon: u64,
    /// Resident page-cache pages of files (RssFile).
    pub file: u64,
    /// Resident shared-memory pages (RssShmem).
    pub shmem: u64,
    /// The most pages ever resident at once (VmHWM).
    pub hiwater_rss: u64,
    /// Page faults resolved (minor faults: nothing here waits for a disk).
    pub faults: u64,
    /// Copy-on-write faults that copied the page.
    pub cow_copies: u64,
    /// Copy-on-write faults that found this process the page's only user and made it writable in
    /// place.
    pub cow_reuses: u64,
    /// Read faults on anonymous memory answered with the shared zero page.
    pub zero_page_maps: u64,
    /// Faults that mapped a transparent huge page (Linux's thp_fault_alloc in /proc/vmstat).
    pub thp_fault_alloc: u64,
    /// Faults that could have had a huge page but got a small one: no 2 MiB block was free
    /// (thp_fault_fallback).
    pub thp_fault_fallback: u64,
    /// Base pages of hugetlb pages mapped (status' HugetlbPages, Linux's mm->hugetlb_usage):
    /// in no RSS counter.
    pub hugetlb: u64,
}

impl MmCounters {
    pub fn rss(&self) -> u64 {
        self.anon + self.file + self.shmem
    }

    /// Counts a page newly mapped by this process.
    pub fn add_page(&mut self, flags: PageFlags) {
        self.add_pages(flags, 1);
    }

    /// Counts `n` pages of one kind newly mapped (the 512 of a huge page). Hugetlb pages are in
    /// no RSS counter, as in Linux, but in their own.
    pub fn add_pages(&mut self, flags: PageFlags, n: u64) {
        if flags.contains(PageFlags::HUGETLB) {
            self.hugetlb += n;
            return;
        } else if flags.contains(PageFlags::SHMEM) {
            self.shmem += n;
        } else if flags.contains(PageFlags::PAGE_CACHE) {
            self.file += n;
        } else if flags.contains(PageFlags::ANON) {
            self.anon += n;
        }
        self.hiwater_rss = self.hiwater_rss.max(self.rss());
    }

    /// Counts a page this process no longer maps.
    pub fn remove_page(&mut self, flags: PageFlags) {
        if flags.contains(PageFlags::HUGETLB) {
            self.hugetlb = self.hugetlb.saturating_sub(1);
        } else if flags.contains(PageFlags::SHMEM) {
            self.shmem -= 1;
        } else if flags.contains(PageFlags::PAGE_CACHE) {
            self.file -= 1;
        } else if flags.contains(PageFlags::ANON) {
            self.anon -= 1;
        }
    }
}

/// Where the classic areas of a process lie (the boundaries Linux keeps in mm_struct and shows in
/// /proc/PID/stat): set by exec, copied by fork, moved by brk.
#[derive(Clone, Copy, Debug, Default)]
pub struct MmLayout {
    pub start_code: u64,
    pub end_code: u64,
    pub start_data: u64,
    pub end_data: u64,
    /// The heap: [start_brk, brk) as the program sees it (the VMA is page-aligned above).
    pub start_brk: u64,
    pub brk: u64,
    /// The address of argc on the initial stack; its VMA is [stack].
    pub start_stack: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    /// Where top-down mmap starts looking (Linux's mm->mmap_base): [`MMAP_BASE`], or lower by a
    /// random amount that exec chooses (see [`super::aslr`]).
    pub mmap_base: u64,
}

/// Everything the mm lock protects.
pub struct MmInner {
    pub vmas: VmaTree,
    pub pt: AddressSpace,
    pub layout: MmLayout,
    pub counters: MmCounters,
    /// The program's file (Linux's exe_file), kept from being written while the mm lives.
    pub exe_file: Option<crate::fs::inode::DenyWrite>,
    /// Flags every new area gets (Linux's mm->def_flags): VM_LOCKED (and VM_LOCKONFAULT) after
    /// mlockall(MCL_FUTURE). Not inherited by fork, reset by exec.
    pub def_flags: VmFlags,
    /// No transparent huge pages here (prctl's PR_SET_THP_DISABLE, Linux's MMF_DISABLE_THP):
    /// kept by fork and execve.
    pub thp_disabled: bool,
}

/// A process's memory descriptor. Shared (Arc) by the threads of a process, when there are threads.
pub struct Mm {
    inner: IrqMutex<MmInner>,
}

impl Mm {
    /// An empty address space.
    pub fn new() -> Result<Arc<Mm>, MapError> {
        let mut vmas = VmaTree::new();
        vmas.set_max_count(MAX_MAP_COUNT);
        Arc::try_new(Mm {
            inner: IrqMutex::new(MmInner {
                vmas,
                pt: AddressSpace::new()?,
                layout: MmLayout {
                    mmap_base: MMAP_BASE,
                    ..MmLayout::default()
                },
                counters: MmCounters::default(),
                exe_file: None,
                def_flags: VmFlags::empty(),
                thp_disabled: false,
            }),
        })
        .map_err(|_| MapError::NoMemory)
    }

    /// Takes the mm lock.
    pub fn lock(&self) -> crate::sync::IrqMutexGuard<'_, MmInner> {
        self.inner.lock()
    }

    /// The PML4 to load into CR3 for this process.
    pub fn pml4(&self) -> PhysFrame {
        self.inner.lock().pt.pml4()
    }
}

impl Drop for Mm {
    /// The last user is gone (exit or exec): release every page and every table.
    fn drop(&mut self) {
        let inner = self.inner.get_mut();
        if inner.pt.is_active() {
            super::paging::activate_kernel();
        }
        // Every page and table in one pass (the counters go with the mm), then every area: no
        // split, so nothing here allocates.
        inner.pt.release_all();
        inner.vmas = VmaTree::new();
    }
}

impl MmInner {
    /// Removes [start, end) from the VMA tree and the page tables, releasing every page mapped there.
    /// Linux's do_munmap without the argument checks (those are the system call's). Fails with
    /// ENOMEM, changing nothing, when the areas cannot be split (no memory, or a hole punched inside
    /// one area with the map count at vm.max_map_count).
    pub fn unmap_range(&mut self, start: u64, end: u64) -> Result<(), Errno> {
        let mm = self.pt.pml4().start_address().as_u64();
        let (pt, counters) = (&mut self.pt, &mut self.counters);
        super::heap::charged(|| {
            self.vmas.unmap_each(start, end, |piece| {
                release_pages(pt, counters, piece.start, piece.end);
                super::hugetlb::unmap_piece(mm, &piece);
            })
        })
        .map_err(|_| ENOMEM)
    }

    /// Adds an area (see [`vma::VmaTree::insert`]), its memory charged to the program: ENOMEM-style
    /// failure rather than the kernel's last frames.
    pub fn insert_vma(&mut self, info: VmaInfo) -> Result<(), vma::VmaError> {
        super::heap::charged(|| self.vmas.insert(info))
    }

    /// Gives [start, end), inside one area, the flags `new`: Linux's vma_modify_flags, shared by
    /// mprotect, mlock and madvise (see [`vma::VmaTree::modify_flags`]). Fails, changing nothing,
    /// when the split cannot be had (no memory, or vm.max_map_count).
    pub fn vma_modify_flags(
        &mut self,
        start: u64,
        end: u64,
        new: VmFlags,
    ) -> Result<(), vma::VmaError> {
        self.split_huge_edges(start, end);
        super::heap::charged(|| self.vmas.modify_flags(start, end, new))
    }

    /// How many bytes from `addr` (at most `len`) lie in areas a user write can fault in: areas
    /// with write permission one after the other, a stack counting for the room it may grow down
    /// into (RLIMIT_STACK). What a pipe read may take out of the pipe (see
    /// `syscall::read_write`), as Linux's stops at the first fault.
    pub fn writable_len(&self, addr: u64, len: u64) -> u64 {
        let end = addr.saturating_add(len);
        let mut at = addr;
        while at < end {
            let Some(vma) = self.vmas.find_vma(at) else {
                break;
            };
            let growable = vma.flags().contains(VmFlags::GROWSDOWN)
                && vma.end() - super::layout::page_down(at) <= super::rlimit::stack_limit();
            if !vma.flags().contains(VmFlags::WRITE) || (vma.start() > at && !growable) {
                break;
            }
            at = vma.end();
        }
        at.min(end) - addr
    }

    /// Unmaps the pages of [start, end) from the page tables (the VMAs are the caller's business),
    /// dropping this process's reference to each frame.
    pub fn release_pages(&mut self, start: u64, end: u64) {
        release_pages(&mut self.pt, &mut self.counters, start, end);
    }
}

impl MmInner {
    /// Unmaps the pages of [start, end) that are not anonymous: a file's page-cache pages, but
    /// not the private copies made of them (Linux's zap with even_cows = 0, what punching a hole
    /// in a file does to its mappings).
    pub fn release_file_pages(&mut self, start: u64, end: u64) {
        let counters = &mut self.counters;
        let is_file_page = |frame| !frame::page(frame).flags().contains(frame::PageFlags::ANON);
        self.pt
            .unmap_range_if(start, end, &is_file_page, &mut |_, frame, _| {
                counters.remove_page(frame.page().flags());
            });
    }
}

/// [`MmInner::release_pages`] on the two fields it needs, for use while the VMA tree is borrowed.
/// Each frame's reference is dropped as it leaves the page table.
fn release_pages(pt: &mut AddressSpace, counters: &mut MmCounters, start: u64, end: u64) {
    pt.unmap_range(start, end, &mut |_, frame, _| {
        counters.remove_page(frame.page().flags());
    });
}

/// Linux's overcommit heuristic (vm.overcommit_memory = 0, __vm_enough_memory): a private writable
/// mapping, or heap growth, larger than all of RAM (there is no swap) is refused up front; anything
/// smaller is allowed, and demand paging commits memory only as it is touched.
pub fn vm_enough_memory(pages: u64) -> bool {
    pages <= frame::stats().total as u64
}

/// Whether an area of these flags is charged against memory (Linux's accountable_mapping).
pub fn accountable(flags: VmFlags) -> bool {
    flags.contains(VmFlags::WRITE) && !flags.intersects(VmFlags::SHARED | VmFlags::NORESERVE)
}

/// The hardware permissions for a page of an area: user-accessible, writable only when `writable`
/// (a private page not yet copied stays read-only even in a writable area), executable only in an
/// executable area.
pub fn pte_flags(vm: VmFlags, writable: bool) -> PteFlags {
    let mut flags = PteFlags::PRESENT | PteFlags::USER_ACCESSIBLE;
    if writable {
        flags |= PteFlags::WRITABLE;
    }
    if !vm.contains(VmFlags::EXEC) {
        flags |= PteFlags::NO_EXECUTE;
    }
    flags
}
