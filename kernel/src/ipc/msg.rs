//! System V message queues (Linux's ipc/msg.c): typed messages queued by msgsnd and taken by
//! msgrcv, the first of a type, of any type, of the lowest type up to a bound, or of any other
//! type.
//!
//! A receiver that finds nothing for it is listed on the queue (a [`Receiver`]) and sleeps on
//! its own wait queue; a sender hands its message straight to the first listed receiver that
//! wants it (Linux's pipelined_send), or to none and queues it. A receiver whose buffer is too
//! small gets E2BIG that way, as Linux. Senders of a full queue sleep on the queue's wait queue
//! and try again each time a message leaves (Linux's ss_wakeup). IPC_RMID answers receivers with
//! EIDRM and wakes senders, who find the queue gone (EIDRM); IPC_SET wakes both, to check their
//! rights and the new size again.
//!
//! Lock order: the table is a leaf, except that it is held while a waiter's wait queue or the
//! answer slot of a receiver (a leaf) is taken, and while the caller's credentials are read.
//! User memory is copied with no lock held: the message is read in before the call looks at
//! the queue, and written out after it was taken.

use alloc::{collections::VecDeque, string::String, sync::Arc, vec::Vec};
use core::fmt::Write;

use abi::ipc::{
    IPC_NOWAIT, MSG_COPY, MSG_EXCEPT, MSG_NOERROR, MSGMAP, MSGMAX, MSGMNB, MSGMNI, MSGPOOL, MSGSEG,
    MSGSSZ, MSGTQL, ipc64_perm, msginfo, msqid64_ds,
};

use crate::{
    ipc::util::{self, IpcIds, IpcObject, S_IRUGO, S_IWUGO, now_secs},
    process::Process,
    sched::{WaitQueue, schedule},
    signal,
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
};

/// One message (Linux's struct msg_msg).
pub struct Msg {
    pub mtype: i64,
    pub text: Vec<u8>,
}

/// Which message msgrcv wants (Linux's SEARCH_* modes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Search {
    /// The first (msgtyp 0).
    Any,
    /// The first of type msgtyp.
    Equal(i64),
    /// The first not of type msgtyp (MSG_EXCEPT).
    NotEqual(i64),
    /// The first of the lowest type up to -msgtyp.
    LessEqual(i64),
    /// A copy of the one at position msgtyp (MSG_COPY).
    Number(i64),
}

impl Search {
    /// Linux's convert_mode.
    fn new(msgtyp: i64, flags: u64) -> Search {
        if flags & MSG_COPY != 0 {
            Search::Number(msgtyp)
        } else if msgtyp == 0 {
            Search::Any
        } else if msgtyp < 0 {
            Search::LessEqual(msgtyp.checked_neg().unwrap_or(i64::MAX))
        } else if flags & MSG_EXCEPT != 0 {
            Search::NotEqual(msgtyp)
        } else {
            Search::Equal(msgtyp)
        }
    }

    /// Whether a message of type `mtype` may do (Linux's testmsg).
    fn accepts(self, mtype: i64) -> bool {
        match self {
            Search::Any | Search::Number(_) => true,
            Search::Equal(t) => mtype == t,
            Search::NotEqual(t) => mtype != t,
            Search::LessEqual(t) => mtype <= t,
        }
    }

    /// The position of the message wanted in `messages` (Linux's find_msg).
    fn find(self, messages: &VecDeque<Msg>) -> Option<usize> {
        let mut matching = messages
            .iter()
            .enumerate()
            .filter(|(_, m)| self.accepts(m.mtype));
        match self {
            Search::Number(n) => matching.nth(usize::try_from(n).ok()?).map(|(i, _)| i),
            // The first of the lowest type.
            Search::LessEqual(_) => matching
                .fold(None, |best: Option<(usize, i64)>, (i, m)| match best {
                    Some((_, t)) if t <= m.mtype => best,
                    _ => Some((i, m.mtype)),
                })
                .map(|(i, _)| i),
            _ => matching.next().map(|(i, _)| i),
        }
    }
}

/// What a sleeping receiver is told.
enum Answer {
    /// Nothing yet: it looks at the queue again (also after IPC_SET).
    Nothing,
    Message(Msg),
    Error(Errno),
}

/// A sleeping receiver's answer and where it sleeps (Linux's msg_receiver's r_msg and r_tsk).
struct ReceiverWait {
    answer: IrqMutex<Answer>,
    queue: WaitQueue,
}

/// A receiver listed on a queue.
struct Receiver {
    search: Search,
    /// The largest message it takes (its buffer; any with MSG_NOERROR).
    max_size: usize,
    pid: i32,
    wait: Arc<ReceiverWait>,
}

