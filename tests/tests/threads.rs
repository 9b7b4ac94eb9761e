//! Threads (tests/c/threads.c, musl pthreads): clone with CLONE_VM/CLONE_THREAD, futexes, TLS,
//! joins, group exit, faults, fork from a thread, vfork and posix_spawn, as on Linux.

use tests::{Boot, assert_same_output, build_c, program_output, run_native, without_info_lines};

#[test]
fn pthreads_behave_as_on_linux() {
    let Some(program) = build_c("threads", &["-pthread"]) else {
        return;
    };
    let out = Boot::new("init=/bin/threads")
        .file(&program, "/bin/threads")
        .run();
    out.expect_status(0);
    let output = program_output(&out.console);
    let linux = run_native(&program, &[]);
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
