//! Futexes (Linux's kernel/futex/): sleeping on a 32-bit word in user memory until another thread
//! or process wakes the sleepers of that word. Every lock in a C library or in Rust's std is built
//! on them; so are thread joins (CLONE_CHILD_CLEARTID) and condition variables.
//!
//! A futex is named by a [`FutexKey`]: for a private futex (FUTEX_PRIVATE_FLAG, or a word in
//! private memory) the address space and the address; for a word in shared memory (MAP_SHARED,
//! shmem across fork) the object behind the mapping and the word's offset in it, so that two
//! processes mapping the same page at different addresses meet on the same futex (Linux's
//! get_futex_key). Waiters are kept in hash buckets by key.
//!
//! The rule that makes it work (Linux's futex_wait_setup): a waiter reads the word and queues
//! itself while holding its bucket's lock, and a waker takes the same lock; so a waker that
//! changed the word before the waiter read it is seen (EAGAIN), and one that changes it after
//! finds the waiter queued. The word is read through the page tables, never with a page fault,
//! since a fault may not happen under the bucket lock ([`crate::mm::user_word`]); a word whose
//! page is absent is faulted in with the locks dropped, and the whole step is tried again.
//!
//! Lock order: the mm lock, then a bucket's lock (a leaf; the requeue takes two, lower index
//! first), then a wait queue's.

use alloc::{sync::Arc, vec::Vec};
use core::sync::atomic::Ordering;

use crate::{
    mm::{mm_struct::Mm, vm_object::VmFile},
    sched::{WaitQueue, schedule},
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
    thread,
};

/// What names a futex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FutexKey {
    /// A word in private memory: the address space (its address) and the user address.
    Private { mm: usize, addr: u64 },
    /// A word in a shared object: the object (its address) and the word's byte offset in it.
    Shared { object: usize, offset: u64 },
}

/// A thread waiting on a futex.
struct Waiter {
    key: FutexKey,
    /// FUTEX_WAIT_BITSET's mask: a wake whose bitset shares no bit with it passes it by.
    bitset: u32,
    thread: Arc<thread::Thread>,
    /// Keeps a shared object (and with it the key's identity) alive while it is waited on.
    _object: Option<VmFile>,
}

/// A hash bucket: its waiters, and the queue they sleep on. A wake takes the woken waiters out of
/// the list and wakes the queue; a sleeper whose entry is gone was woken, one whose entry is still
/// there goes back to sleep (or times out, or is interrupted).
struct Bucket {
    waiters: IrqMutex<Vec<Waiter>>,
    queue: WaitQueue,
}

const BUCKETS: usize = 64;

static TABLE: [Bucket; BUCKETS] = [const {
    Bucket {
        waiters: IrqMutex::new(Vec::new()),
        queue: WaitQueue::new(),
    }
}; BUCKETS];

fn bucket_index(key: &FutexKey) -> usize {
    let (a, b) = match *key {
        FutexKey::Private { mm, addr } => (mm as u64, addr),
        FutexKey::Shared { object, offset } => (object as u64, offset),
    };
    // A multiplicative hash of both halves; the low two bits of an address are always zero.
    let h = (a ^ (b >> 2)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 58) as usize % BUCKETS
}

/// The calling thread's address space.
fn current_mm() -> Result<Arc<Mm>, Errno> {
    thread::current_process().and_then(|p| p.mm()).ok_or(EFAULT)
}

/// Linux's get_futex_key: EINVAL for a misaligned address, EFAULT outside every mapping.
fn futex_key(mm: &Arc<Mm>, uaddr: u64, private: bool) -> Result<(FutexKey, Option<VmFile>), Errno> {
    if !uaddr.is_multiple_of(4) {
        return Err(EINVAL);
    }
    let private_key = FutexKey::Private {
        mm: Arc::as_ptr(mm) as usize,
        addr: uaddr,
    };
    if private {
        return Ok((private_key, None));
    }
    let inner = mm.lock();
    let vma = inner.vmas.find(uaddr).ok_or(EFAULT)?;
    if vma
        .flags()
        .contains(crate::mm::mm_struct::VmFlags::MAYSHARE)
        && let Some(file) = vma.file()
    {
        let offset = vma
            .pgoff()
            .checked_mul(4096)
            .and_then(|o| o.checked_add(uaddr - vma.start()))
            .ok_or(EFAULT)?;
        let object = Arc::as_ptr(&file.0) as *const () as usize;
        return Ok((FutexKey::Shared { object, offset }, Some(file.clone())));
    }
    Ok((private_key, None))
}

