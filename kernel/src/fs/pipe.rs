//! Pipes (Linux's fs/pipe.c): a ring of up to 16 page-sized buffers (64 KiB), shared by a read end
//! and a write end.
//!
//! The buffers are kept the way Linux keeps them, because programs can see it: a write first tries
//! to append to the last buffer (if that one is not full and the write's length modulo the page
//! size fits in it), then fills fresh pages; the pipe is full when 16 buffers are in use, however
//! much each holds. So a pipe takes exactly 65536 bytes in page-sized or byte-sized writes, and
//! the same number of 1000-byte writes as on Linux (64). A write of at most PIPE_BUF (4096) bytes
//! lands in one buffer, so it is never interleaved with another writer's (POSIX atomicity).
//! A write file with O_DIRECT makes packets ("packet mode", pipe2(O_DIRECT)): nothing merges
//! into a packet, and a read takes at most one packet, dropping what it did not read of it.
//!
//! Readers block while the pipe is empty and has writers, writers while it is full and has
//! readers (unless O_NONBLOCK: EAGAIN). With no writers left, reads see end of file; with no
//! readers left, writes fail with EPIPE and send SIGPIPE to the writer. An end counts as closed
//! when its last open file goes: [`PipeEnd`]'s Drop, whatever dropped it (close, dup2 over it,
//! execve's close-on-exec, exit).
//!
//! Every change of state wakes the pipe's own wait queues and the poll queue
//! ([`super::file::poll_wake`]), where poll and select sleep.

use alloc::{collections::VecDeque, sync::Arc, vec::Vec};
use core::sync::atomic::{AtomicU64, Ordering};

use crate::{
    sched::WaitQueue,
    signal,
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
};

/// Bytes of one buffer (a page).
const PAGE_SIZE: usize = 4096;
/// Buffers of a pipe (Linux's PIPE_DEF_BUFFERS): 16 pages, 64 KiB.
pub const PIPE_DEF_BUFFERS: usize = 16;
/// A pipe's capacity in bytes, as F_GETPIPE_SZ reports it.
pub const PIPE_SIZE: usize = PIPE_DEF_BUFFERS * PAGE_SIZE;
/// The mode fstat shows for a pipe (Linux's get_pipe_inode: S_IFIFO | S_IRUSR | S_IWUSR).
pub const PIPE_MODE: u32 = abi::stat::S_IFIFO | 0o600;

/// One buffer: a page and the bytes of it still to be read (Linux's pipe_buffer).
struct PipeBuffer {
    page: Vec<u8>,
    offset: usize,
    len: usize,
    /// A packet (written in packet mode): a read takes it whole.
    packet: bool,
    /// Written by write (Linux's PIPE_BUF_FLAG_CAN_MERGE): later small writes may append to it.
    /// Packets and pages spliced in by sendfile take no more.
    can_merge: bool,
}

/// What the pipe's lock protects (Linux's pipe_inode_info under pipe->mutex).
struct PipeState {
    bufs: VecDeque<PipeBuffer>,
    readers: u32,
    writers: u32,
    /// Reader and writer opens so far (Linux's r_counter and w_counter): a FIFO's open waits for
    /// a partner to come, even one that has left again, and a reader sees POLLHUP only once a
    /// writer came after its open.
    r_counter: u64,
    w_counter: u64,
}

impl PipeState {
    fn is_full(&self) -> bool {
        self.bufs.len() >= PIPE_DEF_BUFFERS
    }

    /// Bytes waiting to be read (FIONREAD).
    fn unread(&self) -> usize {
        self.bufs.iter().map(|b| b.len).sum()
    }

