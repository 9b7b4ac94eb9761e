//! Open files and the per-process file-descriptor table.

use abi::fcntl::{
    O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECT, O_EXCL, O_NOCTTY, O_NONBLOCK, O_RDONLY,
    O_RDWR, O_TRUNC, O_WRONLY,
};
use alloc::{sync::Arc, vec::Vec};
use core::sync::atomic::{AtomicU32, Ordering};

use super::{
    Inode,
    dev::Device,
    inotify,
    pipe::{Pipe, PipeEnd},
    procfs::{self, ProcFile},
};
use crate::{
    sched::WaitQueue,
    sync::IrqMutex,
    syscall::errno::{EBADF, EINVAL, EISDIR, EMFILE, ENOMEM, ENXIO, ESPIPE, Errno},
};

/// How many descriptors the calling process may have: its RLIMIT_NOFILE (Linux's rlimit(
/// RLIMIT_NOFILE), read at each allocation). Descriptors at or above it cannot be created.
pub fn nofile_limit() -> usize {
    crate::thread::current_process().map_or(1024, |p| {
        p.rlimits.lock().cur(abi::resource::RLIMIT_NOFILE) as usize
    })
}

/// What an open file refers to.
pub enum FileKind {
    /// The serial console (fds 0, 1, 2): writes go to the console, reads see end of file.
    Console,
    /// A regular file.
    Regular(Arc<Inode>),
    /// A directory (read with getdents64, not read).
    Dir(Arc<Inode>),
    /// A character device of /dev.
    Device(Device, Arc<Inode>),
    /// A /proc file and what it keeps while open (its text, /proc/PID/mem's address space).
    Proc(super::procfs::ProcFile, super::procfs::ProcPrivate),
    /// One end of a pipe (fstat: [`super::pipe::PIPE_MODE`]).
    Pipe(PipeEnd),
    /// An epoll instance (an anonymous inode, "anon_inode:[eventpoll]").
    Epoll(super::eventpoll::EventPoll),
    /// An eventfd counter (an anonymous inode, "anon_inode:[eventfd]").
    EventFd(super::eventfd::EventFd),
    /// A timerfd (an anonymous inode, "anon_inode:[timerfd]").
    TimerFd(Arc<super::timerfd::TimerFd>),
    /// A signalfd (an anonymous inode, "anon_inode:[signalfd]").
    SignalFd(super::signalfd::SignalFd),
    /// An inotify instance (an anonymous inode, "anon_inode:inotify").
    Inotify(Arc<super::inotify::Inotify>),
    /// A socket (sockfs's inode, "socket:[ino]"); its calls are in [`crate::syscall::socket`].
    Socket(crate::net::Socket),
}

/// An open file description (Linux's `struct file`): shared by descriptors dup'ed or inherited.
/// Its position and status flags are shared with them; the close-on-exec flag is not (it belongs
/// to the descriptor, see [`FdTable`]).
pub struct OpenFile {
    pub kind: FileKind,
    pub readable: bool,
    pub writable: bool,
    /// The status flags F_GETFL reports: the access mode and the `O_*` flags open kept (O_APPEND,
    /// O_NONBLOCK, O_DSYNC, O_DIRECT, O_NOATIME, O_LARGEFILE...). F_SETFL changes some of them.
    flags: AtomicU32,
    pos: IrqMutex<u64>,
}

