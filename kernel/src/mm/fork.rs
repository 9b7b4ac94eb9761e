//! Duplicating an address space for fork (Linux's dup_mmap and copy_page_range, kernel/fork.c and
//! mm/memory.c).
//!
//! The child gets a copy of every VMA and of every page-table entry, pointing at the same frames,
//! whose reference counts go up by one. In private areas both copies of a writable entry become
//! read-only: the first write on either side takes a copy-on-write fault (mm/fault.rs), which copies
//! the page while it is shared and just makes it writable again once one process is its only user.
//! Shared areas stay writable and shared. No page is copied here, and the parent's TLB is flushed
//! once at the end.

use alloc::sync::Arc;
use x86_64::structures::paging::{PhysFrame, page_table::PageTableEntry};

use super::{
    frame::Frame,
    mm_struct::{Mm, MmInner, VmFlags},
    mprotect::PTE_PROTNONE,
    paging::{MapError, PteFlags},
};

impl MmInner {
    /// Builds the child's mm. On failure (out of memory) the partial child is dropped, which
    /// releases everything it had mapped, and the parent is left as it was apart from PTEs made
    /// read-only, which only costs it a copy-on-write fault later.
    pub fn dup_mm(&mut self) -> Result<Arc<Mm>, MapError> {
        let child = Mm::new()?;
        {
            let mut c = child.lock();
            c.vmas =
                super::heap::charged(|| self.vmas.duplicate()).map_err(|_| MapError::NoMemory)?;
            c.layout = self.layout;
            c.exe_file = self.exe_file.clone();

            for vma in self.vmas.iter() {
                let shared = vma.flags().contains(VmFlags::MAYSHARE);
                let child_inner = &mut *c;
                let counters = &mut child_inner.counters;
                let copied =
                    self.pt
                        .copy_range_to(&mut child_inner.pt, vma.start(), vma.end(), |entry| {
                            let frame = leaf_frame(entry)?;
                            let mut pte = entry.flags();
                            if !shared && pte.contains(PteFlags::WRITABLE) {
                                pte.remove(PteFlags::WRITABLE);
                                entry.set_flags(pte);
                            }
                            // The child's entry holds a reference of its own.
                            let child_ref = Frame::get(frame);
                            counters.add_page(child_ref.page().flags());
                            let _ = child_ref.into_raw();
                            Some(pte)
                        });
                if let Err(e) = copied {
                    // The parent's PTEs changed: flush before handing back the error.
                    x86_64::instructions::tlb::flush_all();
                    drop(c);
                    return Err(e);
                }
            }
            // The parent's PTEs changed: one full flush.
            x86_64::instructions::tlb::flush_all();
        }
        Ok(child)
    }
}

/// The frame of a present or PROT_NONE leaf entry.
fn leaf_frame(entry: &PageTableEntry) -> Option<PhysFrame> {
    if entry.flags().contains(PteFlags::PRESENT) || entry.flags().contains(PTE_PROTNONE) {
        PhysFrame::from_start_address(entry.addr()).ok()
    } else {
        None
    }
}
