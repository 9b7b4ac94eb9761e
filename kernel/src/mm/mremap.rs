//! mremap: resizing and moving a mapping (Linux's mm/mremap.c, 6.x semantics).
//!
//! * Shrinking unmaps the tail, whatever it covers (`do_vmi_munmap`).
//! * Growing first tries in place: when `[addr, addr + old_len)` runs to the end of its area and
//!   the room above is free, the area's end moves up ([`vma::VmaTree::expand_up`]).
//! * Otherwise, with MREMAP_MAYMOVE, or always with MREMAP_FIXED (which unmaps the destination
//!   first) or MREMAP_DONTUNMAP, the range moves ([`MmInner::move_vma`]): a new area with the same
//!   flags and backing (for a file, the same page offsets) is created at the destination, and
//!   the page-table entries are moved over to it ([`super::paging::AddressSpace::move_range`]).
//!   No page is copied: each frame keeps its reference count and simply appears at its new
//!   address, so copy-on-write sharing with a forked process, the page cache's pages of a file
//!   mapping and the shmem pages of shared anonymous memory all stay as they were. The old range
//!   is then unmapped, or with MREMAP_DONTUNMAP left mapped and empty (anonymous memory there
//!   reads back as zeros; a file mapping reads the file again), and unlocked.
//!
//! Locked areas (VM_LOCKED) that grow are populated after the mm lock is released, as Linux's
//! `mm_populate` at the end of mremap. The limits are Linux's: RLIMIT_AS (`may_expand_vm`),
//! RLIMIT_MEMLOCK (`mlock_future_ok`), and vm.max_map_count, checked before anything changes.
//!
//! Not mirrored: since Linux 6.17 a pure move (MREMAP_FIXED with equal lengths) may span several
//! areas; here, as in Linux up to 6.16, the old range must lie in one area (EFAULT otherwise).
//! And Linux keeps an anonymous area's `vm_pgoff` when it moves, which stops it from merging
//! with anonymous neighbours at the destination; this kernel's anonymous areas take their offset
//! from their address (see [`vma::Vma`]), so a moved area merges with an identical neighbour.

use abi::mman::{MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE};

use super::{
    layout::{PAGE_SIZE, TASK_SIZE, is_page_aligned},
    mm_struct::{
        MAX_MAP_COUNT, MMAP_MIN_ADDR, MmInner, VmFlags, VmaInfo, accountable, vm_enough_memory,
    },
};
use crate::syscall::errno::*;

/// What mremap did: the mapping's new address, and a range to populate once the mm lock is
/// released (a locked area that grew).
pub struct Remapped {
    pub addr: u64,
    pub populate: Option<(u64, u64)>,
}

