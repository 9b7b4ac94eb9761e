//! AF_UNIX sockets against Linux.

/// socketpair (tests/c/unix_socketpair.c): errors, the three socket types' data paths and
/// message boundaries, shutdown and close, a full send buffer, poll and epoll, options, fstat
/// and /proc, SCM_RIGHTS and the collection of a socket sent over itself.
#[test]
fn socketpair_as_on_linux() {
    tests::c_differential("unix_socketpair", &[]);
}

/// A thousand socketpairs per round with descriptors in flight (dropped unread, sockets in their
/// own queues or in each other's, received and closed) give back every frame and heap byte
/// (tests/c/unix_leak.c; this kernel's /proc/meminfo lines, so QEMU only).
#[test]
fn socketpairs_leak_nothing() {
    let Some(program) = tests::build_c("unix_leak", &[]) else {
        return;
    };
    let out = tests::Boot::new("init=/bin/unix_leak -- 1000")
        .file(&program, "/bin/unix_leak")
        .run();
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
    let output = tests::program_output(&out.console);
    assert!(
        output.contains("5000 socketpairs made and closed") && !output.contains("FAIL"),
        "{}",
        out.console
    );
    out.expect_status(0);
}

/// Named sockets (tests/c/unix_socket.c): socket's errors, bind to paths and abstract names,
/// autobind, listen/connect/accept/accept4 with backlogs, credentials and their errors,
/// getsockname/getpeername, datagrams to bound sockets, connected datagram sockets and their
/// queue limit.
#[test]
fn named_sockets_as_on_linux() {
    tests::c_differential("unix_socket", &[]);
}

/// Random socket calls in two processes, blocking ones cut short by a timer (tests/c/unix_fuzz.c,
/// QEMU only): no panic or hang, and every round gives back every frame and heap byte.
#[test]
fn random_socket_calls_leak_nothing() {
    let Some(program) = tests::build_c("unix_fuzz", &[]) else {
        return;
    };
    let out = tests::Boot::new("init=/bin/unix_fuzz -- 3000")
        .file(&program, "/bin/unix_fuzz")
        .run();
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
    let output = tests::program_output(&out.console);
    assert!(
        output.contains("30000 calls made") && !output.contains("FAIL"),
        "{}",
        out.console
    );
    out.expect_status(0);
}