/// A message queue (Linux's struct msg_queue).
struct MsgQueue {
    id: i32,
    perm: ipc64_perm,
    stime: i64,
    rtime: i64,
    ctime: i64,
    /// The bytes of the messages queued, and the most there may be.
    cbytes: u64,
    qbytes: u64,
    lspid: i32,
    lrpid: i32,
    messages: VecDeque<Msg>,
    receivers: Vec<Receiver>,
    /// Where senders of a full queue sleep.
    senders: Arc<WaitQueue>,
}

impl IpcObject for MsgQueue {
    fn id(&self) -> i32 {
        self.id
    }
    fn perm(&self) -> &ipc64_perm {
        &self.perm
    }
}

impl MsgQueue {
    /// Whether a message of `size` bytes fits (Linux's msg_fits_inqueue: bytes and count are
    /// both bounded by qbytes).
    fn fits(&self, size: usize) -> bool {
        self.cbytes.saturating_add(size as u64) <= self.qbytes
            && (self.messages.len() as u64) < self.qbytes
    }

    /// Wakes every sleeping receiver with `answer` made for each (IPC_RMID: EIDRM; IPC_SET:
    /// nothing, to look again). Linux's expunge_all.
    fn expunge_all(&mut self, error: Option<Errno>) {
        for r in self.receivers.drain(..) {
            *r.wait.answer.lock() = error.map_or(Answer::Nothing, Answer::Error);
            r.wait.queue.wake_all();
        }
    }
}

static MSG_IDS: IrqMutex<IpcIds<MsgQueue>> = IrqMutex::new(IpcIds::new());

/// msgget(key, flags) (Linux's ksys_msgget and newque).
pub fn msgget(process: &Process, key: i32, flags: u64) -> Result<i32, Errno> {
    let senders = Arc::try_new(WaitQueue::new()).map_err(|_| ENOMEM)?;
    let mut ids = MSG_IDS.lock();
    util::ipcget(
        &mut ids,
        process,
        key,
        flags,
        |_| Ok(()),
        |ids| {
            ids.add(MSGMNI as usize, |id, seq| {
                Ok(MsgQueue {
                    id,
                    perm: util::new_perm(process, key, flags, seq),
                    stime: 0,
                    rtime: 0,
                    ctime: now_secs(),
                    cbytes: 0,
                    qbytes: MSGMNB,
                    lspid: 0,
                    lrpid: 0,
                    messages: VecDeque::new(),
                    receivers: Vec::new(),
                    senders,
                })
            })
        },
    )
}

/// msgsnd once the message is read in (Linux's do_msgsnd from its lookup on): sleeps while the
/// queue is full (EAGAIN with IPC_NOWAIT; EINTR for a signal, restarted only if no handler
/// runs; EIDRM if the queue is removed meanwhile).
pub fn msgsnd(process: &Process, msqid: i32, msg: Msg, flags: u64) -> Result<(), Errno> {
    let size = msg.text.len();
    let mut first = true;
    loop {
        let irq = IrqOff::new();
        let mut ids = MSG_IDS.lock();
        let queue = match ids.obtain(msqid) {
            Ok(queue) => queue,
            Err(e) => return Err(if first { e } else { EIDRM }),
        };
        first = false;
        util::ipcperms(process, &queue.perm, S_IWUGO)?;
        if queue.fits(size) {
            queue.lspid = process.pid as i32;
            queue.stime = now_secs();
            return pipelined_send(queue, msg);
        }
        if flags & IPC_NOWAIT as u64 != 0 {
            return Err(EAGAIN);
        }
        let senders = queue.senders.clone();
        let slept = senders.prepare_to_wait(None);
        drop(ids);
        if slept.is_ok() {
            schedule();
        }
        let woke = slept.and_then(|()| senders.finish_wait(irq, None));
        if let Err(e) = woke {
            // A removal while it slept says EIDRM before the signal is seen, as Linux.
            if MSG_IDS.lock().obtain(msqid).is_err() {
                return Err(EIDRM);
            }
            if e == EINTR {
                signal::set_restart(signal::ERESTARTNOHAND);
            }
            return Err(e);
        }
    }
}

