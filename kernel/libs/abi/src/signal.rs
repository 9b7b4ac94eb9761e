//! Signals: numbers, the kernel's `sigset_t`, `sigaction`, `siginfo` and `stack_t`, and the
//! `si_code` values that say why a signal was sent.
//!
//! From `arch/x86/include/uapi/asm/signal.h` (numbers, `SA_*`, `MINSIGSTKSZ`),
//! `include/uapi/asm-generic/signal-defs.h` (`SIG_DFL`, `SIG_BLOCK`, ...),
//! `include/uapi/asm-generic/siginfo.h` (`siginfo`, `si_code`s) and
//! `include/linux/signal_types.h` / `arch/x86/include/asm/signal.h` (the kernel's `sigaction`).
//!
//! # The kernel's structs are not the C library's
//!
//! The kernel's `sigset_t` is one 64-bit word (signals 1..=64), and its `struct sigaction` is
//! handler, flags, restorer, mask: 32 bytes. glibc's `sigset_t` is 128 bytes and its `sigaction`
//! orders the fields differently (152 bytes); `rt_sigaction` takes the kernel's layout and the size
//! of the mask (8) as its last argument, and the C library translates. [`sigaction`] here is the
//! kernel's. `siginfo` (128 bytes) and `stack_t` are the same on both sides.
//!
//! Signal numbers are `i32`, C's `int`, the type they have in `siginfo`, in wait statuses and in
//! exit statuses (128 + signal).

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGABRT: i32 = 6;
pub const SIGIOT: i32 = 6;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGKILL: i32 = 9;
pub const SIGUSR1: i32 = 10;
pub const SIGSEGV: i32 = 11;
pub const SIGUSR2: i32 = 12;
pub const SIGPIPE: i32 = 13;
pub const SIGALRM: i32 = 14;
pub const SIGTERM: i32 = 15;
pub const SIGSTKFLT: i32 = 16;
pub const SIGCHLD: i32 = 17;
pub const SIGCONT: i32 = 18;
pub const SIGSTOP: i32 = 19;
pub const SIGTSTP: i32 = 20;
pub const SIGTTIN: i32 = 21;
pub const SIGTTOU: i32 = 22;
pub const SIGURG: i32 = 23;
pub const SIGXCPU: i32 = 24;
pub const SIGXFSZ: i32 = 25;
pub const SIGVTALRM: i32 = 26;
pub const SIGPROF: i32 = 27;
pub const SIGWINCH: i32 = 28;
pub const SIGIO: i32 = 29;
pub const SIGPOLL: i32 = SIGIO;
pub const SIGPWR: i32 = 30;
pub const SIGSYS: i32 = 31;
/// The first real-time signal as the kernel counts (glibc reserves 32 and 33 for itself, so its
/// `SIGRTMIN()` is 34).
pub const SIGRTMIN: i32 = 32;
/// The last real-time signal, and the highest signal number.
pub const SIGRTMAX: i32 = 64;
/// The number of signals the kernel's `sigset_t` holds (its `_NSIG`; glibc's `NSIG` is one more).
pub const NSIG: i32 = 64;

