//! Process system calls; the work is in crate::process and crate::sched.

use abi::{
    clone::CSIGNAL,
    prctl::{ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, ARCH_SET_GS},
    signal::{SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, sigset_t},
};
use core::sync::atomic::Ordering;

use super::{SysResult, errno::*};
use crate::{
    arch::syscall::PtRegs,
    process::{self, ExitStatus},
    sched, signal, thread,
};

pub fn sys_getpid() -> SysResult {
    Ok(thread::current_process().map_or(0, |p| p.pid as u64))
}

pub fn sys_gettid() -> SysResult {
    Ok(thread::current().map_or(0, |t| t.tid as u64))
}

pub fn sys_getppid() -> SysResult {
    Ok(thread::current_process().map_or(0, |p| p.ppid.load(Ordering::Relaxed) as u64))
}

/// kill(pid, sig): sends `sig` to a process (pid > 0), to every process of the caller's group
/// (0) or of group -pid (< -1), or to every process but init and the caller (-1). Signal 0 only
/// checks that the target exists. Everyone may signal everyone here: there are no users yet, as
/// for root on Linux.
pub fn sys_kill(pid: u64, sig: u64) -> SysResult {
    let pid = pid as i32;
    if sig > signal::NSIG as u64 {
        return Err(EINVAL);
    }
    let sig = sig as u8;
    let me = thread::current_process().ok_or(ESRCH)?;
    let targets: alloc::vec::Vec<_> = match pid {
        p if p > 0 => process::find(p as u32).into_iter().collect(),
        i32::MIN => return Err(ESRCH),
        -1 => process::all()
            .into_iter()
            .filter(|p| p.pid != 1 && p.pid != me.pid)
            .collect(),
        p => {
            let pgid = if p == 0 {
                me.pgid.load(Ordering::Relaxed)
            } else {
                p.unsigned_abs()
            };
            process::all()
                .into_iter()
                .filter(|p| p.pgid.load(Ordering::Relaxed) == pgid)
                .collect()
        }
    };
    if targets.is_empty() {
        return Err(ESRCH);
    }
    // A zombie still exists until reaped: signalling it succeeds and does nothing.
    if sig != 0 {
        for target in &targets {
            signal::send_to_process(target, sig);
        }
    }
    Ok(0)
}

pub fn sys_sched_yield() -> SysResult {
    sched::schedule();
    Ok(0)
}

pub fn sys_fork(regs: &PtRegs) -> SysResult {
    process::fork::fork(regs)
}

/// clone(flags, stack, ...): only the fork-like form (no CLONE_* sharing flags, just the exit
/// signal), which is how glibc, musl and busybox fork. Threads (CLONE_VM) come later.
pub fn sys_clone(regs: &PtRegs, flags: u64, stack: u64) -> SysResult {
    if flags & !CSIGNAL != 0 {
        log::debug!("clone: flags {flags:#x} not supported");
        return Err(EINVAL);
    }
    let mut child_regs = *regs;
    if stack != 0 {
        child_regs.rsp = stack;
    }
    process::fork::fork(&child_regs)
}

pub fn sys_execve(regs: &mut PtRegs, path: u64, argv: u64, envp: u64) -> SysResult {
    process::execve::execve(regs, path, argv, envp)
}

pub fn sys_wait4(pid: u64, wstatus: u64, options: u64, rusage: u64) -> SysResult {
    process::wait::wait4(pid as i64, wstatus, options, rusage)
}

/// exit(2): ends the calling thread; the process ends with it if it was the last.
pub fn sys_exit(code: u64) -> SysResult {
    process::exit::do_exit(ExitStatus::Exited(code as u8))
}

/// exit_group(2): ends every thread of the process.
pub fn sys_exit_group(code: u64) -> SysResult {
    process::exit::do_exit_group(ExitStatus::Exited(code as u8))
}

/// arch_prctl: the FS/GS bases that C libraries use for thread-local storage. Saved and restored
/// per task by the scheduler.
pub fn sys_arch_prctl(code: u64, addr: u64) -> SysResult {
    use x86_64::{
        VirtAddr,
        registers::model_specific::{FsBase, GsBase},
    };
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            let base = VirtAddr::try_new(addr).map_err(|_| EPERM)?;
            if addr >= crate::mm::layout::TASK_SIZE {
                return Err(EPERM);
            }
            if code == ARCH_SET_FS {
                FsBase::write(base)
            } else {
                GsBase::write(base)
            }
            Ok(0)
        }
        ARCH_GET_FS | ARCH_GET_GS => {
            let value = if code == ARCH_GET_FS {
                FsBase::read()
            } else {
                GsBase::read()
            }
            .as_u64();
            crate::arch::uaccess::write_user(addr, &value)?;
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

/// rt_sigprocmask(how, set, oldset, sigsetsize): keeps the task's blocked-signal mask. Signals are
/// not delivered yet (a later step), but C libraries block and restore them around fork, and they
/// must see their own mask back.
pub fn sys_rt_sigprocmask(how: u64, set: u64, oldset: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != size_of::<sigset_t>() as u64 {
        return Err(EINVAL);
    }
    let me = thread::current().ok_or(EINVAL)?;
    let old = me.sigmask.get();
    if set != 0 {
        let new: sigset_t = crate::arch::uaccess::read_user(set)?;
        let mask = match how {
            SIG_BLOCK => old | new,
            SIG_UNBLOCK => old & !new,
            SIG_SETMASK => new,
            _ => return Err(EINVAL),
        };
        // SIGKILL and SIGSTOP cannot be blocked.
        me.sigmask.set(mask & !signal::UNBLOCKABLE);
    }
    if oldset != 0 {
        crate::arch::uaccess::write_user(oldset, &old)?;
    }
    Ok(0)
}
