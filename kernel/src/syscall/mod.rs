//! System calls: Linux x86_64 numbers, arguments and results. A handler returns `Ok(value)` or
//! `Err(errno)`; the dispatcher stores `value` or `-errno` in rax, which is what the ABI says.
//! Unknown numbers return -ENOSYS.
//!
//! | nr | call | file |
//! |---|---|---|
//! | 0, 1, 8, 17, 18, 19, 20, 40, 295, 296 | read, write, lseek, pread64, pwrite64, readv, writev, sendfile, preadv, pwritev | [`read_write`] |
//! | 2, 257 | open, openat | [`fs`] |
//! | 3, 16, 22, 32, 33, 72, 292, 293, 436 | close, ioctl (FIOCLEX, FIONCLEX, FIONBIO, FIONREAD; else ENOTTY), pipe, dup, dup2, fcntl, dup3, pipe2, close_range | [`fd`] |
//! | 7, 23, 270, 271 | poll, select, pselect6, ppoll | [`poll`] |
//! | 9, 10, 11, 12 | mmap, mprotect, munmap, brk | [`mm`] |
//! | 14, 24, 39, 56, 57, 59, 60, 61, 110, 158, 186, 218, 231 | rt_sigprocmask, sched_yield, getpid, clone, fork, execve, exit, wait4, getppid, arch_prctl, gettid, set_tid_address, exit_group | [`process`] |

pub mod errno;
pub mod fd;
pub mod fs;
pub mod mm;
pub mod poll;
pub mod process;
pub mod read_write;

use errno::{ENOSYS, Errno};

use abi::nr;

use crate::arch::syscall::PtRegs;

pub type SysResult = Result<u64, Errno>;

/// Called by the entry stub with the saved user registers.
pub fn dispatch_entry(regs: &mut PtRegs) {
    let nr = regs.orig_rax;
    let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
    let result = dispatch(regs, nr, args);
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
        Err(errno) => errno.to_syscall_return(),
    };
}

fn dispatch(regs: &mut PtRegs, nr: u64, a: [u64; 6]) -> SysResult {
    match nr {
        nr::READ => read_write::sys_read(a[0], a[1], a[2]),
        nr::WRITE => read_write::sys_write(a[0], a[1], a[2]),
        nr::OPEN => fs::sys_open(a[0], a[1], a[2]),
        nr::CLOSE => fd::sys_close(a[0]),
        nr::POLL => poll::sys_poll(a[0], a[1], a[2]),
        nr::LSEEK => read_write::sys_lseek(a[0], a[1], a[2]),
        nr::MMAP => mm::sys_mmap(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::MPROTECT => mm::sys_mprotect(a[0], a[1], a[2]),
        nr::MUNMAP => mm::sys_munmap(a[0], a[1]),
        nr::MSYNC => mm::sys_msync(a[0], a[1], a[2]),
        nr::BRK => mm::sys_brk(a[0]),
        nr::RT_SIGPROCMASK => process::sys_rt_sigprocmask(a[0], a[1], a[2], a[3]),
        nr::IOCTL => fd::sys_ioctl(a[0], a[1], a[2]),
        nr::PREAD64 => read_write::sys_pread64(a[0], a[1], a[2], a[3]),
        nr::PWRITE64 => read_write::sys_pwrite64(a[0], a[1], a[2], a[3]),
        nr::READV => read_write::sys_readv(a[0], a[1], a[2]),
        nr::WRITEV => read_write::sys_writev(a[0], a[1], a[2]),
        nr::PIPE => fd::sys_pipe(a[0]),
        nr::SELECT => poll::sys_select(a[0], a[1], a[2], a[3], a[4]),
        nr::SCHED_YIELD => process::sys_sched_yield(),
        nr::DUP => fd::sys_dup(a[0]),
        nr::DUP2 => fd::sys_dup2(a[0], a[1]),
        nr::GETPID => process::sys_getpid(),
        nr::SENDFILE => read_write::sys_sendfile(a[0], a[1], a[2], a[3]),
        nr::CLONE => process::sys_clone(regs, a[0], a[1]),
        nr::FORK => process::sys_fork(regs),
        nr::EXECVE => process::sys_execve(regs, a[0], a[1], a[2]),
        nr::EXIT => process::sys_exit(a[0]),
        nr::WAIT4 => process::sys_wait4(a[0], a[1], a[2], a[3]),
        nr::KILL => process::sys_kill(a[0], a[1]),
        nr::FCNTL => fd::sys_fcntl(a[0], a[1], a[2]),
        nr::GETPPID => process::sys_getppid(),
        nr::ARCH_PRCTL => process::sys_arch_prctl(a[0], a[1]),
        nr::GETTID => process::sys_gettid(),
        nr::SET_TID_ADDRESS => process::sys_getpid(),
        nr::EXIT_GROUP => process::sys_exit_group(a[0]),
        nr::OPENAT => fs::sys_openat(a[0], a[1], a[2], a[3]),
        nr::PSELECT6 => poll::sys_pselect6(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::PPOLL => poll::sys_ppoll(a[0], a[1], a[2], a[3], a[4]),
        nr::DUP3 => fd::sys_dup3(a[0], a[1], a[2]),
        nr::PIPE2 => fd::sys_pipe2(a[0], a[1]),
        nr::PREADV => read_write::sys_preadv(a[0], a[1], a[2], a[3]),
        nr::PWRITEV => read_write::sys_pwritev(a[0], a[1], a[2], a[3]),
        nr::CLOSE_RANGE => fd::sys_close_range(a[0], a[1], a[2]),
        _ => {
            log::debug!("unknown system call {nr} ({})", nr::name(nr).unwrap_or("?"));
            Err(ENOSYS)
        }
    }
}
