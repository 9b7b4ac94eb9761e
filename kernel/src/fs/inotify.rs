//! inotify (Linux's fs/notify/inotify and the fsnotify hooks it hangs on): a descriptor whose
//! reads return `struct inotify_event` records about changes to watched files and directories.
//!
//! An instance ([`Inotify`], "anon_inode:inotify") owns a queue of events. Its watches
//! ("marks") live in one global table, [`MARKS`], each holding the watched inode (a watch pins
//! its inode, as Linux's mark holds an inode reference) and a weak reference to its instance.
//! The VFS calls the `fsnotify_*` functions below once per operation, after it has released its
//! directory and metadata locks; they find the interested marks under [`MARKS`], release it,
//! and queue events on each instance under its own queue lock (a leaf).
//!
//! As Linux: a watch on a directory also reports the events of its children (access, modify,
//! attrib, open, close) with the child's name, before the child's own watches report them; an
//! event identical to the last one queued is dropped (inotify_merge); once the queue holds
//! max_queued_events events, one IN_Q_OVERFLOW (wd -1) is queued and further events are lost
//! until it is read. A call that moves data reports once however much it moved: IN_ACCESS on
//! its input, then IN_MODIFY on its output ([`crate::fs::OpenFile::fsnotify_access`] and
//! `fsnotify_modify`, called by read, write, sendfile, splice and copy_file_range).
//!
//! Differences, loosely enforced limits: a child's name is found by looking for its inode in
//! the watched directories (a file with names in two watched directories reports to both), so
//! a file unlinked while open no longer reports to its directory (as if every watch had
//! IN_EXCL_UNLINK, which is accepted); a file unlinked while mapped or a directory removed
//! while someone's working directory reports IN_DELETE_SELF only if a file open on it closes
//! last (Linux: when the last user goes); max_user_instances and max_user_watches ([`Limit`])
//! count for the whole system rather than per user; an event that cannot be allocated is lost.

use alloc::{
    collections::VecDeque,
    sync::{Arc, Weak},
    vec::Vec,
};
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use super::Inode;
use crate::{
    sched::WaitQueue,
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
};

pub const IN_ACCESS: u32 = 0x1;
pub const IN_MODIFY: u32 = 0x2;
pub const IN_ATTRIB: u32 = 0x4;
pub const IN_CLOSE_WRITE: u32 = 0x8;
pub const IN_CLOSE_NOWRITE: u32 = 0x10;
pub const IN_OPEN: u32 = 0x20;
pub const IN_MOVED_FROM: u32 = 0x40;
pub const IN_MOVED_TO: u32 = 0x80;
pub const IN_CREATE: u32 = 0x100;
pub const IN_DELETE: u32 = 0x200;
pub const IN_DELETE_SELF: u32 = 0x400;
pub const IN_MOVE_SELF: u32 = 0x800;
pub const IN_UNMOUNT: u32 = 0x2000;
pub const IN_Q_OVERFLOW: u32 = 0x4000;
pub const IN_IGNORED: u32 = 0x8000;
pub const IN_ONLYDIR: u32 = 0x0100_0000;
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
pub const IN_MASK_ADD: u32 = 0x2000_0000;
pub const IN_ISDIR: u32 = 0x4000_0000;
pub const IN_ONESHOT: u32 = 0x8000_0000;
/// The events a watch can ask for.
pub const IN_ALL_EVENTS: u32 = 0xfff;
/// Every bit inotify_add_watch accepts (Linux's ALL_INOTIFY_BITS).
pub const ALL_INOTIFY_BITS: u32 = IN_ALL_EVENTS
    | IN_UNMOUNT
    | IN_Q_OVERFLOW
    | IN_IGNORED
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
    | IN_EXCL_UNLINK
    | IN_MASK_ADD
    | IN_MASK_CREATE
    | IN_ISDIR
    | IN_ONESHOT;
/// The events a directory's watch hears about its children (Linux's FS_EVENTS_POSS_ON_CHILD).
const ON_CHILD: u32 =
    IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN;

/// inotify's limits, the files of /proc/sys/fs/inotify (Linux's inotify_table), root may set
/// them. max_queued_events applies to instances made after it changes, as on Linux (where it
/// is copied into the group); the other two are counted for the whole system here rather than
/// per user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    QueuedEvents,
    UserInstances,
    UserWatches,
}

