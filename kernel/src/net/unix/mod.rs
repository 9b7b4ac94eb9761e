//! AF_UNIX sockets (Linux's net/unix/af_unix.c): stream, datagram and sequenced-packet sockets
//! between processes of this machine, made in connected pairs by socketpair or connected through
//! names (paths and abstract names, [`names`]: bind, listen, connect, accept).
//!
//! A socket owns a receive queue of messages (Linux's sk_buffs, [`Skb`]); a sender puts its
//! message straight into its peer's queue. Each message is charged to its sender until it is
//! read (Linux's sk_wmem_alloc): a sender waits, or gets EAGAIN, while its charge is at its
//! send buffer size (SO_SNDBUF), and is woken once a reader brought it down to a quarter, as
//! Linux's sock_alloc_send_pskb and unix_write_space do. A stream send is cut into messages of
//! at most half the send buffer; a stream read takes from as many messages as it can (one that
//! carries descriptors ends it), a datagram or sequenced-packet read takes one message, its tail
//! dropped (MSG_TRUNC) if the buffer is short.
//!
//! Closing (the release of the last file, [`UnixSocket::release`]) shuts a stream or
//! sequenced-packet peer down both ways, so that its reads see end of file and its writes EPIPE,
//! with ECONNRESET first if messages were left unread; a datagram peer is not told, and its
//! next send fails with ECONNREFUSED. shutdown(2) shuts down the peer's opposite direction too.
//!
//! A message carries the sender's credentials when either side asked for them (SO_PASSCRED)
//! or the sender gave some (SCM_CREDENTIALS); calls that wait honour SO_RCVTIMEO and
//! SO_SNDTIMEO ([`Wait`]).
//!
//! Locks: a socket's state is a leaf, never held with another socket's state nor across a copy
//! from or to user memory; messages, which may carry files, are dropped once it is released.
//! One wait queue per socket serves its readers, its writers waiting for their charge to fall,
//! and other sockets' writers waiting for room in its queue; every change wakes it and the poll
//! queue, and counts a wake-up of the side it concerns for edge-triggered epoll.

use abi::socket::*;
use alloc::{collections::VecDeque, sync::Arc, vec::Vec};
use core::sync::atomic::{AtomicU64, Ordering};

mod names;

pub use names::find_other;

use super::{MsgIter, garbage::InFlight};
use crate::{
    fs::{InodeKind, OpenFile},
    sched::WaitQueue,
    signal,
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
};

/// The three kinds of Unix socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockType {
    Stream,
    Dgram,
    SeqPacket,
}

impl SockType {
    /// unix_create's switch: SOCK_RAW is a datagram socket; other types ESOCKTNOSUPPORT.
    pub fn from_raw(ty: u64) -> Result<Self, Errno> {
        match ty {
            SOCK_STREAM => Ok(SockType::Stream),
            SOCK_DGRAM | SOCK_RAW => Ok(SockType::Dgram),
            SOCK_SEQPACKET => Ok(SockType::SeqPacket),
            _ => Err(ESOCKTNOSUPPORT),
        }
    }

    /// The SOCK_* value (SO_TYPE).
    pub fn raw(self) -> u64 {
        match self {
            SockType::Stream => SOCK_STREAM,
            SockType::Dgram => SOCK_DGRAM,
            SockType::SeqPacket => SOCK_SEQPACKET,
        }
    }

    /// Connection-based: a peer's close or shutdown is seen as end of file.
    fn connection(self) -> bool {
        self != SockType::Dgram
    }
}

/// Where a socket stands (Linux's sk_state: TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conn {
    Close,
    Established,
    Listen,
}

/// sk_shutdown's bits.
const RCV_SHUTDOWN: u8 = 1;
const SEND_SHUTDOWN: u8 = 2;
const SHUTDOWN_MASK: u8 = 3;

/// Linux's net.core.wmem_default and rmem_default, and the most SO_SNDBUF and SO_RCVBUF may ask
/// (wmem_max and rmem_max: the socket gets twice what is asked, as Linux gives it).
pub const WMEM_DEFAULT: usize = 212_992;
pub const WMEM_MAX: usize = 212_992;
/// The least a send or receive buffer is (Linux's SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF).
const SOCK_MIN_SNDBUF: usize = 4608;
const SOCK_MIN_RCVBUF: usize = 2304;
/// What a message costs beyond its bytes (the sk_buff and its shared info in Linux's truesize),
/// so that many small messages also fill the send buffer.
const SKB_OVERHEAD: usize = 576;
/// The largest piece of a stream send (Linux's SKB_MAX_HEAD(0) + UNIX_SKB_FRAGS_SZ).
const STREAM_SKB_MAX: usize = 3776 + 32768;
/// How many datagrams wait in a queue before senders not connected back wait (Linux's
/// net.unix.max_dgram_qlen).
const MAX_DGRAM_QLEN: usize = 10;
/// The most one receive round copies through the kernel.
const RECV_CHUNK: usize = 65536;

/// A bound address: the sockaddr_un bytes as given, trimmed as Linux keeps them (Linux's
/// unix_address), and their length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixAddr {
    /// Room for a path of 108 bytes and the NUL bind adds to it (Linux's unix_mkname_bsd writes
    /// it past the sockaddr_un, into the caller's sockaddr_storage).
    pub bytes: [u8; size_of::<sockaddr_un>() + 2],
    pub len: usize,
}

impl UnixAddr {
    /// The bytes getsockname and recvfrom give.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The name after the family: a path, or a 0 byte and an abstract name.
    pub fn path(&self) -> &[u8] {
        &self.bytes[2..self.len]
    }

