//! The socket calls (Linux's net/socket.c and net/core/scm.c): socket, socketpair, bind, listen,
//! connect, accept, accept4, getsockname, getpeername, sendto, recvfrom, sendmsg, recvmsg,
//! shutdown, getsockopt, setsockopt, and read/write/readv/writev on a socket. Only AF_UNIX
//! exists ([`crate::net::unix`]); every other family is EAFNOSUPPORT, as on a kernel built
//! without networking.
//!
//! A call checks its arguments in Linux's order: the user buffers, the descriptor (EBADF, then
//! ENOTSOCK), the addresses and control messages, then the protocol's own errors. Control
//! messages: SCM_RIGHTS passes descriptors (at most SCM_MAX_FD per message); SCM_CREDENTIALS
//! gives the credentials a message carries (checked: root may claim any ids of a live process),
//! which a receiver with SO_PASSCRED gets, as the sender's own when it gave none.
//!
//! Not done: MSG_OOB (EOPNOTSUPP; Linux 6.18 has out-of-band bytes on stream sockets),
//! SO_PEEK_OFF, SO_RCVLOWAT, SO_LINGER, SO_PRIORITY and the other options (ENOPROTOOPT), and
//! sendfile from a socket (EINVAL).

use abi::{
    fcntl::{O_CLOEXEC, O_NONBLOCK, O_RDWR},
    socket::*,
    uio::UIO_MAXIOV,
};
use alloc::{sync::Arc, vec::Vec};

use super::{
    SysResult,
    errno::*,
    read_write::{UserBufs, current_files, fget},
};
use crate::{
    arch::uaccess,
    fs::{FileKind, OpenFile},
    net::{
        MsgIter, Socket, UnixSocket,
        garbage::InFlight,
        unix::{Received, SockType, UnixAddr},
    },
};

/// The largest address a call copies in (Linux's sizeof(struct sockaddr_storage)).
const SOCKADDR_STORAGE: usize = 128;
/// The largest control buffer sendmsg copies in (Linux's net.core.optmem_max).
const OPTMEM_MAX: u64 = 131_072;
/// The most bytes one call moves (Linux caps send and receive lengths at INT_MAX).
const INT_MAX: u64 = i32::MAX as u64;

/// The open file behind `fd`, if it is a socket: EBADF, ENOTSOCK (Linux's sockfd_lookup).
fn sockfd_lookup(fd: u64) -> Result<Arc<OpenFile>, Errno> {
    let file = fget(fd)?;
    if file.unix_socket().is_none() {
        return Err(ENOTSOCK);
    }
    Ok(file)
}

fn sock_of(file: &OpenFile) -> &Arc<UnixSocket> {
    // Only called on files sockfd_lookup (or the read/write dispatch) found to be sockets.
    file.unix_socket().expect("a socket file")
}

/// The type and flags of socket() and socketpair() (Linux's __sys_socket_create checks):
/// EINVAL for flags other than SOCK_NONBLOCK and SOCK_CLOEXEC; EAFNOSUPPORT for a family out
/// of range or not AF_UNIX; EINVAL for a type out of range; then unix_create's EPROTONOSUPPORT
/// and ESOCKTNOSUPPORT.
fn socket_args(family: u64, ty: u64, protocol: u64) -> Result<(SockType, u64), Errno> {
    let (family, ty, protocol) = (family as i32, ty as i32 as u32 as u64, protocol as i32);
    let flags = ty & !SOCK_TYPE_MASK;
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    let ty = ty & SOCK_TYPE_MASK;
    if family < 0 || family as u64 >= AF_MAX {
        return Err(EAFNOSUPPORT);
    }
    if ty >= SOCK_MAX {
        return Err(EINVAL);
    }
    if family as u64 != AF_UNIX {
        return Err(EAFNOSUPPORT);
    }
    if protocol != 0 && protocol as u64 != AF_UNIX {
        return Err(EPROTONOSUPPORT);
    }
    Ok((SockType::from_raw(ty)?, flags))
}

/// A socket file for `sock`, open for reading and writing, O_NONBLOCK with SOCK_NONBLOCK.
fn sock_file(sock: Arc<UnixSocket>, flags: u64) -> Result<Arc<OpenFile>, Errno> {
    OpenFile::new(
        FileKind::Socket(Socket(sock)),
        O_RDWR | (flags & O_NONBLOCK),
    )
}

/// socket(family, type, protocol): a new unconnected socket on the lowest free descriptor.
pub fn sys_socket(family: u64, ty: u64, protocol: u64) -> SysResult {
    let (ty, flags) = socket_args(family, ty, protocol)?;
    let file = sock_file(UnixSocket::new(ty)?, flags)?;
    current_files()?
        .lock()
        .install(file, flags & O_CLOEXEC != 0)
}

