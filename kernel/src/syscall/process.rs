//! Process system calls; the work is in crate::process and crate::sched.

use abi::{
    clone::CSIGNAL,
    prctl::{ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, ARCH_SET_GS},
};
use core::sync::atomic::Ordering;

use super::{SysResult, errno::*};
use crate::{
    arch::syscall::PtRegs,
    process::{self, ExitStatus},
    sched, thread,
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

pub fn sys_waitid(idtype: u64, id: u64, infop: u64, options: u64, rusage: u64) -> SysResult {
    process::wait::waitid(idtype, id, infop, options, rusage)
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

/// setpgid(pid, pgid).
pub fn sys_setpgid(pid: u64, pgid: u64) -> SysResult {
    process::pgrp::setpgid(pid as i32, pgid as i32)
}

/// getpgid(pid).
pub fn sys_getpgid(pid: u64) -> SysResult {
    process::pgrp::getpgid(pid as i32)
}

/// getpgrp(): the caller's process group.
pub fn sys_getpgrp() -> SysResult {
    process::pgrp::getpgid(0)
}

/// setsid().
pub fn sys_setsid() -> SysResult {
    process::pgrp::setsid()
}

/// getsid(pid).
pub fn sys_getsid(pid: u64) -> SysResult {
    process::pgrp::getsid(pid as i32)
}
