//! wait4 and waitid (Linux's kernel/exit.c do_wait): wait for a child to end, collect its status,
//! and reap it; on request, also hear of a child that stopped or continued.

use core::sync::atomic::Ordering;

use super::{
    ExitStatus, Pid, Process, ProcessState,
    rusage::{self, Usage},
};
use crate::{arch::uaccess, signal::job::JobReport, sync::IrqOff, syscall::errno::*, thread};
use abi::{
    signal::{CLD_CONTINUED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCONT},
    wait::{
        __WALL, __WCLONE, __WNOTHREAD, P_ALL, P_PGID, P_PID, WCONTINUED, WEXITED, WNOHANG, WNOWAIT,
        WSTOPPED, WUNTRACED,
    },
};

/// Which children a wait is about.
#[derive(Clone, Copy)]
enum Which {
    Any,
    Pid(Pid),
    Pgid(Pid),
}

/// What a wait reports (Linux's WEXITED, WSTOPPED/WUNTRACED, WCONTINUED), and how.
#[derive(Clone, Copy)]
struct WaitOptions {
    exited: bool,
    stopped: bool,
    continued: bool,
    nohang: bool,
    /// Leave the child as it is, to be waited for again (WNOWAIT).
    nowait: bool,
}

/// What a wait found about a child.
#[derive(Clone, Copy)]
enum Event {
    Exited(ExitStatus),
    Stopped(u8),
    Continued,
}

impl Event {
    /// The wait4 status word.
    fn wait_status(self) -> i32 {
        match self {
            Event::Exited(status) => status.wait_status(),
            Event::Stopped(sig) => abi::wait::w_stopcode(sig as i32),
            Event::Continued => abi::wait::W_CONTINUED,
        }
    }

    /// waitid's si_code and si_status.
    fn code_and_status(self) -> (i32, i32) {
        match self {
            Event::Exited(ExitStatus::Exited(code)) => (CLD_EXITED, code as i32),
            Event::Exited(ExitStatus::Signaled(sig)) => (CLD_KILLED, sig as i32),
            Event::Stopped(sig) => (CLD_STOPPED, sig as i32),
            Event::Continued => (CLD_CONTINUED, SIGCONT),
        }
    }
}

/// wait4(pid, wstatus, options, rusage): waits for a child to end and reaps it. `pid` > 0 waits
/// for that child, -1 for any, 0 for any in the caller's process group, < -1 for any in group -pid.
pub fn wait4(pid: i64, wstatus: u64, options: u64, rusage: u64) -> Result<u64, Errno> {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE) != 0 {
        return Err(EINVAL);
    }
    // The argument is a pid_t: Linux sees only its low 32 bits, and refuses INT_MIN (whose
    // negation is not a process group).
    let pid = pid as i32;
    let which = match pid {
        i32::MIN => return Err(ESRCH),
        -1 => Which::Any,
        0 => Which::Pgid(my_pgid()?),
        p if p < 0 => Which::Pgid(p.unsigned_abs()),
        p => Which::Pid(p as Pid),
    };
    let opts = WaitOptions {
        exited: true,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
        nohang: options & WNOHANG != 0,
        nowait: false,
    };
    let Some((pid, event, usage)) = do_wait(which, opts)? else {
        return Ok(0);
    };
    if wstatus != 0 {
        uaccess::write_user(wstatus, &event.wait_status())?;
    }
    if rusage != 0 {
        uaccess::write_user(rusage, &usage.to_rusage())?;
    }
    Ok(pid as u64)
}