/// socketpair(family, type, protocol, sv): two sockets connected to each other, on the two
/// lowest free descriptors stored at `sv`; if they cannot be stored, both are closed (EFAULT).
pub fn sys_socketpair(family: u64, ty: u64, protocol: u64, sv: u64) -> SysResult {
    let (ty, flags) = socket_args(family, ty, protocol)?;
    let (a, b) = UnixSocket::pair(ty)?;
    let (a, b) = (sock_file(a, flags)?, sock_file(b, flags)?);
    let cloexec = flags & O_CLOEXEC != 0;
    let files = current_files()?;
    let (fa, fb) = {
        let mut table = files.lock();
        let fa = table.install(a, cloexec)?;
        match table.install(b, cloexec) {
            Ok(fb) => (fa, fb),
            Err(e) => {
                let undone = table.close(fa);
                drop(table);
                drop(undone);
                return Err(e);
            }
        }
    };
    if uaccess::write_user(sv, &[fa as i32, fb as i32]).is_err() {
        let mut table = files.lock();
        let undone = (table.close(fa), table.close(fb));
        drop(table);
        drop(undone);
        return Err(EFAULT);
    }
    Ok(0)
}

/// read and readv on a socket (Linux's sock_read_iter): recvmsg without flags, MSG_DONTWAIT
/// for an O_NONBLOCK file; an empty buffer reads nothing at once.
pub fn sock_read(file: &OpenFile, bufs: &mut UserBufs) -> SysResult {
    if bufs.remaining() == 0 {
        return Ok(0);
    }
    let got = sock_recvmsg(file, bufs, 0)?;
    Ok(got.len as u64)
}

/// write and writev on a socket (Linux's sock_write_iter): sendmsg without flags.
pub fn sock_write(file: &OpenFile, bufs: &mut UserBufs) -> SysResult {
    sock_sendmsg(file, bufs, None, Scm::default(), 0)
}

/// sendfile into a socket (Linux's splice to a socket): a send of `buf`, from the kernel.
pub fn sock_send_kernel(file: &OpenFile, buf: &[u8]) -> Result<usize, Errno> {
    let mut src = crate::net::KernelSource::new(buf);
    sock_sendmsg(file, &mut src, None, Scm::default(), 0).map(|n| n as usize)
}

/// What a send's control messages carry (Linux's scm_cookie): descriptors, credentials.
#[derive(Default)]
struct Scm {
    fds: Option<InFlight>,
    cred: Option<ucred>,
}

/// Linux's sock_sendmsg: to the protocol's sendmsg, with MSG_DONTWAIT for an O_NONBLOCK file.
fn sock_sendmsg(
    file: &OpenFile,
    iter: &mut dyn MsgIter,
    to: Option<&UnixAddr>,
    scm: Scm,
    flags: u64,
) -> SysResult {
    let sock = sock_of(file);
    let nonblock = file.nonblock() || flags & MSG_DONTWAIT != 0;
    if flags & MSG_OOB != 0 {
        return Err(EOPNOTSUPP);
    }
    let sent = match sock.ty {
        SockType::Stream => {
            if to.is_some() {
                // Linux's unix_stream_sendmsg: a stream socket takes no address.
                return Err(if sock.peer().is_some() {
                    EISCONN
                } else {
                    EOPNOTSUPP
                });
            }
            sock.stream_sendmsg(iter, scm.fds, scm.cred, flags, nonblock)?
        }
        SockType::Dgram | SockType::SeqPacket => {
            sock.dgram_sendmsg(iter, scm.fds, scm.cred, to, nonblock)?
        }
    };
    Ok(sent as u64)
}

/// Linux's sock_recvmsg: to the protocol's recvmsg, with MSG_DONTWAIT for an O_NONBLOCK file.
fn sock_recvmsg(file: &OpenFile, iter: &mut dyn MsgIter, flags: u64) -> Result<Received, Errno> {
    let sock = sock_of(file);
    let nonblock = file.nonblock() || flags & MSG_DONTWAIT != 0;
    match sock.ty {
        SockType::Stream => sock.stream_recvmsg(iter, flags, nonblock),
        SockType::Dgram | SockType::SeqPacket => sock.dgram_recvmsg(iter, flags, nonblock),
    }
}

/// An address from user memory (Linux's move_addr_to_kernel and unix_validate_addr): EINVAL
/// for a length outside (2, sizeof(sockaddr_un)] or a family other than AF_UNIX, EFAULT.
/// The length is an int.
pub fn copy_unix_addr(addr: u64, len: u64) -> Result<UnixAddr, Errno> {
    let (bytes, len) = move_addr_to_kernel(addr, len)?;
    if len <= 2 || len > size_of::<sockaddr_un>() || family(&bytes) != AF_UNIX {
        return Err(EINVAL);
    }
    Ok(UnixAddr { bytes, len })
}

