//! System calls: Linux x86_64 numbers, arguments and results. A handler returns `Ok(value)` or
//! `Err(errno)`; the dispatcher stores `value` or `-errno` in rax, which is what the ABI says.
//! Unknown numbers return -ENOSYS.
//!
//! | nr | call | file |
//! |---|---|---|
//! | 0, 1, 8, 17, 18, 19, 20, 40, 295, 296 | read, write, lseek, pread64, pwrite64, readv, writev, sendfile, preadv, pwritev | [`read_write`] |
//! | 2, 257 | open, openat | [`fs`] |
//! | 3, 16, 22, 32, 33, 72, 73, 292, 293, 436 | close, ioctl (the console's terminal requests; FIOCLEX, FIONCLEX, FIONBIO, FIONREAD; else ENOTTY), pipe, dup, dup2, fcntl, flock, dup3, pipe2, close_range | [`fd`] |
//! | 7, 23, 270, 271 | poll, select, pselect6, ppoll | [`poll`] |
//! | 213, 232, 233, 281, 291, 441 | epoll_create, epoll_wait, epoll_ctl, epoll_pwait, epoll_create1, epoll_pwait2 | [`epoll`] |
//! | 222, 223, 224, 225, 226 | timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete | [`posix_timers`] |
//! | 283, 286, 287 | timerfd_create, timerfd_settime, timerfd_gettime | [`timerfd`] |
//! | 284, 290 | eventfd, eventfd2 | [`eventfd`] |
//! | 253, 254, 255, 294 | inotify_init, inotify_add_watch, inotify_rm_watch, inotify_init1 (events from the VFS, see `fs::inotify`) | [`inotify`] |
//! | 319 | memfd_create (and fcntl's F_ADD_SEALS, F_GET_SEALS; MFD_HUGETLB: a hugetlbfs file, see `mm::hugetlb`) | [`memfd`] |
//! | 9, 10, 11, 12, 26, 27, 28 | mmap (MAP_HUGETLB: 2 MiB pages from the hugetlb pool, see `mm::hugetlb`), mprotect, munmap, brk, msync, mincore, madvise | [`mm`] |
//! | 25 | mremap (shrink, grow in place, MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP; page-table entries move, pages are not copied) | [`mm`] |
//! | 310, 311 | process_vm_readv, process_vm_writev | [`process_vm`] |
//! | 29, 30, 31, 67 | shmget, shmat, shmctl, shmdt (System V shared memory) | [`shm`] |
//! | 64, 65, 66, 220 | semget, semop, semctl, semtimedop (System V semaphores, SEM_UNDO) | [`sem`] |
//! | 68, 69, 70, 71 | msgget, msgsnd, msgrcv, msgctl (System V message queues, MSG_COPY) | [`msg`] |
//! | 149, 150, 151, 152, 325 | mlock, munlock, mlockall, munlockall, mlock2 | [`mm`] |
//! | 24, 39, 56, 57, 58, 59, 60, 61, 110, 158, 186, 231, 435 | sched_yield, getpid, clone, fork, vfork, execve, exit, wait4, getppid, arch_prctl, gettid, exit_group, clone3 | [`process`] |
//! | 35, 36, 37, 38, 96, 98, 100, 201, 228, 229, 230 | nanosleep, getitimer, alarm, setitimer, gettimeofday, getrusage, times, time, clock_gettime, clock_getres, clock_nanosleep, restart_syscall (219) | [`time`] |
//! | 202, 218, 273, 274 | futex, set_tid_address, set_robust_list, get_robust_list | [`futex`] |
//! | 63, 99, 318, 157, 135 | uname, sysinfo, getrandom, prctl, personality | [`sys`] |
//! | 97, 160, 302 | getrlimit, setrlimit, prlimit64 | [`sys`] |
//! | 102, 104-108, 113-120, 122, 123 | getuid, getgid, setuid, setgid, geteuid, getegid, setreuid, setregid, getgroups, setgroups, setresuid, getresuid, setresgid, getresgid, setfsuid, setfsgid | [`sys`] |
//! | 143, 145-147, 203, 204 | sched_getparam, sched_getscheduler, sched_get_priority_max/min, sched_setaffinity, sched_getaffinity | [`sys`] |
//! | 109, 111, 112, 121, 124, 247 | setpgid, getpgrp, setsid, getpgid, getsid, waitid | [`process`] |
//! | 13, 14, 15, 34, 62, 127, 128, 129, 130, 131, 200, 234, 282, 289, 297 | rt_sigaction, rt_sigprocmask, rt_sigreturn, pause, kill, rt_sigpending, rt_sigtimedwait, rt_sigqueueinfo, rt_sigsuspend, sigaltstack, tkill, tgkill, signalfd, signalfd4, rt_tgsigqueueinfo | [`signal`] |
//! | 74, 75, 76, 77, 217, 85, 162, 306, 285 | fsync, fdatasync, truncate, ftruncate, getdents64, creat, sync, syncfs, fallocate (tmpfs's: allocate, keep size, punch hole) | [`fs`] |
//! | 275, 276, 278 | splice, tee, vmsplice | [`splice`] |
//! | 326 | copy_file_range | [`read_write`] |
//! | 133, 259 | mknod, mknodat (FIFOs, regular files, socket and device nodes) | [`namei`] |
//! | 79, 80, 81, 82, 83, 84, 86, 87, 88, 89 | getcwd, chdir, fchdir, rename, mkdir, rmdir, link, unlink, symlink, readlink | [`namei`] |
//! | 258, 263, 264, 265, 266, 267, 316 | mkdirat, unlinkat, renameat, linkat, symlinkat, readlinkat, renameat2 | [`namei`] |
//! | 4, 5, 6, 21, 90, 91, 95, 137, 138 | stat, fstat, lstat, access, chmod, fchmod, umask, statfs, fstatfs | [`stat`] |
//! | 262, 268, 269, 280, 332, 439 | newfstatat, fchmodat, faccessat, utimensat, statx, faccessat2 | [`stat`] |
//! | 41-55, 288 | socket, connect, accept, sendto, recvfrom, sendmsg, recvmsg (SCM_RIGHTS), shutdown, bind (paths and abstract names), listen, getsockname, getpeername, socketpair, setsockopt, getsockopt, accept4: AF_UNIX stream, datagram and sequenced-packet sockets (other families EAFNOSUPPORT) | [`socket`] |
//! | 188-199 | setxattr, lsetxattr, fsetxattr, getxattr, lgetxattr, fgetxattr, listxattr, llistxattr, flistxattr, removexattr, lremovexattr, fremovexattr (no file system here stores attributes) | [`xattr`] |

