//! Descriptors (Linux's fs/file.c, fs/fcntl.c, fs/pipe.c's do_pipe2): close, close_range, dup,
//! dup2, dup3, fcntl, pipe, pipe2, and the ioctls every file answers (FIOCLEX, FIONCLEX,
//! FIONBIO, FIONREAD).
//!
//! A file dropped from a table (close, dup2 over it) is dropped only once the table is unlocked:
//! the last reference to a pipe end closes that end, which wakes the pipe's sleepers.

use abi::{
    fcntl::{
        F_ADD_SEALS, F_DUPFD, F_DUPFD_CLOEXEC, F_GET_SEALS, F_GETFD, F_GETFL, F_GETPIPE_SZ,
        F_SETFD, F_SETFL, FASYNC, FD_CLOEXEC, O_APPEND, O_CLOEXEC, O_DIRECT, O_EXCL, O_NOATIME,
        O_NONBLOCK, O_RDONLY, O_WRONLY,
    },
    termios::{FIOCLEX, FIONBIO, FIONCLEX, FIONREAD},
};

use super::{
    SysResult,
    errno::*,
    read_write::{current_files, fget},
};
use crate::{
    arch::uaccess,
    fs::{
        FileKind, OpenFile,
        file::nofile_limit,
        pipe::{PIPE_SIZE, Pipe},
    },
};

/// close_range's flags (linux/close_range.h).
const CLOSE_RANGE_UNSHARE: u64 = 1 << 1;
const CLOSE_RANGE_CLOEXEC: u64 = 1 << 2;

/// The status flags F_SETFL may change (Linux's SETFL_MASK).
const SETFL_MASK: u64 = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME;

/// pipe2's O_NOTIFICATION_PIPE (a watch-queue pipe): the same bit as O_EXCL.
const O_NOTIFICATION_PIPE: u64 = O_EXCL;

/// close(fd). Closing a socket descriptor while descriptors are in flight also runs the
/// collector of unreachable sockets (see [`crate::net::garbage`]): the descriptor may have been
/// the last one outside a cycle of messages.
pub fn sys_close(fd: u64) -> SysResult {
    let closed = current_files()?.lock().close(fd)?;
    let socket = closed.file.unix_socket().is_some();
    drop(closed);
    if socket {
        crate::net::garbage::unix_gc();
    }
    Ok(0)
}

/// close_range(first, last, flags): closes every open descriptor in `first..=last`, or with
/// CLOSE_RANGE_CLOEXEC marks them close-on-exec. CLOSE_RANGE_UNSHARE asks for a private table
/// first; each process's table is already its own here (no CLONE_FILES yet).
pub fn sys_close_range(first: u64, last: u64, flags: u64) -> SysResult {
    let (first, last) = (first as u32 as u64, last as u32 as u64);
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(EINVAL);
    }
    let files = current_files()?;
    let mut next = first;
    while next <= last {
        let mut table = files.lock();
        let Some(fd) = table.next_open(next, last) else {
            break;
        };
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            table.set_cloexec(fd, true)?;
        } else {
            let closed = table.close(fd);
            drop(table);
            drop(closed);
        }
        next = fd + 1;
    }
    Ok(0)
}

/// dup(fd): the lowest free descriptor, for the same open file.
pub fn sys_dup(fd: u64) -> SysResult {
    let files = current_files()?;
    let mut table = files.lock();
    let file = table.get(fd)?;
    table.install(file, false)
}

/// dup2(old, new): dup3 without flags, except that dup2(fd, fd) returns fd if it is open.
pub fn sys_dup2(old: u64, new: u64) -> SysResult {
    if old as u32 == new as u32 {
        fget(old)?;
        return Ok(old as u32 as u64);
    }
    sys_dup3(old, new, 0)
}

