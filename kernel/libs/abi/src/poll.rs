//! `poll`/`ppoll`'s `struct pollfd` and event bits (`include/uapi/asm-generic/poll.h`).

/// One descriptor to watch (`struct pollfd`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct pollfd {
    /// The descriptor; a negative one is skipped.
    pub fd: i32,
    /// The events to wait for.
    pub events: i16,
    /// The events that happened, filled by the kernel.
    pub revents: i16,
}
layout!(pollfd, 8; fd = 0, events = 4, revents = 6);

pub const POLLIN: i16 = 0x001;
pub const POLLPRI: i16 = 0x002;
pub const POLLOUT: i16 = 0x004;
pub const POLLERR: i16 = 0x008;
pub const POLLHUP: i16 = 0x010;
pub const POLLNVAL: i16 = 0x020;
pub const POLLRDNORM: i16 = 0x040;
pub const POLLRDBAND: i16 = 0x080;
pub const POLLWRNORM: i16 = 0x100;
pub const POLLWRBAND: i16 = 0x200;
pub const POLLMSG: i16 = 0x400;
pub const POLLRDHUP: i16 = 0x2000;
