//! Values a user program chose that once crashed or stalled the kernel (the hardening issue), each
//! now a regression test: `harden` runs here and on Linux with the same output; `harden fill`
//! (this kernel only) fills memory and then creates areas until ENOMEM.

use tests::{Boot, differential, program_output, user_program};

#[test]
fn harden_matches_linux() {
    let (_, output) = differential("harden", &[]);
    tests::expect_lines(
        &output,
        &[
            "brk(0xfffffffffffff000) keeps the break: true",
            "mmap file at offset 0xfffffffffffff000: EOVERFLOW",
            "touching its second page: signal 7",
            "NT flag, then execve: child exit status 42",
            "after the failed reads, the file position is still 0: true",
            "mprotect split stops with: ENOMEM",
            "munmap of a hole at the limit: ENOMEM",
            "others ran during a 1 GiB MAP_POPULATE: true, child status 0",
            "writev with the iovec array at the top of memory: EFAULT",
            "child ended by signal 15",
            "SIGKILL during a 16 GiB MAP_POPULATE: signal 9",
            "msync length wrapping to 0: ok",
            "msync across a hole: ENOMEM",
            "MAP_FIXED at 0: EPERM",
            "growing down into page 0: signal 11",
        ],
    );
}

#[test]
fn areas_with_memory_full_are_enomem_not_a_panic() {
    let out = Boot::new("init=/bin/harden -- fill")
        .file(user_program("harden"), "/bin/harden")
        .run();
    out.expect_status(0);
    let output = program_output(&out.console);
    tests::expect_lines(
        &output,
        &[
            "splitting with memory full stops with: ENOMEM",
            "munmap everything: ok",
            "fork after memory came back: 7",
        ],
    );
}
