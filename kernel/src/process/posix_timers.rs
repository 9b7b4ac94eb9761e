//! POSIX interval timers (Linux's kernel/time/posix-timers.c and posix-cpu-timers.c):
//! timer_create, timer_settime, timer_gettime, timer_getoverrun and timer_delete.
//!
//! A process owns its timers, by id: ids count up from 0 and are not reused until they wrap, as
//! Linux's `next_posix_timer_id`. fork does not copy them; execve and exit delete them.
//!
//! - A timer on a wall clock (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI and the
//!   _ALARM forms) keeps its deadline on the monotonic clock and fires from the timer list
//!   ([`crate::timer`]), at tick resolution, as timerfd does.
//! - A timer on a CPU-time clock of the calling process or one of its threads keeps its deadline
//!   on that clock; the tick that samples CPU time reads the clock and fires it
//!   ([`account_tick`]).
//!
//! At expiry the timer sends its signal (SIGEV_SIGNAL to the process, SIGEV_THREAD_ID to one
//! thread, nothing for SIGEV_NONE) unless its previous signal is still pending: then the
//! expiry counts as an overrun, which the signal's si_overrun and timer_getoverrun report once
//! it is taken ([`deliver`]). A periodic timer goes on running meanwhile; late ticks count the
//! intervals they missed, as Linux's hrtimer_forward. A signal whose timer was deleted or set
//! again since it was sent is dropped when taken, as Linux (6.13 and later) does.
//!
//! Lock order: a timer's state, then the signal state of its target (leaves); the process's
//! timer list before a timer's state.

use alloc::{
    sync::{Arc, Weak},
    vec::Vec,
};

use abi::signal::{SI_TIMER, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID, sigevent};

use super::Process;
use crate::{
    signal::{self, KSigInfo},
    sync::IrqMutex,
    syscall::errno::*,
    thread::Thread,
    time,
    timer::{self, Target},
};

/// The clock a timer counts.
pub enum TimerClock {
    /// A wall clock; `realtime` for the ones whose absolute times are wall-clock times.
    Wall { realtime: bool },
    /// The CPU time of the owning process (`thread: None`) or of one of its threads.
    Cpu {
        thread: Option<Weak<Thread>>,
        kind: CpuKind,
    },
}

/// What a CPU-time clock counts (Linux's CPUCLOCK_SCHED, CPUCLOCK_PROF, CPUCLOCK_VIRT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuKind {
    /// Time on the CPU (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID).
    Sched,
    /// User and system time.
    Prof,
    /// User time.
    Virt,
}

/// A CPU-time clock's value from `times`, in ns (what clock_gettime reads, so that a timer fires
/// when the clock says its time has come).
pub fn cpu_clock_ns(times: &super::rusage::CpuTimes, kind: CpuKind) -> u64 {
    let (user, system) = times.user_system_ns();
    match kind {
        CpuKind::Sched => times.run_ns,
        CpuKind::Prof => user.saturating_add(system),
        CpuKind::Virt => user,
    }
}

/// Where the expiry goes (`struct sigevent`, checked).
pub enum Notify {
    /// SIGEV_NONE: the timer is only read.
    None,
    /// SIGEV_SIGNAL (and the C library's SIGEV_THREAD): `sig` with `value` to the process, or
    /// to one thread for SIGEV_THREAD_ID.
    Signal {
        sig: u8,
        value: u64,
        thread: Option<Weak<Thread>>,
    },
}

/// What a timer is set to.
#[derive(Clone, Copy, Default)]
struct State {
    /// Armed: the deadline, in ns, on the monotonic clock for a wall clock, on its own clock for a
    /// CPU-time clock.
    armed: Option<u64>,
    /// The period after each expiry, 0 for a one-shot timer.
    interval_ns: u64,
    /// The arming the pending signal belongs to (from 1, changed by every timer_settime).
    seq: u32,
    /// Its signal is pending.
    queued: bool,
    /// Expirations while the signal was pending.
    overrun: u64,
    /// timer_getoverrun: the overrun of the last signal taken.
    overrun_last: i32,
}

pub struct PosixTimer {
    pub id: i32,
    pub clock: TimerClock,
    notify: Notify,
    owner: Weak<Process>,
    state: IrqMutex<State>,
}

/// A process's timers, and the id the next one gets.
#[derive(Default)]
pub struct PosixTimers {
    list: Vec<Arc<PosixTimer>>,
    next_id: i32,
    /// How many of them count CPU time (the tick looks at the list only then).
    cpu_timers: usize,
}

/// Linux's DELAYTIMER_MAX: the overrun reported saturates there.
const DELAYTIMER_MAX: u64 = i32::MAX as u64;