/// Linux's move_addr_to_kernel: EINVAL for a length (an int) below 0 or above
/// sockaddr_storage's, EFAULT; the bytes that fit a Unix address, and the length.
fn move_addr_to_kernel(addr: u64, len: u64) -> Result<([u8; ADDR_BYTES], usize), Errno> {
    let len = len as i32;
    if len < 0 || len as usize > SOCKADDR_STORAGE {
        return Err(EINVAL);
    }
    let len = len as usize;
    let mut bytes = [0u8; ADDR_BYTES];
    let n = len.min(size_of::<sockaddr_un>());
    uaccess::copy_from_user(&mut bytes[..n], addr)?;
    Ok((bytes, len))
}

/// A sockaddr_un and the NUL bind may add after it.
const ADDR_BYTES: usize = size_of::<sockaddr_un>() + 2;

fn family(bytes: &[u8]) -> u64 {
    u16::from_ne_bytes([bytes[0], bytes[1]]) as u64
}

/// bind(fd, addr, len): see [`UnixSocket::bind`]. A length of just the family autobinds.
pub fn sys_bind(fd: u64, addr: u64, len: u64) -> SysResult {
    let file = sockfd_lookup(fd)?;
    let (bytes, len) = move_addr_to_kernel(addr, len)?;
    let addr = if len == 2 && family(&bytes) == AF_UNIX {
        UnixAddr { bytes, len }
    } else {
        copy_unix_addr(addr, len as u64)?
    };
    sock_of(&file).bind(addr).map(|()| 0)
}

/// listen(fd, backlog): see [`UnixSocket::listen`]; a backlog above net.core.somaxconn (or
/// negative, as an unsigned int) is cut to it.
pub fn sys_listen(fd: u64, backlog: u64) -> SysResult {
    const SOMAXCONN: u64 = 4096;
    let file = sockfd_lookup(fd)?;
    let backlog = (backlog as u32 as u64).min(SOMAXCONN);
    sock_of(&file).listen(backlog as usize).map(|()| 0)
}

/// connect(fd, addr, len): a stream or sequenced-packet socket connects to a listener
/// ([`UnixSocket::stream_connect`]; EAGAIN, not EINPROGRESS, when it would wait and the file is
/// non-blocking); a datagram socket sets its destination, or with AF_UNSPEC drops it.
pub fn sys_connect(fd: u64, addr: u64, len: u64) -> SysResult {
    let file = sockfd_lookup(fd)?;
    let sock = sock_of(&file);
    let (bytes, alen) = move_addr_to_kernel(addr, len)?;
    if sock.ty == SockType::Dgram {
        if alen < 2 {
            return Err(EINVAL);
        }
        if family(&bytes) == AF_UNSPEC {
            return sock.dgram_connect(None).map(|()| 0);
        }
        let addr = copy_unix_addr(addr, len)?;
        return sock.dgram_connect(Some(&addr)).map(|()| 0);
    }
    let addr = copy_unix_addr(addr, len)?;
    sock.stream_connect(&addr, file.nonblock()).map(|()| 0)
}

/// accept(fd, addr, addrlen): accept4 without flags.
pub fn sys_accept(fd: u64, addr: u64, addrlen: u64) -> SysResult {
    sys_accept4(fd, addr, addrlen, 0)
}

/// accept4(fd, addr, addrlen, flags): the next connection on a new descriptor (non-blocking
/// with SOCK_NONBLOCK, close-on-exec with SOCK_CLOEXEC; other flags are ignored, as Linux 6.18
/// ignores them), the connecting socket's address at `addr`. If the address cannot be stored,
/// the connection is closed again (EFAULT), as Linux drops it.
pub fn sys_accept4(fd: u64, addr: u64, addrlen: u64, flags: u64) -> SysResult {
    let flags = flags & (SOCK_CLOEXEC | SOCK_NONBLOCK);
    let file = sockfd_lookup(fd)?;
    let listener = sock_of(&file);
    let files = current_files()?;
    // Linux takes the descriptor before it waits: EMFILE leaves the connection waiting.
    if !files.lock().can_install() {
        return Err(EMFILE);
    }
    let child = listener.accept(file.nonblock())?;
    let peer_addr = child.peer_addr().ok().flatten();
    // Should either step fail, the new file's drop closes the connection.
    let new = sock_file(child, flags)?;
    let newfd = files.lock().install(new.clone(), flags & O_CLOEXEC != 0)?;
    drop(new);
    if addr != 0 {
        let bytes = peer_addr.as_ref().map_or(&UNNAMED[..], |a| a.as_bytes());
        if let Err(e) = move_addr_to_user(bytes, addr, addrlen) {
            let undone = files.lock().close(newfd);
            drop(undone);
            return Err(e);
        }
    }
    Ok(newfd)
}

