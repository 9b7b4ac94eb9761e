//! Faulting a range in ahead of use: MAP_POPULATE (Linux's __mm_populate and populate_vma_page_range,
//! mm/gup.c).
//!
//! Populating gigabytes takes long, so, as Linux does, the work is done in batches: the mm lock is
//! taken for one batch of pages at a time, and between batches the task offers the CPU to others
//! (cond_resched) and stops early if it has been killed. Populate is best effort: a page that
//! cannot be brought in (a hole made by another thread, no memory) ends it without an error, as in
//! Linux, and the program takes the fault later instead.

use super::{
    fault::{Access, FaultError},
    layout::PAGE_SIZE,
    mm_struct::Mm,
};
use crate::{
    sched, signal,
    syscall::errno::{EFAULT, EINTR, EINVAL, ENOMEM, Errno},
};

/// Pages faulted in per lock hold.
const BATCH_PAGES: u64 = 64;

/// Faults in every page of [start, start + len) for `access`, best effort (MAP_POPULATE).
pub fn populate(mm: &Mm, start: u64, len: u64, access: Access) {
    let _ = populate_checked(mm, start, len, access);
}

/// [`populate`], reporting why it stopped, as madvise(MADV_POPULATE_*) does (Linux's
/// madvise_populate): ENOMEM for a hole or no memory, EINVAL for an access the area does not
/// allow, EFAULT for a file page beyond the end of the file, EINTR when killed.
pub fn populate_checked(mm: &Mm, start: u64, len: u64, access: Access) -> Result<(), Errno> {
    let end = start.saturating_add(len);
    let mut page = start;
    while page < end {
        {
            let mut inner = mm.lock();
            let batch_end = end.min(page.saturating_add(BATCH_PAGES * PAGE_SIZE));
            while page < batch_end {
                inner.handle_fault(page, access).map_err(|e| match e {
                    FaultError::NoMapping | FaultError::OutOfMemory => ENOMEM,
                    FaultError::Protection => EINVAL,
                    FaultError::Bus => EFAULT,
                })?;
                page += PAGE_SIZE;
            }
        }
        if signal::fatal_signal_pending() {
            return Err(EINTR);
        }
        sched::cond_resched();
    }
    Ok(())
}
