//! Duplicating an address space for fork (Linux's dup_mmap and copy_page_range, kernel/fork.c and
//! mm/memory.c).
//!
//! The child gets a copy of every VMA and of every page-table entry, pointing at the same frames,
//! whose reference counts go up by one. In private areas both copies of a writable entry become
//! read-only: the first write on either side takes a copy-on-write fault (mm/fault.rs), which copies
//! the page while it is shared and just makes it writable again once one process is its only user.
//! Shared areas stay writable and shared. A transparent huge page is shared the same way, by one
//! huge entry in each. No page is copied here, and the parent's TLB is flushed once at the end.
//!
//! As in Linux's dup_mmap, an area advised MADV_DONTFORK (VM_DONTCOPY) is not given to the child
//! at all, one advised MADV_WIPEONFORK reaches it empty (its pages read as zeros), and the child's
//! areas are not locked: mlock and mlockall are not inherited.

use alloc::sync::Arc;

use super::{
    frame::{Frame, HPAGE_PMD_NR, HugeFrame},
    mm_struct::{Mm, MmInner, VmFlags},
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
            c.thp_disabled = self.thp_disabled;
            c.exe_file = self.exe_file.clone();

            let mut fix_child = false;
            for vma in self.vmas.iter() {
                let flags = vma.flags();
                if flags.intersects(VmFlags::DONTCOPY | VmFlags::LOCKED_MASK) {
                    fix_child = true;
                }
                if flags.intersects(VmFlags::DONTCOPY | VmFlags::WIPEONFORK) {
                    continue;
                }
                let shared = vma.flags().contains(VmFlags::MAYSHARE);
                let child_inner = &mut *c;
                let counters = &mut child_inner.counters;
                let copied =
                    self.pt
                        .copy_range_to(&mut child_inner.pt, vma.start(), vma.end(), |entry| {
                            let frame = super::mprotect::leaf_frame(entry)?;
                            let mut pte = entry.flags();
                            if !shared && pte.contains(PteFlags::WRITABLE) {
                                pte.remove(PteFlags::WRITABLE);
                                entry.set_flags(pte);
                            }
                            // The child's entry holds a reference of its own (to each of the 512
                            // frames of a huge page).
                            if pte.contains(PteFlags::HUGE_PAGE) {
                                let _ = HugeFrame::get(frame).into_raw();
                                let flags = super::frame::page(frame).flags();
                                counters.add_pages(flags, HPAGE_PMD_NR as u64);
                                return Some(pte);
                            }
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
            if fix_child {
                c.drop_uninherited_areas();
            }
        }
        Ok(child)
    }
}

impl MmInner {
    /// In a new child: removes the VM_DONTCOPY areas (their pages were not copied) and clears
    /// the lock bits (Linux's dup_mmap skips the one and clears the other). Whole areas only, so
    /// no split, and nothing here can fail.
    fn drop_uninherited_areas(&mut self) {
        let mut at = 0;
        while let Some(vma) = self.vmas.find_vma(at) {
            let (start, end, flags) = (vma.start(), vma.end(), vma.flags());
            at = end;
            if flags.contains(VmFlags::DONTCOPY) {
                let _ = self.vmas.unmap_each(start, end, |_| {});
            } else if flags.intersects(VmFlags::LOCKED_MASK) {
                let _ = self
                    .vmas
                    .modify_flags(start, end, flags - VmFlags::LOCKED_MASK);
            }
        }
    }
}