impl OpenFile {
    /// A new open file description; ENOMEM if memory ran out. `flags` are open's flags: the access
    /// mode and the status flags to keep (the creation flags and O_CLOEXEC are dropped here). A
    /// regular file open for writing counts as a writer (ETXTBSY while it runs as a program).
    pub fn new(kind: FileKind, flags: u64) -> Result<Arc<Self>, Errno> {
        let access = flags & O_ACCMODE;
        let writable = access == O_WRONLY || access == O_RDWR;
        if let (FileKind::Regular(inode), true) = (&kind, writable) {
            inode.get_write_access()?;
        }
        // Dropping the description on failure gives the write access back.
        Arc::try_new(OpenFile {
            kind,
            readable: access == O_RDONLY || access == O_RDWR,
            writable,
            flags: AtomicU32::new(
                (flags & !(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) as u32,
            ),
            pos: IrqMutex::new(0),
        })
        .map_err(|_| ENOMEM)
    }

    /// The status flags (F_GETFL).
    pub fn flags(&self) -> u64 {
        self.flags.load(Ordering::Relaxed) as u64
    }

    /// Replaces the status flags in `changeable` with those of `flags` (F_SETFL).
    pub fn set_flags(&self, flags: u64, changeable: u64) {
        let old = self.flags();
        let new = (old & !changeable) | (flags & changeable);
        self.flags.store(new as u32, Ordering::Relaxed);
    }

    /// The file position (Linux's f_pos).
    pub fn pos(&self) -> u64 {
        *self.pos.lock()
    }

    /// Moves the file position.
    pub fn set_pos(&self, pos: u64) {
        *self.pos.lock() = pos;
    }

    /// Reads at `pos` into a kernel buffer, without moving the file position: the caller moves it
    /// by what reached the user, so a read whose copy to user memory fails leaves the position
    /// where it was (as on Linux).
    pub fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.readable {
            return Err(EBADF);
        }
        match &self.kind {
            FileKind::Console => crate::tty::read(buf, self.nonblock()),
            FileKind::Dir(_) => Err(EISDIR),
            FileKind::Regular(inode) => Ok(inode.read(pos, buf)),
            FileKind::Device(device, _) => Ok(device.read(buf)),
            FileKind::Proc(ProcFile::Pagemap(pid), _) => procfs::pagemap_read(*pid, pos, buf),
            FileKind::Proc(ProcFile::Mem(_), private) => {
                procfs::mem_rw(&private.mm, pos, procfs::MemBuf::Read(buf))
            }
            FileKind::Proc(file, private) => {
                let mut text = private.text.lock();
                if text.is_none() {
                    *text = Some(file.render()?);
                }
                let bytes = text.as_deref().unwrap_or_default();
                Ok(Self::read_from(bytes, pos, buf))
            }
            FileKind::Pipe(end) => end.pipe.read(buf, self.nonblock()),
            FileKind::EventFd(efd) => efd.read(buf, self.nonblock()),
            FileKind::TimerFd(tfd) => tfd.read(buf, self.nonblock()),
            FileKind::SignalFd(sfd) => sfd.read(buf, self.nonblock()),
            FileKind::Inotify(group) => group.read(buf, self.nonblock()),
            // read and readv reach a socket through recvmsg (syscall::socket); nothing reads a
            // socket at a position (sendfile from one: EINVAL).
            FileKind::Epoll(_) | FileKind::Socket(_) => Err(EINVAL),
        }
    }

    /// Copies from `bytes` at `pos`.
    fn read_from(bytes: &[u8], pos: u64, buf: &mut [u8]) -> usize {
        let start = pos.min(bytes.len() as u64) as usize;
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        n
    }

    /// Writes from a kernel buffer at `pos` (ignored by files without a position, such as the
    /// console and pipes; with O_APPEND a regular file is written at its end whatever `pos` says,
    /// as Linux's pwrite does), without moving the file position. Returns the bytes written and
    /// the position after them: the caller of write() moves the file position there.
    pub fn write_at(&self, pos: u64, buf: &[u8]) -> Result<(usize, u64), Errno> {
        if !self.writable {
            return Err(EBADF);
        }
        match &self.kind {
            FileKind::Console => Ok((crate::tty::write(buf)?, pos)),
            FileKind::Pipe(end) => {
                let packet = self.flags() & O_DIRECT != 0;
                Ok((end.pipe.write(buf, self.nonblock(), packet)?, pos))
            }
            FileKind::Regular(inode) => {
                let append = self.flags() & O_APPEND != 0;
                inode.write(if append { None } else { Some(pos) }, buf)
            }
            FileKind::Device(device, _) => Ok((device.write(buf)?, pos)),
            FileKind::Proc(ProcFile::Mem(_), private) => {
                let n = procfs::mem_rw(&private.mm, pos, procfs::MemBuf::Write(buf))?;
                Ok((n, pos + n as u64))
            }
            FileKind::Proc(file, _) => Ok((file.write(buf)?, pos)),
            FileKind::EventFd(efd) => Ok((efd.write(buf, self.nonblock())?, pos)),
            // What sendfile gives a socket: a send of these bytes.
            FileKind::Socket(_) => Ok((crate::syscall::socket::sock_send_kernel(self, buf)?, pos)),
            FileKind::Epoll(_) => Err(EINVAL),
            _ => Err(EBADF),
        }
    }