    /// Moves up to `dst.len()` bytes from the oldest buffers into `dst`; at most one packet.
    /// Only the first `fit` bytes of the reader's memory can take data (a page fault would stop
    /// the copy there): a buffer whose share does not fit whole stays in the pipe, and only what
    /// fits of it is copied, as Linux's pipe_read copies it before it finds the fault. Returns
    /// the bytes taken out of the pipe and the bytes only copied after them.
    fn consume(&mut self, dst: &mut [u8], fit: usize) -> (usize, usize) {
        let mut done = 0;
        while done < dst.len() {
            let Some(buf) = self.bufs.front_mut() else {
                break;
            };
            let n = buf.len.min(dst.len() - done);
            if done + n > fit {
                let part = fit.saturating_sub(done);
                dst[done..done + part].copy_from_slice(&buf.page[buf.offset..buf.offset + part]);
                return (done, part);
            }
            dst[done..done + n].copy_from_slice(&buf.page[buf.offset..buf.offset + n]);
            done += n;
            buf.offset += n;
            buf.len -= n;
            let packet = buf.packet;
            if packet {
                buf.len = 0;
            }
            if buf.len == 0 {
                self.bufs.pop_front();
            }
            if packet {
                break;
            }
        }
        (done, 0)
    }

    /// Appends all of `src` (at most a page) to the last buffer if it can take it (Linux's merge
    /// of a write's `len % PAGE_SIZE` bytes into the last page). True if it did.
    fn try_merge(&mut self, src: &[u8]) -> bool {
        let Some(last) = self.bufs.back_mut() else {
            return false;
        };
        let end = last.offset + last.len;
        if !last.can_merge || end + src.len() > PAGE_SIZE {
            return false;
        }
        last.page[end..end + src.len()].copy_from_slice(src);
        last.len += src.len();
        true
    }

    /// Puts up to a page of `src` into a new buffer; the pipe must not be full.
    fn push_page(&mut self, src: &[u8], packet: bool, can_merge: bool) -> Result<usize, Errno> {
        let n = src.len().min(PAGE_SIZE);
        let mut page = Vec::new();
        page.try_reserve_exact(PAGE_SIZE).map_err(|_| ENOMEM)?;
        page.resize(PAGE_SIZE, 0);
        page[..n].copy_from_slice(&src[..n]);
        // The ring's room for 16 buffers was reserved when the pipe was made.
        self.bufs.push_back(PipeBuffer {
            page,
            offset: 0,
            len: n,
            packet,
            can_merge,
        });
        Ok(n)
    }
}

/// A pipe (Linux's pipe_inode_info).
pub struct Pipe {
    /// Its inode number on pipefs (fstat's st_ino, `pipe:[ino]` in /proc/PID/fd).
    pub ino: u64,
    state: IrqMutex<PipeState>,
    /// Readers waiting for data or for the last writer to go.
    rd_wait: WaitQueue,
    /// Writers waiting for room or for the last reader to go.
    wr_wait: WaitQueue,
    /// How many times readers were woken (data came, or the last writer went) and writers were
    /// woken (room was made, or the last reader went): edge-triggered epoll reports each wake-up
    /// of the side it watches, as Linux's ep_poll_callback does with the wake-up's key.
    read_wakes: AtomicU64,
    write_wakes: AtomicU64,
}

/// One end of a pipe, held by the open file of that end; dropping it closes the end. An end
/// reads, writes, or both (a FIFO opened O_RDWR).
pub struct PipeEnd {
    pub pipe: Arc<Pipe>,
    pub reads: bool,
    pub writes: bool,
    /// The writer opens when this end was opened (Linux's f_version for pipe_poll's POLLHUP).
    writers_seen: u64,
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        {
            let mut state = self.pipe.state.lock();
            state.writers -= self.writes as u32;
            state.readers -= self.reads as u32;
        }
        self.pipe.wake_all();
    }
}

impl PipeEnd {
    /// Another end of an existing pipe that reads, writes or both (a FIFO's open, or opening
    /// /proc/PID/fd/N of a pipe: Linux's fifo_open): counted on its sides, the others woken.
    pub fn open(pipe: &Arc<Pipe>, reads: bool, writes: bool) -> PipeEnd {
        let writers_seen = {
            let mut state = pipe.state.lock();
            if reads {
                state.readers += 1;
                state.r_counter += 1;
            }
            if writes {
                state.writers += 1;
                state.w_counter += 1;
            }
            state.w_counter
        };
        pipe.wake_all();
        PipeEnd {
            pipe: pipe.clone(),
            reads,
            writes,
            writers_seen,
        }
    }

