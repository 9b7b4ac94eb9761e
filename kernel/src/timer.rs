//! Timers that wake sleeping threads (Linux's hrtimer wake-ups, at the resolution of the tick).
//!
//! A thread that sleeps with a deadline ([`crate::sched::WaitQueue::sleep_until`], nanosleep,
//! poll's timeout, later futex timeouts) is listed here with the deadline on the monotonic clock
//! ([`crate::time::now_ns`]). Every timer tick ([`run_expired`]) wakes the threads whose deadline
//! has passed and takes them off the list; a sleeper woken otherwise takes itself off ([`cancel`]). The
//! tick is 4 ms (HZ = 250), so a sleep ends up to one tick late, never early.
//!
//! The list is sorted by deadline, so the tick looks only at its front. Its room is reserved before
//! a thread sleeps ([`arm`] is fallible), so the tick never allocates.

use alloc::{sync::Arc, vec::Vec};

use crate::{
    sched,
    sync::IrqMutex,
    syscall::errno::{ENOMEM, Errno},
    thread::Thread,
};

/// Sleeping threads and their deadlines (ns on the monotonic clock), soonest first.
static TIMERS: IrqMutex<Vec<(u64, Arc<Thread>)>> = IrqMutex::new(Vec::new());

/// Lists `thread` to be woken at `deadline_ns`. ENOMEM if the list cannot grow.
pub fn arm(thread: &Arc<Thread>, deadline_ns: u64) -> Result<(), Errno> {
    let mut timers = TIMERS.lock();
    timers.try_reserve(1).map_err(|_| ENOMEM)?;
    let at = timers.partition_point(|(d, _)| *d <= deadline_ns);
    timers.insert(at, (deadline_ns, thread.clone()));
    Ok(())
}

/// Takes `thread`'s timer off the list, if it is still there.
pub fn cancel(thread: &Arc<Thread>) {
    TIMERS.lock().retain(|(_, t)| !Arc::ptr_eq(t, thread));
}

/// Called on every timer tick: wakes, and takes off the list, every thread whose deadline is
/// `now_ns` or earlier. Lock order: the list, then the thread's state and the run queue (leaves).
pub fn run_expired(now_ns: u64) {
    let mut timers = TIMERS.lock();
    let expired = timers.partition_point(|(d, _)| *d <= now_ns);
    for (_, thread) in timers.drain(..expired) {
        sched::wake(&thread);
    }
}
