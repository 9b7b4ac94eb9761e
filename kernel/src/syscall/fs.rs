//! File system calls on open files: open, openat, ftruncate, truncate, fsync, fdatasync,
//! getdents64 (Linux's fs/open.c, fs/readdir.c). Reading and writing are in
//! [`super::read_write`], descriptors in [`super::fd`], path calls in [`super::namei`].

use abi::{
    dirent::{
        DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN, linux_dirent64,
    },
    fcntl::{AT_FDCWD, O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_TRUNC},
    stat::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK},
};
use alloc::{string::String, sync::Arc, vec::Vec};

use super::{
    SysResult,
    errno::*,
    namei::{apply_umask, copy_path, fd_file, lookup_at, start_dir},
};
use crate::{
    arch::uaccess,
    fs::dev::Device,
    fs::{
        FileKind, Inode, InodeKind, OpenFile,
        dir::FIRST_COOKIE,
        inode::MAX_FILE_SIZE,
        inotify, namei,
        procfs::{self, ProcNode},
        vfs,
    },
    thread,
};

pub fn sys_open(path: u64, flags: u64, mode: u64) -> SysResult {
    sys_openat(AT_FDCWD as u64, path, flags, mode)
}

/// openat (Linux's do_sys_openat2): resolves the path, makes the file with O_CREAT, and opens it.
pub fn sys_openat(dirfd: u64, path_ptr: u64, flags: u64, mode: u64) -> SysResult {
    let path = copy_path(path_ptr)?;
    // As on every 64-bit Linux (force_o_largefile): F_GETFL shows it.
    let flags = flags | abi::fcntl::O_LARGEFILE;
    let file = do_open(dirfd, &path, flags, mode)?;
    let process = thread::current_process().ok_or(EBADF)?;
    process
        .files()?
        .lock()
        .install(file, flags & abi::fcntl::O_CLOEXEC != 0)
}

/// Finds or makes the file `path` names and opens it.
fn do_open(dirfd: u64, path: &[u8], flags: u64, mode: u64) -> Result<Arc<OpenFile>, Errno> {
    let start = start_dir(dirfd, path)?;
    let follow = flags & O_NOFOLLOW == 0;
    if flags & O_CREAT == 0 {
        let inode = namei::lookup(start, path, follow)?;
        return open_inode(inode, flags, false);
    }
    let mut parent = namei::lookup_parent(start, path)?;
    let mut links = 0;
    loop {
        return match parent.lookup() {
            Ok(_) if flags & O_EXCL != 0 => Err(EEXIST),
            Ok(inode) if inode.is_dir() || parent.trailing_slash => Err(EISDIR),
            Ok(inode) if follow && namei::link_target(&inode).is_some() => {
                // A final symlink is followed and its target made if missing, as Linux does:
                // open("link", O_CREAT) through a dangling link creates the file it names.
                links += 1;
                if links > namei::MAXSYMLINKS {
                    return Err(ELOOP);
                }
                let target = namei::link_target(&inode).ok_or(ELOOP)??;
                parent = namei::lookup_parent(parent.dir.clone(), &target)?;
                continue;
            }
            Ok(inode) => open_inode(inode, flags, false),
            Err(ENOENT) if parent.trailing_slash => Err(EISDIR),
            Err(ENOENT) => {
                let mode = S_IFREG | apply_umask(mode & 0o7777)?;
                let inode = vfs::create(&parent, InodeKind::Regular, mode)?;
                open_inode(inode, flags, true)
            }
            Err(e) => Err(e),
        };
    }
}

/// Opens a found inode with open's flags (may_open, then the file's open): directories only for
/// reading, O_DIRECTORY only for directories, a symlink reached with O_NOFOLLOW is ELOOP, O_TRUNC
/// empties a regular file that was not just made.
fn open_inode(inode: Arc<Inode>, flags: u64, created: bool) -> Result<Arc<OpenFile>, Errno> {
    let file = open_file(inode, flags)?;
    // Linux's fsnotify_open (from do_dentry_open), then O_TRUNC (do_open's handle_truncate).
    if let FileKind::Regular(inode) | FileKind::Dir(inode) = &file.kind {
        inotify::fsnotify_file(inode, inotify::IN_OPEN);
    }
    if let FileKind::Regular(inode) = &file.kind
        && flags & O_TRUNC != 0
        && !created
    {
        do_truncate(inode, 0)?;
    }
    Ok(file)
}

