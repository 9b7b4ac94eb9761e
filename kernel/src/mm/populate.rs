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

/// Why [`mm_populate`] stopped: Linux's error codes of __mm_populate, before mlock turns them
/// into its own (__mlock_posix_error_return: EFAULT becomes ENOMEM, ENOMEM becomes EAGAIN).
fn populate_error(e: FaultError) -> Errno {
    match e {
        FaultError::OutOfMemory => ENOMEM,
        FaultError::NoMapping | FaultError::Protection | FaultError::Bus => EFAULT,
    }
}

/// Faults in every page of the areas overlapping [start, start + len), as locking does (Linux's
/// __mm_populate and populate_vma_page_range): holes are skipped; ONFAULT areas are left to fill
/// as touched; a private writable page is faulted for writing, so that copy-on-write is broken
/// now, and any other for reading; an inaccessible (PROT_NONE) area is an EFAULT. With
/// `ignore_errors` (mlockall, MAP_LOCKED) an area that fails is passed over.
pub fn mm_populate(mm: &Mm, start: u64, len: u64, ignore_errors: bool) -> Result<(), Errno> {
    use super::mm_struct::VmFlags;
    let end = start.saturating_add(len);
    let mut page = start;
    while page < end {
        {
            let mut inner = mm.lock();
            let mut budget = BATCH_PAGES;
            while page < end && budget > 0 {
                let Some(vma) = inner.vmas.find_vma(page).filter(|v| v.start() < end) else {
                    return Ok(());
                };
                let (vstart, vend, flags) = (vma.start(), vma.end(), vma.flags());
                page = page.max(vstart);
                let skip = flags.contains(VmFlags::LOCKONFAULT) || flags.intersects(VmFlags::IO);
                let result = if skip {
                    Ok(())
                } else if !flags.is_accessible() {
                    Err(EFAULT)
                } else {
                    let access =
                        if flags.contains(VmFlags::WRITE) && !flags.contains(VmFlags::SHARED) {
                            Access::Write
                        } else {
                            Access::Read
                        };
                    let stop = vend.min(end).min(page.saturating_add(budget * PAGE_SIZE));
                    let mut r = Ok(());
                    while page < stop {
                        if let Err(e) = inner.handle_fault(page, access) {
                            r = Err(populate_error(e));
                            break;
                        }
                        page += PAGE_SIZE;
                        budget -= 1;
                    }
                    r
                };
                match result {
                    Ok(()) if skip => page = vend,
                    Ok(()) => {}
                    Err(_) if ignore_errors => page = vend,
                    Err(e) => return Err(e),
                }
            }
        }
        if signal::fatal_signal_pending() {
            return Err(EINTR);
        }
        sched::cond_resched();
    }
    Ok(())
}
