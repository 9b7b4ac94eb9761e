//! Creating processes and threads: `clone`'s flags and `clone3`'s `struct clone_args`.
//!
//! From `include/uapi/linux/sched.h`. For `clone` the low byte of the flags ([`CSIGNAL`]) is the
//! signal sent to the parent when the child exits (SIGCHLD for a fork); `clone3` has a separate
//! `exit_signal` field instead.

/// The exit-signal byte of `clone`'s flags.
pub const CSIGNAL: u64 = 0x0000_00ff;
/// New time namespace (`clone3` and `unshare` only: in `clone`'s flags the bit is part of
/// [`CSIGNAL`]).
pub const CLONE_NEWTIME: u64 = 0x0000_0080;
/// Share the address space (a thread).
pub const CLONE_VM: u64 = 0x0000_0100;
pub const CLONE_FS: u64 = 0x0000_0200;
pub const CLONE_FILES: u64 = 0x0000_0400;
pub const CLONE_SIGHAND: u64 = 0x0000_0800;
pub const CLONE_PIDFD: u64 = 0x0000_1000;
pub const CLONE_PTRACE: u64 = 0x0000_2000;
/// The parent sleeps until the child execs or exits.
pub const CLONE_VFORK: u64 = 0x0000_4000;
pub const CLONE_PARENT: u64 = 0x0000_8000;
/// Same thread group (a thread, with `CLONE_VM | CLONE_SIGHAND`).
pub const CLONE_THREAD: u64 = 0x0001_0000;
pub const CLONE_NEWNS: u64 = 0x0002_0000;
pub const CLONE_SYSVSEM: u64 = 0x0004_0000;
/// Set the child's FS base (its TLS) from the `tls` argument.
pub const CLONE_SETTLS: u64 = 0x0008_0000;
/// Store the child's tid at `parent_tid` in the parent.
pub const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
/// Clear `child_tid` and wake a futex there when the child exits (`set_tid_address`).
pub const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
/// Ignored (historical).
pub const CLONE_DETACHED: u64 = 0x0040_0000;
pub const CLONE_UNTRACED: u64 = 0x0080_0000;
/// Store the child's tid at `child_tid` in the child.
pub const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
pub const CLONE_NEWCGROUP: u64 = 0x0200_0000;
pub const CLONE_NEWUTS: u64 = 0x0400_0000;
pub const CLONE_NEWIPC: u64 = 0x0800_0000;
pub const CLONE_NEWUSER: u64 = 0x1000_0000;
pub const CLONE_NEWPID: u64 = 0x2000_0000;
pub const CLONE_NEWNET: u64 = 0x4000_0000;
pub const CLONE_IO: u64 = 0x8000_0000;
/// clone3: reset the child's handlers to the default.
pub const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
/// clone3: start the child in the cgroup `cgroup` names.
pub const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// `clone3`'s argument (Linux 5.3; 88 bytes since 5.7). The caller passes its size, so that older
/// and newer layouts can be told apart: [`CLONE_ARGS_SIZE_VER0`] ends after `tls`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct clone_args {
    pub flags: u64,
    /// Where to store a pidfd (`CLONE_PIDFD`).
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    /// The lowest address of the child's stack (not its top, unlike `clone`).
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}
layout!(clone_args, 88;
    flags = 0, pidfd = 8, child_tid = 16, parent_tid = 24, exit_signal = 32, stack = 40,
    stack_size = 48, tls = 56, set_tid = 64, set_tid_size = 72, cgroup = 80,
);

pub const CLONE_ARGS_SIZE_VER0: u64 = 64;
pub const CLONE_ARGS_SIZE_VER1: u64 = 80;
pub const CLONE_ARGS_SIZE_VER2: u64 = 88;
