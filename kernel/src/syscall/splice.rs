//! splice, tee and vmsplice (Linux's fs/splice.c), with Linux's checks in its order. Data moves
//! through a kernel buffer a page at a time (Linux moves page references; what a reader sees is
//! the same, except that vmsplice copies the caller's bytes at the call: a program that changes
//! its buffer afterwards, which Linux's man page tells it not to do, sees its old bytes arrive).

use abi::fcntl::O_APPEND;

use super::{
    SysResult,
    errno::*,
    read_write::{UserBufs, end_pos, fget, kernel_buffer, splice_file, start_pos},
};
use crate::{
    arch::uaccess,
    fs::{OpenFile, pipe::Pipe},
};

pub const SPLICE_F_MOVE: u64 = 1;
pub const SPLICE_F_NONBLOCK: u64 = 2;
pub const SPLICE_F_MORE: u64 = 4;
pub const SPLICE_F_GIFT: u64 = 8;
const SPLICE_F_ALL: u64 = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;

/// The most one call moves (Linux's MAX_RW_COUNT).
const MAX_RW_COUNT: u64 = 0x7fff_f000;
const PAGE: usize = 4096;

/// splice(fd_in, off_in, fd_out, off_out, len, flags): moves data from a pipe to a file or
/// socket, from a file to a pipe, or between two pipes. 0 for a zero length; EINVAL for an
/// unknown flag; EBADF; ESPIPE for an offset on a pipe's side; EFAULT for an unreadable
/// offset; EBADF unless the input reads and the output writes; EINVAL for neither side a pipe,
/// the same pipe on both, an output opened O_APPEND, an offset for a stream or a negative one.
pub fn sys_splice(
    fd_in: u64,
    off_in: u64,
    fd_out: u64,
    off_out: u64,
    len: u64,
    flags: u64,
) -> SysResult {
    let flags = flags as u32 as u64;
    if len == 0 {
        return Ok(0);
    }
    if flags & !SPLICE_F_ALL != 0 {
        return Err(EINVAL);
    }
    let (input, output) = (fget(fd_in)?, fget(fd_out)?);
    let (ipipe, opipe) = (input.pipe(), output.pipe());
    if (ipipe.is_some() && off_in != 0) || (opipe.is_some() && off_out != 0) {
        return Err(ESPIPE);
    }
    let offset = |ptr: u64| -> Result<Option<i64>, Errno> {
        Ok(match ptr {
            0 => None,
            ptr => Some(uaccess::read_user::<i64>(ptr)?),
        })
    };
    let (given_out, given_in) = (offset(off_out)?, offset(off_in)?);
    if !input.readable || !output.writable {
        return Err(EBADF);
    }
    let len = len.min(MAX_RW_COUNT) as usize;
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    match (ipipe, opipe) {
        (Some(i), Some(o)) => {
            if core::ptr::eq(i, o) {
                return Err(EINVAL);
            }
            let nonblock = nonblock || input.nonblock() || output.nonblock();
            splice_pipe_to_pipe(i, o, len, nonblock).map(|n| n as u64)
        }
        (Some(pipe), None) => {
            if given_out.is_some() && output.is_stream() {
                return Err(EINVAL);
            }
            if output.flags() & O_APPEND != 0 {
                return Err(EINVAL);
            }
            let pos = start_pos(&output, given_out.map(|p| p as u64), len)?;
            let nonblock = nonblock || input.nonblock();
            let done = splice_from_pipe(pipe, &output, pos, len, nonblock)?;
            end_pos(&output, off_out, given_out, pos + done as u64)?;
            Ok(done as u64)
        }
        (None, Some(_)) => {
            if given_in.is_some() && input.is_stream() {
                return Err(EINVAL);
            }
            let pos = start_pos(&input, given_in.map(|p| p as u64), len)?;
            let done = splice_file(&input, pos, &output, len, nonblock)?;
            // splice_file moved nothing of the input's own: the offset or position moves here.
            end_pos(&input, off_in, given_in, pos + done as u64)?;
            Ok(done as u64)
        }
        (None, None) => Err(EINVAL),
    }
}

