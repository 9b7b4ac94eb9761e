//! timerfd_create, timerfd_settime and timerfd_gettime (Linux's fs/timerfd.c), with Linux's
//! checks in its order. The timer itself is [`crate::fs::timerfd`].

use abi::{
    fcntl::{O_CLOEXEC, O_NONBLOCK},
    time::{
        CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME,
        CLOCK_REALTIME_ALARM, itimerspec,
    },
};
use alloc::sync::Arc;

use super::{
    SysResult,
    errno::*,
    read_write::{current_files, install_anon},
    time::{setting, timer_deadline, timespec_ns, valid_timespec},
};
use crate::{
    arch::uaccess,
    fs::{file::FileKind, timerfd::TimerFd},
};

pub const TFD_TIMER_ABSTIME: u64 = 1;
pub const TFD_TIMER_CANCEL_ON_SET: u64 = 2;

/// timerfd_create(clockid, flags): a disarmed timer on the lowest free descriptor; EINVAL for
/// another clock than CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME and their _ALARM forms
/// (which wake nothing here: there is no suspend), or another flag than TFD_CLOEXEC and
/// TFD_NONBLOCK.
pub fn sys_timerfd_create(clockid: u64, flags: u64) -> SysResult {
    let (clockid, flags) = (clockid as u32 as u64, flags as u32 as u64);
    let known = [
        CLOCK_REALTIME,
        CLOCK_MONOTONIC,
        CLOCK_BOOTTIME,
        CLOCK_REALTIME_ALARM,
        CLOCK_BOOTTIME_ALARM,
    ];
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 || !known.contains(&clockid) {
        return Err(EINVAL);
    }
    let timer = TimerFd::new(clockid as u32).ok_or(ENOMEM)?;
    install_anon(FileKind::TimerFd(timer), flags)
}

/// The timer behind `fd`: EBADF for no descriptor, EINVAL for another kind of file.
fn timer_of(fd: u64) -> Result<Arc<TimerFd>, Errno> {
    let file = current_files()?.lock().get(fd)?;
    match &file.kind {
        FileKind::TimerFd(timer) => Ok(timer.clone()),
        _ => Err(EINVAL),
    }
}

/// timerfd_settime(fd, flags, new, old): arms (a zero it_value disarms) and forgets unread
/// expirations. With TFD_TIMER_ABSTIME it_value is a time on the timer's clock, else a delay;
/// TFD_TIMER_CANCEL_ON_SET is accepted (the wall clock is never set here, so nothing cancels).
/// EFAULT, then EINVAL for another flag or an invalid time, then EBADF/EINVAL for the
/// descriptor; the old setting goes to `old` if it is not null.
pub fn sys_timerfd_settime(fd: u64, flags: u64, new: u64, old: u64) -> SysResult {
    let flags = flags as u32 as u64;
    let new: itimerspec = uaccess::read_user(new)?;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0
        || !valid_timespec(&new.it_value)
        || !valid_timespec(&new.it_interval)
    {
        return Err(EINVAL);
    }
    let timer = timer_of(fd)?;
    let realtime = matches!(timer.clock as u64, CLOCK_REALTIME | CLOCK_REALTIME_ALARM);
    let deadline = timer_deadline(
        timespec_ns(new.it_value) as u64,
        flags & TFD_TIMER_ABSTIME != 0,
        realtime,
    );
    let (left, interval) = timer.set(deadline, timespec_ns(new.it_interval) as u64)?;
    if old != 0 {
        uaccess::write_user(old, &setting(left, interval))?;
    }
    Ok(0)
}

/// timerfd_gettime(fd, cur): the time left to the next expiry (0 if disarmed) and the interval.
pub fn sys_timerfd_gettime(fd: u64, cur: u64) -> SysResult {
    let (left, interval) = timer_of(fd)?.get();
    uaccess::write_user(cur, &setting(left, interval))?;
    Ok(0)
}
