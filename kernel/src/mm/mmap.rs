//! mmap: creating a mapping (Linux's do_mmap and get_unmapped_area, mm/mmap.c).

use abi::mman::{
    MAP_ANONYMOUS, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN,
    MAP_HUGE_MASK, MAP_HUGE_SHIFT, MAP_HUGETLB, MAP_LOCKED, MAP_NONBLOCK, MAP_NORESERVE,
    MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_STACK, MAP_SYNC, MAP_TYPE,
    PROT_EXEC, PROT_READ, PROT_WRITE,
};
use alloc::sync::Arc;

use super::vm_object::VmFile;

use super::{
    hugetlb::{self, HPAGE_SIZE},
    layout::{PAGE_SIZE, TASK_SIZE, is_page_aligned, page_up},
    mm_struct::{
        MAX_MAP_COUNT, MMAP_MIN_ADDR, MmInner, STACK_GUARD_GAP, VmFlags, VmaInfo, accountable,
        vm_enough_memory,
    },
};
use crate::{
    fs::{self, Inode},
    syscall::errno::*,
};

/// Every flag Linux knows, for MAP_SHARED_VALIDATE's check.
const LEGACY_MAP_MASK: u64 = MAP_SHARED
    | MAP_PRIVATE
    | MAP_FIXED
    | MAP_ANONYMOUS
    | MAP_DENYWRITE
    | MAP_EXECUTABLE
    | MAP_GROWSDOWN
    | MAP_LOCKED
    | MAP_NORESERVE
    | MAP_POPULATE
    | MAP_NONBLOCK
    | MAP_STACK
    | MAP_HUGETLB;

/// What a file mapping maps: the inode and how its descriptor was opened.
pub struct MmapFile {
    pub inode: Arc<Inode>,
    pub readable: bool,
    pub writable: bool,
}

/// The rights `prot` asks for, as VMA flags.
pub fn prot_to_vm(prot: u64) -> VmFlags {
    let mut vm = VmFlags::empty();
    if prot & PROT_READ != 0 {
        vm |= VmFlags::READ;
    }
    if prot & PROT_WRITE != 0 {
        vm |= VmFlags::WRITE;
    }
    if prot & PROT_EXEC != 0 {
        vm |= VmFlags::EXEC;
    }
    vm
}

/// The inverse of [`prot_to_vm`]: the PROT_* bits of an area's rights.
pub fn vm_to_prot(vm: VmFlags) -> u64 {
    let mut prot = 0;
    if vm.contains(VmFlags::READ) {
        prot |= PROT_READ;
    }
    if vm.contains(VmFlags::WRITE) {
        prot |= PROT_WRITE;
    }
    if vm.contains(VmFlags::EXEC) {
        prot |= PROT_EXEC;
    }
    prot
}

impl MmInner {
    /// Linux's get_unmapped_area for the top-down layout: the hint if it is free, otherwise the
    /// highest gap below the mmap base.
    pub fn get_unmapped_area(&self, len: u64, hint: u64) -> Result<u64, Errno> {
        if len > TASK_SIZE - MMAP_MIN_ADDR {
            return Err(ENOMEM);
        }
        let hint = page_up(hint).filter(|&h| h != 0);
        // Without a hint the first search would only repeat the second one: its answer is kept
        // only if it lies below the mmap base, and then it is also the highest fit below it.
        hint.and_then(|_| {
            self.vmas
                .get_unmapped_area(len, hint, MMAP_MIN_ADDR, TASK_SIZE, STACK_GUARD_GAP)
        })
        .filter(|&a| hint == Some(a) || a + len <= self.layout.mmap_base)
        .or_else(|| {
            self.vmas.get_unmapped_area(
                len,
                None,
                MMAP_MIN_ADDR,
                self.layout.mmap_base,
                STACK_GUARD_GAP,
            )
        })
        .ok_or(ENOMEM)
    }