/// Linux's PAGE_ALIGN on an unsigned long: a length within a page of 2^64 wraps to 0.
fn page_align_wrapping(len: u64) -> u64 {
    len.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

/// What mremap needs of the area it resizes or moves.
#[derive(Clone, Copy)]
struct Source {
    start: u64,
    end: u64,
    flags: VmFlags,
}

impl MmInner {
    /// mremap(addr, old_len, new_len, flags, new_addr) (Linux's SYSCALL_DEFINE5(mremap)).
    pub fn do_mremap(
        &mut self,
        addr: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> Result<Remapped, Errno> {
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
            return Err(EINVAL);
        }
        if flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0 {
            return Err(EINVAL);
        }
        // MREMAP_DONTUNMAP is always a move, and never a resize.
        if flags & MREMAP_DONTUNMAP != 0 && (flags & MREMAP_MAYMOVE == 0 || old_len != new_len) {
            return Err(EINVAL);
        }
        if !is_page_aligned(addr) {
            return Err(EINVAL);
        }
        let old_len = page_align_wrapping(old_len);
        let new_len = page_align_wrapping(new_len);
        if new_len == 0 {
            return Err(EINVAL);
        }
        // Linux 6.16 and later check the new length and address whatever the flags.
        if new_len > TASK_SIZE || new_addr > TASK_SIZE - new_len {
            return Err(EINVAL);
        }
        if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
            self.check_new_addr(addr, old_len, new_addr, new_len)?;
        }
        let Some(vma) = self.vmas.find(addr) else {
            return Err(EFAULT);
        };
        // Huge pages: lengths in whole huge pages, aligned addresses, no growth (Linux's
        // mremap refuses it: the reservations cannot follow).
        let (old_len, new_len) = if vma.flags().contains(VmFlags::HUGETLB) {
            let align = |len| super::hugetlb::align_up(len).ok_or(EINVAL);
            let (old_len, new_len) = (align(old_len)?, align(new_len)?);
            let unaligned = |a: u64| !a.is_multiple_of(super::hugetlb::HPAGE_SIZE);
            if unaligned(addr) || unaligned(new_addr) || new_len > old_len {
                return Err(EINVAL);
            }
            (old_len, new_len)
        } else {
            (old_len, new_len)
        };
        if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
            return self.mremap_to(addr, old_len, new_addr, new_len, flags);
        }
        // Shrinking always works: the tail is unmapped. Equal lengths are a no-op even where
        // that unmap of nothing would be refused.
        if old_len >= new_len {
            let tail = addr.checked_add(new_len).ok_or(EINVAL);
            let result = tail.and_then(|tail| self.do_munmap(tail, old_len - new_len));
            if let Err(e) = result
                && old_len != new_len
            {
                return Err(e);
            }
            return Ok(Remapped {
                addr,
                populate: None,
            });
        }
        let vma = self.vma_to_resize(addr, old_len, new_len, flags)?;
        let delta = new_len - old_len;
        if old_len == vma.end - addr && self.vma_expandable(vma, delta) {
            // The growth is charged like a new private writable mapping (vrm_charge).
            if accountable(vma.flags) && !vm_enough_memory(delta / PAGE_SIZE) {
                return Err(ENOMEM);
            }
            self.vmas
                .expand_up(vma.start, vma.end + delta)
                .map_err(|_| ENOMEM)?;
            return Ok(Remapped {
                addr,
                populate: vma
                    .flags
                    .contains(VmFlags::LOCKED)
                    .then_some((addr + old_len, delta)),
            });
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(ENOMEM);
        }
        let target = self.get_unmapped_area(new_len, 0)?;
        self.move_vma(vma, addr, old_len, new_len, target, flags)
    }

    /// The checks of a destination address (the end of Linux's check_mremap_params), made
    /// before the area is looked up.
    fn check_new_addr(
        &self,
        addr: u64,
        old_len: u64,
        new_addr: u64,
        new_len: u64,
    ) -> Result<(), Errno> {
        if !is_page_aligned(new_addr) {
            return Err(EINVAL);
        }
        // The old and new ranges may not overlap (with C's wrap-around, as Linux computes it).
        if addr.wrapping_add(old_len) > new_addr && new_addr + new_len > addr {
            return Err(EINVAL);
        }
        // Room for the worst case, both ranges split in three, checked before anything changes.
        if self.vmas.len() + 2 >= MAX_MAP_COUNT - 3 {
            return Err(ENOMEM);
        }
        Ok(())
    }

    /// Linux's mremap_to: MREMAP_FIXED (to exactly `new_addr`, unmapping what is there) or
    /// MREMAP_DONTUNMAP (to `new_addr` as a hint). The destination was checked.
    fn mremap_to(
        &mut self,
        addr: u64,
        old_len: u64,
        new_addr: u64,
        new_len: u64,
        flags: u64,
    ) -> Result<Remapped, Errno> {
        if flags & MREMAP_FIXED != 0 {
            self.do_munmap(new_addr, new_len)?;
        }
        let mut old_len = old_len;
        if old_len > new_len {
            self.do_munmap(addr + new_len, old_len - new_len)?;
            old_len = new_len;
        }
        let vma = self.vma_to_resize(addr, old_len, new_len, flags)?;
        // MREMAP_DONTUNMAP keeps the old range: the address space grows by all of it.
        if flags & MREMAP_DONTUNMAP != 0 && !self.may_expand_vm(vma.flags, old_len / PAGE_SIZE) {
            return Err(ENOMEM);
        }
        let target = if flags & MREMAP_FIXED != 0 {
            // get_unmapped_area's security_mmap_addr: nothing below vm.mmap_min_addr (Linux
            // allows it with CAP_SYS_RAWIO; there are no capabilities here, as in mmap).
            if new_addr < MMAP_MIN_ADDR {
                return Err(EPERM);
            }
            new_addr
        } else {
            self.get_unmapped_area(new_len, new_addr)?
        };
        self.move_vma(vma, addr, old_len, new_len, target, flags)
    }

    /// Linux's vma_to_resize: the area holding [addr, addr + old_len), if it may become
    /// `new_len` long.
    fn vma_to_resize(
        &self,
        addr: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
    ) -> Result<Source, Errno> {
        let vma = self.vmas.find(addr).ok_or(EFAULT)?;
        let src = Source {
            start: vma.start(),
            end: vma.end(),
            flags: vma.flags(),
        };
        // A zero old_len "duplicates" a shared mapping; of a private one it would make a new,
        // unrelated mapping, which Linux refuses.
        if old_len == 0 && !src.flags.intersects(VmFlags::SHARED | VmFlags::MAYSHARE) {
            return Err(EINVAL);
        }
        if flags & MREMAP_DONTUNMAP != 0 && src.flags.contains(VmFlags::DONTEXPAND) {
            return Err(EINVAL);
        }
        // No remapping across area boundaries.
        if old_len > src.end - addr {
            return Err(EFAULT);
        }
        if new_len == old_len {
            return Ok(src);
        }
        if vma
            .file_page(addr)
            .checked_add(new_len / PAGE_SIZE)
            .is_none()
        {
            return Err(EINVAL);
        }
        if src.flags.contains(VmFlags::DONTEXPAND) {
            return Err(EFAULT);
        }
        let delta = new_len - old_len;
        if !self.mlock_future_ok(src.flags, delta) {
            return Err(EAGAIN);
        }
        if !self.may_expand_vm(src.flags, delta / PAGE_SIZE) {
            return Err(ENOMEM);
        }
        Ok(src)
    }

    /// Linux's vma_expandable: whether the area may grow by `delta` bytes where it is.
    fn vma_expandable(&self, vma: Source, delta: u64) -> bool {
        let Some(end) = vma.end.checked_add(delta) else {
            return false;
        };
        end <= TASK_SIZE && !self.vmas.intersects(vma.end, end)
    }

    /// Linux's move_vma: a new area at `new_addr` with the old one's flags and backing, the
    /// page-table entries of [old_addr, old_addr + old_len) moved into it, then the old range
    /// unmapped (or, with MREMAP_DONTUNMAP, kept empty and unlocked).
    fn move_vma(
        &mut self,
        vma: Source,
        old_addr: u64,
        old_len: u64,
        new_len: u64,
        new_addr: u64,
        flags: u64,
    ) -> Result<Remapped, Errno> {
        // Linux leaves room for do_munmap splitting an area in three.
        if self.vmas.len() >= MAX_MAP_COUNT - 3 {
            return Err(ENOMEM);
        }
        let to_account = if flags & MREMAP_DONTUNMAP != 0 {
            new_len
        } else {
            new_len - old_len
        };
        if accountable(vma.flags) && !vm_enough_memory(to_account / PAGE_SIZE) {
            return Err(ENOMEM);
        }
        let old = self.vmas.find(old_addr).ok_or(EFAULT)?;
        let file = old.file().cloned();
        let pgoff = old.file_page(old_addr);
        self.insert_vma(VmaInfo {
            start: new_addr,
            end: new_addr + new_len,
            flags: vma.flags,
            file,
            pgoff,
        })
        .map_err(|_| ENOMEM)?;
        if self.pt.move_range(old_addr, new_addr, old_len).is_err() {
            // Out of memory for the destination's page tables: put back what moved (the source
            // tables are still there, so that cannot fail) and drop the new area.
            let _ = self.pt.move_range(new_addr, old_addr, old_len);
            let _ = self.vmas.unmap_each(new_addr, new_addr + new_len, |_| {});
            return Err(ENOMEM);
        }
        if flags & MREMAP_DONTUNMAP != 0 {
            // The old range stays mapped, empty; it is no longer locked.
            if vma.flags.intersects(VmFlags::LOCKED_MASK) {
                let _ = self.vma_modify_flags(
                    old_addr,
                    old_addr + old_len,
                    vma.flags - VmFlags::LOCKED_MASK,
                );
            }
        } else if old_len > 0 && vma.flags.contains(VmFlags::HUGETLB) {
            // Only the area goes: its pages moved, and its reservations belong to the new one
            // (Linux's clear_vma_resv_huge_pages on the old area).
            super::heap::charged(|| self.vmas.unmap_each(old_addr, old_addr + old_len, |_| {}))
                .map_err(|_| ENOMEM)?;
        } else if old_len > 0 {
            // Its pages are gone already: only the area is removed.
            self.unmap_range(old_addr, old_addr + old_len)?;
        }
        let populate = (vma.flags.contains(VmFlags::LOCKED) && new_len > old_len)
            .then_some((new_addr + old_len, new_len - old_len));
        Ok(Remapped {
            addr: new_addr,
            populate,
        })
    }
}
