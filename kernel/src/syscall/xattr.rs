//! Extended attributes (Linux's fs/xattr.c): getxattr, setxattr, listxattr and removexattr, each
//! on a path, on a path without following a final symlink (l*), and on a descriptor (f*).
//!
//! None of the file systems here stores extended attributes, like Linux's ramfs or procfs (an
//! inode without IOP_XATTR). So every call ends as Linux's does for such a file, after Linux's own
//! checks in Linux's order:
//!
//! 1. the attribute name: EFAULT, or ERANGE if it is empty or longer than XATTR_NAME_MAX (255)
//!    (import_xattr_name); setxattr first checks its flags (EINVAL) and then its value (E2BIG above
//!    XATTR_SIZE_MAX, EFAULT) (setxattr_copy);
//! 2. the file: the path lookup's errors, or EBADF (the f* calls too look at the name first);
//! 3. xattr_permission: a `user.` attribute exists only on regular files and directories, so on
//!    anything else reading one is ENODATA and writing one EPERM;
//! 4. then there is no handler: EOPNOTSUPP. Listing finds nothing: 0 bytes, as vfs_listxattr
//!    returns without a listxattr operation and without a security module.
//!
//! Debian's `ls -l` asks for `security.selinux` and `system.posix_acl_access` of every file, and
//! takes EOPNOTSUPP as "none"; ENOSYS would be an error it prints.

use alloc::vec::Vec;

use super::{
    SysResult,
    errno::*,
    namei::{copy_path, fd_file, lookup_at},
};
use crate::arch::uaccess;
use abi::{
    fcntl::AT_FDCWD,
    stat::{S_IFDIR, S_IFMT, S_IFREG},
};

/// Longest attribute name (Linux's XATTR_NAME_MAX).
const XATTR_NAME_MAX: usize = 255;
/// Largest attribute value (Linux's XATTR_SIZE_MAX).
const XATTR_SIZE_MAX: u64 = 65536;
/// setxattr flags.
const XATTR_CREATE: u64 = 1;
const XATTR_REPLACE: u64 = 2;

/// Whether the file an attribute call is about is a regular file or a directory: the only files
/// that may carry `user.` attributes (xattr_permission).
#[derive(Clone, Copy)]
struct Target {
    reg_or_dir: bool,
}

impl Target {
    /// From the file's type, as stat reports it.
    fn of_mode(st_mode: u32) -> Self {
        Target {
            reg_or_dir: matches!(st_mode & S_IFMT, S_IFREG | S_IFDIR),
        }
    }
}

/// import_xattr_name: the name from user memory.
fn import_name(ptr: u64) -> Result<Vec<u8>, Errno> {
    let mut name = Vec::new();
    match uaccess::strncpy_from_user(ptr, XATTR_NAME_MAX, &mut name)? {
        Some(()) if !name.is_empty() => Ok(name),
        _ => Err(ERANGE),
    }
}

/// The file a path names, following a final symlink or not.
fn path_target(path: u64, follow: bool) -> Result<Target, Errno> {
    let path = copy_path(path)?;
    let inode = lookup_at(AT_FDCWD as u64, &path, follow, 0)?;
    Ok(Target::of_mode(inode.stat().st_mode))
}

/// The file open at `fd`.
fn fd_target(fd: u64) -> Result<Target, Errno> {
    Ok(Target::of_mode(
        super::stat::file_stat(&*fd_file(fd)?).st_mode,
    ))
}

/// vfs_getxattr on a file without attributes.
fn getxattr(name: &[u8], target: Target) -> SysResult {
    if name.starts_with(b"user.") && !target.reg_or_dir {
        return Err(ENODATA);
    }
    Err(EOPNOTSUPP)
}

/// vfs_setxattr and vfs_removexattr on a file without attributes.
fn change_xattr(name: &[u8], target: Target) -> SysResult {
    if name.starts_with(b"user.") && !target.reg_or_dir {
        return Err(EPERM);
    }
    Err(EOPNOTSUPP)
}

/// setxattr_copy: the flags, the name, then the value.
fn setxattr_args(name: u64, value: u64, size: u64, flags: u64) -> Result<Vec<u8>, Errno> {
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(EINVAL);
    }
    let name = import_name(name)?;
    if size > XATTR_SIZE_MAX {
        return Err(E2BIG);
    }
    if size > 0 {
        // Linux copies the value in before looking at the file: a bad pointer is EFAULT first.
        let mut byte = [0u8; 1];
        uaccess::copy_from_user(&mut byte, value)?;
        let last = value.checked_add(size - 1).ok_or(EFAULT)?;
        uaccess::copy_from_user(&mut byte, last)?;
    }
    Ok(name)
}

pub fn sys_getxattr(path: u64, name: u64, _value: u64, _size: u64) -> SysResult {
    let name = import_name(name)?;
    getxattr(&name, path_target(path, true)?)
}

pub fn sys_lgetxattr(path: u64, name: u64, _value: u64, _size: u64) -> SysResult {
    let name = import_name(name)?;
    getxattr(&name, path_target(path, false)?)
}

pub fn sys_fgetxattr(fd: u64, name: u64, _value: u64, _size: u64) -> SysResult {
    let name = import_name(name)?;
    getxattr(&name, fd_target(fd)?)
}

pub fn sys_setxattr(path: u64, name: u64, value: u64, size: u64, flags: u64) -> SysResult {
    let name = setxattr_args(name, value, size, flags)?;
    change_xattr(&name, path_target(path, true)?)
}

pub fn sys_lsetxattr(path: u64, name: u64, value: u64, size: u64, flags: u64) -> SysResult {
    let name = setxattr_args(name, value, size, flags)?;
    change_xattr(&name, path_target(path, false)?)
}

pub fn sys_fsetxattr(fd: u64, name: u64, value: u64, size: u64, flags: u64) -> SysResult {
    let name = setxattr_args(name, value, size, flags)?;
    change_xattr(&name, fd_target(fd)?)
}

pub fn sys_listxattr(path: u64, _list: u64, _size: u64) -> SysResult {
    path_target(path, true).map(|_| 0)
}

pub fn sys_llistxattr(path: u64, _list: u64, _size: u64) -> SysResult {
    path_target(path, false).map(|_| 0)
}

pub fn sys_flistxattr(fd: u64, _list: u64, _size: u64) -> SysResult {
    fd_target(fd).map(|_| 0)
}

pub fn sys_removexattr(path: u64, name: u64) -> SysResult {
    let name = import_name(name)?;
    change_xattr(&name, path_target(path, true)?)
}

pub fn sys_lremovexattr(path: u64, name: u64) -> SysResult {
    let name = import_name(name)?;
    change_xattr(&name, path_target(path, false)?)
}

pub fn sys_fremovexattr(fd: u64, name: u64) -> SysResult {
    let name = import_name(name)?;
    change_xattr(&name, fd_target(fd)?)
}
