//! System V semaphores (Linux's ipc/sem.c): sets of counters that semop changes atomically, all
//! operations of one call or none, sleeping until they can all be done.
//!
//! A caller whose operations cannot be done now is queued on its set (a [`Pending`]) and sleeps
//! on its own wait queue (its [`SemWaiter`]). Whoever changes the set (semop, SETVAL, SETALL, an
//! exit's undo) retries the queued operations, as Linux's update_queue: those waiting for zero
//! first, then the others, each in arrival order, starting over after each success; it does the
//! operations of the waiter it can satisfy on the waiter's behalf and wakes it with the result
//! (0, or an error such as ERANGE). IPC_RMID wakes every waiter with EIDRM.
//!
//! SEM_UNDO: a process (and those sharing its list through CLONE_SYSVSEM, and its threads) has
//! an undo list, named by a number; each set it used with SEM_UNDO holds the list's adjustments
//! for its semaphores. The last process holding the list applies them when it exits (Linux's
//! exit_sem), capping the values at 0 and SEMVMX. SETVAL and SETALL clear the adjustments of the
//! semaphores they set; IPC_RMID drops them with the set.
//!
//! Lock order: the table is a leaf, except that it is held while a waiter's wait queue is woken
//! and while the caller's credentials are read.

use alloc::{string::String, sync::Arc, vec::Vec};
use core::{
    fmt::Write,
    sync::atomic::{AtomicI32, AtomicU64, Ordering},
};

use abi::ipc::{
    IPC_NOWAIT, SEM_UNDO, SEMAEM, SEMMAP, SEMMNI, SEMMNS, SEMMNU, SEMMSL, SEMOPM, SEMUME, SEMUSZ,
    SEMVMX, ipc64_perm, sembuf, semid64_ds, seminfo,
};

use crate::{
    ipc::util::{self, IpcIds, IpcObject, S_IRUGO, S_IWUGO, now_secs},
    process::Process,
    sched::{WaitQueue, schedule},
    signal,
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
    thread,
};

/// A process's undo list (Linux's sem_undo_list): shared by the processes made with
/// CLONE_SYSVSEM; the sets keep the adjustments under its number.
pub struct SemUndoList {
    id: u64,
}

/// The number of the next undo list.
static NEXT_UNDO_LIST: AtomicU64 = AtomicU64::new(1);

/// A sleeper's outcome and where it sleeps (Linux's sem_queue's status and sleeper).
struct SemWaiter {
    /// [`WAITING`], 0 once its operations were done, or a negated errno.
    status: AtomicI32,
    queue: WaitQueue,
}

/// The status of a waiter nobody has answered yet.
const WAITING: i32 = 1;

impl SemWaiter {
    /// Answers the waiter and wakes it.
    fn wake(&self, status: i32) {
        self.status.store(status, Ordering::SeqCst);
        self.queue.wake_all();
    }
}

/// One semaphore (Linux's struct sem).
#[derive(Clone, Copy, Default)]
struct Sem {
    val: i32,
    /// The process that changed it last.
    pid: i32,
}

/// A semop waiting on its set (Linux's struct sem_queue).
struct Pending {
    sops: Vec<sembuf>,
    undo: Option<u64>,
    pid: i32,
    /// Whether an operation changes a value (else all wait for zero).
    alter: bool,
    /// The operation that blocked it last (GETNCNT and GETZCNT count by it).
    blocking: usize,
    waiter: Arc<SemWaiter>,
}

/// The adjustments of one undo list for the semaphores of one set (Linux's struct sem_undo).
struct Undo {
    list: u64,
    adj: Vec<i16>,
}

/// A semaphore set (Linux's struct sem_array).
struct SemArray {
    id: i32,
    perm: ipc64_perm,
    otime: i64,
    ctime: i64,
    sems: Vec<Sem>,
    pending: Vec<Pending>,
    undos: Vec<Undo>,
}

