//! File system calls: read, write, open, openat, close.

use abi::{
    fcntl::{AT_FDCWD, O_ACCMODE, O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY},
    uio::{IOV_MAX, iovec},
};
use alloc::vec::Vec;

use super::{SysResult, errno::*};
use crate::{
    arch::uaccess,
    fs::{self, FileKind, OpenFile, path},
    thread,
};

/// The calling process's fd table.
fn current_files() -> Result<fs::SharedFdTable, Errno> {
    thread::current_process().ok_or(EBADF)?.files()
}

/// Largest chunk copied through a kernel buffer at a time.
const CHUNK: usize = 4096;

pub fn sys_read(fd: u64, buf: u64, count: u64) -> SysResult {
    let file = current_files()?.lock().get(fd)?;
    let count = count.min(i64::MAX as u64) as usize;
    uaccess::check_range(buf, count)?;
    let mut done = 0usize;
    let mut chunk = Vec::new();
    chunk
        .try_reserve_exact(CHUNK.min(count))
        .map_err(|_| ENOMEM)?;
    chunk.resize(CHUNK.min(count), 0);
    let start = file.pos();
    let mut result = Ok(());
    while done < count {
        let want = (count - done).min(CHUNK);
        let n = match file.read_at(start + done as u64, &mut chunk[..want]) {
            Ok(n) => n,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        if n == 0 {
            break;
        }
        if uaccess::copy_to_user(buf + done as u64, &chunk[..n]).is_err() {
            result = Err(EFAULT);
            break;
        }
        done += n;
        if n < want {
            break;
        }
    }
    // The position moves by what reached the user; Linux returns that much, or the error if
    // nothing did.
    file.set_pos(start + done as u64);
    match result {
        Err(e) if done == 0 => Err(e),
        _ => Ok(done as u64),
    }
}

pub fn sys_write(fd: u64, buf: u64, count: u64) -> SysResult {
    let file = current_files()?.lock().get(fd)?;
    if !file.writable {
        return Err(EBADF);
    }
    let count = count.min(i64::MAX as u64) as usize;
    uaccess::check_range(buf, count)?;
    let mut done = 0usize;
    let mut chunk = [0u8; 512];
    while done < count {
        let n = (count - done).min(chunk.len());
        if uaccess::copy_from_user(&mut chunk[..n], buf + done as u64).is_err() {
            return if done > 0 {
                Ok(done as u64)
            } else {
                Err(EFAULT)
            };
        }
        // The position moves by what was written; an error after some bytes were written returns
        // their count, as on Linux.
        let written = match file.write_at(file.pos(), &chunk[..n]) {
            Ok(written) => written,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        file.set_pos(file.pos() + written as u64);
        done += written;
        if written < n {
            break;
        }
    }
    Ok(done as u64)
}

pub fn sys_close(fd: u64) -> SysResult {
    current_files()?.lock().close(fd).map(|()| 0)
}

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

/// ioctl: the console answers the terminal requests ([`crate::tty::ioctl`]); other files answer
/// ENOTTY, as Linux does for requests a regular file does not know.
pub fn sys_ioctl(fd: u64, request: u64, arg: u64) -> SysResult {
    let file = current_files()?.lock().get(fd)?;
    match file.kind {
        FileKind::Console => crate::tty::ioctl(request as u32 as u64, arg),
        _ => Err(ENOTTY),
    }
}

/// writev(fd, iov, iovcnt): write for each buffer in turn; stops at the first short or failed write.
pub fn sys_writev(fd: u64, iov: u64, iovcnt: u64) -> SysResult {
    // Linux's import_iovec takes the count as an unsigned int: the high bits are dropped.
    let iovcnt = iovcnt as u32 as u64;
    if iovcnt > IOV_MAX {
        return Err(EINVAL);
    }
    let mut total = 0u64;
    for i in 0..iovcnt {
        // iov may be any value: an iovec past the top of the address space is EFAULT, not an
        // overflow.
        let entry = iov
            .checked_add(i * size_of::<iovec>() as u64)
            .ok_or(EFAULT)?;
        let iovec { iov_base, iov_len } = uaccess::read_user(entry)?;
        if iov_len == 0 {
            continue;
        }
        match sys_write(fd, iov_base, iov_len) {
            Ok(n) => {
                total += n;
                if n < iov_len {
                    break;
                }
            }
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(total)
}