/// The address of a socket without a name: the family alone.
const UNNAMED: [u8; 2] = (AF_UNIX as u16).to_ne_bytes();

/// getsockname(fd, addr, addrlen): the socket's own address (the family alone if unnamed).
pub fn sys_getsockname(fd: u64, addr: u64, addrlen: u64) -> SysResult {
    let file = sockfd_lookup(fd)?;
    let own = sock_of(&file).addr();
    let bytes = own.as_ref().map_or(&UNNAMED[..], |a| a.as_bytes());
    move_addr_to_user(bytes, addr, addrlen).map(|()| 0)
}

/// getpeername(fd, addr, addrlen): the peer's address; ENOTCONN without a peer.
pub fn sys_getpeername(fd: u64, addr: u64, addrlen: u64) -> SysResult {
    let file = sockfd_lookup(fd)?;
    let peer = sock_of(&file).peer_addr()?;
    let bytes = peer.as_ref().map_or(&UNNAMED[..], |a| a.as_bytes());
    move_addr_to_user(bytes, addr, addrlen).map(|()| 0)
}

/// Stores `klen` bytes of `kaddr` at `uaddr` for a buffer of `*ulen` bytes, and `klen` at
/// `ulen` (Linux's move_addr_to_user): EFAULT, EINVAL for a negative length.
fn move_addr_to_user(kaddr: &[u8], uaddr: u64, ulen: u64) -> Result<(), Errno> {
    let len: i32 = uaccess::read_user(ulen)?;
    if len < 0 {
        return Err(EINVAL);
    }
    let n = (len as usize).min(kaddr.len());
    if n > 0 {
        uaccess::copy_to_user(uaddr, &kaddr[..n])?;
    }
    uaccess::write_user(ulen, &(kaddr.len() as i32))?;
    Ok(())
}

/// sendto(fd, buf, len, flags, addr, addrlen): a send of one buffer, to `addr` if given.
pub fn sys_sendto(fd: u64, buf: u64, len: u64, flags: u64, addr: u64, addrlen: u64) -> SysResult {
    let len = len.min(INT_MAX);
    let mut bufs = UserBufs::single(buf, len)?;
    let file = sockfd_lookup(fd)?;
    // Linux's move_addr_to_kernel: a zero length is no address.
    let to = if addr != 0 && addrlen as u32 != 0 {
        Some(copy_unix_addr(addr, addrlen)?)
    } else {
        None
    };
    sock_sendmsg(
        &file,
        &mut bufs,
        to.as_ref(),
        Scm::default(),
        flags as u32 as u64,
    )
}

/// recvfrom(fd, buf, len, flags, addr, addrlen): a receive into one buffer; the sender's
/// address (if it has one) at `addr`, its length at `addrlen` (0 for an unnamed sender).
pub fn sys_recvfrom(fd: u64, buf: u64, len: u64, flags: u64, addr: u64, addrlen: u64) -> SysResult {
    let len = len.min(INT_MAX);
    let mut bufs = UserBufs::single(buf, len)?;
    let file = sockfd_lookup(fd)?;
    let got = sock_recvmsg(&file, &mut bufs, flags as u32 as u64)?;
    drop(got.fds);
    if addr != 0 {
        let from = got.from.as_ref().map_or(&[][..], |a| a.as_bytes());
        move_addr_to_user(from, addr, addrlen)?;
    }
    Ok(got.len as u64)
}

/// The user's msghdr (Linux's copy_msghdr_from_user): EFAULT; EMSGSIZE for more than
/// UIO_MAXIOV buffers.
fn copy_msghdr(msg: u64) -> Result<msghdr, Errno> {
    let hdr: msghdr = uaccess::read_user(msg)?;
    if hdr.msg_iovlen > UIO_MAXIOV {
        return Err(EMSGSIZE);
    }
    Ok(hdr)
}

/// sendmsg(fd, msg, flags): a send gathered from msg's buffers, to msg's address if it has one,
/// with msg's control messages.
pub fn sys_sendmsg(fd: u64, msg: u64, flags: u64) -> SysResult {
    let file = sockfd_lookup(fd)?;
    let hdr = copy_msghdr(msg)?;
    let namelen = hdr.msg_namelen as i32;
    if namelen < 0 {
        return Err(EINVAL);
    }
    let to = if hdr.msg_name != 0 && namelen != 0 {
        Some(copy_unix_addr(
            hdr.msg_name,
            (namelen as u64).min(SOCKADDR_STORAGE as u64),
        )?)
    } else {
        None
    };
    let mut bufs = UserBufs::import(hdr.msg_iov, hdr.msg_iovlen)?;
    let scm = scm_send(&hdr)?;
    // A sequenced-packet socket ignores the address (Linux's unix_seqpacket_sendmsg).
    let to = if sock_of(&file).ty == SockType::SeqPacket {
        None
    } else {
        to
    };
    sock_sendmsg(&file, &mut bufs, to.as_ref(), scm, flags as u32 as u64)
}