/// The limits' values, in [`Limit`]'s order (Linux's defaults; max_user_watches is computed
/// from memory there, 8192 at the least).
static LIMITS: [AtomicUsize; 3] = [
    AtomicUsize::new(16384),
    AtomicUsize::new(128),
    AtomicUsize::new(65536),
];

impl Limit {
    pub const ALL: [Limit; 3] = [
        Limit::QueuedEvents,
        Limit::UserInstances,
        Limit::UserWatches,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Limit::QueuedEvents => "max_queued_events",
            Limit::UserInstances => "max_user_instances",
            Limit::UserWatches => "max_user_watches",
        }
    }

    pub fn named(name: &str) -> Option<Limit> {
        Limit::ALL.into_iter().find(|l| l.name() == name)
    }

    pub fn get(self) -> usize {
        LIMITS[self as usize].load(Ordering::Relaxed)
    }

    /// A write (Linux's proc_dointvec_minmax from 0): an int, blanks around it allowed.
    pub fn set(self, text: &str) -> Result<(), Errno> {
        let value: i32 = text.trim().parse().map_err(|_| EINVAL)?;
        let value = usize::try_from(value).map_err(|_| EINVAL)?;
        LIMITS[self as usize].store(value, Ordering::Relaxed);
        Ok(())
    }
}

/// `struct inotify_event` without its name.
const EVENT_HEADER: usize = 16;

/// One queued event.
struct Event {
    wd: i32,
    mask: u32,
    cookie: u32,
    name: Vec<u8>,
}

impl Event {
    /// The name's length as `len` reports it: with its NUL, padded with NULs to a multiple of
    /// 16 (Linux's round_event_name_len); 0 without a name.
    fn name_len(&self) -> usize {
        if self.name.is_empty() {
            0
        } else {
            (self.name.len() + 1).next_multiple_of(EVENT_HEADER)
        }
    }

    /// The bytes a read of it takes.
    fn size(&self) -> usize {
        EVENT_HEADER + self.name_len()
    }

    fn same_as(&self, other: &Event) -> bool {
        self.wd == other.wd
            && self.mask == other.mask
            && self.cookie == other.cookie
            && self.name == other.name
    }

    /// The record as read returns it.
    fn write_to(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.wd.to_ne_bytes());
        out[4..8].copy_from_slice(&self.mask.to_ne_bytes());
        out[8..12].copy_from_slice(&self.cookie.to_ne_bytes());
        out[12..16].copy_from_slice(&(self.name_len() as u32).to_ne_bytes());
        let name = &mut out[EVENT_HEADER..self.size()];
        name.fill(0);
        name[..self.name.len()].copy_from_slice(&self.name);
    }
}

/// An instance's queue.
struct Queue {
    events: VecDeque<Event>,
    /// The IN_Q_OVERFLOW event is queued and not yet read (Linux's overflow_event on the list).
    overflow_queued: bool,
}

/// An inotify instance (Linux's fsnotify_group with its inotify data).
pub struct Inotify {
    /// Names the instance in [`MARKS`].
    id: u64,
    queue: IrqMutex<Queue>,
    /// max_queued_events when the instance was made.
    max_events: usize,
    /// The last watch descriptor handed out (Linux's idr_alloc_cyclic from 1), changed under
    /// [`MARKS`].
    last_wd: AtomicI32,
    wait: WaitQueue,
    /// Events queued so far, for edge-triggered epoll.
    wakes: AtomicU64,
}

/// A watch: instance `group`'s interest in `inode`.
struct Mark {
    group: Weak<Inotify>,
    group_id: u64,
    wd: i32,
    /// The events (IN_ALL_EVENTS bits) and IN_ONESHOT, IN_EXCL_UNLINK.
    mask: u32,
    inode: Arc<Inode>,
}

/// Every watch of every instance. A leaf lock but for the heap: events are queued after it is
/// released.
static MARKS: IrqMutex<Vec<Mark>> = IrqMutex::new(Vec::new());
/// How many marks exist: the VFS hooks return at once while there are none.
static MARK_COUNT: AtomicUsize = AtomicUsize::new(0);
static INSTANCES: AtomicUsize = AtomicUsize::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// The cookie tying IN_MOVED_FROM to IN_MOVED_TO (Linux's fsnotify_get_cookie).
static COOKIE: AtomicU32 = AtomicU32::new(0);

