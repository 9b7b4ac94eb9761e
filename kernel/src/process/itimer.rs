//! Interval timers (Linux's kernel/time/itimer.c): setitimer, getitimer and alarm.
//!
//! - ITIMER_REAL counts wall time: a [`crate::timer`] entry sends SIGALRM to the process at the
//!   deadline, and re-arms itself when the timer has an interval.
//! - ITIMER_VIRTUAL counts the process's user time and sends SIGVTALRM; ITIMER_PROF counts user
//!   and system time and sends SIGPROF. Both are charged by the tick that samples CPU time, one
//!   tick at a time, as Linux does without high-resolution CPU timers.
//!
//! Timers belong to the process: fork does not copy them, execve keeps them.

use crate::{
    signal::{self, KSigInfo},
    time,
};

/// One interval timer: time left until it fires (0: disarmed) and the period after that.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Itimer {
    /// For ITIMER_REAL the deadline on the monotonic clock; for the CPU timers the CPU time left.
    pub value_ns: u64,
    pub interval_ns: u64,
}

/// A process's three timers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Itimers {
    pub real: Itimer,
    pub virt: Itimer,
    pub prof: Itimer,
}

/// The length of one tick, what each CPU-time sample charges.
const TICK_NSEC: u64 = 1_000_000_000 / time::HZ as u64;

impl Itimer {
    /// Charges one tick to a CPU-time timer; true when it expires now (it re-arms with its
    /// interval, or stops).
    fn charge_tick(&mut self) -> bool {
        if self.value_ns == 0 {
            return false;
        }
        if self.value_ns > TICK_NSEC {
            self.value_ns -= TICK_NSEC;
            return false;
        }
        self.value_ns = self.interval_ns;
        true
    }
}

/// The tick charged the current process's thread: run its CPU-time timers.
pub fn account_tick(process: &super::Process, user: bool) {
    let (virt, prof) = {
        let mut timers = process.itimers.lock();
        let virt = user && timers.virt.charge_tick();
        let prof = timers.prof.charge_tick();
        (virt, prof)
    };
    if virt {
        signal::send_to_process(process, signal::SIGVTALRM, KSigInfo::kernel());
    }
    if prof {
        signal::send_to_process(process, signal::SIGPROF, KSigInfo::kernel());
    }
}

/// The ITIMER_REAL deadline of `process` passed (called by the timer list at tick time): sends
/// SIGALRM and returns the next deadline if the timer has an interval. The next deadline is moved
/// forward past `now_ns` by whole intervals, as Linux's hrtimer_forward, so a late tick does not
/// deliver a burst.
pub fn real_expired(process: &super::Process, now_ns: u64) -> Option<u64> {
    let next = {
        let mut timers = process.itimers.lock();
        let real = &mut timers.real;
        if real.value_ns == 0 || real.value_ns > now_ns {
            return None; // disarmed or re-armed since this entry was listed
        }
        let late = now_ns - real.value_ns;
        match late.checked_div(real.interval_ns) {
            None => {
                real.value_ns = 0;
                None
            }
            Some(periods) => {
                real.value_ns = real
                    .value_ns
                    .saturating_add((periods + 1).saturating_mul(real.interval_ns));
                Some(real.value_ns)
            }
        }
    };
    signal::send_to_process(process, signal::SIGALRM, KSigInfo::kernel());
    next
}
