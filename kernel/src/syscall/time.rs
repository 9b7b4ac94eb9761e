//! Time system calls (Linux's kernel/time/posix-timers.c, posix-cpu-timers.c, hrtimer.c, time.c,
//! itimer.c, kernel/sys.c's times and getrusage): reading the clocks, sleeping, interval timers,
//! and CPU usage.
//!
//! Clock ids are Linux's: the fixed ones (CLOCK_REALTIME ...) and the dynamic CPU-time clocks that
//! `clock_getcpuclockid` and `pthread_getcpuclockid` make from a pid or tid (negative ids).

use abi::{
    resource::{RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD},
    time::{
        CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
        CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
        CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID, ITIMER_PROF, ITIMER_REAL,
        ITIMER_VIRTUAL, NSEC_PER_SEC, TIMER_ABSTIME, USEC_PER_SEC, USER_HZ, itimerspec, itimerval,
        timespec, timeval, tms,
    },
};

use super::{SysResult, errno::*};
use crate::{
    arch::uaccess,
    process::{
        self,
        itimer::Itimer,
        posix_timers::{self, CpuKind},
        rusage::{self, CpuTimes},
    },
    sched::WaitQueue,
    signal,
    sync::IrqOff,
    thread::{self, RestartBlock},
    time,
    timer::{self, Target},
};

/// The resolution of the tick-based (coarse) clocks: one tick (Linux's TICK_NSEC).
const TICK_NSEC: u64 = 1_000_000_000 / time::HZ as u64;

/// What a clock id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Clock {
    /// Wall-clock time (CLOCK_REALTIME and its variants), in ns since the epoch.
    Realtime { coarse: bool },
    /// Time since boot (CLOCK_MONOTONIC, _RAW, CLOCK_BOOTTIME: nothing suspends here).
    Monotonic { coarse: bool },
    /// CPU time of a process (`thread: false`) or thread, by pid/tid (0: the caller), as Linux's
    /// CPUCLOCK_PROF (user + system), CPUCLOCK_VIRT (user) or CPUCLOCK_SCHED (run time).
    Cpu {
        id: u32,
        thread: bool,
        kind: CpuKind,
    },
}

/// Decodes a clock id (Linux's clockid_to_kclock and the CPUCLOCK_* encoding: bits 0-1 the kind,
/// bit 2 per-thread, the rest the one's complement of the pid). EINVAL for anything else.
pub(super) fn clock(id: u64) -> Result<Clock, Errno> {
    let id = id as i32;
    if id < 0 {
        let kind = match id & 3 {
            0 => CpuKind::Prof,
            1 => CpuKind::Virt,
            2 => CpuKind::Sched,
            _ => return Err(EINVAL),
        };
        return Ok(Clock::Cpu {
            id: !(id >> 3) as u32,
            thread: id & 4 != 0,
            kind,
        });
    }
    Ok(match id as u64 {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM | CLOCK_TAI => Clock::Realtime { coarse: false },
        CLOCK_REALTIME_COARSE => Clock::Realtime { coarse: true },
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => {
            Clock::Monotonic { coarse: false }
        }
        CLOCK_MONOTONIC_COARSE => Clock::Monotonic { coarse: true },
        CLOCK_PROCESS_CPUTIME_ID => Clock::Cpu {
            id: 0,
            thread: false,
            kind: CpuKind::Sched,
        },
        CLOCK_THREAD_CPUTIME_ID => Clock::Cpu {
            id: 0,
            thread: true,
            kind: CpuKind::Sched,
        },
        _ => return Err(EINVAL),
    })
}

/// The CPU times behind a CPU-time clock. EINVAL for a pid or tid that does not exist (Linux's
/// posix_cpu_clock_get: the id is checked like the clock id), or a thread of another process.
fn cpu_times(id: u32, per_thread: bool) -> Result<CpuTimes, Errno> {
    let me = thread::current().ok_or(EINVAL)?;
    if per_thread {
        if id != 0 && id != me.tid() {
            // Threads of other processes are not visible; one thread per process today.
            let target = process::find(id)
                .and_then(|p| p.main_thread())
                .ok_or(EINVAL)?;
            if !alloc::sync::Arc::ptr_eq(&target.process, &me.process) {
                return Err(EINVAL);
            }
            return Ok(target.cpu.read());
        }
        return Ok(me.cpu.read());
    }
    let process = if id == 0 {
        me.process.clone()
    } else {
        process::find(id).ok_or(EINVAL)?
    };
    Ok(rusage::self_usage(&process).times)
}

