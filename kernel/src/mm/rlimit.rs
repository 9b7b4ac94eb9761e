//! The address space's side of the resource limits (Linux's may_expand_vm, check_data_rlimit and
//! acct_stack_growth): RLIMIT_AS bounds the whole address space, RLIMIT_DATA its private writable
//! memory and heap, RLIMIT_STACK the stack. The limits are the calling process's, read when they
//! are checked, as Linux's `rlimit()` reads `current->signal`.
//!
//! The totals are summed over the VMAs only when a limit is finite (by default AS and DATA are
//! unlimited, and the checks cost nothing); a running count per mm, as Linux's total_vm and data_vm,
//! belongs to the performance work.

use abi::resource::{RLIM_INFINITY, RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK};

use super::{
    layout::PAGE_SIZE,
    mm_struct::{MmInner, VmFlags},
};

/// The calling process's soft limit for `resource` (unlimited outside a process).
fn rlimit(resource: u64) -> u64 {
    crate::thread::current_process().map_or(RLIM_INFINITY, |p| p.rlimits.lock().cur(resource))
}

/// The calling process's hard limit for `resource`.
fn rlimit_max(resource: u64) -> u64 {
    crate::thread::current_process()
        .map_or(RLIM_INFINITY, |p| p.rlimits.lock().get(resource).rlim_max)
}

/// Private writable memory that is not a stack: what RLIMIT_DATA counts (Linux's is_data_mapping).
pub fn is_data_mapping(flags: VmFlags) -> bool {
    flags.contains(VmFlags::WRITE) && !flags.intersects(VmFlags::SHARED | VmFlags::GROWSDOWN)
}

/// RLIMIT_STACK in bytes: how far the stack may grow.
pub fn stack_limit() -> u64 {
    rlimit(RLIMIT_STACK)
}

impl MmInner {
    /// Pages mapped in [start, end) now (what a MAP_FIXED mapping there replaces).
    pub fn pages_in_range(&self, start: u64, end: u64) -> u64 {
        self.vmas
            .iter_range(start, end)
            .map(|v| (v.end().min(end) - v.start().max(start)) / PAGE_SIZE)
            .sum()
    }

    /// Whether the address space may grow by `npages` pages of an area with `flags` (Linux's
    /// may_expand_vm, including its exception for a DATA limit of 0 under a larger hard limit,
    /// which Valgrind relies on).
    pub fn may_expand_vm(&self, flags: VmFlags, npages: u64) -> bool {
        let as_limit = rlimit(RLIMIT_AS);
        if as_limit != RLIM_INFINITY {
            let total: u64 = self.vmas.iter().map(|v| v.pages()).sum();
            if total.saturating_add(npages) > as_limit / PAGE_SIZE {
                return false;
            }
        }
        let data_limit = rlimit(RLIMIT_DATA);
        if is_data_mapping(flags) && data_limit != RLIM_INFINITY {
            let data: u64 = self
                .vmas
                .iter()
                .filter(|v| is_data_mapping(v.flags()))
                .map(|v| v.pages())
                .sum();
            let wanted = data.saturating_add(npages);
            if wanted > data_limit / PAGE_SIZE {
                return data_limit == 0 && wanted <= rlimit_max(RLIMIT_DATA) / PAGE_SIZE;
            }
        }
        true
    }

    /// brk's own RLIMIT_DATA check (Linux's check_data_rlimit): the heap plus the initialized data
    /// may not exceed the limit.
    pub fn brk_within_data_limit(&self, brk: u64) -> bool {
        let limit = rlimit(RLIMIT_DATA);
        limit == RLIM_INFINITY
            || (brk - self.layout.start_brk)
                .saturating_add(self.layout.end_data.saturating_sub(self.layout.start_data))
                <= limit
    }
}
