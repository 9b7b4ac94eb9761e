//! Reading and writing (Linux's fs/read_write.c): read, write, readv, writev, pread64, pwrite64,
//! preadv, pwritev, lseek and sendfile.
//!
//! Every transfer goes through a kernel buffer ([`do_read`], [`do_write`]): no lock is ever held
//! while user memory is touched. Files with a position (regular and /proc files) are read a page
//! at a time until the request is met or the file ends; streams (the console, pipes) are read
//! once, as much as they have, since a second read could wait for more.

use abi::{
    fcntl::SEEK_HOLE,
    uio::{IOV_MAX, iovec},
};
use alloc::{sync::Arc, vec::Vec};

use super::{SysResult, errno::*};
use crate::{
    arch::uaccess,
    fs::{self, FileKind, Inode, OpenFile, pipe::PIPE_SIZE},
    thread,
};

/// The calling process's fd table.
pub fn current_files() -> Result<fs::SharedFdTable, Errno> {
    thread::current_process().ok_or(EBADF)?.files()
}

/// A new anonymous-inode file (epoll, eventfd, timerfd, signalfd) on the caller's lowest free
/// descriptor, as Linux's anon_inode_getfd: open for reading and writing, non-blocking with
/// O_NONBLOCK in `flags`, close-on-exec with O_CLOEXEC (the calls' *_CLOEXEC and *_NONBLOCK
/// flags are these).
pub fn install_anon(kind: fs::file::FileKind, flags: u64) -> SysResult {
    use abi::fcntl::{O_CLOEXEC, O_NONBLOCK, O_RDWR};
    let file = OpenFile::new(kind, O_RDWR | (flags & O_NONBLOCK))?;
    current_files()?
        .lock()
        .install(file, flags & O_CLOEXEC != 0)
}

/// The open file behind `fd` in the calling process.
pub fn fget(fd: u64) -> Result<Arc<OpenFile>, Errno> {
    current_files()?.lock().get(fd)
}

/// The most one call transfers (Linux's MAX_RW_COUNT: INT_MAX rounded down to a page).
const MAX_RW_COUNT: usize = 0x7fff_f000;

/// Bytes copied through a kernel buffer at a time for files with a position, and for writes (a
/// pipe takes a write a page at a time).
const CHUNK: usize = 4096;

/// The user buffers of one call, with a cursor (Linux's iov_iter): a single buffer for read and
/// write, a checked iovec array for the vectored calls.
pub(crate) struct UserBufs {
    iov: Vec<iovec>,
    index: usize,
    offset: u64,
    total: usize,
    /// An iovec array (readv, writev), not one buffer: a vectored call of nothing does nothing
    /// (Linux's do_iter_read), where read() asks the file.
    vectored: bool,
}

impl UserBufs {
    /// One buffer of `len` bytes at `base` (read, write); EFAULT if it is not user memory.
    pub(crate) fn single(base: u64, len: u64) -> Result<Self, Errno> {
        uaccess::check_range(base, len as usize)?;
        let len = len.min(MAX_RW_COUNT as u64);
        let mut iov = Vec::new();
        iov.try_reserve_exact(1).map_err(|_| ENOMEM)?;
        iov.push(iovec {
            iov_base: base,
            iov_len: len,
        });
        Ok(UserBufs {
            iov,
            index: 0,
            offset: 0,
            total: len as usize,
            vectored: false,
        })
    }

    /// The iovec array at `uvec` (Linux's import_iovec): [`read_iovecs`]' errors, then EFAULT
    /// for a buffer outside user memory. The total is cut to MAX_RW_COUNT, the last buffers
    /// shortened.
    pub(crate) fn import(uvec: u64, count: u64) -> Result<Self, Errno> {
        let mut iov = read_iovecs(uvec, count)?;
        let mut total = 0usize;
        for v in &mut iov {
            uaccess::check_range(v.iov_base, v.iov_len as usize)?;
            v.iov_len = v.iov_len.min((MAX_RW_COUNT - total) as u64);
            total += v.iov_len as usize;
        }
        Ok(UserBufs {
            iov,
            index: 0,
            offset: 0,
            total,
            vectored: true,
        })
    }

    /// The bytes of all the buffers.
    pub(super) fn total(&self) -> usize {
        self.total
    }

