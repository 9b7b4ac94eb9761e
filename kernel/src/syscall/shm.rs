//! shmget, shmat, shmdt and shmctl (Linux's ipc/shm.c), with Linux's checks in its order. The
//! segments themselves are [`crate::ipc::shm`]; an attach is an ordinary shared mapping of the
//! segment's file.

use abi::{
    ipc::{
        IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, SHM_EXEC, SHM_INFO, SHM_LOCK, SHM_RDONLY, SHM_REMAP,
        SHM_RND, SHM_STAT, SHM_STAT_ANY, SHM_UNLOCK, shmid64_ds,
    },
    mman::{MAP_FIXED, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE},
};
use alloc::{sync::Arc, vec::Vec};

use super::{SysResult, errno::*};
use crate::{
    arch::uaccess,
    ipc::shm,
    mm::{layout::PAGE_SIZE, mmap::MmapFile, truncate::object_of},
    thread,
};

/// SHMLBA: an attach address must be a multiple of it (one page on x86_64).
const SHMLBA: u64 = PAGE_SIZE;

/// shmget(key, size, shmflg).
pub fn sys_shmget(key: u64, size: u64, flags: u64) -> SysResult {
    let process = thread::current_process().ok_or(EINVAL)?;
    shm::shmget(&process, key as i32, size, flags as u32 as u64).map(|id| id as u64)
}

/// shmat(shmid, addr, shmflg) (Linux's do_shmat): maps segment `shmid` shared, at `addr` (rounded
/// down with SHM_RND, else EINVAL unless page-aligned; EINVAL if something is mapped there,
/// unless SHM_REMAP) or where the kernel chooses; read-only with SHM_RDONLY, executable with
/// SHM_EXEC. Returns the address.
pub fn sys_shmat(shmid: u64, addr: u64, flags: u64) -> SysResult {
    let (shmid, flags) = (shmid as i32, flags as u32 as u64);
    if shmid < 0 {
        return Err(EINVAL);
    }
    let mut addr = addr;
    let mut map_flags = MAP_SHARED;
    if addr != 0 {
        if addr & (SHMLBA - 1) != 0 {
            if flags & SHM_RND == 0 {
                return Err(EINVAL);
            }
            addr &= !(SHMLBA - 1);
            if addr == 0 && flags & SHM_REMAP != 0 {
                return Err(EINVAL);
            }
        }
        map_flags |= MAP_FIXED;
    } else if flags & SHM_REMAP != 0 {
        return Err(EINVAL);
    }
    let read_only = flags & SHM_RDONLY != 0;
    let mut prot = if read_only {
        PROT_READ
    } else {
        PROT_READ | PROT_WRITE
    };
    if flags & SHM_EXEC != 0 {
        prot |= PROT_EXEC;
    }
    let process = thread::current_process().ok_or(EINVAL)?;
    let (inode, size) = shm::attach_file(&process, shmid, read_only)?;
    let mm = process.mm().ok_or(EINVAL)?;
    let start = {
        let mut inner = mm.lock();
        if addr != 0 && flags & SHM_REMAP == 0 {
            let end = addr.checked_add(size).ok_or(EINVAL)?;
            if inner.vmas.iter_range(addr, end).next().is_some() {
                return Err(EINVAL);
            }
        }
        let file = MmapFile {
            inode: inode.clone(),
            readable: true,
            writable: !read_only,
        };
        inner.do_mmap(addr, size, prot, map_flags, Some(file), 0)?.0
    };
    shm::record_use(&process, Arc::as_ptr(&inode) as *const (), true);
    Ok(start)
}

/// shmdt(addr) (Linux's ksys_shmdt): unmaps the segment attached at `addr`: the first area at
/// or above it that maps a segment from its offset `area start - addr`, then every other area of
/// the same segment placed so within the segment's size (the pieces mprotect or munmap made of
/// one attach). EINVAL if `addr` is not page-aligned or no such area exists.
pub fn sys_shmdt(addr: u64) -> SysResult {
    if addr & (PAGE_SIZE - 1) != 0 {
        return Err(EINVAL);
    }
    let process = thread::current_process().ok_or(EINVAL)?;
    let segments = shm::segment_files()?;
    let mm = process.mm().ok_or(EINVAL)?;
    let mut inner = mm.lock();
    let attached_here =
        |start: u64, pgoff: u64| start >= addr && (start - addr) / PAGE_SIZE == pgoff;
    let first = inner.vmas.iter_range(addr, u64::MAX).find_map(|v| {
        let file = object_of(v)?;
        let &(_, size) = segments.iter().find(|(f, _)| *f == file)?;
        attached_here(v.start(), v.pgoff()).then_some((file, size))
    });
    let Some((file, size)) = first else {
        return Err(EINVAL);
    };
    let limit = addr.saturating_add(size.next_multiple_of(PAGE_SIZE));
    let mut pieces = Vec::new();
    for v in inner.vmas.iter_range(addr, limit) {
        if object_of(v) == Some(file) && v.end() <= limit && attached_here(v.start(), v.pgoff()) {
            pieces.try_reserve(1).map_err(|_| ENOMEM)?;
            pieces.push((v.start(), v.end()));
        }
    }
    for (start, end) in pieces {
        inner.do_munmap(start, end - start)?;
    }
    drop(inner);
    shm::record_use(&process, file, false);
    Ok(0)
}

/// shmctl(shmid, cmd, buf) (Linux's ksys_shmctl).
pub fn sys_shmctl(shmid: u64, cmd: u64, buf: u64) -> SysResult {
    let (shmid, cmd) = (shmid as i32, cmd as i32);
    if cmd < 0 || shmid < 0 {
        return Err(EINVAL);
    }
    let process = thread::current_process().ok_or(EINVAL)?;
    match cmd as u64 {
        IPC_INFO => {
            let (info, max) = shm::info();
            uaccess::write_user(buf, &info)?;
            Ok(max as u64)
        }
        SHM_INFO => {
            let (info, max) = shm::usage();
            uaccess::write_user(buf, &info)?;
            Ok(max as u64)
        }
        IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
            let by_index = cmd as u64 != IPC_STAT;
            let check = cmd as u64 != SHM_STAT_ANY;
            let (ds, id) = shm::stat(&process, shmid, by_index, check)?;
            uaccess::write_user(buf, &ds)?;
            Ok(id as u64)
        }
        IPC_SET => {
            let ds: shmid64_ds = uaccess::read_user(buf)?;
            shm::set(&process, shmid, &ds.shm_perm).map(|()| 0)
        }
        IPC_RMID => shm::remove(&process, shmid).map(|()| 0),
        SHM_LOCK | SHM_UNLOCK => shm::lock(&process, shmid, cmd as u64 == SHM_LOCK).map(|()| 0),
        _ => Err(EINVAL),
    }
}
