//! madvise (Linux's mm/madvise.c): advice about how a range will be used. Checked as Linux checks
//! it, walked area by area, with ENOMEM at the end if the range had holes (after advising the
//! areas it does cover, as Linux's madvise_walk_vmas).
//!
//! | advice | here |
//! |---|---|
//! | MADV_DONTNEED, MADV_DONTNEED_LOCKED | the pages are dropped: anonymous memory reads back as zeros, a file mapping from the file |
//! | MADV_FREE | the same, at once (Linux may free them whenever memory is short; with no pressure it keeps them) |
//! | MADV_WILLNEED, MADV_POPULATE_READ, MADV_POPULATE_WRITE | pages read in (and mapped, for the POPULATE ones) |
//! | MADV_NORMAL, RANDOM, SEQUENTIAL | set or clear the area's readahead flags (`rr`, `sr` in smaps); readahead itself is not done |
//! | MADV_COLD, PAGEOUT | accepted (EINVAL on locked areas): they steer reclaim, which this kernel does not do |
//! | MADV_REMOVE | EINVAL except on shared memory, where the pages are dropped |
//! | MADV_DONTFORK, DOFORK | a forked child does not get the area (VM_DONTCOPY, `dc`) |
//! | MADV_WIPEONFORK, KEEPONFORK | a forked child gets the area empty (VM_WIPEONFORK, `wf`); private anonymous memory only |
//! | MADV_DONTDUMP, DODUMP | VM_DONTDUMP (`dd`); there are no core dumps yet |
//! | MADV_HUGEPAGE, NOHUGEPAGE | VM_HUGEPAGE / VM_NOHUGEPAGE (`hg`, `nh`); there are no huge pages yet |
//! | MADV_MERGEABLE, UNMERGEABLE, COLLAPSE | EINVAL, as Linux built without KSM and THP answers |
//!
//! The flag advices change the areas with [`MmInner::vma_modify_flags`] (Linux's
//! madvise_update_vma): split at the ends of the range, merge back with equal neighbours.
//! Locked areas (mlock) refuse the advices that would drop or age their pages, as Linux's
//! can_madv_lru_vma.

use abi::mman::*;

use super::{
    fault::Access,
    layout::{PAGE_SIZE, page_up},
    mm_struct::{MmInner, VmFlags},
};
use crate::syscall::errno::{EAGAIN, EINVAL, ENOMEM, Errno};

/// What an advice does to one area's part of the range.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Drop,
    Populate(Option<Access>),
    /// Pages stay; only the area's flags change.
    Flags,
    Nothing,
}

/// Linux's madvise_behavior_valid, and what each accepted advice does here.
fn action(advice: u64) -> Result<Action, Errno> {
    Ok(match advice {
        MADV_DONTNEED | MADV_DONTNEED_LOCKED | MADV_FREE | MADV_REMOVE => Action::Drop,
        MADV_WILLNEED => Action::Populate(None),
        MADV_POPULATE_READ => Action::Populate(Some(Access::Read)),
        MADV_POPULATE_WRITE => Action::Populate(Some(Access::Write)),
        MADV_NORMAL | MADV_RANDOM | MADV_SEQUENTIAL | MADV_DONTFORK | MADV_DOFORK
        | MADV_DONTDUMP | MADV_DODUMP | MADV_WIPEONFORK | MADV_KEEPONFORK | MADV_HUGEPAGE
        | MADV_NOHUGEPAGE => Action::Flags,
        MADV_COLD | MADV_PAGEOUT => Action::Nothing,
        _ => return Err(EINVAL),
    })
}

impl MmInner {
    /// madvise(addr, len, advice), except the population itself: for the advices that read pages
    /// in, returns the range and access to populate, which the caller does with the mm lock
    /// released between batches ([`super::populate::populate_checked`]).
    pub fn do_madvise(
        &mut self,
        start: u64,
        len: u64,
        advice: u64,
    ) -> Result<Option<(u64, u64, Access)>, Errno> {
        let action = action(advice)?;
        if !start.is_multiple_of(PAGE_SIZE) {
            return Err(EINVAL);
        }
        let len = page_up(len).ok_or(EINVAL)?;
        let end = start.checked_add(len).ok_or(EINVAL)?;
        if start == end {
            return Ok(None);
        }
        let mut hole = false;
        let mut at = start;
        while at < end {
            let Some(vma) = self.vmas.find_vma(at) else {
                return Err(ENOMEM);
            };
            if at < vma.start() {
                hole = true;
                at = vma.start();
                if at >= end {
                    break;
                }
            }
            let (piece_end, flags, has_file) =
                (vma.end().min(end), vma.flags(), vma.file().is_some());
            self.advise_area(at, piece_end, flags, has_file, advice, action)?;
            at = piece_end;
        }
        if hole {
            return Err(ENOMEM);
        }
        Ok(match action {
            Action::Populate(Some(access)) => Some((start, len, access)),
            _ => None,
        })
    }