    /// Linux's hugetlb_get_unmapped_area: a 2 MiB-aligned range, the hint rounded up to 2 MiB if
    /// it is free, otherwise the highest aligned fit below the mmap base.
    fn hugetlb_get_unmapped_area(&self, len: u64, hint: u64) -> Result<u64, Errno> {
        if len > TASK_SIZE - MMAP_MIN_ADDR {
            return Err(ENOMEM);
        }
        if let Some(hint) = hugetlb::align_up(hint).filter(|&h| h != 0 && h <= TASK_SIZE - len)
            && self.vmas.get_unmapped_area(
                len,
                Some(hint),
                MMAP_MIN_ADDR,
                TASK_SIZE,
                STACK_GUARD_GAP,
            ) == Some(hint)
        {
            return Ok(hint);
        }
        // Search for room for the range wherever it starts, then align its start: the highest
        // aligned fit in the gap found, as Linux's search with an alignment mask.
        let padded = len.checked_add(HPAGE_SIZE - PAGE_SIZE).ok_or(ENOMEM)?;
        let at = self
            .vmas
            .get_unmapped_area(
                padded,
                None,
                MMAP_MIN_ADDR,
                self.layout.mmap_base,
                STACK_GUARD_GAP,
            )
            .ok_or(ENOMEM)?;
        Ok((at + padded - len) & !(HPAGE_SIZE - 1))
    }

