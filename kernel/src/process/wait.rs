//! wait4 (Linux's kernel/exit.c do_wait): wait for a child to end, collect its status, and reap it;
//! with WUNTRACED and WCONTINUED, also hear of a child that stopped or continued.

use super::{ExitStatus, Pid, Process, ProcessState};
use crate::{arch::uaccess, signal::job::JobReport, sync::IrqOff, syscall::errno::*, thread};
use abi::wait::{__WALL, __WCLONE, __WNOTHREAD, WCONTINUED, WNOHANG, WUNTRACED};

/// wait4(pid, wstatus, options, rusage): waits for a child to end and reaps it. `pid` > 0 waits
/// for that child, -1 for any, 0 for any in the caller's process group, < -1 for any in group -pid.
pub fn wait4(pid: i64, wstatus: u64, options: u64, rusage: u64) -> Result<u64, Errno> {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE) != 0 {
        return Err(EINVAL);
    }
    // The argument is a pid_t: Linux sees only its low 32 bits, and refuses INT_MIN (whose
    // negation is not a process group).
    let pid = pid as i32 as i64;
    if pid == i32::MIN as i64 {
        return Err(ESRCH);
    }
    let me = thread::current().ok_or(ECHILD)?;
    let process = &me.process;
    let my_pgid = process.pgid.load(core::sync::atomic::Ordering::Relaxed);
    let wanted = |c: &Process| match pid {
        -1 => true,
        0 => c.pgid.load(core::sync::atomic::Ordering::Relaxed) == my_pgid,
        p if p < -1 => c.pgid.load(core::sync::atomic::Ordering::Relaxed) as i64 == -p,
        p => c.pid as i64 == p,
    };
    loop {
        // Interrupts stay off from the check to the sleep, so a child's wake-up cannot be lost.
        let irq = IrqOff::new();
        let (found, event) = {
            let children = process.children.lock();
            let mut found = false;
            let mut event = None;
            for child in children.iter().filter(|c| wanted(c)) {
                found = true;
                if let Some(e) = wait_event(child, options) {
                    event = Some((child.clone(), e));
                    break;
                }
            }
            (found, event)
        };
        if !found {
            return Err(ECHILD);
        }
        if let Some((child, event)) = event {
            drop(irq);
            // A stopped or continued child reports its usage so far (getrusage(RUSAGE_BOTH)).
            let live_usage = || {
                let mut usage = super::rusage::self_usage(&child);
                usage.add(&super::rusage::children_usage(&child));
                usage
            };
            let (status, usage) = match event {
                Event::Exited(status) => {
                    // As Linux's wait_task_zombie: the child is reaped even if the status cannot
                    // be stored.
                    (status.wait_status(), reap(process, &child))
                }
                Event::Stopped(sig) => (abi::wait::w_stopcode(sig as i32), live_usage()),
                Event::Continued => (abi::wait::W_CONTINUED, live_usage()),
            };
            if wstatus != 0 {
                uaccess::write_user(wstatus, &status)?;
            }
            if rusage != 0 {
                uaccess::write_user(rusage, &usage.to_rusage())?;
            }
            return Ok(child.pid as u64);
        }
        if options & WNOHANG != 0 {
            return Ok(0);
        }
        process.child_wait.sleep(irq)?;
    }
}

/// What wait4 reports about a child.
enum Event {
    Exited(ExitStatus),
    Stopped(u8),
    Continued,
}

/// The change of `child` wait4 with `options` reports, taken from it if it is a stop or a
/// continuation (reported once, as Linux's wait_task_stopped and wait_task_continued): an exit
/// always, a stop with WUNTRACED, a continuation with WCONTINUED.
fn wait_event(child: &Process, options: u64) -> Option<Event> {
    if let ProcessState::Zombie(status) = child.state() {
        return Some(Event::Exited(status));
    }
    let mut job = child.job.lock();
    match job.report {
        Some(JobReport::Stopped(sig)) if options & WUNTRACED != 0 && job.stopped => {
            job.report = None;
            Some(Event::Stopped(sig))
        }
        Some(JobReport::Continued) if options & WCONTINUED != 0 => {
            job.report = None;
            Some(Event::Continued)
        }
        _ => None,
    }
}

/// Forgets a zombie child: its process record goes with the last reference. Its resource usage
/// passes to the parent's children's usage; returns it for wait4's rusage.
pub(super) fn reap(parent: &Process, child: &Process) -> super::rusage::Usage {
    let pid: Pid = child.pid;
    parent.children.lock().retain(|c| c.pid != pid);
    super::unlist(pid);
    super::rusage::reap(parent, child)
}
