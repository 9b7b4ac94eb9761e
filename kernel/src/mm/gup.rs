//! Reaching pages of an address space from outside it (Linux's get_user_pages_remote, what
//! process_vm_readv and process_vm_writev use): the pages are faulted in as an access of the
//! owner would fault them, and a reference to each frame is taken, so that the copy can happen
//! after the owner's mm lock is dropped (the copy touches the caller's own memory, whose faults
//! take the caller's mm lock: two mm locks are never held at once).

use alloc::vec::Vec;
use x86_64::VirtAddr;

use super::{
    fault::Access,
    frame::Frame,
    layout::{PAGE_SIZE, TASK_SIZE},
    mm_struct::{MmInner, VmFlags},
};

/// The most pages taken at once (Linux's PVM_MAX_PP_ARRAY_COUNT).
pub const GUP_BATCH: usize = 16;

impl MmInner {
    /// Takes the frames of up to `max` pages from `start` (page-aligned) into `pages`, which has
    /// room for them. Each page is brought in as its owner's access would bring it (a write
    /// breaks copy-on-write first). Stops at the first page that no area maps (stacks do not
    /// grow for another process), whose area lacks the permission (VM_READ to read, VM_WRITE to
    /// write: Linux's check_vma_flags without FOLL_FORCE), or that cannot be brought in.
    pub fn get_user_pages_remote(
        &mut self,
        start: u64,
        max: usize,
        write: bool,
        pages: &mut Vec<Frame>,
    ) {
        let (access, needed) = if write {
            (Access::Write, VmFlags::WRITE)
        } else {
            (Access::Read, VmFlags::READ)
        };
        for i in 0..max as u64 {
            let addr = start + i * PAGE_SIZE;
            if addr >= TASK_SIZE || pages.len() == pages.capacity() {
                return;
            }
            let allowed = self
                .vmas
                .find_vma(addr)
                .is_some_and(|v| v.start() <= addr && v.flags().contains(needed));
            if !allowed || self.handle_fault(addr, access).is_err() {
                return;
            }
            let Some((frame, _)) = self.pt.lookup(VirtAddr::new(addr)) else {
                return;
            };
            pages.push(Frame::get(frame));
        }
    }
}
