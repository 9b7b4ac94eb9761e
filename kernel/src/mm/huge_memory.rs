//! Transparent huge pages for anonymous memory (Linux's mm/huge_memory.c).
//!
//! A write fault in private anonymous memory, where the whole 2 MiB-aligned range around the
//! address lies inside the area and nothing is mapped in it yet, maps one 2 MiB page with a single
//! PMD entry instead of a 4 KiB page: one fault instead of 512, and one TLB entry instead of 512.
//! When no free 2 MiB block is left, the fault falls back to a small page, as Linux's does.
//!
//! | event | what happens to a huge page |
//! |---|---|
//! | fault (write) in an eligible area | [`do_huge_pmd_anonymous_page`](MmInner::do_huge_pmd_anonymous_page): a zeroed 2 MiB page, writable |
//! | fault (read) | the small zero page, as without huge pages (Linux maps a huge zero page, and splits it at the first write) |
//! | munmap, mprotect, madvise, mlock or mremap of part of it | split into 512 small entries mapping the same frames (contents kept), then handled small |
//! | munmap or mprotect of all of it, mremap to a 2 MiB-aligned address | stays huge |
//! | fork | the child maps it huge too, both read-only: copy-on-write |
//! | write after fork | [`do_huge_pmd_wp_page`](MmInner::do_huge_pmd_wp_page): made writable in place if no one else maps any of it, else split and the one small page copied |
//!
//! Which areas may have them is Linux's `hugepage_vma_check`: anonymous private areas, not
//! advised MADV_NOHUGEPAGE, and, in the `madvise` mode, only those advised MADV_HUGEPAGE. The mode
//! is `always` (Debian's default, CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS) unless the command line's
//! `transparent_hugepage=` says otherwise, and, as in Linux's hugepage_init, huge pages are off
//! whatever it says on a machine with less than 512 MiB of memory; root may change the mode at
//! any time through /sys/kernel/mm/transparent_hugepage/enabled (see `fs::procfs`).
//!
//! Splitting never needs memory: a page table is set aside (deposited) with every huge entry, as
//! Linux does, so that munmap and the other calls cannot fail half-way for want of one. How the
//! frames of a huge page are counted is described at [`HugeFrame`].

use core::sync::atomic::{AtomicU8, Ordering};

use x86_64::structures::paging::PhysFrame;

use super::{
    fault::FaultOutcome,
    frame::{self, HPAGE_PMD_NR, HugeFrame, PageFlags},
    layout::PAGE_SIZE,
    mm_struct::{MmInner, VmFlags, pte_flags},
    paging::{HPAGE_PMD_SIZE, Pmd},
};

/// When anonymous memory gets huge pages (/sys/kernel/mm/transparent_hugepage/enabled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ThpMode {
    /// In every eligible area.
    Always = 0,
    /// Only in areas advised MADV_HUGEPAGE.
    Madvise = 1,
    /// Never.
    Never = 2,
}

impl ThpMode {
    /// The mode of a `transparent_hugepage=` value, as Linux's setup_transparent_hugepage reads it.
    pub fn parse(word: &str) -> Option<ThpMode> {
        match word {
            "always" => Some(ThpMode::Always),
            "madvise" => Some(ThpMode::Madvise),
            "never" => Some(ThpMode::Never),
            _ => None,
        }
    }

    /// The line Linux's sysfs file shows, the current mode in brackets.
    pub fn describe(self) -> &'static str {
        match self {
            ThpMode::Always => "[always] madvise never",
            ThpMode::Madvise => "always [madvise] never",
            ThpMode::Never => "always madvise [never]",
        }
    }
}

static MODE: AtomicU8 = AtomicU8::new(ThpMode::Always as u8);

/// The current mode.
pub fn mode() -> ThpMode {
    match MODE.load(Ordering::Relaxed) {
        0 => ThpMode::Always,
        1 => ThpMode::Madvise,
        _ => ThpMode::Never,
    }
}

/// Sets the mode (the command line, or a write to the sysfs file).
pub fn set_mode(mode: ThpMode) {
    MODE.store(mode as u8, Ordering::Relaxed);
}

/// Below this much memory Linux turns huge pages off at boot (hugepage_init): 512 MiB.
const MIN_MEMORY_FRAMES: usize = (512 << 20) / PAGE_SIZE as usize;

/// Sets the boot-time mode: `requested` from the command line (or the default), off on a small
/// machine whatever was asked.
pub fn init(requested: Option<ThpMode>) {
    if let Some(mode) = requested {
        set_mode(mode);
    }
    let total = frame::stats().total;
    if total < MIN_MEMORY_FRAMES {
        set_mode(ThpMode::Never);
    }
    log::info!(
        "transparent huge pages: {} ({} MiB of memory)",
        mode().describe(),
        (total * PAGE_SIZE as usize) >> 20
    );
}