/// A clock's value now, in ns.
fn read_clock(clock: Clock) -> Result<i64, Errno> {
    let coarse = |ns: i64| ns - ns.rem_euclid(TICK_NSEC as i64);
    Ok(match clock {
        Clock::Realtime { coarse: false } => time::realtime_ns(),
        Clock::Realtime { coarse: true } => coarse(time::realtime_ns()),
        Clock::Monotonic { coarse: false } => time::now_ns() as i64,
        Clock::Monotonic { coarse: true } => coarse(time::now_ns() as i64),
        Clock::Cpu { id, thread, kind } => {
            let ns = posix_timers::cpu_clock_ns(&cpu_times(id, thread)?, kind);
            ns.min(i64::MAX as u64) as i64
        }
    })
}

pub(super) fn to_timespec(ns: i64) -> timespec {
    timespec {
        tv_sec: ns.div_euclid(NSEC_PER_SEC),
        tv_nsec: ns.rem_euclid(NSEC_PER_SEC),
    }
}

/// Reads a timespec from user memory: EFAULT, or EINVAL unless 0 <= tv_nsec < 1e9 and tv_sec >= 0
/// (Linux's timespec64_valid and the sleep calls' check).
fn read_timespec(ptr: u64) -> Result<timespec, Errno> {
    let ts: timespec = uaccess::read_user(ptr)?;
    if !valid_timespec(&ts) {
        return Err(EINVAL);
    }
    Ok(ts)
}

/// Linux's timespec64_valid with a non-negative time: 0 <= tv_nsec < 1e9 and tv_sec >= 0.
pub(super) fn valid_timespec(ts: &timespec) -> bool {
    ts.tv_sec >= 0 && (0..NSEC_PER_SEC).contains(&ts.tv_nsec)
}

/// A valid timespec in ns, saturating at i64::MAX (a sleep of centuries).
pub(super) fn timespec_ns(ts: timespec) -> i64 {
    ts.tv_sec
        .saturating_mul(NSEC_PER_SEC)
        .saturating_add(ts.tv_nsec)
}

/// A timer setting in ns as an itimerspec (times past i64::MAX ns, beyond 2262, as Linux's
/// KTIME_MAX): timerfd_gettime's and timer_gettime's answer.
pub(super) fn setting(left: u64, interval: u64) -> itimerspec {
    let ts = |ns: u64| to_timespec(i64::try_from(ns).unwrap_or(i64::MAX));
    itimerspec {
        it_interval: ts(interval),
        it_value: ts(left),
    }
}

/// When a timer set to `value` ns (timerfd_settime, timer_settime) expires, on the monotonic
/// clock; None for 0, which disarms. `value` is a delay, or with `abstime` a time on the timer's
/// clock: the wall clock if `realtime` (as far from now as it is from the wall clock's now),
/// else the monotonic clock.
pub(super) fn timer_deadline(value: u64, abstime: bool, realtime: bool) -> Option<u64> {
    let now = time::now_ns();
    Some(if value == 0 {
        return None;
    } else if !abstime {
        now.saturating_add(value)
    } else if realtime {
        let wall = time::realtime_ns();
        match i64::try_from(value) {
            Ok(v) if v >= wall => now.saturating_add((v - wall) as u64),
            _ => now.saturating_sub(wall.saturating_sub(value as i64) as u64),
        }
    } else {
        value
    })
}

pub fn sys_clock_gettime(clock_id: u64, tp: u64) -> SysResult {
    let ns = read_clock(clock(clock_id)?)?;
    uaccess::write_user(tp, &to_timespec(ns))?;
    Ok(0)
}

/// clock_getres: 1 ns for the high-resolution clocks and the CPU clocks (as Linux with high-
/// resolution timers reports), one tick for the coarse ones. A null `tp` only checks the id.
pub fn sys_clock_getres(clock_id: u64, tp: u64) -> SysResult {
    let clock = clock(clock_id)?;
    if let Clock::Cpu { id, thread, .. } = clock {
        cpu_times(id, thread)?;
    }
    let res = match clock {
        Clock::Realtime { coarse: true } | Clock::Monotonic { coarse: true } => TICK_NSEC as i64,
        _ => 1,
    };
    if tp != 0 {
        uaccess::write_user(tp, &to_timespec(res))?;
    }
    Ok(0)
}