    /// An abstract name (the path starts with a 0 byte): no file behind it.
    pub fn is_abstract(&self) -> bool {
        self.path().first() == Some(&0)
    }

    /// A path name ends at its first NUL.
    fn fs_path(&self) -> &[u8] {
        let path = self.path();
        &path[..path.iter().position(|&b| b == 0).unwrap_or(path.len())]
    }
}

/// One message in a receive queue (Linux's sk_buff with its unix_skb_parms).
pub struct Skb {
    data: Vec<u8>,
    /// Bytes already read (a stream read may take part of a message).
    consumed: usize,
    /// The descriptors it carries (SCM_RIGHTS).
    fds: Option<InFlight>,
    /// Who sent it, charged `charge` bytes until it goes.
    sender: Arc<UnixSocket>,
    charge: usize,
    /// The sender's address when it sent it (recvfrom's).
    from: Option<Arc<UnixAddr>>,
    /// The credentials it carries (SCM_CREDENTIALS): those the sender gave, or its own when
    /// either side has SO_PASSCRED (Linux's unix_maybe_add_creds).
    cred: Option<ucred>,
}

impl Skb {
    fn len(&self) -> usize {
        self.data.len() - self.consumed
    }
}

impl Drop for Skb {
    /// Read or dropped: the sender's charge falls (Linux's sock_wfree).
    fn drop(&mut self) {
        self.sender.wfree(self.charge);
    }
}

/// What a socket's lock protects.
struct SockState {
    conn: Conn,
    peer: Option<Arc<UnixSocket>>,
    queue: VecDeque<Skb>,
    /// Connections a listener has not accepted yet, and how many it takes.
    backlog: VecDeque<Arc<UnixSocket>>,
    max_backlog: usize,
    shutdown: u8,
    /// A pending error (SO_ERROR; ECONNRESET when a peer went with unread messages).
    err: Option<Errno>,
    /// Released: its file is closed.
    dead: bool,
    addr: Option<Arc<UnixAddr>>,
    /// Who made the connection (SO_PEERCRED).
    peercred: Option<ucred>,
    /// The bytes of its messages still in queues (sk_wmem_alloc), and the buffer sizes.
    wmem: usize,
    sndbuf: usize,
    rcvbuf: usize,
    /// The boolean SOL_SOCKET options set (a bit per option number: SO_REUSEADDR, SO_PASSCRED...).
    flags: u64,
    /// SO_RCVTIMEO and SO_SNDTIMEO in nanoseconds: None waits for ever, 0 not at all.
    rcvtimeo: Option<u64>,
    sndtimeo: Option<u64>,
}

/// A Unix socket (Linux's unix_sock).
pub struct UnixSocket {
    /// Its inode number on sockfs (fstat's st_ino, `socket:[ino]`).
    pub ino: u64,
    pub ty: SockType,
    state: IrqMutex<SockState>,
    wait: WaitQueue,
    /// Wake-ups of its readers and of its writers (edge-triggered epoll, see pipe.rs).
    read_wakes: AtomicU64,
    write_wakes: AtomicU64,
}

/// What a receive got.
pub struct Received {
    /// The call's result: the bytes read (a datagram's full length with MSG_TRUNC).
    pub len: usize,
    /// MSG_TRUNC if a datagram was cut.
    pub flags: u64,
    pub fds: Vec<Arc<OpenFile>>,
    pub from: Option<Arc<UnixAddr>>,
    /// The credentials of what was read, and whether the receiver has SO_PASSCRED (then they
    /// go to it as an SCM_CREDENTIALS message, whatever they are).
    pub cred: Option<ucred>,
    pub passcred: bool,
}

/// The calling process's credentials as a socket records them (Linux's cred_to_ucred: the
/// thread group id and the effective ids).
pub fn current_ucred() -> ucred {
    match crate::thread::current_process() {
        Some(p) => {
            let cred = p.cred.lock();
            ucred {
                pid: p.pid as i32,
                uid: cred.uid.effective,
                gid: cred.gid.effective,
            }
        }
        None => ucred::default(),
    }
}

/// The credentials a message carries by default (Linux's scm_set_cred with current_uid: the
/// real ids, where SO_PEERCRED has the effective ones).
fn current_scm_cred() -> ucred {
    match crate::thread::current_process() {
        Some(p) => {
            let cred = p.cred.lock();
            ucred {
                pid: p.pid as i32,
                uid: cred.uid.real,
                gid: cred.gid.real,
            }
        }
        None => ucred::default(),
    }
}

impl UnixSocket {
    /// A new unconnected socket (Linux's unix_create1); ENOMEM if memory ran out.
    pub fn new(ty: SockType) -> Result<Arc<Self>, Errno> {
        Arc::try_new(UnixSocket {
            ino: crate::fs::inode::next_ino(),
            ty,
            state: IrqMutex::new(SockState {
                conn: Conn::Close,
                peer: None,
                queue: VecDeque::new(),
                backlog: VecDeque::new(),
                max_backlog: 0,
                shutdown: 0,
                err: None,
                dead: false,
                addr: None,
                peercred: None,
                wmem: 0,
                sndbuf: WMEM_DEFAULT,
                rcvbuf: WMEM_DEFAULT,
                flags: 0,
                rcvtimeo: None,
                sndtimeo: None,
            }),
            wait: WaitQueue::new(),
            read_wakes: AtomicU64::new(0),
            write_wakes: AtomicU64::new(0),
        })
        .map_err(|_| ENOMEM)
    }

