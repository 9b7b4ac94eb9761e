//! File status and attributes: the stat family, statx, statfs, access, umask, chmod, utimensat
//! (Linux's fs/stat.c, fs/statfs.c, fs/open.c, fs/utimes.c). Root owns every file here and
//! passes every permission check but one: executing needs some execute bit.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use abi::{
    fcntl::{
        AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_STATX_SYNC_TYPE,
        AT_SYMLINK_NOFOLLOW, X_OK,
    },
    stat::*,
    time::timespec,
};

use super::{
    SysResult,
    errno::*,
    namei::{copy_path, current, fd_file, lookup_at},
};
use crate::{
    arch::uaccess,
    fs::{
        FileKind, Inode, OpenFile,
        inode::{PIPEFS_DEV, PROC_DEV, SOCKFS_DEV, SYSFS_DEV, encode_dev},
        page_cache,
    },
};

/// What fstat says of an open file: its inode's status, or for files without one (the console
/// the first process starts with, an open /proc file) what Linux would show.
pub(super) fn file_stat(file: &OpenFile) -> stat {
    if let Some(inode) = file.file_inode() {
        return inode.stat();
    }
    match file.kind {
        // Linux's get_pipe_inode: a FIFO on pipefs, read and write for its owner.
        FileKind::Pipe(ref end) => stat {
            st_dev: encode_dev(PIPEFS_DEV),
            st_ino: end.pipe.ino,
            st_mode: crate::fs::pipe::PIPE_MODE,
            st_nlink: 1,
            st_blksize: 4096,
            ..stat::default()
        },
        // sockfs's inode: a socket, rwx for everyone (Linux's sock_alloc_inode).
        FileKind::Socket(ref sock) => stat {
            st_dev: encode_dev(SOCKFS_DEV),
            st_ino: sock.0.ino,
            st_mode: S_IFSOCK | 0o777,
            st_nlink: 1,
            st_blksize: 4096,
            ..stat::default()
        },
        // An anonymous inode: no file type bits, mode 0600 (Linux's anon_inode_getfile).
        FileKind::Epoll(_)
        | FileKind::EventFd(_)
        | FileKind::TimerFd(_)
        | FileKind::SignalFd(_)
        | FileKind::Inotify(_) => stat {
            st_mode: 0o600,
            st_nlink: 1,
            st_blksize: 4096,
            ..stat::default()
        },
        // The console the first process starts with is /dev/console, as Linux's init opens it
        // (so that ttyname finds it).
        FileKind::Console => match console_inode() {
            Some(inode) => inode.stat(),
            None => stat {
                st_mode: S_IFCHR | 0o600,
                st_nlink: 1,
                st_rdev: encode_dev((5, 1)),
                st_blksize: 1024,
                ..stat::default()
            },
        },
        // A /proc (or /sys) file.
        FileKind::Proc(ref proc_file, _) => stat {
            st_dev: encode_dev(proc_file.dev()),
            st_mode: S_IFREG | proc_file.permissions(),
            st_nlink: 1,
            st_blksize: 1024,
            ..stat::default()
        },
        _ => stat {
            st_dev: encode_dev(PROC_DEV),
            st_mode: S_IFREG | 0o444,
            st_nlink: 1,
            st_blksize: 1024,
            ..stat::default()
        },
    }
}

/// The /dev/console inode, if /dev has one.
fn console_inode() -> Option<alloc::sync::Arc<Inode>> {
    crate::fs::namei::lookup(crate::fs::root(), b"/dev/console", true).ok()
}

/// The status of what `path` names from `dirfd` with the *at `flags`.
fn stat_at(dirfd: u64, path: u64, flags: u64) -> Result<stat, Errno> {
    let path = copy_path(path)?;
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 && dirfd as i32 as i64 != AT_FDCWD {
        return Ok(file_stat(&*fd_file(dirfd)?));
    }
    let inode = lookup_at(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0, flags)?;
    Ok(inode.stat())
}

