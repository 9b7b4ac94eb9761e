//! Sending signals (Linux's send_signal_locked, complete_signal, force_sig_info_to_task,
//! kill_pgrp): record the signal in the right pending set, apply what SIGCONT and the stop signals
//! do at once, drop what the target ignores, and wake a thread that can take it.
//!
//! Other parts of the kernel call these: pipes [`send_sig`] SIGPIPE to the writer, exit tells the
//! parent through [`super::job`], faults [`force_sig_fault`].

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use abi::signal::{SI_USER, SIG_DFL, SIG_IGN};

use super::{KSigInfo, SIGCONT, SIGKILL, STOP_MASK, job, sigmask};
use crate::{
    process::{self, Process},
    sched,
    syscall::errno::*,
    thread::{self, Thread},
};

/// What every send does before queueing (Linux's prepare_signal): SIGCONT resumes a stopped
/// process and cancels pending stop signals, a stop signal cancels a pending SIGCONT. Returns
/// false if the signal is to be dropped because the target ignores it and does not block it
/// (`mask` is the blocked mask of the thread that would take it).
fn prepare_signal(process: &Process, sig: u8, mask: u64) -> bool {
    if sig == SIGCONT {
        job::do_continue(process);
    } else if sigmask(sig) & STOP_MASK != 0 {
        flush_from_process(process, sigmask(SIGCONT));
    }
    if sig == SIGKILL {
        return true;
    }
    mask & sigmask(sig) != 0 || !process.actions().ignores(sig)
}

/// Forgets the signals of `mask` pending for `process` or any of its threads.
fn flush_from_process(process: &Process, mask: u64) {
    process.shared_pending.remove_mask(mask);
    for thread in process.threads.lock().iter() {
        thread.pending.remove_mask(mask);
    }
}

/// Drops pending instances of `sig` everywhere in the process (an action that ignores it was set).
pub fn flush_signal(process: &Process, sig: u8) {
    flush_from_process(process, sigmask(sig));
}

/// The mask of the thread a process-directed signal would go to (its main thread).
fn process_mask(process: &Process) -> u64 {
    process
        .main_thread()
        .map_or(0, |t| t.sigmask.get() | t.real_blocked.get())
}

/// Wakes `thread` if it can take `sig` now (Linux's signal_wake_up): a blocking call then returns
/// EINTR or restarts after the signal is handled.
fn wake_for(thread: &Arc<Thread>, sig: u8) {
    if sig == SIGKILL || thread.sigmask.get() & sigmask(sig) == 0 {
        sched::wake(thread);
    }
}

/// How many signals may wait in one pending set of `process`: its RLIMIT_SIGPENDING (Linux
/// counts per user). Past it a real-time signal from kill is not queued again (its information
/// is lost, the signal stays pending), and one from sigqueue is EAGAIN, as in Linux's
/// __send_signal_locked.
fn queue_limit(process: &Process) -> usize {
    let limit = process.rlimits.lock().cur(abi::resource::RLIMIT_SIGPENDING);
    usize::try_from(limit).unwrap_or(usize::MAX)
}

/// A signal is pending: signalfd readers of `process` (and poll and epoll) look again (Linux's
/// signalfd_notify).
fn signalfd_notify(process: &Process) {
    process.signalfd_wait.wake_all();
    crate::fs::file::poll_wake();
}

/// Sends `sig` to a whole process (kill): any of its threads that does not block it takes it.
/// False if a real-time signal could not be queued once more (see [`SigPending::add`]).
///
/// [`SigPending::add`]: super::SigPending::add
pub fn send_to_process(process: &Process, sig: u8, info: KSigInfo) -> bool {
    if !prepare_signal(process, sig, process_mask(process)) {
        return true;
    }
    let queued = process.shared_pending.add(sig, info, queue_limit(process));
    for thread in process.threads.lock().iter() {
        wake_for(thread, sig);
    }
    signalfd_notify(process);
    queued
}

