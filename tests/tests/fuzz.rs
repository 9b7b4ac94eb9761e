//! A short, fixed-seed slice of the system-call fuzzer (`make fuzz` runs a million calls with a new
//! seed each time): `fuzz` as the first process, four workers making random memory and process
//! calls with bad arguments, forking, touching random addresses and dying of SIGSEGV and SIGBUS.
//! The kernel must not panic or hang, /proc/PID/maps must stay well formed, every process must end
//! as expected, and every frame must come back (user/src/bin/fuzz.rs has the details).
//!
//! The fuzzer is not run natively here: it forks hundreds of processes, and the tests may run as
//! root, where nothing limits that. `make fuzz-linux` runs it on Linux, in QEMU.

use tests::{Boot, program_output, user_program};

/// Calls per seed: each seed takes about 10 s (20 s with the other tests running beside it).
const OPS: u64 = 10_000;

fn fuzz(seed: u64) {
    // Room for a loaded machine, where QEMU may run several times slower.
    let out = Boot::new(&format!("init=/bin/fuzz -- {seed} {OPS}"))
        .file(user_program("fuzz"), "/bin/fuzz")
        .timeout(300)
        .run();
    out.expect_status(0);
    // The program's own output is only these two lines (the kernel's reports of the processes it
    // killed start with `[`): nothing else, whatever the seed.
    assert_eq!(
        program_output(&out.console),
        format!("fuzz: seed {seed} ops {OPS} workers 4\nfuzz: ok\n"),
        "console:\n{}\n{}",
        out.console,
        out.runner
    );
    // Children did die of bad accesses, and the kernel said so.
    out.expect_console("): SIGSEGV (signal 11) at 0x");
}

#[test]
fn fuzz_seed_1() {
    fuzz(1);
}

#[test]
fn fuzz_seed_2() {
    fuzz(2);
}

#[test]
fn fuzz_seed_3() {
    fuzz(3);
}

/// Random calls to System V shared memory, POSIX timers, fallocate, process_vm_readv/writev and
/// /proc/self/pagemap (tests/c/memcalls_fuzz.c, QEMU only): no panic or hang, and every round
/// gives back its memory. Two seeds.
#[test]
fn memory_and_timer_calls_with_random_arguments() {
    for seed in ["1", "2"] {
        let Some(out) = tests::boot_c("memcalls_fuzz", &[], &["3000", seed], |b| b) else {
            return;
        };
        tests::expect_ok(&out, "ok: 3000 random calls a round gave back their memory");
    }
}
