//! Every constant with a counterpart in the `libc` crate (glibc's x86_64 definitions) must have
//! its value. glibc spells flags as `c_int`, so a value with bit 31 set (`SA_RESETHAND`,
//! `CLONE_IO`) is negative there: such values are compared as 32-bit patterns.
//!
//! Where glibc deliberately differs from the kernel, or has no such constant, the expectation is
//! written out from the Linux header instead (see `kernel_only`).

use std::mem::size_of_val;

/// Whether `ours` is `theirs`: equal as integers, or, for a 32-bit C constant, equal as 32-bit
/// patterns (with nothing in our upper half but a sign extension).
fn same_value(ours: i128, theirs: i128, their_size: usize) -> bool {
    ours == theirs
        || (their_size == 4
            && ours as u32 == theirs as u32
            && matches!(ours >> 32, 0 | -1 | 0xffff_ffff))
}

macro_rules! same {
    ($module:ident: $($name:ident),* $(,)?) => {
        $(
            #[allow(clippy::unnecessary_cast)]
            let (ours, theirs) = (abi::$module::$name as i128, libc::$name as i128);
            assert!(
                same_value(ours, theirs, size_of_val(&libc::$name)),
                "{}::{}: ours {ours:#x}, libc {theirs:#x}",
                stringify!($module),
                stringify!($name),
            );
        )*
    };
}

#[test]
fn mman() {
    same!(mman: PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE, MAP_FIXED, MAP_ANONYMOUS, MAP_ANON, MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED, MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC, MAP_FIXED_NOREPLACE, MAP_HUGE_SHIFT, MAP_HUGE_MASK, MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DONTNEED_LOCKED, MADV_COLLAPSE, MADV_HWPOISON, MADV_SOFT_OFFLINE, MS_ASYNC, MS_INVALIDATE, MS_SYNC, MLOCK_ONFAULT, MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT);
}

#[test]
fn fcntl() {
    same!(fcntl: O_RDONLY, O_WRONLY, O_RDWR, O_ACCMODE, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_NDELAY, O_DSYNC, O_ASYNC, O_DIRECT, O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_SYNC, O_RSYNC, O_PATH, O_TMPFILE, AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_EACCESS, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH, AT_STATX_SYNC_TYPE, AT_STATX_SYNC_AS_STAT, AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC, AT_RECURSIVE, F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_SETOWN, F_GETOWN, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE, F_GETLEASE, F_NOTIFY, F_DUPFD_CLOEXEC, F_SETPIPE_SZ, F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS, FD_CLOEXEC, F_RDLCK, F_WRLCK, F_UNLCK, SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, F_OK, X_OK, W_OK, R_OK);
}

#[test]
fn stat() {
    same!(stat: S_IFMT, S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO, S_ISUID, S_ISGID, S_ISVTX, S_IRWXU, S_IRUSR, S_IWUSR, S_IXUSR, S_IRWXG, S_IRGRP, S_IWGRP, S_IXGRP, S_IRWXO, S_IROTH, S_IWOTH, S_IXOTH, STATX_TYPE, STATX_MODE, STATX_NLINK, STATX_UID, STATX_GID, STATX_ATIME, STATX_MTIME, STATX_CTIME, STATX_INO, STATX_SIZE, STATX_BLOCKS, STATX_BASIC_STATS, STATX_BTIME, STATX_MNT_ID, STATX_DIOALIGN);
}

#[test]
fn wait() {
    same!(wait: WNOHANG, WUNTRACED, WSTOPPED, WEXITED, WCONTINUED, WNOWAIT, __WNOTHREAD, __WALL, __WCLONE, P_ALL, P_PID, P_PGID, P_PIDFD);
}

#[test]
fn clone() {
    same!(clone: CSIGNAL, CLONE_NEWTIME, CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT, CLONE_THREAD, CLONE_NEWNS, CLONE_SYSVSEM, CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_DETACHED, CLONE_UNTRACED, CLONE_CHILD_SETTID, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_IO);
}

#[test]
fn futex() {
    same!(futex: FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP, FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2, FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME, FUTEX_BITSET_MATCH_ANY, FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK);
}

#[test]
fn time() {
    same!(time: CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI, TIMER_ABSTIME, ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF);
}

#[test]
fn resource() {
    same!(resource: RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD, RLIM_INFINITY, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_LOCKS, RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_RTTIME);
}

