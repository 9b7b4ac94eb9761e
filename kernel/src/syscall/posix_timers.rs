//! timer_create, timer_settime, timer_gettime, timer_getoverrun and timer_delete (Linux's
//! kernel/time/posix-timers.c), with Linux's checks in its order. The timers themselves are
//! [`crate::process::posix_timers`].

use abi::{
    signal::sigevent,
    time::{
        CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, TIMER_ABSTIME,
        itimerspec,
    },
};
use alloc::sync::Arc;

use super::{
    SysResult,
    errno::*,
    time::{Clock, clock, setting, timer_deadline, timespec_ns, valid_timespec},
};
use crate::{
    arch::uaccess,
    process::posix_timers::{self, PosixTimer, TimerClock},
    thread::{self, Thread},
};

/// The clock a timer on `clock_id` counts: EOPNOTSUPP for the clocks that have no timers
/// (CLOCK_MONOTONIC_RAW and the coarse ones), EINVAL for an unknown clock or a CPU clock of a
/// pid or tid that is not the caller's process or one of its threads.
fn timer_clock(me: &Arc<Thread>, clock_id: u64) -> Result<TimerClock, Errno> {
    let no_timers = [
        CLOCK_MONOTONIC_RAW,
        CLOCK_REALTIME_COARSE,
        CLOCK_MONOTONIC_COARSE,
    ];
    if no_timers.contains(&(clock_id as u32 as u64)) {
        return Err(EOPNOTSUPP);
    }
    Ok(match clock(clock_id)? {
        Clock::Realtime { .. } => TimerClock::Wall { realtime: true },
        Clock::Monotonic { .. } => TimerClock::Wall { realtime: false },
        Clock::Cpu { id, thread, kind } => {
            let thread = match (thread, id) {
                (false, 0) => None,
                (false, pid) if pid == me.process.pid => None,
                (false, _) => return Err(EINVAL),
                (true, 0) => Some(Arc::downgrade(me)),
                (true, tid) => Some(
                    me.process
                        .threads
                        .lock()
                        .iter()
                        .find(|t| t.tid() == tid)
                        .map(Arc::downgrade)
                        .ok_or(EINVAL)?,
                ),
            };
            TimerClock::Cpu { thread, kind }
        }
    })
}

/// timer_create(clockid, sevp, timerid): a disarmed timer; its id goes to `timerid`. EFAULT for
/// an unreadable `sevp`, then the clock's errors, then EINVAL for a bad sigevent, EFAULT for
/// `timerid` (the timer is not kept then).
pub fn sys_timer_create(clock_id: u64, sevp: u64, timerid: u64) -> SysResult {
    let event: Option<sigevent> = match sevp {
        0 => None,
        ptr => Some(uaccess::read_user(ptr)?),
    };
    let me = thread::current().ok_or(EINVAL)?;
    let clock = timer_clock(&me, clock_id)?;
    let timer = posix_timers::timer_create(&me, clock, event.as_ref())?;
    if let Err(e) = uaccess::write_user(timerid, &timer.id) {
        posix_timers::timer_delete(&me.process, timer.id)?;
        return Err(e.into());
    }
    Ok(0)
}

/// The calling process's timer `id` (timer_t is an int to the kernel).
fn timer_of(id: u64) -> Result<Arc<PosixTimer>, Errno> {
    let process = thread::current_process().ok_or(EINVAL)?;
    posix_timers::find(&process, id as i32)
}

/// timer_settime(timerid, flags, new, old): arms (a zero it_value disarms) with it_value a delay,
/// or with TIMER_ABSTIME a time on the timer's clock (other flag bits are ignored, as in Linux),
/// and forgets the overruns. EINVAL for a null `new`, EFAULT, EINVAL for an invalid time, then for
/// no such timer; the old setting goes to `old` if it is not null.
pub fn sys_timer_settime(id: u64, flags: u64, new: u64, old: u64) -> SysResult {
    if new == 0 {
        return Err(EINVAL);
    }
    let new: itimerspec = uaccess::read_user(new)?;
    if !valid_timespec(&new.it_value) || !valid_timespec(&new.it_interval) {
        return Err(EINVAL);
    }
    let timer = timer_of(id)?;
    let abstime = flags as u32 as u64 & TIMER_ABSTIME != 0;
    let value = timespec_ns(new.it_value) as u64;
    let armed = match &timer.clock {
        TimerClock::Wall { realtime } => timer_deadline(value, abstime, *realtime),
        TimerClock::Cpu { .. } if value == 0 => None,
        TimerClock::Cpu { .. } if abstime => Some(value),
        TimerClock::Cpu { .. } => Some(timer.cpu_now().ok_or(EINVAL)?.saturating_add(value)),
    };
    let (left, interval) = timer.set(armed, timespec_ns(new.it_interval) as u64)?;
    if old != 0 {
        uaccess::write_user(old, &setting(left, interval))?;
    }
    Ok(0)
}

/// timer_gettime(timerid, cur): the time to the next expiry (0 if disarmed) and the interval.
pub fn sys_timer_gettime(id: u64, cur: u64) -> SysResult {
    let (left, interval) = timer_of(id)?.get();
    uaccess::write_user(cur, &setting(left, interval))?;
    Ok(0)
}

/// timer_getoverrun(timerid): the expirations the last signal taken stood for beyond the first.
pub fn sys_timer_getoverrun(id: u64) -> SysResult {
    Ok(timer_of(id)?.overrun() as u64)
}

/// timer_delete(timerid).
pub fn sys_timer_delete(id: u64) -> SysResult {
    let process = thread::current_process().ok_or(EINVAL)?;
    posix_timers::timer_delete(&process, id as i32)?;
    Ok(0)
}