impl IpcObject for SemArray {
    fn id(&self) -> i32 {
        self.id
    }
    fn perm(&self) -> &ipc64_perm {
        &self.perm
    }
}

/// Every set, and how many semaphores they have together (Linux's used_sems).
struct SemIds {
    ids: IpcIds<SemArray>,
    used_sems: u64,
}

static SEM_IDS: IrqMutex<SemIds> = IrqMutex::new(SemIds {
    ids: IpcIds::new(),
    used_sems: 0,
});

/// semget(key, nsems, flags) (Linux's ksys_semget, newary and sem_more_checks).
pub fn semget(process: &Process, key: i32, nsems: i32, flags: u64) -> Result<i32, Errno> {
    if nsems < 0 || nsems as u64 > SEMMSL {
        return Err(EINVAL);
    }
    let mut guard = SEM_IDS.lock();
    let SemIds { ids, used_sems } = &mut *guard;
    util::ipcget(
        ids,
        process,
        key,
        flags,
        |set| {
            if nsems as usize > set.sems.len() {
                return Err(EINVAL);
            }
            Ok(())
        },
        |ids| {
            let id = newary(ids, *used_sems, process, key, nsems as usize, flags)?;
            *used_sems += nsems as u64;
            Ok(id)
        },
    )
}

/// A new set of `nsems` semaphores, all 0 (Linux's newary).
fn newary(
    ids: &mut IpcIds<SemArray>,
    used_sems: u64,
    process: &Process,
    key: i32,
    nsems: usize,
    flags: u64,
) -> Result<i32, Errno> {
    if nsems == 0 {
        return Err(EINVAL);
    }
    if used_sems + nsems as u64 > SEMMNS {
        return Err(ENOSPC);
    }
    let mut sems = Vec::new();
    sems.try_reserve_exact(nsems).map_err(|_| ENOMEM)?;
    sems.resize(nsems, Sem::default());
    ids.add(SEMMNI as usize, |id, seq| {
        Ok(SemArray {
            id,
            perm: util::new_perm(process, key, flags, seq),
            otime: 0,
            ctime: now_secs(),
            sems,
            pending: Vec::new(),
            undos: Vec::new(),
        })
    })
}

/// The undo list of `process`, made if it has none (Linux's get_undo_list).
fn get_undo_list(process: &Process) -> Result<u64, Errno> {
    let mut slot = process.sysvsem.lock();
    if let Some(list) = slot.as_ref() {
        return Ok(list.id);
    }
    let id = NEXT_UNDO_LIST.fetch_add(1, Ordering::Relaxed);
    *slot = Some(Arc::try_new(SemUndoList { id }).map_err(|_| ENOMEM)?);
    Ok(id)
}

/// The undo list a child made with CLONE_SYSVSEM shares with `parent` (Linux's copy_semundo).
pub fn copy_semundo(parent: &Process, child: &Process) -> Result<(), Errno> {
    get_undo_list(parent)?;
    *child.sysvsem.lock() = parent.sysvsem.lock().clone();
    Ok(())
}

