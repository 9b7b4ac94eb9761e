//! Job control and the parent's view of its children (Linux's do_signal_stop, the SIGCONT part of
//! prepare_signal, do_notify_parent and do_notify_parent_cldstop): a process stops on a stop
//! signal's default action until SIGCONT or SIGKILL; its parent learns of the stop, the
//! continuation and the exit by SIGCHLD (si_pid, si_status, si_code) and through wait4.

use core::sync::atomic::Ordering;

use abi::signal::{CLD_CONTINUED, CLD_EXITED, CLD_KILLED, CLD_STOPPED};

use super::{KSigInfo, SIGCHLD, SIGCONT, STOP_MASK, send::send_to_process};
use crate::{
    process::{self, ExitStatus, Process},
    sched,
    sync::IrqOff,
    thread::{Thread, ThreadState},
};

/// A change wait4 has yet to report (WUNTRACED, WCONTINUED).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobReport {
    Stopped(u8),
    Continued,
}

/// Whether a process is stopped, and what its parent has not been told through wait4 yet.
#[derive(Clone, Copy, Debug, Default)]
pub struct JobState {
    pub stopped: bool,
    pub report: Option<JobReport>,
}

/// Tells the parent of `child` that it stopped or continued: SIGCHLD unless the parent set
/// SA_NOCLDSTOP, and a wake-up for its wait4.
fn notify_parent_cldstop(child: &Process, code: i32, sig: u8) {
    let Some(parent) = process::find(child.ppid.load(Ordering::Relaxed)) else {
        return;
    };
    if parent.actions().wants_cldstop() {
        let info = KSigInfo {
            code,
            pid: child.pid as i32,
            status: sig as i32,
            ..Default::default()
        };
        // The signal the child asked for when it was made (clone's exit signal; none if 0).
        let sig = child.exit_signal.load(Ordering::Relaxed);
        if sig != 0 {
            send_to_process(&parent, sig, info);
        }
    }
    parent.child_wait.wake_all();
}

/// Tells the parent that `child` ended with `status` (Linux's do_notify_parent): SIGCHLD with
/// CLD_EXITED or CLD_KILLED, unless the parent ignores it. Returns true if the parent does not
/// want zombies (SIGCHLD ignored, or SA_NOCLDWAIT): the child is to be reaped at once.
pub fn notify_parent_exit(child: &Process, status: ExitStatus) -> bool {
    let Some(parent) = process::find(child.ppid.load(Ordering::Relaxed)) else {
        return false;
    };
    let (code, value) = match status {
        ExitStatus::Exited(code) => (CLD_EXITED, code),
        ExitStatus::Signaled(sig) => (CLD_KILLED, sig),
    };
    let info = KSigInfo {
        code,
        pid: child.pid as i32,
        status: value as i32,
        ..Default::default()
    };
    send_to_process(&parent, SIGCHLD, info);
    let autoreap = parent.actions().no_zombies();
    parent.child_wait.wake_all();
    autoreap
}

/// The default action of a stop signal: the process stops, its parent is told, and the thread
/// sleeps until SIGCONT or a fatal signal.
pub fn do_signal_stop(me: &Thread, sig: u8) {
    {
        let mut job = me.process.job.lock();
        job.stopped = true;
        job.report = Some(JobReport::Stopped(sig));
    }
    notify_parent_cldstop(&me.process, CLD_STOPPED, sig);
    loop {
        let irq = IrqOff::new();
        let fatal = me.pending.contains(super::SIGKILL)
            || me.process.shared_pending.contains(super::SIGKILL);
        if !me.process.job.lock().stopped || fatal {
            return;
        }
        *me.state.lock() = ThreadState::Blocked;
        sched::schedule();
        drop(irq);
    }
}

/// SIGCONT was sent to `process`: pending stop signals are cancelled and, if it is stopped, it
/// continues and its parent is told.
pub fn do_continue(process: &Process) {
    process.shared_pending.remove_mask(STOP_MASK);
    for thread in process.threads.lock().iter() {
        thread.pending.remove_mask(STOP_MASK);
    }
    let was_stopped = {
        let mut job = process.job.lock();
        let was = job.stopped;
        if was {
            job.stopped = false;
            job.report = Some(JobReport::Continued);
        }
        was
    };
    if was_stopped {
        notify_parent_cldstop(process, CLD_CONTINUED, SIGCONT);
        for thread in process.threads.lock().iter() {
            sched::wake(thread);
        }
    }
}