/// The signal's name (`"SIGSEGV"`); `SIGRTMIN` and above are `"SIGRT"`; `None` outside 1..=64.
pub const fn name(sig: i32) -> Option<&'static str> {
    Some(match sig {
        SIGHUP => "SIGHUP",
        SIGINT => "SIGINT",
        SIGQUIT => "SIGQUIT",
        SIGILL => "SIGILL",
        SIGTRAP => "SIGTRAP",
        SIGABRT => "SIGABRT",
        SIGBUS => "SIGBUS",
        SIGFPE => "SIGFPE",
        SIGKILL => "SIGKILL",
        SIGUSR1 => "SIGUSR1",
        SIGSEGV => "SIGSEGV",
        SIGUSR2 => "SIGUSR2",
        SIGPIPE => "SIGPIPE",
        SIGALRM => "SIGALRM",
        SIGTERM => "SIGTERM",
        SIGSTKFLT => "SIGSTKFLT",
        SIGCHLD => "SIGCHLD",
        SIGCONT => "SIGCONT",
        SIGSTOP => "SIGSTOP",
        SIGTSTP => "SIGTSTP",
        SIGTTIN => "SIGTTIN",
        SIGTTOU => "SIGTTOU",
        SIGURG => "SIGURG",
        SIGXCPU => "SIGXCPU",
        SIGXFSZ => "SIGXFSZ",
        SIGVTALRM => "SIGVTALRM",
        SIGPROF => "SIGPROF",
        SIGWINCH => "SIGWINCH",
        SIGIO => "SIGIO",
        SIGPWR => "SIGPWR",
        SIGSYS => "SIGSYS",
        SIGRTMIN..=SIGRTMAX => "SIGRT",
        _ => return None,
    })
}

/// What the signal means, as glibc's `strsignal` says it (`"Segmentation fault"`), for 1..=31.
pub const fn description(sig: i32) -> Option<&'static str> {
    Some(match sig {
        SIGHUP => "Hangup",
        SIGINT => "Interrupt",
        SIGQUIT => "Quit",
        SIGILL => "Illegal instruction",
        SIGTRAP => "Trace/breakpoint trap",
        SIGABRT => "Aborted",
        SIGBUS => "Bus error",
        SIGFPE => "Floating point exception",
        SIGKILL => "Killed",
        SIGUSR1 => "User defined signal 1",
        SIGSEGV => "Segmentation fault",
        SIGUSR2 => "User defined signal 2",
        SIGPIPE => "Broken pipe",
        SIGALRM => "Alarm clock",
        SIGTERM => "Terminated",
        SIGSTKFLT => "Stack fault",
        SIGCHLD => "Child exited",
        SIGCONT => "Continued",
        SIGSTOP => "Stopped (signal)",
        SIGTSTP => "Stopped",
        SIGTTIN => "Stopped (tty input)",
        SIGTTOU => "Stopped (tty output)",
        SIGURG => "Urgent I/O condition",
        SIGXCPU => "CPU time limit exceeded",
        SIGXFSZ => "File size limit exceeded",
        SIGVTALRM => "Virtual timer expired",
        SIGPROF => "Profiling timer expired",
        SIGWINCH => "Window changed",
        SIGIO => "I/O possible",
        SIGPWR => "Power failure",
        SIGSYS => "Bad system call",
        _ => return None,
    })
}

/// The kernel's signal set: bit `sig - 1` for signal `sig` (`asm/signal.h`: one `unsigned long`).
pub type sigset_t = u64;

/// The set holding only `sig` (the kernel's `sigmask()`); `sig` must be in 1..=64.
pub const fn sigmask(sig: i32) -> sigset_t {
    1 << (sig - 1)
}

/// Whether `set` holds `sig` (`sigismember`).
pub const fn sigismember(set: sigset_t, sig: i32) -> bool {
    set & sigmask(sig) != 0
}

/// `set` with `sig` added (`sigaddset`).
pub const fn sigaddset(set: sigset_t, sig: i32) -> sigset_t {
    set | sigmask(sig)
}

/// `set` without `sig` (`sigdelset`).
pub const fn sigdelset(set: sigset_t, sig: i32) -> sigset_t {
    set & !sigmask(sig)
}

/// The signals no mask can block and no handler can catch: `rt_sigprocmask` and `rt_sigaction`
/// silently drop them from a mask (`include/linux/signal.h`).
pub const UNBLOCKABLE: sigset_t = sigmask(SIGKILL) | sigmask(SIGSTOP);

// `rt_sigprocmask` `how` (asm-generic/signal-defs.h).
pub const SIG_BLOCK: u64 = 0;
pub const SIG_UNBLOCK: u64 = 1;
pub const SIG_SETMASK: u64 = 2;

