//! Resource usage and limits: `getrusage`/`wait4`'s `struct rusage`, `getrlimit`/`prlimit64`'s
//! `struct rlimit`, and the `RLIMIT_*` and `RUSAGE_*` numbers.
//!
//! From `include/uapi/linux/resource.h` and `include/uapi/asm-generic/resource.h`.

use crate::time::timeval;

/// Resource usage (`struct rusage`): 144 bytes. Linux fills the times, `ru_maxrss` (KiB), the
/// fault counts, the block I/O counts and the context switches; the other fields stay 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct rusage {
    /// User CPU time.
    pub ru_utime: timeval,
    /// System CPU time.
    pub ru_stime: timeval,
    /// Peak resident set size, in KiB.
    pub ru_maxrss: i64,
    pub ru_ixrss: i64,
    pub ru_idrss: i64,
    pub ru_isrss: i64,
    /// Page faults resolved without I/O.
    pub ru_minflt: i64,
    /// Page faults that needed I/O.
    pub ru_majflt: i64,
    pub ru_nswap: i64,
    pub ru_inblock: i64,
    pub ru_oublock: i64,
    pub ru_msgsnd: i64,
    pub ru_msgrcv: i64,
    pub ru_nsignals: i64,
    /// Voluntary context switches.
    pub ru_nvcsw: i64,
    /// Involuntary context switches.
    pub ru_nivcsw: i64,
}
layout!(rusage, 144;
    ru_utime = 0, ru_stime = 16, ru_maxrss = 32, ru_ixrss = 40, ru_idrss = 48, ru_isrss = 56,
    ru_minflt = 64, ru_majflt = 72, ru_nswap = 80, ru_inblock = 88, ru_oublock = 96,
    ru_msgsnd = 104, ru_msgrcv = 112, ru_nsignals = 120, ru_nvcsw = 128, ru_nivcsw = 136,
);

// getrusage `who`.
pub const RUSAGE_SELF: i64 = 0;
pub const RUSAGE_CHILDREN: i64 = -1;
pub const RUSAGE_THREAD: i64 = 1;

/// A soft and a hard limit (`struct rlimit`, and `rlimit64`, which is the same on 64-bit).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct rlimit {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}
layout!(rlimit, 16; rlim_cur = 0, rlim_max = 8);

/// No limit.
pub const RLIM_INFINITY: u64 = u64::MAX;

// Resources (asm-generic/resource.h).
pub const RLIMIT_CPU: u64 = 0;
pub const RLIMIT_FSIZE: u64 = 1;
pub const RLIMIT_DATA: u64 = 2;
/// The stack's maximum size (8 MiB by default); also what places `mmap_base` below the stack.
pub const RLIMIT_STACK: u64 = 3;
pub const RLIMIT_CORE: u64 = 4;
pub const RLIMIT_RSS: u64 = 5;
pub const RLIMIT_NPROC: u64 = 6;
pub const RLIMIT_NOFILE: u64 = 7;
pub const RLIMIT_MEMLOCK: u64 = 8;
pub const RLIMIT_AS: u64 = 9;
pub const RLIMIT_LOCKS: u64 = 10;
pub const RLIMIT_SIGPENDING: u64 = 11;
pub const RLIMIT_MSGQUEUE: u64 = 12;
pub const RLIMIT_NICE: u64 = 13;
pub const RLIMIT_RTPRIO: u64 = 14;
pub const RLIMIT_RTTIME: u64 = 15;
pub const RLIM_NLIMITS: u64 = 16;
