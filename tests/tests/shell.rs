//! `make shell`'s user space: busybox's shell on the serial console, driven as a person types,
//! and the /proc files and calls its applets need (`tests/c/procfd.c` against Linux).

use tests::c_differential;

/// /proc/PID/fd, cwd, root and exe, /proc/mounts and filesystems, and fstat of a pipe, as Linux
/// shows them.
#[test]
fn proc_fd_cwd_mounts_and_pipes_match_linux() {
    c_differential("procfd", &[]);
}
