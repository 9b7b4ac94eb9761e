//! Waiting for children: `wait4`/`waitid` options and id types, and the wait status `wait4` stores.
//!
//! Options and id types from `include/uapi/linux/wait.h`. The status encoding is the kernel's
//! (`kernel/exit.c`: `(code << 8)` for an exit, the signal number for a kill, `0x80` for a core
//! dump, `(sig << 8) | 0x7f` for a stop, `0xffff` for a continue), which C libraries decode with
//! the `W*` macros of `sys/wait.h` mirrored below.

// wait4 / waitid options.
/// Return at once if no child has changed state.
pub const WNOHANG: u64 = 0x0000_0001;
/// Also report stopped children.
pub const WUNTRACED: u64 = 0x0000_0002;
/// waitid: report stopped children.
pub const WSTOPPED: u64 = WUNTRACED;
/// waitid: report children that exited.
pub const WEXITED: u64 = 0x0000_0004;
/// Also report children continued by SIGCONT.
pub const WCONTINUED: u64 = 0x0000_0008;
/// waitid: leave the child waitable.
pub const WNOWAIT: u64 = 0x0100_0000;
/// Only this thread's children, not its thread group's.
pub const __WNOTHREAD: u64 = 0x2000_0000;
/// Children of any kind, clone or not.
pub const __WALL: u64 = 0x4000_0000;
/// Only "clone" children (those whose exit signal is not SIGCHLD).
pub const __WCLONE: u64 = 0x8000_0000;

// waitid id types.
pub const P_ALL: u64 = 0;
pub const P_PID: u64 = 1;
pub const P_PGID: u64 = 2;
pub const P_PIDFD: u64 = 3;

/// The status of a child that called `exit(code)`.
pub const fn w_exitcode(code: i32) -> i32 {
    (code & 0xff) << 8
}

/// The status of a child killed by `sig`, with or without a core dump.
pub const fn w_termsig(sig: i32, core_dumped: bool) -> i32 {
    (sig & 0x7f) | if core_dumped { WCOREFLAG } else { 0 }
}

/// The status of a child stopped by `sig`.
pub const fn w_stopcode(sig: i32) -> i32 {
    ((sig & 0xff) << 8) | 0x7f
}

/// The status of a child continued by SIGCONT.
pub const W_CONTINUED: i32 = 0xffff;
/// The core-dump bit of a killed child's status.
pub const WCOREFLAG: i32 = 0x80;

/// The child exited normally.
pub const fn wifexited(status: i32) -> bool {
    status & 0x7f == 0
}

/// The exit code of a child that exited (`WEXITSTATUS`).
pub const fn wexitstatus(status: i32) -> i32 {
    (status >> 8) & 0xff
}

/// The child was killed by a signal.
pub const fn wifsignaled(status: i32) -> bool {
    let sig = status & 0x7f;
    sig != 0 && sig != 0x7f
}

/// The signal that killed the child (`WTERMSIG`); 0 if it exited normally.
pub const fn wtermsig(status: i32) -> i32 {
    status & 0x7f
}

/// The killed child dumped core.
pub const fn wcoredump(status: i32) -> bool {
    status & WCOREFLAG != 0
}

/// The child is stopped.
pub const fn wifstopped(status: i32) -> bool {
    status & 0xff == 0x7f
}

/// The signal that stopped the child.
pub const fn wstopsig(status: i32) -> i32 {
    wexitstatus(status)
}

/// The child was continued.
pub const fn wifcontinued(status: i32) -> bool {
    status == W_CONTINUED
}
