//! Signal system calls (Linux's kernel/signal.c and arch/x86/kernel/signal_64.c): actions, masks,
//! the alternate stack, waiting for signals, returning from handlers, and sending. The work is in
//! [`crate::signal`].

use abi::{
    signal::{
        SI_TKILL, SI_USER, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, sigaction, sigset_t, stack_t,
    },
    time::timespec,
};
use core::sync::atomic::Ordering;

use super::{SysResult, errno::*};
use crate::{
    arch::{syscall::PtRegs, uaccess},
    process,
    signal::{
        self, ERESTARTNOHAND, KSigInfo, SIGKILL, SIGSTOP, UNBLOCKABLE, altstack, frame,
        valid_signal,
    },
    thread::{self, Thread},
};

/// The size of the kernel's sigset_t, which the calls that take one check.
const SIGSET_SIZE: u64 = size_of::<sigset_t>() as u64;

fn current() -> Result<alloc::sync::Arc<Thread>, Errno> {
    thread::current().ok_or(EINVAL)
}

/// rt_sigaction(sig, act, oact, sigsetsize). SIGKILL and SIGSTOP keep their default action
/// (EINVAL); an action that ignores a signal drops its pending instances.
pub fn sys_rt_sigaction(sig: u64, act: u64, oact: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    // As Linux: the new action is read (EFAULT) before the signal number is checked (EINVAL).
    let new = if act != 0 {
        Some(uaccess::read_user::<sigaction>(act)?)
    } else {
        None
    };
    let sig = valid_signal(sig).ok_or(EINVAL)?;
    if new.is_some() && (sig == SIGKILL || sig == SIGSTOP) {
        return Err(EINVAL);
    }
    let me = current()?;
    let actions = me.process.actions();
    let mut old = match new {
        Some(new) => {
            let old = actions.set(sig, new);
            if actions.ignores(sig) {
                signal::send::flush_signal(&me.process, sig);
            }
            old
        }
        None => actions.get(sig),
    };
    old.sa_flags &= signal::action::KNOWN_FLAGS;
    if oact != 0 {
        uaccess::write_user(oact, &old)?;
    }
    Ok(0)
}

/// rt_sigprocmask(how, set, oldset, sigsetsize): changes the calling thread's blocked mask.
/// SIGKILL and SIGSTOP cannot be blocked; a signal it unblocks is delivered on the way out.
pub fn sys_rt_sigprocmask(how: u64, set: u64, oldset: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let me = current()?;
    let old = me.sigmask.get();
    if set != 0 {
        let new: sigset_t = uaccess::read_user(set)?;
        let mask = match how {
            SIG_BLOCK => old | new,
            SIG_UNBLOCK => old & !new,
            SIG_SETMASK => new,
            _ => return Err(EINVAL),
        };
        me.sigmask.set(mask & !UNBLOCKABLE);
    }
    if oldset != 0 {
        uaccess::write_user(oldset, &old)?;
    }
    Ok(0)
}

/// rt_sigpending(set, sigsetsize): the signals pending for the thread or its process that it
/// blocks. Linux accepts any size up to 8 and copies that many bytes.
pub fn sys_rt_sigpending(set: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize > SIGSET_SIZE {
        return Err(EINVAL);
    }
    let me = current()?;
    let pending = (me.pending.get() | me.process.shared_pending.get()) & me.sigmask.get();
    uaccess::copy_to_user(set, &pending.to_le_bytes()[..sigsetsize as usize])?;
    Ok(0)
}

/// rt_sigsuspend(mask, sigsetsize): waits for a signal with `mask` blocked meanwhile; the old
/// mask comes back once the handler returns. Always "fails" with EINTR.
pub fn sys_rt_sigsuspend(mask: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let new: sigset_t = uaccess::read_user(mask)?;
    let me = current()?;
    me.saved_sigmask.save(me.sigmask.get());
    me.sigmask.set(new & !UNBLOCKABLE);
    signal::sleep_until_signal(&me, None);
    signal::set_restart(ERESTARTNOHAND);
    Err(EINTR)
}

/// pause(): waits for a signal. Fails with EINTR once a handler ran; restarts if none did.
pub fn sys_pause() -> SysResult {
    let me = current()?;
    signal::sleep_until_signal(&me, None);
    signal::set_restart(ERESTARTNOHAND);
    Err(EINTR)
}

/// The jiffy at which a rt_sigtimedwait timeout expires (rounded up), or EINVAL for a bad one.
fn deadline_after(ts: &timespec) -> Result<u64, Errno> {
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(EINVAL);
    }
    let hz = crate::time::HZ as u64;
    let ns = (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64);
    let ticks = ns.saturating_mul(hz).div_ceil(1_000_000_000);
    Ok(crate::time::jiffies().saturating_add(ticks))
}

/// rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal of `set` without
/// running its handler, waiting for one (at most `timeout`): EAGAIN on timeout, EINTR if another
/// signal must be handled first. While it waits, the signals of `set` are unblocked so that they
/// wake it (Linux's real_blocked).
pub fn sys_rt_sigtimedwait(set: u64, info: u64, timeout: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let these: sigset_t = uaccess::read_user::<sigset_t>(set)? & !UNBLOCKABLE;
    let (deadline, poll) = if timeout != 0 {
        let ts = uaccess::read_user::<timespec>(timeout)?;
        let zero = ts.tv_sec == 0 && ts.tv_nsec == 0;
        (Some(deadline_after(&ts)?), zero)
    } else {
        (None, false)
    };
    let me = current()?;
    let mut got = signal::dequeue_mask(&me, these);
    if got.is_none() && !poll {
        let blocked = me.sigmask.get();
        me.real_blocked.set(blocked);
        me.sigmask.set(blocked & !these);
        signal::sleep_until_signal(&me, deadline);
        me.sigmask.set(blocked);
        me.real_blocked.set(0);
        got = signal::dequeue_mask(&me, these);
    }
    let Some((sig, kinfo)) = got else {
        let timed_out = poll || deadline.is_some_and(|d| crate::time::jiffies() >= d);
        return Err(if timed_out { EAGAIN } else { EINTR });
    };
    if info != 0 {
        uaccess::write_user(info, &kinfo.to_user(sig))?;
    }
    Ok(sig as u64)
}

/// sigaltstack(ss, old_ss): sets and reports the calling thread's alternate signal stack.
pub fn sys_sigaltstack(regs: &PtRegs, ss: u64, old_ss: u64) -> SysResult {
    let new = if ss != 0 {
        Some(uaccess::read_user::<stack_t>(ss)?)
    } else {
        None
    };
    let me = current()?;
    let old = altstack::do_sigaltstack(&me, new, regs.rsp)?;
    if old_ss != 0 {
        uaccess::write_user(old_ss, &old)?;
    }
    Ok(0)
}

/// rt_sigreturn(): back from a handler to where the signal interrupted the program, with the
/// registers, mask and FPU state of the frame (which the handler may have changed). A bad frame
/// is SIGSEGV. Returns the restored rax, so that the syscall layer leaves it as it is.
pub fn sys_rt_sigreturn(regs: &mut PtRegs) -> SysResult {
    let me = current()?;
    if frame::restore_sigframe(&me, regs).is_err() {
        signal::send::force_sig_info(&me, signal::SIGSEGV, KSigInfo::kernel());
    }
    Ok(regs.rax)
}

/// The signal argument of the calls that send one: 0 (only check the target) or a valid signal;
/// EINVAL otherwise.
fn signal_arg(sig: u64) -> Result<u8, Errno> {
    match sig as i32 {
        0 => Ok(0),
        _ => valid_signal(sig).ok_or(EINVAL),
    }
}

/// kill(pid, sig): sends `sig` to a process (pid > 0), to every process of the caller's group
/// (0) or of group -pid (< -1), or to every process but init and the caller (-1). Signal 0 only
/// checks that the target exists. Everyone may signal everyone here: there are no users yet, as
/// for root on Linux. A zombie still exists until reaped: signalling it succeeds and does nothing.
pub fn sys_kill(pid: u64, sig: u64) -> SysResult {
    let pid = pid as i32;
    let sig = signal_arg(sig)?;
    let me = thread::current_process().ok_or(ESRCH)?;
    let info = KSigInfo::user(SI_USER, me.pid);
    match pid {
        p if p > 0 => {
            let target = process::find(p as u32).ok_or(ESRCH)?;
            if sig != 0 {
                signal::send_to_process(&target, sig, info);
            }
        }
        i32::MIN => return Err(ESRCH),
        -1 => {
            let targets: alloc::vec::Vec<_> = process::all()
                .into_iter()
                .filter(|p| p.pid != 1 && p.pid != me.pid)
                .collect();
            if targets.is_empty() {
                return Err(ESRCH);
            }
            if sig != 0 {
                for target in &targets {
                    signal::send_to_process(target, sig, info);
                }
            }
        }
        0 => signal::kill_pgrp(me.pgid.load(Ordering::Relaxed), sig, info)?,
        p => signal::kill_pgrp(p.unsigned_abs(), sig, info)?,
    }
    Ok(0)
}

/// Sends `sig` to thread `tid`, of process `tgid` if that is given (tkill, tgkill).
fn do_tkill(tgid: Option<i32>, tid: i32, sig: u64) -> SysResult {
    let sig = signal_arg(sig)?;
    if tid <= 0 || tgid.is_some_and(|t| t <= 0) {
        return Err(EINVAL);
    }
    let me = thread::current_process().ok_or(ESRCH)?;
    let matches_tgid = |pid: u32| tgid.is_none_or(|t| t as u32 == pid);
    match thread::find(tid as u32) {
        Some(target) if matches_tgid(target.process.pid) => {
            if sig != 0 {
                signal::send_to_thread(&target, sig, KSigInfo::user(SI_TKILL, me.pid));
            }
            Ok(0)
        }
        // A zombie's main thread still exists for Linux until it is reaped.
        None if process::find(tid as u32).is_some() && matches_tgid(tid as u32) => Ok(0),
        _ => Err(ESRCH),
    }
}