/// Whether an area with these flags may have huge pages (Linux's hugepage_vma_check with the
/// sysfs mode enforced): anonymous and private, not MADV_NOHUGEPAGE, not a special mapping, and
/// allowed by the mode. This is also smaps' THPeligible, together with [`has_huge_range`].
pub fn vma_allows(flags: VmFlags, has_file: bool) -> bool {
    if has_file
        || flags
            .intersects(VmFlags::MAYSHARE | VmFlags::NOHUGEPAGE | VmFlags::IO | VmFlags::DONTEXPAND)
    {
        return false;
    }
    match mode() {
        ThpMode::Always => true,
        ThpMode::Madvise => flags.contains(VmFlags::HUGEPAGE),
        ThpMode::Never => false,
    }
}

/// Whether [start, end) holds a whole 2 MiB-aligned range: the last one below `end` is inside
/// (Linux's transhuge_vma_suitable at vm_end - HPAGE_PMD_SIZE).
pub fn has_huge_range(start: u64, end: u64) -> bool {
    end.checked_sub(HPAGE_PMD_SIZE)
        .is_some_and(|last| last & !(HPAGE_PMD_SIZE - 1) >= start)
}

/// The 2 MiB-aligned range around `addr`, if it lies wholly inside [start, end).
fn huge_range_at(addr: u64, start: u64, end: u64) -> Option<u64> {
    let haddr = addr & !(HPAGE_PMD_SIZE - 1);
    (haddr >= start && haddr.checked_add(HPAGE_PMD_SIZE)? <= end).then_some(haddr)
}

impl MmInner {
    /// A write fault at `addr` in anonymous private memory with nothing mapped at its PMD: maps a
    /// zeroed huge page if the area allows it and one can be had. None means "do it small" (the
    /// area does not allow it, something is mapped nearby, or no 2 MiB block is free).
    pub(super) fn do_huge_pmd_anonymous_page(
        &mut self,
        addr: u64,
        start: u64,
        end: u64,
        flags: VmFlags,
    ) -> Option<FaultOutcome> {
        if self.thp_disabled || !vma_allows(flags, false) {
            return None;
        }
        let haddr = huge_range_at(addr, start, end)?;
        if self.pt.pmd(haddr) != Pmd::None {
            return None;
        }
        let Some(huge) = HugeFrame::alloc_anon_zeroed() else {
            self.counters.thp_fault_fallback += 1;
            return None;
        };
        let pte = pte_flags(flags, flags.contains(VmFlags::WRITE));
        if self.pt.map_huge(haddr, huge, pte).is_err() {
            self.counters.thp_fault_fallback += 1;
            return None;
        }
        self.counters
            .add_pages(PageFlags::ANON, HPAGE_PMD_NR as u64);
        self.counters.thp_fault_alloc += 1;
        Some(FaultOutcome::NewHugePage)
    }

    /// A write to a present, read-only huge page of a writable private area (after fork): Linux's
    /// do_huge_pmd_wp_page. If no one else maps any of its frames, the huge entry becomes
    /// writable in place; otherwise it is split, and the small page at `addr` goes through the
    /// small-page copy-on-write (Linux 6.1 falls back the same way rather than copy 2 MiB).
    /// `small` is the frame at `addr` ([`AddressSpace::lookup`](super::paging::AddressSpace::lookup)'s
    /// answer). Returns false after a split, for the caller to retry small.
    pub(super) fn do_huge_pmd_wp_page(
        &mut self,
        addr: u64,
        small: PhysFrame,
        start: u64,
        end: u64,
        flags: VmFlags,
    ) -> bool {
        let haddr = addr & !(HPAGE_PMD_SIZE - 1);
        let head = small - (addr - haddr) / PAGE_SIZE;
        // The huge page must lie inside this one area (areas' edges split huge pages, so it does).
        if huge_range_at(addr, start, end).is_some() && frame::huge_is_exclusive(head) {
            self.pt
                .set_huge_flags(haddr, super::mprotect::mk_pte(flags, true));
            self.counters.cow_reuses += 1;
            return true;
        }
        self.pt.split_huge_pmd(haddr);
        false
    }

    /// Splits the huge pages that [start, end)'s edges cut, before the areas are split there
    /// (Linux's vma_adjust_trans_huge): a huge entry never straddles two areas.
    pub fn split_huge_edges(&mut self, start: u64, end: u64) {
        for edge in [start, end] {
            if edge % HPAGE_PMD_SIZE != 0 {
                self.pt.split_huge_pmd(edge);
            }
        }
    }
}
