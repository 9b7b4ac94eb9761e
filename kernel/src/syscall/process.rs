//! Process system calls; the work is in crate::process and crate::sched.

use core::sync::atomic::Ordering;

use super::{SysResult, errno::*};
use crate::{
    arch::syscall::PtRegs,
    process, sched,
    task::{self, ExitStatus},
};

pub fn sys_getpid() -> SysResult {
    Ok(task::current().map(|t| t.pid as u64).unwrap_or(0))
}

pub fn sys_getppid() -> SysResult {
    Ok(task::current().map(|t| t.ppid.load(Ordering::Relaxed) as u64).unwrap_or(0))
}

pub fn sys_sched_yield() -> SysResult {
    sched::schedule();
    Ok(0)
}

pub fn sys_fork(regs: &PtRegs) -> SysResult {
    process::fork(regs)
}

/// clone(flags, stack, ...): only the fork-like form (no CLONE_* sharing flags, just the exit
/// signal), which is how glibc, musl and busybox fork. Threads (CLONE_VM) come later.
pub fn sys_clone(regs: &PtRegs, flags: u64, stack: u64) -> SysResult {
    const CSIGNAL: u64 = 0xff;
    if flags & !CSIGNAL != 0 {
        log::debug!("clone: flags {flags:#x} not supported");
        return Err(EINVAL);
    }
    let mut child_regs = *regs;
    if stack != 0 {
        child_regs.rsp = stack;
    }
    process::fork(&child_regs)
}

pub fn sys_execve(regs: &mut PtRegs, path: u64, argv: u64, envp: u64) -> SysResult {
    process::execve(regs, path, argv, envp)
}

pub fn sys_wait4(pid: u64, wstatus: u64, options: u64, rusage: u64) -> SysResult {
    process::wait4(pid as i64, wstatus, options, rusage)
}

/// exit(2): ends the calling thread; with one thread per process, the process.
pub fn sys_exit(code: u64) -> SysResult {
    process::exit_current(ExitStatus::Exited(code as u8))
}

/// exit_group(2): ends every thread of the process.
pub fn sys_exit_group(code: u64) -> SysResult {
    process::exit_current(ExitStatus::Exited(code as u8))
}
