//! mincore (Linux's mm/mincore.c): which pages of a range are in memory.
//!
//! For each page: a page this process has mapped is resident; otherwise, in a file (or shared
//! memory) mapping, the page is resident if the object has it in memory (its page cache), as Linux
//! reports for files; an anonymous page never touched is not (there is no swap to look in).

use alloc::vec::Vec;

use x86_64::VirtAddr;

use super::{
    layout::{PAGE_SIZE, TASK_SIZE, is_page_aligned, page_up},
    mm_struct::MmInner,
};
use crate::syscall::errno::{EINVAL, ENOMEM, Errno};

/// Pages mincore reports per step (the bytes go to the user between steps, with no lock held).
pub const BATCH: usize = 512;

impl MmInner {
    /// Checks mincore's range as Linux does (EINVAL for an unaligned start or a range beyond user
    /// space); returns the number of pages.
    pub fn mincore_pages(addr: u64, len: u64) -> Result<u64, Errno> {
        if !is_page_aligned(addr) {
            return Err(EINVAL);
        }
        let len = page_up(len).ok_or(ENOMEM)?;
        if addr > TASK_SIZE || len > TASK_SIZE - addr {
            return Err(ENOMEM);
        }
        Ok(len / PAGE_SIZE)
    }

    /// The residency of up to `out.capacity()` pages from `addr`, one byte each (1 resident, 0
    /// not), appended to `out`. ENOMEM as soon as a page lies outside every area, as Linux.
    pub fn mincore(&self, addr: u64, pages: usize, out: &mut Vec<u8>) -> Result<(), Errno> {
        for i in 0..pages as u64 {
            let page = addr + i * PAGE_SIZE;
            let vma = self.vmas.find(page).ok_or(ENOMEM)?;
            // A PROT_NONE page holding a frame is resident (x86 Linux's pte_present).
            let mapped = self.pt.mapped_frame(VirtAddr::new(page)).is_some();
            let resident = mapped
                || vma.file().is_some_and(|file| {
                    let pgoff = vma.pgoff() + (page - vma.start()) / PAGE_SIZE;
                    file.0.is_resident(pgoff)
                });
            out.push(resident as u8);
        }
        Ok(())
    }
}
