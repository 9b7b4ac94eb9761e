//! epoll (tests/c/epoll.c) against Linux: Linux's errors for every call; level-triggered,
//! edge-triggered and one-shot items on pipes; hang-ups; a watched descriptor closed, or closed
//! with a duplicate left; instances watching instances, loops and the nesting limit; a timeout, a
//! wake-up by another process, EINTR despite SA_RESTART, and epoll_pwait's signal mask.

#[test]
fn epoll_behaves_as_on_linux() {
    tests::c_differential("epoll", &[]);
}
