//! The writable root file system: the file calls compared with Linux (tests/c/files.c), and the
//! page cache's memory accounting, which only this kernel can show.

use tests::{Boot, c_differential, program_output};

#[test]
fn file_system_calls_give_the_same_results_as_on_linux() {
    c_differential("files", &[]);
}

/// Builds tests/c/fsmem.c and runs it in QEMU only (it watches this kernel's /proc/meminfo; the
/// fill mode would exhaust the host's memory).
fn fsmem(mode: &str, memory: &str) {
    let Some(program) = tests::build_c("fsmem", &[]) else {
        return;
    };
    let out = Boot::new(&format!("init=/bin/fsmem -- {mode}"))
        .file(&program, "/bin/fsmem")
        .memory(memory)
        .run();
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
    let output = program_output(&out.console);
    assert!(
        output.contains("ok: ") && !output.contains("FAIL"),
        "fsmem {mode}:\n{}",
        out.console
    );
    out.expect_status(0);
}

#[test]
fn page_cache_pages_of_a_deleted_file_go_with_its_last_reference() {
    fsmem("cache", "256M");
}

#[test]
fn filling_memory_with_file_data_fails_with_enospc_not_a_panic() {
    fsmem("fill", "128M");
}