/// The control messages of a send (Linux's __scm_send): each must fit in the buffer (EINVAL);
/// SCM_RIGHTS descriptors are looked up (EBADF) and put in flight, at most SCM_MAX_FD in all
/// (EINVAL); SCM_CREDENTIALS must be exactly a ucred naming a process (ESRCH); other types at
/// SOL_SOCKET are EINVAL, other levels ignored. ENOBUFS for a buffer above optmem_max.
fn scm_send(hdr: &msghdr) -> Result<Scm, Errno> {
    let len = hdr.msg_controllen;
    let mut scm = Scm::default();
    if len == 0 {
        return Ok(scm);
    }
    if len > INT_MAX || len > OPTMEM_MAX {
        return Err(ENOBUFS);
    }
    let mut ctl = Vec::new();
    ctl.try_reserve_exact(len as usize).map_err(|_| ENOMEM)?;
    ctl.resize(len as usize, 0);
    uaccess::copy_from_user(&mut ctl, hdr.msg_control)?;
    let mut files: Vec<Arc<OpenFile>> = Vec::new();
    let hdr_len = size_of::<cmsghdr>();
    let mut off = 0usize;
    while off + hdr_len <= ctl.len() {
        let cmsg_len = u64::from_ne_bytes(ctl[off..off + 8].try_into().unwrap_or_default());
        let level = i32::from_ne_bytes(ctl[off + 8..off + 12].try_into().unwrap_or_default());
        let ty = i32::from_ne_bytes(ctl[off + 12..off + 16].try_into().unwrap_or_default());
        // CMSG_OK: a whole header, and no more than what is left.
        if cmsg_len < hdr_len as u64 || cmsg_len > (ctl.len() - off) as u64 {
            return Err(EINVAL);
        }
        let data = &ctl[off + hdr_len..off + cmsg_len as usize];
        if level as u64 == SOL_SOCKET {
            match ty {
                SCM_RIGHTS => scm_fp_copy(data, &mut files)?,
                SCM_CREDENTIALS => scm.cred = Some(scm_check_creds(cmsg_len, data)?),
                _ => return Err(EINVAL),
            }
        }
        off = off.saturating_add(cmsg_align(cmsg_len) as usize);
    }
    if !files.is_empty() {
        scm.fds = Some(InFlight::new(files)?);
    }
    Ok(scm)
}

/// Linux's scm_fp_copy: the descriptors of one SCM_RIGHTS message, added to `files`.
fn scm_fp_copy(data: &[u8], files: &mut Vec<Arc<OpenFile>>) -> Result<(), Errno> {
    let num = data.len() / size_of::<i32>();
    if num == 0 {
        return Ok(());
    }
    if num > SCM_MAX_FD || files.len() + num > SCM_MAX_FD {
        return Err(EINVAL);
    }
    files.try_reserve(num).map_err(|_| ENOMEM)?;
    let table = current_files()?;
    for chunk in data.as_chunks::<4>().0.iter().take(num) {
        let fd = i32::from_ne_bytes(*chunk);
        if fd < 0 {
            return Err(EBADF);
        }
        files.push(table.lock().get(fd as u64)?);
    }
    Ok(())
}

/// Linux's SCM_CREDENTIALS check: exactly CMSG_LEN(sizeof(ucred)) bytes (EINVAL), and a pid
/// that exists (ESRCH). Root may claim any ids, as Linux lets a process with CAP_SYS_ADMIN,
/// CAP_SETUID and CAP_SETGID.
fn scm_check_creds(cmsg_len: u64, data: &[u8]) -> Result<ucred, Errno> {
    if cmsg_len != cmsg_len_of(size_of::<ucred>()) {
        return Err(EINVAL);
    }
    let pid = i32::from_ne_bytes(data[..4].try_into().unwrap_or_default());
    let me = crate::net::unix::current_ucred();
    let privileged = me.uid == 0;
    let uid = u32::from_ne_bytes(data[4..8].try_into().unwrap_or_default());
    let gid = u32::from_ne_bytes(data[8..12].try_into().unwrap_or_default());
    if !privileged && (pid != me.pid || uid != me.uid || gid != me.gid) {
        return Err(EPERM);
    }
    if pid <= 0 || crate::process::find(pid as u32).is_none() {
        return Err(ESRCH);
    }
    Ok(ucred { pid, uid, gid })
}

