//! Faulting a range in ahead of use: MAP_POPULATE (Linux's __mm_populate and populate_vma_page_range,
//! mm/gup.c).
//!
//! Populating gigabytes takes long, so, as Linux does, the work is done in batches: the mm lock is
//! taken for one batch of pages at a time, and between batches the task offers the CPU to others
//! (cond_resched) and stops early if it has been killed. Populate is best effort: a page that
//! cannot be brought in (a hole made by another thread, no memory) ends it without an error, as in
//! Linux, and the program takes the fault later instead.

use super::{fault::Access, layout::PAGE_SIZE, mm_struct::Mm};
use crate::{sched, signal};

/// Pages faulted in per lock hold.
const BATCH_PAGES: u64 = 64;

/// Faults in every page of [start, start + len) for `access`.
pub fn populate(mm: &Mm, start: u64, len: u64, access: Access) {
    let end = start.saturating_add(len);
    let mut page = start;
    while page < end {
        {
            let mut inner = mm.lock();
            let batch_end = end.min(page.saturating_add(BATCH_PAGES * PAGE_SIZE));
            while page < batch_end {
                if inner.handle_fault(page, access).is_err() {
                    return;
                }
                page += PAGE_SIZE;
            }
        }
        if signal::fatal_signal_pending() {
            return;
        }
        sched::cond_resched();
    }
}
