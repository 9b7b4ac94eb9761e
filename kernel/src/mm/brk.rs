//! brk: moving the program break, the top of the heap (Linux's SYSCALL_DEFINE1(brk), mm/mmap.c).
//!
//! The heap is one anonymous read-write area from `start_brk` up to the break rounded up to a page.
//! Growing it inserts an area right above the old top, which merges into the heap; shrinking unmaps
//! the pages above the new top and frees them. Like Linux, the heap never merges with the program's
//! bss just below `start_brk` (exec sets the VMA tree's merge barrier there), so /proc/PID/maps shows
//! the bss and `[heap]` as two lines. `sbrk(n)` in a C library is `brk(brk(0) + n)`.

use super::{
    layout::{PAGE_SIZE, TASK_SIZE, page_up},
    mm_struct::{MmInner, STACK_GUARD_GAP, VmFlags, VmaInfo, vm_enough_memory},
};

impl MmInner {
    /// Returns the new break, or the old one if it cannot move (never an error code, as in Linux).
    pub fn do_brk(&mut self, brk: u64) -> u64 {
        let old = self.layout.brk;
        // Below the heap or beyond user space: the break stays (Linux: `brk < min_brk` and the
        // TASK_SIZE check of get_unmapped_area both end in returning the old break).
        if brk < self.layout.start_brk || brk > TASK_SIZE {
            return old;
        }
        let (Some(new_top), Some(old_top)) = (page_up(brk), page_up(old)) else {
            return old;
        };
        if new_top == old_top {
            self.layout.brk = brk;
            return brk;
        }
        if brk <= old {
            if self.unmap_range(new_top, old_top).is_err() {
                return old;
            }
            self.layout.brk = brk;
            return brk;
        }
        // Keep a page (and a stack's guard gap) between the heap and whatever is above it.
        if let Some(next) = self.vmas.find_vma(old_top) {
            let gap = if next.flags().contains(VmFlags::GROWSDOWN) {
                STACK_GUARD_GAP
            } else {
                0
            };
            if new_top.saturating_add(PAGE_SIZE) > next.start().saturating_sub(gap) {
                return old;
            }
        }
        let flags = VmFlags::READ
            | VmFlags::WRITE
            | VmFlags::ACCOUNT
            | VmFlags::MAYREAD
            | VmFlags::MAYWRITE
            | VmFlags::MAYEXEC
            | self.def_flags;
        // mlockall(MCL_FUTURE): the new part is locked, within RLIMIT_MEMLOCK.
        if !self.mlock_future_ok(flags, new_top - old_top) {
            return old;
        }
        // RLIMIT_DATA (heap plus data) and RLIMIT_AS, as Linux checks them before growing.
        if !self.brk_within_data_limit(brk)
            || !self.may_expand_vm(flags, (new_top - old_top) / PAGE_SIZE)
        {
            return old;
        }
        if !vm_enough_memory((new_top - old_top) / PAGE_SIZE) {
            return old;
        }
        if self
            .vmas
            .insert(VmaInfo {
                start: old_top,
                end: new_top,
                flags,
                file: None,
                pgoff: 0,
            })
            .is_err()
        {
            return old;
        }
        self.layout.brk = brk;
        brk
    }
}