pub mod epoll;
pub mod errno;
pub mod eventfd;
pub mod fd;
pub mod fs;
pub mod futex;
pub mod inotify;
pub mod memfd;
pub mod mm;
pub mod msg;
pub mod namei;
pub mod poll;
pub mod posix_timers;
pub mod process;
pub mod process_vm;
pub mod read_write;
pub mod sem;
pub mod shm;
pub mod signal;
pub mod socket;
pub mod splice;
pub mod stat;
pub mod sys;
pub mod time;
pub mod timerfd;
pub mod xattr;

use errno::{ENOSYS, Errno};

use abi::nr;

use crate::arch::syscall::PtRegs;
use sys::IdKind::{Group, User};

pub type SysResult = Result<u64, Errno>;

/// Called by the entry stub with the saved user registers.
pub fn dispatch_entry(regs: &mut PtRegs) {
    let nr = regs.orig_rax;
    let result = dispatch(regs, nr);
    if crate::console::tracing() {
        trace_syscall(nr, regs, &result);
    }
    // A call a signal interrupted returns EINTR; the restart code it recorded turns that into
    // -ERESTART* on the way out (entry::exit_to_user_mode), where delivery decides.
    regs.rax = match result {
        Ok(value) => value,
        Err(errno) => errno.to_syscall_return(),
    };
}

