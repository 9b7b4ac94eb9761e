//! munmap: removing mappings (Linux's do_vmi_munmap, mm/mmap.c).

use super::{
    layout::{TASK_SIZE, is_page_aligned, page_up},
    mm_struct::MmInner,
};
use crate::syscall::errno::*;

impl MmInner {
    /// Unmaps [addr, addr + len): any range, across several areas and holes. Splits areas at the
    /// edges, frees the frames and the page tables left empty, flushes the TLB.
    pub fn do_munmap(&mut self, addr: u64, len: u64) -> Result<(), Errno> {
        if !is_page_aligned(addr) || len == 0 {
            return Err(EINVAL);
        }
        let len = page_up(len).ok_or(EINVAL)?;
        if addr > TASK_SIZE || len > TASK_SIZE - addr {
            return Err(EINVAL);
        }
        // Areas of huge pages split only at huge-page boundaries (hugetlb_vm_op_split).
        if !self.hugetlb_split_ok(addr) || !self.hugetlb_split_ok(addr + len) {
            return Err(EINVAL);
        }
        // The tree applies Linux's map-count limit to a hole punched inside one area.
        self.unmap_range(addr, addr + len)
    }
}