pub fn sys_stat(path: u64, buf: u64) -> SysResult {
    sys_newfstatat(AT_FDCWD as u64, path, buf, 0)
}

pub fn sys_lstat(path: u64, buf: u64) -> SysResult {
    sys_newfstatat(AT_FDCWD as u64, path, buf, AT_SYMLINK_NOFOLLOW)
}

pub fn sys_fstat(fd: u64, buf: u64) -> SysResult {
    let st = file_stat(&*fd_file(fd)?);
    uaccess::write_user(buf, &st)?;
    Ok(0)
}

pub fn sys_newfstatat(dirfd: u64, path: u64, buf: u64, flags: u64) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT) != 0 {
        return Err(EINVAL);
    }
    let st = stat_at(dirfd, path, flags)?;
    uaccess::write_user(buf, &st)?;
    Ok(0)
}

/// Reserved statx mask bit (STATX__RESERVED).
const STATX_RESERVED: u32 = 0x8000_0000;

/// statx: the basic stats in the new layout, whatever `mask` asks for (a file system may give
/// more or less than asked; stx_mask says what it gave).
pub fn sys_statx(dirfd: u64, path: u64, flags: u64, mask: u64, buf: u64) -> SysResult {
    let flags = flags as u32 as u64;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
        || mask as u32 & STATX_RESERVED != 0
    {
        return Err(EINVAL);
    }
    let st = stat_at(dirfd, path, flags)?;
    let time = |sec: u64, nsec: u64| statx_timestamp {
        tv_sec: sec as i64,
        tv_nsec: nsec as u32,
        __reserved: 0,
    };
    let (dev_major, dev_minor) = decode_dev(st.st_dev);
    let (rdev_major, rdev_minor) = decode_dev(st.st_rdev);
    let stx = statx {
        stx_mask: STATX_BASIC_STATS,
        stx_blksize: st.st_blksize as u32,
        stx_nlink: st.st_nlink as u32,
        stx_uid: st.st_uid,
        stx_gid: st.st_gid,
        stx_mode: st.st_mode as u16,
        stx_ino: st.st_ino,
        stx_size: st.st_size as u64,
        stx_blocks: st.st_blocks as u64,
        stx_atime: time(st.st_atime, st.st_atime_nsec),
        stx_ctime: time(st.st_ctime, st.st_ctime_nsec),
        stx_mtime: time(st.st_mtime, st.st_mtime_nsec),
        stx_rdev_major: rdev_major,
        stx_rdev_minor: rdev_minor,
        stx_dev_major: dev_major,
        stx_dev_minor: dev_minor,
        ..statx::default()
    };
    uaccess::write_user(buf, &stx)?;
    Ok(0)
}

/// The inverse of [`encode_dev`].
fn decode_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

/// statfs of the file system holding `inode`: tmpfs's size is half of memory (see
/// `page_cache::size_limit`), /proc has none.
fn statfs_of(inode: &Inode) -> statfs {
    let (blocks, used) = if inode.dev == PROC_DEV || inode.dev == SYSFS_DEV {
        (0, 0)
    } else {
        (
            page_cache::size_limit() as u64,
            page_cache::cached_pages() as u64,
        )
    };
    let free = blocks.saturating_sub(used);
    statfs {
        f_type: match inode.dev {
            PROC_DEV => PROC_SUPER_MAGIC,
            SYSFS_DEV => SYSFS_MAGIC,
            _ => TMPFS_MAGIC,
        },
        f_bsize: 4096,
        f_blocks: blocks,
        f_bfree: free,
        f_bavail: free,
        f_files: blocks,
        f_ffree: free,
        f_namelen: NAME_MAX as i64,
        f_frsize: 4096,
        ..statfs::default()
    }
}