/// Hands `msg` to the first sleeping receiver that wants it, answering E2BIG those it is too
/// big for on the way, or queues it (Linux's pipelined_send and the rest of do_msgsnd).
fn pipelined_send(queue: &mut MsgQueue, msg: Msg) -> Result<(), Errno> {
    let mut i = 0;
    while i < queue.receivers.len() {
        let r = &queue.receivers[i];
        if !r.search.accepts(msg.mtype) {
            i += 1;
            continue;
        }
        let r = queue.receivers.remove(i);
        if r.max_size < msg.text.len() {
            *r.wait.answer.lock() = Answer::Error(E2BIG);
            r.wait.queue.wake_all();
            continue;
        }
        queue.lrpid = r.pid;
        queue.rtime = now_secs();
        *r.wait.answer.lock() = Answer::Message(msg);
        r.wait.queue.wake_all();
        return Ok(());
    }
    queue.messages.try_reserve(1).map_err(|_| ENOMEM)?;
    queue.cbytes += msg.text.len() as u64;
    queue.messages.push_back(msg);
    Ok(())
}

/// msgrcv (Linux's do_msgrcv, from the queue's lookup on): the message `msgtyp` and `flags`
/// ask for, taken off the queue (or copied, MSG_COPY), truncated to `bufsz` with MSG_NOERROR
/// (else E2BIG, leaving it queued); sleeping until one comes unless IPC_NOWAIT (ENOMSG).
pub fn msgrcv(
    process: &Process,
    msqid: i32,
    bufsz: usize,
    msgtyp: i64,
    flags: u64,
) -> Result<Msg, Errno> {
    let search = Search::new(msgtyp, flags);
    let max_size = if flags & MSG_NOERROR != 0 {
        usize::MAX
    } else {
        bufsz
    };
    let mut wait: Option<Arc<ReceiverWait>> = None;
    loop {
        let irq = IrqOff::new();
        let mut ids = MSG_IDS.lock();
        let queue = match ids.obtain(msqid) {
            Ok(queue) => queue,
            Err(e) => return Err(if wait.is_none() { e } else { EIDRM }),
        };
        util::ipcperms(process, &queue.perm, S_IRUGO)?;
        if let Some(i) = search.find(&queue.messages) {
            return take(process, queue, i, bufsz, flags);
        }
        if flags & IPC_NOWAIT as u64 != 0 {
            return Err(ENOMSG);
        }
        let me = match &wait {
            Some(me) => me.clone(),
            None => {
                let me = Arc::try_new(ReceiverWait {
                    answer: IrqMutex::new(Answer::Nothing),
                    queue: WaitQueue::new(),
                })
                .map_err(|_| ENOMEM)?;
                wait = Some(me.clone());
                me
            }
        };
        queue.receivers.try_reserve(1).map_err(|_| ENOMEM)?;
        me.queue.prepare_to_wait(None).inspect_err(|&e| {
            if e == EINTR {
                signal::set_restart(signal::ERESTARTNOHAND);
            }
        })?;
        queue.receivers.push(Receiver {
            search,
            max_size,
            pid: process.pid as i32,
            wait: me.clone(),
        });
        drop(ids);
        schedule();
        let woke = me.queue.finish_wait(irq, None);
        // The answer, if one came, stands even if a signal came too.
        let mut ids = MSG_IDS.lock();
        match core::mem::replace(&mut *me.answer.lock(), Answer::Nothing) {
            Answer::Message(msg) => return Ok(msg),
            Answer::Error(e) => return Err(e),
            Answer::Nothing => {}
        }
        if let Ok(queue) = ids.obtain(msqid) {
            queue.receivers.retain(|r| !Arc::ptr_eq(&r.wait, &me));
        }
        drop(ids);
        if woke.is_err() {
            signal::set_restart(signal::ERESTARTNOHAND);
            return Err(EINTR);
        }
    }
}

/// The message at `index` for a receiver: E2BIG if too big without MSG_NOERROR; a copy with
/// MSG_COPY (EINVAL if even truncated it does not fit, as Linux's copy_msg); else it leaves the
/// queue, and the senders waiting for room try again.
fn take(
    process: &Process,
    queue: &mut MsgQueue,
    index: usize,
    bufsz: usize,
    flags: u64,
) -> Result<Msg, Errno> {
    let size = queue.messages[index].text.len();
    if bufsz < size && flags & MSG_NOERROR == 0 {
        return Err(E2BIG);
    }
    if flags & MSG_COPY != 0 {
        if size > bufsz.min(MSGMAX as usize) {
            return Err(EINVAL);
        }
        let original = &queue.messages[index];
        let mut text = Vec::new();
        text.try_reserve_exact(size).map_err(|_| ENOMEM)?;
        text.extend_from_slice(&original.text);
        return Ok(Msg {
            mtype: original.mtype,
            text,
        });
    }
    let msg = queue.messages.remove(index).ok_or(EINVAL)?;
    queue.rtime = now_secs();
    queue.lrpid = process.pid as i32;
    queue.cbytes -= size as u64;
    queue.senders.wake_all();
    Ok(msg)
}