/// A pipe's data into a file or socket (Linux's iter_file_splice_write): waits for data (0 at
/// end of file, EAGAIN when `nonblock`), then writes what the pipe holds, up to `len` bytes,
/// without waiting again.
fn splice_from_pipe(
    pipe: &Pipe,
    output: &OpenFile,
    pos: u64,
    len: usize,
    nonblock: bool,
) -> Result<usize, Errno> {
    if !pipe.wait_for_data(nonblock)? {
        return Ok(0);
    }
    let mut buf = kernel_buffer(len.min(PAGE))?;
    let mut done = 0;
    while done < len && pipe.unread() > 0 {
        let want = (len - done).min(PAGE);
        let n = pipe.read(&mut buf[..want], true)?;
        let written = match output.write_at(pos + done as u64, &buf[..n]) {
            Ok((w, _)) => w,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += written;
        if written < n {
            break;
        }
    }
    if done > 0 {
        output.fsnotify_modify();
    }
    Ok(done)
}

/// One pipe's data into another (Linux's splice_pipe_to_pipe): waits for data in the input (0
/// at its end) and room in the output (EPIPE and SIGPIPE without a reader), then moves what fits,
/// up to `len` bytes.
fn splice_pipe_to_pipe(
    input: &Pipe,
    output: &Pipe,
    len: usize,
    nonblock: bool,
) -> Result<usize, Errno> {
    if !input.wait_for_data(nonblock)? {
        return Ok(0);
    }
    output.wait_for_space(nonblock)?;
    let mut buf = kernel_buffer(len.min(PAGE))?;
    let mut done = 0;
    while done < len && input.unread() > 0 && output.free_buffers() > 0 {
        let want = (len - done).min(PAGE);
        let n = input.read(&mut buf[..want], true)?;
        output.splice_page(&buf[..n])?;
        done += n;
    }
    Ok(done)
}

/// tee(fd_in, fd_out, len, flags): copies up to `len` bytes from one pipe to another without
/// taking them from the first (Linux's do_tee and link_pipe). EINVAL for an unknown flag, 0 for a
/// zero length, EBADF, EBADF unless the input reads and the output writes, EINVAL unless both
/// are pipes and not the same one; waits for data (0 at end of file) and room (EPIPE and SIGPIPE
/// without a reader), EAGAIN when non-blocking.
pub fn sys_tee(fd_in: u64, fd_out: u64, len: u64, flags: u64) -> SysResult {
    let flags = flags as u32 as u64;
    if flags & !SPLICE_F_ALL != 0 {
        return Err(EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let (input, output) = (fget(fd_in)?, fget(fd_out)?);
    if !input.readable || !output.writable {
        return Err(EBADF);
    }
    let (Some(i), Some(o)) = (input.pipe(), output.pipe()) else {
        return Err(EINVAL);
    };
    if core::ptr::eq(i, o) {
        return Err(EINVAL);
    }
    let nonblock = flags & SPLICE_F_NONBLOCK != 0 || input.nonblock() || output.nonblock();
    if !i.wait_for_data(nonblock)? {
        return Ok(0);
    }
    o.wait_for_space(nonblock)?;
    let len = len.min(MAX_RW_COUNT) as usize;
    let room = o.free_buffers().saturating_mul(PAGE);
    let mut buf = kernel_buffer(len.min(room).min(i.unread()))?;
    let n = i.peek(&mut buf);
    let mut done = 0;
    while done < n {
        let piece = (n - done).min(PAGE);
        o.splice_page(&buf[done..done + piece])?;
        done += piece;
    }
    Ok(done as u64)
}

/// vmsplice(fd, iov, nr_segs, flags): the caller's buffers into a pipe open for writing (a
/// piece per page of the caller's memory, as many as the pipe has free buffers, after waiting
/// for one), or a pipe's data into them if it is open for reading only (Linux's
/// vmsplice_to_pipe and vmsplice_to_user). EINVAL for an unknown flag, EBADF for no descriptor
/// or not a pipe, the iovecs' errors, 0 if they hold nothing.
pub fn sys_vmsplice(fd: u64, iov: u64, nr_segs: u64, flags: u64) -> SysResult {
    let flags = flags as u32 as u64;
    if flags & !SPLICE_F_ALL != 0 {
        return Err(EINVAL);
    }
    let file = fget(fd)?;
    if !file.writable && !file.readable {
        return Err(EBADF);
    }
    let mut bufs = UserBufs::import(iov, nr_segs)?;
    if bufs.total() == 0 {
        return Ok(0);
    }
    let pipe = file.pipe().ok_or(EBADF)?;
    let nonblock = flags & SPLICE_F_NONBLOCK != 0 || file.nonblock();
    let mut page = kernel_buffer(PAGE)?;
    let mut done = 0;
    if file.writable {
        pipe.wait_for_space(nonblock)?;
        while done < bufs.total() && pipe.free_buffers() > 0 {
            let n = bufs.in_one_page(PAGE);
            let (got, result) = bufs.copy_in(&mut page[..n]);
            if got > 0 {
                pipe.splice_page(&page[..got])?;
                done += got;
            }
            if let Err(e) = result {
                return if done > 0 { Ok(done as u64) } else { Err(e) };
            }
        }
    } else {
        if !pipe.wait_for_data(nonblock)? {
            return Ok(0);
        }
        while done < bufs.total() && pipe.unread() > 0 {
            let n = (bufs.total() - done).min(PAGE);
            let n = pipe.read(&mut page[..n], true)?;
            let (copied, result) = bufs.copy_out(&page[..n]);
            done += copied;
            if let Err(e) = result {
                return if done > 0 { Ok(done as u64) } else { Err(e) };
            }
        }
    }
    Ok(done as u64)
}