    /// Reports a read of the file's data to inotify (Linux's fsnotify_access): once per call that
    /// read something (read, readv, pread, sendfile, splice, copy_file_range), however many
    /// pieces it read in.
    pub fn fsnotify_access(&self) {
        if let FileKind::Regular(inode) = &self.kind {
            inotify::fsnotify_file(inode, inotify::IN_ACCESS);
        }
    }

    /// Reports a write of the file's data to inotify (Linux's fsnotify_modify): once per call
    /// that wrote something.
    pub fn fsnotify_modify(&self) {
        if let FileKind::Regular(inode) = &self.kind {
            inotify::fsnotify_file(inode, inotify::IN_MODIFY);
        }
    }

    /// Whether O_NONBLOCK is set: reads and writes that would wait fail with EAGAIN instead.
    pub fn nonblock(&self) -> bool {
        self.flags() & O_NONBLOCK != 0
    }

    /// A file without a position (Linux's FMODE_STREAM): the console and pipes. A read takes what
    /// is there in one go instead of looping to fill the buffer, the position does not move, and
    /// lseek, pread and pwrite fail with ESPIPE.
    pub fn is_stream(&self) -> bool {
        matches!(
            self.kind,
            FileKind::Console
                | FileKind::Pipe(_)
                | FileKind::EventFd(_)
                | FileKind::TimerFd(_)
                | FileKind::SignalFd(_)
                | FileKind::Inotify(_)
                | FileKind::Socket(_)
        )
    }

    /// The Unix socket behind a socket file.
    pub fn unix_socket(&self) -> Option<&Arc<crate::net::UnixSocket>> {
        match &self.kind {
            FileKind::Socket(sock) => Some(&sock.0),
            _ => None,
        }
    }

    /// The pipe behind a pipe end.
    pub fn pipe(&self) -> Option<&Pipe> {
        match &self.kind {
            FileKind::Pipe(end) => Some(&end.pipe),
            _ => None,
        }
    }

    /// The events the file is ready for (Linux's vfs_poll): what poll and select report. Files
    /// that never wait are always ready (DEFAULT_POLLMASK), the console too while its reads see
    /// end of file; once serial input exists it reports POLLIN only with input waiting and calls
    /// [`poll_wake`] when a byte arrives.
    pub fn poll(&self) -> u16 {
        match &self.kind {
            FileKind::Pipe(end) => end.poll(),
            FileKind::Epoll(ep) => ep.poll(),
            FileKind::EventFd(efd) => efd.poll(),
            FileKind::TimerFd(tfd) => tfd.poll(),
            FileKind::SignalFd(sfd) => sfd.poll(),
            FileKind::Inotify(group) => group.poll(),
            FileKind::Socket(sock) => sock.0.poll(),
            // Always writable (output is synchronous); readable when a read would not wait.
            FileKind::Console if !crate::tty::read_ready() => {
                (abi::poll::POLLOUT | abi::poll::POLLWRNORM) as u16
            }
            _ => DEFAULT_POLLMASK,
        }
    }

    /// How many wake-ups the side of the file that `events` watch has had, for edge-triggered
    /// epoll: a pipe's or socket's readers for EPOLLIN, its writers for EPOLLOUT (both for both). Files
    /// without such a count give 0, and their edges are changes of readiness alone.
    pub fn wakes(&self, events: u32) -> u64 {
        use abi::epoll::{EPOLLIN, EPOLLOUT};
        match &self.kind {
            FileKind::Pipe(end) => {
                let mut n = 0u64;
                if events & EPOLLIN != 0 && end.reads {
                    n = n.wrapping_add(end.pipe.wakes(true));
                }
                if events & EPOLLOUT != 0 && end.writes {
                    n = n.wrapping_add(end.pipe.wakes(false));
                }
                n
            }
            FileKind::EventFd(efd) => efd.wakes(),
            FileKind::TimerFd(tfd) => tfd.wakes(),
            FileKind::Inotify(group) => group.wakes(),
            FileKind::Socket(sock) => sock.0.wakes(events & EPOLLIN != 0, events & EPOLLOUT != 0),
            _ => 0,
        }
    }

