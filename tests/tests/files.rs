//! The writable root file system: the file calls compared with Linux (tests/c/files.c), and the
//! page cache's memory accounting, which only this kernel can show.

use tests::{Boot, c_differential, program_output};

#[test]
fn file_system_calls_give_the_same_results_as_on_linux() {
    c_differential("files", &[]);
}

/// Bad pointers (NULL, unmapped, kernel, non-canonical), bad descriptors (the high bits of a
/// descriptor are ignored, as Linux takes an `unsigned int`), bad flags and sizes.
#[test]
fn file_system_calls_reject_bad_arguments_as_linux_does() {
    c_differential("fsbad", &[]);
}

/// Runs tests/c/fsmem.c in QEMU only (it watches this kernel's /proc/meminfo; the fill mode would
/// exhaust the host's memory), once per mode, from one build.
#[test]
fn page_cache_memory_comes_back_and_filling_it_gives_enospc_not_a_panic() {
    let Some(program) = tests::build_c("fsmem", &[]) else {
        return;
    };
    // cache: the pages of a deleted file go with its last reference (open file, mapping).
    // fill: file data until memory runs out fails with ENOSPC, and nothing panics.
    for (mode, memory) in [("cache", "256M"), ("fill", "128M")] {
        let out = Boot::new(&format!("init=/bin/fsmem -- {mode}"))
            .file(&program, "/bin/fsmem")
            .memory(memory)
            .run();
        let output = program_output(&out.console);
        assert!(
            output.contains("ok: ") && !output.contains("FAIL"),
            "fsmem {mode}:\n{}",
            out.console
        );
        out.expect_status(0);
    }
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
}

/// flock: locks held by open file descriptions, LOCK_NB, conversions, release on close, a waiter
/// in another process, the errors (tests/c/flock.c against Linux).
#[test]
fn flock_as_on_linux() {
    let Some((_, output)) = tests::c_differential("flock", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "flock(b, LOCK_EX | LOCK_NB): -1 EAGAIN",
            "parent: unlocking\nchild: got the shared lock after the parent's unlock\nflock(a, LOCK_UN) after the child: 0\nchild exited 0",
        ],
    );
}

/// fallocate on tmpfs: allocation with and without the size, holes across page edges and within
/// a page, shared mappings losing the pages and private copies keeping theirs, the seals and the
/// errors (tests/c/fallocate.c on a memfd, tmpfs on both kernels, against Linux).
#[test]
fn fallocate_as_on_linux() {
    let Some((_, output)) = tests::c_differential("fallocate", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "hole zeros: 1, around kept: 1 1",
            "after: shared 0 0, private copy P, private file page 0",
        ],
    );
}

/// A hole punched in a file whose data the initramfs still holds reads as zeros (QEMU only).
#[test]
fn fallocate_punches_a_file_from_the_initramfs() {
    let Some(out) = tests::boot_c("fallocate", &[], &["initramfs", "/data"], |b| {
        b.file(tests::user_program("hello"), "/data")
    }) else {
        return;
    };
    tests::expect_ok(&out, "ok: a hole in a file the initramfs holds");
}