    /// Readiness for poll and epoll (Linux's pipe_poll): POLLHUP for a reader only once no
    /// writer is left of those that came after its open.
    pub fn poll(&self) -> u16 {
        self.pipe.poll(self.reads, self.writes, self.writers_seen)
    }
}

/// Opens a FIFO whose pipe (while any end is open) is `slot` (Linux's fifo_open): a reader
/// waits for a writer and a writer for a reader, unless `nonblock`; a non-blocking writer with
/// no reader is ENXIO; an end that reads and writes never waits. A new pipe is made when no end
/// is open (what was in the old one is gone). EINVAL for no access mode; a wait cut short by a
/// signal returns the sleep's error, the end closed again.
pub fn fifo_open(
    slot: &IrqMutex<alloc::sync::Weak<Pipe>>,
    reads: bool,
    writes: bool,
    nonblock: bool,
) -> Result<PipeEnd, Errno> {
    let pipe = {
        let mut slot = slot.lock();
        match slot.upgrade() {
            Some(pipe) => pipe,
            None => {
                let pipe = Pipe::new(0, 0)?;
                *slot = Arc::downgrade(&pipe);
                pipe
            }
        }
    };
    if writes && !reads && nonblock && pipe.state.lock().readers == 0 {
        return Err(ENXIO);
    }
    let end = PipeEnd::open(&pipe, reads, writes);
    if reads != writes && !nonblock {
        end.wait_for_partner()?;
    }
    Ok(end)
}

impl PipeEnd {
    /// Waits until an end of the other kind has been opened since this one (Linux's
    /// wait_for_partner): readers wait on writers' opens, writers on readers'.
    fn wait_for_partner(&self) -> Result<(), Errno> {
        let counter = |state: &PipeState| {
            if self.reads {
                (state.w_counter, state.writers)
            } else {
                (state.r_counter, state.readers)
            }
        };
        let start = counter(&self.pipe.state.lock()).0;
        loop {
            let irq = IrqOff::new();
            let (count, present) = counter(&self.pipe.state.lock());
            if present > 0 || count != start {
                return Ok(());
            }
            let queue = if self.reads {
                &self.pipe.rd_wait
            } else {
                &self.pipe.wr_wait
            };
            queue.sleep(irq)?;
        }
    }
}

impl Pipe {
    /// A pipe with `readers` and `writers` counted already; ENOMEM if memory ran out.
    fn new(readers: u32, writers: u32) -> Result<Arc<Pipe>, Errno> {
        let mut bufs = VecDeque::new();
        bufs.try_reserve_exact(PIPE_DEF_BUFFERS)
            .map_err(|_| ENOMEM)?;
        Arc::try_new(Pipe {
            ino: super::inode::next_ino(),
            state: IrqMutex::new(PipeState {
                bufs,
                readers,
                writers,
                r_counter: readers as u64,
                w_counter: writers as u64,
            }),
            rd_wait: WaitQueue::new(),
            wr_wait: WaitQueue::new(),
            read_wakes: AtomicU64::new(0),
            write_wakes: AtomicU64::new(0),
        })
        .map_err(|_| ENOMEM)
    }

    /// A new pipe and its two ends (read, write); ENOMEM if memory ran out.
    pub fn create() -> Result<(PipeEnd, PipeEnd), Errno> {
        let pipe = Pipe::new(1, 1)?;
        let read = PipeEnd {
            pipe: pipe.clone(),
            reads: true,
            writes: false,
            writers_seen: 0,
        };
        let write = PipeEnd {
            pipe,
            reads: false,
            writes: true,
            writers_seen: 1,
        };
        Ok((read, write))
    }

    /// Wakes everyone who may wait on the pipe: readers, writers, pollers.
    fn wake_all(&self) {
        self.wake_readers();
        self.wake_writers();
    }

    /// Wakes readers and pollers: there is data, or no writer any more.
    fn wake_readers(&self) {
        self.read_wakes.fetch_add(1, Ordering::Relaxed);
        self.rd_wait.wake_all();
        super::file::poll_wake();
    }