/// A thread's [`crate::thread::Thread::futex_slot`] when it waits on no futex.
pub const NOT_WAITING: usize = usize::MAX;
/// Its slot once a wake has taken its entry.
const WOKEN: usize = usize::MAX - 1;

/// FUTEX_WAIT and FUTEX_WAIT_BITSET: if the word at `uaddr` still holds `val`, sleep until woken
/// (0), the deadline on the monotonic clock passes (ETIMEDOUT), or SIGKILL comes (EINTR). EAGAIN
/// if the word holds something else.
///
/// While it waits, the thread's `futex_slot` says which bucket holds its entry: a wake sets it to
/// WOKEN, a requeue to the new bucket (and wakes the thread so that it sleeps on that bucket's
/// queue).
pub fn futex_wait(
    uaddr: u64,
    val: u32,
    bitset: u32,
    deadline_ns: Option<u64>,
    private: bool,
) -> Result<u64, Errno> {
    if bitset == 0 {
        return Err(EINVAL);
    }
    let mm = current_mm()?;
    let me = thread::current().ok_or(EINTR)?;
    let (key, object) = futex_key(&mm, uaddr, private)?;
    let index = bucket_index(&key);
    // Queue under the bucket lock, having read the word under it.
    let mut irq = loop {
        let irq = IrqOff::new();
        let mut inner = mm.lock();
        let Some(word) = inner.user_word(uaddr, false) else {
            inner.fault_in(uaddr, false).map_err(|_| EFAULT)?;
            continue;
        };
        let mut waiters = TABLE[index].waiters.lock();
        if word.load(Ordering::SeqCst) != val {
            return Err(EAGAIN);
        }
        waiters.try_reserve(1).map_err(|_| ENOMEM)?;
        waiters.push(Waiter {
            key,
            bitset,
            thread: me.clone(),
            _object: object,
        });
        me.futex_slot.store(index, Ordering::SeqCst);
        break irq;
    };
    drop(mm);
    let result = loop {
        let slot = me.futex_slot.load(Ordering::SeqCst);
        if slot == WOKEN {
            drop(irq);
            break Ok(0);
        }
        let queue = &TABLE[slot].queue;
        if let Err(e) = queue.prepare_to_wait(deadline_ns) {
            drop(irq);
            break Err(e);
        }
        if me.futex_slot.load(Ordering::SeqCst) == slot {
            schedule();
        }
        let woke = queue.finish_wait(irq, deadline_ns);
        irq = IrqOff::new();
        if let Err(e) = woke {
            drop(irq);
            break Err(e);
        }
    };
    let result = match result {
        Ok(v) => Ok(v),
        Err(e) => unqueue(&me).map_or(Err(e), |()| Ok(0)),
    };
    me.futex_slot.store(NOT_WAITING, Ordering::SeqCst);
    result
}

/// A waiter that timed out or was interrupted leaves its bucket (Linux's unqueue_me). Some(())
/// if a wake took its entry first: then the wake counted it, and it returns 0.
fn unqueue(me: &Arc<thread::Thread>) -> Option<()> {
    loop {
        let slot = me.futex_slot.load(Ordering::SeqCst);
        if slot == WOKEN {
            return Some(());
        }
        let mut waiters = TABLE[slot].waiters.lock();
        // A requeue may have moved the entry before the lock was taken: look again.
        if me.futex_slot.load(Ordering::SeqCst) != slot {
            continue;
        }
        waiters.retain(|w| !Arc::ptr_eq(&w.thread, me));
        return None;
    }
}