    /// One area's part [start, end) of the range.
    fn advise_area(
        &mut self,
        start: u64,
        end: u64,
        flags: VmFlags,
        has_file: bool,
        advice: u64,
        action: Action,
    ) -> Result<(), Errno> {
        // Linux's can_madv_lru_vma: locked pages are neither dropped nor aged.
        let lru_advice = matches!(
            advice,
            MADV_DONTNEED | MADV_FREE | MADV_COLD | MADV_PAGEOUT | MADV_REMOVE
        );
        if lru_advice && flags.contains(VmFlags::LOCKED) {
            return Err(EINVAL);
        }
        match action {
            Action::Drop => {
                let shared = flags.contains(VmFlags::SHARED) || flags.contains(VmFlags::MAYSHARE);
                // MADV_FREE is for private anonymous memory; MADV_REMOVE for shared memory.
                if (advice == MADV_FREE && (has_file || shared))
                    || (advice == MADV_REMOVE && !shared)
                {
                    return Err(EINVAL);
                }
                if flags.contains(VmFlags::HUGETLB) {
                    return self.hugetlb_dontneed(start, end, advice);
                }
                self.release_pages(start, end);
            }
            // WILLNEED reads a file's pages into its cache (anonymous memory has nothing to
            // read): done here, a page at a time, without mapping them.
            Action::Populate(None) => {
                if let Some(file) = self.vmas.find(start).and_then(|v| {
                    v.file()
                        .cloned()
                        .map(|f| (f, v.pgoff() + (start - v.start()) / PAGE_SIZE))
                }) {
                    let (file, first) = file;
                    let pages = (end - start) / PAGE_SIZE;
                    for pgoff in first..first + pages {
                        // Beyond the end of the file, or no memory: readahead just stops.
                        if file.0.get_page(pgoff).is_err() {
                            break;
                        }
                    }
                }
            }
            Action::Populate(Some(access)) => {
                if access == Access::Write && !flags.contains(VmFlags::WRITE) {
                    return Err(EINVAL);
                }
                if !flags.contains(VmFlags::READ) {
                    return Err(EINVAL);
                }
            }
            Action::Flags => {
                let new = advised_flags(flags, has_file, advice)?;
                // Huge pages split only at their boundaries (hugetlb_vm_op_split's EINVAL).
                if !self.hugetlb_split_ok(start) || !self.hugetlb_split_ok(end) {
                    return Err(EINVAL);
                }
                // Linux's madvise_vma_behavior turns a failed split into EAGAIN.
                self.vma_modify_flags(start, end, new).map_err(|_| EAGAIN)?;
            }
            Action::Nothing => {}
        }
        Ok(())
    }
}

impl MmInner {
    /// MADV_DONTNEED in a hugetlb area (Linux's madvise_dontneed_free_valid_vma): only
    /// MADV_DONTNEED and MADV_DONTNEED_LOCKED, from a huge-page boundary (EINVAL otherwise),
    /// the end rounded down to one.
    fn hugetlb_dontneed(&mut self, start: u64, end: u64, advice: u64) -> Result<(), Errno> {
        let size = super::hugetlb::HPAGE_SIZE;
        if !matches!(advice, MADV_DONTNEED | MADV_DONTNEED_LOCKED) || !start.is_multiple_of(size) {
            return Err(EINVAL);
        }
        let end = end & !(size - 1);
        if start < end {
            self.release_pages(start, end);
        }
        Ok(())
    }
}

/// An area's flags after a flag advice (Linux's madvise_vma_behavior and hugepage_madvise), or
/// its EINVAL: DOFORK on I/O memory, WIPEONFORK on anything but private anonymous memory, DODUMP
/// on a special mapping.
fn advised_flags(flags: VmFlags, has_file: bool, advice: u64) -> Result<VmFlags, Errno> {
    let mut new = flags;
    match advice {
        MADV_NORMAL => new.remove(VmFlags::SEQ_READ | VmFlags::RAND_READ),
        MADV_SEQUENTIAL => {
            new.remove(VmFlags::RAND_READ);
            new.insert(VmFlags::SEQ_READ);
        }
        MADV_RANDOM => {
            new.remove(VmFlags::SEQ_READ);
            new.insert(VmFlags::RAND_READ);
        }
        MADV_DONTFORK => new.insert(VmFlags::DONTCOPY),
        MADV_DOFORK if flags.contains(VmFlags::IO) => return Err(EINVAL),
        MADV_DOFORK => new.remove(VmFlags::DONTCOPY),
        MADV_WIPEONFORK if has_file || flags.contains(VmFlags::SHARED) => return Err(EINVAL),
        MADV_WIPEONFORK => new.insert(VmFlags::WIPEONFORK),
        MADV_KEEPONFORK => new.remove(VmFlags::WIPEONFORK),
        MADV_DONTDUMP => new.insert(VmFlags::DONTDUMP),
        MADV_DODUMP if flags.intersects(VmFlags::SPECIAL) => return Err(EINVAL),
        MADV_DODUMP => new.remove(VmFlags::DONTDUMP),
        MADV_HUGEPAGE => {
            new.remove(VmFlags::NOHUGEPAGE);
            new.insert(VmFlags::HUGEPAGE);
        }
        MADV_NOHUGEPAGE => {
            new.remove(VmFlags::HUGEPAGE);
            new.insert(VmFlags::NOHUGEPAGE);
        }
        _ => return Err(EINVAL),
    }
    Ok(new)
}
