//! mprotect: changing the rights of mappings (Linux's do_mprotect_pkey and change_protection,
//! mm/mprotect.c). The VMA tree splits and re-merges the areas; this file brings the page tables in
//! line with the new rights.

use abi::mman::{PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_WRITE};
use x86_64::structures::paging::{PhysFrame, page_table::PageTableEntry};

use super::{
    frame::{self, PageFlags},
    layout::{TASK_SIZE, is_page_aligned, page_up},
    mm_struct::{MmInner, VmFlags, pte_flags},
    mmap::prot_to_vm,
    paging::{PteFlags, Visit},
};
use crate::syscall::errno::*;

/// Software PTE bit marking a page whose area is PROT_NONE: not present to the CPU, but the frame
/// stays mapped (Linux's _PAGE_PROTNONE), so its contents survive until rights come back.
pub const PTE_PROTNONE: PteFlags = PteFlags::BIT_9;

/// The frame of a present or PROT_NONE leaf entry (x86's pte_present, which counts both): what
/// fork copies and smaps counts.
pub fn leaf_frame(entry: &PageTableEntry) -> Option<PhysFrame> {
    if entry.flags().intersects(PteFlags::PRESENT | PTE_PROTNONE) {
        PhysFrame::from_start_address(entry.addr()).ok()
    } else {
        None
    }
}

impl MmInner {
    /// mprotect(addr, len, prot).
    pub fn do_mprotect(&mut self, addr: u64, len: u64, prot: u64) -> Result<(), Errno> {
        if !is_page_aligned(addr) {
            return Err(EINVAL);
        }
        if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP) != 0 {
            return Err(EINVAL);
        }
        if prot & (PROT_GROWSDOWN | PROT_GROWSUP) != 0 {
            return Err(EINVAL); // not supported (rarely used; Linux ties them to grows-down areas)
        }
        if len == 0 {
            return Ok(());
        }
        let len = page_up(len).ok_or(ENOMEM)?;
        let end = addr.checked_add(len).ok_or(ENOMEM)?;
        if end > TASK_SIZE {
            return Err(ENOMEM);
        }
        // Areas of huge pages split only at huge-page boundaries (hugetlb_vm_op_split).
        if !self.hugetlb_split_ok(addr) || !self.hugetlb_split_ok(end) {
            return Err(EINVAL);
        }
        let (changes, error) =
            match super::heap::charged(|| self.vmas.protect(addr, end, prot_to_vm(prot))) {
                Ok(changes) => (changes, None),
                Err(failure) => (failure.changes, Some(failure.error)),
            };
        for change in changes {
            self.change_protection(change.start, change.end, change.new);
        }
        match error {
            None => Ok(()),
            Some(vma::ProtectError::NoMem) => Err(ENOMEM),
            Some(vma::ProtectError::Access) => Err(EACCES),
        }
    }

    /// Rewrites the PTEs of [start, end) for an area whose flags are now `vm`.
    pub fn change_protection(&mut self, start: u64, end: u64, vm: VmFlags) {
        self.pt
            .walk(start, end, false, &mut |_, entry: &mut PageTableEntry| {
                // A huge entry (wholly inside the range: the walk splits the others) stays huge
                // with the new rights, as Linux's change_huge_pmd does.
                // The accessed and dirty bits stay (Linux's pte_modify keeps _PAGE_CHG_MASK):
                // smaps' Referenced and Private_Dirty do not change with the rights.
                let kept = entry.flags() & (PteFlags::ACCESSED | PteFlags::DIRTY);
                if entry.flags().contains(PteFlags::HUGE_PAGE) {
                    let head = PhysFrame::containing_address(entry.addr());
                    let exclusive = frame::huge_is_exclusive(head);
                    let new = pte_for_page(vm, exclusive) | PteFlags::HUGE_PAGE | kept;
                    entry.set_addr(head.start_address(), new);
                    return Visit::Keep;
                }
                let frame = entry.frame().or_else(|_| {
                    // A PROT_NONE entry: not present, frame kept.
                    PhysFrame::from_start_address(entry.addr()).map_err(|_| ())
                });
                let Ok(frame) = frame else { return Visit::Keep };
                let page = frame::page(frame);
                let exclusive = page.flags().contains(PageFlags::ANON) && page.is_exclusive();
                entry.set_addr(frame.start_address(), pte_for_page(vm, exclusive) | kept);
                Visit::Keep
            });
    }
}

/// The PTE flags of an already-mapped page under an area's (new) rights; `exclusive` if it is
/// anonymous memory this process alone maps.
fn pte_for_page(vm: VmFlags, exclusive: bool) -> PteFlags {
    // Writable in place only if writes cannot be seen by anyone else: a shared area, or an anonymous
    // page this process alone maps. Otherwise stay read-only and let copy-on-write decide.
    mk_pte(vm, vm.contains(VmFlags::MAYSHARE) || exclusive)
}

/// The entry of a page in an area with rights `vm` (Linux's vm_page_prot, with maybe_mkwrite's
/// rule): writable if `writable` and the area allows writes (a write forced through
/// /proc/PID/mem into a read-only private area leaves the entry read-only); in an inaccessible
/// area not present but keeping its frame ([`PTE_PROTNONE`]), so that a page brought in there
/// stays out of its owner's reach.
pub fn mk_pte(vm: VmFlags, writable: bool) -> PteFlags {
    if !vm.intersects(VmFlags::READ | VmFlags::WRITE | VmFlags::EXEC) {
        return (pte_flags(vm, false) - PteFlags::PRESENT) | PTE_PROTNONE;
    }
    pte_flags(vm, writable && vm.contains(VmFlags::WRITE))
}
