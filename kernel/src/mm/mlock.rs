//! mlock, mlock2, munlock, mlockall and munlockall (Linux's mm/mlock.c): keeping an area's pages
//! in memory.
//!
//! Locking sets VM_LOCKED on the areas (VM_LOCKED | VM_LOCKONFAULT for MLOCK_ONFAULT and
//! MCL_ONFAULT) with the shared flag change ([`MmInner::vma_modify_flags`], Linux's mlock_fixup),
//! then faults every page in ([`super::populate::mm_populate`]), with the mm lock released between
//! batches; an ONFAULT area is left to fill as it is touched. There is no swap, so a page once in
//! memory stays there anyway: what locking changes here is what Linux's rules make visible. Locked
//! areas show `lo` (and `lf`) in smaps' VmFlags and their size in its `Locked:` line and in
//! status' VmLck, MADV_DONTNEED and friends refuse them (EINVAL), a forked child does not inherit
//! the lock, and mlockall(MCL_FUTURE) locks every later mmap and brk.
//!
//! The locked size is not kept in a counter (Linux's mm->locked_vm): it is the sum of the locked
//! areas, computed when asked, so it cannot drift from them. RLIMIT_MEMLOCK bounds it, except for
//! a process holding CAP_IPC_LOCK, which here means an effective uid of 0 (see
//! [`capable_ipc_lock`]).

use abi::mman::{MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, MLOCK_ONFAULT};
use abi::resource::RLIMIT_MEMLOCK;

use super::{
    layout::PAGE_SIZE,
    mm_struct::{MmInner, VmFlags},
};
use crate::syscall::errno::{EINVAL, ENOMEM, EPERM, Errno};

/// Whether the caller may lock memory beyond RLIMIT_MEMLOCK (Linux's capable(CAP_IPC_LOCK)).
/// There are no capability sets: root holds every capability, as on Linux, and nobody else does.
pub fn capable_ipc_lock() -> bool {
    crate::thread::current_process().is_none_or(|p| p.cred.lock().uid.effective == 0)
}

/// RLIMIT_MEMLOCK in pages.
fn lock_limit_pages() -> u64 {
    crate::thread::current_process().map_or(u64::MAX, |p| p.rlimits.lock().cur(RLIMIT_MEMLOCK))
        / PAGE_SIZE
}

/// Linux's can_do_mlock: a process may lock at all if its limit is not 0, or it is privileged.
pub fn can_do_mlock() -> bool {
    lock_limit_pages() != 0 || capable_ipc_lock()
}

/// Linux's `PAGE_ALIGN(len + offset_in_page(start))` and `start & PAGE_MASK`, with C's unsigned
/// wrap-around (a length so large that it wraps ends up empty, as on Linux).
fn lock_range(start: u64, len: u64) -> (u64, u64) {
    let len = len
        .wrapping_add(start % PAGE_SIZE)
        .wrapping_add(PAGE_SIZE - 1)
        & !(PAGE_SIZE - 1);
    (start & !(PAGE_SIZE - 1), len)
}

impl MmInner {
    /// Pages in locked areas (Linux's mm->locked_vm: VmLck in /proc/PID/status).
    pub fn locked_pages(&self) -> u64 {
        self.locked_pages_in(0, u64::MAX)
    }

    /// Pages of [start, end) in locked areas (Linux's count_mm_mlocked_page_nr).
    fn locked_pages_in(&self, start: u64, end: u64) -> u64 {
        self.vmas
            .iter_range(start, end)
            .filter(|v| v.flags().contains(VmFlags::LOCKED))
            .map(|v| (v.end().min(end) - v.start().max(start)) / PAGE_SIZE)
            .sum()
    }

    /// Whether a new area of `len` bytes with `flags` may be created locked (Linux's
    /// mlock_future_ok, checked by mmap and brk): within RLIMIT_MEMLOCK, or privileged.
    pub fn mlock_future_ok(&self, flags: VmFlags, len: u64) -> bool {
        if !flags.contains(VmFlags::LOCKED) || capable_ipc_lock() {
            return true;
        }
        (len / PAGE_SIZE).saturating_add(self.locked_pages()) <= lock_limit_pages()
    }

