//! Address-space layout randomisation (tests/c/aslr.c): the same program exec'd several times gets
//! a different stack, mmap area and heap each time, independently and within Linux's ranges, and
//! always the same layout under personality(ADDR_NO_RANDOMIZE). Compared with Linux (the kernel is
//! booted with randomisation on, its default); in QEMU only, randomize_va_space is also set.

use tests::{Boot, assert_same_output, build_c, program_output, run_native, without_info_lines};

#[test]
fn layouts_are_random_as_on_linux() {
    let Some(program) = build_c("aslr", &[]) else {
        return;
    };
    let out = Boot::new("init=/bin/aslr -- write")
        .randomized()
        .file(&program, "/bin/aslr")
        .run();
    out.expect_status(0);
    let output = program_output(&out.console);
    let linux = run_native(&program, &[]);
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
    assert_eq!(linux.kernel_style_status(), 0, "on Linux: {linux:?}");
    assert_same_output(
        "aslr",
        &without_info_lines(&output),
        &without_info_lines(&linux.stdout),
        &out,
    );
    tests::expect_lines(
        &output,
        &[
            "# write 0: 2",
            "# mode 0: every run the same: yes",
            "# write 3: -1",
            "# mode 1: stacks differ yes, heaps the same yes",
        ],
    );
}