/// gettimeofday(tv, tz): the wall clock in microseconds; the time zone is always UTC (zeros), as
/// on a Linux nobody called settimeofday on.
pub fn sys_gettimeofday(tv: u64, tz: u64) -> SysResult {
    if tv != 0 {
        let ts = to_timespec(time::realtime_ns());
        let val = timeval {
            tv_sec: ts.tv_sec,
            tv_usec: ts.tv_nsec / 1000,
        };
        uaccess::write_user(tv, &val)?;
    }
    if tz != 0 {
        uaccess::write_user(tz, &abi::time::timezone::default())?;
    }
    Ok(0)
}

/// time(tloc): seconds since the epoch, also stored at `tloc` if it is not null.
pub fn sys_time(tloc: u64) -> SysResult {
    let secs = time::realtime_ns().div_euclid(NSEC_PER_SEC);
    if tloc != 0 {
        uaccess::write_user(tloc, &secs)?;
    }
    Ok(secs as u64)
}

/// Sleeps until the monotonic clock reaches `deadline_ns` (Linux's do_nanosleep). Ok when the
/// time is up; EINTR when a signal interrupted the sleep (the caller reports what was left).
fn sleep_until(deadline_ns: u64) -> Result<(), Errno> {
    // Nobody else wakes this queue: only the deadline or a signal ends the sleep.
    let queue = WaitQueue::new();
    loop {
        let irq = IrqOff::new();
        match queue.sleep_until(irq, Some(deadline_ns)) {
            Err(ETIMEDOUT) => return Ok(()),
            Err(e) => return Err(e),
            Ok(()) => {}
        }
    }
}

/// A relative sleep of `ns` from now (Linux's hrtimer_nanosleep with do_nanosleep).
fn sleep_relative(ns: i64, rem: u64) -> SysResult {
    sleep_to_deadline(time::now_ns().saturating_add(ns as u64), rem)
}

/// Sleeps until `deadline` on the monotonic clock. Interrupted by a signal, it writes the time
/// left to `rem` (if given) and leaves a restart block, so that if no handler runs the call goes
/// on towards the same deadline through restart_syscall (ERESTART_RESTARTBLOCK); if a handler
/// runs, the program sees EINTR, as on Linux.
fn sleep_to_deadline(deadline: u64, rem: u64) -> SysResult {
    match sleep_until(deadline) {
        Ok(()) => Ok(0),
        Err(EINTR) => {
            if signal::fatal_signal_pending() {
                return Err(EINTR);
            }
            if rem != 0 {
                let left = deadline.saturating_sub(time::now_ns());
                uaccess::write_user(rem, &to_timespec(left as i64))?;
            }
            if let Some(me) = thread::current() {
                *me.restart_block.lock() = RestartBlock::Nanosleep {
                    deadline_ns: deadline,
                    rem,
                };
            }
            signal::set_restart(signal::ERESTART_RESTARTBLOCK);
            Err(EINTR)
        }
        Err(e) => Err(e),
    }
}

/// restart_syscall(): continues what the restart block says (Linux's
/// hrtimer_nanosleep_restart), or fails with EINTR when there is nothing to continue.
pub fn sys_restart_syscall() -> SysResult {
    let me = thread::current().ok_or(EINTR)?;
    let block = core::mem::replace(&mut *me.restart_block.lock(), RestartBlock::None);
    match block {
        RestartBlock::Nanosleep { deadline_ns, rem } => sleep_to_deadline(deadline_ns, rem),
        RestartBlock::None => Err(EINTR),
    }
}

pub fn sys_nanosleep(req: u64, rem: u64) -> SysResult {
    let ts = read_timespec(req)?;
    sleep_relative(timespec_ns(ts), rem)
}