    /// Two sockets connected to each other (Linux's unix_socketpair): each has the caller's
    /// credentials as its peer's.
    pub fn pair(ty: SockType) -> Result<(Arc<Self>, Arc<Self>), Errno> {
        let a = Self::new(ty)?;
        let b = Self::new(ty)?;
        let cred = current_ucred();
        Self::connect_to(&a, &b, cred);
        Self::connect_to(&b, &a, cred);
        Ok((a, b))
    }

    /// Makes `peer` the peer of `sock`, established, with `cred` as the peer's credentials.
    fn connect_to(sock: &Arc<Self>, peer: &Arc<Self>, cred: ucred) {
        let mut s = sock.state.lock();
        s.peer = Some(peer.clone());
        s.conn = Conn::Established;
        s.peercred = Some(cred);
    }

    /// Wakes the socket's sleepers and pollers, counting a wake-up of its readers (`read`) and
    /// of its writers (`write`).
    fn wake(&self, read: bool, write: bool) {
        if read {
            self.read_wakes.fetch_add(1, Ordering::Relaxed);
        }
        if write {
            self.write_wakes.fetch_add(1, Ordering::Relaxed);
        }
        self.wait.wake_all();
        crate::fs::file::poll_wake();
    }

    /// A message of `charge` bytes went (Linux's sock_wfree and unix_write_space): writers are
    /// woken once the charge is down to a quarter of the send buffer.
    fn wfree(&self, charge: usize) {
        let writable = {
            let mut s = self.state.lock();
            s.wmem = s.wmem.saturating_sub(charge);
            s.writable()
        };
        if writable {
            self.wake(false, true);
        }
    }

    /// The peer, if connected.
    pub fn peer(&self) -> Option<Arc<UnixSocket>> {
        self.state.lock().peer.clone()
    }

    /// Linux's unix_release_sock: the file is closed. The socket is shut down and forgotten by
    /// its peer, which (stream, sequenced packets) is shut down too, with ECONNRESET if messages
    /// were left unread here; the queue's messages and any connections not accepted go.
    /// `embryo`: a connection a listener never accepted.
    pub fn release(&self, embryo: bool) {
        let (peer, queue, backlog, addr) = {
            let mut s = self.state.lock();
            s.dead = true;
            s.shutdown = SHUTDOWN_MASK;
            s.conn = Conn::Close;
            (
                s.peer.take(),
                core::mem::take(&mut s.queue),
                core::mem::take(&mut s.backlog),
                s.addr.clone(),
            )
        };
        // An abstract name is free again; a path stays in the file system, leading nowhere.
        if addr.is_some_and(|a| a.is_abstract()) {
            let mut table = names::ABSTRACT.lock();
            table.retain(|(_, w)| w.strong_count() > 0 && !core::ptr::eq(w.as_ptr(), self));
            if table.is_empty() {
                *table = Vec::new();
            }
        }
        self.wake(true, true);
        if let Some(peer) = &peer
            && self.ty.connection()
        {
            {
                let mut p = peer.state.lock();
                p.shutdown = SHUTDOWN_MASK;
                if !queue.is_empty() || embryo {
                    p.err = Some(ECONNRESET);
                }
            }
            peer.wake(true, true);
        }
        drop(queue);
        for child in backlog {
            child.release(true);
        }
        drop(peer);
        super::garbage::unix_gc();
    }

    /// shutdown(2) (Linux's unix_shutdown): `how` SHUT_RD, SHUT_WR or SHUT_RDWR; a stream or
    /// sequenced-packet peer is shut down the other way.
    pub fn shutdown(&self, how: u64) -> Result<(), Errno> {
        if how > SHUT_RDWR {
            return Err(EINVAL);
        }
        let mode = how as u8 + 1;
        let peer = {
            let mut s = self.state.lock();
            s.shutdown |= mode;
            s.peer.clone()
        };
        self.wake(true, true);
        if let Some(peer) = peer
            && self.ty.connection()
        {
            let mut peer_mode = 0;
            if mode & RCV_SHUTDOWN != 0 {
                peer_mode |= SEND_SHUTDOWN;
            }
            if mode & SEND_SHUTDOWN != 0 {
                peer_mode |= RCV_SHUTDOWN;
            }
            peer.state.lock().shutdown |= peer_mode;
            peer.wake(true, true);
        }
        Ok(())
    }

    /// Linux's unix_poll (stream) and unix_dgram_poll (datagram, sequenced packets).
    pub fn poll(&self) -> u16 {
        use abi::poll::*;
        let (mask, other) = {
            let s = self.state.lock();
            let mut mask = 0i16;
            if s.err.is_some() {
                mask |= POLLERR;
            }
            if s.shutdown == SHUTDOWN_MASK {
                mask |= POLLHUP;
            }
            if s.shutdown & RCV_SHUTDOWN != 0 {
                mask |= POLLRDHUP | POLLIN | POLLRDNORM;
            }
            if !s.queue.is_empty() || !s.backlog.is_empty() {
                mask |= POLLIN | POLLRDNORM;
            }
            if self.ty.connection() && s.conn == Conn::Close {
                mask |= POLLHUP;
            }
            let writable = s.writable();
            if writable {
                mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
            }
            let other = if writable && !self.ty.connection() {
                s.peer.clone()
            } else {
                None
            };
            (mask, other)
        };
        // A datagram socket is not writable while its peer, not connected back, has a full
        // queue (unless the peer is gone: then the write fails at once).
        if let Some(other) = other {
            let o = other.state.lock();
            let back = o.peer.as_ref().is_some_and(|p| core::ptr::eq(&**p, self));
            if !back && !o.dead && o.queue.len() > MAX_DGRAM_QLEN {
                return (mask & !(POLLOUT | POLLWRNORM | POLLWRBAND)) as u16;
            }
        }
        mask as u16
    }

