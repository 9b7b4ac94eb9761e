//! Names and connections of Unix sockets (Linux's unix_bind, unix_find_other, unix_listen,
//! unix_stream_connect, unix_accept and unix_dgram_connect): a path is an S_IFSOCK inode in the
//! file system that leads to the socket while it is open; an abstract name (a 0 byte first) is
//! in one kernel-wide table and is free again once its socket is closed. A stream or
//! sequenced-packet connect makes the listener's side of the connection at once, a new socket
//! connected to the caller that waits in the listener's backlog for accept (Linux's "embryo");
//! data sent before the accept waits in it.

use abi::socket::*;
use alloc::{
    collections::VecDeque,
    sync::{Arc, Weak},
    vec::Vec,
};
use core::sync::atomic::Ordering;

use super::{Conn, InodeKind, RCV_SHUTDOWN, SockType, UnixAddr, UnixSocket, current_ucred};
use crate::{
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
};

/// The socket bound to `addr`, of type `ty` (Linux's unix_find_other): ECONNREFUSED if nothing
/// is bound there (an abstract name) or the socket there is closed, ENOENT for a missing path,
/// EPROTOTYPE for a socket of another type.
pub fn find_other(addr: &UnixAddr, ty: SockType) -> Result<Arc<UnixSocket>, Errno> {
    let sock = lookup(addr)?;
    if sock.ty != ty {
        return Err(EPROTOTYPE);
    }
    Ok(sock)
}

/// Abstract names (a 0 byte first in the path): bound sockets in one kernel-wide table, with no
/// file behind them (Linux keeps them in its per-namespace hash of Unix sockets).
pub(super) static ABSTRACT: IrqMutex<Vec<(Arc<UnixAddr>, Weak<UnixSocket>)>> =
    IrqMutex::new(Vec::new());

/// The socket bound at `addr`, if it is still open: an abstract name in [`ABSTRACT`], a path
/// through the file system (its errors: ENOENT, ENOTDIR...) to a socket inode.
fn lookup(addr: &UnixAddr) -> Result<Arc<UnixSocket>, Errno> {
    let path = addr.path();
    let found = if path.first() == Some(&0) {
        ABSTRACT
            .lock()
            .iter()
            .find(|(a, _)| a.path() == path)
            .and_then(|(_, w)| w.upgrade())
    } else {
        let name = addr.fs_path();
        let inode = crate::syscall::namei::lookup_at(abi::fcntl::AT_FDCWD as u64, name, true, 0)?;
        match &inode.kind {
            InodeKind::Socket(w) => w.upgrade(),
            _ => None,
        }
    };
    match found {
        Some(sock) if !sock.state.lock().dead => Ok(sock),
        _ => Err(ECONNREFUSED),
    }
}

/// The next autobind name (Linux's ordernum): five hex digits.
static AUTOBIND: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

impl UnixSocket {
    /// The bound address, if any (getsockname).
    pub fn addr(&self) -> Option<Arc<UnixAddr>> {
        self.state.lock().addr.clone()
    }

    /// The peer's address (getpeername): ENOTCONN without a peer; None if it has no name.
    pub fn peer_addr(&self) -> Result<Option<Arc<UnixAddr>>, Errno> {
        let peer = self.peer().ok_or(ENOTCONN)?;
        Ok(peer.addr())
    }

    /// bind(2) (Linux's unix_bind): `addr` of only a family binds an automatic abstract name;
    /// an abstract name goes in the kernel-wide table (EADDRINUSE if taken); a path gets a socket
    /// inode, S_IFSOCK with 0777 less the umask (EADDRINUSE if the name exists, the lookup's
    /// errors). EINVAL for a socket already bound.
    pub fn bind(self: &Arc<Self>, addr: UnixAddr) -> Result<(), Errno> {
        if addr.len == 2 {
            return self.autobind();
        }
        if addr.is_abstract() {
            if self.state.lock().addr.is_some() {
                return Err(EINVAL);
            }
            return self.bind_abstract(addr);
        }
        self.bind_bsd(addr)
    }