/// Checks a sigevent as Linux's good_sigevent: SIGEV_THREAD_ID needs a thread of the calling
/// process; the signalling kinds a signal from 1 to 64. EINVAL otherwise.
pub fn check_sigevent(me: &Thread, event: &sigevent) -> Result<Notify, Errno> {
    let signal = |thread| {
        let sig = u8::try_from(event.sigev_signo)
            .ok()
            .and_then(|s| signal::valid_signal(s as u64))
            .ok_or(EINVAL)?;
        Ok(Notify::Signal {
            sig,
            value: event.sigev_value,
            thread,
        })
    };
    match event.sigev_notify {
        n if n == SIGEV_SIGNAL | SIGEV_THREAD_ID => {
            let tid = u32::try_from(event.sigev_notify_thread_id).map_err(|_| EINVAL)?;
            let thread = me
                .process
                .threads
                .lock()
                .iter()
                .find(|t| t.tid() == tid)
                .map(Arc::downgrade)
                .ok_or(EINVAL)?;
            signal(Some(thread))
        }
        SIGEV_SIGNAL | SIGEV_THREAD => signal(None),
        SIGEV_NONE => Ok(Notify::None),
        _ => Err(EINVAL),
    }
}

/// Makes a timer on `clock` for `process` (Linux's do_timer_create once the clock is known):
/// `event` None is SIGEV_SIGNAL with SIGALRM and the timer's id as value. The id is taken
/// before the sigevent is checked, so a failed create uses one up, as in Linux. EAGAIN past
/// RLIMIT_SIGPENDING timers or when memory runs out.
pub fn timer_create(
    me: &Thread,
    clock: TimerClock,
    event: Option<&sigevent>,
) -> Result<Arc<PosixTimer>, Errno> {
    let process = &me.process;
    let limit = process.rlimits.lock().cur(abi::resource::RLIMIT_SIGPENDING);
    let mut timers = process.posix_timers.lock();
    if timers.list.len() as u64 >= limit {
        return Err(EAGAIN);
    }
    timers.list.try_reserve(1).map_err(|_| EAGAIN)?;
    let id = timers.take_id();
    let notify = match event {
        Some(event) => check_sigevent(me, event)?,
        None => Notify::Signal {
            sig: signal::SIGALRM,
            value: id as u64,
            thread: None,
        },
    };
    let cpu = matches!(clock, TimerClock::Cpu { .. });
    let timer = Arc::try_new(PosixTimer {
        id,
        clock,
        notify,
        owner: Arc::downgrade(process),
        state: IrqMutex::new(State::default()),
    })
    .map_err(|_| EAGAIN)?;
    timers.list.push(timer.clone());
    timers.cpu_timers += cpu as usize;
    Ok(timer)
}

impl PosixTimers {
    /// The next free id, counting up and wrapping at i32::MAX (Linux's posix_timer_add).
    fn take_id(&mut self) -> i32 {
        loop {
            let id = self.next_id;
            self.next_id = if id == i32::MAX { 0 } else { id + 1 };
            if !self.list.iter().any(|t| t.id == id) {
                return id;
            }
        }
    }
}

/// The calling process's timer `id`; EINVAL if it has none.
pub fn find(process: &Process, id: i32) -> Result<Arc<PosixTimer>, Errno> {
    process
        .posix_timers
        .lock()
        .list
        .iter()
        .find(|t| t.id == id)
        .cloned()
        .ok_or(EINVAL)
}

/// timer_delete: disarms and forgets timer `id`; a signal of it still pending is dropped when
/// taken. EINVAL for no such timer.
pub fn timer_delete(process: &Process, id: i32) -> Result<(), Errno> {
    let timer = {
        let mut timers = process.posix_timers.lock();
        let at = timers.list.iter().position(|t| t.id == id).ok_or(EINVAL)?;
        let timer = timers.list.remove(at);
        timers.cpu_timers -= matches!(timer.clock, TimerClock::Cpu { .. }) as usize;
        if timers.list.is_empty() {
            timers.list = Vec::new();
        }
        timer
    };
    timer.disarm();
    Ok(())
}

/// Deletes every timer of `process` (Linux's exit_itimers): execve and the end of the process.
pub fn exit_itimers(process: &Process) {
    let timers = core::mem::take(&mut *process.posix_timers.lock());
    for timer in timers.list {
        timer.disarm();
    }
}

impl PosixTimer {
    fn target(self: &Arc<Self>) -> Target {
        Target::PosixTimer(Arc::downgrade(self))
    }

    /// Stops the timer for good (deleted): off the timer list, and its pending signal stale.
    fn disarm(self: &Arc<Self>) {
        {
            let mut state = self.state.lock();
            state.armed = None;
            state.seq = state.seq.wrapping_add(1).max(1);
        }
        timer::cancel(&self.target());
    }

    /// The value of a CPU-time timer's clock now (None for a wall clock, or a clock whose thread
    /// or process has gone).
    pub fn cpu_now(&self) -> Option<u64> {
        let TimerClock::Cpu { thread, kind } = &self.clock else {
            return None;
        };
        let times = match thread {
            Some(thread) => thread.upgrade()?.cpu.read(),
            None => super::rusage::process_times(&*self.owner.upgrade()?),
        };
        Some(cpu_clock_ns(&times, *kind))
    }