fn cmsg_len_of(len: usize) -> u64 {
    cmsg_len(len as u64)
}

/// recvmsg(fd, msg, flags): a receive scattered over msg's buffers; the sender's address, the
/// control messages (SCM_RIGHTS: the descriptors, installed here), the flags (MSG_TRUNC,
/// MSG_CTRUNC, and MSG_CMSG_CLOEXEC as given) and the lengths written back into msg.
pub fn sys_recvmsg(fd: u64, msg: u64, flags: u64) -> SysResult {
    let flags = flags as u32 as u64;
    let file = sockfd_lookup(fd)?;
    let hdr = copy_msghdr(msg)?;
    let mut bufs = UserBufs::import(hdr.msg_iov, hdr.msg_iovlen)?;
    let got = sock_recvmsg(&file, &mut bufs, flags)?;
    let len = got.len as u64;
    let mut msg_flags = (flags & MSG_CMSG_CLOEXEC) | got.flags;
    if hdr.msg_name != 0 {
        let from = got.from.as_ref().map_or(&[][..], |a| a.as_bytes());
        move_addr_to_user(
            from,
            hdr.msg_name,
            msg + core::mem::offset_of!(msghdr, msg_namelen) as u64,
        )?;
    }
    let mut ctl = Control::new(&hdr);
    if got.passcred {
        // A cred-less message says pid 0 and the overflow ids (Linux's from_kuid_munged).
        let cred = got.cred.unwrap_or(ucred {
            pid: 0,
            uid: 65534,
            gid: 65534,
        });
        let mut data = [0u8; 12];
        data[..4].copy_from_slice(&cred.pid.to_ne_bytes());
        data[4..8].copy_from_slice(&cred.uid.to_ne_bytes());
        data[8..].copy_from_slice(&cred.gid.to_ne_bytes());
        ctl.put(SCM_CREDENTIALS, &data);
    }
    ctl.detach_fds(got.fds, flags & MSG_CMSG_CLOEXEC != 0);
    msg_flags |= ctl.flags;
    uaccess::write_user(
        msg + core::mem::offset_of!(msghdr, msg_flags) as u64,
        &(msg_flags as u32),
    )?;
    uaccess::write_user(
        msg + core::mem::offset_of!(msghdr, msg_controllen) as u64,
        &ctl.used,
    )?;
    Ok(len)
}

/// The control buffer of a receive being filled (Linux's msg_control and msg_controllen as
/// put_cmsg moves them), and MSG_CTRUNC if something did not fit. The address is the user's,
/// unchecked until a copy: arithmetic on it wraps, and the copy fails (EFAULT) instead.
struct Control {
    at: u64,
    left: u64,
    used: u64,
    flags: u64,
}

impl Control {
    fn new(hdr: &msghdr) -> Self {
        Control {
            at: hdr.msg_control,
            left: if hdr.msg_control != 0 {
                hdr.msg_controllen
            } else {
                0
            },
            used: 0,
            flags: 0,
        }
    }

    /// Moves past `len` bytes (a message and its padding, as far as the buffer goes).
    fn advance(&mut self, len: u64) {
        let len = len.min(self.left);
        self.at = self.at.wrapping_add(len);
        self.left -= len;
        self.used += len;
    }

    /// Linux's put_cmsg at SOL_SOCKET: the message, cut (MSG_CTRUNC) to what the buffer
    /// holds; nothing (MSG_CTRUNC) if not even a header fits. A fault is not reported, as
    /// Linux does not report it.
    fn put(&mut self, ty: i32, data: &[u8]) {
        let hdr_len = size_of::<cmsghdr>() as u64;
        if self.left < hdr_len {
            self.flags |= MSG_CTRUNC;
            return;
        }
        let mut len = cmsg_len(data.len() as u64);
        if self.left < len {
            self.flags |= MSG_CTRUNC;
            len = self.left;
        }
        let cm = cmsghdr {
            cmsg_len: len,
            cmsg_level: SOL_SOCKET as i32,
            cmsg_type: ty,
        };
        let n = (len - hdr_len) as usize;
        if uaccess::write_user(self.at, &cm).is_err()
            || uaccess::copy_to_user(self.at.wrapping_add(hdr_len), &data[..n]).is_err()
        {
            return;
        }
        self.advance(cmsg_space(data.len() as u64));
    }

