//! Process system calls; the work is in crate::process and crate::sched.

use abi::{
    clone::CSIGNAL,
    prctl::{ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, ARCH_SET_GS},
};
use core::sync::atomic::Ordering;

use super::{SysResult, errno::*};
use crate::process::fork::CloneArgs;
use crate::{
    arch::syscall::PtRegs,
    process::{self, ExitStatus},
    sched, thread,
};

pub fn sys_getpid() -> SysResult {
    Ok(thread::with_current(|t| t.process.pid as u64).unwrap_or(0))
}

pub fn sys_gettid() -> SysResult {
    Ok(thread::with_current(|t| t.tid() as u64).unwrap_or(0))
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

/// clone(flags, stack, parent_tid, child_tid, tls): the x86_64 argument order; the low byte
/// of the flags is the exit signal.
pub fn sys_clone(
    regs: &PtRegs,
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
) -> SysResult {
    let args = CloneArgs {
        flags: flags & !CSIGNAL,
        stack,
        parent_tid,
        child_tid,
        tls,
        exit_signal: flags & CSIGNAL,
    };
    process::fork::do_clone(regs, args)
}

/// clone3(args, size): the arguments as a struct (at least its first version, 64 bytes; larger
/// ones must be zero beyond what is known, as Linux's copy_struct_from_user checks). The stack is
/// given as its lowest address and size.
pub fn sys_clone3(regs: &PtRegs, uargs: u64, size: u64) -> SysResult {
    use abi::clone::{CLONE_ARGS_SIZE_VER0, clone_args};
    const PAGE: u64 = 4096;
    if !(CLONE_ARGS_SIZE_VER0..=PAGE).contains(&size) {
        return Err(EINVAL);
    }
    let known = size_of::<clone_args>() as u64;
    let mut raw = [0u8; size_of::<clone_args>()];
    let take = size.min(known) as usize;
    crate::arch::uaccess::copy_from_user(&mut raw[..take], uargs)?;
    // Bytes past the struct this kernel knows must be zero (E2BIG otherwise).
    let mut rest = [0u8; 64];
    let mut at = uargs.checked_add(known).ok_or(EFAULT)?;
    let mut left = size.saturating_sub(known);
    while left > 0 {
        let n = left.min(rest.len() as u64) as usize;
        crate::arch::uaccess::copy_from_user(&mut rest[..n], at)?;
        if rest[..n].iter().any(|&b| b != 0) {
            return Err(E2BIG);
        }
        at += n as u64;
        left -= n as u64;
    }
    // SAFETY: clone_args is plain integers; any bytes are a valid value.
    let a: clone_args = unsafe { core::ptr::read_unaligned(raw.as_ptr().cast()) };
    if a.set_tid != 0 || a.set_tid_size != 0 || a.cgroup != 0 || a.exit_signal & !CSIGNAL != 0 {
        return Err(EINVAL);
    }
    if (a.stack == 0) != (a.stack_size == 0) {
        return Err(EINVAL);
    }
    let args = CloneArgs {
        flags: a.flags,
        stack: a.stack.checked_add(a.stack_size).ok_or(EINVAL)?,
        parent_tid: a.parent_tid,
        child_tid: a.child_tid,
        tls: a.tls,
        exit_signal: a.exit_signal,
    };
    process::fork::do_clone(regs, args)
}

/// vfork(): a child sharing the caller's memory, while the caller waits for it to exec or exit.
pub fn sys_vfork(regs: &PtRegs) -> SysResult {
    use abi::clone::{CLONE_VFORK, CLONE_VM};
    let args = CloneArgs {
        flags: CLONE_VM | CLONE_VFORK,
        exit_signal: crate::signal::SIGCHLD as u64,
        ..Default::default()
    };
    process::fork::do_clone(regs, args)
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
