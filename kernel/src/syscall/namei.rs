//! Path system calls: mkdir, mknod, rmdir, unlink, rename, link, symlink, readlink, chdir, fchdir, getcwd
//! (Linux's fs/namei.c and fs/open.c), and the path and directory-fd handling every *at call
//! shares.

use alloc::{sync::Arc, sync::Weak, vec::Vec};
use core::sync::atomic::Ordering;

use abi::{
    fcntl::{AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW},
    stat::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK},
};

use super::{SysResult, errno::*};
use crate::{
    arch::uaccess,
    fs::{
        self, Inode, InodeKind, OpenFile,
        dir::Directory,
        namei::{self, Parent},
        path::PATH_MAX,
        vfs,
    },
    process::Process,
    sync::IrqMutex,
    thread,
};

/// The calling process.
pub fn current() -> Result<Arc<Process>, Errno> {
    thread::current_process().ok_or(ESRCH)
}

/// A path from user memory (getname): EFAULT, or ENAMETOOLONG if it has no NUL within PATH_MAX
/// bytes (at most PATH_MAX - 1 bytes before the NUL). May be empty: the lookup says ENOENT unless
/// the call takes AT_EMPTY_PATH.
pub fn copy_path(ptr: u64) -> Result<Vec<u8>, Errno> {
    let mut raw = Vec::new();
    match uaccess::strncpy_from_user(ptr, PATH_MAX - 1, &mut raw)? {
        Some(()) => Ok(raw),
        None => Err(ENAMETOOLONG),
    }
}

/// An open file by descriptor.
pub fn fd_file(fd: u64) -> Result<Arc<OpenFile>, Errno> {
    current()?.files()?.lock().get(fd)
}

/// Where a relative `path` of an *at call starts: the working directory for AT_FDCWD, else the
/// directory open at `dirfd` (ENOTDIR if it is not one). An absolute path ignores `dirfd`.
/// An empty path is ENOENT, before `dirfd` is looked at.
pub fn start_dir(dirfd: u64, path: &[u8]) -> Result<Arc<Inode>, Errno> {
    if path.is_empty() {
        return Err(ENOENT);
    }
    let process = current()?;
    if path.first() == Some(&b'/') {
        return Ok(fs::root());
    }
    if dirfd as i32 as i64 == AT_FDCWD {
        return Ok(process.cwd());
    }
    let file = process.files()?.lock().get(dirfd)?;
    match file.file_inode() {
        Some(inode) if inode.is_dir() => Ok(inode.clone()),
        _ => Err(ENOTDIR),
    }
}

/// The inode `path` names from `dirfd`; with AT_EMPTY_PATH in `flags` an empty path names
/// `dirfd`'s own file.
pub fn lookup_at(dirfd: u64, path: &[u8], follow: bool, flags: u64) -> Result<Arc<Inode>, Errno> {
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        let file = if dirfd as i32 as i64 == AT_FDCWD {
            return Ok(current()?.cwd());
        } else {
            fd_file(dirfd)?
        };
        return file.file_inode().cloned().ok_or(EINVAL);
    }
    namei::lookup(start_dir(dirfd, path)?, path, follow)
}

/// The directory and last name of a user path from `dirfd`.
fn parent_at(dirfd: u64, ptr: u64) -> Result<Parent, Errno> {
    let path = copy_path(ptr)?;
    namei::lookup_parent(start_dir(dirfd, &path)?, &path)
}

/// The creation mask applied to `mode`.
pub fn apply_umask(mode: u64) -> Result<u32, Errno> {
    let umask = current()?.fs().umask.load(Ordering::Relaxed);
    Ok(mode as u32 & !umask)
}

pub fn sys_mkdir(path: u64, mode: u64) -> SysResult {
    sys_mkdirat(AT_FDCWD as u64, path, mode)
}

