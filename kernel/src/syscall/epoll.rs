//! The epoll calls (Linux's fs/eventpoll.c system calls): epoll_create, epoll_create1, epoll_ctl,
//! epoll_wait, epoll_pwait and epoll_pwait2, with Linux's argument checks in Linux's order. The
//! instance itself is [`crate::fs::eventpoll`]; waiting is poll's loop ([`super::poll`]).
//!
//! A signal ends epoll_wait with EINTR, never a restart, whatever SA_RESTART says (as Linux).

use abi::epoll::{EP_MAX_EVENTS, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_MOD, epoll_event};
use alloc::vec::Vec;

use super::{
    SysResult,
    errno::*,
    poll::{Deadline, TempSigmask, read_timespec, wait_ready},
    read_write::{fget, install_anon},
};
use crate::{
    arch::uaccess,
    fs::{eventpoll::EventPoll, file::FileKind},
    signal, thread, time,
};

/// epoll_create(size): the size is a hint Linux ignores, but it must be positive.
pub fn sys_epoll_create(size: u64) -> SysResult {
    if size as i32 <= 0 {
        return Err(EINVAL);
    }
    sys_epoll_create1(0)
}

/// epoll_create1(flags): a new instance on the lowest free descriptor; EPOLL_CLOEXEC is the only
/// flag.
pub fn sys_epoll_create1(flags: u64) -> SysResult {
    let flags = flags as u32 as u64;
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(EINVAL);
    }
    // EPOLL_CLOEXEC is O_CLOEXEC.
    install_anon(FileKind::Epoll(EventPoll::new()), flags)
}

/// epoll_ctl(epfd, op, fd, event): the event is read first for ADD and MOD (EFAULT), then both
/// descriptors are looked up (EBADF), then the instance decides (see EventPoll::ctl).
pub fn sys_epoll_ctl(epfd: u64, op: u64, fd: u64, event: u64) -> SysResult {
    let op = op as u32 as u64;
    let event = if op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD {
        uaccess::read_user::<epoll_event>(event)?
    } else {
        epoll_event::default()
    };
    let ep_file = fget(epfd)?;
    let target = fget(fd)?;
    let FileKind::Epoll(ep) = &ep_file.kind else {
        return Err(EINVAL);
    };
    ep.ctl(&ep_file, op, fd as i32, &target, event)?;
    Ok(0)
}

/// epoll_wait(epfd, events, maxevents, timeout_ms): a negative timeout waits for ever.
pub fn sys_epoll_wait(epfd: u64, events: u64, maxevents: u64, timeout_ms: u64) -> SysResult {
    do_epoll_wait(epfd, events, maxevents, ms_deadline(timeout_ms))
}

/// epoll_pwait: epoll_wait with the signal mask replaced for the call.
pub fn sys_epoll_pwait(
    epfd: u64,
    events: u64,
    maxevents: u64,
    timeout_ms: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> SysResult {
    let mask = TempSigmask::apply(sigmask, sigsetsize)?;
    let result = do_epoll_wait(epfd, events, maxevents, ms_deadline(timeout_ms));
    mask.finish(&result);
    result
}

/// epoll_pwait2: epoll_pwait with a timespec timeout (a null pointer waits for ever).
pub fn sys_epoll_pwait2(
    epfd: u64,
    events: u64,
    maxevents: u64,
    timeout: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> SysResult {
    let (deadline, _) = read_timespec(timeout)?;
    let mask = TempSigmask::apply(sigmask, sigsetsize)?;
    let result = do_epoll_wait(epfd, events, maxevents, deadline);
    mask.finish(&result);
    result
}

/// The deadline of a timeout in milliseconds (an int: negative waits for ever).
fn ms_deadline(timeout_ms: u64) -> Deadline {
    let ms = timeout_ms as i32;
    (ms >= 0).then(|| time::now_ns().saturating_add(ms as u64 * 1_000_000))
}

/// Linux's do_epoll_wait: EINVAL for maxevents out of range, EFAULT for a buffer outside user
/// space, EBADF/EINVAL for the descriptor; then waits until some item is ready or the deadline
/// passes, and copies the events out.
fn do_epoll_wait(epfd: u64, events: u64, maxevents: u64, deadline: Deadline) -> SysResult {
    let max = maxevents as i32;
    if max <= 0 || max as u64 > EP_MAX_EVENTS {
        return Err(EINVAL);
    }
    let max = max as usize;
    uaccess::check_range(events, max * size_of::<epoll_event>()).map_err(|_| EFAULT)?;
    // EBADF if `epfd` is not open, EINVAL if it is not an epoll instance.
    let file = fget(epfd)?;
    let FileKind::Epoll(ep) = &file.kind else {
        return Err(EINVAL);
    };
    let mut out: Vec<epoll_event> = Vec::new();
    out.try_reserve_exact(max.min(ep.len()).max(1))
        .map_err(|_| ENOMEM)?;
    let ready = wait_ready(deadline, || Ok(ep.collect(&mut out, max)));
    if ready == Err(EINTR)
        && let Some(me) = thread::current()
    {
        // Never restarted, whatever SA_RESTART says: the sleep's ERESTARTSYS is dropped.
        signal::take_restart(&me);
    }
    let ready = ready?;
    for (i, event) in out.iter().enumerate().take(ready as usize) {
        uaccess::write_user(events + (i * size_of::<epoll_event>()) as u64, event)?;
    }
    Ok(ready)
}