    /// Wake-ups of its readers (`read`) and writers, for edge-triggered epoll.
    pub fn wakes(&self, read: bool, write: bool) -> u64 {
        let mut n = 0u64;
        if read {
            n = n.wrapping_add(self.read_wakes.load(Ordering::Relaxed));
        }
        if write {
            n = n.wrapping_add(self.write_wakes.load(Ordering::Relaxed));
        }
        n
    }

    /// Waits until this socket may charge another message (Linux's sock_alloc_send_pskb): a
    /// pending error, then EPIPE once shut down for sending, EAGAIN when `nonblock`.
    fn wait_for_wmem(&self, w: Wait) -> Result<(), Errno> {
        loop {
            let irq = IrqOff::new();
            let mut s = self.state.lock();
            if let Some(e) = s.err.take() {
                return Err(e);
            }
            if s.shutdown & SEND_SHUTDOWN != 0 {
                return Err(EPIPE);
            }
            if s.wmem < s.sndbuf {
                return Ok(());
            }
            if w.nonblock {
                return Err(EAGAIN);
            }
            drop(s);
            w.sleep(&self.wait, irq)?;
        }
    }

    /// A message of `data` from this socket, charged to it.
    fn new_skb(
        self: &Arc<Self>,
        data: Vec<u8>,
        fds: Option<InFlight>,
        cred: Option<ucred>,
    ) -> Result<Skb, Errno> {
        let nfds = fds.as_ref().map_or(0, |f| f.files().len());
        let charge = data.len() + SKB_OVERHEAD + nfds * size_of::<usize>();
        let from = {
            let mut s = self.state.lock();
            s.wmem += charge;
            s.addr.clone()
        };
        Ok(Skb {
            data,
            consumed: 0,
            fds,
            sender: self.clone(),
            charge,
            from,
            cred,
        })
    }

    /// The send buffer size.
    fn sndbuf(&self) -> usize {
        self.state.lock().sndbuf
    }