    /// Wakes writers and pollers: there is room, or no reader any more.
    fn wake_writers(&self) {
        self.write_wakes.fetch_add(1, Ordering::Relaxed);
        self.wr_wait.wake_all();
        super::file::poll_wake();
    }

    /// How many wake-ups the readers (`reader`) or the writers have had (see `read_wakes`).
    pub fn wakes(&self, reader: bool) -> u64 {
        if reader {
            self.read_wakes.load(Ordering::Relaxed)
        } else {
            self.write_wakes.load(Ordering::Relaxed)
        }
    }

    /// Linux's pipe_read: waits (unless `nonblock`) until there is data or no writer, then takes
    /// what there is, up to `dst.len()` bytes (one packet at most). 0 is end of file. A sleep
    /// that is interrupted returns the sleep's error (Linux: -ERESTARTSYS).
    pub fn read(&self, dst: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.read_fit(dst, nonblock, dst.len()).map(|(n, _)| n)
    }

    /// [`read`](Self::read) for a reader whose memory takes only `fit` bytes before it faults:
    /// the pipe buffer that does not fit whole is left in the pipe (see [`PipeState::consume`]).
    /// Returns the bytes taken and the bytes copied after them without being taken; (0, 0) is
    /// end of file, and EFAULT says that not a byte fits.
    pub fn read_fit(
        &self,
        dst: &mut [u8],
        nonblock: bool,
        fit: usize,
    ) -> Result<(usize, usize), Errno> {
        if dst.is_empty() {
            return Ok((0, 0));
        }
        loop {
            // Interrupts stay off from the check to the sleep, so a wake-up cannot be lost.
            let irq = IrqOff::new();
            let mut state = self.state.lock();
            if !state.bufs.is_empty() {
                let was_full = state.is_full();
                let (n, peeked) = state.consume(dst, fit);
                if n == 0 && peeked == 0 {
                    // Not a byte of the first buffer fits: EFAULT, and nothing taken.
                    return Err(EFAULT);
                }
                // Linux's pipe_read wakes writers (with EPOLLOUT) only when it frees a full pipe:
                // an edge-triggered writer hears of that alone.
                if was_full && n > 0 {
                    self.write_wakes.fetch_add(1, Ordering::Relaxed);
                }
                drop(state);
                drop(irq);
                if n > 0 {
                    self.wr_wait.wake_all();
                    super::file::poll_wake();
                }
                return Ok((n, peeked));
            }
            if state.writers == 0 {
                return Ok((0, 0));
            }
            if nonblock {
                return Err(EAGAIN);
            }
            drop(state);
            self.rd_wait.sleep(irq)?;
        }
    }