/// mkdirat: a new empty directory, with `mode & 01777` less the umask.
pub fn sys_mkdirat(dirfd: u64, path: u64, mode: u64) -> SysResult {
    let parent = parent_at(dirfd, path)?;
    let mode = apply_umask(mode & 0o1777)?;
    let kind = InodeKind::Directory(IrqMutex::new(Directory::new(Weak::new())));
    vfs::create(&parent, kind, S_IFDIR | mode).map(|_| 0)
}

/// mknod(path, mode, dev) and mknodat(dirfd, path, mode, dev) (Linux's do_mknodat): a FIFO, a
/// regular file (mode 0 too), a socket node, or (root only, EPERM otherwise: CAP_MKNOD) a
/// character or block device node; the umask applies. EPERM for a directory, EINVAL for another
/// type; then the path's errors (EEXIST, ENOENT, ENOTDIR...). A device node of a device this
/// kernel has (by Linux's number) opens it; any other opens ENXIO, as a node without a driver.
pub fn sys_mknodat(dirfd: u64, path: u64, mode: u64, dev: u64) -> SysResult {
    let mode = mode as u32;
    let kind_bits = match mode & S_IFMT {
        0 => S_IFREG,
        S_IFREG | S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => mode & S_IFMT,
        S_IFDIR => return Err(EPERM),
        _ => return Err(EINVAL),
    };
    let parent = parent_at(dirfd, path)?;
    if parent.lookup().is_ok() {
        return Err(EEXIST);
    }
    let perm = apply_umask(mode as u64 & 0o7777)?;
    let dev = decode_dev(dev as u32);
    let kind = match kind_bits {
        S_IFREG => InodeKind::Regular,
        S_IFIFO => InodeKind::Fifo(IrqMutex::new(Weak::new())),
        // A socket node no socket is bound to: connect finds nobody (ECONNREFUSED).
        S_IFSOCK => InodeKind::Socket(Weak::new()),
        _ => {
            let privileged = thread::current_process().is_some_and(|p| p.cred.lock().privileged());
            if !privileged {
                return Err(EPERM);
            }
            let device = fs::dev::NODES
                .iter()
                .map(|(_, device, _)| *device)
                .find(|d| d.number() == dev);
            match device {
                Some(device) if kind_bits == S_IFCHR => InodeKind::CharDevice(device),
                _ => InodeKind::Special { rdev: dev },
            }
        }
    };
    vfs::create(&parent, kind, kind_bits | perm)?;
    Ok(0)
}

/// mknod(path, mode, dev): mknodat from the working directory.
pub fn sys_mknod(path: u64, mode: u64, dev: u64) -> SysResult {
    sys_mknodat(AT_FDCWD as u64, path, mode, dev)
}

/// A device number as mknod's `dev` carries it (Linux's new_decode_dev): 12 bits of major, 20
/// of minor.
fn decode_dev(dev: u32) -> (u32, u32) {
    let major = (dev & 0xfff00) >> 8;
    let minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    (major, minor)
}

pub fn sys_rmdir(path: u64) -> SysResult {
    vfs::rmdir(&parent_at(AT_FDCWD as u64, path)?).map(|()| 0)
}

pub fn sys_unlink(path: u64) -> SysResult {
    sys_unlinkat(AT_FDCWD as u64, path, 0)
}

/// unlinkat: unlink, or rmdir with AT_REMOVEDIR.
pub fn sys_unlinkat(dirfd: u64, path: u64, flags: u64) -> SysResult {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(EINVAL);
    }
    let parent = parent_at(dirfd, path)?;
    if flags & AT_REMOVEDIR != 0 {
        vfs::rmdir(&parent)?;
    } else {
        vfs::unlink(&parent)?;
    }
    Ok(0)
}

pub fn sys_rename(old: u64, new: u64) -> SysResult {
    sys_renameat2(AT_FDCWD as u64, old, AT_FDCWD as u64, new, 0)
}

