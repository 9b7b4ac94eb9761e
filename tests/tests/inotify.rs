//! inotify (tests/c/inotify.c against Linux): instances, watch descriptors, the errors, the
//! events of the VFS operations, IN_ONESHOT, coalescing, the read format, readiness and the
//! queue overflow; and a QEMU-only check that instances closed with watches and queued events
//! give back every byte of kernel heap (tests/c/inotify_leak.c).

#[test]
fn inotify_as_on_linux() {
    let Some((_, output)) = tests::c_differential("inotify", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "link: anon_inode:inotify",
            "D MOVED_TO b (cookie same)",
            "T DELETE_SELF -",
            "events 16385 overflows 1 modify 8192 last wd -1 mask 4000",
            "rmdir(base): 0",
        ],
    );
}

/// Instances closed with many watches and queued events (past the overflow), watches gone by
/// rm_watch, IN_ONESHOT and deletion, instances left to an exiting child, random calls with any
/// arguments: every heap byte comes back; a blocked reader is woken by an event (QEMU only: KernelHeapUsed is this kernel's).
#[test]
fn inotify_leaks_nothing() {
    if let Some(out) = tests::boot_c("inotify_leak", &[], &[], |b| b) {
        tests::expect_ok(&out, "ok: inotify instances give back the kernel heap");
        tests::expect_lines(
            &tests::program_output(&out.console),
            &["blocked reader woken with the event"],
        );
    }
}

/// The limits set through /proc/sys/fs/inotify: max_queued_events (IN_Q_OVERFLOW after 3),
/// max_user_instances (EMFILE), max_user_watches (ENOSPC) (QEMU only: it changes the settings).
#[test]
fn inotify_limits_from_proc_sys() {
    let Some(out) = tests::boot_c("inotify", &[], &["limits"], |b| b) else {
        return;
    };
    out.expect_status(0);
    tests::expect_lines(
        &tests::program_output(&out.console),
        &[
            "write max_queued_events -1: EINVAL",
            "write max_queued_events abc: EINVAL",
            "max_queued_events 3",
            "D CREATE q\nD DELETE q\nD CREATE q\nQ Q_OVERFLOW -\n",
            "inotify_init1(0): -1 EMFILE",
            "inotify_init1(0) >= 0: 1",
            "inotify_add_watch(fd, \"/\", IN_CREATE): -1 ENOSPC",
            "inotify_add_watch(fd, base, IN_DELETE): 1",
            "inotify_add_watch(fd, \"/\", IN_CREATE): 3",
        ],
    );
}
