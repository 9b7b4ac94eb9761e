//! Processes: fork with copy-on-write, exit and wait4, execve, orphans, preemption, and memory
//! accounting, on this kernel and, where the output is deterministic, against Linux running the very
//! same binary.

use std::{os::unix::fs::PermissionsExt, path::PathBuf};

use tests::{Boot, program_output, run_native, user_program};

/// An executable file that is not an ELF program.
fn not_elf() -> PathBuf {
    let path = std::env::temp_dir().join(format!("vmkernel-notelf-{}", std::process::id()));
    std::fs::write(&path, "just text\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn fork_cow_wait_exec_match_linux() {
    let notelf = not_elf();
    let native = run_native(
        &user_program("forktest"),
        &[
            user_program("hello").to_str().unwrap(),
            notelf.to_str().unwrap(),
        ],
    );
    assert!(
        native.status.success(),
        "forktest failed on Linux:\n{}",
        native.stdout
    );
    let linux = native.stdout;
    let out = Boot::new("init=/bin/forktest -- /bin/hello /bin/notelf")
        .file(user_program("forktest"), "/bin/forktest")
        .file(user_program("hello"), "/bin/hello")
        .file(&notelf, "/bin/notelf")
        .run();
    out.expect_status(0);
    // The kernel reports the child it killed with SIGSEGV, with pid, address, RIP and reason.
    out.expect_console("(/bin/forktest): SIGSEGV (signal 11) at 0x8, rip 0x");
    assert_eq!(
        program_output(&out.console),
        linux,
        "kernel and Linux differ:\n{}",
        out.console
    );
    let _ = std::fs::remove_file(notelf);
}

#[test]
fn a_gib_of_copy_on_write_churns_through_256_mib_and_every_frame_comes_back() {
    let out = Boot::new("init=/bin/cowchurn -- 64 16")
        .file(user_program("cowchurn"), "/bin/cowchurn")
        .memory("256M")
        .run();
    out.expect_status(0)
        .expect_console("16 children each copied all 16384 pages: true")
        .expect_console("copied in total: 1024 MiB")
        .expect_console("parent's pages untouched by the children: true");
    // The parent's writes after its children are gone reuse every page in place.
    let line = out
        .console
        .lines()
        .find(|l| l.starts_with("parent's writes afterwards:"))
        .expect("counters line");
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let (copies, reuses, pages) = (numbers[0], numbers[1], numbers[2]);
    assert!(
        reuses >= pages,
        "only {reuses} reuses for {pages} pages: {line}"
    );
    assert!(
        copies < 64,
        "the parent copied {copies} pages it alone owned: {line}"
    );
    let balance = out
        .console
        .lines()
        .find(|l| l.starts_with("memory balance"))
        .expect("balance line");
    assert!(
        balance.ends_with(": equal"),
        "frames lost: {balance}\n{}",
        out.console
    );
}

#[test]
fn orphans_pass_to_init_which_reaps_them() {
    let out = Boot::new("init=/bin/orphan")
        .file(user_program("orphan"), "/bin/orphan")
        .run();
    out.expect_status(0)
        .expect_console("child reaped: true")
        .expect_console("orphan reaped by init with status 7: true")
        .expect_console("no children left: ECHILD");
}

#[test]
fn a_spinning_child_is_preempted() {
    let out = Boot::new("init=/bin/spin")
        .file(user_program("spin"), "/bin/spin")
        .run();
    out.expect_status(0)
        .expect_console("parent runs while its child spins: true");
}

#[test]
fn running_out_of_memory_is_enomem_or_a_killed_process_never_a_panic() {
    let out = Boot::new("init=/bin/oom")
        .file(user_program("oom"), "/bin/oom")
        .memory("128M")
        .run();
    out.expect_status(0)
        .expect_console("mmap larger than memory: ENOMEM")
        .expect_console("brk larger than memory refused: true")
        .expect_console("(/bin/oom): SIGKILL (signal 9) at 0x")
        .expect_console("child that used up memory was killed by signal 9")
        .expect_console("all its memory came back: true")
        .expect_console("fork with memory exhausted: ENOMEM")
        .expect_console("fork after freeing memory: exit 5");
}