// Special handlers (asm-generic/signal-defs.h), as `sigaction::sa_handler` values.
/// The default action.
pub const SIG_DFL: u64 = 0;
/// Ignore the signal.
pub const SIG_IGN: u64 = 1;
/// What `signal()` returns on error (`(void (*)(int)) -1`).
pub const SIG_ERR: u64 = u64::MAX;

// `sa_flags` (arch/x86/include/uapi/asm/signal.h).
/// SIGCHLD: no notification when a child stops or continues.
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
/// SIGCHLD: children do not become zombies.
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
/// The handler takes `(sig, siginfo *, ucontext *)`.
pub const SA_SIGINFO: u64 = 0x0000_0004;
/// Lets a program find out which flags the kernel knows (Linux 5.11).
pub const SA_UNSUPPORTED: u64 = 0x0000_0400;
/// Keep the tag bits of the fault address (Linux 5.11; arm64).
pub const SA_EXPOSE_TAGBITS: u64 = 0x0000_0800;
/// `sa_restorer` is valid: the return address of the handler (x86_64 requires it).
pub const SA_RESTORER: u64 = 0x0400_0000;
/// Run the handler on the alternate stack (`sigaltstack`).
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// Restart interrupted system calls instead of failing them with EINTR.
pub const SA_RESTART: u64 = 0x1000_0000;
/// Do not block the signal while its handler runs.
pub const SA_NODEFER: u64 = 0x4000_0000;
/// Reset the handler to `SIG_DFL` when it is called.
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SA_NOMASK: u64 = SA_NODEFER;
pub const SA_ONESHOT: u64 = SA_RESETHAND;

// `stack_t::ss_flags` (include/uapi/linux/signal.h).
/// Returned by `sigaltstack`: the process is running on the alternate stack.
pub const SS_ONSTACK: i32 = 1;
/// No alternate stack.
pub const SS_DISABLE: i32 = 2;
/// Disarm the alternate stack while a handler runs on it (Linux 4.7).
pub const SS_AUTODISARM: i32 = 1 << 31;

/// The smallest alternate stack `sigaltstack` accepts on x86_64.
pub const MINSIGSTKSZ: u64 = 2048;
/// The usual alternate stack size.
pub const SIGSTKSZ: u64 = 8192;

/// The kernel's `struct sigaction`, as `rt_sigaction` reads and writes it
/// (`include/linux/signal_types.h`, with x86_64's `SA_RESTORER` field): 32 bytes. Not glibc's
/// `struct sigaction`, which has a 128-byte mask before the flags.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sigaction {
    /// The handler's address, or [`SIG_DFL`] / [`SIG_IGN`].
    pub sa_handler: u64,
    /// `SA_*` flags.
    pub sa_flags: u64,
    /// Where the handler returns to: the C library's trampoline that calls `rt_sigreturn`.
    pub sa_restorer: u64,
    /// Signals blocked while the handler runs (besides the signal itself, unless `SA_NODEFER`).
    pub sa_mask: sigset_t,
}
layout!(sigaction, 32; sa_handler = 0, sa_flags = 8, sa_restorer = 16, sa_mask = 24);

/// An alternate signal stack (`stack_t`, `include/uapi/asm-generic/signal.h`): `sigaltstack`'s
/// argument and `ucontext::uc_stack`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct stack_t {
    /// The stack's lowest address.
    pub ss_sp: u64,
    /// [`SS_ONSTACK`], [`SS_DISABLE`], [`SS_AUTODISARM`].
    pub ss_flags: i32,
    pub ss_size: u64,
}
layout!(stack_t, 24; ss_sp = 0, ss_flags = 8, ss_size = 16);