/// The trace line of one call, out of the fast path (`loglevel=trace` turns it on); the
/// arguments shown are the registers after the call (execve and rt_sigreturn replace them).
#[cold]
#[inline(never)]
fn trace_syscall(nr: u64, regs: &PtRegs, result: &SysResult) {
    log::trace!(
        "syscall {nr}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) = {result:x?}",
        regs.rdi,
        regs.rsi,
        regs.rdx,
        regs.r10,
        regs.r8,
        regs.r9
    );
}

fn dispatch(regs: &mut PtRegs, nr: u64) -> SysResult {
    let a = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
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
        nr::MINCORE => mm::sys_mincore(a[0], a[1], a[2]),
        nr::MADVISE => mm::sys_madvise(a[0], a[1], a[2]),
        nr::MSGGET => msg::sys_msgget(a[0], a[1]),
        nr::MSGSND => msg::sys_msgsnd(a[0], a[1], a[2], a[3]),
        nr::MSGRCV => msg::sys_msgrcv(a[0], a[1], a[2], a[3], a[4]),
        nr::MSGCTL => msg::sys_msgctl(a[0], a[1], a[2]),
        nr::SEMGET => sem::sys_semget(a[0], a[1], a[2]),
        nr::SEMOP => sem::sys_semop(a[0], a[1], a[2]),
        nr::SEMTIMEDOP => sem::sys_semtimedop(a[0], a[1], a[2], a[3]),
        nr::SEMCTL => sem::sys_semctl(a[0], a[1], a[2], a[3]),
        nr::MREMAP => mm::sys_mremap(a[0], a[1], a[2], a[3], a[4]),
        nr::MLOCK => mm::sys_mlock(a[0], a[1]),
        nr::MLOCK2 => mm::sys_mlock2(a[0], a[1], a[2]),
        nr::MUNLOCK => mm::sys_munlock(a[0], a[1]),
        nr::MLOCKALL => mm::sys_mlockall(a[0]),
        nr::MUNLOCKALL => mm::sys_munlockall(),
        nr::BRK => mm::sys_brk(a[0]),
        nr::IOCTL => fd::sys_ioctl(a[0], a[1], a[2]),
        nr::PREAD64 => read_write::sys_pread64(a[0], a[1], a[2], a[3]),
        nr::PWRITE64 => read_write::sys_pwrite64(a[0], a[1], a[2], a[3]),
        nr::READV => read_write::sys_readv(a[0], a[1], a[2]),
        nr::WRITEV => read_write::sys_writev(a[0], a[1], a[2]),
        nr::PIPE => fd::sys_pipe(a[0]),
        nr::SELECT => poll::sys_select(a[0], a[1], a[2], a[3], a[4]),
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
        nr::RT_SIGQUEUEINFO => signal::sys_rt_sigqueueinfo(a[0], a[1], a[2]),
        nr::SIGNALFD => signal::sys_signalfd(a[0], a[1], a[2]),
        nr::SIGNALFD4 => signal::sys_signalfd4(a[0], a[1], a[2], a[3]),
        nr::RT_TGSIGQUEUEINFO => signal::sys_rt_tgsigqueueinfo(a[0], a[1], a[2], a[3]),
        nr::RESTART_SYSCALL => time::sys_restart_syscall(),
        nr::SETPGID => process::sys_setpgid(a[0], a[1]),
        nr::GETPGID => process::sys_getpgid(a[0]),
        nr::GETPGRP => process::sys_getpgrp(),
        nr::SETSID => process::sys_setsid(),
        nr::GETSID => process::sys_getsid(a[0]),
        nr::SCHED_YIELD => process::sys_sched_yield(),
        nr::DUP => fd::sys_dup(a[0]),
        nr::DUP2 => fd::sys_dup2(a[0], a[1]),
        nr::GETPID => process::sys_getpid(),
        nr::SENDFILE => read_write::sys_sendfile(a[0], a[1], a[2], a[3]),
        nr::CLONE => process::sys_clone(regs, a[0], a[1], a[2], a[3], a[4]),
        nr::CLONE3 => process::sys_clone3(regs, a[0], a[1]),
        nr::VFORK => process::sys_vfork(regs),
        nr::SET_ROBUST_LIST => futex::sys_set_robust_list(a[0], a[1]),
        nr::GET_ROBUST_LIST => futex::sys_get_robust_list(a[0], a[1], a[2]),
        nr::FORK => process::sys_fork(regs),
        nr::EXECVE => process::sys_execve(regs, a[0], a[1], a[2]),
        nr::EXIT => process::sys_exit(a[0]),
        nr::WAIT4 => process::sys_wait4(a[0], a[1], a[2], a[3]),
        nr::WAITID => process::sys_waitid(a[0], a[1], a[2], a[3], a[4]),
        nr::KILL => signal::sys_kill(a[0], a[1]),
        nr::FCNTL => fd::sys_fcntl(a[0], a[1], a[2]),
        nr::GETPPID => process::sys_getppid(),
        nr::ARCH_PRCTL => process::sys_arch_prctl(a[0], a[1]),
        nr::GETTID => process::sys_gettid(),
        nr::SET_TID_ADDRESS => futex::sys_set_tid_address(a[0]),
        nr::FUTEX => futex::sys_futex(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::EXIT_GROUP => process::sys_exit_group(a[0]),
        nr::OPENAT => fs::sys_openat(a[0], a[1], a[2], a[3]),
        nr::NANOSLEEP => time::sys_nanosleep(a[0], a[1]),
        nr::GETITIMER => time::sys_getitimer(a[0], a[1]),
        nr::ALARM => time::sys_alarm(a[0]),
        nr::SETITIMER => time::sys_setitimer(a[0], a[1], a[2]),
        nr::GETTIMEOFDAY => time::sys_gettimeofday(a[0], a[1]),
        nr::GETRUSAGE => time::sys_getrusage(a[0], a[1]),
        nr::TIMES => time::sys_times(a[0]),
        nr::TIME => time::sys_time(a[0]),
        nr::CLOCK_GETTIME => time::sys_clock_gettime(a[0], a[1]),
        nr::CLOCK_GETRES => time::sys_clock_getres(a[0], a[1]),
        nr::CLOCK_NANOSLEEP => time::sys_clock_nanosleep(a[0], a[1], a[2], a[3]),
        nr::UNAME => sys::sys_uname(a[0]),
        nr::SYSINFO => sys::sys_sysinfo(a[0]),
        nr::GETRANDOM => sys::sys_getrandom(a[0], a[1], a[2]),
        nr::PRCTL => sys::sys_prctl(a[0], a[1], a[2], a[3], a[4]),
        nr::PERSONALITY => sys::sys_personality(a[0]),
        nr::GETRLIMIT => sys::sys_getrlimit(a[0], a[1]),
        nr::SETRLIMIT => sys::sys_setrlimit(a[0], a[1]),
        nr::PRLIMIT64 => sys::sys_prlimit64(a[0], a[1], a[2], a[3]),
        nr::GETUID => sys::sys_getid(User, false),
        nr::GETEUID => sys::sys_getid(User, true),
        nr::GETGID => sys::sys_getid(Group, false),
        nr::GETEGID => sys::sys_getid(Group, true),
        nr::SETUID => sys::sys_setid(User, a[0]),
        nr::SETGID => sys::sys_setid(Group, a[0]),
        nr::SETREUID => sys::sys_setreid(User, a[0], a[1]),
        nr::SETREGID => sys::sys_setreid(Group, a[0], a[1]),
        nr::SETRESUID => sys::sys_setresid(User, a[0], a[1], a[2]),
        nr::SETRESGID => sys::sys_setresid(Group, a[0], a[1], a[2]),
        nr::GETRESUID => sys::sys_getresid(User, a[0], a[1], a[2]),
        nr::GETRESGID => sys::sys_getresid(Group, a[0], a[1], a[2]),
        nr::SETFSUID => sys::sys_setfsid(User, a[0]),
        nr::SETFSGID => sys::sys_setfsid(Group, a[0]),
        nr::GETGROUPS => sys::sys_getgroups(a[0], a[1]),
        nr::SETGROUPS => sys::sys_setgroups(a[0], a[1]),
        nr::SCHED_GETAFFINITY => sys::sys_sched_getaffinity(a[0], a[1], a[2]),
        nr::SCHED_SETAFFINITY => sys::sys_sched_setaffinity(a[0], a[1], a[2]),
        nr::SCHED_GET_PRIORITY_MAX => sys::sys_sched_get_priority(a[0], true),
        nr::SCHED_GET_PRIORITY_MIN => sys::sys_sched_get_priority(a[0], false),
        nr::SCHED_GETSCHEDULER => sys::sys_sched_getscheduler(a[0]),
        nr::SCHED_GETPARAM => sys::sys_sched_getparam(a[0], a[1]),
        nr::PSELECT6 => poll::sys_pselect6(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::PPOLL => poll::sys_ppoll(a[0], a[1], a[2], a[3], a[4]),
        nr::EPOLL_CREATE => epoll::sys_epoll_create(a[0]),
        nr::EPOLL_CREATE1 => epoll::sys_epoll_create1(a[0]),
        nr::EVENTFD => eventfd::sys_eventfd(a[0]),
        nr::EVENTFD2 => eventfd::sys_eventfd2(a[0], a[1]),
        nr::INOTIFY_INIT => inotify::sys_inotify_init(),
        nr::INOTIFY_INIT1 => inotify::sys_inotify_init1(a[0]),
        nr::INOTIFY_ADD_WATCH => inotify::sys_inotify_add_watch(a[0], a[1], a[2]),
        nr::INOTIFY_RM_WATCH => inotify::sys_inotify_rm_watch(a[0], a[1]),
        nr::MEMFD_CREATE => memfd::sys_memfd_create(a[0], a[1]),
        nr::FLOCK => fd::sys_flock(a[0], a[1]),
        nr::TIMERFD_CREATE => timerfd::sys_timerfd_create(a[0], a[1]),
        nr::TIMERFD_SETTIME => timerfd::sys_timerfd_settime(a[0], a[1], a[2], a[3]),
        nr::TIMERFD_GETTIME => timerfd::sys_timerfd_gettime(a[0], a[1]),
        nr::PROCESS_VM_READV => {
            process_vm::sys_process_vm_readv(a[0], a[1], a[2], a[3], a[4], a[5])
        }
        nr::PROCESS_VM_WRITEV => {
            process_vm::sys_process_vm_writev(a[0], a[1], a[2], a[3], a[4], a[5])
        }
        nr::SPLICE => splice::sys_splice(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::TEE => splice::sys_tee(a[0], a[1], a[2], a[3]),
        nr::VMSPLICE => splice::sys_vmsplice(a[0], a[1], a[2], a[3]),
        nr::COPY_FILE_RANGE => read_write::sys_copy_file_range(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::MKNOD => namei::sys_mknod(a[0], a[1], a[2]),
        nr::MKNODAT => namei::sys_mknodat(a[0], a[1], a[2], a[3]),
        nr::FALLOCATE => fs::sys_fallocate(a[0], a[1], a[2], a[3]),
        nr::SHMGET => shm::sys_shmget(a[0], a[1], a[2]),
        nr::SHMAT => shm::sys_shmat(a[0], a[1], a[2]),
        nr::SHMCTL => shm::sys_shmctl(a[0], a[1], a[2]),
        nr::SHMDT => shm::sys_shmdt(a[0]),
        nr::TIMER_CREATE => posix_timers::sys_timer_create(a[0], a[1], a[2]),
        nr::TIMER_SETTIME => posix_timers::sys_timer_settime(a[0], a[1], a[2], a[3]),
        nr::TIMER_GETTIME => posix_timers::sys_timer_gettime(a[0], a[1]),
        nr::TIMER_GETOVERRUN => posix_timers::sys_timer_getoverrun(a[0]),
        nr::TIMER_DELETE => posix_timers::sys_timer_delete(a[0]),
        nr::EPOLL_CTL => epoll::sys_epoll_ctl(a[0], a[1], a[2], a[3]),
        nr::EPOLL_WAIT => epoll::sys_epoll_wait(a[0], a[1], a[2], a[3]),
        nr::EPOLL_PWAIT => epoll::sys_epoll_pwait(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::EPOLL_PWAIT2 => epoll::sys_epoll_pwait2(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::DUP3 => fd::sys_dup3(a[0], a[1], a[2]),
        nr::PIPE2 => fd::sys_pipe2(a[0], a[1]),
        nr::PREADV => read_write::sys_preadv(a[0], a[1], a[2], a[3]),
        nr::PWRITEV => read_write::sys_pwritev(a[0], a[1], a[2], a[3]),
        nr::CLOSE_RANGE => fd::sys_close_range(a[0], a[1], a[2]),
        nr::STAT => stat::sys_stat(a[0], a[1]),
        nr::FSTAT => stat::sys_fstat(a[0], a[1]),
        nr::LSTAT => stat::sys_lstat(a[0], a[1]),
        nr::ACCESS => stat::sys_access(a[0], a[1]),
        nr::FSYNC => fs::sys_fsync(a[0]),
        nr::SYNC => fs::sys_sync(),
        nr::SYNCFS => fs::sys_syncfs(a[0]),
        nr::CREAT => fs::sys_creat(a[0], a[1]),
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
        nr::SETXATTR => xattr::sys_setxattr(a[0], a[1], a[2], a[3], a[4]),
        nr::LSETXATTR => xattr::sys_lsetxattr(a[0], a[1], a[2], a[3], a[4]),
        nr::FSETXATTR => xattr::sys_fsetxattr(a[0], a[1], a[2], a[3], a[4]),
        nr::GETXATTR => xattr::sys_getxattr(a[0], a[1], a[2], a[3]),
        nr::LGETXATTR => xattr::sys_lgetxattr(a[0], a[1], a[2], a[3]),
        nr::FGETXATTR => xattr::sys_fgetxattr(a[0], a[1], a[2], a[3]),
        nr::LISTXATTR => xattr::sys_listxattr(a[0], a[1], a[2]),
        nr::LLISTXATTR => xattr::sys_llistxattr(a[0], a[1], a[2]),
        nr::FLISTXATTR => xattr::sys_flistxattr(a[0], a[1], a[2]),
        nr::SOCKET => socket::sys_socket(a[0], a[1], a[2]),
        nr::SOCKETPAIR => socket::sys_socketpair(a[0], a[1], a[2], a[3]),
        nr::BIND => socket::sys_bind(a[0], a[1], a[2]),
        nr::LISTEN => socket::sys_listen(a[0], a[1]),
        nr::CONNECT => socket::sys_connect(a[0], a[1], a[2]),
        nr::ACCEPT => socket::sys_accept(a[0], a[1], a[2]),
        nr::ACCEPT4 => socket::sys_accept4(a[0], a[1], a[2], a[3]),
        nr::GETSOCKNAME => socket::sys_getsockname(a[0], a[1], a[2]),
        nr::GETPEERNAME => socket::sys_getpeername(a[0], a[1], a[2]),
        nr::SENDTO => socket::sys_sendto(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::RECVFROM => socket::sys_recvfrom(a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::SENDMSG => socket::sys_sendmsg(a[0], a[1], a[2]),
        nr::RECVMSG => socket::sys_recvmsg(a[0], a[1], a[2]),
        nr::SHUTDOWN => socket::sys_shutdown(a[0], a[1]),
        nr::GETSOCKOPT => socket::sys_getsockopt(a[0], a[1], a[2], a[3], a[4]),
        nr::SETSOCKOPT => socket::sys_setsockopt(a[0], a[1], a[2], a[3], a[4]),
        nr::REMOVEXATTR => xattr::sys_removexattr(a[0], a[1]),
        nr::LREMOVEXATTR => xattr::sys_lremovexattr(a[0], a[1]),
        nr::FREMOVEXATTR => xattr::sys_fremovexattr(a[0], a[1]),
        _ => {
            log::debug!("unknown system call {nr} ({})", nr::name(nr).unwrap_or("?"));
            Err(ENOSYS)
        }
    }
}
