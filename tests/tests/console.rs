//! The serial console as a terminal: typed lines are edited (erase, kill, word erase) and echoed
//! by the kernel's line discipline, a program reads them a line at a time and sees ^D as end of
//! file, raw mode honours VMIN/VTIME, and ^C interrupts the foreground process group.

use tests::{Boot, build_c, program_output};

#[test]
fn typed_lines_are_edited_echoed_and_read() {
    let Some(program) = build_c("console", &[]) else {
        return;
    };
    let out = Boot::new("init=/bin/console")
        .file(&program, "/bin/console")
        .input(b"hello\rhelo\x7f\x7flp\rrm -rf /\x15echo ok\rone two\x17three\r")
        .run();
    out.expect_status(0);
    let output = program_output(&out.console);
    for line in [
        "stdin is a terminal: yes, stdout too: yes",
        "canonical on, echo on, signals on, ICRNL on, ONLCR on, VERASE 0177, VINTR 03",
        "window 0x0",
        "foreground group is ours: yes",
        "line 1: [hello]",
        "line 2: [help]",
        "line 3: [echo ok]",
        "line 4: [one three]",
        "end of file after 4 lines",
        "raw read with VTIME 0.2 s and nothing typed: 0 after >= 150 ms: yes",
        "raw read with VMIN 0 and VTIME 0: 0",
        "settings kept: canonical off",
    ] {
        assert!(
            output.contains(line),
            "missing {line:?} in:\n{}",
            out.console
        );
    }
    // The echo: what was typed appears on the console, with the erase rubbed out.
    assert!(
        out.console.contains("helo\x08 \x08\x08 \x08lp"),
        "{}",
        out.console
    );
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
}

#[test]
fn ctrl_c_interrupts_the_foreground_group() {
    let Some(program) = build_c("console", &[]) else {
        return;
    };
    let out = Boot::new("init=/bin/console -- wait-for-interrupt")
        .file(&program, "/bin/console")
        .input(b"\x03")
        .run();
    // SIGINT's default action ends the program: 128 + 2.
    out.expect_status(130).expect_console("^C");
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
}