    /// mlock(start, len) and mlock2(start, len, flags) (Linux's do_mlock), up to the population,
    /// which the caller does with the lock released: returns the range to populate.
    pub fn do_mlock(&mut self, start: u64, len: u64, flags: u64) -> Result<(u64, u64), Errno> {
        if flags & !MLOCK_ONFAULT != 0 {
            return Err(EINVAL);
        }
        let mut lock = VmFlags::LOCKED;
        if flags & MLOCK_ONFAULT != 0 {
            lock |= VmFlags::LOCKONFAULT;
        }
        if !can_do_mlock() {
            return Err(EPERM);
        }
        let (start, len) = lock_range(start, len);
        let limit = lock_limit_pages();
        let mut locked = (len / PAGE_SIZE).saturating_add(self.locked_pages());
        if locked > limit && !capable_ipc_lock() {
            // What is locked already does not count twice.
            locked -= self.locked_pages_in(start, start.saturating_add(len));
        }
        if locked > limit && !capable_ipc_lock() {
            return Err(ENOMEM);
        }
        self.apply_vma_lock_flags(start, len, lock)?;
        Ok((start, len))
    }

    /// munlock(start, len): no limit, no privilege needed.
    pub fn do_munlock(&mut self, start: u64, len: u64) -> Result<(), Errno> {
        let (start, len) = lock_range(start, len);
        self.apply_vma_lock_flags(start, len, VmFlags::empty())
    }

    /// Linux's apply_vma_lock_flags: give every area of [start, start + len) the lock bits
    /// `lock`, area by area upwards; a hole stops it with ENOMEM, the areas before it changed.
    fn apply_vma_lock_flags(&mut self, start: u64, len: u64, lock: VmFlags) -> Result<(), Errno> {
        let end = start.wrapping_add(len);
        if end < start {
            return Err(EINVAL);
        }
        if end == start {
            return Ok(());
        }
        let mut at = start;
        while at < end {
            let Some(vma) = self.vmas.find(at) else {
                return Err(ENOMEM);
            };
            let piece_end = vma.end().min(end);
            let new = (vma.flags() - VmFlags::LOCKED_MASK) | lock;
            self.mlock_fixup(at, piece_end, vma.flags(), new)?;
            at = piece_end;
        }
        Ok(())
    }

    /// Linux's mlock_fixup: special areas and huge pages are left as they are (and not counted).
    fn mlock_fixup(
        &mut self,
        start: u64,
        end: u64,
        old: VmFlags,
        new: VmFlags,
    ) -> Result<(), Errno> {
        if old == new || old.intersects(VmFlags::SPECIAL | VmFlags::HUGETLB) {
            return Ok(());
        }
        self.vma_modify_flags(start, end, new).map_err(|_| ENOMEM)
    }

    /// mlockall(flags) (Linux's SYSCALL_DEFINE1(mlockall) and apply_mlockall_flags), up to the
    /// population: returns whether the caller should populate every area (MCL_CURRENT).
    pub fn do_mlockall(&mut self, flags: u64) -> Result<bool, Errno> {
        if flags == 0
            || flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0
            || flags == MCL_ONFAULT
        {
            return Err(EINVAL);
        }
        if !can_do_mlock() {
            return Err(EPERM);
        }
        let total: u64 = self.vmas.iter().map(|v| v.pages()).sum();
        if flags & MCL_CURRENT != 0 && total > lock_limit_pages() && !capable_ipc_lock() {
            return Err(ENOMEM);
        }
        self.apply_mlockall_flags(flags);
        Ok(flags & MCL_CURRENT != 0)
    }

    /// munlockall(): every area unlocked, and later ones no longer locked.
    pub fn do_munlockall(&mut self) {
        self.apply_mlockall_flags(0);
    }

    /// Linux's apply_mlockall_flags: MCL_FUTURE goes into the flags every new area gets
    /// (mm->def_flags); MCL_CURRENT locks every area now. Errors (a split that cannot be had) are
    /// ignored, as Linux ignores them.
    fn apply_mlockall_flags(&mut self, flags: u64) {
        let onfault = if flags & MCL_ONFAULT != 0 {
            VmFlags::LOCKONFAULT
        } else {
            VmFlags::empty()
        };
        self.def_flags -= VmFlags::LOCKED_MASK;
        if flags & MCL_FUTURE != 0 {
            self.def_flags |= VmFlags::LOCKED | onfault;
            if flags & MCL_CURRENT == 0 {
                return;
            }
        }
        let lock = if flags & MCL_CURRENT != 0 {
            VmFlags::LOCKED | onfault
        } else {
            VmFlags::empty()
        };
        let mut at = 0;
        while let Some(vma) = self.vmas.find_vma(at) {
            let (start, end, old) = (vma.start(), vma.end(), vma.flags());
            let _ = self.mlock_fixup(start, end, old, (old - VmFlags::LOCKED_MASK) | lock);
            at = end;
        }
    }
}