/// What a signal carries (`siginfo_t`, `include/uapi/asm-generic/siginfo.h`): 128 bytes, the same
/// for the kernel and the C library. Which member of [`sifields`] is valid depends on the signal
/// and `si_code`: a fault ([`sifields::sigfault`]: SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP), a
/// `kill` ([`sifields::kill`]: `SI_USER`, `SI_TKILL`), a child ([`sifields::sigchld`]: SIGCHLD
/// with a `CLD_*` code), and so on.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct siginfo {
    pub si_signo: i32,
    /// An errno value, for the few signals that have one; usually 0.
    pub si_errno: i32,
    /// Why the signal was sent: `SI_*`, or a signal-specific code (`SEGV_MAPERR`, `CLD_EXITED`...).
    pub si_code: i32,
    /// Padding: the union is 8-byte aligned.
    pub _pad: i32,
    pub fields: sifields,
}
layout!(siginfo, 128; si_signo = 0, si_errno = 4, si_code = 8, fields = 16);

/// The signal-specific part of [`siginfo`] (`_sifields`): 112 bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub union sifields {
    pub kill: sifields_kill,
    pub timer: sifields_timer,
    pub rt: sifields_rt,
    pub sigchld: sifields_sigchld,
    pub sigfault: sifields_sigfault,
    pub sigpoll: sifields_sigpoll,
    pub sigsys: sifields_sigsys,
    /// The whole union, for zeroing and copying.
    pub raw: [u64; 14],
}
layout!(sifields, 112;);

/// `kill`, `tkill`, `tgkill` (`SI_USER`, `SI_TKILL`): who sent it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sifields_kill {
    pub si_pid: i32,
    pub si_uid: u32,
}

/// POSIX timers (`SI_TIMER`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sifields_timer {
    pub si_tid: i32,
    pub si_overrun: i32,
    /// The `sigval` given to `timer_create` (an int or a pointer).
    pub si_value: u64,
}
layout!(sifields_timer, 16; si_tid = 0, si_overrun = 4, si_value = 8);

/// `rt_sigqueueinfo`, POSIX message queues (`SI_QUEUE`, `SI_MESGQ`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sifields_rt {
    pub si_pid: i32,
    pub si_uid: u32,
    pub si_value: u64,
}
layout!(sifields_rt, 16; si_pid = 0, si_uid = 4, si_value = 8);

/// SIGCHLD (`CLD_*`): which child, and what happened to it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sifields_sigchld {
    pub si_pid: i32,
    pub si_uid: u32,
    /// The exit code (`CLD_EXITED`) or the signal (otherwise): not a wait status.
    pub si_status: i32,
    /// User and system CPU time, in clock ticks (`clock_t`).
    pub si_utime: i64,
    pub si_stime: i64,
}
layout!(sifields_sigchld, 32; si_pid = 0, si_uid = 4, si_status = 8, si_utime = 16, si_stime = 24);

/// Faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP): the address. The fields after it belong to
/// particular codes: `si_addr_lsb` to `BUS_MCEERR_*`, `si_lower`/`si_upper` to `SEGV_BNDERR`, and
/// `si_pkey` (which shares `si_lower`'s place) to `SEGV_PKUERR`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sifields_sigfault {
    /// The faulting address (for SIGILL and SIGFPE, the instruction's).
    pub si_addr: u64,
    pub si_addr_lsb: i16,
    pub _pad: [u16; 3],
    /// `si_lower`, or `si_pkey` in its low 32 bits.
    pub si_lower: u64,
    pub si_upper: u64,
}
layout!(sifields_sigfault, 32; si_addr = 0, si_addr_lsb = 8, si_lower = 16, si_upper = 24);

/// SIGIO/SIGPOLL (`POLL_*`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sifields_sigpoll {
    pub si_band: i64,
    pub si_fd: i32,
}
layout!(sifields_sigpoll, 16; si_band = 0, si_fd = 8);

/// SIGSYS from seccomp (`SYS_SECCOMP`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sifields_sigsys {
    pub call_addr: u64,
    pub syscall: i32,
    /// The `AUDIT_ARCH_*` of the call.
    pub arch: u32,
}
layout!(sifields_sigsys, 16; call_addr = 0, syscall = 8, arch = 12);