/// dup3(old, new, flags): makes `new` refer to `old`'s open file, closing what `new` was in
/// the same step. EINVAL for flags other than O_CLOEXEC or equal descriptors, EBADF for a `new`
/// at or above the limit or a closed `old` (checked in that order, as Linux does).
pub fn sys_dup3(old: u64, new: u64, flags: u64) -> SysResult {
    let (old, new, flags) = (old as u32 as u64, new as u32 as u64, flags as u32 as u64);
    if flags & !O_CLOEXEC != 0 || old == new {
        return Err(EINVAL);
    }
    if new >= nofile_limit() as u64 {
        return Err(EBADF);
    }
    let files = current_files()?;
    let mut table = files.lock();
    let file = table.get(old)?;
    let replaced = table.replace(new as usize, file, flags & O_CLOEXEC != 0)?;
    drop(table);
    drop(replaced);
    Ok(new)
}

/// fcntl(fd, cmd, arg): F_DUPFD and F_DUPFD_CLOEXEC (the lowest free descriptor >= arg, of which
/// only the low 32 bits count; EINVAL when it is at or above the limit), F_GETFD/F_SETFD (FD_CLOEXEC), F_GETFL/F_SETFL (see
/// [`setfl`]), F_GETPIPE_SZ, F_ADD_SEALS and F_GET_SEALS ([`super::memfd`]). Other commands (locks, owners, leases, F_SETPIPE_SZ) are not
/// implemented and fail with EINVAL, Linux's answer to a command it does not know.
pub fn sys_fcntl(fd: u64, cmd: u64, arg: u64) -> SysResult {
    let files = current_files()?;
    let file = files.lock().get(fd)?;
    // Linux's do_fcntl passes most commands the argument as an unsigned int.
    let argi = arg as u32 as u64;
    match cmd as u32 as u64 {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let arg = argi;
            if arg >= nofile_limit() as u64 {
                return Err(EINVAL);
            }
            let cloexec = cmd as u32 as u64 == F_DUPFD_CLOEXEC;
            files.lock().install_from(file, cloexec, arg as usize)
        }
        F_GETFD => Ok(if files.lock().cloexec(fd)? {
            FD_CLOEXEC
        } else {
            0
        }),
        F_SETFD => files
            .lock()
            .set_cloexec(fd, argi & FD_CLOEXEC != 0)
            .map(|()| 0),
        F_GETFL => Ok(file.flags()),
        F_SETFL => setfl(&file, argi).map(|()| 0),
        F_GETPIPE_SZ => file.pipe().map(|_| PIPE_SIZE as u64).ok_or(EBADF),
        F_ADD_SEALS => super::memfd::add_seals(&file, argi),
        F_GET_SEALS => super::memfd::get_seals(&file),
        _ => Err(EINVAL),
    }
}

/// F_SETFL (Linux's setfl): changes O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT and O_NOATIME and
/// ignores the other bits. O_DIRECT is refused (EINVAL) except on pipes, where it is packet mode:
/// none of the other files here can do direct I/O. O_ASYNC is recorded; no SIGIO is sent yet.
fn setfl(file: &OpenFile, arg: u64) -> Result<(), Errno> {
    if arg & O_DIRECT != 0 && file.pipe().is_none() {
        return Err(EINVAL);
    }
    file.set_flags(arg, SETFL_MASK);
    Ok(())
}

/// pipe(fds): pipe2 without flags.
pub fn sys_pipe(fds: u64) -> SysResult {
    sys_pipe2(fds, 0)
}

/// pipe2(fds, flags): a new pipe, its read end at fds[0] and its write end at fds[1], the two
/// lowest free descriptors. Flags: O_CLOEXEC, O_NONBLOCK (on both ends), O_DIRECT (packet
/// mode); O_NOTIFICATION_PIPE fails with ENOPKG, as on a kernel built without watch queues. If
/// the two ints cannot be stored, both descriptors are closed again: EFAULT.
pub fn sys_pipe2(fds: u64, flags: u64) -> SysResult {
    let flags = flags as u32 as u64; // an int
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE) != 0 {
        return Err(EINVAL);
    }
    if flags & O_NOTIFICATION_PIPE != 0 {
        return Err(ENOPKG);
    }
    let (read, write) = Pipe::create()?;
    // O_DIRECT (packet mode) is the writer's: Linux's create_pipe_files gives the read end only
    // O_NONBLOCK (a read takes one packet whatever its file's flags).
    let read = OpenFile::new(FileKind::Pipe(read), O_RDONLY | (flags & O_NONBLOCK))?;
    let write = OpenFile::new(
        FileKind::Pipe(write),
        O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)),
    )?;
    let cloexec = flags & O_CLOEXEC != 0;
    let files = current_files()?;
    let (rfd, wfd) = {
        let mut table = files.lock();
        let rfd = table.install(read, cloexec)?;
        match table.install(write, cloexec) {
            Ok(wfd) => (rfd, wfd),
            Err(e) => {
                let undone = table.close(rfd);
                drop(table);
                drop(undone);
                return Err(e);
            }
        }
    };
    if uaccess::write_user(fds, &[rfd as i32, wfd as i32]).is_err() {
        let mut table = files.lock();
        let undone = (table.close(rfd), table.close(wfd));
        drop(table);
        drop(undone);
        return Err(EFAULT);
    }
    Ok(0)
}