    /// A path name (Linux's unix_bind_bsd): the node is made first, then the socket takes the
    /// name unless it has one (EINVAL, and the node goes again).
    fn bind_bsd(self: &Arc<Self>, mut addr: UnixAddr) -> Result<(), Errno> {
        use crate::syscall::namei::{apply_umask, start_dir};
        let path_len = addr.fs_path().len();
        // The address keeps the path and one NUL (Linux's unix_mkname_bsd).
        addr.bytes[2 + path_len] = 0;
        addr.len = 2 + path_len + 1;
        let mut path = Vec::new();
        path.try_reserve_exact(path_len).map_err(|_| ENOMEM)?;
        path.extend_from_slice(addr.fs_path());
        let parent =
            crate::fs::namei::lookup_parent(start_dir(abi::fcntl::AT_FDCWD as u64, &path)?, &path)?;
        let mode = abi::stat::S_IFSOCK | apply_umask(0o777)?;
        let kind = InodeKind::Socket(Arc::downgrade(self));
        crate::fs::vfs::create(&parent, kind, mode).map_err(|e| match e {
            EEXIST => EADDRINUSE,
            e => e,
        })?;
        let addr = Arc::try_new(addr).map_err(|_| ENOMEM)?;
        let taken = {
            let mut s = self.state.lock();
            if s.addr.is_some() {
                true
            } else {
                s.addr = Some(addr);
                false
            }
        };
        if taken {
            let _ = crate::fs::vfs::unlink(&parent);
            return Err(EINVAL);
        }
        Ok(())
    }

    /// An abstract name (Linux's unix_bind_abstract): EADDRINUSE if a live socket has it.
    fn bind_abstract(self: &Arc<Self>, addr: UnixAddr) -> Result<(), Errno> {
        let addr = Arc::try_new(addr).map_err(|_| ENOMEM)?;
        {
            let mut table = ABSTRACT.lock();
            table.retain(|(_, w)| w.strong_count() > 0);
            if table.iter().any(|(a, _)| a.as_bytes() == addr.as_bytes()) {
                return Err(EADDRINUSE);
            }
            table.try_reserve(1).map_err(|_| ENOMEM)?;
            table.push((addr.clone(), Arc::downgrade(self)));
        }
        let mut s = self.state.lock();
        if s.addr.is_none() {
            s.addr = Some(addr);
        }
        Ok(())
    }

    /// Linux's unix_autobind: an unused abstract name of five hex digits, unless the socket has a
    /// name already (then nothing).
    pub(super) fn autobind(self: &Arc<Self>) -> Result<(), Errno> {
        if self.state.lock().addr.is_some() {
            return Ok(());
        }
        for _ in 0..=0xfffff {
            let n = AUTOBIND.fetch_add(1, Ordering::Relaxed) & 0xfffff;
            let mut addr = UnixAddr {
                bytes: [0; size_of::<sockaddr_un>() + 2],
                len: 8,
            };
            addr.bytes[..2].copy_from_slice(&(AF_UNIX as u16).to_ne_bytes());
            let digits = b"0123456789abcdef";
            for i in 0..5 {
                addr.bytes[3 + i] = digits[(n >> (4 * (4 - i))) as usize & 0xf];
            }
            match self.bind_abstract(addr) {
                Err(EADDRINUSE) => continue,
                r => return r,
            }
        }
        Err(ENOSPC)
    }

    /// listen(2) (Linux's unix_listen): EOPNOTSUPP for datagrams, EINVAL unbound or connected.
    /// Records the caller's credentials for the connections to come (their SO_PEERCRED).
    pub fn listen(&self, backlog: usize) -> Result<(), Errno> {
        if self.ty == SockType::Dgram {
            return Err(EOPNOTSUPP);
        }
        {
            let mut s = self.state.lock();
            if s.addr.is_none() || !matches!(s.conn, Conn::Close | Conn::Listen) {
                return Err(EINVAL);
            }
            s.max_backlog = backlog;
            s.conn = Conn::Listen;
            s.peercred = Some(current_ucred());
        }
        // A longer backlog may let waiting connectors in.
        self.wake(false, false);
        Ok(())
    }