/// clock_nanosleep(clock, flags, req, rem): a relative sleep, or with TIMER_ABSTIME one until the
/// clock reads `req`, checked in Linux's order (clock id, whether the clock can sleep, then the
/// time). The wall clock never jumps here, so an absolute CLOCK_REALTIME deadline is a monotonic
/// one shifted by the fixed difference. A process CPU-time clock is slept on by checking it every
/// tick (Linux's posix_cpu_nsleep arms a CPU timer); a thread's cannot be slept on (EINVAL), nor a
/// coarse clock (ENOTSUP: Linux's clocks without nsleep).
pub fn sys_clock_nanosleep(clock_id: u64, flags: u64, req: u64, rem: u64) -> SysResult {
    let clock = clock(clock_id)?;
    let offset = match clock {
        Clock::Realtime { coarse: false } => time::realtime_ns() - time::now_ns() as i64,
        Clock::Monotonic { coarse: false } => 0,
        Clock::Cpu { thread: true, .. } => return Err(EINVAL),
        Clock::Cpu { .. } => return cpu_clock_nanosleep(clock, flags, read_timespec(req)?, rem),
        Clock::Realtime { coarse: true } | Clock::Monotonic { coarse: true } => {
            return Err(ENOTSUP);
        }
    };
    let ts = read_timespec(req)?;
    if flags & TIMER_ABSTIME == 0 {
        return sleep_relative(timespec_ns(ts), rem);
    }
    let deadline = timespec_ns(ts).saturating_sub(offset).max(0) as u64;
    // An interrupted absolute sleep reports nothing in rem and restarts as it was called, the
    // deadline being the same (Linux: ERESTARTNOHAND).
    sleep_until(deadline).map(|()| 0).inspect_err(|&e| {
        if e == EINTR && !signal::fatal_signal_pending() {
            signal::set_restart(signal::ERESTARTNOHAND);
        }
    })
}

/// Sleeps until a process's CPU-time clock reaches the target (absolute, or relative to now). The
/// clock only moves while some thread of that process runs, so the sleeper looks again each tick.
fn cpu_clock_nanosleep(clock: Clock, flags: u64, ts: timespec, rem: u64) -> SysResult {
    let start = read_clock(clock)?;
    let target = if flags & TIMER_ABSTIME != 0 {
        timespec_ns(ts)
    } else {
        start.saturating_add(timespec_ns(ts))
    };
    loop {
        let now = read_clock(clock)?;
        if now >= target {
            return Ok(0);
        }
        if let Err(e) = sleep_until(time::now_ns().saturating_add(TICK_NSEC)) {
            if e == EINTR && rem != 0 && flags & TIMER_ABSTIME == 0 {
                uaccess::write_user(rem, &to_timespec(target - now))?;
            }
            return Err(e);
        }
    }
}

/// Nanoseconds as clock ticks (USER_HZ).
fn ns_to_clock_t(ns: u64) -> i64 {
    (ns / (1_000_000_000 / USER_HZ as u64)) as i64
}

/// times(buf): the caller's and its reaped children's user and system times in clock ticks;
/// returns the clock ticks since an arbitrary point (Linux's, see [`time::clock_t_now`]).
pub fn sys_times(buf: u64) -> SysResult {
    if buf != 0 {
        let process = thread::current_process().ok_or(EINVAL)?;
        let (utime, stime) = rusage::self_usage(&process).times.user_system_ns();
        let (cutime, cstime) = rusage::children_usage(&process).times.user_system_ns();
        let t = tms {
            tms_utime: ns_to_clock_t(utime),
            tms_stime: ns_to_clock_t(stime),
            tms_cutime: ns_to_clock_t(cutime),
            tms_cstime: ns_to_clock_t(cstime),
        };
        uaccess::write_user(buf, &t)?;
    }
    Ok(time::clock_t_now() as u64)
}

/// getrusage(who, usage): RUSAGE_SELF, RUSAGE_CHILDREN (reaped children) or RUSAGE_THREAD.
pub fn sys_getrusage(who: u64, usage: u64) -> SysResult {
    let me = thread::current().ok_or(EINVAL)?;
    let result = match who as i32 as i64 {
        RUSAGE_SELF => rusage::self_usage(&me.process),
        RUSAGE_CHILDREN => rusage::children_usage(&me.process),
        RUSAGE_THREAD => {
            // The thread's own times and faults; the high-water mark is the address space's.
            let mut own = rusage::thread_usage(&me);
            own.maxrss_pages = rusage::self_usage(&me.process).maxrss_pages;
            own
        }
        _ => return Err(EINVAL),
    };
    uaccess::write_user(usage, &result.to_rusage())?;
    Ok(0)
}

// --- Interval timers ----------------------------------------------------------------------------