/// semop and semtimedop (Linux's __do_semtimedop), once the operations are read: does them all
/// or none, sleeping until it can (EAGAIN with IPC_NOWAIT or at `deadline_ns`, EINTR for a
/// signal, not restarted, EIDRM if the set is removed meanwhile).
pub fn semtimedop(
    process: &Process,
    semid: i32,
    sops: Vec<sembuf>,
    deadline_ns: Option<u64>,
) -> Result<(), Errno> {
    let max = sops.iter().map(|s| s.sem_num).max().unwrap_or(0) as usize;
    let undos = sops.iter().any(|s| s.sem_flg & SEM_UNDO != 0);
    let alter = sops.iter().any(|s| s.sem_op != 0);
    let undo = if undos {
        Some(get_undo_list(process)?)
    } else {
        None
    };
    let pid = process.pid as i32;
    let waiter = {
        let mut guard = SEM_IDS.lock();
        let set = guard.ids.obtain(semid)?;
        if max >= set.sems.len() {
            return Err(EFBIG);
        }
        util::ipcperms(process, &set.perm, if alter { S_IWUGO } else { S_IRUGO })?;
        if let Some(list) = undo {
            find_alloc_undo(set, list)?;
        }
        let Some(blocking) = perform_atomic_semop(set, &sops, undo, pid)? else {
            if alter {
                update_queue(set);
            }
            set.otime = now_secs();
            return Ok(());
        };
        let waiter = Arc::try_new(SemWaiter {
            status: AtomicI32::new(WAITING),
            queue: WaitQueue::new(),
        })
        .map_err(|_| ENOMEM)?;
        set.pending.try_reserve(1).map_err(|_| ENOMEM)?;
        set.pending.push(Pending {
            sops,
            undo,
            pid,
            alter,
            blocking,
            waiter: waiter.clone(),
        });
        waiter
    };
    let slept = sleep(&waiter, deadline_ns);
    let status = match slept {
        Ok(()) => waiter.status.load(Ordering::SeqCst),
        Err(e) => give_up(semid, &waiter, e),
    };
    match status {
        0 => Ok(()),
        status => Err(Errno::from_raw(-status).unwrap_or(EINVAL)),
    }
}

/// Sleeps until the waiter is answered: Err(EINTR) for a signal, Err(ETIMEDOUT) at the
/// deadline (the caller still looks at the answer, which may have come meanwhile).
fn sleep(waiter: &SemWaiter, deadline_ns: Option<u64>) -> Result<(), Errno> {
    loop {
        let irq = IrqOff::new();
        waiter.queue.prepare_to_wait(deadline_ns)?;
        if waiter.status.load(Ordering::SeqCst) == WAITING {
            schedule();
        }
        let woke = waiter.queue.finish_wait(irq, deadline_ns);
        if waiter.status.load(Ordering::SeqCst) != WAITING {
            return Ok(());
        }
        woke?;
    }
}

/// A waiter woken by a signal or its timeout leaves its set's queue, unless it was answered
/// meanwhile: then the answer stands. Returns the status: -EINTR (not restarted, as Linux) or
/// -EAGAIN for a timeout.
fn give_up(semid: i32, waiter: &Arc<SemWaiter>, why: Errno) -> i32 {
    let mut guard = SEM_IDS.lock();
    let status = waiter.status.load(Ordering::SeqCst);
    if status != WAITING {
        return status;
    }
    if let Ok(set) = guard.ids.obtain(semid) {
        set.pending.retain(|q| !Arc::ptr_eq(&q.waiter, waiter));
    }
    drop(guard);
    if let Some(me) = thread::current() {
        signal::take_restart(&me);
    }
    if why == ETIMEDOUT {
        -EAGAIN.raw()
    } else {
        -why.raw()
    }
}

/// The adjustments of undo list `list` in `set`, made (all 0) if it has none yet (Linux's
/// find_alloc_undo).
fn find_alloc_undo(set: &mut SemArray, list: u64) -> Result<(), Errno> {
    if set.undos.iter().any(|u| u.list == list) {
        return Ok(());
    }
    let mut adj = Vec::new();
    adj.try_reserve_exact(set.sems.len()).map_err(|_| ENOMEM)?;
    adj.resize(set.sems.len(), 0);
    set.undos.try_reserve(1).map_err(|_| ENOMEM)?;
    set.undos.push(Undo { list, adj });
    Ok(())
}

