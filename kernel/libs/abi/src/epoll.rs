//! epoll's `struct epoll_event`, event bits and control operations (`include/uapi/linux/eventpoll.h`).

/// One event (`struct epoll_event`): packed on x86-64, 12 bytes, as Linux's EPOLL_PACKED.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default)]
pub struct epoll_event {
    /// The events wanted (epoll_ctl) or that happened (epoll_wait), and the flags.
    pub events: u32,
    /// The caller's word, given back with the events.
    pub data: u64,
}
layout!(epoll_event, 12; events = 0, data = 4);

pub const EPOLL_CTL_ADD: u64 = 1;
pub const EPOLL_CTL_DEL: u64 = 2;
pub const EPOLL_CTL_MOD: u64 = 3;

/// epoll_create1's one flag (O_CLOEXEC).
pub const EPOLL_CLOEXEC: u64 = 0o2000000;

pub const EPOLLIN: u32 = 0x001;
pub const EPOLLPRI: u32 = 0x002;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLNVAL: u32 = 0x020;
pub const EPOLLRDNORM: u32 = 0x040;
pub const EPOLLRDBAND: u32 = 0x080;
pub const EPOLLWRNORM: u32 = 0x100;
pub const EPOLLWRBAND: u32 = 0x200;
pub const EPOLLMSG: u32 = 0x400;
pub const EPOLLRDHUP: u32 = 0x2000;
/// Only one of the epoll instances waiting on the file is woken.
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
/// Keep the system from suspending while the event is handled.
pub const EPOLLWAKEUP: u32 = 1 << 29;
/// Report the event once, then disable the item until EPOLL_CTL_MOD.
pub const EPOLLONESHOT: u32 = 1 << 30;
/// Edge-triggered: report a change, not a state.
pub const EPOLLET: u32 = 1 << 31;

/// The largest maxevents epoll_wait takes (Linux's EP_MAX_EVENTS: INT_MAX / sizeof(epoll_event)).
pub const EP_MAX_EVENTS: u64 = (i32::MAX as u64) / 12;
/// How deep epoll instances may watch each other (Linux's EP_MAX_NESTS).
pub const EP_MAX_NESTS: usize = 4;
