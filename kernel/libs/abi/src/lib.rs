//! The Linux x86_64 system-call ABI as plain data, shared by the kernel (`kernel/`), the user
//! programs (`user/`) and the integration tests (`tests/`), so that both sides of every system call
//! agree on one definition instead of each keeping its own copy of the numbers.
//!
//! The model is Redox's `syscall` crate, which its kernel and its user space share. Everything
//! here is what Linux's user-space API headers (`include/uapi/...`, `arch/x86/include/uapi/...`)
//! say for x86_64; each module names the header it mirrors. Nothing here does anything: numbers,
//! `#[repr(C)]` structs and a few `const fn` helpers that encode or decode them.
//!
//! | module | what | Linux header |
//! |---|---|---|
//! | [`nr`] | system-call numbers, and their names for logs | `arch/x86/entry/syscalls/syscall_64.tbl` |
//! | [`errno`] | [`errno::Errno`], with names and `strerror` texts | `asm-generic/errno-base.h`, `errno.h` |
//! | [`signal`] | signal numbers, `sigset_t`, `sigaction`, `siginfo`, `stack_t`, `si_code`s | `asm/signal.h`, `asm-generic/siginfo.h` |
//! | [`ucontext`] | the signal frame: `ucontext`, `sigcontext`, `fpstate` | `asm/ucontext.h`, `asm/sigcontext.h` |
//! | [`mman`] | `PROT_*`, `MAP_*`, `MREMAP_*`, `MADV_*`, `MS_*` | `asm-generic/mman-common.h`, `linux/mman.h` |
//! | [`fcntl`] | `O_*`, `AT_*`, `F_*`, `FD_CLOEXEC`, `SEEK_*` | `asm-generic/fcntl.h`, `linux/fcntl.h`, `linux/fs.h` |
//! | [`stat`] | `stat`, `statx`, `statfs`, `S_IF*`, `STATX_*` | `asm/stat.h`, `linux/stat.h`, `asm-generic/statfs.h` |
//! | [`wait`] | `W*` options, `P_*` id types, the wait-status encoding | `linux/wait.h`, `kernel/exit.c` |
//! | [`clone`] | `CLONE_*`, `clone_args` | `linux/sched.h` |
//! | [`futex`] | `FUTEX_*`, `robust_list_head` | `linux/futex.h` |
//! | [`time`] | `CLOCK_*`, `TIMER_ABSTIME`, `timespec`, `timeval`, `timezone`, `itimerval`, `tms` | `linux/time.h`, `linux/time_types.h`, `linux/times.h` |
//! | [`resource`] | `rusage`, `rlimit`, `RLIMIT_*`, `RUSAGE_*` | `linux/resource.h` |
//! | [`termios`] | `termios`, `termios2`, `winsize`, tty ioctls | `asm-generic/termbits.h`, `termios.h`, `ioctls.h` |
//! | [`epoll`] | `epoll_event`, `EPOLL*` | `linux/eventpoll.h` |
//! | [`socket`] | `AF_*`, `SOCK_*`, `SO_*`, `MSG_*`, `msghdr`, `cmsghdr`, `sockaddr_un`, `ucred` | `linux/socket.h`, `asm-generic/socket.h`, `linux/un.h` |
//! | [`uio`], [`poll`], [`dirent`], [`utsname`], [`sysinfo`], [`prctl`] | `iovec`, `pollfd`, `linux_dirent64`, `new_utsname`, `sysinfo`, `ARCH_*` | `linux/uio.h`, `asm-generic/poll.h`, `linux/dirent.h`, `linux/utsname.h`, `linux/sysinfo.h`, `asm/prctl.h` |
//!
//! # Conventions
//!
//! * Names are Linux's, structs included (`stat`, `timespec`, `siginfo`), so that a reader can
//!   grep the Linux headers for them; a struct is the *kernel's* definition where a C library's
//!   differs (`sigaction`, `sigset_t`, `termios`), since that is what crosses the system-call
//!   boundary.
//! * A constant that travels in a register as a system-call argument (a number, flags, a command)
//!   is `u64`, as the rest of the project handles registers; one that lives in a struct field or an
//!   `int` result has that field's type (signal numbers and `si_code`s are `i32`, mode bits `u32`).
//!   Negative "special" arguments (`AT_FDCWD`) are `i64`.
//! * Pointers inside structs are `u64`: they are user addresses, which the kernel must never
//!   dereference directly, and a plain integer keeps the structs `Send`, `Copy` and comparable.
//! * Every struct has compile-time checks of its size and of the offsets of its fields against the
//!   numbers the headers give (`const _: () = assert!(...)`); the tests in `tests/` compare them,
//!   and every constant, with the host's C library through the `libc` crate.

#![no_std]
#![allow(non_camel_case_types)]

/// Checks a struct's size and the offsets of its fields at compile time:
/// `layout!(stat, 144; st_dev = 0, st_ino = 8)`.
macro_rules! layout {
    ($ty:ty, $size:expr; $($field:ident = $offset:expr),* $(,)?) => {
        const _: () = {
            assert!(core::mem::size_of::<$ty>() == $size);
            $(assert!(core::mem::offset_of!($ty, $field) == $offset);)*
        };
    };
}

pub mod clone;
pub mod dirent;
pub mod epoll;
pub mod errno;
pub mod fcntl;
pub mod futex;
pub mod ipc;
pub mod mman;
pub mod nr;
pub mod poll;
pub mod prctl;
pub mod random;
pub mod resource;
pub mod signal;
pub mod socket;
pub mod stat;
pub mod sysinfo;
pub mod termios;
pub mod time;
pub mod ucontext;
pub mod uio;
pub mod utsname;
pub mod wait;

pub use errno::Errno;