/// waitid(idtype, id, infop, options, rusage): as wait4, with the child's state change told as a
/// siginfo (SIGCHLD, CLD_*, si_pid, si_status) and the kinds of change chosen explicitly
/// (WEXITED, WSTOPPED, WCONTINUED); WNOWAIT leaves the child waitable. With WNOHANG and nothing
/// to report, the siginfo is zeroed. P_PGID with id 0 is the caller's group, as since Linux 5.4.
pub fn waitid(idtype: u64, id: u64, infop: u64, options: u64, rusage: u64) -> Result<u64, Errno> {
    let known =
        WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE;
    if options & !known != 0 || options & (WEXITED | WSTOPPED | WCONTINUED) == 0 {
        return Err(EINVAL);
    }
    let id = id as i32;
    let which = match idtype {
        P_ALL => Which::Any,
        P_PID if id > 0 => Which::Pid(id as Pid),
        P_PGID if id == 0 => Which::Pgid(my_pgid()?),
        P_PGID if id > 0 => Which::Pgid(id as Pid),
        _ => return Err(EINVAL),
    };
    let opts = WaitOptions {
        exited: options & WEXITED != 0,
        stopped: options & WSTOPPED != 0,
        continued: options & WCONTINUED != 0,
        nohang: options & WNOHANG != 0,
        nowait: options & WNOWAIT != 0,
    };
    let found = do_wait(which, opts)?;
    if infop != 0 {
        let info = match found {
            Some((pid, event, _)) => {
                let (code, status) = event.code_and_status();
                abi::signal::siginfo::child(code, pid as i32, 0, status, 0, 0)
            }
            None => abi::signal::siginfo::new(0, 0),
        };
        uaccess::write_user(infop, &info)?;
    }
    if rusage != 0 {
        let usage = found.map(|(_, _, usage)| usage).unwrap_or_default();
        uaccess::write_user(rusage, &usage.to_rusage())?;
    }
    Ok(0)
}

/// The caller's process group.
fn my_pgid() -> Result<Pid, Errno> {
    let me = thread::current_process().ok_or(ECHILD)?;
    Ok(me.pgid.load(Ordering::Relaxed))
}

/// Whether child `c` is one `which` names.
fn wanted(which: Which, c: &Process) -> bool {
    match which {
        Which::Any => true,
        Which::Pid(pid) => c.pid == pid,
        Which::Pgid(pgid) => c.pgid.load(Ordering::Relaxed) == pgid,
    }
}

/// Waits until a child that `which` names has something to report (Linux's do_wait), reaps it if
/// it ended (unless WNOWAIT), and returns its pid and what happened; None with WNOHANG when
/// nothing has. ECHILD when there is no such child; EINTR (restarting) for a signal.
fn do_wait(which: Which, opts: WaitOptions) -> Result<Option<(Pid, Event, Usage)>, Errno> {
    let me = thread::current().ok_or(ECHILD)?;
    let process = &me.process;
    loop {
        // Interrupts stay off from the check to the sleep, so a child's wake-up cannot be lost.
        let irq = IrqOff::new();
        let (found, event) = {
            let children = process.children.lock();
            let mut found = false;
            let mut event = None;
            for child in children.iter().filter(|c| wanted(which, c)) {
                found = true;
                if let Some(e) = wait_event(child, opts) {
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
            // As Linux's wait_task_zombie: the child is reaped before its status is stored, so
            // even if that fails. Its resource usage goes to ours then; a child that is not
            // reaped reports its usage so far (getrusage(RUSAGE_BOTH)).
            let usage = if matches!(event, Event::Exited(_)) && !opts.nowait {
                reap(process, &child)
            } else {
                let mut usage = rusage::self_usage(&child);
                usage.add(&rusage::children_usage(&child));
                usage
            };
            return Ok(Some((child.pid, event, usage)));
        }
        if opts.nohang {
            return Ok(None);
        }
        process.child_wait.sleep(irq)?;
    }
}

/// The change of `child` that a wait with `opts` reports: an exit, a stop, a continuation. A stop
/// or continuation is reported once (as Linux's wait_task_stopped and wait_task_continued), unless
/// WNOWAIT.
fn wait_event(child: &Process, opts: WaitOptions) -> Option<Event> {
    if let ProcessState::Zombie(status) = child.state() {
        return opts.exited.then_some(Event::Exited(status));
    }
    let mut job = child.job.lock();
    let event = match job.report {
        Some(JobReport::Stopped(sig)) if opts.stopped && job.stopped => Event::Stopped(sig),
        Some(JobReport::Continued) if opts.continued => Event::Continued,
        _ => return None,
    };
    if !opts.nowait {
        job.report = None;
    }
    Some(event)
}

/// Forgets a zombie child: its process record goes with the last reference. Its resource usage
/// passes to the parent's children's usage; returns it for wait4's rusage.
pub(super) fn reap(parent: &Process, child: &Process) -> Usage {
    let pid: Pid = child.pid;
    parent.children.lock().retain(|c| c.pid != pid);
    super::unlist(pid);
    rusage::reap(parent, child)
}
