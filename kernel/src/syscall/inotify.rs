//! inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch (Linux's
//! fs/notify/inotify/inotify_user.c); the instance and its events are [`crate::fs::inotify`].

use abi::fcntl::{AT_FDCWD, O_CLOEXEC, O_NONBLOCK, O_RDONLY};
use alloc::sync::Arc;

use super::{
    SysResult,
    errno::*,
    namei::{copy_path, fd_file, lookup_at},
    read_write::current_files,
};
use crate::fs::{
    FileKind, OpenFile,
    inotify::{ALL_INOTIFY_BITS, IN_DONT_FOLLOW, IN_MASK_ADD, IN_MASK_CREATE, IN_ONLYDIR, Inotify},
};

/// inotify_init1(flags): a new instance on the lowest free descriptor, open for reading only
/// (as anon_inode_getfd makes it); EINVAL for flags other than IN_CLOEXEC and IN_NONBLOCK
/// (O_CLOEXEC and O_NONBLOCK), EMFILE past the instance limit.
pub fn sys_inotify_init1(flags: u64) -> SysResult {
    let flags = flags as u32 as u64;
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    let files = current_files()?;
    if !files.lock().can_install() {
        return Err(EMFILE);
    }
    let group = Inotify::new()?;
    let file = OpenFile::new(FileKind::Inotify(group), O_RDONLY | (flags & O_NONBLOCK))?;
    files.lock().install(file, flags & O_CLOEXEC != 0)
}

pub fn sys_inotify_init() -> SysResult {
    sys_inotify_init1(0)
}

/// The instance open at `fd`: EBADF, or EINVAL for another kind of file.
fn instance(fd: u64) -> Result<Arc<Inotify>, Errno> {
    match &fd_file(fd)?.kind {
        FileKind::Inotify(group) => Ok(group.clone()),
        _ => Err(EINVAL),
    }
}

/// inotify_add_watch(fd, path, mask), with Linux's checks in its order: EINVAL for unknown
/// bits, no bits, or IN_MASK_ADD with IN_MASK_CREATE; EBADF, EINVAL if `fd` is not an
/// instance; the path's errors (IN_DONT_FOLLOW does not follow a last symlink, IN_ONLYDIR
/// wants a directory: ENOTDIR). Linux also wants read permission (EACCES); every process reads
/// every file here, as root does on Linux.
pub fn sys_inotify_add_watch(fd: u64, path: u64, mask: u64) -> SysResult {
    let mask = mask as u32;
    if mask & IN_MASK_ADD != 0 && mask & IN_MASK_CREATE != 0 {
        return Err(EINVAL);
    }
    if mask & !ALL_INOTIFY_BITS != 0 || mask & ALL_INOTIFY_BITS == 0 {
        return Err(EINVAL);
    }
    let group = instance(fd)?;
    let path = copy_path(path)?;
    let inode = lookup_at(AT_FDCWD as u64, &path, mask & IN_DONT_FOLLOW == 0, 0)?;
    if mask & IN_ONLYDIR != 0 && !inode.is_dir() {
        return Err(ENOTDIR);
    }
    group.add_watch(&inode, mask).map(|wd| wd as u64)
}

/// inotify_rm_watch(fd, wd): EBADF, EINVAL if `fd` is not an instance or has no watch `wd`.
pub fn sys_inotify_rm_watch(fd: u64, wd: u64) -> SysResult {
    instance(fd)?.rm_watch(wd as u32 as i32).map(|()| 0)
}