    /// connect(2) of a stream or sequenced-packet socket (Linux's unix_stream_connect): finds
    /// the listener (unix_find_other's errors), which must listen (ECONNREFUSED) and have room
    /// in its backlog (else wait, or EAGAIN when `nonblock`); then EISCONN if connected, EINVAL
    /// if listening. A new socket, connected to this one, waits in the listener's backlog for
    /// accept; each side gets the other's credentials.
    pub fn stream_connect(self: &Arc<Self>, addr: &UnixAddr, nonblock: bool) -> Result<(), Errno> {
        if self.flag(SO_PASSCRED) {
            self.autobind()?;
        }
        let embryo = UnixSocket::new(self.ty)?;
        let w = self.wait_limit(true, nonblock);
        loop {
            let other = find_other(addr, self.ty)?;
            let (laddr, lcred) = {
                let irq = IrqOff::new();
                let o = other.state.lock();
                if o.dead {
                    continue;
                }
                if o.conn != Conn::Listen || o.shutdown & RCV_SHUTDOWN != 0 {
                    return Err(ECONNREFUSED);
                }
                if o.backlog.len() > o.max_backlog {
                    if w.nonblock {
                        return Err(EAGAIN);
                    }
                    drop(o);
                    w.sleep(&other.wait, irq)?;
                    continue;
                }
                (o.addr.clone(), o.peercred)
            };
            {
                let mut s = self.state.lock();
                match s.conn {
                    Conn::Close => {}
                    Conn::Established => return Err(EISCONN),
                    Conn::Listen => return Err(EINVAL),
                }
                s.peer = Some(embryo.clone());
                s.conn = Conn::Established;
                s.peercred = lcred;
            }
            {
                let mut e = embryo.state.lock();
                e.peer = Some(self.clone());
                e.conn = Conn::Established;
                e.peercred = Some(current_ucred());
                e.addr = laddr;
            }
            if other.queue_connection(&embryo)? {
                other.wake(true, false);
                self.wake(false, true);
                return Ok(());
            }
            // The listener stopped listening meanwhile: undo, and look again.
            let mut s = self.state.lock();
            s.peer = None;
            s.conn = Conn::Close;
            s.peercred = None;
        }
    }

    /// Puts a new connection in a listener's backlog; false if it no longer listens.
    fn queue_connection(&self, embryo: &Arc<UnixSocket>) -> Result<bool, Errno> {
        let mut o = self.state.lock();
        if o.dead || o.conn != Conn::Listen {
            return Ok(false);
        }
        o.backlog.try_reserve(1).map_err(|_| ENOMEM)?;
        o.backlog.push_back(embryo.clone());
        Ok(true)
    }

    /// accept(2) (Linux's unix_accept): the oldest connection waiting, once there is one
    /// (EAGAIN when `nonblock`); EINVAL if not listening, EOPNOTSUPP for datagrams.
    pub fn accept(&self, nonblock: bool) -> Result<Arc<UnixSocket>, Errno> {
        if self.ty == SockType::Dgram {
            return Err(EOPNOTSUPP);
        }
        let w = self.wait_limit(false, nonblock);
        loop {
            let irq = IrqOff::new();
            let mut s = self.state.lock();
            if s.conn != Conn::Listen {
                return Err(EINVAL);
            }
            if let Some(child) = s.backlog.pop_front() {
                drop(s);
                drop(irq);
                // Room in the backlog: connectors waiting for it may go on.
                self.wake(false, false);
                return Ok(child);
            }
            if w.nonblock {
                return Err(EAGAIN);
            }
            drop(s);
            w.sleep(&self.wait, irq)?;
        }
    }

    /// connect(2) of a datagram socket (Linux's unix_dgram_connect): `addr` the new default
    /// destination (EPERM if it is connected elsewhere), None (AF_UNSPEC) to disconnect. A
    /// change of peer drops what the old one sent, and tells it ECONNRESET if it was connected
    /// back here.
    pub fn dgram_connect(self: &Arc<Self>, addr: Option<&UnixAddr>) -> Result<(), Errno> {
        let other = match addr {
            Some(addr) => {
                if self.flag(SO_PASSCRED) {
                    self.autobind()?;
                }
                let other = find_other(addr, self.ty)?;
                let o = other.state.lock();
                if o.peer.as_ref().is_some_and(|p| !Arc::ptr_eq(p, self)) {
                    return Err(EPERM);
                }
                drop(o);
                Some(other)
            }
            None => None,
        };
        let (old, dropped) = {
            let mut s = self.state.lock();
            let old = core::mem::replace(&mut s.peer, other.clone());
            s.conn = if other.is_some() {
                Conn::Established
            } else {
                Conn::Close
            };
            let changed = match (&old, &other) {
                (Some(o), Some(n)) => !Arc::ptr_eq(o, n),
                (Some(_), None) => true,
                _ => false,
            };
            let dropped = if changed {
                core::mem::take(&mut s.queue)
            } else {
                VecDeque::new()
            };
            (old.filter(|_| changed), dropped)
        };
        if let Some(old) = old
            && !dropped.is_empty()
        {
            let mut o = old.state.lock();
            if !o.dead && o.peer.as_ref().is_some_and(|p| Arc::ptr_eq(p, self)) {
                o.err = Some(ECONNRESET);
            }
            drop(o);
            old.wake(true, true);
        }
        drop(dropped);
        self.wake(false, true);
        Ok(())
    }
}
