//! wait4 (Linux's kernel/exit.c do_wait): wait for a child to end, collect its status, and reap it.

use abi::wait::{__WALL, __WCLONE, __WNOTHREAD, WCONTINUED, WNOHANG, WUNTRACED};
use alloc::sync::Arc;

use super::{Pid, Process, ProcessState};
use crate::{arch::uaccess, sync::IrqOff, syscall::errno::*, thread};

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
        let (found, zombie) = {
            let children = process.children.lock();
            let mut matching = children.iter().filter(|c| wanted(c)).peekable();
            let found = matching.peek().is_some();
            let zombie = matching
                .find(|c| matches!(c.state(), ProcessState::Zombie(_)))
                .cloned();
            (found, zombie)
        };
        if !found {
            return Err(ECHILD);
        }
        if let Some(child) = zombie {
            drop(irq);
            let ProcessState::Zombie(status) = child.state() else {
                unreachable!("a zombie came back to life")
            };
            // As Linux's wait_task_zombie: the child is reaped even if the status cannot be stored.
            let usage = reap(process, &child);
            if wstatus != 0 {
                uaccess::write_user(wstatus, &status.wait_status())?;
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

/// Forgets a zombie child: its process record goes with the last reference. Its resource usage
/// passes to the parent's children's usage; returns it for wait4's rusage.
fn reap(parent: &Process, child: &Arc<Process>) -> super::rusage::Usage {
    let pid: Pid = child.pid;
    parent.children.lock().retain(|c| c.pid != pid);
    super::unlist(pid);
    super::rusage::reap(parent, child)
}
