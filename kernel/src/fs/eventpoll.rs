//! epoll instances (Linux's fs/eventpoll.c): an interest list of (descriptor, open file) items,
//! each with the events it wants, its flags and the caller's data word.
//!
//! Linux keeps a ready list that each file's wait-queue callback feeds. Here readiness is asked
//! of the files when epoll_wait scans, as poll does ([`OpenFile::poll`]), and a waiter sleeps on
//! the one poll wait queue every readiness change wakes ([`super::file::POLL_WAIT`]). That gives
//! level-triggered items exactly; the other modes follow from what each item remembers:
//! - EPOLLET (edge-triggered): an item is reported when the file became ready for something it
//!   was not ready for at its last scan, or when the side of the file it watches was woken since
//!   (a pipe counts the wake-ups of its readers and of its writers, [`OpenFile::wakes`]): new data
//!   in a pipe that was already readable is reported again, as Linux's ep_poll_callback does.
//! - EPOLLONESHOT: once reported, the item wants nothing until EPOLL_CTL_MOD re-arms it.
//!
//! An item refers to its open file weakly: closing the last descriptor of a file removes it from
//! every interest list (as Linux's eventpoll_release), while closing one descriptor of a file
//! that is still open elsewhere (dup, fork) does not, as on Linux.
//!
//! Lock order: `EP_NESTED` (only to add an instance to another), then an instance's items lock,
//! then the locks of the files it polls (a pipe's, or the items lock of an epoll instance it
//! watches: nesting has no cycles, see [`EventPoll::ctl`]).

use abi::epoll::{
    EP_MAX_NESTS, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLERR, EPOLLEXCLUSIVE, EPOLLHUP,
    EPOLLIN, EPOLLONESHOT, EPOLLRDNORM, EPOLLWAKEUP, epoll_event,
};
use alloc::{
    sync::{Arc, Weak},
    vec::Vec,
};

use super::file::{FileKind, OpenFile};
use crate::{
    sync::IrqMutex,
    syscall::errno::{EEXIST, EINVAL, ELOOP, ENOENT, ENOMEM, EPERM, Errno},
};

/// The flags an item keeps after EPOLLONESHOT has fired (Linux's EP_PRIVATE_BITS).
const PRIVATE_BITS: u32 = EPOLLWAKEUP | EPOLLONESHOT | abi::epoll::EPOLLET | EPOLLEXCLUSIVE;

/// Held while an epoll instance is added to another (see [`EventPoll::ctl`]); taken before any
/// instance's items lock.
static EP_NESTED: IrqMutex<()> = IrqMutex::new(());

/// One watched file (Linux's struct epitem).
struct EpItem {
    fd: i32,
    file: Weak<OpenFile>,
    /// What the caller asked for: event bits and flags.
    events: u32,
    data: u64,
    /// The events the file was ready for at the last scan, and its wake-up count then
    /// (edge-triggered items).
    last: u32,
    last_wakes: u64,
}

impl EpItem {
    fn is(&self, fd: i32, file: &Arc<OpenFile>) -> bool {
        self.fd == fd && Weak::ptr_eq(&self.file, &Arc::downgrade(file))
    }

    /// What a scan finds now (the file being this item's): the events the file is ready for among
    /// those wanted, its wake-up count (edge-triggered items), and whether that is to be reported:
    /// anything ready, or for an edge-triggered item only something new since its last scan.
    fn scan(&self, file: &OpenFile) -> (u32, u64, bool) {
        let ready = u32::from(file.poll()) & self.events;
        if self.events & abi::epoll::EPOLLET == 0 {
            return (ready, 0, ready != 0);
        }
        let wakes = file.wakes(self.events);
        let edge = ready & !self.last != 0 || wakes != self.last_wakes;
        (ready, wakes, ready != 0 && edge)
    }
}

/// An epoll instance: what epoll_create returns a descriptor for.
pub struct EventPoll {
    items: IrqMutex<Vec<EpItem>>,
}

impl EventPoll {
    pub const fn new() -> Self {
        EventPoll {
            items: IrqMutex::new(Vec::new()),
        }
    }