/// Sends `sig` to one thread (tkill, tgkill, SIGPIPE); false as for [`send_to_process`].
pub fn send_to_thread(thread: &Arc<Thread>, sig: u8, info: KSigInfo) -> bool {
    let mask = thread.sigmask.get() | thread.real_blocked.get();
    if !prepare_signal(&thread.process, sig, mask) {
        return true;
    }
    let queued = thread.pending.add(sig, info, queue_limit(&thread.process));
    wake_for(thread, sig);
    signalfd_notify(&thread.process);
    queued
}

/// Sends a POSIX timer's signal to `process`, or to `thread` of it (Linux's send_sigqueue): true
/// if it is now pending with `info`. False if the target ignores it, or if it is a standard
/// signal already pending from someone else (Linux's legacy_queue): the timer sends again at its
/// next expiry. A standard signal still pending from an earlier setting of the same timer takes
/// the new information. Timer signals are not counted against RLIMIT_SIGPENDING (Linux
/// preallocates them with the timer).
pub fn send_sigqueue(
    process: &Process,
    thread: Option<&Arc<Thread>>,
    sig: u8,
    info: KSigInfo,
) -> bool {
    let mask = match thread {
        Some(t) => t.sigmask.get() | t.real_blocked.get(),
        None => process_mask(process),
    };
    if !prepare_signal(process, sig, mask) {
        return false;
    }
    let pending = thread.map_or(&process.shared_pending, |t| &t.pending);
    if !pending.add_timer(sig, info) {
        return false;
    }
    match thread {
        Some(t) => wake_for(t, sig),
        None => {
            for t in process.threads.lock().iter() {
                wake_for(t, sig);
            }
        }
    }
    signalfd_notify(process);
    true
}

/// Sends `sig` to the current thread as if it had sent it to itself (Linux's
/// `send_sig(sig, current, 0)`, which pipe_write uses for SIGPIPE): si_code SI_USER, si_pid the
/// caller's pid.
pub fn send_sig(sig: u8) {
    if let Some(me) = thread::current() {
        let info = KSigInfo::user(SI_USER, me.process.pid);
        send_to_thread(&me, sig, info);
    }
}

/// Sends the current thread a signal it caused itself (Linux's force_sig_info_to_task): if it
/// blocks or ignores the signal, the action goes back to the default and the signal is unblocked,
/// so a fault the program cannot handle ends it. Returns whether the signal will end the process
/// (no handler). The thread is running, so there is nobody to wake.
pub fn force_sig_info(me: &Thread, sig: u8, info: KSigInfo) -> bool {
    let actions = me.process.actions();
    let blocked = me.sigmask.get() & sigmask(sig) != 0;
    if blocked || actions.get(sig).sa_handler == SIG_IGN {
        actions.reset(sig);
        me.sigmask.set(me.sigmask.get() & !sigmask(sig));
    }
    me.pending.add(sig, info, usize::MAX);
    sig == SIGKILL || actions.get(sig).sa_handler == SIG_DFL
}

/// [`force_sig_info`] for a signal without information (SI_KERNEL).
pub fn force_sig(me: &Thread, sig: u8) {
    force_sig_info(me, sig, KSigInfo::kernel());
}

/// A fault of the current thread's at `addr` with si_code `code` (SEGV_MAPERR...): see [`force_sig_info`].
pub fn force_sig_fault(me: &Thread, sig: u8, code: i32, addr: u64) -> bool {
    let info = KSigInfo {
        code,
        addr,
        ..Default::default()
    };
    force_sig_info(me, sig, info)
}

/// Sends `sig` to every process of group `pgid` (Linux's __kill_pgrp_info); ESRCH if there is none.
/// Signal 0 only checks.
pub fn kill_pgrp(pgid: u32, sig: u8, info: KSigInfo) -> Result<(), Errno> {
    let mut found = false;
    for target in process::all() {
        if target.pgid.load(Ordering::Relaxed) == pgid {
            found = true;
            if sig != 0 {
                send_to_process(&target, sig, info);
            }
        }
    }
    if found { Ok(()) } else { Err(ESRCH) }
}
