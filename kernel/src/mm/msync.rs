//! msync: writing the pages of shared file mappings back to their files (Linux's mm/msync.c).
//!
//! The argument rules are Linux's, exactly; for each shared file-backed area in the range with
//! MS_SYNC, the area's object writes its dirty pages back ([`super::vm_object::VmObject::write_back`]).
//! The objects that exist today live only in memory, so that is all the work there is; a writable
//! file system plugs its write-back in there.

use super::{
    layout::{PAGE_SIZE, is_page_aligned},
    mm_struct::{MmInner, VmFlags},
    vm_object::VmFile,
};
use crate::syscall::errno::*;

pub const MS_ASYNC: u64 = 1;
pub const MS_INVALIDATE: u64 = 2;
pub const MS_SYNC: u64 = 4;

impl MmInner {
    /// The objects msync(start, len, flags) must write back, after Linux's checks: EINVAL for
    /// unknown flags, an unaligned start or MS_ASYNC with MS_SYNC; ENOMEM if part of the range is
    /// unmapped (after the rest was done). The caller writes them back without the mm lock.
    pub fn msync_objects(
        &self,
        start: u64,
        len: u64,
        flags: u64,
    ) -> Result<alloc::vec::Vec<VmFile>, (Errno, alloc::vec::Vec<VmFile>)> {
        let mut objects = alloc::vec::Vec::new();
        if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
            || !is_page_aligned(start)
            || (flags & MS_ASYNC != 0 && flags & MS_SYNC != 0)
        {
            return Err((EINVAL, objects));
        }
        // Linux rounds with wrapping arithmetic: a length that wraps to zero is an empty range.
        let len = len.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
        let end = start.wrapping_add(len);
        if end < start {
            return Err((ENOMEM, objects));
        }
        let mut unmapped = false;
        let mut at = start;
        while at < end {
            let Some(vma) = self.vmas.find_vma(at) else {
                return Err((ENOMEM, objects));
            };
            if at < vma.start() {
                unmapped = true;
                at = vma.start();
                if at >= end {
                    break;
                }
            }
            if flags & MS_SYNC != 0
                && vma.flags().contains(VmFlags::SHARED)
                && let Some(file) = vma.file()
                && objects.try_reserve(1).is_ok()
            {
                objects.push(file.clone());
            }
            at = vma.end();
        }
        if unmapped {
            Err((ENOMEM, objects))
        } else {
            Ok(objects)
        }
    }
}