/// Does all of `sops` on `set` or none (Linux's perform_atomic_semop_slow): Ok(None) if done,
/// Ok(Some(index of the operation that must wait)), EAGAIN if that one has IPC_NOWAIT, ERANGE
/// for a value above SEMVMX or an adjustment beyond SEMAEM.
fn perform_atomic_semop(
    set: &mut SemArray,
    sops: &[sembuf],
    undo: Option<u64>,
    pid: i32,
) -> Result<Option<usize>, Errno> {
    let mut adj = undo.and_then(|list| set.undos.iter_mut().find(|u| u.list == list));
    let sems = &mut set.sems;
    let mut outcome = Ok(None);
    let mut done = 0;
    for (i, sop) in sops.iter().enumerate() {
        let n = sop.sem_num as usize;
        let op = sop.sem_op as i32;
        let result = sems[n].val + op;
        if (op == 0 && sems[n].val != 0) || result < 0 {
            outcome = if sop.sem_flg & IPC_NOWAIT != 0 {
                Err(EAGAIN)
            } else {
                Ok(Some(i))
            };
            break;
        }
        if result > SEMVMX {
            outcome = Err(ERANGE);
            break;
        }
        if sop.sem_flg & SEM_UNDO != 0
            && let Some(undo) = adj.as_mut()
        {
            let new = undo.adj[n] as i32 - op;
            if !(-SEMAEM - 1..=SEMAEM).contains(&new) {
                outcome = Err(ERANGE);
                break;
            }
            undo.adj[n] = new as i16;
        }
        sems[n].val = result;
        done = i + 1;
    }
    if matches!(outcome, Ok(None)) {
        for sop in sops {
            sems[sop.sem_num as usize].pid = pid;
        }
        return outcome;
    }
    for sop in sops[..done].iter().rev() {
        let n = sop.sem_num as usize;
        sems[n].val -= sop.sem_op as i32;
        if sop.sem_flg & SEM_UNDO != 0
            && let Some(undo) = adj.as_mut()
        {
            undo.adj[n] += sop.sem_op;
        }
    }
    outcome
}

/// After a change of `set`, does the queued operations that can now be done and answers their
/// waiters (Linux's do_smart_update): those waiting for zero first, then the others, each in
/// arrival order, starting over after an operation changed a value. Returns whether any was
/// done (the set's otime is then updated).
fn update_queue(set: &mut SemArray) -> bool {
    let mut completed = false;
    'again: loop {
        for alter in [false, true] {
            let mut i = 0;
            while i < set.pending.len() {
                if set.pending[i].alter != alter {
                    i += 1;
                    continue;
                }
                let (sops, undo, pid) = {
                    let q = &mut set.pending[i];
                    (core::mem::take(&mut q.sops), q.undo, q.pid)
                };
                let result = perform_atomic_semop(set, &sops, undo, pid);
                set.pending[i].sops = sops;
                if let Ok(Some(blocking)) = result {
                    set.pending[i].blocking = blocking;
                    i += 1;
                    continue;
                }
                let q = set.pending.remove(i);
                match result {
                    Err(e) => q.waiter.wake(-e.raw()),
                    _ => {
                        completed = true;
                        q.waiter.wake(0);
                        if alter {
                            continue 'again;
                        }
                    }
                }
            }
        }
        return completed;
    }
}

/// Whether the caller may act on `set` for `cmd`'s kind of access.
fn check(process: &Process, set: &SemArray, write: bool) -> Result<(), Errno> {
    util::ipcperms(process, &set.perm, if write { S_IWUGO } else { S_IRUGO })
}

/// What semctl asks of one semaphore: its value (GETVAL), the process that changed it last
/// (GETPID), how many wait for it to grow (GETNCNT) or to be zero (GETZCNT).
pub enum SemQuery {
    Val,
    Pid,
    Ncnt,
    Zcnt,
}

/// semctl(GETVAL, GETPID, GETNCNT, GETZCNT) (Linux's semctl_main): read permission first, then
/// EINVAL for a semaphore the set does not have. A waiter counts for the operation it waits on
/// now (Linux's count_semcnt).
pub fn query(process: &Process, semid: i32, semnum: i32, what: SemQuery) -> Result<i32, Errno> {
    let mut guard = SEM_IDS.lock();
    let set = guard.ids.obtain(semid)?;
    check(process, set, false)?;
    let n = usize::try_from(semnum)
        .ok()
        .filter(|&n| n < set.sems.len())
        .ok_or(EINVAL)?;
    Ok(match what {
        SemQuery::Val => set.sems[n].val,
        SemQuery::Pid => set.sems[n].pid,
        SemQuery::Ncnt | SemQuery::Zcnt => {
            let zero = matches!(what, SemQuery::Zcnt);
            set.pending
                .iter()
                .filter(|q| {
                    let sop = &q.sops[q.blocking];
                    sop.sem_num as usize == n && (sop.sem_op == 0) == zero && sop.sem_op <= 0
                })
                .count() as i32
        }
    })
}

