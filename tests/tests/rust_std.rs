//! Programs written against Rust's std (user-std/, static musl executables) run here as on Linux:
//! the runtime's start-up (poll of fds 0-2, signal handlers, sigaltstack), printing, the heap,
//! clocks and sleep, files, an unwinding panic caught, and Unix-domain sockets.

use tests::{Boot, assert_same_output, program_output, run_native, std_program};

#[test]
fn a_rust_std_program_gives_the_same_output_as_on_linux() {
    let program = std_program("std_hello");
    let out = Boot::new("init=/bin/std_hello -- one two")
        .file(&program, "/bin/std_hello")
        .run();
    out.expect_status(3);
    let output = program_output(&out.console);
    let linux = run_native(&program, &["one", "two"]);
    assert_eq!(linux.kernel_style_status(), 3, "on Linux: {linux:?}");
    assert_same_output("std_hello", &output, &linux.stdout, &out);
    assert!(output.contains("a panic was caught: true"), "{output}");
}

#[test]
fn rust_std_threads_and_commands_behave_as_on_linux() {
    let program = std_program("std_threads");
    let out = Boot::new("init=/bin/std_threads")
        .file(&program, "/bin/std_threads")
        .run();
    out.expect_status(0);
    let output = program_output(&out.console);
    let linux = run_native(&program, &[]);
    assert_eq!(linux.kernel_style_status(), 0, "on Linux: {linux:?}");
    assert_same_output("std_threads", &output, &linux.stdout, &out);
    assert!(
        output.contains("4 threads x 10000 increments: 40000"),
        "{output}"
    );
}

/// Rust std's Unix-domain sockets (user-std/src/bin/std_unix.rs): pairs, a listener on a path
/// with a client thread, addresses, shutdown, timeouts, non-blocking mode, datagrams, and a child
/// process whose standard input and output are a socket.
#[test]
fn rust_std_unix_sockets_behave_as_on_linux() {
    let program = std_program("std_unix");
    let out = Boot::new("init=/bin/std_unix")
        .file(&program, "/bin/std_unix")
        .run();
    out.expect_status(0);
    let output = program_output(&out.console);
    let linux = run_native(&program, &[]);
    assert_eq!(linux.kernel_style_status(), 0, "on Linux: {linux:?}");
    assert_same_output("std_unix", &output, &linux.stdout, &out);
    assert!(
        output.contains("ping: \"ping\", reply: \"pong, and goodbye\""),
        "{output}"
    );
}
