//! Clocks, sleeping, CPU-time accounting, interval timers (tests/c/clocks.c), timerfd and POSIX
//! timers (tests/c/timerfd.c, posix_timers.c, timerleak.c) and identity, limits and start-up
//! queries (tests/c/identity.c): each program prints the same here as on Linux.

use tests::c_differential;

#[test]
fn clocks_sleep_cpu_time_and_itimers_match_linux() {
    let Some((_, output)) = c_differential("clocks", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "nanosleep(50 ms) slept at least 50 ms: yes",
            "wait4's rusage: child's max RSS >= 16 MiB: yes",
            "ITIMER_PROF ended the child with: Profiling timer expired",
        ],
    );
}

#[test]
fn ids_limits_and_system_queries_match_linux() {
    let Some((_, output)) = c_differential("identity", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "after setuid(1000): uid 1000 1000 1000",
            "opens until the limit: 7, then EMFILE",
            "mmap 128 MiB under it: ENOMEM",
            "child killed by Segmentation fault",
            "PR_GET_NAME after: a-rather-long-t (15 bytes)",
        ],
    );
}

/// timerfd: one-shot and periodic timers, absolute times, disarming, poll and epoll, the errors
/// (tests/c/timerfd.c against Linux; counts that depend on timing are printed as ranges bounded by
/// the time that passed).
#[test]
fn timerfd_as_on_linux() {
    let Some((_, output)) = tests::c_differential("timerfd", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "expirations: 1",
            "wall-clock expirations: 1",
            "expirations after 105 ms or more: at least 5, at most one per 10 ms: 1",
            "link: anon_inode:[timerfd]",
        ],
    );
}

/// POSIX timers: clocks, sigevents and ids, one-shot and periodic timers, absolute times, the
/// timer signal's siginfo by sigtimedwait, a handler and signalfd, overruns, SIGEV_NONE,
/// SIGEV_THREAD_ID, musl's SIGEV_THREAD, CPU-time clocks, deletion with the signal pending, fork,
/// execve and the errors (tests/c/posix_timers.c against Linux).
#[test]
fn posix_timers_as_on_linux() {
    let Some((_, output)) = tests::c_differential("posix_timers", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "value is the id: 1, overrun 0",
            "overrun at least 5: 1",
            "handled at least 3: 1, timerid right: 1, SI_TIMER: 1",
            "fired: 1 after at least 50 ms of CPU: 1",
            "after execve: timer_gettime: -1 EINVAL",
            "calls >= 3: 1, value 42",
        ],
    );
}

/// RLIMIT_SIGPENDING bounds the POSIX timers a process makes (EAGAIN), and a refused create uses
/// up no id (QEMU only: Linux counts the limit per user, which other processes on a host share).
#[test]
fn posix_timers_are_bounded_by_rlimit_sigpending() {
    let Some(out) = tests::boot_c("posix_timers", &[], &["limit"], |b| b) else {
        return;
    };
    out.expect_status(0);
    tests::expect_lines(
        &tests::program_output(&out.console),
        &[
            "tcreate(CLOCK_MONOTONIC, NULL, &ids[i]): -1 EAGAIN",
            "made with a limit of 3: 3",
            "next id after the refused one: 1",
        ],
    );
}

/// POSIX timers deleted armed or with their signal pending, or left to a child that exits or
/// execs, give back every byte of kernel heap (QEMU only: KernelHeapUsed is this kernel's line).
#[test]
fn posix_timers_leak_nothing() {
    if let Some(out) = tests::boot_c("timerleak", &[], &[], |b| b) {
        tests::expect_ok(&out, "ok: timers give back the kernel heap");
    }
}