/// The open file for `inode` (Linux's do_dentry_open and the file systems' open methods).
fn open_file(inode: Arc<Inode>, flags: u64) -> Result<Arc<OpenFile>, Errno> {
    let access = flags & O_ACCMODE;
    if namei::link_target(&inode).is_some() {
        return Err(ELOOP);
    }
    if flags & O_DIRECTORY != 0 && !inode.is_dir() {
        return Err(ENOTDIR);
    }
    if inode.is_dir() {
        if access != O_RDONLY || flags & O_CREAT != 0 {
            return Err(EISDIR);
        }
        return OpenFile::new(FileKind::Dir(inode), flags);
    }
    match &inode.kind {
        InodeKind::Regular => OpenFile::new(FileKind::Regular(inode.clone()), flags),
        // The terminal devices are the console's tty: its line discipline, settings and poll.
        InodeKind::CharDevice(Device::Tty | Device::Console) => {
            OpenFile::new(FileKind::Console, flags)
        }
        InodeKind::CharDevice(device) => {
            OpenFile::new(FileKind::Device(*device, inode.clone()), flags)
        }
        InodeKind::Proc(ProcNode::File(file)) => procfs::open(*file, flags),
        // Another end of a pipe, through /proc/PID/fd/N (Linux's fifo_open on the pipe's inode,
        // which never waits: the pipe has both ends already).
        InodeKind::Pipe(pipe) => {
            let (reads, writes) = pipe_access(access)?;
            let end = crate::fs::pipe::PipeEnd::open(pipe, reads, writes);
            OpenFile::new(FileKind::Pipe(end), flags)
        }
        InodeKind::Fifo(slot) => {
            let (reads, writes) = pipe_access(access)?;
            let nonblock = flags & abi::fcntl::O_NONBLOCK != 0;
            let end = crate::fs::pipe::fifo_open(slot, reads, writes, nonblock)?;
            OpenFile::new(FileKind::Pipe(end), flags)
        }
        _ => Err(ENXIO),
    }
}

/// The sides of a pipe an open's access mode asks for (reads, writes); EINVAL for the fourth
/// mode, as fifo_open answers.
fn pipe_access(access: u64) -> Result<(bool, bool), Errno> {
    match access {
        O_RDONLY => Ok((true, false)),
        abi::fcntl::O_WRONLY => Ok((false, true)),
        abi::fcntl::O_RDWR => Ok((true, true)),
        _ => Err(EINVAL),
    }
}

/// ftruncate: sets the size of a regular file open for writing (EINVAL otherwise, as Linux).
pub fn sys_ftruncate(fd: u64, length: u64) -> SysResult {
    if (length as i64) < 0 {
        return Err(EINVAL);
    }
    let file = fd_file(fd)?;
    match &file.kind {
        FileKind::Regular(inode) if file.writable => inode.truncate(length).map(|()| 0),
        _ => Err(EINVAL),
    }
}

pub const FALLOC_FL_KEEP_SIZE: u64 = 0x01;
pub const FALLOC_FL_PUNCH_HOLE: u64 = 0x02;
pub const FALLOC_FL_COLLAPSE_RANGE: u64 = 0x08;
pub const FALLOC_FL_ZERO_RANGE: u64 = 0x10;
pub const FALLOC_FL_INSERT_RANGE: u64 = 0x20;
pub const FALLOC_FL_UNSHARE_RANGE: u64 = 0x40;
pub const FALLOC_FL_WRITE_ZEROES: u64 = 0x80;