/// semctl(GETALL): every value, for the caller to copy out.
pub fn get_all(process: &Process, semid: i32) -> Result<Vec<u16>, Errno> {
    let mut guard = SEM_IDS.lock();
    let set = guard.ids.obtain(semid)?;
    check(process, set, false)?;
    let mut vals = Vec::new();
    vals.try_reserve_exact(set.sems.len()).map_err(|_| ENOMEM)?;
    vals.extend(set.sems.iter().map(|s| s.val as u16));
    Ok(vals)
}

/// The number of semaphores of the set, if the caller may write it (SETALL's first look, before
/// it copies the values in).
pub fn nsems_for_write(process: &Process, semid: i32) -> Result<usize, Errno> {
    let mut guard = SEM_IDS.lock();
    let set = guard.ids.obtain(semid)?;
    check(process, set, true)?;
    Ok(set.sems.len())
}

/// semctl(SETVAL) (Linux's semctl_setval): ERANGE outside 0..=SEMVMX; clears the semaphore's
/// adjustments in every undo list and does the waiting operations that now can be done.
pub fn set_val(process: &Process, semid: i32, semnum: i32, val: i32) -> Result<(), Errno> {
    if !(0..=SEMVMX).contains(&val) {
        return Err(ERANGE);
    }
    let mut guard = SEM_IDS.lock();
    let set = guard.ids.obtain(semid)?;
    let n = usize::try_from(semnum)
        .ok()
        .filter(|&n| n < set.sems.len())
        .ok_or(EINVAL)?;
    check(process, set, true)?;
    for undo in set.undos.iter_mut() {
        undo.adj[n] = 0;
    }
    set.sems[n] = Sem {
        val,
        pid: process.pid as i32,
    };
    set.ctime = now_secs();
    if update_queue(set) {
        set.otime = now_secs();
    }
    Ok(())
}

/// semctl(SETALL) with the values read: ERANGE for one above SEMVMX, EIDRM if the set went
/// while they were read; clears every adjustment of the set.
pub fn set_all(process: &Process, semid: i32, vals: &[u16]) -> Result<(), Errno> {
    if vals.iter().any(|&v| v as i32 > SEMVMX) {
        return Err(ERANGE);
    }
    let mut guard = SEM_IDS.lock();
    let set = guard.ids.obtain(semid).map_err(|_| EIDRM)?;
    if set.sems.len() != vals.len() {
        return Err(EIDRM);
    }
    for undo in set.undos.iter_mut() {
        undo.adj.fill(0);
    }
    let pid = process.pid as i32;
    for (sem, &val) in set.sems.iter_mut().zip(vals) {
        *sem = Sem {
            val: val as i32,
            pid,
        };
    }
    set.ctime = now_secs();
    if update_queue(set) {
        set.otime = now_secs();
    }
    Ok(())
}

/// semctl(IPC_STAT, SEM_STAT, SEM_STAT_ANY) (Linux's semctl_stat): the set of `id` (for the
/// SEM_STAT forms a slot index), and the id as those return it. `check_read` asks for read
/// permission (all but SEM_STAT_ANY).
pub fn stat(
    process: &Process,
    id: i32,
    by_index: bool,
    check_read: bool,
) -> Result<(semid64_ds, i32), Errno> {
    let mut guard = SEM_IDS.lock();
    let set = if by_index {
        guard.ids.obtain_by_index(id)?
    } else {
        guard.ids.obtain(id)?
    };
    if check_read {
        check(process, set, false)?;
    }
    let ds = semid64_ds {
        sem_perm: set.perm,
        sem_otime: set.otime,
        sem_ctime: set.ctime,
        sem_nsems: set.sems.len() as u64,
        ..Default::default()
    };
    Ok((ds, if by_index { set.id } else { 0 }))
}

