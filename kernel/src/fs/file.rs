//! Open files and the per-process file-descriptor table.

use alloc::{sync::Arc, vec::Vec};

use super::Inode;
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
    /// A regular file of the initramfs.
    Regular(Arc<Inode>),
    /// A directory (can be opened, not read).
    Dir(Arc<Inode>),
    /// A /proc file and its text, produced at the first read.
    Proc(
        super::procfs::ProcFile,
        IrqMutex<Option<alloc::vec::Vec<u8>>>,
    ),
}

/// An open file description (Linux's `struct file`): shared by descriptors dup'ed or inherited.
pub struct OpenFile {
    pub kind: FileKind,
    pub readable: bool,
    pub writable: bool,
    pos: IrqMutex<u64>,
}

impl OpenFile {
    /// A new open file description; ENOMEM if memory ran out.
    pub fn new(kind: FileKind, readable: bool, writable: bool) -> Result<Arc<Self>, Errno> {
        Arc::try_new(OpenFile {
            kind,
            readable,
            writable,
            pos: IrqMutex::new(0),
        })
        .map_err(|_| ENOMEM)
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
        let bytes: &[u8] = match &self.kind {
            FileKind::Console => return Ok(0),
            FileKind::Dir(_) => return Err(EISDIR),
            FileKind::Regular(inode) => match inode.data {
                super::InodeData::Initramfs(bytes) => bytes,
                super::InodeData::Shmem { .. } => &[],
            },
            FileKind::Proc(file, text) => {
                let mut text = text.lock();
                if text.is_none() {
                    *text = Some(file.render()?.into_bytes());
                }
                let bytes = text.as_deref().unwrap_or_default();
                return Ok(Self::read_from(bytes, pos, buf));
            }
        };
        Ok(Self::read_from(bytes, pos, buf))
    }

    /// Copies from `bytes` at `pos`.
    fn read_from(bytes: &[u8], pos: u64, buf: &mut [u8]) -> usize {
        let start = pos.min(bytes.len() as u64) as usize;
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        n
    }

    /// Writes from a kernel buffer.
    pub fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        if !self.writable {
            return Err(EBADF);
        }
        match &self.kind {
            FileKind::Console => {
                serial::write_bytes(buf);
                Ok(buf.len())
            }
            _ => Err(EBADF),
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

/// A process's file descriptors (Linux's files_struct).
pub struct FdTable {
    fds: Vec<Option<Arc<OpenFile>>>,
}

/// An fd table as processes hold it: reference-counted, so that threads (and CLONE_FILES) can
/// share one.
pub type SharedFdTable = Arc<IrqMutex<FdTable>>;

impl FdTable {
    /// stdin, stdout and stderr on the console, for the first process.
    pub fn with_console() -> Option<SharedFdTable> {
        let console = OpenFile::new(FileKind::Console, true, true).ok()?;
        FdTable {
            fds: alloc::vec![Some(console.clone()), Some(console.clone()), Some(console)],
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

    pub fn get(&self, fd: u64) -> Result<Arc<OpenFile>, Errno> {
        self.fds
            .get(fd as usize)
            .and_then(|f| f.clone())
            .ok_or(EBADF)
    }

    /// Installs a file at the lowest free descriptor, as POSIX requires.
    pub fn install(&mut self, file: Arc<OpenFile>) -> Result<u64, Errno> {
        if let Some(i) = self.fds.iter().position(Option::is_none) {
            self.fds[i] = Some(file);
            return Ok(i as u64);
        }
        if self.fds.len() >= MAX_FDS {
            return Err(EMFILE);
        }
        self.fds.try_reserve(1).map_err(|_| ENOMEM)?;
        self.fds.push(Some(file));
        Ok(self.fds.len() as u64 - 1)
    }

    pub fn close(&mut self, fd: u64) -> Result<(), Errno> {
        match self.fds.get_mut(fd as usize) {
            Some(slot @ Some(_)) => {
                *slot = None;
                Ok(())
            }
            _ => Err(EBADF),
        }
    }
}