    /// The new position for lseek(offset, whence) (Linux's f_op->llseek): ESPIPE for streams,
    /// EINVAL for an unknown whence or a negative result. Regular files seek anywhere from 0
    /// (reads past the end see end of file; SEEK_DATA and SEEK_HOLE treat the whole file as
    /// data, generic_file_llseek's way); /proc files and directories only with SEEK_SET and
    /// SEEK_CUR. The caller stores the result.
    pub fn llseek(&self, offset: i64, whence: u64) -> Result<u64, Errno> {
        use abi::fcntl::{SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET};
        let size = match &self.kind {
            FileKind::Console | FileKind::Pipe(_) | FileKind::Socket(_) => return Err(ESPIPE),
            // /dev/null, zero and the others, and epoll instances, have no position to move
            // (Linux's noop_llseek).
            FileKind::Device(..)
            | FileKind::Epoll(_)
            | FileKind::EventFd(_)
            | FileKind::TimerFd(_)
            | FileKind::SignalFd(_)
            | FileKind::Inotify(_) => {
                return Ok(self.pos());
            }
            FileKind::Regular(inode) => Some(inode.size()),
            FileKind::Proc(ProcFile::Mem(_), _) => return self.mem_lseek(offset, whence),
            FileKind::Dir(_) | FileKind::Proc(..) => None,
        };
        let pos = self.pos() as i64;
        let new = match (whence, size) {
            (SEEK_SET, _) => Some(offset),
            (SEEK_CUR, _) => pos.checked_add(offset),
            (SEEK_END, Some(size)) => (size as i64).checked_add(offset),
            (SEEK_DATA, Some(size)) if offset >= 0 && (offset as u64) < size => Some(offset),
            (SEEK_HOLE, Some(size)) if offset >= 0 && (offset as u64) < size => Some(size as i64),
            (SEEK_DATA | SEEK_HOLE, Some(_)) => return Err(ENXIO),
            _ => return Err(EINVAL),
        };
        match new {
            Some(new) if new >= 0 => Ok(new as u64),
            _ => Err(EINVAL),
        }
    }

    /// lseek on /proc/PID/mem (Linux's mem_lseek): the position is an address, any of the 2^64
    /// (FMODE_UNSIGNED_OFFSET), moved by SEEK_SET or SEEK_CUR (wrapping); the rest is EINVAL.
    fn mem_lseek(&self, offset: i64, whence: u64) -> Result<u64, Errno> {
        use abi::fcntl::{SEEK_CUR, SEEK_SET};
        match whence {
            SEEK_SET => Ok(offset as u64),
            SEEK_CUR => Ok(self.pos().wrapping_add(offset as u64)),
            _ => Err(EINVAL),
        }
    }

    /// Whether the file's positions are unsigned (Linux's FMODE_UNSIGNED_OFFSET): /proc/PID/mem,
    /// whose positions are addresses, kernel ones included.
    pub fn unsigned_offsets(&self) -> bool {
        matches!(self.kind, FileKind::Proc(ProcFile::Mem(_), _))
    }

    /// The inode behind the file, if it has one (fstat, fchdir, ftruncate...).
    pub fn file_inode(&self) -> Option<&Arc<Inode>> {
        match &self.kind {
            FileKind::Regular(inode) | FileKind::Dir(inode) | FileKind::Device(_, inode) => {
                Some(inode)
            }
            _ => None,
        }
    }

    /// The inode behind a regular file (what mmap maps).
    pub fn inode(&self) -> Option<&Arc<Inode>> {
        match &self.kind {
            FileKind::Regular(inode) => Some(inode),
            _ => None,
        }
    }
}

/// What a file that cannot make its caller wait reports to poll: readable and writable.
const DEFAULT_POLLMASK: u16 =
    (abi::poll::POLLIN | abi::poll::POLLOUT | abi::poll::POLLRDNORM | abi::poll::POLLWRNORM) as u16;