impl siginfo {
    /// A siginfo of all zeros but the three common fields.
    pub const fn new(signo: i32, code: i32) -> Self {
        Self {
            si_signo: signo,
            si_errno: 0,
            si_code: code,
            _pad: 0,
            fields: sifields { raw: [0; 14] },
        }
    }

    /// A fault at `addr` (`force_sig_fault`): SIGSEGV with `SEGV_MAPERR`, SIGBUS with `BUS_ADRERR`...
    pub const fn fault(signo: i32, code: i32, addr: u64) -> Self {
        let mut info = Self::new(signo, code);
        info.fields.sigfault = sifields_sigfault {
            si_addr: addr,
            si_addr_lsb: 0,
            _pad: [0; 3],
            si_lower: 0,
            si_upper: 0,
        };
        info
    }

    /// A signal sent by `kill` (`SI_USER`) or `tkill`/`tgkill` (`SI_TKILL`) from `pid`.
    pub const fn kill(signo: i32, code: i32, pid: i32, uid: u32) -> Self {
        let mut info = Self::new(signo, code);
        info.fields.kill = sifields_kill {
            si_pid: pid,
            si_uid: uid,
        };
        info
    }

    /// A signal queued with `rt_sigqueueinfo` (`SI_QUEUE` and the other negative codes a process
    /// may use), carrying the sender's `sigval`.
    pub const fn queued(signo: i32, code: i32, pid: i32, uid: u32, value: u64) -> Self {
        let mut info = Self::new(signo, code);
        info.fields.rt = sifields_rt {
            si_pid: pid,
            si_uid: uid,
            si_value: value,
        };
        info
    }

    /// A POSIX timer's signal (`SI_TIMER`): the timer's id, the expirations missed while it
    /// was pending, and the `sigval` given to `timer_create`.
    pub const fn timer(signo: i32, id: i32, overrun: i32, value: u64) -> Self {
        let mut info = Self::new(signo, SI_TIMER);
        info.fields.timer = sifields_timer {
            si_tid: id,
            si_overrun: overrun,
            si_value: value,
        };
        info
    }

    /// SIGCHLD for a child that exited, was killed, stopped or continued (`CLD_*`); `status` is
    /// the exit code or the signal number.
    pub const fn child(code: i32, pid: i32, uid: u32, status: i32, utime: i64, stime: i64) -> Self {
        let mut info = Self::new(SIGCHLD, code);
        info.fields.sigchld = sifields_sigchld {
            si_pid: pid,
            si_uid: uid,
            si_status: status,
            si_utime: utime,
            si_stime: stime,
        };
        info
    }
}

impl core::fmt::Debug for siginfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("siginfo")
            .field("si_signo", &self.si_signo)
            .field("si_errno", &self.si_errno)
            .field("si_code", &self.si_code)
            // SAFETY: every bit pattern is a valid `[u64; 14]`.
            .field("fields", unsafe { &self.fields.raw })
            .finish()
    }
}

// `si_code` values for any signal (asm-generic/siginfo.h). Positive codes are the kernel's; zero
// and negative ones say a process sent the signal.
/// Sent by `kill`.
pub const SI_USER: i32 = 0;
/// Sent by the kernel.
pub const SI_KERNEL: i32 = 0x80;
/// Sent by `sigqueue`.
pub const SI_QUEUE: i32 = -1;
/// A POSIX timer expired.
pub const SI_TIMER: i32 = -2;
/// A POSIX message queue changed state.
pub const SI_MESGQ: i32 = -3;
/// Asynchronous I/O completed.
pub const SI_ASYNCIO: i32 = -4;
/// Queued SIGIO.
pub const SI_SIGIO: i32 = -5;
/// Sent by `tkill` or `tgkill`.
pub const SI_TKILL: i32 = -6;
/// Sent by `execve` killing the other threads.
pub const SI_DETHREAD: i32 = -7;
/// Asynchronous name lookup completed.
pub const SI_ASYNCNL: i32 = -60;