    /// epoll_ctl on this instance, `me` being its open file (Linux's do_epoll_ctl once the
    /// descriptors are looked up): EPERM for a file that cannot be polled, EINVAL for the
    /// instance itself or EPOLLEXCLUSIVE misuse, ELOOP for a nesting cycle or one deeper than
    /// EP_MAX_NESTS, EEXIST and ENOENT as the operation finds the item.
    pub fn ctl(
        &self,
        me: &Arc<OpenFile>,
        op: u64,
        fd: i32,
        target: &Arc<OpenFile>,
        event: epoll_event,
    ) -> Result<(), Errno> {
        if !can_poll(target) {
            return Err(EPERM);
        }
        if Arc::ptr_eq(me, target) {
            return Err(EINVAL);
        }
        let events = event.events;
        let exclusive = events & EPOLLEXCLUSIVE != 0;
        if exclusive {
            // Only with ADD, never with ONESHOT, never on another epoll instance.
            let allowed = EPOLLEXCLUSIVE | EPOLLWAKEUP | abi::epoll::EPOLLET | 0xffff;
            if op == EPOLL_CTL_MOD
                || (op == EPOLL_CTL_ADD
                    && (events & !allowed != 0 || matches!(target.kind, FileKind::Epoll(_))))
            {
                return Err(EINVAL);
            }
        }
        // Adding an instance to another: the loop check and the insertion happen under one lock,
        // so that two threads cannot close a cycle between them (Linux's epnested_mutex).
        let _nesting = match (&target.kind, op) {
            (FileKind::Epoll(inner), EPOLL_CTL_ADD) => {
                let guard = EP_NESTED.lock();
                if inner.watches(self, 1)? || inner.depth(1)? > EP_MAX_NESTS {
                    return Err(ELOOP);
                }
                Some(guard)
            }
            _ => None,
        };
        let mut items = self.items.lock();
        let at = items.iter().position(|i| i.is(fd, target));
        match (op, at) {
            (EPOLL_CTL_ADD, Some(_)) => Err(EEXIST),
            (EPOLL_CTL_ADD, None) => {
                items.try_reserve(1).map_err(|_| ENOMEM)?;
                items.push(EpItem {
                    fd,
                    file: Arc::downgrade(target),
                    events: events | EPOLLERR | EPOLLHUP,
                    data: event.data,
                    last: 0,
                    last_wakes: target.wakes(events),
                });
                Ok(())
            }
            (EPOLL_CTL_MOD, Some(at)) => {
                if items[at].events & EPOLLEXCLUSIVE != 0 {
                    return Err(EINVAL);
                }
                items[at].events = events | EPOLLERR | EPOLLHUP;
                items[at].data = event.data;
                items[at].last = 0;
                items[at].last_wakes = target.wakes(events);
                Ok(())
            }
            (EPOLL_CTL_DEL, Some(at)) => {
                items.remove(at);
                Ok(())
            }
            (EPOLL_CTL_MOD | EPOLL_CTL_DEL, None) => Err(ENOENT),
            _ => Err(EINVAL),
        }
    }

    /// Whether this instance watches `other`, directly or through instances it watches.
    fn watches(&self, other: &EventPoll, depth: usize) -> Result<bool, Errno> {
        if core::ptr::eq(self, other) {
            return Ok(true);
        }
        if depth > EP_MAX_NESTS {
            return Err(ELOOP);
        }
        for file in self.files() {
            if let FileKind::Epoll(inner) = &file.kind
                && inner.watches(other, depth + 1)?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// How many instances deep the chain below this one goes.
    fn depth(&self, depth: usize) -> Result<usize, Errno> {
        if depth > EP_MAX_NESTS {
            return Err(ELOOP);
        }
        let mut deepest = depth;
        for file in self.files() {
            if let FileKind::Epoll(inner) = &file.kind {
                deepest = deepest.max(inner.depth(depth + 1)?);
            }
        }
        Ok(deepest)
    }

    /// The files still open on the interest list.
    fn files(&self) -> Vec<Arc<OpenFile>> {
        self.items
            .lock()
            .iter()
            .filter_map(|i| i.file.upgrade())
            .collect()
    }

    /// Collects up to `max` events into `out` (cleared first), as ep_send_events: each ready item
    /// once, with the events it is ready for among those it wants. Items of files closed since
    /// are dropped. Edge-triggered items remember what they were ready for; one-shot items are
    /// disarmed once reported.
    pub fn collect(&self, out: &mut Vec<epoll_event>, max: usize) -> usize {
        out.clear();
        let mut items = self.items.lock();
        items.retain(|i| i.file.strong_count() > 0);
        for item in items.iter_mut() {
            if out.len() >= max || out.len() == out.capacity() {
                break;
            }
            let Some(file) = item.file.upgrade() else {
                continue;
            };
            let (ready, wakes, report) = item.scan(&file);
            if item.events & abi::epoll::EPOLLET != 0 {
                item.last = ready;
                item.last_wakes = wakes;
            }
            if !report {
                continue;
            }
            out.push(epoll_event {
                events: ready,
                data: item.data,
            });
            if item.events & EPOLLONESHOT != 0 {
                item.events &= PRIVATE_BITS;
            }
        }
        out.len()
    }

    /// Whether epoll_wait would report something now (the instance's own poll: readable then).
    pub fn poll(&self) -> u16 {
        let items = self.items.lock();
        let ready = items.iter().any(|item| {
            let Some(file) = item.file.upgrade() else {
                return false;
            };
            item.scan(&file).2
        });
        if ready {
            (EPOLLIN | EPOLLRDNORM) as u16
        } else {
            0
        }
    }

    /// How many items are on the interest list (to size epoll_wait's buffer).
    pub fn len(&self) -> usize {
        self.items.lock().len()
    }
}

/// Whether epoll can watch the file (Linux's file_can_poll): regular files, directories and the
/// /dev devices that never wait have no poll operation, so EPOLL_CTL_ADD refuses them.
fn can_poll(file: &OpenFile) -> bool {
    use super::dev::Device;
    !matches!(
        file.kind,
        FileKind::Regular(_)
            | FileKind::Dir(_)
            | FileKind::Device(Device::Null | Device::Zero | Device::Full, _)
    )
}
