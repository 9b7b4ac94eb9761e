//! timerfd (Linux's fs/timerfd.c): a timer behind a descriptor. Armed with timerfd_settime, it
//! counts its expirations; a read returns that count as 8 bytes and resets it, waiting while it
//! is zero (EAGAIN when non-blocking), and poll and epoll see the descriptor readable while it is
//! not. Deadlines are kept on the monotonic clock (an absolute CLOCK_REALTIME time is converted
//! when it is set) and fire from the timer list ([`crate::timer`]), at tick resolution.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::{
    sched::WaitQueue,
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
    timer::{self, Target},
};

/// What the timer is set to.
#[derive(Clone, Copy, Default)]
struct Setting {
    /// The next expiry on the monotonic clock, if armed.
    deadline_ns: Option<u64>,
    /// The period after that, 0 for a one-shot timer.
    interval_ns: u64,
    /// Expirations not yet read.
    ticks: u64,
}

pub struct TimerFd {
    /// The clock it was made for (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME...).
    pub clock: u32,
    setting: IrqMutex<Setting>,
    wait: WaitQueue,
    /// Expirations so far, for edge-triggered epoll.
    wakes: AtomicU64,
}

impl TimerFd {
    pub fn new(clock: u32) -> Option<Arc<TimerFd>> {
        Arc::try_new(TimerFd {
            clock,
            setting: IrqMutex::new(Setting::default()),
            wait: WaitQueue::new(),
            wakes: AtomicU64::new(0),
        })
        .ok()
    }

    /// Arms the timer to fire at `deadline_ns` (monotonic; None disarms), then every
    /// `interval_ns`; forgets the expirations not read. Returns the old setting as (time left,
    /// interval) in ns.
    pub fn set(
        self: &Arc<Self>,
        deadline_ns: Option<u64>,
        interval_ns: u64,
    ) -> Result<(u64, u64), Errno> {
        let target = Target::TimerFd(Arc::downgrade(self));
        let old = self.get();
        timer::cancel(&target);
        *self.setting.lock() = Setting {
            deadline_ns,
            interval_ns,
            ticks: 0,
        };
        if let Some(deadline) = deadline_ns {
            timer::arm(target, deadline)?;
        }
        Ok(old)
    }

    /// The time left to the next expiry (0 if disarmed) and the interval, in ns.
    pub fn get(&self) -> (u64, u64) {
        let setting = *self.setting.lock();
        let left = setting
            .deadline_ns
            .map_or(0, |d| d.saturating_sub(crate::time::now_ns()).max(1));
        (left, setting.interval_ns)
    }

    /// The timer list's call at the deadline (interrupts off): counts the expiration and those
    /// of the intervals already passed too (Linux's hrtimer_forward), wakes the readers, and
    /// returns the next deadline if periodic.
    pub fn expired(&self, now_ns: u64) -> Option<u64> {
        let next = {
            let mut setting = self.setting.lock();
            let deadline = setting.deadline_ns?;
            let mut ticks = 1;
            let interval = setting.interval_ns;
            let next = now_ns
                .saturating_sub(deadline)
                .checked_div(interval)
                .map(|missed| {
                    ticks += missed;
                    deadline.saturating_add((missed + 1).saturating_mul(interval))
                });
            setting.ticks = setting.ticks.saturating_add(ticks);
            setting.deadline_ns = next;
            next
        };
        self.wakes.fetch_add(1, Ordering::Relaxed);
        self.wait.wake_all();
        super::file::poll_wake();
        next
    }

    /// Linux's timerfd_read: the expirations as 8 bytes (EINVAL for a shorter buffer), waiting
    /// for one unless `nonblock` (EAGAIN).
    pub fn read(&self, dst: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if dst.len() < 8 {
            return Err(EINVAL);
        }
        loop {
            let irq = IrqOff::new();
            let mut setting = self.setting.lock();
            if setting.ticks > 0 {
                let ticks = core::mem::take(&mut setting.ticks);
                dst[..8].copy_from_slice(&ticks.to_ne_bytes());
                return Ok(8);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            drop(setting);
            self.wait.sleep(irq)?;
        }
    }

    /// Readable while expirations wait to be read.
    pub fn poll(&self) -> u16 {
        use abi::poll::{POLLIN, POLLRDNORM};
        if self.setting.lock().ticks > 0 {
            (POLLIN | POLLRDNORM) as u16
        } else {
            0
        }
    }

    pub fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::Relaxed)
    }
}