/// Takes up to `nr` waiters of `key` whose bitset matches out of `waiters`; returns how many.
fn take_waiters(waiters: &mut Vec<Waiter>, key: &FutexKey, bitset: u32, nr: u64) -> u64 {
    let mut woken = 0;
    waiters.retain(|w| {
        if woken < nr && w.key == *key && w.bitset & bitset != 0 {
            woken += 1;
            w.thread.futex_slot.store(WOKEN, Ordering::SeqCst);
            false
        } else {
            true
        }
    });
    woken
}

/// FUTEX_WAKE and FUTEX_WAKE_BITSET: wakes up to `nr` waiters of the futex at `uaddr`; returns how
/// many.
pub fn futex_wake(uaddr: u64, nr: u64, bitset: u32, private: bool) -> Result<u64, Errno> {
    if bitset == 0 {
        return Err(EINVAL);
    }
    let mm = current_mm()?;
    let (key, _object) = futex_key(&mm, uaddr, private)?;
    Ok(wake_key(&key, nr, bitset))
}

fn wake_key(key: &FutexKey, nr: u64, bitset: u32) -> u64 {
    let bucket = &TABLE[bucket_index(key)];
    let woken = take_waiters(&mut bucket.waiters.lock(), key, bitset, nr);
    if woken > 0 {
        bucket.queue.wake_all();
    }
    woken
}

/// Wakes one waiter of the private futex at `uaddr` in `mm` (a thread's exit with
/// CLONE_CHILD_CLEARTID, Linux's mm_release). Nothing if there is none.
pub fn wake_one_private(mm: &Arc<Mm>, uaddr: u64) {
    if let Ok((key, _)) = futex_key(mm, uaddr, false) {
        wake_key(&key, 1, u32::MAX);
    }
}

/// Both buckets of a requeue, locked in index order (the same one once if they are equal).
fn with_two_buckets<R>(
    a: usize,
    b: usize,
    f: impl FnOnce(&mut Vec<Waiter>, Option<&mut Vec<Waiter>>) -> R,
) -> R {
    if a == b {
        return f(&mut TABLE[a].waiters.lock(), None);
    }
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    let mut g1 = TABLE[first].waiters.lock();
    let mut g2 = TABLE[second].waiters.lock();
    if a < b {
        f(&mut g1, Some(&mut g2))
    } else {
        f(&mut g2, Some(&mut g1))
    }
}

/// FUTEX_REQUEUE and FUTEX_CMP_REQUEUE: wakes up to `nr_wake` waiters of `uaddr` and moves up to
/// `nr_requeue` more to `uaddr2` (so that a condition-variable broadcast wakes one thread and
/// lets the others wait on the mutex). With `cmp`, EAGAIN unless the word at `uaddr` holds it.
/// Returns the number woken plus the number moved.
pub fn futex_requeue(
    uaddr: u64,
    uaddr2: u64,
    nr_wake: u64,
    nr_requeue: u64,
    cmp: Option<u32>,
    private: bool,
) -> Result<u64, Errno> {
    if (nr_wake as i32) < 0 || (nr_requeue as i32) < 0 {
        return Err(EINVAL);
    }
    let (nr_wake, nr_requeue) = (nr_wake as i32 as u64, nr_requeue as i32 as u64);
    let mm = current_mm()?;
    let (key1, _o1) = futex_key(&mm, uaddr, private)?;
    let (key2, object2) = futex_key(&mm, uaddr2, private)?;
    let (b1, b2) = (bucket_index(&key1), bucket_index(&key2));
    let moved_or_woken = loop {
        let _irq = IrqOff::new();
        let inner = mm.lock();
        if let Some(expected) = cmp {
            let Some(word) = inner.user_word(uaddr, false) else {
                drop(inner);
                mm.lock().fault_in(uaddr, false).map_err(|_| EFAULT)?;
                continue;
            };
            // The comparison under the bucket locks, as the waiters read the word under theirs.
            let result = with_two_buckets(b1, b2, |w1, w2| {
                if word.load(Ordering::SeqCst) != expected {
                    return Err(EAGAIN);
                }
                Ok(requeue_locked(
                    w1, w2, &key1, &key2, b2, &object2, nr_wake, nr_requeue,
                ))
            });
            break result?;
        }
        break with_two_buckets(b1, b2, |w1, w2| {
            requeue_locked(w1, w2, &key1, &key2, b2, &object2, nr_wake, nr_requeue)
        });
    };
    TABLE[b1].queue.wake_all();
    Ok(moved_or_woken)
}

