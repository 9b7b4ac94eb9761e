//! epoll (tests/c/epoll.c) against Linux: Linux's errors for every call; level-triggered,
//! edge-triggered and one-shot items on pipes; hang-ups; a watched descriptor closed, or closed
//! with a duplicate left; instances watching instances, loops and the nesting limit; a timeout, a
//! wake-up by another process, EINTR despite SA_RESTART, and epoll_pwait's signal mask.

#[test]
fn epoll_behaves_as_on_linux() {
    tests::c_differential("epoll", &[]);
}

/// eventfd: the counter, semaphore mode, EINVAL/EAGAIN/EFAULT, a blocked reader woken by another
/// thread, poll and edge-triggered epoll, fstat and /proc/self/fd (tests/c/eventfd.c).
#[test]
fn eventfd_as_on_linux() {
    let Some((_, output)) = tests::c_differential("eventfd", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "read: 8 bytes, value 42",
            "-- a reader waits for a writer\nread: 8 bytes, value 5",
            "poll when full: 0x1",
            "link: anon_inode:[eventfd]",
        ],
    );
}