/// Where poll and select sleep: every change that can make a file ready (data into a pipe, room
/// in it, an end closed; console input) wakes it. One queue for all files keeps the design
/// simple and sound: a poller wakes up for every change anywhere, checks its own files again and
/// sleeps on if none is ready, so it can never miss one of them. (Linux instead hangs an entry
/// on the wait queue of each polled file.)
pub static POLL_WAIT: WaitQueue = WaitQueue::new();

/// Tells poll and select sleepers that some file may have become ready.
pub fn poll_wake() {
    POLL_WAIT.wake_all();
}

impl OpenFile {
    /// The inode flock locks (regular files, directories, devices); None for files without one.
    pub fn lock_inode(&self) -> Option<&Arc<Inode>> {
        match &self.kind {
            FileKind::Regular(inode) | FileKind::Dir(inode) | FileKind::Device(_, inode) => {
                Some(inode)
            }
            _ => None,
        }
    }

    /// Who holds this description's flock locks: the description itself.
    pub fn lock_owner(&self) -> super::flock::Owner {
        self as *const OpenFile as usize
    }
}

impl Drop for OpenFile {
    /// The last descriptor is gone: the description's flock lock goes, and a file open for
    /// writing no longer keeps the file from being executed.
    fn drop(&mut self) {
        if let Some(inode) = self.lock_inode() {
            inode.locks.unlock(self.lock_owner());
        }
        // A timerfd closed for good leaves the timer list at once.
        if let FileKind::TimerFd(tfd) = &self.kind {
            crate::timer::cancel(&crate::timer::Target::TimerFd(Arc::downgrade(tfd)));
        }
        if let (FileKind::Regular(inode), true) = (&self.kind, self.writable) {
            inode.put_write_access();
        }
        // Linux's fsnotify_close, from __fput: the last reference to a file or directory.
        if let FileKind::Regular(inode) | FileKind::Dir(inode) = &self.kind {
            let mask = if self.writable {
                inotify::IN_CLOSE_WRITE
            } else {
                inotify::IN_CLOSE_NOWRITE
            };
            inotify::fsnotify_file(inode, mask);
            inotify::fsnotify_unlinked(inode);
        }
    }
}

/// One file descriptor: the open file it refers to and its own flag (FD_CLOEXEC).
#[derive(Clone)]
pub struct Fd {
    pub file: Arc<OpenFile>,
    /// Closed by execve (O_CLOEXEC, FD_CLOEXEC).
    pub cloexec: bool,
}

/// A process's file descriptors (Linux's files_struct).
pub struct FdTable {
    fds: Vec<Option<Fd>>,
}

/// An fd table as processes hold it: reference-counted, so that threads (and CLONE_FILES) can
/// share one.
pub type SharedFdTable = Arc<IrqMutex<FdTable>>;

impl FdTable {
    /// stdin, stdout and stderr on the console, for the first process.
    pub fn with_console() -> Option<SharedFdTable> {
        let console = OpenFile::new(FileKind::Console, O_RDWR).ok()?;
        let fd = Fd {
            file: console,
            cloexec: false,
        };
        FdTable {
            fds: alloc::vec![Some(fd.clone()), Some(fd.clone()), Some(fd)],
        }
        .share()
    }

    /// A copy for fork: the same open files, new descriptors. None if memory ran out.
    pub fn try_clone(&self) -> Option<SharedFdTable> {
        let mut fds = Vec::new();
        fds.try_reserve_exact(self.fds.len()).ok()?;
        fds.extend(self.fds.iter().cloned());
        FdTable { fds }.share()
    }

    fn share(self) -> Option<SharedFdTable> {
        Arc::try_new(IrqMutex::new(self)).ok()
    }

    /// The open file behind `fd`; EBADF if none. Like Linux, only the low 32 bits of the
    /// argument count (`unsigned int fd`).
    pub fn get(&self, fd: u64) -> Result<Arc<OpenFile>, Errno> {
        self.slot(fd).map(|f| f.file.clone()).ok_or(EBADF)
    }

