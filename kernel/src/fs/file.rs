//! Open files and the per-process file-descriptor table.

use abi::fcntl::{
    O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_EXCL, O_NOCTTY, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
};
use alloc::{sync::Arc, vec::Vec};
use core::sync::atomic::{AtomicU32, Ordering};

use super::{Inode, dev::Device};
use crate::{
    arch::serial,
    sync::IrqMutex,
    syscall::errno::{EBADF, EISDIR, EMFILE, ENOMEM, Errno},
};

/// Linux's default RLIMIT_NOFILE soft limit.
pub const MAX_FDS: usize = 1024;

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
    /// A /proc file and its text, produced at the first read.
    Proc(
        super::procfs::ProcFile,
        IrqMutex<Option<alloc::vec::Vec<u8>>>,
    ),
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
    #[expect(dead_code, reason = "fcntl, in progress")]
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
            FileKind::Console => Ok(0),
            FileKind::Dir(_) => Err(EISDIR),
            FileKind::Regular(inode) => Ok(inode.read(pos, buf)),
            FileKind::Device(device, _) => Ok(device.read(buf)),
            FileKind::Proc(file, text) => {
                let mut text = text.lock();
                if text.is_none() {
                    *text = Some(file.render()?.into_bytes());
                }
                let bytes = text.as_deref().unwrap_or_default();
                Ok(Self::read_from(bytes, pos, buf))
            }
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
    /// console), without moving the file position (pwrite). With O_APPEND a regular file is
    /// written at its end whatever `pos` says, as Linux's pwrite does.
    #[expect(dead_code, reason = "pwrite, in progress")]
    pub fn write_at(&self, pos: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.write_to(Some(pos), buf).map(|(n, _)| n)
    }

    /// write(): writes at the file position (at the end with O_APPEND) and moves it past what
    /// was written, under the position's lock so that writers sharing the file do not overlap.
    pub fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        let mut pos = self.pos.lock();
        let (n, end) = self.write_to(Some(*pos), buf)?;
        *pos = end;
        Ok(n)
    }

    /// Writes at `pos` (or the end, with O_APPEND); returns the count and the position after it.
    fn write_to(&self, pos: Option<u64>, buf: &[u8]) -> Result<(usize, u64), Errno> {
        if !self.writable {
            return Err(EBADF);
        }
        let at = pos.unwrap_or(0);
        match &self.kind {
            FileKind::Console => {
                serial::write_bytes(buf);
                Ok((buf.len(), at))
            }
            FileKind::Regular(inode) => {
                let append = self.flags() & O_APPEND != 0;
                inode.write(if append { None } else { pos }, buf)
            }
            FileKind::Device(device, _) => Ok((device.write(buf)?, at)),
            _ => Err(EBADF),
        }
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

impl Drop for OpenFile {
    /// The last descriptor of a file open for writing is gone: it no longer keeps the file from
    /// being executed.
    fn drop(&mut self) {
        if let (FileKind::Regular(inode), true) = (&self.kind, self.writable) {
            inode.put_write_access();
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

    /// The file open at `fd`. Linux takes descriptors as `unsigned int` (or `int`): the high
    /// bits of the register are ignored.
    pub fn get(&self, fd: u64) -> Result<Arc<OpenFile>, Errno> {
        self.fds
            .get(fd as u32 as usize)
            .and_then(|f| f.as_ref())
            .map(|f| f.file.clone())
            .ok_or(EBADF)
    }

    /// Installs a file at the lowest free descriptor, as POSIX requires.
    pub fn install(&mut self, file: Arc<OpenFile>, cloexec: bool) -> Result<u64, Errno> {
        let fd = Fd { file, cloexec };
        if let Some(i) = self.fds.iter().position(Option::is_none) {
            self.fds[i] = Some(fd);
            return Ok(i as u64);
        }
        if self.fds.len() >= MAX_FDS {
            return Err(EMFILE);
        }
        self.fds.try_reserve(1).map_err(|_| ENOMEM)?;
        self.fds.push(Some(fd));
        Ok(self.fds.len() as u64 - 1)
    }

    /// Closes every descriptor marked close-on-exec (execve, once it cannot fail any more).
    pub fn close_on_exec(&mut self) {
        for slot in &mut self.fds {
            if slot.as_ref().is_some_and(|fd| fd.cloexec) {
                *slot = None;
            }
        }
    }

    pub fn close(&mut self, fd: u64) -> Result<(), Errno> {
        match self.fds.get_mut(fd as u32 as usize) {
            Some(slot @ Some(_)) => {
                *slot = None;
                Ok(())
            }
            _ => Err(EBADF),
        }
    }
}
