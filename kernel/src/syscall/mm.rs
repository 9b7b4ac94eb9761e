//! Memory system calls: thin wrappers that find the current mm, take its lock and call the
//! operation in crate::mm. The argument rules (EINVAL, ENOMEM, ...) live with the operations.

use abi::mman::{
    MAP_ANONYMOUS, MAP_POPULATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE, PROT_WRITE,
};

use super::{SysResult, errno::*};
use crate::{
    fs::{FileKind, OpenFile, dev::Device},
    mm::{
        fault::Access,
        layout::PAGE_SIZE,
        mm_struct::VmFlags,
        mmap::MmapFile,
        populate::{mm_populate, populate},
    },
    thread,
};

fn current_mm() -> Result<alloc::sync::Arc<crate::mm::mm_struct::Mm>, Errno> {
    thread::current_process().and_then(|p| p.mm()).ok_or(EFAULT)
}

/// The checks mmap makes of a descriptor before mapping /dev/zero: an unaligned offset is
/// EINVAL; the file must be open for reading, and for writing if a shared mapping may write.
fn dev_zero_rights(open: &OpenFile, prot: u64, flags: u64, off: u64) -> Result<(), Errno> {
    if !off.is_multiple_of(PAGE_SIZE) {
        return Err(EINVAL);
    }
    let shared = matches!(flags & MAP_TYPE, MAP_SHARED | MAP_SHARED_VALIDATE);
    if !open.readable || (shared && prot & PROT_WRITE != 0 && !open.writable) {
        return Err(EACCES);
    }
    Ok(())
}

/// brk(addr); after mlockall(MCL_FUTURE) the new part of the heap is populated, outside the lock.
pub fn sys_brk(addr: u64) -> SysResult {
    let mm = current_mm()?;
    let (old, new, locked) = {
        let mut inner = mm.lock();
        let old = inner.layout.brk;
        let new = inner.do_brk(addr);
        (old, new, inner.def_flags.contains(VmFlags::LOCKED))
    };
    if locked && new > old {
        let _ = mm_populate(&mm, old, new - old, true);
    }
    Ok(new)
}

pub fn sys_mmap(addr: u64, len: u64, prot: u64, flags: u64, fd: u64, off: u64) -> SysResult {
    let mut flags = flags;
    let mut off = off;
    let file = if flags & MAP_ANONYMOUS == 0 {
        let process = thread::current_process().ok_or(EBADF)?;
        let open = process.files()?.lock().get(fd)?;
        if let FileKind::Device(Device::Zero, _) = open.kind {
            dev_zero_rights(&open, prot, flags, off)?;
            // Linux's mmap_zero: a private mapping is anonymous memory, a shared one a shmem
            // object ("/dev/zero (deleted)"), as MAP_SHARED | MAP_ANONYMOUS makes.
            if flags & MAP_TYPE == MAP_SHARED_VALIDATE {
                flags = (flags & !MAP_TYPE) | MAP_SHARED;
            }
            flags |= MAP_ANONYMOUS;
            off = 0;
            None
        } else {
            let inode = open.inode().cloned().ok_or(ENODEV)?;
            Some(MmapFile {
                inode,
                readable: open.readable,
                writable: open.writable,
            })
        }
    } else {
        None
    };
    let mm = current_mm()?;
    let (start, locked) = mm.lock().do_mmap(addr, len, prot, flags, file, off)?;
    if locked {
        let _ = mm_populate(&mm, start, len, true);
    } else if flags & MAP_POPULATE != 0 {
        let access = if prot & PROT_WRITE != 0 {
            Access::Write
        } else {
            Access::Read
        };
        // do_mmap rounded len up to whole pages and checked it.
        populate(&mm, start, len, access);
    }
    Ok(start)
}

/// msync(addr, len, flags): the checks and the list of objects under the mm lock, the write-back
/// after it is released.
pub fn sys_msync(addr: u64, len: u64, flags: u64) -> SysResult {
    let (objects, result) = match current_mm()?.lock().msync_objects(addr, len, flags) {
        Ok(objects) => (objects, Ok(0)),
        Err((errno, objects)) => (objects, Err(errno)),
    };
    for object in objects {
        object.0.write_back()?;
    }
    result
}

/// mremap(addr, old_len, new_len, flags, new_addr); a locked area that grew is populated after
/// the mm lock is released.
pub fn sys_mremap(addr: u64, old_len: u64, new_len: u64, flags: u64, new_addr: u64) -> SysResult {
    let mm = current_mm()?;
    let remapped = mm
        .lock()
        .do_mremap(addr, old_len, new_len, flags, new_addr)?;
    if let Some((start, len)) = remapped.populate {
        let _ = mm_populate(&mm, start, len, true);
    }
    Ok(remapped.addr)
}

pub fn sys_munmap(addr: u64, len: u64) -> SysResult {
    current_mm()?.lock().do_munmap(addr, len).map(|()| 0)
}

pub fn sys_mprotect(addr: u64, len: u64, prot: u64) -> SysResult {
    current_mm()?
        .lock()
        .do_mprotect(addr, len, prot)
        .map(|()| 0)
}

/// mincore(addr, len, vec): one byte per page, in batches so that no lock is held while the bytes
/// are copied to the user.
pub fn sys_mincore(addr: u64, len: u64, vec: u64) -> SysResult {
    use crate::mm::{mincore::BATCH, mm_struct::MmInner};
    let pages = MmInner::mincore_pages(addr, len)?;
    let mm = current_mm()?;
    let mut out = alloc::vec::Vec::new();
    out.try_reserve_exact(BATCH).map_err(|_| ENOMEM)?;
    let mut done = 0u64;
    while done < pages {
        let n = (pages - done).min(BATCH as u64);
        out.clear();
        mm.lock()
            .mincore(addr + done * 4096, n as usize, &mut out)?;
        crate::arch::uaccess::copy_to_user(vec.checked_add(done).ok_or(EFAULT)?, &out)?;
        done += n;
    }
    Ok(0)
}

/// mlock(addr, len): lock, then populate with the mm lock released between batches; populate's
/// errors become mlock's as Linux's __mlock_posix_error_return makes them.
pub fn sys_mlock(addr: u64, len: u64) -> SysResult {
    sys_mlock2(addr, len, 0)
}

pub fn sys_mlock2(addr: u64, len: u64, flags: u64) -> SysResult {
    let mm = current_mm()?;
    let (start, len) = mm.lock().do_mlock(addr, len, flags)?;
    mm_populate(&mm, start, len, false).map_err(|e| match e {
        EFAULT => ENOMEM,
        ENOMEM => EAGAIN,
        e => e,
    })?;
    Ok(0)
}

pub fn sys_munlock(addr: u64, len: u64) -> SysResult {
    current_mm()?.lock().do_munlock(addr, len).map(|()| 0)
}

pub fn sys_mlockall(flags: u64) -> SysResult {
    let mm = current_mm()?;
    if mm.lock().do_mlockall(flags)? {
        let _ = mm_populate(&mm, 0, crate::mm::layout::TASK_SIZE, true);
    }
    Ok(0)
}

pub fn sys_munlockall() -> SysResult {
    current_mm()?.lock().do_munlockall();
    Ok(0)
}

pub fn sys_madvise(addr: u64, len: u64, advice: u64) -> SysResult {
    let mm = current_mm()?;
    let populate = mm.lock().do_madvise(addr, len, advice)?;
    if let Some((start, len, access)) = populate {
        crate::mm::populate::populate_checked(&mm, start, len, access)?;
    }
    Ok(0)
}