    /// How many of the next `max` bytes at the cursor lie in one page of the caller's memory: a
    /// copy that size either faults or does not, so copies cut to it count the bytes before a
    /// fault as Linux's byte-exact user copies do.
    pub(super) fn in_one_page(&mut self, max: usize) -> usize {
        self.next_piece(max).map_or(max, |(addr, len)| {
            let page = crate::mm::layout::PAGE_SIZE;
            len.min((page - addr % page) as usize)
        })
    }

    /// The next piece of user memory: address and length, at most `max` bytes.
    fn next_piece(&mut self, max: usize) -> Option<(u64, usize)> {
        while let Some(v) = self.iov.get(self.index) {
            if self.offset < v.iov_len {
                let len = ((v.iov_len - self.offset) as usize).min(max);
                return Some((v.iov_base + self.offset, len));
            }
            self.index += 1;
            self.offset = 0;
        }
        None
    }

    /// Copies `data` out to the buffers at the cursor, moving it (scatter). Returns the bytes
    /// copied, and EFAULT if a buffer was not writable: the pieces before it count, as Linux's
    /// copy_to_iter counts them.
    pub(super) fn copy_out(&mut self, mut data: &[u8]) -> (usize, Result<(), Errno>) {
        let mut done = 0;
        while !data.is_empty() {
            let Some((addr, len)) = self.next_piece(data.len()) else {
                break;
            };
            if uaccess::copy_to_user(addr, &data[..len]).is_err() {
                return (done, Err(EFAULT));
            }
            self.offset += len as u64;
            data = &data[len..];
            done += len;
        }
        (done, Ok(()))
    }

    /// How many of the next `max` bytes at the cursor lie in memory a write can fault in (areas
    /// with write permission, without a hole), without moving the cursor: what a pipe read may
    /// take out of the pipe (see [`Pipe::read_fit`](fs::pipe::Pipe::read_fit)).
    fn writable_prefix(&self, max: usize) -> usize {
        let Some(mm) = thread::current_process().and_then(|p| p.mm()) else {
            return 0;
        };
        let m = mm.lock();
        let (mut index, mut offset, mut fit) = (self.index, self.offset, 0usize);
        while fit < max {
            let Some(v) = self.iov.get(index) else { break };
            let len = (v.iov_len - offset).min((max - fit) as u64);
            let ok = m.writable_len(v.iov_base + offset, len);
            fit += ok as usize;
            if ok < len {
                break;
            }
            index += 1;
            offset = 0;
        }
        fit
    }

    /// Fills `buf` from the buffers at the cursor, moving it (gather). Returns the bytes copied,
    /// and EFAULT if a buffer was not readable (the pieces before it count).
    pub(super) fn copy_in(&mut self, buf: &mut [u8]) -> (usize, Result<(), Errno>) {
        let mut done = 0;
        while done < buf.len() {
            let Some((addr, len)) = self.next_piece(buf.len() - done) else {
                break;
            };
            if uaccess::copy_from_user(&mut buf[done..done + len], addr).is_err() {
                return (done, Err(EFAULT));
            }
            self.offset += len as u64;
            done += len;
        }
        (done, Ok(()))
    }
}

/// The iovec array at `uvec`, `count` entries (Linux's iovec_from_user), read one entry after
/// the other: EINVAL for more than IOV_MAX entries, EFAULT for an entry that cannot be read,
/// EINVAL for a length that is negative as an ssize_t. The buffers are not checked: they may be
/// another process's (process_vm_readv's remote side).
pub(super) fn read_iovecs(uvec: u64, count: u64) -> Result<Vec<iovec>, Errno> {
    // The count is an unsigned int: the high bits are dropped.
    let count = count as u32 as u64;
    if count > IOV_MAX {
        return Err(EINVAL);
    }
    let mut iov = Vec::new();
    iov.try_reserve_exact(count as usize).map_err(|_| ENOMEM)?;
    for i in 0..count {
        // An array running past the top of the address space is EFAULT, not an overflow.
        let entry = uvec
            .checked_add(i * size_of::<iovec>() as u64)
            .ok_or(EFAULT)?;
        let v = uaccess::read_user::<iovec>(entry)?;
        if (v.iov_len as i64) < 0 {
            return Err(EINVAL);
        }
        iov.push(v);
    }
    Ok(iov)
}