    /// Linux's pipe_write for one piece of at most a page (the caller copies a write from user
    /// memory a page at a time): merges it into the last buffer if it fits there, or else waits
    /// (unless `nonblock`: EAGAIN) for a free buffer and writes it whole. With no reader, EPIPE
    /// and SIGPIPE for the calling thread. `packet` (the file's O_DIRECT) makes it a packet.
    pub fn write(&self, src: &[u8], nonblock: bool, packet: bool) -> Result<usize, Errno> {
        debug_assert!(src.len() <= PAGE_SIZE);
        if src.is_empty() {
            return Ok(0);
        }
        let mut first = true;
        loop {
            let irq = IrqOff::new();
            let mut state = self.state.lock();
            if state.readers == 0 {
                drop(state);
                drop(irq);
                signal::send_sig(signal::SIGPIPE);
                return Err(EPIPE);
            }
            // Linux merges only before it first waits: a write that had to wait starts a page.
            let merged = first && src.len() < PAGE_SIZE && state.try_merge(src);
            first = false;
            if merged || !state.is_full() {
                let n = if merged {
                    src.len()
                } else {
                    state.push_page(src, packet, !packet)?
                };
                drop(state);
                drop(irq);
                self.wake_readers();
                return Ok(n);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            drop(state);
            self.wr_wait.sleep(irq)?;
        }
    }

    /// The first step of Linux's pipe_write for a write longer than a page whose length is not a
    /// multiple of one: its last `len % PAGE_SIZE` bytes, `src`, go first into the last buffer if
    /// they fit there (true). If not (false), the caller writes the whole write page by page.
    /// EPIPE and SIGPIPE without a reader.
    pub fn write_merge(&self, src: &[u8]) -> Result<bool, Errno> {
        let merged = {
            let mut state = self.state.lock();
            if state.readers == 0 {
                drop(state);
                signal::send_sig(signal::SIGPIPE);
                return Err(EPIPE);
            }
            state.try_merge(src)
        };
        if merged {
            self.wake_readers();
        }
        Ok(merged)
    }

    /// Waits until the pipe has a free buffer (Linux's wait_for_space, before sendfile splices
    /// into it): EAGAIN if `nonblock`, EPIPE and SIGPIPE without a reader.
    pub fn wait_for_space(&self, nonblock: bool) -> Result<(), Errno> {
        loop {
            let irq = IrqOff::new();
            let state = self.state.lock();
            if state.readers == 0 {
                drop(state);
                drop(irq);
                signal::send_sig(signal::SIGPIPE);
                return Err(EPIPE);
            }
            if !state.is_full() {
                return Ok(());
            }
            if nonblock {
                return Err(EAGAIN);
            }
            drop(state);
            self.wr_wait.sleep(irq)?;
        }
    }

    /// Puts `src` (at most a page) into a buffer of its own that later writes do not merge into,
    /// as a page-cache page spliced by sendfile; 0 (nothing taken) when the pipe is full.
    pub fn splice_page(&self, src: &[u8]) -> Result<usize, Errno> {
        let n = {
            let mut state = self.state.lock();
            if state.is_full() || src.is_empty() {
                return Ok(0);
            }
            state.push_page(src, false, false)?
        };
        self.wake_readers();
        Ok(n)
    }

    /// Linux's pipe_poll: readable while there is data, hung up once no writer is left of those
    /// that came after `writers_seen` opens (for a reading end); writable while a buffer is free,
    /// in error once no reader is left (writing end).
    fn poll(&self, readable: bool, writable: bool, writers_seen: u64) -> u16 {
        use abi::poll::*;
        let state = self.state.lock();
        let mut mask = 0;
        if readable {
            if !state.bufs.is_empty() {
                mask |= POLLIN | POLLRDNORM;
            }
            if state.writers == 0 && state.w_counter != writers_seen {
                mask |= POLLHUP;
            }
        }
        if writable {
            if !state.is_full() {
                mask |= POLLOUT | POLLWRNORM;
            }
            if state.readers == 0 {
                mask |= POLLERR;
            }
        }
        mask as u16
    }

    /// Waits (unless `nonblock`: EAGAIN) until the pipe holds data or has no writer (Linux's
    /// ipipe_prep and link_ipipe_prep): true if there is data, false at end of file.
    pub fn wait_for_data(&self, nonblock: bool) -> Result<bool, Errno> {
        loop {
            let irq = IrqOff::new();
            let state = self.state.lock();
            if !state.bufs.is_empty() {
                return Ok(true);
            }
            if state.writers == 0 {
                return Ok(false);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            drop(state);
            self.rd_wait.sleep(irq)?;
        }
    }

    /// Free buffers: how many pages [`splice_page`](Self::splice_page) may still add.
    pub fn free_buffers(&self) -> usize {
        PIPE_DEF_BUFFERS.saturating_sub(self.state.lock().bufs.len())
    }

    /// Copies up to `dst.len()` bytes from the front of the pipe without taking them (tee).
    pub fn peek(&self, dst: &mut [u8]) -> usize {
        let state = self.state.lock();
        let mut done = 0;
        for buf in &state.bufs {
            let n = buf.len.min(dst.len() - done);
            dst[done..done + n].copy_from_slice(&buf.page[buf.offset..buf.offset + n]);
            done += n;
            if done == dst.len() {
                break;
            }
        }
        done
    }

    /// Bytes waiting to be read (the FIONREAD ioctl).
    pub fn unread(&self) -> usize {
        self.state.lock().unread()
    }
}