/// fallocate(fd, mode, offset, len) (Linux's vfs_fallocate, then tmpfs's shmem_fallocate): mode
/// 0 gives the range memory and grows the file to cover it, FALLOC_FL_KEEP_SIZE only gives the
/// memory, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE makes the range a hole. Linux's checks in
/// its order: EINVAL for a negative offset or a length not above 0, EOPNOTSUPP for an unknown
/// mode or a combination Linux refuses, EBADF unless open for writing, ESPIPE for a pipe, ENODEV
/// for what is not a regular file, EFBIG past the largest file, and EOPNOTSUPP for the modes
/// tmpfs does not have (zero range, collapse, insert, unshare, write zeroes) and for /proc.
pub fn sys_fallocate(fd: u64, mode: u64, offset: u64, len: u64) -> SysResult {
    let mode = mode as u32 as u64;
    let (offset, len) = (offset as i64, len as i64);
    if offset < 0 || len <= 0 {
        return Err(EINVAL);
    }
    let kinds = FALLOC_FL_PUNCH_HOLE
        | FALLOC_FL_COLLAPSE_RANGE
        | FALLOC_FL_ZERO_RANGE
        | FALLOC_FL_INSERT_RANGE
        | FALLOC_FL_UNSHARE_RANGE
        | FALLOC_FL_WRITE_ZEROES;
    if mode & !(kinds | FALLOC_FL_KEEP_SIZE) != 0 {
        return Err(EOPNOTSUPP);
    }
    let keep_size = mode & FALLOC_FL_KEEP_SIZE != 0;
    match mode & kinds {
        0 | FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_ZERO_RANGE => {}
        FALLOC_FL_PUNCH_HOLE if keep_size => {}
        FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_WRITE_ZEROES
            if !keep_size => {}
        _ => return Err(EOPNOTSUPP),
    }
    let file = fd_file(fd)?;
    if !file.writable {
        return Err(EBADF);
    }
    let inode = match &file.kind {
        FileKind::Pipe(_) => return Err(ESPIPE),
        FileKind::Dir(_) => return Err(EISDIR),
        FileKind::Regular(inode) => inode,
        FileKind::Proc(..) => return Err(EOPNOTSUPP),
        _ => return Err(ENODEV),
    };
    let (offset, len) = (offset as u64, len as u64);
    if offset
        .checked_add(len)
        .is_none_or(|end| end > MAX_FILE_SIZE)
    {
        return Err(EFBIG);
    }
    match mode & kinds {
        0 => inode.fallocate(keep_size, offset, len),
        FALLOC_FL_PUNCH_HOLE => inode.punch_hole(offset, len),
        _ => Err(EOPNOTSUPP),
    }
    .map(|()| 0)
}

/// truncate: sets the size of the regular file `path` names.
pub fn sys_truncate(path: u64, length: u64) -> SysResult {
    if (length as i64) < 0 {
        return Err(EINVAL);
    }
    let path = copy_path(path)?;
    let inode = lookup_at(AT_FDCWD as u64, &path, true, 0)?;
    if inode.is_dir() {
        return Err(EISDIR);
    }
    if !inode.is_regular() {
        return Err(EINVAL);
    }
    do_truncate(&inode, length).map(|()| 0)
}

/// Truncation through a path or O_TRUNC (Linux's do_truncate under get_write_access): ETXTBSY
/// while the file runs as a program.
fn do_truncate(inode: &Inode, length: u64) -> Result<(), Errno> {
    inode.get_write_access()?;
    let result = inode.truncate(length);
    inode.put_write_access();
    result
}

/// fsync and fdatasync: the file system lives in memory, so there is nothing to write back; files
/// that cannot be synced (devices, the console, /proc) are EINVAL, as on Linux.
pub fn sys_fsync(fd: u64) -> SysResult {
    let file = fd_file(fd)?;
    match &file.kind {
        FileKind::Regular(_) | FileKind::Dir(_) => Ok(0),
        _ => Err(EINVAL),
    }
}

/// sync(): nothing to write back (the file system is memory); always succeeds, as Linux's.
pub fn sys_sync() -> SysResult {
    Ok(0)
}

/// syncfs(fd): as sync, for the file system of `fd` (EBADF for a bad one).
pub fn sys_syncfs(fd: u64) -> SysResult {
    fd_file(fd)?;
    Ok(0)
}

/// creat(path, mode): open(path, O_CREAT | O_WRONLY | O_TRUNC, mode).
pub fn sys_creat(path: u64, mode: u64) -> SysResult {
    use abi::fcntl::O_WRONLY;
    sys_open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)
}

/// The d_type of an inode.
fn d_type(inode: &Inode) -> u8 {
    match inode.file_type() {
        S_IFDIR => DT_DIR,
        S_IFREG => DT_REG,
        S_IFLNK => DT_LNK,
        S_IFCHR => DT_CHR,
        S_IFBLK => DT_BLK,
        S_IFIFO => DT_FIFO,
        S_IFSOCK => DT_SOCK,
        _ => DT_UNKNOWN,
    }
}