/// A timeval as ns: EINVAL unless 0 <= tv_usec < 1e6 and tv_sec >= 0 (Linux's timeval_valid).
fn timeval_ns(tv: timeval) -> Result<u64, Errno> {
    if tv.tv_sec < 0 || !(0..USEC_PER_SEC).contains(&tv.tv_usec) {
        return Err(EINVAL);
    }
    Ok((tv.tv_sec as u64)
        .saturating_mul(NSEC_PER_SEC as u64)
        .saturating_add(tv.tv_usec as u64 * 1000))
}

/// Nanoseconds as a timeval, rounded up to whole microseconds (a timer with 1 ns left still shows
/// as running).
fn ns_to_timeval_up(ns: u64) -> timeval {
    rusage::ns_to_timeval(ns.div_ceil(1000) * 1000)
}

/// The current value of one of the calling process's timers, as getitimer reports it: the time
/// left (at least 1 µs for an ITIMER_REAL whose expiry the tick has not handled yet, as Linux's
/// itimer_get_remtime) and the interval.
fn get_itimer(process: &process::Process, which: u64) -> Result<itimerval, Errno> {
    let timers = process.itimers.lock();
    let (left, interval) = match which {
        ITIMER_REAL => {
            let t = timers.real;
            let left = match t.value_ns {
                0 => 0,
                deadline => deadline.saturating_sub(time::now_ns()).max(1000),
            };
            (left, t.interval_ns)
        }
        ITIMER_VIRTUAL => (timers.virt.value_ns, timers.virt.interval_ns),
        ITIMER_PROF => (timers.prof.value_ns, timers.prof.interval_ns),
        _ => return Err(EINVAL),
    };
    Ok(itimerval {
        it_interval: ns_to_timeval_up(interval),
        it_value: ns_to_timeval_up(left),
    })
}

/// Sets one of the calling process's timers (value 0 disarms it); returns the old setting.
fn set_itimer(which: u64, value_ns: u64, interval_ns: u64) -> Result<itimerval, Errno> {
    let process = thread::current_process().ok_or(EINVAL)?;
    let old = get_itimer(&process, which)?;
    let target = Target::ItimerReal(alloc::sync::Arc::downgrade(&process));
    let mut timers = process.itimers.lock();
    match which {
        ITIMER_REAL => {
            if value_ns == 0 {
                timers.real = Itimer::default();
                drop(timers);
                timer::cancel(&target);
            } else {
                let deadline = time::now_ns().saturating_add(value_ns);
                timers.real = Itimer {
                    value_ns: deadline,
                    interval_ns,
                };
                drop(timers);
                timer::arm(target, deadline)?;
            }
        }
        ITIMER_VIRTUAL => {
            timers.virt = Itimer {
                value_ns,
                interval_ns,
            }
        }
        _ => {
            timers.prof = Itimer {
                value_ns,
                interval_ns,
            }
        }
    }
    Ok(old)
}

/// getitimer(which, value).
pub fn sys_getitimer(which: u64, value: u64) -> SysResult {
    let process = thread::current_process().ok_or(EINVAL)?;
    let current = get_itimer(&process, which)?;
    uaccess::write_user(value, &current)?;
    Ok(0)
}

/// setitimer(which, new, old): a null `new` disarms, as Linux has always (with a warning) allowed.
pub fn sys_setitimer(which: u64, new: u64, old: u64) -> SysResult {
    if !matches!(which, ITIMER_REAL | ITIMER_VIRTUAL | ITIMER_PROF) {
        return Err(EINVAL);
    }
    let new = if new != 0 {
        uaccess::read_user::<itimerval>(new)?
    } else {
        itimerval::default()
    };
    let value = timeval_ns(new.it_value)?;
    let interval = timeval_ns(new.it_interval)?;
    let previous = set_itimer(which, value, interval)?;
    if old != 0 {
        uaccess::write_user(old, &previous)?;
    }
    Ok(0)
}

/// alarm(seconds): ITIMER_REAL without an interval; returns the seconds the previous alarm had
/// left, rounded to the nearest second but never 0 for an alarm still pending (Linux's
/// alarm_setitimer).
pub fn sys_alarm(seconds: u64) -> SysResult {
    let seconds = seconds as u32 as u64;
    let old = set_itimer(ITIMER_REAL, seconds * NSEC_PER_SEC as u64, 0)?.it_value;
    let mut left = old.tv_sec as u64;
    if (old.tv_sec == 0 && old.tv_usec != 0) || old.tv_usec >= 500_000 {
        left += 1;
    }
    Ok(left)
}