    /// do_mmap: validates the request as Linux does and creates the area. Returns its address and
    /// whether the area is locked and so must be populated (Linux's `*populate`). Nothing is mapped
    /// in the page tables (demand paging) unless MAP_POPULATE or locking asks for it.
    pub fn do_mmap(
        &mut self,
        addr: u64,
        len: u64,
        prot: u64,
        flags: u64,
        file: Option<MmapFile>,
        off: u64,
    ) -> Result<(u64, bool), Errno> {
        let anonymous = flags & MAP_ANONYMOUS != 0;
        // ksys_mmap_pgoff: MAP_HUGETLB makes an anonymous hugetlbfs file (of a page size this
        // kernel has); a hugetlbfs file (a MFD_HUGETLB memfd) maps as one whatever the flags,
        // and no other file may be mapped MAP_HUGETLB. The length is rounded up to whole huge
        // pages.
        let hugetlb_file = match &file {
            Some(f) if !anonymous && f.inode.hugetlb().is_some() => Some(f.inode.clone()),
            _ => None,
        };
        let hugetlb = flags & MAP_HUGETLB != 0 || hugetlb_file.is_some();
        let len = if hugetlb {
            let size_log = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
            if hugetlb_file.is_none() && (!anonymous || !hugetlb::size_log_ok(size_log)) {
                return Err(EINVAL);
            }
            hugetlb::align_up(len).unwrap_or(0)
        } else {
            len
        };
        if len == 0 || !off.is_multiple_of(PAGE_SIZE) {
            return Err(EINVAL);
        }
        let len = page_up(len).ok_or(ENOMEM)?;
        let map_type = flags & MAP_TYPE;
        if !matches!(map_type, MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE) {
            return Err(EINVAL);
        }
        if map_type == MAP_SHARED_VALIDATE
            && flags & !(LEGACY_MAP_MASK | MAP_FIXED_NOREPLACE | MAP_SYNC) != 0
        {
            return Err(EOPNOTSUPP);
        }
        let shared = map_type != MAP_PRIVATE;
        if (off / PAGE_SIZE).checked_add(len / PAGE_SIZE).is_none() {
            return Err(EOVERFLOW);
        }
        // Too many mappings? Linux tests `map_count > max`, so the count can end one above.
        if self.vmas.len() > MAX_MAP_COUNT {
            return Err(ENOMEM);
        }

        let mut vm = prot_to_vm(prot) | VmFlags::MAYREAD | VmFlags::MAYWRITE | VmFlags::MAYEXEC;
        if flags & MAP_GROWSDOWN != 0 {
            vm |= VmFlags::GROWSDOWN;
        }
        if flags & MAP_NORESERVE != 0 {
            vm |= VmFlags::NORESERVE;
        }
        if flags & MAP_LOCKED != 0 {
            vm |= VmFlags::LOCKED;
        }
        // Linux 6.7 and later keep huge pages off thread stacks.
        if flags & MAP_STACK != 0 {
            vm |= VmFlags::NOHUGEPAGE;
        }
        vm |= self.def_flags;
        if anonymous && map_type == MAP_SHARED_VALIDATE {
            return Err(EINVAL); // Linux accepts MAP_SHARED_VALIDATE only for files
        }
        if hugetlb {
            // hugetlbfs_file_mmap: whole huge pages from a huge-page offset, never locked
            // (mmap_region clears VM_LOCKED for them), never charged (accountable_mapping).
            if !off.is_multiple_of(HPAGE_SIZE) {
                return Err(EINVAL);
            }
            vm |= VmFlags::HUGETLB | VmFlags::DONTEXPAND;
            vm.remove(VmFlags::LOCKED_MASK);
            if shared && anonymous {
                vm |= VmFlags::SHARED | VmFlags::MAYSHARE;
            }
        }
        let (backing, pgoff) = if hugetlb && anonymous {
            (None, off / PAGE_SIZE) // the object comes with its reservation, below
        } else if anonymous {
            if shared {
                // Shared anonymous memory is a shmem object, so that it stays shared across fork.
                vm |= VmFlags::SHARED | VmFlags::MAYSHARE;
                (Some(fs::shmem_object(len).ok_or(ENOMEM)?), 0)
            } else {
                (None, 0)
            }
        } else {
            let file = file.ok_or(EBADF)?;
            if !file_mmap_ok(off, len) {
                return Err(EOVERFLOW);
            }
            if !file.readable {
                return Err(EACCES);
            }
            if shared {
                vm |= VmFlags::SHARED | VmFlags::MAYSHARE;
                // Writes through a shared mapping are the file's data: the mapping maps the page
                // cache's frames writable (the fault path marks them dirty). A file opened
                // read-only may be mapped shared only without write permission, ever.
                if !file.writable {
                    if prot & PROT_WRITE != 0 {
                        return Err(EACCES);
                    }
                    vm.remove(VmFlags::MAYWRITE | VmFlags::SHARED);
                }
                // A write-sealed memfd (Linux's seal_check_write): no writable shared mapping,
                // now or later through mprotect.
                let sealed = fs::inode::F_SEAL_WRITE | fs::inode::F_SEAL_FUTURE_WRITE;
                if file.inode.seals() & sealed != 0 {
                    if prot & PROT_WRITE != 0 {
                        return Err(EPERM);
                    }
                    vm.remove(VmFlags::MAYWRITE);
                }
            }
            if hugetlb {
                (None, off / PAGE_SIZE) // the object comes with its reservation, below
            } else {
                (Some(fs::vm_file(file.inode)), off / PAGE_SIZE)
            }
        };

        if accountable(vm) && !hugetlb {
            if !vm_enough_memory(len / PAGE_SIZE) {
                return Err(ENOMEM);
            }
            vm |= VmFlags::ACCOUNT;
        }

        let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
        let start = if fixed {
            // get_unmapped_area's checks, in its order: the length, the range, the alignment,
            // then security_mmap_addr: nothing below vm.mmap_min_addr (Linux lets a process with
            // CAP_SYS_RAWIO do it; there are no capabilities here, so no process may).
            if len > TASK_SIZE - MMAP_MIN_ADDR || addr > TASK_SIZE - len {
                return Err(ENOMEM);
            }
            if !is_page_aligned(addr) || (hugetlb && !addr.is_multiple_of(HPAGE_SIZE)) {
                return Err(EINVAL);
            }
            if addr < MMAP_MIN_ADDR {
                return Err(EPERM);
            }
            if flags & MAP_FIXED_NOREPLACE != 0 && self.vmas.intersects(addr, addr + len) {
                return Err(EEXIST);
            }
            addr
        } else if hugetlb {
            self.hugetlb_get_unmapped_area(len, addr)?
        } else {
            self.get_unmapped_area(len, addr)?
        };
        if flags & MAP_LOCKED != 0 && !super::mlock::can_do_mlock() {
            return Err(EPERM);
        }
        if !self.mlock_future_ok(vm, len) {
            return Err(EAGAIN);
        }
        // RLIMIT_AS and RLIMIT_DATA, counting what a MAP_FIXED mapping replaces as gone (Linux's
        // mmap_region).
        let replaced = if fixed {
            self.pages_in_range(start, start + len)
        } else {
            0
        };
        if !self.may_expand_vm(vm, len / PAGE_SIZE - replaced) {
            return Err(ENOMEM);
        }
        let backing = match backing {
            None if hugetlb => Some(self.hugetlb_object(vm, off, len, hugetlb_file)?),
            backing => backing,
        };
        // MAP_FIXED replaces whatever was there. Otherwise get_unmapped_area chose a free range,
        // where Linux's mmap_region finds nothing to unmap: skip the lookup.
        if fixed {
            self.unmap_range(start, start + len)?;
        }
        self.insert_vma(VmaInfo {
            start,
            end: start + len,
            flags: vm,
            file: backing,
            pgoff,
        })
        .map_err(|_| ENOMEM)?;

        // MAP_POPULATE and locking are the caller's next step (mm::populate), outside this lock.
        let populate = vm.contains(VmFlags::LOCKED) && !vm.contains(VmFlags::LOCKONFAULT);
        Ok((start, populate))
    }
}