/// A getdents64 buffer being filled: records of `linux_dirent64` and the name with its NUL.
struct DirentBuf {
    bytes: Vec<u8>,
    limit: usize,
}

impl DirentBuf {
    /// Adds a record; false if it does not fit.
    fn push(&mut self, ino: u64, next: u64, dtype: u8, name: &[u8]) -> bool {
        let reclen = linux_dirent64::reclen(name.len());
        if self.bytes.len() + reclen > self.limit {
            return false;
        }
        let start = self.bytes.len();
        self.bytes.resize(start + reclen, 0);
        let record = &mut self.bytes[start..];
        record[0..8].copy_from_slice(&ino.to_le_bytes());
        record[8..16].copy_from_slice(&(next as i64).to_le_bytes());
        record[16..18].copy_from_slice(&(reclen as u16).to_le_bytes());
        record[18] = dtype;
        let at = linux_dirent64::NAME_OFFSET;
        record[at..at + name.len()].copy_from_slice(name);
        true
    }
}

/// getdents64: as many entries as fit from the directory position on ("." and ".." first), each
/// record's d_off the position after it. EINVAL if not even one fits.
pub fn sys_getdents64(fd: u64, dirp: u64, count: u64) -> SysResult {
    let file = fd_file(fd)?;
    let FileKind::Dir(dir) = &file.kind else {
        return Err(ENOTDIR);
    };
    let count = count as u32 as usize;
    uaccess::check_range(dirp, count)?;
    let limit = count.min(64 * 1024);
    let mut out = DirentBuf {
        bytes: Vec::new(),
        limit,
    };
    out.bytes.try_reserve_exact(limit).map_err(|_| ENOMEM)?;
    let mut pos = file.pos();
    if pos < FIRST_COOKIE {
        pos = list_dots(dir, pos, &mut out)?;
    }
    if pos >= FIRST_COOKIE {
        pos = list_entries(dir, pos, &mut out)?;
    }
    // Linux's iterate_dir: every listing is an access of the directory.
    inotify::fsnotify_file(dir, inotify::IN_ACCESS);
    uaccess::copy_to_user(dirp, &out.bytes)?;
    file.set_pos(pos);
    Ok(out.bytes.len() as u64)
}

/// What getdents64 does when a record does not fit: EINVAL if the buffer is still empty (it
/// cannot hold even one), else stop at `pos`.
fn stop(out: &DirentBuf, pos: u64) -> Result<u64, Errno> {
    if out.bytes.is_empty() {
        Err(EINVAL)
    } else {
        Ok(pos)
    }
}

/// Adds "." (position 0) and ".." (position 1) from `pos` on.
fn list_dots(dir: &Arc<Inode>, mut pos: u64, out: &mut DirentBuf) -> Result<u64, Errno> {
    if pos == 0 {
        if !out.push(dir.ino, 1, DT_DIR, b".") {
            return stop(out, pos);
        }
        pos = 1;
    }
    if !out.push(namei::parent(dir).ino, FIRST_COOKIE, DT_DIR, b"..") {
        return stop(out, pos);
    }
    Ok(FIRST_COOKIE)
}

/// Adds the entries of `dir` from `pos` on; returns the position after the last one added.
fn list_entries(dir: &Inode, mut pos: u64, out: &mut DirentBuf) -> Result<u64, Errno> {
    match &dir.kind {
        InodeKind::Directory(entries) => {
            let entries = entries.lock();
            for entry in entries.entries_from(pos) {
                let dtype = d_type(&entry.inode);
                if !out.push(entry.inode.ino, entry.cookie + 1, dtype, &entry.name) {
                    return stop(out, pos);
                }
                pos = entry.cookie + 1;
            }
        }
        InodeKind::Proc(node) => {
            let names: Vec<(String, u8)> = node.entries()?;
            let skip = pos.saturating_sub(FIRST_COOKIE) as usize;
            for (i, (name, dtype)) in names.iter().enumerate().skip(skip) {
                let next = FIRST_COOKIE + i as u64 + 1;
                // /proc's inode numbers are made up: stable per name is enough.
                let ino = 0x1000 + next;
                if !out.push(ino, next, *dtype, name.as_bytes()) {
                    return stop(out, pos);
                }
                pos = next;
            }
        }
        _ => return Err(ENOTDIR),
    }
    Ok(pos)
}