// SIGILL codes.
pub const ILL_ILLOPC: i32 = 1;
pub const ILL_ILLOPN: i32 = 2;
pub const ILL_ILLADR: i32 = 3;
pub const ILL_ILLTRP: i32 = 4;
pub const ILL_PRVOPC: i32 = 5;
pub const ILL_PRVREG: i32 = 6;
pub const ILL_COPROC: i32 = 7;
pub const ILL_BADSTK: i32 = 8;
pub const ILL_BADIADDR: i32 = 9;

// SIGFPE codes.
pub const FPE_INTDIV: i32 = 1;
pub const FPE_INTOVF: i32 = 2;
pub const FPE_FLTDIV: i32 = 3;
pub const FPE_FLTOVF: i32 = 4;
pub const FPE_FLTUND: i32 = 5;
pub const FPE_FLTRES: i32 = 6;
pub const FPE_FLTINV: i32 = 7;
pub const FPE_FLTSUB: i32 = 8;
pub const FPE_FLTUNK: i32 = 14;
pub const FPE_CONDTRAP: i32 = 15;

// SIGSEGV codes.
/// No mapping at the address.
pub const SEGV_MAPERR: i32 = 1;
/// The mapping forbids the access.
pub const SEGV_ACCERR: i32 = 2;
pub const SEGV_BNDERR: i32 = 3;
/// Protection-key violation.
pub const SEGV_PKUERR: i32 = 4;
/// Control-protection (shadow stack) fault.
pub const SEGV_CPERR: i32 = 10;

// SIGBUS codes.
pub const BUS_ADRALN: i32 = 1;
/// The address is mapped but has no backing (a file page beyond the end of the file).
pub const BUS_ADRERR: i32 = 2;
pub const BUS_OBJERR: i32 = 3;
pub const BUS_MCEERR_AR: i32 = 4;
pub const BUS_MCEERR_AO: i32 = 5;

// SIGTRAP codes.
pub const TRAP_BRKPT: i32 = 1;
pub const TRAP_TRACE: i32 = 2;
pub const TRAP_BRANCH: i32 = 3;
pub const TRAP_HWBKPT: i32 = 4;
pub const TRAP_UNK: i32 = 5;

// SIGCHLD codes.
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_TRAPPED: i32 = 4;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

// SIGPOLL codes.
pub const POLL_IN: i32 = 1;
pub const POLL_OUT: i32 = 2;
pub const POLL_MSG: i32 = 3;
pub const POLL_ERR: i32 = 4;
pub const POLL_PRI: i32 = 5;
pub const POLL_HUP: i32 = 6;

// SIGSYS codes.
pub const SYS_SECCOMP: i32 = 1;

layout!(sifields_kill, 8; si_pid = 0, si_uid = 4);

/// How a POSIX timer tells its expiry (`struct sigevent`, `timer_create`): `sigev_notify` is one
/// of the `SIGEV_*`; the 48-byte union holds the target thread for `SIGEV_THREAD_ID` (the C
/// library's `SIGEV_THREAD` function and attributes are its own business).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct sigevent {
    pub sigev_value: u64,
    pub sigev_signo: i32,
    pub sigev_notify: i32,
    pub sigev_notify_thread_id: i32,
    pub _pad: [i32; 11],
}
layout!(sigevent, 64; sigev_value = 0, sigev_signo = 8, sigev_notify = 12, sigev_notify_thread_id = 16);

/// `sigev_notify`: send the signal to the process.
pub const SIGEV_SIGNAL: i32 = 0;
/// No notification (the timer is read with `timer_gettime`).
pub const SIGEV_NONE: i32 = 1;
/// The C library runs a function in a thread; the kernel sends the signal as for `SIGEV_SIGNAL`.
pub const SIGEV_THREAD: i32 = 2;
/// Send the signal to the thread `sigev_notify_thread_id` (or-ed with `SIGEV_SIGNAL`).
pub const SIGEV_THREAD_ID: i32 = 4;
