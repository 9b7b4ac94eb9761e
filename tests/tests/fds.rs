//! Descriptors, pipes, FIFOs, splicing, positioned and vectored I/O, and waiting for
//! descriptors: the C programs `tests/c/fds.c`, `pipes.c`, `poll.c`, `fifo.c` and `splice.c` run
//! here and on Linux and must print the same.

use tests::c_differential;

#[test]
fn dup_fcntl_lseek_pread_readv_sendfile_and_close_on_exec_match_linux() {
    let Some((_, output)) = c_differential("fds", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "dup2(fd, 10): 10",
            "fcntl(fd, F_DUPFD_CLOEXEC, 20): 22",
            "readv(fd, fault, 2): 4",
            "4096-byte writes that fit after: 13 (EAGAIN)",
            "  F_DUPFD_CLOEXEC (fd 6): closed, EBADF",
            "  F_SETFD-cleared (fd 40): open, FD_CLOEXEC 0",
        ],
    );
}

#[test]
fn pipes_match_linux() {
    let Some((_, output)) = c_differential("pipes", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "writer to a pipe without readers: killed by signal 13",
            "  4096-byte writes: 16, then EAGAIN, FIONREAD 65536",
            "  1000-byte writes: 64, then EAGAIN, FIONREAD 64000",
            "full: FIONREAD 65536; the writer has not returned: 0",
            "read 100000 bytes (0 wrong), the writer's write returned 100000",
            "blocks: 40 of a, 40 of b, 0 mixed, 0 short reads",
            "child saw end of file: exit 3",
        ],
    );
}

#[test]
fn poll_and_select_match_linux() {
    let Some((_, output)) = c_differential("poll", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "empty pipe, 20 ms: 0 [fd revents 0]",
            "poll, no timeout: 1 [fd revents 0x1]",
            "select, no timeout: 1, set 1",
            "raw select, time left after a timeout: 0.000000",
            "mask restored: 1",
        ],
    );
}

/// FIFOs and mknod: the file types and what stat and getdents say, a FIFO's non-blocking and
/// blocking opens, O_RDWR, a blocked open cut short by a signal, its data gone with its last
/// end, POLLHUP only after a writer came and went, links, a pipe reopened O_RDWR through
/// /proc/self/fd, device nodes of a known device and of none, root-only device nodes
/// (tests/c/fifo.c against Linux).
#[test]
fn fifos_and_mknod_match_linux() {
    let Some((_, output)) = tests::c_differential("fifo", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "reader got: from the child",
            "open(FIFO, O_RDONLY): -1 EINTR",
            "reader, writer gone: HUP",
            "read: both",
        ],
    );
}

/// splice, tee, vmsplice and copy_file_range: file to pipe and back with and without offsets,
/// pipe to pipe, tee leaving its input, vmsplice both ways, end of file, EAGAIN, EPIPE, copies
/// between and within files, and the errors in Linux's order (tests/c/splice.c against Linux).
#[test]
fn splice_tee_vmsplice_and_copy_file_range_match_linux() {
    let Some((_, output)) = tests::c_differential("splice", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "original pipe: 17 [copied, not taken]",
            "user got: to |the user",
            "dst: copy this|0|range of bytes",
        ],
    );
}