impl MmInner {
    /// The object of a hugetlb mapping of `len` bytes at offset `off` of `file`, or of a new
    /// anonymous hugetlbfs file for MAP_HUGETLB (Linux's hugetlb_file_setup, then
    /// hugetlbfs_file_mmap's size and reservation): ENOMEM when the pool cannot cover the
    /// reservation.
    fn hugetlb_object(
        &self,
        vm: VmFlags,
        off: u64,
        len: u64,
        inode: Option<Arc<Inode>>,
    ) -> Result<VmFile, Errno> {
        let end = off.checked_add(len).ok_or(ENOMEM)?;
        // A shared mapping of a file maps its inode, as any file's does.
        let (file, shared_object) = match inode {
            Some(inode) => {
                let file = inode.hugetlb().cloned().ok_or(EINVAL)?;
                (file, fs::vm_file(inode))
            }
            None => {
                let file =
                    hugetlb::HugetlbFile::new("/anon_hugepage (deleted)", len).ok_or(ENOMEM)?;
                (file.clone(), VmFile(file))
            }
        };
        // A writable mapping makes the file reach its end.
        if vm.contains(VmFlags::WRITE) {
            file.grow_to(end);
        }
        hugetlb::mapping_object(
            file,
            vm.contains(VmFlags::MAYSHARE).then_some(shared_object),
            self.pt.pml4().start_address().as_u64(),
            off / HPAGE_SIZE,
            end / HPAGE_SIZE,
            vm.contains(VmFlags::NORESERVE),
        )
    }
}

/// Linux's file_mmap_ok for a regular file: the mapping must end within the largest file size
/// (MAX_LFS_FILESIZE), so that every page offset of it is a byte offset that exists.
fn file_mmap_ok(off: u64, len: u64) -> bool {
    const MAX_LFS_FILESIZE: u64 = i64::MAX as u64;
    len <= MAX_LFS_FILESIZE && off / PAGE_SIZE <= (MAX_LFS_FILESIZE - len) / PAGE_SIZE
}
