//! Sockets. Only the local family, AF_UNIX ([`unix`], Linux's net/unix/af_unix.c), exists: a
//! kernel without networking answers every other family with EAFNOSUPPORT. Descriptors passed
//! in SCM_RIGHTS messages and the collector of their cycles are in [`garbage`]
//! (net/unix/garbage.c). The system calls are in [`crate::syscall::socket`].

pub mod garbage;
pub mod unix;

use alloc::sync::Arc;

use crate::syscall::errno::Errno;

pub use unix::UnixSocket;

/// The socket of an open file (Linux's struct socket, one per file): dropping it, when the last
/// descriptor of the file goes, releases the socket (Linux's sock_close and unix_release).
pub struct Socket(pub Arc<UnixSocket>);

impl Drop for Socket {
    fn drop(&mut self) {
        self.0.release(false);
    }
}

/// Where a message's bytes come from or go to (Linux's msg_iter): the caller's buffers, which the
/// socket layer only touches through these calls, never while it holds a lock.
pub trait MsgIter {
    /// Bytes left to transfer.
    fn remaining(&self) -> usize;
    /// How many of the next `max` bytes can be stored without a fault (a receive takes no more
    /// out of a queue than that, as a pipe read does).
    fn fit(&self, max: usize) -> usize;
    /// Stores `data` at the cursor; EFAULT if not all of it could be.
    fn copy_out(&mut self, data: &[u8]) -> Result<(), Errno>;
    /// Fills `buf` from the cursor; EFAULT if not all of it could be.
    fn copy_in(&mut self, buf: &mut [u8]) -> Result<(), Errno>;
}

/// Bytes already in the kernel as a message to send (sendfile's pieces of a file): the source
/// of a send, never the destination of a receive.
pub struct KernelSource<'a> {
    data: &'a [u8],
}

impl<'a> KernelSource<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        KernelSource { data }
    }
}

impl MsgIter for KernelSource<'_> {
    fn remaining(&self) -> usize {
        self.data.len()
    }

    fn fit(&self, _max: usize) -> usize {
        0
    }

    /// A source takes nothing in: receives never get one.
    fn copy_out(&mut self, _data: &[u8]) -> Result<(), Errno> {
        Err(crate::syscall::errno::EFAULT)
    }

    fn copy_in(&mut self, buf: &mut [u8]) -> Result<(), Errno> {
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        if n < buf.len() {
            return Err(crate::syscall::errno::EFAULT);
        }
        Ok(())
    }
}