    /// Linux's unix_stream_sendmsg: the bytes of `iter` in messages of at most half the send
    /// buffer, the descriptors with the first. EPIPE (and SIGPIPE unless MSG_NOSIGNAL, if nothing
    /// was sent) when this side is shut down for sending or the peer closed or stopped reading;
    /// an error after some bytes went returns their count.
    pub fn stream_sendmsg(
        self: &Arc<Self>,
        iter: &mut dyn MsgIter,
        fds: Option<InFlight>,
        cred: Option<ucred>,
        flags: u64,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        let nosignal = flags & MSG_NOSIGNAL != 0;
        let w = self.wait_limit(true, nonblock);
        let (peer, shutdown) = {
            let s = self.state.lock();
            (s.peer.clone(), s.shutdown)
        };
        let peer = peer.ok_or(ENOTCONN)?;
        if shutdown & SEND_SHUTDOWN != 0 {
            return Err(pipe_error(nosignal));
        }
        let mut fds = fds;
        let total = iter.remaining();
        let mut sent = 0;
        while sent < total {
            let size = (total - sent)
                .min((self.sndbuf() >> 1).saturating_sub(64).max(1))
                .min(STREAM_SKB_MAX);
            // sock_alloc_send_pskb's errors (a pending error, EPIPE once shut down, EAGAIN, a
            // signal) come without SIGPIPE.
            let queued = self
                .wait_for_wmem(w)
                .and_then(|()| self.stream_skb(iter, size, &mut fds, cred))
                .map(|skb| peer.enqueue(skb, true));
            match queued {
                Ok(Ok(())) => sent += size,
                _ if sent > 0 => return Ok(sent),
                Ok(Err((skb, e))) => {
                    drop(skb);
                    return Err(if e == EPIPE { pipe_error(nosignal) } else { e });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(sent)
    }

    /// One message of a stream send: `size` bytes copied in (EFAULT drops it all, as Linux's
    /// skb_copy_datagram_from_iter), with the descriptors if they were not sent yet.
    fn stream_skb(
        self: &Arc<Self>,
        iter: &mut dyn MsgIter,
        size: usize,
        fds: &mut Option<InFlight>,
        cred: Option<ucred>,
    ) -> Result<Skb, Errno> {
        let mut data = kernel_buffer(size)?;
        iter.copy_in(&mut data)?;
        self.new_skb(data, fds.take(), cred)
    }

    /// Puts `skb` at the tail of this socket's queue and wakes its readers; gives it back with
    /// EPIPE if the socket is closed or shut down for reading (`check`).
    fn enqueue(&self, mut skb: Skb, check: bool) -> Result<(), (Skb, Errno)> {
        let cur = current_scm_cred();
        let sender_passcred = skb.sender.flag(SO_PASSCRED);
        {
            let mut s = self.state.lock();
            if skb.cred.is_none() && (sender_passcred || s.flags & (1 << SO_PASSCRED) != 0) {
                skb.cred = Some(cur);
            }
            if check && (s.dead || s.shutdown & RCV_SHUTDOWN != 0) {
                drop(s);
                return Err((skb, EPIPE));
            }
            if s.queue.try_reserve(1).is_err() {
                drop(s);
                return Err((skb, ENOMEM));
            }
            s.queue.push_back(skb);
        }
        self.wake(true, false);
        Ok(())
    }
}

/// EPIPE, and SIGPIPE for the caller unless MSG_NOSIGNAL.
fn pipe_error(nosignal: bool) -> Errno {
    if !nosignal {
        signal::send_sig(signal::SIGPIPE);
    }
    EPIPE
}

/// A zeroed kernel buffer; ENOMEM if memory ran out.
fn kernel_buffer(len: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len).map_err(|_| ENOMEM)?;
    buf.resize(len, 0);
    Ok(buf)
}

impl SockState {
    /// Linux's unix_writable: not listening, and the charge at most a quarter of the buffer.
    fn writable(&self) -> bool {
        self.conn != Conn::Listen && self.wmem.saturating_mul(4) <= self.sndbuf
    }
}

impl UnixSocket {
    /// Linux's unix_dgram_sendmsg (and unix_seqpacket_sendmsg): the whole of `iter` as one
    /// message, to `to` (a datagram socket's destination) or the peer. EMSGSIZE above the send
    /// buffer; ENOTCONN without a peer; a peer gone: EPIPE (sequenced packets) or ECONNREFUSED,
    /// and the socket is disconnected (datagrams). A receiver not connected back to the sender
    /// takes at most MAX_DGRAM_QLEN waiting datagrams: the sender waits or gets EAGAIN.
    pub fn dgram_sendmsg(
        self: &Arc<Self>,
        iter: &mut dyn MsgIter,
        fds: Option<InFlight>,
        cred: Option<ucred>,
        to: Option<&UnixAddr>,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        let to = if self.ty == SockType::SeqPacket {
            let mut s = self.state.lock();
            if let Some(e) = s.err.take() {
                return Err(e);
            }
            if s.conn != Conn::Established {
                return Err(ENOTCONN);
            }
            None
        } else {
            to
        };
        // A sender that wants credentials gets a name, to be told apart (Linux's autobind).
        if self.flag(SO_PASSCRED) {
            self.autobind()?;
        }
        let len = iter.remaining();
        if len.saturating_add(32) > self.sndbuf() {
            return Err(EMSGSIZE);
        }
        let w = self.wait_limit(true, nonblock);
        self.wait_for_wmem(w)?;
        let mut data = kernel_buffer(len)?;
        iter.copy_in(&mut data)?;
        let mut skb = self.new_skb(data, fds, cred)?;
        loop {
            let other = match to {
                Some(addr) => find_other(addr, self.ty)?,
                None => self.peer().ok_or(ENOTCONN)?,
            };
            match self.dgram_deliver(&other, skb, to.is_some(), w) {
                Ok(()) => return Ok(len),
                Err(Deliver::Retry(back)) => skb = back,
                Err(Deliver::Failed(e)) => return Err(e),
            }
        }
    }

    /// One attempt to queue a datagram at `other`; `Retry` when `other` died and the address
    /// (`named`) is to be looked up again, or after a wait for room.
    fn dgram_deliver(
        self: &Arc<Self>,
        other: &Arc<UnixSocket>,
        skb: Skb,
        named: bool,
        w: Wait,
    ) -> Result<(), Deliver> {
        let mut skb = skb;
        let cur = current_scm_cred();
        let passcred = self.flag(SO_PASSCRED);
        let irq = IrqOff::new();
        let mut o = other.state.lock();
        if skb.cred.is_none() && (passcred || o.flags & (1 << SO_PASSCRED) != 0) {
            skb.cred = Some(cur);
        }
        let me = |p: &Arc<UnixSocket>| Arc::ptr_eq(p, self);
        // Linux's unix_may_send: a socket connected elsewhere takes only from its peer.
        if o.peer.as_ref().is_some_and(|p| !me(p)) {
            return Err(Deliver::Failed(EPERM));
        }
        if o.dead {
            drop(o);
            drop(irq);
            drop(skb);
            if self.ty == SockType::SeqPacket {
                return Err(Deliver::Failed(EPIPE));
            }
            return Err(self.dgram_peer_died(other, named));
        }
        if o.shutdown & RCV_SHUTDOWN != 0 {
            drop(o);
            drop(irq);
            drop(skb);
            return Err(Deliver::Failed(EPIPE));
        }
        let back = o.peer.as_ref().is_some_and(me);
        if !Arc::ptr_eq(other, self) && !back && o.queue.len() > MAX_DGRAM_QLEN {
            if w.nonblock {
                drop(o);
                drop(irq);
                drop(skb);
                return Err(Deliver::Failed(EAGAIN));
            }
            drop(o);
            if let Err(e) = w.sleep(&other.wait, irq) {
                drop(skb);
                return Err(Deliver::Failed(e));
            }
            return Err(Deliver::Retry(skb));
        }
        if o.queue.try_reserve(1).is_err() {
            drop(o);
            drop(irq);
            drop(skb);
            return Err(Deliver::Failed(ENOMEM));
        }
        o.queue.push_back(skb);
        drop(o);
        drop(irq);
        other.wake(true, false);
        Ok(())
    }

    /// The datagram destination `other` is closed: if it was the peer, the socket disconnects
    /// and the send fails with ECONNREFUSED (its queue, from that peer, is dropped); else an
    /// unnamed send fails with ECONNRESET and a named one looks the name up again.
    fn dgram_peer_died(&self, other: &Arc<UnixSocket>, named: bool) -> Deliver {
        let dropped = {
            let mut s = self.state.lock();
            if s.peer.as_ref().is_some_and(|p| Arc::ptr_eq(p, other)) {
                s.peer = None;
                s.conn = Conn::Close;
                Some(core::mem::take(&mut s.queue))
            } else {
                None
            }
        };
        match dropped {
            Some(queue) => {
                drop(queue);
                Deliver::Failed(ECONNREFUSED)
            }
            None if !named => Deliver::Failed(ECONNRESET),
            None => Deliver::Failed(ECONNREFUSED),
        }
    }

    /// Linux's unix_stream_read_generic: waits for data (unless `nonblock`), then reads from as
    /// many messages as there are, until the buffer is full or a message with descriptors was
    /// read; with MSG_WAITALL until the buffer is full. End of file once shut down for reading
    /// (a pending error first); EINVAL if not connected. MSG_PEEK leaves the data (and copies
    /// the descriptors).
    pub fn stream_recvmsg(
        &self,
        iter: &mut dyn MsgIter,
        flags: u64,
        nonblock: bool,
    ) -> Result<Received, Errno> {
        if self.state.lock().conn != Conn::Established {
            return Err(EINVAL);
        }
        if flags & MSG_OOB != 0 {
            return Err(EINVAL);
        }
        let w = self.wait_limit(false, nonblock);
        let total = iter.remaining();
        let target = if flags & MSG_WAITALL != 0 { total } else { 1 }.max(1);
        let peek = flags & MSG_PEEK != 0;
        let mut out = Received {
            len: 0,
            flags: 0,
            fds: Vec::new(),
            from: None,
            cred: None,
            passcred: self.flag(SO_PASSCRED),
        };
        let mut buf = kernel_buffer(total.min(RECV_CHUNK))?;
        loop {
            let want = (total - out.len).min(buf.len());
            let fit = iter.fit(want);
            let irq = IrqOff::new();
            let mut s = self.state.lock();
            let skip = if peek { out.len } else { 0 };
            let creds = out.passcred.then_some((out.len > 0).then_some(out.cred));
            let round = s.stream_take(&mut buf[..want], fit, skip, peek, creds);
            let round = match round {
                Ok(round) => round,
                Err(e) => {
                    drop(s);
                    drop(irq);
                    return if out.len > 0 { Ok(out) } else { Err(e) };
                }
            };
            if round.n == 0 && !round.fault && !round.nonempty {
                // Nothing to read: done, an error, end of file, or wait.
                if out.len >= target {
                    return Ok(out);
                }
                if let Some(e) = s.err.take() {
                    return if out.len > 0 { Ok(out) } else { Err(e) };
                }
                if s.shutdown & RCV_SHUTDOWN != 0 {
                    return Ok(out);
                }
                if w.nonblock {
                    return if out.len > 0 { Ok(out) } else { Err(EAGAIN) };
                }
                drop(s);
                if let Err(e) = w.sleep(&self.wait, irq) {
                    return if out.len > 0 { Ok(out) } else { Err(e) };
                }
                continue;
            }
            drop(s);
            drop(irq);
            drop(round.done);
            if out.from.is_none() {
                out.from = round.from;
            }
            if out.len == 0 {
                out.cred = round.cred;
            }
            if round.n == 0 {
                // Not a byte of the next message fits (or the buffer is empty).
                return if out.len > 0 || want == 0 {
                    Ok(out)
                } else {
                    Err(EFAULT)
                };
            }
            if let Err(e) = iter.copy_out(&buf[..round.n]) {
                return if out.len > 0 { Ok(out) } else { Err(e) };
            }
            out.len += round.n;
            let got_fds = !round.fds.is_empty();
            if got_fds {
                out.fds = round.fds;
            }
            if got_fds || round.fault || out.len >= total {
                return Ok(out);
            }
        }
    }

    /// Linux's unix_dgram_recvmsg (and unix_seqpacket_recvmsg): one message, cut to the buffer
    /// (MSG_TRUNC in the flags; the call returns the full length with MSG_TRUNC given). A pending
    /// error first; end of file (0) once shut down for reading; ENOTCONN for an unconnected
    /// sequenced-packet socket. A message whose copy faults is lost (EFAULT), as on Linux.
    pub fn dgram_recvmsg(
        &self,
        iter: &mut dyn MsgIter,
        flags: u64,
        nonblock: bool,
    ) -> Result<Received, Errno> {
        if self.ty == SockType::SeqPacket && self.state.lock().conn != Conn::Established {
            return Err(ENOTCONN);
        }
        if flags & MSG_OOB != 0 {
            return Err(EOPNOTSUPP);
        }
        let peek = flags & MSG_PEEK != 0;
        let w = self.wait_limit(false, nonblock);
        let msg = loop {
            let irq = IrqOff::new();
            let mut s = self.state.lock();
            if let Some(e) = s.err.take() {
                return Err(e);
            }
            if let Some(skb) = s.queue.front() {
                break if peek {
                    Peeked::copy(skb)?
                } else {
                    let skb = s.queue.pop_front();
                    drop(s);
                    drop(irq);
                    // Room in the queue: senders waiting for it may go on.
                    self.wake(false, false);
                    Peeked::Taken(skb.ok_or(EAGAIN)?)
                };
            }
            if s.shutdown & RCV_SHUTDOWN != 0 {
                return Ok(Received {
                    len: 0,
                    flags: 0,
                    fds: Vec::new(),
                    from: None,
                    cred: None,
                    passcred: s.flags & (1 << SO_PASSCRED) != 0,
                });
            }
            if w.nonblock {
                return Err(EAGAIN);
            }
            drop(s);
            w.sleep(&self.wait, irq)?;
        };
        let (data, from, cred) = msg.data();
        let full = data.len();
        let size = full.min(iter.remaining());
        iter.copy_out(&data[..size])?;
        let mut out = Received {
            len: if flags & MSG_TRUNC != 0 { full } else { size },
            flags: if size < full { MSG_TRUNC } else { 0 },
            fds: Vec::new(),
            from,
            cred,
            passcred: self.flag(SO_PASSCRED),
        };
        out.fds = msg.into_fds();
        Ok(out)
    }

    /// Bytes waiting to be read (FIONREAD, Linux's unix_inq_len): all of a stream's, the first
    /// datagram's, all sequenced packets'; EINVAL for a listener.
    pub fn inq_len(&self) -> Result<usize, Errno> {
        let s = self.state.lock();
        if s.conn == Conn::Listen {
            return Err(EINVAL);
        }
        Ok(match self.ty {
            SockType::Dgram => s.queue.front().map_or(0, |skb| skb.data.len()),
            _ => s.queue.iter().map(Skb::len).sum(),
        })
    }

    /// Takes the pending error (SO_ERROR, Linux's sock_error).
    pub fn take_error(&self) -> Option<Errno> {
        self.state.lock().err.take()
    }

    /// SO_SNDBUF and SO_RCVBUF as getsockopt reports them.
    pub fn buffers(&self) -> (usize, usize) {
        let s = self.state.lock();
        (s.sndbuf, s.rcvbuf)
    }

    /// setsockopt SO_SNDBUF (`send`) or SO_RCVBUF: twice the value asked, capped at twice the
    /// maximum and at least the minimum (Linux's __sock_set_sndbuf and __sock_set_rcvbuf).
    pub fn set_buffer(&self, send: bool, val: u32) {
        let doubled = (val as usize).min(WMEM_MAX) * 2;
        let changed = {
            let mut s = self.state.lock();
            if send {
                s.sndbuf = doubled.max(SOCK_MIN_SNDBUF);
            } else {
                s.rcvbuf = doubled.max(SOCK_MIN_RCVBUF);
            }
            s.writable()
        };
        if changed {
            self.wake(false, true);
        }
    }

    /// The credentials of whoever made the connection (SO_PEERCRED).
    pub fn peercred(&self) -> Option<ucred> {
        self.state.lock().peercred
    }

    /// Whether it listens (SO_ACCEPTCONN).
    pub fn is_listening(&self) -> bool {
        self.state.lock().conn == Conn::Listen
    }

    /// Calls `f` with each file in flight in the queue (and in the queues of connections not
    /// accepted yet), for the collector ([`super::garbage`]).
    pub fn for_each_inflight(&self, mut f: impl FnMut(&Arc<OpenFile>)) {
        let backlog: Vec<Arc<UnixSocket>> = {
            let s = self.state.lock();
            for skb in &s.queue {
                if let Some(fds) = &skb.fds {
                    fds.files().iter().for_each(&mut f);
                }
            }
            let mut backlog = Vec::new();
            if backlog.try_reserve(s.backlog.len()).is_ok() {
                backlog.extend(s.backlog.iter().cloned());
            }
            backlog
        };
        for child in backlog {
            let s = child.state.lock();
            for skb in &s.queue {
                if let Some(fds) = &skb.fds {
                    fds.files().iter().for_each(&mut f);
                }
            }
        }
    }

    /// Moves the messages with files out of the queue (and those of connections not accepted)
    /// into `out`, for the collector to drop.
    pub fn take_inflight(&self, out: &mut Vec<Skb>) {
        let mut socks: Vec<Arc<UnixSocket>> = Vec::new();
        {
            let s = self.state.lock();
            if socks.try_reserve(s.backlog.len()).is_ok() {
                socks.extend(s.backlog.iter().cloned());
            }
        }
        take_inflight_of(self, out);
        for child in socks {
            take_inflight_of(&child, out);
        }
    }
}

fn take_inflight_of(sock: &UnixSocket, out: &mut Vec<Skb>) {
    let mut s = sock.state.lock();
    let mut kept = VecDeque::new();
    if kept.try_reserve(s.queue.len()).is_err() {
        return;
    }
    while let Some(skb) = s.queue.pop_front() {
        if skb.fds.is_some() && out.try_reserve(1).is_ok() {
            out.push(skb);
        } else {
            kept.push_back(skb);
        }
    }
    s.queue = kept;
}

/// Why a datagram was not queued.
enum Deliver {
    /// Try again (after a wait for room), with the message.
    Retry(Skb),
    Failed(Errno),
}

/// A datagram taken out of the queue, or a copy of one peeked at.
enum Peeked {
    Taken(Skb),
    Copy(
        Vec<u8>,
        Vec<Arc<OpenFile>>,
        Option<Arc<UnixAddr>>,
        Option<ucred>,
    ),
}

impl Peeked {
    /// A copy of `skb` (MSG_PEEK): its bytes and new references to its files.
    fn copy(skb: &Skb) -> Result<Peeked, Errno> {
        let mut data = Vec::new();
        data.try_reserve_exact(skb.data.len()).map_err(|_| ENOMEM)?;
        data.extend_from_slice(&skb.data);
        let mut fds = Vec::new();
        if let Some(f) = &skb.fds {
            fds.try_reserve_exact(f.files().len()).map_err(|_| ENOMEM)?;
            fds.extend(f.files().iter().cloned());
        }
        Ok(Peeked::Copy(data, fds, skb.from.clone(), skb.cred))
    }

    fn data(&self) -> (&[u8], Option<Arc<UnixAddr>>, Option<ucred>) {
        match self {
            Peeked::Taken(skb) => (&skb.data, skb.from.clone(), skb.cred),
            Peeked::Copy(data, _, from, cred) => (data, from.clone(), *cred),
        }
    }

    /// The descriptors, landed (Linux's unix_detach_fds) or copied.
    fn into_fds(self) -> Vec<Arc<OpenFile>> {
        match self {
            Peeked::Taken(mut skb) => skb.fds.take().map(InFlight::land).unwrap_or_default(),
            Peeked::Copy(_, fds, ..) => fds,
        }
    }
}

/// What one round of a stream read took.
struct Round {
    /// Bytes copied into the buffer.
    n: usize,
    /// Messages read to their end, to drop once the lock is released.
    done: Vec<Skb>,
    fds: Vec<Arc<OpenFile>>,
    from: Option<Arc<UnixAddr>>,
    /// The credentials of the first message read.
    cred: Option<ucred>,
    /// The next bytes did not fit the reader's memory.
    fault: bool,
    /// There was data (though none fitted).
    nonempty: bool,
}

impl SockState {
    /// Copies into `buf` from the queue's messages, `skip` bytes in (MSG_PEEK's progress),
    /// taking what it copies unless `peek`; stops at the first `fit` bytes, after a message with
    /// descriptors, or when a message is left partly read.
    ///
    /// `creds`, for a receiver with SO_PASSCRED, holds the credentials of what the call read
    /// before (None if it read nothing yet): messages with other credentials are not glued on
    /// (Linux's check_creds).
    #[allow(clippy::option_option)]
    fn stream_take(
        &mut self,
        buf: &mut [u8],
        fit: usize,
        mut skip: usize,
        peek: bool,
        mut creds: Option<Option<Option<ucred>>>,
    ) -> Result<Round, Errno> {
        let mut round = Round {
            n: 0,
            done: Vec::new(),
            fds: Vec::new(),
            from: None,
            cred: None,
            fault: false,
            nonempty: false,
        };
        if buf.is_empty() {
            round.nonempty = !self.queue.is_empty();
            return Ok(round);
        }
        round
            .done
            .try_reserve(self.queue.len())
            .map_err(|_| ENOMEM)?;
        let mut i = 0;
        while round.n < buf.len() {
            let Some(skb) = self.queue.get_mut(i) else {
                break;
            };
            let len = skb.len();
            if skip >= len {
                skip -= len;
                i += 1;
                continue;
            }
            round.nonempty = true;
            if let Some(wanted) = creds.as_mut() {
                match wanted {
                    None => *wanted = Some(skb.cred),
                    Some(cred) if *cred != skb.cred => break,
                    Some(_) => {}
                }
            }
            if round.n == 0 {
                round.cred = skb.cred;
            }
            let chunk = (len - skip).min(buf.len() - round.n);
            if round.n + chunk > fit {
                round.fault = true;
                break;
            }
            if round.from.is_none() {
                round.from = skb.from.clone();
            }
            let start = skb.consumed + skip;
            buf[round.n..round.n + chunk].copy_from_slice(&skb.data[start..start + chunk]);
            round.n += chunk;
            if peek {
                if let Some(f) = &skb.fds {
                    round
                        .fds
                        .try_reserve_exact(f.files().len())
                        .map_err(|_| ENOMEM)?;
                    round.fds.extend(f.files().iter().cloned());
                    break;
                }
                skip = 0;
                i += 1;
                continue;
            }
            skb.consumed += chunk;
            if let Some(f) = skb.fds.take() {
                round.fds = f.land();
            }
            if skb.len() > 0 {
                break;
            }
            if let Some(skb) = self.queue.pop_front() {
                round.done.push(skb);
            }
            if !round.fds.is_empty() {
                break;
            }
        }
        Ok(round)
    }
}

/// How long a call may wait: not at all (`nonblock`: O_NONBLOCK, MSG_DONTWAIT, or a zero
/// timeout), until a deadline on the monotonic clock (SO_RCVTIMEO, SO_SNDTIMEO), or for ever.
#[derive(Clone, Copy)]
struct Wait {
    nonblock: bool,
    deadline: Option<u64>,
}

impl Wait {
    /// Sleeps on `queue` (see [`WaitQueue::sleep_until`]); a deadline passed is EAGAIN, as a
    /// socket's timeout is on Linux.
    fn sleep(self, queue: &WaitQueue, irq: IrqOff) -> Result<(), Errno> {
        match queue.sleep_until(irq, self.deadline) {
            Err(ETIMEDOUT) => Err(EAGAIN),
            r => r,
        }
    }
}

impl UnixSocket {
    /// The wait a call starting now may make: sending (`send`, SO_SNDTIMEO) or receiving.
    fn wait_limit(&self, send: bool, nonblock: bool) -> Wait {
        let timeout = {
            let s = self.state.lock();
            if send { s.sndtimeo } else { s.rcvtimeo }
        };
        match timeout {
            Some(0) => Wait {
                nonblock: true,
                deadline: None,
            },
            Some(ns) => Wait {
                nonblock,
                deadline: Some(crate::time::now_ns().saturating_add(ns)),
            },
            None => Wait {
                nonblock,
                deadline: None,
            },
        }
    }

    /// A boolean SOL_SOCKET option (`opt` below 64), as setsockopt left it.
    pub fn flag(&self, opt: u64) -> bool {
        opt < 64 && self.state.lock().flags & (1 << opt) != 0
    }

    /// Sets or clears a boolean SOL_SOCKET option (`opt` below 64).
    pub fn set_flag(&self, opt: u64, on: bool) {
        if opt >= 64 {
            return;
        }
        let mut s = self.state.lock();
        if on {
            s.flags |= 1 << opt;
        } else {
            s.flags &= !(1 << opt);
        }
    }

    /// SO_SNDTIMEO (`send`) or SO_RCVTIMEO in nanoseconds: None for no timeout.
    pub fn timeout(&self, send: bool) -> Option<u64> {
        let s = self.state.lock();
        if send { s.sndtimeo } else { s.rcvtimeo }
    }

    /// Sets SO_SNDTIMEO (`send`) or SO_RCVTIMEO: None for none, 0 for calls that never wait.
    pub fn set_timeout(&self, send: bool, ns: Option<u64>) {
        let mut s = self.state.lock();
        if send {
            s.sndtimeo = ns;
        } else {
            s.rcvtimeo = ns;
        }
    }
}