pub fn sys_statfs(path: u64, buf: u64) -> SysResult {
    let path = copy_path(path)?;
    let inode = lookup_at(AT_FDCWD as u64, &path, true, 0)?;
    uaccess::write_user(buf, &statfs_of(&inode))?;
    Ok(0)
}

pub fn sys_fstatfs(fd: u64, buf: u64) -> SysResult {
    let file = fd_file(fd)?;
    let st = match file.file_inode() {
        Some(inode) => statfs_of(inode),
        None => statfs_of(&*crate::fs::procfs::ProcNode::Root.inode()?),
    };
    uaccess::write_user(buf, &st)?;
    Ok(0)
}

pub fn sys_access(path: u64, mode: u64) -> SysResult {
    sys_faccessat2(AT_FDCWD as u64, path, mode, 0)
}

pub fn sys_faccessat(dirfd: u64, path: u64, mode: u64) -> SysResult {
    sys_faccessat2(dirfd, path, mode, 0)
}

/// faccessat2: whether root may read, write or execute the file: always, except execute when no
/// execute bit is set on a file that is not a directory (Linux's generic_permission for root).
pub fn sys_faccessat2(dirfd: u64, path: u64, mode: u64, flags: u64) -> SysResult {
    if mode & !7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let path = copy_path(path)?;
    let inode = lookup_at(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0, flags)?;
    let st = inode.stat();
    if mode & X_OK != 0 && st.st_mode & S_IFMT != S_IFDIR && st.st_mode & 0o111 == 0 {
        return Err(EACCES);
    }
    Ok(0)
}

/// umask: sets the creation mask, returns the old one.
pub fn sys_umask(mask: u64) -> SysResult {
    let old = current()?
        .fs()
        .umask
        .swap(mask as u32 & 0o777, Ordering::Relaxed);
    Ok(old as u64)
}

pub fn sys_chmod(path: u64, mode: u64) -> SysResult {
    sys_fchmodat(AT_FDCWD as u64, path, mode)
}

pub fn sys_fchmod(fd: u64, mode: u64) -> SysResult {
    let file = fd_file(fd)?;
    chmod(file.file_inode().ok_or(EPERM)?, mode)
}

pub fn sys_fchmodat(dirfd: u64, path: u64, mode: u64) -> SysResult {
    let path = copy_path(path)?;
    chmod(&lookup_at(dirfd, &path, true, 0)?, mode)
}

fn chmod(inode: &Arc<Inode>, mode: u64) -> SysResult {
    if inode.dev == PROC_DEV || inode.dev == SYSFS_DEV {
        return Err(EPERM);
    }
    inode.chmod(mode as u32);
    Ok(0)
}

/// One utimensat time: now, left alone (None), or as given (EINVAL if tv_nsec is out of range).
fn utime(t: timespec) -> Result<Option<timespec>, Errno> {
    match t.tv_nsec {
        UTIME_NOW => Ok(Some(crate::fs::now())),
        UTIME_OMIT => Ok(None),
        0..=999_999_999 => Ok(Some(t)),
        _ => Err(EINVAL),
    }
}

/// utimensat: sets access and modification times; a NULL path means `dirfd`'s file (futimens).
pub fn sys_utimensat(dirfd: u64, path: u64, times: u64, flags: u64) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let (atime, mtime) = if times == 0 {
        let now = crate::fs::now();
        (Some(now), Some(now))
    } else {
        let t: [timespec; 2] = [
            uaccess::read_user(times)?,
            uaccess::read_user(times.checked_add(16).ok_or(EFAULT)?)?,
        ];
        (utime(t[0])?, utime(t[1])?)
    };
    let inode = if path == 0 {
        fd_file(dirfd)?.file_inode().cloned().ok_or(EPERM)?
    } else {
        let path = copy_path(path)?;
        lookup_at(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0, flags)?
    };
    if atime.is_none() && mtime.is_none() {
        return Ok(0);
    }
    inode.set_times(atime, mtime);
    Ok(0)
}