/// msgctl(IPC_STAT, MSG_STAT, MSG_STAT_ANY) (Linux's msgctl_stat): the queue of `id` (for the
/// MSG_STAT forms a slot index) and the id as those return it.
pub fn stat(
    process: &Process,
    id: i32,
    by_index: bool,
    check_read: bool,
) -> Result<(msqid64_ds, i32), Errno> {
    let mut ids = MSG_IDS.lock();
    let queue = if by_index {
        ids.obtain_by_index(id)?
    } else {
        ids.obtain(id)?
    };
    if check_read {
        util::ipcperms(process, &queue.perm, S_IRUGO)?;
    }
    let ds = msqid64_ds {
        msg_perm: queue.perm,
        msg_stime: queue.stime,
        msg_rtime: queue.rtime,
        msg_ctime: queue.ctime,
        msg_cbytes: queue.cbytes,
        msg_qnum: queue.messages.len() as u64,
        msg_qbytes: queue.qbytes,
        msg_lspid: queue.lspid,
        msg_lrpid: queue.lrpid,
        ..Default::default()
    };
    Ok((ds, if by_index { queue.id } else { 0 }))
}

/// msgctl(IPC_SET) (Linux's msgctl_down): owner, group, mode and the queue's size (above MSGMNB
/// for root only, EPERM); wakes the waiters to look again.
pub fn set(process: &Process, id: i32, new: &ipc64_perm, qbytes: u64) -> Result<(), Errno> {
    let mut ids = MSG_IDS.lock();
    let queue = ids.obtain(id)?;
    util::may_change(process, &queue.perm)?;
    if qbytes > MSGMNB && !process.cred.lock().privileged() {
        return Err(EPERM);
    }
    util::update_perm(&mut queue.perm, new)?;
    queue.qbytes = qbytes;
    queue.ctime = now_secs();
    queue.expunge_all(None);
    queue.senders.wake_all();
    Ok(())
}

/// msgctl(IPC_RMID) (Linux's freeque): the queue and its messages go; receivers wake with
/// EIDRM, senders find it gone.
pub fn remove(process: &Process, id: i32) -> Result<(), Errno> {
    let queue = {
        let mut ids = MSG_IDS.lock();
        util::may_change(process, &ids.obtain(id)?.perm)?;
        let mut queue = ids.remove(id).ok_or(EINVAL)?;
        queue.expunge_all(Some(EIDRM));
        queue.senders.wake_all();
        queue
    };
    // The messages' memory goes back with the lock released.
    drop(queue);
    Ok(())
}

/// msgctl(IPC_INFO, MSG_INFO) (Linux's msgctl_info): the limits, with MSG_INFO the queues,
/// messages and bytes in use in place of msgpool, msgmap and msgtql; and the highest slot in
/// use.
pub fn info(usage: bool) -> (msginfo, i32) {
    let ids = MSG_IDS.lock();
    let (msgpool, msgmap, msgtql) = if usage {
        let messages: usize = ids.iter().map(|q| q.messages.len()).sum();
        let bytes: u64 = ids.iter().map(|q| q.cbytes).sum();
        (ids.in_use() as i32, messages as i32, bytes as i32)
    } else {
        (MSGPOOL, MSGMAP, MSGTQL)
    };
    let info = msginfo {
        msgpool,
        msgmap,
        msgmax: MSGMAX as i32,
        msgmnb: MSGMNB as i32,
        msgmni: MSGMNI as i32,
        msgssz: MSGSSZ,
        msgtql,
        msgseg: MSGSEG,
    };
    (info, ids.max_index())
}

/// /proc/sysvipc/msg: a line per queue, in Linux's format (sysvipc_msg_proc_show).
pub fn proc_show() -> Result<String, Errno> {
    let mut out = String::new();
    util::reserve_line(&mut out, 160)?;
    out.push_str(
        "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n",
    );
    let ids = MSG_IDS.lock();
    for queue in ids.iter() {
        let p = &queue.perm;
        util::reserve_line(&mut out, 200)?;
        let _ = writeln!(
            out,
            "{:10} {:10}  {:4o}  {:10} {:10} {:5} {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10}",
            p.key,
            queue.id,
            p.mode,
            queue.cbytes,
            queue.messages.len(),
            queue.lspid,
            queue.lrpid,
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            queue.stime,
            queue.rtime,
            queue.ctime
        );
    }
    Ok(out)
}
