//! Sockets: address families, socket types, `SOL_SOCKET` options, `MSG_*` flags, and the structs
//! that cross the boundary with them: `msghdr`, `cmsghdr`, `sockaddr_un`, `ucred`
//! (`include/linux/socket.h`, `include/uapi/asm-generic/socket.h`, `include/uapi/linux/un.h`,
//! `include/linux/net.h`).

/// Address families (`AF_*`; the `PF_*` protocol families have the same values).
pub const AF_UNSPEC: u64 = 0;
pub const AF_UNIX: u64 = 1;
pub const AF_LOCAL: u64 = AF_UNIX;
pub const AF_INET: u64 = 2;
pub const AF_INET6: u64 = 10;
pub const AF_NETLINK: u64 = 16;
pub const AF_PACKET: u64 = 17;
/// One more than the largest family (Linux's NPROTO): socket() refuses anything at or above it.
pub const AF_MAX: u64 = 46;

/// Socket types (`enum sock_type`), in the low bits of socket()'s `type`.
pub const SOCK_STREAM: u64 = 1;
pub const SOCK_DGRAM: u64 = 2;
pub const SOCK_RAW: u64 = 3;
pub const SOCK_RDM: u64 = 4;
pub const SOCK_SEQPACKET: u64 = 5;
pub const SOCK_DCCP: u64 = 6;
pub const SOCK_PACKET: u64 = 10;
/// One more than the largest type: a larger one is EINVAL.
pub const SOCK_MAX: u64 = 11;
pub const SOCK_TYPE_MASK: u64 = 0xf;
/// Flags that may be or'ed into `type`: O_NONBLOCK and O_CLOEXEC.
pub const SOCK_NONBLOCK: u64 = 0o4000;
pub const SOCK_CLOEXEC: u64 = 0o2000000;

/// The level of the generic socket options.
pub const SOL_SOCKET: u64 = 1;
pub const SO_DEBUG: u64 = 1;
pub const SO_REUSEADDR: u64 = 2;
pub const SO_TYPE: u64 = 3;
pub const SO_ERROR: u64 = 4;
pub const SO_DONTROUTE: u64 = 5;
pub const SO_BROADCAST: u64 = 6;
pub const SO_SNDBUF: u64 = 7;
pub const SO_RCVBUF: u64 = 8;
pub const SO_KEEPALIVE: u64 = 9;
pub const SO_OOBINLINE: u64 = 10;
pub const SO_REUSEPORT: u64 = 15;
pub const SO_PASSCRED: u64 = 16;
pub const SO_PEERCRED: u64 = 17;
pub const SO_RCVLOWAT: u64 = 18;
pub const SO_SNDLOWAT: u64 = 19;
/// Receive and send timeouts, a `struct timeval` (the old names, which x86_64's C libraries use;
/// the _NEW ones take a `__kernel_sock_timeval`, the same 16 bytes on a 64-bit machine).
pub const SO_RCVTIMEO: u64 = 20;
pub const SO_SNDTIMEO: u64 = 21;
pub const SO_RCVTIMEO_NEW: u64 = 66;
pub const SO_SNDTIMEO_NEW: u64 = 67;
pub const SO_ACCEPTCONN: u64 = 30;
pub const SO_SNDBUFFORCE: u64 = 32;
pub const SO_RCVBUFFORCE: u64 = 33;
pub const SO_PROTOCOL: u64 = 38;
pub const SO_DOMAIN: u64 = 39;

/// Control-message types at level SOL_SOCKET.
pub const SCM_RIGHTS: i32 = 1;
pub const SCM_CREDENTIALS: i32 = 2;
/// The most descriptors one message carries (Linux's SCM_MAX_FD).
pub const SCM_MAX_FD: usize = 253;

/// send/recv flags.
pub const MSG_OOB: u64 = 1;
pub const MSG_PEEK: u64 = 2;
pub const MSG_DONTROUTE: u64 = 4;
pub const MSG_CTRUNC: u64 = 8;
pub const MSG_TRUNC: u64 = 0x20;
pub const MSG_DONTWAIT: u64 = 0x40;
pub const MSG_EOR: u64 = 0x80;
pub const MSG_WAITALL: u64 = 0x100;
pub const MSG_NOSIGNAL: u64 = 0x4000;
pub const MSG_CMSG_CLOEXEC: u64 = 0x4000_0000;

/// shutdown's `how`.
pub const SHUT_RD: u64 = 0;
pub const SHUT_WR: u64 = 1;
pub const SHUT_RDWR: u64 = 2;

/// A message for sendmsg and recvmsg (`struct user_msghdr`): 56 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct msghdr {
    /// The peer's address (a user pointer) and its length.
    pub msg_name: u64,
    pub msg_namelen: u32,
    pub _pad1: u32,
    /// The data: an iovec array and its length.
    pub msg_iov: u64,
    pub msg_iovlen: u64,
    /// Control messages (ancillary data) and their total length.
    pub msg_control: u64,
    pub msg_controllen: u64,
    /// What recvmsg found (MSG_TRUNC, MSG_CTRUNC...).
    pub msg_flags: u32,
    pub _pad2: u32,
}
layout!(msghdr, 56; msg_name = 0, msg_namelen = 8, msg_iov = 16, msg_iovlen = 24,
    msg_control = 32, msg_controllen = 40, msg_flags = 48);

/// The header of one control message (`struct cmsghdr`): 16 bytes, its data after it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct cmsghdr {
    /// Header and data, without the padding after the data.
    pub cmsg_len: u64,
    pub cmsg_level: i32,
    pub cmsg_type: i32,
}
layout!(cmsghdr, 16; cmsg_len = 0, cmsg_level = 8, cmsg_type = 12);

/// CMSG_ALIGN: control messages are laid out on 8-byte boundaries.
pub const fn cmsg_align(len: u64) -> u64 {
    (len + 7) & !7
}

/// CMSG_LEN: a header and `len` bytes of data.
pub const fn cmsg_len(len: u64) -> u64 {
    cmsg_align(size_of::<cmsghdr>() as u64) + len
}

/// CMSG_SPACE: what a control message of `len` bytes takes, padding included.
pub const fn cmsg_space(len: u64) -> u64 {
    cmsg_align(size_of::<cmsghdr>() as u64) + cmsg_align(len)
}

/// The bytes of a Unix-domain path, including the one that may end it.
pub const UNIX_PATH_MAX: usize = 108;

/// A Unix-domain address (`struct sockaddr_un`): the family and a path, 110 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sockaddr_un {
    pub sun_family: u16,
    pub sun_path: [u8; UNIX_PATH_MAX],
}
layout!(sockaddr_un, 110; sun_family = 0, sun_path = 2);

/// The credentials SO_PEERCRED and SCM_CREDENTIALS carry (`struct ucred`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}
layout!(ucred, 12; pid = 0, uid = 4, gid = 8);