impl Inotify {
    /// A new instance (inotify_init1): EMFILE past max_user_instances, ENOMEM.
    pub fn new() -> Result<Arc<Inotify>, Errno> {
        INSTANCES
            .try_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < Limit::UserInstances.get()).then_some(n + 1)
            })
            .map_err(|_| EMFILE)?;
        // Dropping a half-made instance would count it out again.
        Arc::try_new(Inotify {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            queue: IrqMutex::new(Queue {
                events: VecDeque::new(),
                overflow_queued: false,
            }),
            max_events: Limit::QueuedEvents.get(),
            last_wd: AtomicI32::new(0),
            wait: WaitQueue::new(),
            wakes: AtomicU64::new(0),
        })
        .map_err(|_| {
            INSTANCES.fetch_sub(1, Ordering::AcqRel);
            ENOMEM
        })
    }

    /// inotify_add_watch on a looked-up inode (Linux's inotify_update_watch): the existing
    /// watch's descriptor with its mask replaced (or OR-ed with IN_MASK_ADD; EEXIST with
    /// IN_MASK_CREATE), else a new watch numbered after the last one handed out.
    pub fn add_watch(self: &Arc<Self>, inode: &Arc<Inode>, arg: u32) -> Result<i32, Errno> {
        let mask = arg & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
        let mut marks = MARKS.lock();
        if let Some(mark) = marks
            .iter_mut()
            .find(|m| m.group_id == self.id && Arc::ptr_eq(&m.inode, inode))
        {
            if arg & IN_MASK_CREATE != 0 {
                return Err(EEXIST);
            }
            if arg & IN_MASK_ADD != 0 {
                mark.mask |= mask;
            } else {
                mark.mask = mask;
            }
            return Ok(mark.wd);
        }
        if marks.len() >= Limit::UserWatches.get() {
            return Err(ENOSPC);
        }
        marks.try_reserve(1).map_err(|_| ENOMEM)?;
        let wd = self.next_wd(&marks);
        marks.push(Mark {
            group: Arc::downgrade(self),
            group_id: self.id,
            wd,
            mask,
            inode: inode.clone(),
        });
        MARK_COUNT.fetch_add(1, Ordering::Relaxed);
        Ok(wd)
    }

    /// The next free watch descriptor after the last one (cyclic, from 1, as idr_alloc_cyclic).
    fn next_wd(&self, marks: &[Mark]) -> i32 {
        let mut wd = self.last_wd.load(Ordering::Relaxed);
        loop {
            wd = if wd == i32::MAX { 1 } else { wd + 1 };
            if !marks.iter().any(|m| m.group_id == self.id && m.wd == wd) {
                self.last_wd.store(wd, Ordering::Relaxed);
                return wd;
            }
        }
    }

    /// inotify_rm_watch: the watch goes and IN_IGNORED is queued; EINVAL for an unknown `wd`.
    pub fn rm_watch(&self, wd: i32) -> Result<(), Errno> {
        let mark = remove_marks(|m| m.group_id == self.id && m.wd == wd)
            .pop()
            .ok_or(EINVAL)?;
        self.queue_event(mark.wd, IN_IGNORED, 0, &[]);
        Ok(())
    }

    /// Queues one event (Linux's fsnotify_insert_event with inotify_merge), then wakes readers.
    fn queue_event(&self, wd: i32, mask: u32, cookie: u32, name: &[u8]) {
        // inotify never reported IN_ISDIR with these two (inotify_handle_inode_event).
        let mask = if mask & (IN_MOVE_SELF | IN_DELETE_SELF) != 0 {
            mask & !IN_ISDIR
        } else {
            mask
        };
        let mut new = Event {
            wd,
            mask,
            cookie,
            name: Vec::new(),
        };
        let mut queue = self.queue.lock();
        if queue.events.len() >= self.max_events {
            if queue.overflow_queued {
                return;
            }
            new = Event {
                wd: -1,
                mask: IN_Q_OVERFLOW,
                cookie: 0,
                name: Vec::new(),
            };
            queue.overflow_queued = true;
        } else {
            if new.name.try_reserve_exact(name.len()).is_err() {
                return;
            }
            new.name.extend_from_slice(name);
            if queue.events.back().is_some_and(|last| last.same_as(&new)) {
                return;
            }
        }
        if queue.events.try_reserve(1).is_err() {
            return;
        }
        queue.events.push_back(new);
        drop(queue);
        self.wakes.fetch_add(1, Ordering::Relaxed);
        self.wait.wake_all();
        super::file::poll_wake();
    }

    /// inotify_read: whole events into `dst` while they fit; EINVAL if the first does not.
    /// Waits for one unless `nonblock` (EAGAIN).
    pub fn read(&self, dst: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        loop {
            let irq = IrqOff::new();
            let mut queue = self.queue.lock();
            if let Some(first) = queue.events.front() {
                if first.size() > dst.len() {
                    return Err(EINVAL);
                }
                let mut done = 0;
                while let Some(event) = queue.events.front() {
                    let size = event.size();
                    if size > dst.len() - done {
                        break;
                    }
                    event.write_to(&mut dst[done..done + size]);
                    done += size;
                    if event.mask == IN_Q_OVERFLOW && event.wd == -1 {
                        queue.overflow_queued = false;
                    }
                    queue.events.pop_front();
                }
                return Ok(done);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            drop(queue);
            self.wait.sleep(irq)?;
        }
    }

    /// FIONREAD: the bytes the queued events take.
    pub fn unread(&self) -> usize {
        self.queue.lock().events.iter().map(Event::size).sum()
    }

    /// Readable while events wait.
    pub fn poll(&self) -> u16 {
        use abi::poll::{POLLIN, POLLRDNORM};
        if self.queue.lock().events.is_empty() {
            0
        } else {
            (POLLIN | POLLRDNORM) as u16
        }
    }

    /// Events queued so far (edge-triggered epoll).
    pub fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::Relaxed)
    }
}