/// The socket layer's view of the user buffers (Linux's msg_iter over an iov_iter).
impl crate::net::MsgIter for UserBufs {
    fn remaining(&self) -> usize {
        let mut left = 0usize;
        for (i, v) in self.iov.iter().enumerate().skip(self.index) {
            let used = if i == self.index { self.offset } else { 0 };
            left += (v.iov_len - used) as usize;
        }
        left
    }

    fn fit(&self, max: usize) -> usize {
        self.writable_prefix(max)
    }

    fn copy_out(&mut self, data: &[u8]) -> Result<(), Errno> {
        self.copy_out(data).1
    }

    fn copy_in(&mut self, buf: &mut [u8]) -> Result<(), Errno> {
        let (got, result) = self.copy_in(buf);
        result?;
        if got < buf.len() { Err(EFAULT) } else { Ok(()) }
    }
}

/// A kernel buffer of `len` bytes; ENOMEM if memory ran out.
pub(super) fn kernel_buffer(len: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len).map_err(|_| ENOMEM)?;
    buf.resize(len, 0);
    Ok(buf)
}

/// Where a transfer starts: `at` (pread, pwrite, an offset given to sendfile or splice), or the
/// file position, which then moves by what was transferred. Streams have no position. EINVAL
/// when the transfer could pass the largest offset, a negative offset included (Linux's
/// rw_verify_area).
pub(super) fn start_pos(file: &OpenFile, at: Option<u64>, total: usize) -> Result<u64, Errno> {
    if file.is_stream() {
        return Ok(0);
    }
    let pos = at.unwrap_or_else(|| file.pos());
    match pos.checked_add(total as u64) {
        Some(end) if end <= i64::MAX as u64 => Ok(pos),
        // /proc/PID/mem's positions are addresses: past 2^63, only a wrap is refused.
        Some(_) if file.unsigned_offsets() => Ok(pos),
        None if file.unsigned_offsets() && (pos as i64) < 0 => Err(EOVERFLOW),
        _ => Err(EINVAL),
    }
}

/// After a transfer (sendfile, splice) that ended at `end`: an offset the caller gave at `ptr`
/// goes back there (EFAULT if it cannot), else the file's position moves (not a stream's).
pub(super) fn end_pos(
    file: &OpenFile,
    ptr: u64,
    given: Option<i64>,
    end: u64,
) -> Result<(), Errno> {
    match given {
        Some(_) => uaccess::write_user(ptr, &(end as i64))?,
        None if !file.is_stream() => file.set_pos(end),
        None => {}
    }
    Ok(())
}