/// semctl(IPC_SET): owner, group and mode, by the owner, the creator or root.
pub fn set(process: &Process, semid: i32, new: &ipc64_perm) -> Result<(), Errno> {
    let mut guard = SEM_IDS.lock();
    let set = guard.ids.obtain(semid)?;
    util::may_change(process, &set.perm)?;
    util::update_perm(&mut set.perm, new)?;
    set.ctime = now_secs();
    Ok(())
}

/// semctl(IPC_RMID) (Linux's freeary): the set goes, its waiters wake with EIDRM and the
/// adjustments for it are forgotten.
pub fn remove(process: &Process, semid: i32) -> Result<(), Errno> {
    let set = {
        let mut guard = SEM_IDS.lock();
        util::may_change(process, &guard.ids.obtain(semid)?.perm)?;
        let set = guard.ids.remove(semid).ok_or(EINVAL)?;
        guard.used_sems -= set.sems.len() as u64;
        for q in &set.pending {
            q.waiter.wake(-EIDRM.raw());
        }
        set
    };
    // Its memory goes back with the lock released.
    drop(set);
    Ok(())
}

/// semctl(IPC_INFO, SEM_INFO) (Linux's semctl_info): the limits, with SEM_INFO the sets and
/// semaphores in use in place of semusz and semaem; and the highest slot in use.
pub fn info(usage: bool) -> (seminfo, i32) {
    let guard = SEM_IDS.lock();
    let (semusz, semaem) = if usage {
        (guard.ids.in_use() as i32, guard.used_sems as i32)
    } else {
        (SEMUSZ, SEMAEM)
    };
    let info = seminfo {
        semmap: SEMMAP,
        semmni: SEMMNI as i32,
        semmns: SEMMNS as i32,
        semmnu: SEMMNU,
        semmsl: SEMMSL as i32,
        semopm: SEMOPM as i32,
        semume: SEMUME,
        semusz,
        semvmx: SEMVMX,
        semaem,
    };
    (info, guard.ids.max_index())
}

/// A process ends: if it held the last reference to its undo list, the adjustments the list
/// has in every set are applied, capped at 0 and SEMVMX, and the waiting operations that now
/// can be done are (Linux's exit_sem).
pub fn exit_sem(process: &Process) {
    let Some(list) = process.sysvsem.lock().take() else {
        return;
    };
    let Some(list) = Arc::into_inner(list) else {
        return;
    };
    let pid = process.pid as i32;
    let mut guard = SEM_IDS.lock();
    for set in guard.ids.iter_mut() {
        let Some(index) = set.undos.iter().position(|u| u.list == list.id) else {
            continue;
        };
        let undo = set.undos.swap_remove(index);
        for (sem, &adj) in set.sems.iter_mut().zip(&undo.adj) {
            if adj != 0 {
                sem.val = (sem.val + adj as i32).clamp(0, SEMVMX);
                sem.pid = pid;
            }
        }
        update_queue(set);
        set.otime = now_secs();
    }
}

/// /proc/sysvipc/sem: a line per set, in Linux's format (sysvipc_sem_proc_show).
pub fn proc_show() -> Result<String, Errno> {
    let mut out = String::new();
    util::reserve_line(&mut out, 128)?;
    out.push_str(
        "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n",
    );
    let guard = SEM_IDS.lock();
    for set in guard.ids.iter() {
        let p = &set.perm;
        util::reserve_line(&mut out, 160)?;
        let _ = writeln!(
            out,
            "{:10} {:10}  {:4o} {:10} {:5} {:5} {:5} {:5} {:10} {:10}",
            p.key,
            set.id,
            p.mode,
            set.sems.len(),
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            set.otime,
            set.ctime
        );
    }
    Ok(out)
}
