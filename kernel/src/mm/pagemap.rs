//! /proc/PID/pagemap (Linux's fs/proc/task_mmu.c, pagemap_read): one 64-bit entry per virtual
//! page, saying whether a frame backs it and which. A program reads its own (or, with the right
//! to trace it, another process's) at offset `address / 4096 * 8` and sees demand paging,
//! the shared zero page, copy-on-write sharing after fork and page-cache pages directly.
//!
//! The bits, as Linux sets them:
//! - 63 present (a PROT_NONE page that holds a frame counts, as on x86);
//! - 61 a file's page or shared memory (not anonymous);
//! - 56 mapped exactly once ("exclusively mapped");
//! - 0-54 the page frame number, for a reader with CAP_SYS_ADMIN (root), else 0.
//!
//! Bit 55, soft-dirty, stays clear, as in a Linux built without CONFIG_MEM_SOFT_DIRTY (there
//! is no /proc/PID/clear_refs to clear it, so it would be set everywhere and say nothing). A
//! file opened as /proc/self/pagemap keeps showing the process that opened it, also to a child
//! that inherits the descriptor, as Linux's does.

use x86_64::VirtAddr;

use super::{
    frame::{self, PageFlags},
    layout::PAGE_SIZE,
    mm_struct::MmInner,
};

pub const PM_PRESENT: u64 = 1 << 63;
pub const PM_FILE: u64 = 1 << 61;
pub const PM_MMAP_EXCLUSIVE: u64 = 1 << 56;
const PM_PFRAME_MASK: u64 = (1 << 55) - 1;

impl MmInner {
    /// Fills `out` with the entries of the pages from `addr` (page-aligned) on; `show_pfn` puts
    /// the frame numbers in.
    pub fn pagemap(&self, addr: u64, out: &mut [u64], show_pfn: bool) {
        for (i, entry) in out.iter_mut().enumerate() {
            let at = addr + i as u64 * PAGE_SIZE;
            *entry = match self.vmas.find_vma(at) {
                Some(v) if v.start() <= at => self.pte_entry(at, show_pfn),
                _ => 0,
            };
        }
    }

    /// The present bits of the page at `addr` of an area (Linux's pte_to_pagemap_entry): the
    /// zero page is present but neither a file's nor anybody's alone.
    fn pte_entry(&self, addr: u64, show_pfn: bool) -> u64 {
        let Some(frame) = self.pt.mapped_frame(VirtAddr::new(addr)) else {
            return 0;
        };
        let pfn = frame.start_address().as_u64() / PAGE_SIZE;
        let mut entry = PM_PRESENT | if show_pfn { pfn & PM_PFRAME_MASK } else { 0 };
        let page = frame::page(frame);
        let flags = page.flags();
        if flags.contains(PageFlags::ZERO) {
            return entry;
        }
        if !flags.contains(PageFlags::ANON) {
            entry |= PM_FILE;
        }
        // A hugetlb page is exclusive when one huge entry maps it (pagemap_hugetlb_range's
        // page_mapcount); the page cache holds a reference of its own besides the mappings'.
        let cache = flags.contains(PageFlags::PAGE_CACHE) as u32;
        let exclusive = if flags.contains(PageFlags::HUGETLB) {
            frame::pmd_mapcount(frame - pfn % frame::HPAGE_PMD_NR as u64) == 1
        } else {
            page.refcount().saturating_sub(cache) == 1
        };
        if exclusive {
            entry |= PM_MMAP_EXCLUSIVE;
        }
        entry
    }
}
