//! User memory the kernel reaches through the page tables rather than by a user access. Aligned
//! 32-bit user words the kernel reads and updates atomically, with
//! no page fault possible (Linux's get_user and futex_atomic_op_inuser under pagefault_disable).
//! The futex code needs them: it must read or change a word while holding a futex bucket's lock,
//! where a fault (which takes the mm lock and may allocate) is not allowed. A word whose page is
//! not mapped with the access needed is "not present": the caller drops its locks, faults the
//! page in with [`MmInner::fault_in`], and tries again.

use core::sync::atomic::AtomicU32;

use x86_64::VirtAddr;

use super::{
    fault::{Access, FaultError},
    layout::PHYS_OFFSET,
    mm_struct::MmInner,
    paging::PteFlags,
};

impl MmInner {
    /// The user word at `uaddr` (4-byte aligned) if its page is mapped, user-accessible, and
    /// writable when `write` is set. The reference is valid while the mm lock is held (a word's
    /// frame stays mapped as long as nothing changes the page tables, which needs the lock).
    pub fn user_word(&self, uaddr: u64, write: bool) -> Option<&AtomicU32> {
        if !uaddr.is_multiple_of(4) || uaddr >= super::layout::TASK_SIZE {
            return None;
        }
        let (phys, flags) = self.pt.translate(VirtAddr::new(uaddr))?;
        let mut needed = PteFlags::PRESENT | PteFlags::USER_ACCESSIBLE;
        if write {
            needed |= PteFlags::WRITABLE;
        }
        if !flags.contains(needed) {
            return None;
        }
        // SAFETY: the frame is mapped at `uaddr` in this address space, so it is a live frame; the
        // kernel sees all physical memory at PHYS_OFFSET; the address is 4-byte aligned, so the
        // word does not cross a page; the borrow of `self` (the mm lock's guard) keeps the mapping
        // from changing while the reference lives. User memory is shared with user code, so it is
        // only ever accessed atomically.
        Some(unsafe { &*((PHYS_OFFSET + phys.as_u64()) as *const AtomicU32) })
    }

    /// Makes the page of `uaddr` present for reading or writing as a user access would (copying it
    /// if it is copy-on-write). EFAULT-worthy failures come back as the fault's error.
    pub fn fault_in(&mut self, uaddr: u64, write: bool) -> Result<(), FaultError> {
        let access = if write { Access::Write } else { Access::Read };
        self.handle_fault(uaddr, access).map(|_| ())
    }
}
