//! Timers (Linux's hrtimers, at the resolution of the tick): deadlines on the monotonic clock
//! ([`crate::time::now_ns`]) that wake a sleeping thread or fire a process's ITIMER_REAL, a
//! timerfd or a POSIX timer.
//!
//! A thread that sleeps with a deadline ([`crate::sched::WaitQueue::sleep_until`], nanosleep,
//! poll's timeout, later futex timeouts) is listed here; every timer tick ([`run_expired`]) wakes
//! the threads whose deadline has passed and takes them off the list; a sleeper woken otherwise
//! takes itself off ([`cancel`]). The tick is 4 ms (HZ = 250), so a timer fires up to one tick
//! late, never early.
//!
//! The list is sorted by deadline, so the tick looks only at its front. Its room is reserved when
//! an entry is added ([`arm`] is fallible), and a periodic timer re-armed by the tick takes the
//! place its expired entry left, so the tick never allocates.

use alloc::{
    sync::{Arc, Weak},
    vec::Vec,
};

use crate::{
    process::{Process, itimer},
    sched,
    sync::IrqMutex,
    syscall::errno::{ENOMEM, Errno},
    thread::Thread,
};

/// What happens at a deadline.
#[derive(Clone)]
pub enum Target {
    /// Wake a sleeping thread.
    Wake(Arc<Thread>),
    /// A process's ITIMER_REAL: SIGALRM, and re-arm if it has an interval. Weak: a process that
    /// ends does not stay alive for its timer.
    ItimerReal(Weak<Process>),
    /// A timerfd's expiry ([`crate::fs::timerfd`]), re-armed if periodic. Weak: a closed timerfd
    /// does not stay alive for its timer.
    TimerFd(Weak<crate::fs::timerfd::TimerFd>),
    /// A POSIX timer on a wall clock ([`crate::process::posix_timers`]), re-armed if periodic.
    /// Weak: a deleted timer does not stay alive for its entry.
    PosixTimer(Weak<crate::process::posix_timers::PosixTimer>),
}

impl Target {
    fn is(&self, other: &Target) -> bool {
        match (self, other) {
            (Target::Wake(a), Target::Wake(b)) => Arc::ptr_eq(a, b),
            (Target::ItimerReal(a), Target::ItimerReal(b)) => Weak::ptr_eq(a, b),
            (Target::TimerFd(a), Target::TimerFd(b)) => Weak::ptr_eq(a, b),
            (Target::PosixTimer(a), Target::PosixTimer(b)) => Weak::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// Pending timers and their deadlines (ns on the monotonic clock), soonest first.
static TIMERS: IrqMutex<Vec<(u64, Target)>> = IrqMutex::new(Vec::new());

/// Lists `target` to fire at `deadline_ns`, replacing an entry it already has. ENOMEM if the list
/// cannot grow.
pub fn arm(target: Target, deadline_ns: u64) -> Result<(), Errno> {
    let mut timers = TIMERS.lock();
    timers.retain(|(_, t)| !t.is(&target));
    timers.try_reserve(1).map_err(|_| ENOMEM)?;
    let at = timers.partition_point(|(d, _)| *d <= deadline_ns);
    timers.insert(at, (deadline_ns, target));
    Ok(())
}

/// Takes `target`'s entry off the list, if it is still there; an empty list gives its memory
/// back.
pub fn cancel(target: &Target) {
    let mut timers = TIMERS.lock();
    timers.retain(|(_, t)| !t.is(target));
    if timers.is_empty() && timers.capacity() > 0 {
        *timers = Vec::new();
    }
}

/// Called on every timer tick: fires, and takes off the list, every entry whose deadline is
/// `now_ns` or earlier. Lock order: the list, then a thread's state and the run queue, or a
/// process's timers and signal state (leaves).
pub fn run_expired(now_ns: u64) {
    let mut timers = TIMERS.lock();
    while timers.first().is_some_and(|(d, _)| *d <= now_ns) {
        let (_, target) = timers.remove(0);
        let next = match &target {
            Target::Wake(thread) => {
                sched::wake(thread);
                None
            }
            Target::ItimerReal(p) => p.upgrade().and_then(|p| itimer::real_expired(&p, now_ns)),
            Target::TimerFd(t) => t.upgrade().and_then(|t| t.expired(now_ns)),
            Target::PosixTimer(t) => t.upgrade().and_then(|t| t.expired(now_ns)),
        };
        if let Some(next) = next {
            // A periodic timer's next deadline: later than now_ns, so this loop does not meet it
            // again; it takes the slot just freed, so the insert does not allocate.
            let at = timers.partition_point(|(d, _)| *d <= next);
            timers.insert(at, (next, target));
        }
    }
}
