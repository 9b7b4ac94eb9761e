//! Threads (tests/c/threads.c): clone with CLONE_VM/CLONE_THREAD, futexes, TLS, joins, group exit,
//! faults, fork from a thread, vfork and posix_spawn, as on Linux; built against musl and against
//! glibc, whose fork is clone(0x1200011) and whose pthreads use set_robust_list, rseq and clone3.

use std::path::Path;

use tests::{
    Boot, assert_same_output, build_c, build_c_glibc, program_output, run_native,
    without_info_lines,
};

/// Boots `program` as the first process and compares its output with the native run.
fn same_as_linux(program: &Path) {
    let out = Boot::new("init=/bin/threads")
        .file(program, "/bin/threads")
        .run();
    out.expect_status(0);
    let output = program_output(&out.console);
    let linux = run_native(program, &[]);
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
    assert_eq!(linux.kernel_style_status(), 0, "on Linux: {linux:?}");
    assert_same_output(
        "threads",
        &without_info_lines(&output),
        &without_info_lines(&linux.stdout),
        &out,
    );
    assert!(output.contains("mutex: counter 200000"), "{output}");
}

#[test]
fn musl_pthreads_behave_as_on_linux() {
    if let Some(program) = build_c("threads", &["-pthread"]) {
        same_as_linux(&program);
    }
}

#[test]
fn glibc_pthreads_and_fork_behave_as_on_linux() {
    same_as_linux(&build_c_glibc("threads", &["-pthread"]));
}

/// /proc/PID/task/TID: a directory per thread with its own stat (tid, name, state, CPU time, exit
/// signal), status (Pid, Tgid, pending and blocked signals) and comm; gone once the thread ends.
#[test]
fn proc_task_directories_as_on_linux() {
    tests::c_differential("proctask", &[]);
}

/// Thousands of threads (joined, detached, ended by pthread_exit, several at once) give back every
/// frame, every byte of kernel heap, every page table and every task (QEMU only: the figures are
/// this kernel's /proc/meminfo lines).
#[test]
fn threads_leak_nothing() {
    if let Some(out) = tests::boot_c("threadleak", &["-pthread"], &["1000"], |b| b) {
        tests::expect_ok(&out, "5000 threads made and ended");
    }
}

/// clone without CLONE_THREAD sharing signal actions (CLONE_SIGHAND), the working directory and
/// umask (CLONE_FS) or descriptors (CLONE_FILES) with its parent; execve unsharing them;
/// clone3's CLONE_CLEAR_SIGHAND; Linux's EINVAL for the combinations it refuses.
#[test]
fn clone_sharing_as_on_linux() {
    tests::c_differential("cloneshare", &[]);
}

/// Threads writing and reading a region while another unmaps, remaps and re-protects it: every
/// access finds its own data, a fresh zero page or a fault caught as SIGSEGV, never another
/// mapping's data or a freed frame, on both kernels.
#[test]
fn faults_racing_munmap_and_mprotect_as_on_linux() {
    tests::c_differential("mmrace", &[]);
}