/// What rt_sigqueueinfo and rt_tgsigqueueinfo read from the user's siginfo: its code and the
/// first 16 bytes of its union (si_pid, si_uid, si_value, the layout of SI_QUEUE; si_tid,
/// si_overrun, si_value for SI_TIMER). EFAULT if it cannot be read. Linux's rule
/// (do_rt_sigqueueinfo): a process may not pose as the kernel (si_code >= 0) or as tkill
/// (SI_TKILL) towards anyone but itself (the calling thread's id).
fn queued_info(uinfo: u64, target: i32) -> Result<KSigInfo, Errno> {
    let raw: [u64; 16] = uaccess::read_user(uinfo)?;
    let code = (raw[1] & 0xffff_ffff) as u32 as i32;
    let me = thread::current().ok_or(ESRCH)?;
    if (code >= 0 || code == abi::signal::SI_TKILL) && me.tid() as i32 != target {
        return Err(EPERM);
    }
    let (first, second) = ((raw[2] & 0xffff_ffff) as u32, (raw[2] >> 32) as u32);
    Ok(KSigInfo {
        code,
        pid: first as i32,
        uid: second,
        value: raw[3],
        // A process may pose as a timer: the same bytes, read as the timer's fields.
        timer_id: first as i32,
        overrun: second as i32,
        ..Default::default()
    })
}

/// rt_sigqueueinfo(pid, sig, info): sends `sig` with the caller's siginfo to process `pid`
/// (sigqueue). A real-time signal is queued once more each time, EAGAIN past RLIMIT_SIGPENDING.
pub fn sys_rt_sigqueueinfo(pid: u64, sig: u64, uinfo: u64) -> SysResult {
    let pid = pid as i32;
    let info = queued_info(uinfo, pid)?;
    let sig = signal_arg(sig)?;
    let target = u32::try_from(pid)
        .ok()
        .and_then(process::find)
        .ok_or(ESRCH)?;
    if sig != 0 && !signal::send_to_process(&target, sig, info) {
        return Err(EAGAIN);
    }
    Ok(0)
}

/// rt_tgsigqueueinfo(tgid, tid, sig, info): the same for thread `tid` of process `tgid`.
pub fn sys_rt_tgsigqueueinfo(tgid: u64, tid: u64, sig: u64, uinfo: u64) -> SysResult {
    let (tgid, tid) = (tgid as i32, tid as i32);
    if tgid <= 0 || tid <= 0 {
        return Err(EINVAL);
    }
    let info = queued_info(uinfo, tid)?;
    let sig = signal_arg(sig)?;
    let target = thread::find(tid as u32)
        .filter(|t| t.process.pid == tgid as u32)
        .ok_or(ESRCH)?;
    if sig != 0 && !signal::send_to_thread(&target, sig, info) {
        return Err(EAGAIN);
    }
    Ok(0)
}

/// tkill(tid, sig).
pub fn sys_tkill(tid: u64, sig: u64) -> SysResult {
    do_tkill(None, tid as i32, sig)
}

/// tgkill(tgid, tid, sig).
pub fn sys_tgkill(tgid: u64, tid: u64, sig: u64) -> SysResult {
    do_tkill(Some(tgid as i32), tid as i32, sig)
}

/// signalfd4(fd, mask, sizemask, flags): a new signalfd for the signals of `mask` (fd -1), or a
/// new mask for an existing one (EBADF, or EINVAL for another kind of file). As Linux: EINVAL
/// unless `sizemask` is 8, then EFAULT for a mask that cannot be read, then EINVAL for another
/// flag than SFD_CLOEXEC and SFD_NONBLOCK.
pub fn sys_signalfd4(fd: u64, mask: u64, sizemask: u64, flags: u64) -> SysResult {
    use crate::fs::{file::FileKind, signalfd::SignalFd};
    use abi::fcntl::{O_CLOEXEC, O_NONBLOCK};
    if sizemask != 8 {
        return Err(EINVAL);
    }
    let mask: u64 = uaccess::read_user(mask)?;
    let flags = flags as u32 as u64;
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    if fd as i32 == -1 {
        return super::read_write::install_anon(FileKind::SignalFd(SignalFd::new(mask)), flags);
    }
    let file = super::read_write::fget(fd)?;
    match &file.kind {
        FileKind::SignalFd(sfd) => {
            sfd.set_mask(mask);
            if let Some(me) = thread::current_process() {
                me.signalfd_wait.wake_all();
            }
            Ok(fd as u32 as u64)
        }
        _ => Err(EINVAL),
    }
}

/// signalfd(fd, mask, sizemask): signalfd4 without flags.
pub fn sys_signalfd(fd: u64, mask: u64, sizemask: u64) -> SysResult {
    sys_signalfd4(fd, mask, sizemask, 0)
}