    /// Linux's scm_detach_fds: installs as many of `fds` as the buffer has room for (each on
    /// the lowest free descriptor, close-on-exec with MSG_CMSG_CLOEXEC) and writes one
    /// SCM_RIGHTS message of them; the others are closed, and MSG_CTRUNC says so.
    fn detach_fds(&mut self, fds: Vec<Arc<OpenFile>>, cloexec: bool) {
        if fds.is_empty() {
            return;
        }
        let hdr_len = size_of::<cmsghdr>() as u64;
        let room = if self.left > hdr_len {
            ((self.left - hdr_len) / size_of::<i32>() as u64) as usize
        } else {
            0
        };
        let fdmax = room.min(fds.len());
        let count = fds.len();
        let Ok(table) = current_files() else {
            self.flags |= MSG_CTRUNC;
            return;
        };
        let mut installed = 0usize;
        for file in fds.into_iter().take(fdmax) {
            let Ok(fd) = table.lock().install(file, cloexec) else {
                break;
            };
            let at = self
                .at
                .wrapping_add(hdr_len + (installed * size_of::<i32>()) as u64);
            if uaccess::write_user(at, &(fd as i32)).is_err() {
                let undone = table.lock().close(fd);
                drop(undone);
                break;
            }
            installed += 1;
        }
        if installed < count || fdmax == 0 {
            self.flags |= MSG_CTRUNC;
        }
        if installed == 0 {
            return;
        }
        let bytes = (installed * size_of::<i32>()) as u64;
        let cm = cmsghdr {
            cmsg_len: cmsg_len(bytes),
            cmsg_level: SOL_SOCKET as i32,
            cmsg_type: SCM_RIGHTS,
        };
        if uaccess::write_user(self.at, &cm).is_ok() {
            self.advance(cmsg_space(bytes));
        }
    }
}

/// shutdown(fd, how): see [`UnixSocket::shutdown`].
pub fn sys_shutdown(fd: u64, how: u64) -> SysResult {
    let file = sockfd_lookup(fd)?;
    let how = how as i32;
    if how < 0 {
        return Err(EINVAL);
    }
    sock_of(&file).shutdown(how as u64).map(|()| 0)
}

/// The boolean SOL_SOCKET options, which getsockopt reports as setsockopt left them.
const FLAG_OPTIONS: [u64; 7] = [
    SO_DEBUG,
    SO_REUSEADDR,
    SO_DONTROUTE,
    SO_BROADCAST,
    SO_KEEPALIVE,
    SO_OOBINLINE,
    SO_PASSCRED,
];

/// getsockopt(fd, level, name, value, len): the SOL_SOCKET options SO_TYPE, SO_DOMAIN,
/// SO_PROTOCOL, SO_ERROR (taking the pending error), SO_SNDBUF, SO_RCVBUF, SO_ACCEPTCONN,
/// SO_PEERCRED, SO_REUSEPORT (0), the boolean options of [`FLAG_OPTIONS`] and the timeouts
/// (a timeval, zero for none), cut to the caller's length as Linux's sk_getsockopt cuts them;
/// ENOPROTOOPT for the others, EOPNOTSUPP for other levels, EINVAL for a negative length.
pub fn sys_getsockopt(fd: u64, level: u64, name: u64, value: u64, optlen: u64) -> SysResult {
    let file = sockfd_lookup(fd)?;
    let sock = sock_of(&file);
    let len: i32 = uaccess::read_user(optlen)?;
    if level as i32 as u64 != SOL_SOCKET {
        return Err(EOPNOTSUPP);
    }
    if len < 0 {
        return Err(EINVAL);
    }
    let mut bytes = [0u8; 16];
    let name = name as i32 as u64;
    let int = |bytes: &mut [u8; 16], v: i64| {
        bytes[..4].copy_from_slice(&(v as i32).to_ne_bytes());
        4
    };
    let n = match name {
        SO_TYPE => int(&mut bytes, sock.ty.raw() as i64),
        SO_DOMAIN => int(&mut bytes, AF_UNIX as i64),
        SO_PROTOCOL | SO_REUSEPORT => int(&mut bytes, 0),
        SO_ERROR => int(&mut bytes, sock.take_error().map_or(0, |e| e as i64)),
        SO_SNDBUF => int(&mut bytes, sock.buffers().0 as i64),
        SO_RCVBUF => int(&mut bytes, sock.buffers().1 as i64),
        SO_ACCEPTCONN => int(&mut bytes, sock.is_listening() as i64),
        _ if FLAG_OPTIONS.contains(&name) => int(&mut bytes, sock.flag(name) as i64),
        SO_RCVTIMEO | SO_RCVTIMEO_NEW | SO_SNDTIMEO | SO_SNDTIMEO_NEW => {
            // Linux's sock_get_timeout: whole ticks as seconds and microseconds.
            let send = matches!(name, SO_SNDTIMEO | SO_SNDTIMEO_NEW);
            let ticks = sock.timeout(send).unwrap_or(0) / TICK_NS;
            let (sec, usec) = (ticks / HZ, ticks % HZ * 1_000_000 / HZ);
            bytes[..8].copy_from_slice(&(sec as i64).to_ne_bytes());
            bytes[8..].copy_from_slice(&(usec as i64).to_ne_bytes());
            16
        }
        SO_PEERCRED => {
            // No peer: pid 0 and ids of -1 (Linux's cred_to_ucred of nothing).
            let cred = sock.peercred().unwrap_or(ucred {
                pid: 0,
                uid: u32::MAX,
                gid: u32::MAX,
            });
            bytes[..4].copy_from_slice(&cred.pid.to_ne_bytes());
            bytes[4..8].copy_from_slice(&cred.uid.to_ne_bytes());
            bytes[8..12].copy_from_slice(&cred.gid.to_ne_bytes());
            12
        }
        _ => return Err(ENOPROTOOPT),
    };
    let n = (len as usize).min(n);
    uaccess::copy_to_user(value, &bytes[..n])?;
    uaccess::write_user(optlen, &(n as i32))?;
    Ok(0)
}