/// ioctl(fd, request, arg): the requests Linux's do_vfs_ioctl answers for every file (FIOCLEX,
/// FIONCLEX, FIONBIO, and FIONREAD for regular files: the bytes from the position to the end),
/// and FIONREAD on pipes (the bytes waiting). The console is not a terminal here (as for
/// output to a pipe), so terminal requests get ENOTTY, and so does anything else.
pub fn sys_ioctl(fd: u64, request: u64, arg: u64) -> SysResult {
    let files = current_files()?;
    let file = files.lock().get(fd)?;
    match request as u32 as u64 {
        FIOCLEX | FIONCLEX => files
            .lock()
            .set_cloexec(fd, request as u32 as u64 == FIOCLEX)
            .map(|()| 0),
        FIONBIO => {
            let on: i32 = uaccess::read_user(arg)?;
            let flags = if on != 0 { O_NONBLOCK } else { 0 };
            file.set_flags(flags, O_NONBLOCK);
            Ok(0)
        }
        // The console's own requests (and its FIONREAD) are the terminal's.
        _ if matches!(file.kind, FileKind::Console) => {
            crate::tty::ioctl(request as u32 as u64, arg)
        }
        FIONREAD => {
            // An int: past the end of a regular file it is negative, as Linux computes it.
            let unread = match &file.kind {
                FileKind::Pipe(end) => end.pipe.unread() as i64,
                // SIOCINQ, the same request (Linux's unix_ioctl).
                FileKind::Socket(sock) => sock.0.inq_len()? as i64,
                FileKind::Regular(inode) => (inode.size() as i64).wrapping_sub(file.pos() as i64),
                FileKind::Inotify(group) => group.unread() as i64,
                _ => return Err(ENOTTY),
            };
            uaccess::write_user(arg, &(unread as i32))?;
            Ok(0)
        }
        _ => Err(ENOTTY),
    }
}

/// flock(fd, op): LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB not to wait (see [`crate::fs::flock`]).
/// Linux's checks in its order: EINVAL for another operation, EBADF for a bad descriptor (or,
/// except for LOCK_UN, one opened for neither reading nor writing). LOCK_MAND, which Linux no
/// longer honours, does nothing. Files without an inode here (pipes, the console, epoll and
/// eventfd descriptors) cannot be locked: EINVAL.
pub fn sys_flock(fd: u64, op: u64) -> SysResult {
    const LOCK_SH: u64 = 1;
    const LOCK_EX: u64 = 2;
    const LOCK_NB: u64 = 4;
    const LOCK_UN: u64 = 8;
    const LOCK_MAND: u64 = 32;
    let op = op as u32 as u64;
    let kind = op & !LOCK_NB;
    if op & LOCK_MAND != 0 {
        return Ok(0);
    }
    if kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN {
        return Err(EINVAL);
    }
    let file = current_files()?.lock().get(fd)?;
    if kind != LOCK_UN && !file.readable && !file.writable {
        return Err(EBADF);
    }
    let inode = file.lock_inode().ok_or(EINVAL)?;
    let owner = file.lock_owner();
    if kind == LOCK_UN {
        inode.locks.unlock(owner);
        return Ok(0);
    }
    inode
        .locks
        .lock(owner, kind == LOCK_EX, op & LOCK_NB != 0)
        .map(|()| 0)
}