pub fn sys_renameat(olddirfd: u64, old: u64, newdirfd: u64, new: u64) -> SysResult {
    sys_renameat2(olddirfd, old, newdirfd, new, 0)
}

/// renameat2 with flags 0 or RENAME_NOREPLACE (RENAME_EXCHANGE and RENAME_WHITEOUT: EINVAL).
pub fn sys_renameat2(olddirfd: u64, old: u64, newdirfd: u64, new: u64, flags: u64) -> SysResult {
    let flags = flags as u32 as u64;
    let old = parent_at(olddirfd, old)?;
    let new = parent_at(newdirfd, new)?;
    vfs::rename(&old, &new, flags).map(|()| 0)
}

pub fn sys_link(old: u64, new: u64) -> SysResult {
    sys_linkat(AT_FDCWD as u64, old, AT_FDCWD as u64, new, 0)
}

/// linkat: a new name for a file; a final symlink of the old path is followed only with
/// AT_SYMLINK_FOLLOW.
pub fn sys_linkat(olddirfd: u64, old: u64, newdirfd: u64, new: u64, flags: u64) -> SysResult {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let old_path = copy_path(old)?;
    let inode = lookup_at(olddirfd, &old_path, flags & AT_SYMLINK_FOLLOW != 0, flags)?;
    let new = parent_at(newdirfd, new)?;
    vfs::link(&inode, &new).map(|()| 0)
}

pub fn sys_symlink(target: u64, path: u64) -> SysResult {
    sys_symlinkat(target, AT_FDCWD as u64, path)
}

/// symlinkat: a link holding `target` as given (it is not resolved now).
pub fn sys_symlinkat(target: u64, dirfd: u64, path: u64) -> SysResult {
    let target = copy_path(target)?;
    if target.is_empty() {
        return Err(ENOENT);
    }
    let parent = parent_at(dirfd, path)?;
    vfs::create(&parent, InodeKind::Symlink(target), S_IFLNK | 0o777).map(|_| 0)
}

pub fn sys_readlink(path: u64, buf: u64, size: u64) -> SysResult {
    sys_readlinkat(AT_FDCWD as u64, path, buf, size)
}

/// readlinkat: the link's target, truncated to `size` bytes, without a NUL.
pub fn sys_readlinkat(dirfd: u64, path: u64, buf: u64, size: u64) -> SysResult {
    let size = size as i32;
    if size <= 0 {
        return Err(EINVAL);
    }
    let path = copy_path(path)?;
    let inode = lookup_at(dirfd, &path, false, 0)?;
    let target = namei::link_target(&inode).ok_or(EINVAL)??;
    let n = target.len().min(size as usize);
    uaccess::copy_to_user(buf, &target[..n])?;
    Ok(n as u64)
}

pub fn sys_chdir(path: u64) -> SysResult {
    let path = copy_path(path)?;
    let inode = lookup_at(AT_FDCWD as u64, &path, true, 0)?;
    set_cwd(inode)
}

pub fn sys_fchdir(fd: u64) -> SysResult {
    let inode = fd_file(fd)?.file_inode().cloned().ok_or(ENOTDIR)?;
    set_cwd(inode)
}

fn set_cwd(inode: Arc<Inode>) -> SysResult {
    if !inode.is_dir() {
        return Err(ENOTDIR);
    }
    *current()?.fs().cwd.lock() = inode;
    Ok(0)
}

/// getcwd: the working directory's absolute path with its NUL; ERANGE if `size` is too small,
/// ENOENT if the directory was removed.
pub fn sys_getcwd(buf: u64, size: u64) -> SysResult {
    let cwd = current()?.cwd();
    let mut path = vfs::d_path(&cwd)?;
    path.try_reserve(1).map_err(|_| ENOMEM)?;
    path.push(0);
    if path.len() as u64 > size {
        return Err(ERANGE);
    }
    uaccess::copy_to_user(buf, &path)?;
    Ok(path.len() as u64)
}