/// setsockopt(fd, level, name, value, len), as Linux's sk_setsockopt: an int must be there
/// (EINVAL for a shorter length, EFAULT), whatever the option. SO_SNDBUF and SO_RCVBUF (and
/// their FORCE forms, root's); the boolean options of [`FLAG_OPTIONS`] (SO_DEBUG is root's);
/// SO_REUSEPORT only off (EOPNOTSUPP: Unix sockets have no port); SO_RCVTIMEO and SO_SNDTIMEO
/// ([`set_timeout`]). ENOPROTOOPT for the other SOL_SOCKET options, EOPNOTSUPP for other levels.
pub fn sys_setsockopt(fd: u64, level: u64, name: u64, value: u64, optlen: u64) -> SysResult {
    let file = sockfd_lookup(fd)?;
    let sock = sock_of(&file);
    if level as i32 as u64 != SOL_SOCKET {
        return Err(EOPNOTSUPP);
    }
    let name = name as i32 as u64;
    let optlen = optlen as i32;
    if optlen < size_of::<i32>() as i32 {
        return Err(EINVAL);
    }
    let val: i32 = uaccess::read_user(value)?;
    match name {
        // Linux clamps the value as an unsigned int: a negative one asks for the maximum.
        SO_SNDBUF | SO_RCVBUF | SO_SNDBUFFORCE | SO_RCVBUFFORCE => {
            let send = matches!(name, SO_SNDBUF | SO_SNDBUFFORCE);
            sock.set_buffer(send, val as u32);
        }
        SO_REUSEPORT if val != 0 => return Err(EOPNOTSUPP),
        SO_REUSEPORT => {}
        _ if FLAG_OPTIONS.contains(&name) => sock.set_flag(name, val != 0),
        SO_RCVTIMEO | SO_RCVTIMEO_NEW | SO_SNDTIMEO | SO_SNDTIMEO_NEW => {
            set_timeout(
                sock,
                matches!(name, SO_SNDTIMEO | SO_SNDTIMEO_NEW),
                value,
                optlen,
            )?;
        }
        _ => return Err(ENOPROTOOPT),
    }
    Ok(0)
}

/// The clock tick timeouts are counted in (Linux's jiffies), HZ a second.
const HZ: u64 = crate::time::HZ as u64;
const TICK_NS: u64 = 1_000_000_000 / HZ;

/// SO_RCVTIMEO and SO_SNDTIMEO (Linux's sock_set_timeout): a timeval of at least 16 bytes
/// (EINVAL, EFAULT) whose microseconds are in [0, 10^6) (EDOM), rounded up to whole ticks.
/// Zero means no timeout, and so does a time too long to count in ticks; a negative time
/// means calls that never wait, as Linux stores it.
fn set_timeout(sock: &UnixSocket, send: bool, value: u64, optlen: i32) -> Result<(), Errno> {
    if (optlen as usize) < size_of::<abi::time::timeval>() {
        return Err(EINVAL);
    }
    let tv: abi::time::timeval = uaccess::read_user(value)?;
    if tv.tv_usec < 0 || tv.tv_usec >= 1_000_000 {
        return Err(EDOM);
    }
    // MAX_SCHEDULE_TIMEOUT / HZ - 1: the longest timeout Linux counts.
    const MAX_SEC: i64 = (i64::MAX / HZ as i64) - 1;
    let ns = if tv.tv_sec < 0 {
        Some(0)
    } else if (tv.tv_sec == 0 && tv.tv_usec == 0) || tv.tv_sec >= MAX_SEC {
        None
    } else {
        let usec_per_tick = 1_000_000 / HZ;
        let ticks =
            (tv.tv_sec as u64 * HZ).saturating_add((tv.tv_usec as u64).div_ceil(usec_per_tick));
        Some(ticks.saturating_mul(TICK_NS))
    };
    sock.set_timeout(send, ns);
    Ok(())
}
