//! System calls: Linux x86_64 numbers, arguments and results. A handler returns `Ok(value)` or
//! `Err(errno)`; the dispatcher stores `value` or `-errno` in rax, which is what the ABI says.
//! Unknown numbers return -ENOSYS.
//!
//! | nr | call | file |
//! |---|---|---|
//! | 0, 1, 2, 3, 257 | read, write, open, close, openat | [`fs`] |
//! | 9, 10, 11, 12 | mmap, mprotect, munmap, brk | [`mm`] |
//! | 16, 20 | ioctl (console: ENOTTY), writev | [`fs`] |
//! | 24, 39, 56, 57, 59, 60, 61, 110, 158, 186, 218, 231 | sched_yield, getpid, clone, fork, execve, exit, wait4, getppid, arch_prctl, gettid, set_tid_address, exit_group | [`process`] |
//! | 109, 111, 112, 121, 124, 247 | setpgid, getpgrp, setsid, getpgid, getsid, waitid | [`process`] |
//! | 13, 14, 15, 34, 62, 127, 128, 130, 131, 200, 219, 234 | rt_sigaction, rt_sigprocmask, rt_sigreturn, pause, kill, rt_sigpending, rt_sigtimedwait, rt_sigsuspend, sigaltstack, tkill, restart_syscall, tgkill | [`signal`] |

pub mod errno;
pub mod fs;
pub mod mm;
pub mod process;
pub mod signal;

use errno::{ENOSYS, Errno};

use abi::nr;

use crate::arch::syscall::PtRegs;

pub type SysResult = Result<u64, Errno>;

/// Called by the entry stub with the saved user registers.
pub fn dispatch_entry(regs: &mut PtRegs) {
    let nr = regs.orig_rax;
    let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
    let result = dispatch(regs, nr, args);
    // A call a signal interrupted returns EINTR; how it is to finish (restart or EINTR) is decided
    // at delivery, from the restart code it recorded (Linux returns -ERESTART* for this).
    let restart = crate::thread::current().map_or(0, |me| crate::signal::take_restart(&me));
    log::trace!(
        "syscall {nr}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) = {result:x?}",
        args[0],
        args[1],
        args[2],
        args[3],
        args[4],
        args[5]
    );
    regs.rax = match result {
        Ok(value) => value,
        Err(errno::EINTR) if restart != 0 => restart.wrapping_neg(),
        Err(errno) => errno.to_syscall_return(),
    };
}

fn dispatch(regs: &mut PtRegs, nr: u64, a: [u64; 6]) -> SysResult {
    match nr {
        nr::READ => fs::sys_read(a[0], a[1], a[2]),
        nr::WRITE => fs::sys_write(a[0], a[1], a[2]),
        nr::OPEN => fs::sys_open(a[0], a[1], a[2]),
        nr::CLOSE => fs::sys_close(a[0]),
        nr::MMAP => mm::sys_mmap(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::MPROTECT => mm::sys_mprotect(a[0], a[1], a[2]),
        nr::MUNMAP => mm::sys_munmap(a[0], a[1]),
        nr::MSYNC => mm::sys_msync(a[0], a[1], a[2]),
        nr::BRK => mm::sys_brk(a[0]),
        nr::RT_SIGACTION => signal::sys_rt_sigaction(a[0], a[1], a[2], a[3]),
        nr::RT_SIGPROCMASK => signal::sys_rt_sigprocmask(a[0], a[1], a[2], a[3]),
        nr::RT_SIGRETURN => signal::sys_rt_sigreturn(regs),
        nr::PAUSE => signal::sys_pause(),
        nr::RT_SIGPENDING => signal::sys_rt_sigpending(a[0], a[1]),
        nr::RT_SIGTIMEDWAIT => signal::sys_rt_sigtimedwait(a[0], a[1], a[2], a[3]),
        nr::RT_SIGSUSPEND => signal::sys_rt_sigsuspend(a[0], a[1]),
        nr::SIGALTSTACK => signal::sys_sigaltstack(regs, a[0], a[1]),
        nr::TKILL => signal::sys_tkill(a[0], a[1]),
        nr::TGKILL => signal::sys_tgkill(a[0], a[1], a[2]),
        nr::RESTART_SYSCALL => signal::sys_restart_syscall(),
        nr::SETPGID => process::sys_setpgid(a[0], a[1]),
        nr::GETPGID => process::sys_getpgid(a[0]),
        nr::GETPGRP => process::sys_getpgrp(),
        nr::SETSID => process::sys_setsid(),
        nr::GETSID => process::sys_getsid(a[0]),
        nr::IOCTL => fs::sys_ioctl(a[0], a[1], a[2]),
        nr::WRITEV => fs::sys_writev(a[0], a[1], a[2]),
        nr::SCHED_YIELD => process::sys_sched_yield(),
        nr::GETPID => process::sys_getpid(),
        nr::CLONE => process::sys_clone(regs, a[0], a[1]),
        nr::FORK => process::sys_fork(regs),
        nr::EXECVE => process::sys_execve(regs, a[0], a[1], a[2]),
        nr::EXIT => process::sys_exit(a[0]),
        nr::WAIT4 => process::sys_wait4(a[0], a[1], a[2], a[3]),
        nr::WAITID => process::sys_waitid(a[0], a[1], a[2], a[3], a[4]),
        nr::KILL => signal::sys_kill(a[0], a[1]),
        nr::GETPPID => process::sys_getppid(),
        nr::ARCH_PRCTL => process::sys_arch_prctl(a[0], a[1]),
        nr::GETTID => process::sys_gettid(),
        nr::SET_TID_ADDRESS => process::sys_getpid(),
        nr::EXIT_GROUP => process::sys_exit_group(a[0]),
        nr::OPENAT => fs::sys_openat(a[0], a[1], a[2], a[3]),
        _ => {
            log::debug!("unknown system call {nr} ({})", nr::name(nr).unwrap_or("?"));
            Err(ENOSYS)
        }
    }
}