impl Drop for Inotify {
    /// The instance is closed: its watches go (without IN_IGNORED: nobody can read it), and its
    /// events with it.
    fn drop(&mut self) {
        let id = self.id;
        drop(remove_marks(|m| m.group_id == id));
        INSTANCES.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Takes the marks `which` picks out of the table; the caller drops them (and the inodes they
/// pin) with the table unlocked.
fn remove_marks(which: impl Fn(&Mark) -> bool) -> Vec<Mark> {
    let mut marks = MARKS.lock();
    let mut removed = Vec::new();
    let mut i = 0;
    while i < marks.len() {
        if which(&marks[i]) && removed.try_reserve(1).is_ok() {
            removed.push(marks.remove(i));
        } else {
            i += 1;
        }
    }
    MARK_COUNT.fetch_sub(removed.len(), Ordering::Relaxed);
    drop(marks);
    removed
}

/// A mark an event goes to, taken out of the table.
struct Target {
    group: Arc<Inotify>,
    wd: i32,
    mask: u32,
    /// The directory watched, for an event of one of its children (its name is looked up).
    dir: Option<Arc<Inode>>,
}

/// The marks on `inode` that want `mask`, and with `children` the marks on directories that
/// might hold `inode` and want it as a child's event.
fn targets(inode: &Inode, mask: u32, children: bool) -> Vec<Target> {
    let mut out = Vec::new();
    let marks = MARKS.lock();
    for mark in marks.iter() {
        let own = same(&mark.inode, inode);
        let as_dir = children && !own && mark.inode.dir().is_some() && mask & ON_CHILD != 0;
        if !(own || as_dir) || (mask & mark.mask & IN_ALL_EVENTS == 0 && mask & IN_IGNORED == 0) {
            continue;
        }
        let Some(group) = mark.group.upgrade() else {
            continue;
        };
        if out.try_reserve(1).is_err() {
            break;
        }
        out.push(Target {
            group,
            wd: mark.wd,
            mask: mark.mask,
            dir: as_dir.then(|| mark.inode.clone()),
        });
    }
    out
}

/// Queues the event on each target; a watch with IN_ONESHOT goes after its first event.
fn deliver(targets: &[Target], mask: u32, cookie: u32, name: &[u8]) {
    for t in targets {
        t.group.queue_event(t.wd, mask, cookie, name);
        if t.mask & IN_ONESHOT != 0 {
            let id = t.group.id;
            if !remove_marks(|m| m.group_id == id && m.wd == t.wd).is_empty() {
                t.group.queue_event(t.wd, IN_IGNORED, 0, &[]);
            }
        }
    }
}

/// Whether `a` is `b`.
fn same(a: &Arc<Inode>, b: &Inode) -> bool {
    core::ptr::eq(Arc::as_ptr(a), b)
}

/// A name under which directory `dir` lists `inode` (taking the directory's entries, alone).
fn name_in(dir: &Inode, inode: &Inode) -> Option<Vec<u8>> {
    let entries = dir.dir()?.lock();
    let entry = entries.entries_from(0).find(|e| same(&e.inode, inode))?;
    let mut name = Vec::new();
    name.try_reserve_exact(entry.name.len()).ok()?;
    name.extend_from_slice(&entry.name);
    Some(name)
}

fn isdir(inode: &Inode, mask: u32) -> u32 {
    if inode.is_dir() {
        mask | IN_ISDIR
    } else {
        mask
    }
}

fn watched() -> bool {
    MARK_COUNT.load(Ordering::Relaxed) != 0
}

/// An event on a file that its directory hears about too (Linux's fsnotify_parent and
/// fsnotify_inode for open, close, access, modify, attrib): the watched directories that list
/// `inode` first, with its name, then the watches on `inode` itself.
pub fn fsnotify_file(inode: &Inode, mask: u32) {
    if !watched() {
        return;
    }
    let mask = isdir(inode, mask);
    let all = targets(inode, mask, true);
    for t in all.iter().filter(|t| t.dir.is_some()) {
        if let Some(name) = t.dir.as_ref().and_then(|dir| name_in(dir, inode)) {
            deliver(core::slice::from_ref(t), mask, 0, &name);
        }
    }
    for t in all.iter().filter(|t| t.dir.is_none()) {
        deliver(core::slice::from_ref(t), mask, 0, &[]);
    }
}

/// An event on `inode` alone, not its directory (Linux's fsnotify_inode: the link count
/// changed, IN_MOVE_SELF, IN_DELETE_SELF).
pub fn fsnotify_inode(inode: &Inode, mask: u32) {
    if !watched() {
        return;
    }
    let mask = isdir(inode, mask);
    deliver(&targets(inode, mask, false), mask, 0, &[]);
}

/// An event on directory `dir` about its entry `name` (create, delete, moved from, moved to);
/// `child` says whether IN_ISDIR goes with it.
pub fn fsnotify_name(dir: &Inode, mask: u32, child: &Inode, name: &[u8], cookie: u32) {
    if !watched() {
        return;
    }
    let mask = isdir(child, mask);
    deliver(&targets(dir, mask, false), mask, cookie, name);
}

/// The inode lost its last link (Linux's fsnotify_inoderemove): IN_DELETE_SELF, then every
/// watch on it goes with IN_IGNORED.
fn fsnotify_inoderemove(inode: &Inode) {
    if !watched() {
        return;
    }
    fsnotify_inode(inode, IN_DELETE_SELF);
    let removed = remove_marks(|m| same(&m.inode, inode));
    for mark in &removed {
        if let Some(group) = mark.group.upgrade() {
            group.queue_event(mark.wd, IN_IGNORED, 0, &[]);
        }
    }
}

/// The inode may have lost its last name and its last user (Linux's dentry_unlink_inode, at
/// unlink, rmdir, a rename over it or the last close of an unlinked file): if so and it is
/// watched, [`fsnotify_inoderemove`]. The caller holds exactly one reference to `inode`; others
/// besides the watches' (an open file, a mapping, a working directory) mean it is still in use,
/// and its end is reported at the close of the last file open on it.
pub fn fsnotify_unlinked(inode: &Arc<Inode>) {
    if !watched() || inode.nlink() != 0 {
        return;
    }
    let watches = MARKS
        .lock()
        .iter()
        .filter(|m| same(&m.inode, inode))
        .count();
    if watches > 0 && Arc::strong_count(inode) <= watches + 1 {
        fsnotify_inoderemove(inode);
    }
}

/// A new cookie for a rename's pair of events.
pub fn next_cookie() -> u32 {
    COOKIE.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
}