/// Linux's vfs_read/vfs_readv: reads into `bufs` at `at` or the file position. Returns the bytes
/// that reached the user, or the error if none did; the position moves by exactly that much.
fn do_read(file: &OpenFile, bufs: &mut UserBufs, at: Option<u64>) -> SysResult {
    if !file.readable {
        return Err(EBADF);
    }
    // A read() of nothing still asks the file (Linux's vfs_read): the counters (eventfd,
    // timerfd, signalfd) want room for a whole record (EINVAL), epoll cannot be read (EINVAL),
    // inotify answers itself (EINVAL with an event waiting); the rest read nothing. A readv of
    // nothing does nothing.
    if bufs.total == 0 {
        use fs::FileKind::*;
        match &file.kind {
            Epoll(_) => return Err(EINVAL),
            _ if bufs.vectored => return Ok(0),
            EventFd(_) | TimerFd(_) | SignalFd(_) => return Err(EINVAL),
            Inotify(_) => {}
            _ => return Ok(0),
        }
    }
    let start = start_pos(file, at, bufs.total)?;
    let stream = file.is_stream();
    let mut chunk = kernel_buffer(bufs.total.min(if stream { PIPE_SIZE } else { CHUNK }))?;
    let mut done = 0usize;
    let mut result = Ok(());
    // At least one read, even of nothing (see above).
    let mut first = true;
    while first || done < bufs.total {
        first = false;
        let want = (bufs.total - done).min(chunk.len());
        // A pipe gives only what the reader's memory can take whole (Linux's pipe_read takes a
        // pipe buffer out only once it is copied); `more` bytes after them are copied anyway.
        let read = match file.pipe() {
            Some(pipe) => {
                let fit = bufs.writable_prefix(want);
                pipe.read_fit(&mut chunk[..want], file.nonblock(), fit)
            }
            None => file
                .read_at(start + done as u64, &mut chunk[..want])
                .map(|n| (n, 0)),
        };
        let (n, more) = match read {
            Ok(got) => got,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        if n == 0 && more == 0 {
            break;
        }
        // The bytes after the pipe buffers taken reach the user too (they fit), but do not count.
        let (copied, copy) = bufs.copy_out(&chunk[..n + more]);
        let copied = copied.min(n);
        if n == 0 {
            result = Err(EFAULT);
            break;
        }
        done += copied;
        if let Err(e) = copy {
            result = Err(e);
            break;
        }
        if stream || n < want {
            break;
        }
    }
    if at.is_none() && !stream {
        file.set_pos(start + done as u64);
    }
    if done > 0 {
        file.fsnotify_access();
    }
    match result {
        Err(e) if done == 0 => Err(e),
        _ => Ok(done as u64),
    }
}

/// Linux's vfs_write/vfs_writev: writes from `bufs` at `at` or the file position, a page at a
/// time. Returns the bytes written, or the error if none were (an error after some were, such as
/// EPIPE or EAGAIN from a pipe, ends the call with their count, as on Linux).
fn do_write(file: &OpenFile, bufs: &mut UserBufs, at: Option<u64>) -> SysResult {
    if !file.writable {
        return Err(EBADF);
    }
    if bufs.total == 0 {
        // A write() of nothing still reaches the file (Linux's vfs_write): clear_refs wants a
        // number (EINVAL); the rest write nothing. A writev of nothing does nothing.
        use fs::{FileKind::Proc, procfs::ProcFile::ClearRefs};
        if !bufs.vectored && matches!(file.kind, Proc(ClearRefs(_), _)) {
            return Err(EINVAL);
        }
        return Ok(0);
    }
    let start = start_pos(file, at, bufs.total)?;
    let stream = file.is_stream();
    let mut chunk = kernel_buffer(bufs.total.min(CHUNK))?;
    let (mut done, mut filled) = pipe_merge(file, bufs, &mut chunk)?;
    let mut result = Ok(());
    // Where the file position goes: past the last write (at the end of the file with O_APPEND).
    let mut end = start;
    while done < bufs.total {
        let want = (bufs.total - done).min(chunk.len());
        // What could be copied before a bad buffer is still written, then the call ends.
        let (got, copy) = bufs.copy_in(&mut chunk[filled..want]);
        let got = filled + got;
        filled = 0;
        if got == 0 && copy.is_err() {
            // Nothing could be read from the user: EFAULT (before the file says what it thinks
            // of an empty write, as eventfd's EINVAL would).
            result = copy;
            break;
        }
        let n = match file.write_at(start + done as u64, &chunk[..got]) {
            Ok((n, after)) => {
                end = after;
                n
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        done += n;
        if let Err(e) = copy {
            result = Err(e);
            break;
        }
        if n < got {
            break;
        }
    }
    if at.is_none() && !stream && done > 0 {
        file.set_pos(end);
    }
    if done > 0 {
        file.fsnotify_modify();
    }
    match result {
        Err(e) if done == 0 => Err(e),
        _ => Ok(done as u64),
    }
}

/// For a write to a pipe longer than a page and not a multiple of one, Linux's pipe_write
/// first puts its last partial page's worth of bytes (`len % PAGE_SIZE`, taken from the start
/// of the data) into the pipe's last buffer if they fit there, then writes whole pages. This
/// copies those bytes into `chunk` and tries: returns (bytes written, 0) if they merged, or
/// (0, bytes already in `chunk`) for the page-by-page loop to go on from.
fn pipe_merge(
    file: &OpenFile,
    bufs: &mut UserBufs,
    chunk: &mut [u8],
) -> Result<(usize, usize), Errno> {
    let Some(pipe) = file.pipe() else {
        return Ok((0, 0));
    };
    let rem = bufs.total % CHUNK;
    if bufs.total < CHUNK || rem == 0 {
        return Ok((0, 0));
    }
    let (got, copy) = bufs.copy_in(&mut chunk[..rem]);
    if copy.is_err() {
        // A bad buffer in the first piece: the loop writes what came and reports the fault.
        return Ok((0, got));
    }
    Ok(if pipe.write_merge(&chunk[..rem])? {
        (rem, 0)
    } else {
        (0, rem)
    })
}

pub fn sys_read(fd: u64, buf: u64, count: u64) -> SysResult {
    let file = readable(fget(fd)?)?;
    let mut bufs = UserBufs::single(buf, count)?;
    if file.unix_socket().is_some() {
        return super::socket::sock_read(&file, &mut bufs);
    }
    do_read(&file, &mut bufs, None)
}

pub fn sys_write(fd: u64, buf: u64, count: u64) -> SysResult {
    let file = writable(fget(fd)?)?;
    let mut bufs = UserBufs::single(buf, count)?;
    if file.unix_socket().is_some() {
        return super::socket::sock_write(&file, &mut bufs);
    }
    do_write(&file, &mut bufs, None)
}

/// readv(fd, iov, iovcnt): one read scattered over the buffers in turn.
pub fn sys_readv(fd: u64, iov: u64, iovcnt: u64) -> SysResult {
    let file = readable(fget(fd)?)?;
    let mut bufs = UserBufs::import(iov, iovcnt)?;
    if file.unix_socket().is_some() {
        return super::socket::sock_read(&file, &mut bufs);
    }
    do_read(&file, &mut bufs, None)
}

/// writev(fd, iov, iovcnt): one write gathered from the buffers in turn.
pub fn sys_writev(fd: u64, iov: u64, iovcnt: u64) -> SysResult {
    let file = writable(fget(fd)?)?;
    let mut bufs = UserBufs::import(iov, iovcnt)?;
    if file.unix_socket().is_some() {
        return super::socket::sock_write(&file, &mut bufs);
    }
    do_write(&file, &mut bufs, None)
}

/// The file, if it was opened for reading; EBADF before anything else is looked at (Linux's
/// vfs_read and vfs_readv check the mode first).
fn readable(file: Arc<OpenFile>) -> Result<Arc<OpenFile>, Errno> {
    if file.readable { Ok(file) } else { Err(EBADF) }
}

/// The file, if it was opened for writing; EBADF otherwise.
fn writable(file: Arc<OpenFile>) -> Result<Arc<OpenFile>, Errno> {
    if file.writable { Ok(file) } else { Err(EBADF) }
}

/// The file for a positioned transfer at `pos`: EINVAL for a negative offset, ESPIPE for a stream
/// (Linux's FMODE_PREAD/FMODE_PWRITE), in Linux's order.
fn positioned(fd: u64, pos: u64) -> Result<Arc<OpenFile>, Errno> {
    if (pos as i64) < 0 {
        return Err(EINVAL);
    }
    let file = fget(fd)?;
    if file.is_stream() {
        return Err(ESPIPE);
    }
    Ok(file)
}

/// pread64(fd, buf, count, pos): read at `pos`; the file position stays.
pub fn sys_pread64(fd: u64, buf: u64, count: u64, pos: u64) -> SysResult {
    let file = readable(positioned(fd, pos)?)?;
    do_read(&file, &mut UserBufs::single(buf, count)?, Some(pos))
}

/// pwrite64(fd, buf, count, pos): write at `pos`; the file position stays.
pub fn sys_pwrite64(fd: u64, buf: u64, count: u64, pos: u64) -> SysResult {
    let file = writable(positioned(fd, pos)?)?;
    do_write(&file, &mut UserBufs::single(buf, count)?, Some(pos))
}

/// preadv(fd, iov, iovcnt, pos_l, pos_h): readv at `pos_l` (on x86_64 the offset is the whole
/// of `pos_l`; `pos_h` is for 32-bit callers and ignored, as Linux's pos_from_hilo does).
pub fn sys_preadv(fd: u64, iov: u64, iovcnt: u64, pos: u64) -> SysResult {
    let file = readable(positioned(fd, pos)?)?;
    do_read(&file, &mut UserBufs::import(iov, iovcnt)?, Some(pos))
}

/// pwritev(fd, iov, iovcnt, pos_l, pos_h): writev at `pos_l`.
pub fn sys_pwritev(fd: u64, iov: u64, iovcnt: u64, pos: u64) -> SysResult {
    let file = writable(positioned(fd, pos)?)?;
    do_write(&file, &mut UserBufs::import(iov, iovcnt)?, Some(pos))
}

/// lseek(fd, offset, whence): moves the file position (see [`OpenFile::llseek`]); EINVAL for a
/// whence above SEEK_HOLE before anything else, ESPIPE on the console and pipes.
pub fn sys_lseek(fd: u64, offset: u64, whence: u64) -> SysResult {
    let file = fget(fd)?;
    // whence is an unsigned int.
    let whence = whence as u32 as u64;
    if whence > SEEK_HOLE {
        return Err(EINVAL);
    }
    let pos = file.llseek(offset as i64, whence)?;
    file.set_pos(pos);
    Ok(pos)
}

/// sendfile(out_fd, in_fd, offset, count): copies from a file with a position to any writable
/// file, without the bytes passing through user memory. With `offset`, reads from `*offset` and
/// stores the offset reached there, leaving in_fd's position; without, reads from and moves the
/// position. Into a pipe, like Linux's splice_file_to_pipe: waits for one free buffer, then fills
/// the free buffers and returns (so at most 64 KiB at a time), each piece ending at a page
/// boundary of the input, as page-cache pages do.
pub fn sys_sendfile(out_fd: u64, in_fd: u64, offset: u64, count: u64) -> SysResult {
    let given = if offset != 0 {
        Some(uaccess::read_user::<i64>(offset)?)
    } else {
        None
    };
    let input = fget(in_fd)?;
    if !input.readable {
        return Err(EBADF);
    }
    if input.pipe().is_some() {
        return Err(EINVAL); // a pipe has no splice_read
    }
    if given.is_some() && input.is_stream() {
        return Err(ESPIPE);
    }
    if (count as i64) < 0 {
        return Err(EINVAL);
    }
    let pos = start_pos(&input, given.map(|p| p as u64), count as usize)?;
    let count = count.min(MAX_RW_COUNT as u64) as usize;
    let output = fget(out_fd)?;
    if !output.writable {
        return Err(EBADF);
    }
    let done = splice_file(&input, pos, &output, count, false)?;
    end_pos(&input, offset, given, pos + done as u64)?;
    Ok(done as u64)
}

/// copy_file_range(fd_in, off_in, fd_out, off_out, len, flags) (Linux's vfs_copy_file_range
/// with the generic checks, in their order): EINVAL for flags, EBADF for a bad descriptor,
/// EFAULT for an unreadable offset; EISDIR for a directory, EINVAL for what is not a regular
/// file, EBADF unless the input reads and the output writes without O_APPEND; EOVERFLOW if an
/// offset plus `len` wraps; the copy stops at the input's end; EINVAL for ranges that overlap in
/// one file, then for a negative offset. With an offset pointer the offset moves, else the
/// position.
pub fn sys_copy_file_range(
    fd_in: u64,
    off_in: u64,
    fd_out: u64,
    off_out: u64,
    len: u64,
    flags: u64,
) -> SysResult {
    if flags as u32 != 0 {
        return Err(EINVAL);
    }
    let (input, output) = (fget(fd_in)?, fget(fd_out)?);
    let offset = |ptr: u64, file: &OpenFile| -> Result<i64, Errno> {
        match ptr {
            0 => Ok(file.pos() as i64),
            ptr => Ok(uaccess::read_user::<i64>(ptr)?),
        }
    };
    let (pos_in, pos_out) = (offset(off_in, &input)?, offset(off_out, &output)?);
    let (inode_in, inode_out) = match (&input.kind, &output.kind) {
        (FileKind::Dir(_), _) | (_, FileKind::Dir(_)) => return Err(EISDIR),
        (FileKind::Regular(a), FileKind::Regular(b)) => (a.clone(), b.clone()),
        _ => return Err(EINVAL),
    };
    if !input.readable || !output.writable || output.flags() & abi::fcntl::O_APPEND != 0 {
        return Err(EBADF);
    }
    // generic_copy_file_checks: offsets that wrap (as unsigned numbers), then the copy cut at
    // the input's end, then overlap within one file.
    if (pos_in as u64).checked_add(len).is_none() || (pos_out as u64).checked_add(len).is_none() {
        return Err(EOVERFLOW);
    }
    let size_in = inode_in.size() as i64;
    let count = if pos_in >= size_in {
        0
    } else {
        len.min(size_in.wrapping_sub(pos_in) as u64)
            .min(MAX_RW_COUNT as u64)
    };
    let count_i = count as i64;
    if Arc::ptr_eq(&inode_in, &inode_out)
        && pos_out.saturating_add(count_i) > pos_in
        && pos_out < pos_in.saturating_add(count_i)
    {
        return Err(EINVAL);
    }
    // rw_verify_area on both sides: no negative offset, no end past the largest offset.
    if pos_in < 0
        || pos_out < 0
        || pos_in.checked_add(count_i).is_none()
        || pos_out.checked_add(count_i).is_none()
    {
        return Err(EINVAL);
    }
    let (pos_in, pos_out) = (pos_in as u64, pos_out as u64);
    let done = copy_range(&inode_in, pos_in, &inode_out, pos_out, count as usize)?;
    if done > 0 {
        input.fsnotify_access();
        output.fsnotify_modify();
        let (end_in, end_out) = (pos_in + done as u64, pos_out + done as u64);
        match off_in {
            0 => input.set_pos(end_in),
            ptr => uaccess::write_user(ptr, &(end_in as i64))?,
        }
        match off_out {
            0 => output.set_pos(end_out),
            ptr => uaccess::write_user(ptr, &(end_out as i64))?,
        }
    }
    Ok(done as u64)
}

/// Copies `count` bytes of file data (Linux's splice fallback of copy_file_range): the bytes
/// copied, or the first error if none were.
fn copy_range(
    from: &Inode,
    pos_in: u64,
    to: &Inode,
    pos_out: u64,
    count: usize,
) -> Result<usize, Errno> {
    copy_pieces(
        pos_in,
        count,
        |at, buf| Ok(from.read(at, buf)),
        |done, buf| to.write(Some(pos_out + done as u64), buf).map(|(w, _)| w),
    )
}

/// The loop of sendfile, splice from a file and copy_file_range (Linux's
/// splice_direct_to_actor): reads `count` bytes from `pos` on, a piece ending at each page
/// boundary of the input, and hands each to `write` with the bytes done before it. Stops at
/// the input's end or a short write; an error ends the copy, and is the answer if nothing was
/// copied.
fn copy_pieces(
    pos: u64,
    count: usize,
    mut read: impl FnMut(u64, &mut [u8]) -> Result<usize, Errno>,
    mut write: impl FnMut(usize, &[u8]) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    let mut chunk = kernel_buffer(count.min(CHUNK))?;
    let mut done = 0usize;
    while done < count {
        let at = pos + done as u64;
        let to_page_end = CHUNK - (at % CHUNK as u64) as usize;
        let want = (count - done).min(to_page_end);
        let n = match read(at, &mut chunk[..want]) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let written = match write(done, &chunk[..n]) {
            Ok(w) => w,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += written;
        if written < n {
            break;
        }
        crate::sched::cond_resched();
    }
    Ok(done)
}

/// Copies up to `count` bytes from `input` at `pos` to `output`, a page-aligned piece at a time:
/// Linux's do_splice_direct for a file, splice_file_to_pipe for a pipe. Returns the bytes
/// copied, or the error if none were.
pub(super) fn splice_file(
    input: &OpenFile,
    pos: u64,
    output: &OpenFile,
    count: usize,
    nonblock: bool,
) -> Result<usize, Errno> {
    let pipe = output.pipe();
    if let Some(pipe) = pipe {
        pipe.wait_for_space(nonblock || output.nonblock())?;
    }
    let out_start = output.pos();
    let done = copy_pieces(
        pos,
        count,
        |at, buf| input.read_at(at, buf),
        |done, buf| match pipe {
            Some(pipe) => pipe.splice_page(buf),
            None => output
                .write_at(out_start + done as u64, buf)
                .map(|(n, _)| n),
        },
    )?;
    if !output.is_stream() {
        output.set_pos(out_start + done as u64);
    }
    if done > 0 {
        input.fsnotify_access();
        output.fsnotify_modify();
    }
    Ok(done)
}