#[test]
fn termios() {
    same!(termios: TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCGWINSZ, TIOCSWINSZ, FIONREAD, TIOCNOTTY, FIONBIO, TCGETS2, TCSETS2, FIOCLEX, FIONCLEX, VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP, VSUSP, VEOL, VREPRINT, VDISCARD, VWERASE, VLNEXT, VEOL2, IGNBRK, BRKINT, IGNPAR, PARMRK, INPCK, ISTRIP, INLCR, IGNCR, ICRNL, IXON, IXANY, IXOFF, IMAXBEL, IUTF8, OPOST, ONLCR, CSIZE, CS8, CSTOPB, CREAD, PARENB, HUPCL, CLOCAL, CBAUD, B38400, ISIG, ICANON, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH, TOSTOP, ECHOCTL, ECHOKE, IEXTEN);
}

#[test]
fn uio() {
    same!(uio: UIO_MAXIOV);
}

#[test]
fn poll() {
    same!(poll: POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLRDHUP);
}

#[test]
fn dirent() {
    same!(dirent: DT_UNKNOWN, DT_FIFO, DT_CHR, DT_DIR, DT_BLK, DT_REG, DT_LNK, DT_SOCK);
}

#[test]
fn utsname() {
    same!(utsname: );
}

#[test]
fn sysinfo() {
    same!(sysinfo: SI_LOAD_SHIFT);
}

#[test]
fn prctl() {
    same!(prctl: );
}

#[test]
fn signal() {
    same!(signal: SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGIOT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPOLL, SIGPWR, SIGSYS, SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, SIG_DFL, SIG_IGN, SIG_ERR, SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND, SS_ONSTACK, SS_DISABLE, MINSIGSTKSZ, SIGSTKSZ, SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_MESGQ, SI_ASYNCIO, SI_SIGIO, SI_TKILL, SI_DETHREAD, SI_ASYNCNL, BUS_ADRALN, BUS_ADRERR, BUS_OBJERR, BUS_MCEERR_AR, BUS_MCEERR_AO, TRAP_BRKPT, TRAP_TRACE, TRAP_BRANCH, TRAP_HWBKPT, TRAP_UNK, CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED);
}

#[test]
fn ucontext() {
    same!(ucontext: );
}