    fn slot(&self, fd: u64) -> Option<&Fd> {
        self.fds.get(fd as u32 as usize).and_then(|f| f.as_ref())
    }

    /// Installs a file at the lowest free descriptor, as POSIX requires.
    pub fn install(&mut self, file: Arc<OpenFile>, cloexec: bool) -> Result<u64, Errno> {
        self.install_from(file, cloexec, 0)
    }

    /// Installs a file at the lowest free descriptor not below `min` (F_DUPFD); EMFILE when
    /// none is below the limit ([`nofile_limit`]).
    pub fn install_from(
        &mut self,
        file: Arc<OpenFile>,
        cloexec: bool,
        min: usize,
    ) -> Result<u64, Errno> {
        let fd = Fd { file, cloexec };
        let limit = nofile_limit();
        let free = self
            .fds
            .iter()
            .take(limit)
            .skip(min)
            .position(Option::is_none);
        if let Some(i) = free {
            self.fds[min + i] = Some(fd);
            return Ok((min + i) as u64);
        }
        let at = self.fds.len().max(min);
        if at >= limit {
            return Err(EMFILE);
        }
        self.fds
            .try_reserve(at + 1 - self.fds.len())
            .map_err(|_| ENOMEM)?;
        self.fds.resize(at, None);
        self.fds.push(Some(fd));
        Ok(at as u64)
    }

    /// Whether [`install`](Self::install) would find a descriptor below the limit.
    pub fn can_install(&self) -> bool {
        let limit = nofile_limit();
        self.fds.iter().take(limit).any(Option::is_none) || self.fds.len() < limit
    }

    /// Makes `fd` (below [`nofile_limit`]) refer to `file`, in one step (dup2, dup3): returns what
    /// was there, for the caller to drop once the table is unlocked (closing a pipe end wakes
    /// its sleepers).
    pub fn replace(
        &mut self,
        fd: usize,
        file: Arc<OpenFile>,
        cloexec: bool,
    ) -> Result<Option<Fd>, Errno> {
        if fd >= self.fds.len() {
            self.fds
                .try_reserve(fd + 1 - self.fds.len())
                .map_err(|_| ENOMEM)?;
            self.fds.resize(fd + 1, None);
        }
        Ok(self.fds[fd].replace(Fd { file, cloexec }))
    }

    /// The close-on-exec flag of `fd` (F_GETFD).
    pub fn cloexec(&self, fd: u64) -> Result<bool, Errno> {
        self.slot(fd).map(|f| f.cloexec).ok_or(EBADF)
    }

    /// Sets or clears the close-on-exec flag of `fd` (F_SETFD, FIOCLEX, FIONCLEX).
    pub fn set_cloexec(&mut self, fd: u64, cloexec: bool) -> Result<(), Errno> {
        let slot = self
            .fds
            .get_mut(fd as u32 as usize)
            .and_then(|f| f.as_mut());
        slot.map(|f| f.cloexec = cloexec).ok_or(EBADF)
    }

    /// Closes every descriptor marked close-on-exec (execve, once it cannot fail any more).
    pub fn close_on_exec(&mut self) {
        for slot in &mut self.fds {
            if slot.as_ref().is_some_and(|fd| fd.cloexec) {
                *slot = None;
            }
        }
    }

    /// Takes `fd` out of the table (close). The caller drops it once the table is unlocked.
    pub fn close(&mut self, fd: u64) -> Result<Fd, Errno> {
        let slot = self.fds.get_mut(fd as u32 as usize);
        slot.and_then(Option::take).ok_or(EBADF)
    }

    /// The first open descriptor in `first..=last`, if any (close_range walks with it).
    pub fn next_open(&self, first: u64, last: u64) -> Option<u64> {
        let end = (last as usize).saturating_add(1).min(self.fds.len());
        (first as usize..end)
            .find(|&i| self.fds[i].is_some())
            .map(|i| i as u64)
    }

    /// How many descriptors the table has room for now (select's limit, Linux's max_fds: 64,
    /// then 128, 256, ... as the table grows).
    pub fn max_fds(&self) -> usize {
        let mut max = 64;
        while max < self.fds.len() {
            max = if max == 64 { 128 } else { max * 2 };
        }
        max
    }
}