/// The requeue itself, with both buckets locked (`w2` None when they are the same bucket).
#[allow(clippy::too_many_arguments)]
fn requeue_locked(
    w1: &mut Vec<Waiter>,
    mut w2: Option<&mut Vec<Waiter>>,
    key1: &FutexKey,
    key2: &FutexKey,
    new_slot: usize,
    object2: &Option<VmFile>,
    nr_wake: u64,
    nr_requeue: u64,
) -> u64 {
    let woken = take_waiters(w1, key1, u32::MAX, nr_wake);
    let mut moved = 0;
    let mut i = 0;
    while i < w1.len() && moved < nr_requeue {
        if w1[i].key != *key1 {
            i += 1;
            continue;
        }
        match w2.as_deref_mut() {
            None => {
                w1[i].key = *key2;
                w1[i]._object = object2.clone();
                i += 1;
            }
            Some(target) => {
                if target.try_reserve(1).is_err() {
                    break; // no room: the rest stay where they are
                }
                let mut waiter = w1.remove(i);
                waiter.key = *key2;
                waiter._object = object2.clone();
                // The waiter sleeps on its old bucket's queue: wake it so it moves to the new one.
                waiter.thread.futex_slot.store(new_slot, Ordering::SeqCst);
                crate::sched::wake(&waiter.thread);
                target.push(waiter);
            }
        }
        moved += 1;
    }
    woken + moved
}

/// FUTEX_WAKE_OP's operation on the second word, decoded (Linux's futex_atomic_op_inuser).
#[derive(Clone, Copy, Debug)]
struct WakeOp {
    op: u32,
    oparg: i32,
    cmp: u32,
    cmparg: i32,
}

impl WakeOp {
    fn decode(encoded: u32) -> WakeOp {
        let sign_extend_12 = |v: u32| ((v << 20) as i32) >> 20;
        let mut oparg = sign_extend_12((encoded >> 12) & 0xfff);
        // FUTEX_OP_OPARG_SHIFT: the argument is a shift count (taken modulo 32, as Linux does
        // after warning).
        if encoded & (8 << 28) != 0 {
            oparg = 1 << (oparg & 31);
        }
        WakeOp {
            op: (encoded >> 28) & 7,
            oparg,
            cmp: (encoded >> 24) & 15,
            cmparg: sign_extend_12(encoded & 0xfff),
        }
    }

    /// The new value for `old`; ENOSYS for an unknown operation.
    fn apply(&self, old: u32) -> Result<u32, Errno> {
        let arg = self.oparg as u32;
        Ok(match self.op {
            0 => arg,                   // FUTEX_OP_SET
            1 => old.wrapping_add(arg), // FUTEX_OP_ADD
            2 => old | arg,             // FUTEX_OP_OR
            3 => old & !arg,            // FUTEX_OP_ANDN
            4 => old ^ arg,             // FUTEX_OP_XOR
            _ => return Err(ENOSYS),
        })
    }

    /// Whether the old value passes the comparison; ENOSYS for an unknown one.
    fn compare(&self, old: u32) -> Result<bool, Errno> {
        let (old, arg) = (old as i32, self.cmparg);
        Ok(match self.cmp {
            0 => old == arg,
            1 => old != arg,
            2 => old < arg,
            3 => old <= arg,
            4 => old > arg,
            5 => old >= arg,
            _ => return Err(ENOSYS),
        })
    }
}