/// Constants that glibc defines differently from the kernel, or that the `libc` crate lacks:
/// the expectations come from the Linux headers named.
#[test]
fn kernel_only() {
    use abi::{
        clone::*, fcntl::*, futex::*, mman::*, prctl::*, signal::*, termios::*, ucontext::*,
        uio::*, wait::*,
    };
    // asm-generic/fcntl.h: glibc defines O_LARGEFILE as 0 on x86_64, where it changes nothing;
    // the kernel sets this bit on every 64-bit open.
    assert_eq!(O_LARGEFILE, 0o100000);
    assert_eq!(O_SYNC, __O_SYNC | O_DSYNC);
    assert_eq!(O_TMPFILE, __O_TMPFILE | O_DIRECTORY);
    assert_eq!(FASYNC, 0o20000);
    assert_eq!(
        (F_SETSIG, F_GETSIG, F_SETOWN_EX, F_GETOWN_EX),
        (10, 11, 15, 16)
    );
    // asm/signal.h: the kernel's real-time signals start at 32 and its sigset holds 64 signals;
    // glibc's SIGRTMIN() is 34 (it keeps two for threads) and its NSIG is 65.
    assert_eq!((SIGRTMIN, SIGRTMAX, NSIG), (32, 64, 64));
    assert_eq!(libc::SIGRTMAX(), SIGRTMAX);
    assert!(libc::SIGRTMIN() >= SIGRTMIN);
    assert_eq!(UNBLOCKABLE, (1 << 8) | (1 << 18));
    assert_eq!(SA_RESTORER, 0x0400_0000);
    assert_eq!((SA_UNSUPPORTED, SA_EXPOSE_TAGBITS), (0x400, 0x800));
    assert_eq!((SA_NOMASK, SA_ONESHOT), (SA_NODEFER, SA_RESETHAND));
    assert_eq!(SS_AUTODISARM as u32, 1 << 31);
    // asm-generic/siginfo.h.
    assert_eq!(
        (
            SEGV_MAPERR,
            SEGV_ACCERR,
            SEGV_BNDERR,
            SEGV_PKUERR,
            SEGV_CPERR
        ),
        (1, 2, 3, 4, 10)
    );
    assert_eq!(
        [
            ILL_ILLOPC, ILL_ILLOPN, ILL_ILLADR, ILL_ILLTRP, ILL_PRVOPC, ILL_PRVREG, ILL_COPROC
        ],
        [1, 2, 3, 4, 5, 6, 7]
    );
    assert_eq!((ILL_BADSTK, ILL_BADIADDR), (8, 9));
    assert_eq!(
        [
            FPE_INTDIV, FPE_INTOVF, FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTINV,
            FPE_FLTSUB
        ],
        [1, 2, 3, 4, 5, 6, 7, 8]
    );
    assert_eq!((FPE_FLTUNK, FPE_CONDTRAP), (14, 15));
    assert_eq!(
        [POLL_IN, POLL_OUT, POLL_MSG, POLL_ERR, POLL_PRI, POLL_HUP],
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(SYS_SECCOMP, 1);
    // asm-generic/mman-common.h.
    assert_eq!(
        (PROT_SEM, MAP_UNINITIALIZED, MAP_FAILED),
        (0x8, 0x400_0000, u64::MAX)
    );
    // linux/sched.h: the two clone3-only flags need 64 bits; libc's c_int versions overflow.
    assert_eq!((CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP), (1 << 32, 1 << 33));
    assert_eq!(
        (
            CLONE_ARGS_SIZE_VER0,
            CLONE_ARGS_SIZE_VER1,
            CLONE_ARGS_SIZE_VER2
        ),
        (64, 80, 88)
    );
    assert_eq!(
        CLONE_ARGS_SIZE_VER2,
        size_of::<abi::clone::clone_args>() as u64
    );
    // linux/futex.h: FUTEX_CMD_MASK is ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME); the libc
    // crate's value also clears bits 9 and 10.
    assert_eq!(FUTEX_CMD_MASK as i64, -385);
    assert_eq!(FUTEX_WAIT_PRIVATE, 128);
    assert_eq!(FUTEX_WAKE_PRIVATE, 129);
    assert_eq!(FUTEX_WAIT_BITSET_PRIVATE, 137);
    assert_eq!(ROBUST_LIST_LIMIT, 2048);
    // asm/prctl.h.
    assert_eq!(
        (ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS),
        (0x1001, 0x1002, 0x1003, 0x1004)
    );
    // asm/sigcontext.h, asm/ucontext.h.
    assert_eq!(
        (FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2),
        (0x4650_5853, 0x4650_5845)
    );
    assert_eq!(
        (UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS),
        (1, 2, 4)
    );
    // asm-generic/termbits.h: the kernel's termios has 19 control characters, glibc's 32.
    assert_eq!(NCCS, 19);
    assert_eq!(libc::NCCS, 32);
    // linux/uio.h.
    assert_eq!(IOV_MAX, 1024);
    // kernel/exit.c's encoding.
    assert_eq!((WCOREFLAG, W_CONTINUED), (0x80, 0xffff));
}

#[test]
fn prctl_and_random() {
    same!(prctl: PR_SET_NAME, PR_GET_NAME);
    same!(random: GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE);
}

#[test]
fn socket() {
    same!(socket: AF_UNSPEC, AF_UNIX, AF_LOCAL, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_DCCP, SOCK_NONBLOCK, SOCK_CLOEXEC, SOL_SOCKET, SO_DEBUG, SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_DONTROUTE, SO_BROADCAST, SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE, SO_OOBINLINE, SO_REUSEPORT, SO_RCVTIMEO, SO_SNDTIMEO, SO_PASSCRED, SO_PEERCRED, SO_RCVLOWAT, SO_SNDLOWAT, SO_ACCEPTCONN, SO_SNDBUFFORCE, SO_RCVBUFFORCE, SO_PROTOCOL, SO_DOMAIN, SCM_RIGHTS, SCM_CREDENTIALS, MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_CTRUNC, MSG_TRUNC, MSG_DONTWAIT, MSG_EOR, MSG_WAITALL, MSG_NOSIGNAL, MSG_CMSG_CLOEXEC, SHUT_RD, SHUT_WR, SHUT_RDWR);
    // CMSG_LEN and CMSG_SPACE as the C library computes them.
    for len in [0u32, 4, 12, 13, 1012] {
        assert_eq!(
            abi::socket::cmsg_len(len as u64),
            unsafe { libc::CMSG_LEN(len) } as u64
        );
        assert_eq!(
            abi::socket::cmsg_space(len as u64),
            unsafe { libc::CMSG_SPACE(len) } as u64
        );
    }
}