    /// timer_settime: arms the timer to expire at `value_ns` (None disarms) and then every
    /// `interval_ns`. `value_ns` is the deadline on the monotonic clock for a wall clock, on the
    /// timer's own clock for a CPU-time clock. Returns the old setting as timer_gettime gives it.
    pub fn set(
        self: &Arc<Self>,
        value_ns: Option<u64>,
        interval_ns: u64,
    ) -> Result<(u64, u64), Errno> {
        let old = self.get();
        let wall = matches!(self.clock, TimerClock::Wall { .. });
        if wall {
            timer::cancel(&self.target());
        }
        {
            let mut state = self.state.lock();
            state.armed = value_ns;
            state.interval_ns = interval_ns;
            // A signal of the old setting still pending is dropped when taken.
            state.seq = state.seq.wrapping_add(1).max(1);
            state.queued = false;
            state.overrun = 0;
        }
        if let (true, Some(deadline)) = (wall, value_ns) {
            timer::arm(self.target(), deadline)?;
        }
        Ok(old)
    }

    /// timer_gettime: the time to the next expiry (0 if disarmed; at least 1 ns while armed)
    /// and the interval, in ns.
    pub fn get(&self) -> (u64, u64) {
        let state = *self.state.lock();
        let now = || self.cpu_now().unwrap_or_else(time::now_ns);
        let left = state.armed.map_or(0, |d| d.saturating_sub(now()).max(1));
        (left, state.interval_ns)
    }

    /// timer_getoverrun: the overrun of the last signal taken.
    pub fn overrun(&self) -> i32 {
        self.state.lock().overrun_last
    }

    /// The timer's clock reads `now_ns` (the timer list's call at the deadline of a wall-clock
    /// timer, the tick's for a CPU-time one; interrupts off): if the deadline has come, the
    /// expiry and the intervals already passed too are signalled, and the next deadline
    /// returned if periodic.
    pub fn expired(&self, now_ns: u64) -> Option<u64> {
        let mut state = self.state.lock();
        let deadline = state.armed?;
        if deadline > now_ns {
            // Not yet (a CPU-time clock), or set again since this timer-list entry was listed
            // (the new entry stands).
            return None;
        }
        let interval = state.interval_ns;
        let (next, expiries) = match (now_ns - deadline).checked_div(interval) {
            Some(missed) => (
                Some(deadline.saturating_add((missed + 1).saturating_mul(interval))),
                missed + 1,
            ),
            None => (None, 1),
        };
        state.armed = next;
        self.fire(&mut state, expiries);
        next
    }

    /// The tick ran `thread`: a CPU-time timer of its clock looks at the clock.
    fn charge_tick(&self, thread: &Thread) {
        let TimerClock::Cpu {
            thread: counted, ..
        } = &self.clock
        else {
            return;
        };
        if counted
            .as_ref()
            .is_some_and(|t| !core::ptr::eq(t.as_ptr(), thread))
        {
            return;
        }
        if let Some(now) = self.cpu_now() {
            self.expired(now);
        }
    }

    /// `expiries` happened: the signal goes out unless it is still pending, in which case they
    /// are overruns (Linux's posix_timer_queue_signal and send_sigqueue).
    fn fire(&self, state: &mut State, expiries: u64) {
        let Notify::Signal { sig, value, thread } = &self.notify else {
            return;
        };
        if state.queued {
            state.overrun = state.overrun.saturating_add(expiries);
            return;
        }
        let info = KSigInfo {
            code: SI_TIMER,
            value: *value,
            timer_id: self.id,
            timer_seq: state.seq,
            ..Default::default()
        };
        let queued = match thread {
            Some(thread) => thread
                .upgrade()
                .is_some_and(|t| signal::send_sigqueue(&t.process, Some(&t), *sig, info)),
            None => self
                .owner
                .upgrade()
                .is_some_and(|p| signal::send_sigqueue(&p, None, *sig, info)),
        };
        if queued {
            state.queued = true;
            state.overrun = expiries - 1;
        }
    }
}

/// A timer's signal is being taken by a thread of `process`: fills in its overrun and lets it
/// through (true), or drops it (false) if its timer was deleted or set again since.
pub fn deliver(process: &Process, info: &mut KSigInfo) -> bool {
    let Ok(timer) = find(process, info.timer_id) else {
        return false;
    };
    let mut state = timer.state.lock();
    if state.seq != info.timer_seq {
        return false;
    }
    let overrun = state.overrun.min(DELAYTIMER_MAX) as i32;
    info.overrun = overrun;
    state.overrun_last = overrun;
    state.overrun = 0;
    state.queued = false;
    true
}

/// The tick charged `thread` of `process`: the process's CPU-time timers look at their clocks,
/// at tick resolution, as Linux's run_posix_cpu_timers.
pub fn account_tick(process: &Process, thread: &Thread) {
    let timers = process.posix_timers.lock();
    if timers.cpu_timers == 0 {
        return;
    }
    for timer in &timers.list {
        timer.charge_tick(thread);
    }
}