/// FUTEX_WAKE_OP: atomically changes the word at `uaddr2` by `encoded_op`, wakes up to `nr_wake`
/// waiters of `uaddr`, and, if the old value of the second word passes the encoded comparison,
/// up to `nr_wake2` waiters of `uaddr2`. Returns how many it woke. (glibc's condition variables
/// once used it; Linux keeps it.)
pub fn futex_wake_op(
    uaddr: u64,
    uaddr2: u64,
    nr_wake: u64,
    nr_wake2: u64,
    encoded_op: u32,
    private: bool,
) -> Result<u64, Errno> {
    let mm = current_mm()?;
    let (key1, _o1) = futex_key(&mm, uaddr, private)?;
    let (key2, _o2) = futex_key(&mm, uaddr2, private)?;
    let op = WakeOp::decode(encoded_op);
    let (b1, b2) = (bucket_index(&key1), bucket_index(&key2));
    let woken = loop {
        let _irq = IrqOff::new();
        let mut inner = mm.lock();
        let Some(word) = inner.user_word(uaddr2, true) else {
            inner.fault_in(uaddr2, true).map_err(|_| EFAULT)?;
            continue;
        };
        let result = with_two_buckets(b1, b2, |w1, w2| -> Result<u64, Errno> {
            let mut old = word.load(Ordering::SeqCst);
            loop {
                let new = op.apply(old)?;
                match word.compare_exchange(old, new, Ordering::SeqCst, Ordering::SeqCst) {
                    Ok(_) => break,
                    Err(now) => old = now,
                }
            }
            let pass = op.compare(old)?;
            let mut woken = take_waiters(w1, &key1, u32::MAX, nr_wake);
            if pass {
                let second = w2.unwrap_or(w1);
                woken += take_waiters(second, &key2, u32::MAX, nr_wake2);
            }
            Ok(woken)
        });
        break result?;
    };
    TABLE[b1].queue.wake_all();
    TABLE[b2].queue.wake_all();
    Ok(woken)
}

/// Linux's ROBUST_LIST_LIMIT: a list longer than this (or a loop) is not walked further.
const ROBUST_LIST_LIMIT: usize = 2048;

/// The robust-list head's size (struct robust_list_head: next, futex_offset, list_op_pending).
pub const ROBUST_LIST_HEAD_SIZE: u64 = 24;

/// A thread that ends holding robust mutexes marks each one's futex word FUTEX_OWNER_DIED and
/// wakes a waiter (Linux's exit_robust_list and handle_futex_death), so that the next locker
/// learns the owner died instead of waiting for ever. Faults end the walk silently, as on Linux.
pub fn exit_robust_list(me: &Arc<thread::Thread>) {
    let head = me.robust_list.swap(0, Ordering::Relaxed);
    if head == 0 {
        return;
    }
    let read = |addr: u64| crate::arch::uaccess::read_user::<u64>(addr).ok();
    let (Some(mut entry), Some(offset), Some(pending)) =
        (read(head), read(head + 8), read(head + 16))
    else {
        return;
    };
    let offset = offset as i64;
    let futex_of = |entry: u64| entry.checked_add_signed(offset);
    for _ in 0..ROBUST_LIST_LIMIT {
        // The low bit of an entry marks a PI futex; the list ends back at the head.
        let at = entry & !1;
        if at == head || at == 0 {
            break;
        }
        let next = read(at);
        if at != pending & !1
            && let Some(uaddr) = futex_of(at)
        {
            handle_futex_death(uaddr, me.tid());
        }
        match next {
            Some(next) => entry = next,
            None => break,
        }
    }
    if pending != 0
        && let Some(uaddr) = futex_of(pending & !1)
    {
        handle_futex_death(uaddr, me.tid());
    }
}

/// One futex of a dead owner: if its word still names `tid`, set FUTEX_OWNER_DIED (keeping
/// FUTEX_WAITERS) and wake one waiter if there were any.
fn handle_futex_death(uaddr: u64, tid: u32) {
    use abi::futex::{FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS};
    let Ok(mm) = current_mm() else {
        return;
    };
    if !uaddr.is_multiple_of(4) {
        return;
    }
    let waiters = loop {
        let mut inner = mm.lock();
        let Some(word) = inner.user_word(uaddr, true) else {
            if inner.fault_in(uaddr, true).is_err() {
                return;
            }
            continue;
        };
        let old = word.load(Ordering::SeqCst);
        if old & FUTEX_TID_MASK != tid {
            return;
        }
        let new = (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if word
            .compare_exchange(old, new, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            break old & FUTEX_WAITERS != 0;
        }
    };
    if waiters {
        let _ = futex_wake(uaddr, 1, u32::MAX, false);
    }
}
