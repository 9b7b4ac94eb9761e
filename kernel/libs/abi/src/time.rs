//! Time: clock ids, the time structs of `clock_gettime`, `gettimeofday`, `nanosleep`, `setitimer`
//! and `times`.
//!
//! From `include/uapi/linux/time.h`, `include/uapi/linux/time_types.h` (x86_64's `timespec` is
//! `__kernel_timespec`: two 64-bit words) and `include/uapi/linux/times.h`.

// Clock ids (`clockid_t`).
pub const CLOCK_REALTIME: u64 = 0;
pub const CLOCK_MONOTONIC: u64 = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: u64 = 2;
pub const CLOCK_THREAD_CPUTIME_ID: u64 = 3;
pub const CLOCK_MONOTONIC_RAW: u64 = 4;
pub const CLOCK_REALTIME_COARSE: u64 = 5;
pub const CLOCK_MONOTONIC_COARSE: u64 = 6;
pub const CLOCK_BOOTTIME: u64 = 7;
pub const CLOCK_REALTIME_ALARM: u64 = 8;
pub const CLOCK_BOOTTIME_ALARM: u64 = 9;
pub const CLOCK_TAI: u64 = 11;

/// `clock_nanosleep`, `timer_settime`: the time is absolute, not relative.
pub const TIMER_ABSTIME: u64 = 0x01;

// `setitimer`/`getitimer` timers.
pub const ITIMER_REAL: u64 = 0;
pub const ITIMER_VIRTUAL: u64 = 1;
pub const ITIMER_PROF: u64 = 2;

pub const NSEC_PER_SEC: i64 = 1_000_000_000;
pub const USEC_PER_SEC: i64 = 1_000_000;

/// Seconds and nanoseconds (`struct timespec`): 16 bytes. `tv_nsec` must be in 0..1e9 wherever
/// the kernel reads one (EINVAL otherwise).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}
layout!(timespec, 16; tv_sec = 0, tv_nsec = 8);

/// Seconds and microseconds (`struct timeval`, `__kernel_old_timeval`): 16 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}
layout!(timeval, 16; tv_sec = 0, tv_usec = 8);

/// `gettimeofday`'s obsolete second argument (`struct timezone`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct timezone {
    /// Minutes west of Greenwich.
    pub tz_minuteswest: i32,
    /// Type of daylight-saving correction.
    pub tz_dsttime: i32,
}
layout!(timezone, 8; tz_minuteswest = 0, tz_dsttime = 4);

/// An interval timer (`struct itimerval`): the period, and the time to the next expiry.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct itimerval {
    pub it_interval: timeval,
    pub it_value: timeval,
}
layout!(itimerval, 32; it_interval = 0, it_value = 16);

/// A POSIX timer's setting (`struct itimerspec`, `timer_settime`, `timerfd_settime`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct itimerspec {
    pub it_interval: timespec,
    pub it_value: timespec,
}
layout!(itimerspec, 32; it_interval = 0, it_value = 16);

/// `times`'s result (`struct tms`): CPU times in clock ticks (`clock_t`, `USER_HZ` = 100 a second).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct tms {
    pub tms_utime: i64,
    pub tms_stime: i64,
    pub tms_cutime: i64,
    pub tms_cstime: i64,
}
layout!(tms, 32; tms_utime = 0, tms_stime = 8, tms_cutime = 16, tms_cstime = 24);

/// The clock-tick rate user space sees in `clock_t` values (`USER_HZ`).
pub const USER_HZ: i64 = 100;
