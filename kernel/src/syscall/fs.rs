//! File system calls: open, openat (reading and writing are in [`super::read_write`],
//! descriptors in [`super::fd`]).

use abi::fcntl::{
    AT_FDCWD, O_ACCMODE, O_CREAT, O_DIRECTORY, O_LARGEFILE, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
};
use alloc::vec::Vec;

use super::{SysResult, errno::*};
use crate::{
    arch::uaccess,
    fs::{self, FileKind, OpenFile, path},
    thread,
};

pub fn sys_open(path: u64, flags: u64, mode: u64) -> SysResult {
    sys_openat(AT_FDCWD as u64, path, flags, mode)
}

pub fn sys_openat(dirfd: u64, path_ptr: u64, flags: u64, _mode: u64) -> SysResult {
    let process = thread::current_process().ok_or(EBADF)?;
    let mut raw = Vec::new();
    match uaccess::strncpy_from_user(path_ptr, path::PATH_MAX, &mut raw)? {
        Some(()) => {}
        None => return Err(ENAMETOOLONG),
    }
    let base = if raw.first() == Some(&b'/') || dirfd as i64 == AT_FDCWD {
        process.cwd.lock().clone()
    } else {
        let dir = process.files()?.lock().get(dirfd)?;
        match &dir.kind {
            FileKind::Dir(inode) => inode.path.clone(),
            _ => return Err(ENOTDIR),
        }
    };
    let path = path::normalize(&base, &raw)?;
    // As on every 64-bit Linux (force_o_largefile): F_GETFL shows it.
    let flags = flags | O_LARGEFILE;
    let file = open_path(&path, flags, process.pid)?;
    process
        .files()?
        .lock()
        .install(file, flags & abi::fcntl::O_CLOEXEC != 0)
}

/// Opens a normalised path: /proc files, or the initramfs (read-only).
fn open_path(path: &str, flags: u64, self_pid: u32) -> Result<alloc::sync::Arc<OpenFile>, Errno> {
    let access = flags & O_ACCMODE;
    if let Some(rest) = path.strip_prefix("/proc/") {
        return fs::procfs::open(rest, self_pid, access);
    }
    let Some(inode) = fs::lookup(path) else {
        return Err(if flags & O_CREAT != 0 { EROFS } else { ENOENT });
    };
    if inode.is_dir {
        if access != O_RDONLY {
            return Err(EISDIR);
        }
        return OpenFile::new(FileKind::Dir(inode), flags);
    }
    if flags & O_DIRECTORY != 0 {
        return Err(ENOTDIR);
    }
    if access == O_WRONLY || access == O_RDWR || flags & O_TRUNC != 0 {
        return Err(EROFS); // the initramfs is a read-only file system here
    }
    if access == O_ACCMODE {
        return Err(EINVAL);
    }
    OpenFile::new(FileKind::Regular(inode), flags)
}
