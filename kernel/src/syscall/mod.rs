//! System calls: Linux x86_64 numbers, arguments and results. A handler returns `Ok(value)` or
//! `Err(errno)`; the dispatcher stores `value` or `-errno` in rax, which is what the ABI says.
//! Unknown numbers return -ENOSYS.
//!
//! | nr | call | file |
//! |---|---|---|
//! | 0, 1, 2, 3, 257 | read, write, open, close, openat | [`fs`] |
//! | 9, 10, 11, 12 | mmap, mprotect, munmap, brk | [`mm`] |
//! | 16, 20 | ioctl (console: ENOTTY), writev | [`fs`] |
//! | 74, 75, 76, 77, 217 | fsync, fdatasync, truncate, ftruncate, getdents64 | [`fs`] |
//! | 79, 80, 81, 82, 83, 84, 86, 87, 88, 89 | getcwd, chdir, fchdir, rename, mkdir, rmdir, link, unlink, symlink, readlink | [`namei`] |
//! | 258, 263, 264, 265, 266, 267, 316 | mkdirat, unlinkat, renameat, linkat, symlinkat, readlinkat, renameat2 | [`namei`] |
//! | 4, 5, 6, 21, 90, 91, 95, 137, 138 | stat, fstat, lstat, access, chmod, fchmod, umask, statfs, fstatfs | [`stat`] |
//! | 262, 268, 269, 280, 332, 439 | newfstatat, fchmodat, faccessat, utimensat, statx, faccessat2 | [`stat`] |
//! | 14, 24, 39, 56, 57, 59, 60, 61, 110, 158, 186, 218, 231 | rt_sigprocmask, sched_yield, getpid, clone, fork, execve, exit, wait4, getppid, arch_prctl, gettid, set_tid_address, exit_group | [`process`] |

pub mod errno;
pub mod fs;
pub mod mm;
pub mod namei;
pub mod process;
pub mod stat;

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
        nr::READ => fs::sys_read(a[0], a[1], a[2]),
        nr::WRITE => fs::sys_write(a[0], a[1], a[2]),
        nr::OPEN => fs::sys_open(a[0], a[1], a[2]),
        nr::CLOSE => fs::sys_close(a[0]),
        nr::MMAP => mm::sys_mmap(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::MPROTECT => mm::sys_mprotect(a[0], a[1], a[2]),
        nr::MUNMAP => mm::sys_munmap(a[0], a[1]),
        nr::MSYNC => mm::sys_msync(a[0], a[1], a[2]),
        nr::BRK => mm::sys_brk(a[0]),
        nr::RT_SIGPROCMASK => process::sys_rt_sigprocmask(a[0], a[1], a[2], a[3]),
        nr::IOCTL => fs::sys_ioctl(a[0], a[1], a[2]),
        nr::WRITEV => fs::sys_writev(a[0], a[1], a[2]),
        nr::SCHED_YIELD => process::sys_sched_yield(),
        nr::GETPID => process::sys_getpid(),
        nr::CLONE => process::sys_clone(regs, a[0], a[1]),
        nr::FORK => process::sys_fork(regs),
        nr::EXECVE => process::sys_execve(regs, a[0], a[1], a[2]),
        nr::EXIT => process::sys_exit(a[0]),
        nr::WAIT4 => process::sys_wait4(a[0], a[1], a[2], a[3]),
        nr::KILL => process::sys_kill(a[0], a[1]),
        nr::GETPPID => process::sys_getppid(),
        nr::ARCH_PRCTL => process::sys_arch_prctl(a[0], a[1]),
        nr::GETTID => process::sys_gettid(),
        nr::SET_TID_ADDRESS => process::sys_getpid(),
        nr::EXIT_GROUP => process::sys_exit_group(a[0]),
        nr::OPENAT => fs::sys_openat(a[0], a[1], a[2], a[3]),
        nr::STAT => stat::sys_stat(a[0], a[1]),
        nr::FSTAT => stat::sys_fstat(a[0], a[1]),
        nr::LSTAT => stat::sys_lstat(a[0], a[1]),
        nr::ACCESS => stat::sys_access(a[0], a[1]),
        nr::FSYNC => fs::sys_fsync(a[0]),
        nr::FDATASYNC => fs::sys_fsync(a[0]),
        nr::TRUNCATE => fs::sys_truncate(a[0], a[1]),
        nr::FTRUNCATE => fs::sys_ftruncate(a[0], a[1]),
        nr::GETCWD => namei::sys_getcwd(a[0], a[1]),
        nr::CHDIR => namei::sys_chdir(a[0]),
        nr::FCHDIR => namei::sys_fchdir(a[0]),
        nr::RENAME => namei::sys_rename(a[0], a[1]),
        nr::MKDIR => namei::sys_mkdir(a[0], a[1]),
        nr::RMDIR => namei::sys_rmdir(a[0]),
        nr::LINK => namei::sys_link(a[0], a[1]),
        nr::UNLINK => namei::sys_unlink(a[0]),
        nr::SYMLINK => namei::sys_symlink(a[0], a[1]),
        nr::READLINK => namei::sys_readlink(a[0], a[1], a[2]),
        nr::CHMOD => stat::sys_chmod(a[0], a[1]),
        nr::FCHMOD => stat::sys_fchmod(a[0], a[1]),
        nr::UMASK => stat::sys_umask(a[0]),
        nr::STATFS => stat::sys_statfs(a[0], a[1]),
        nr::FSTATFS => stat::sys_fstatfs(a[0], a[1]),
        nr::GETDENTS64 => fs::sys_getdents64(a[0], a[1], a[2]),
        nr::MKDIRAT => namei::sys_mkdirat(a[0], a[1], a[2]),
        nr::NEWFSTATAT => stat::sys_newfstatat(a[0], a[1], a[2], a[3]),
        nr::UNLINKAT => namei::sys_unlinkat(a[0], a[1], a[2]),
        nr::RENAMEAT => namei::sys_renameat(a[0], a[1], a[2], a[3]),
        nr::LINKAT => namei::sys_linkat(a[0], a[1], a[2], a[3], a[4]),
        nr::SYMLINKAT => namei::sys_symlinkat(a[0], a[1], a[2]),
        nr::READLINKAT => namei::sys_readlinkat(a[0], a[1], a[2], a[3]),
        nr::FCHMODAT => stat::sys_fchmodat(a[0], a[1], a[2]),
        nr::FACCESSAT => stat::sys_faccessat(a[0], a[1], a[2]),
        nr::UTIMENSAT => stat::sys_utimensat(a[0], a[1], a[2], a[3]),
        nr::RENAMEAT2 => namei::sys_renameat2(a[0], a[1], a[2], a[3], a[4]),
        nr::STATX => stat::sys_statx(a[0], a[1], a[2], a[3], a[4]),
        nr::FACCESSAT2 => stat::sys_faccessat2(a[0], a[1], a[2], a[3]),
        _ => {
            log::debug!("unknown system call {nr} ({})", nr::name(nr).unwrap_or("?"));
            Err(ENOSYS)
        }
    }
}
