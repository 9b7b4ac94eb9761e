//! Ordinary C programs, built with `musl-gcc -static` or with plain gcc and no C library, run
//! unmodified and print what they print on Linux. Skipped (with a note) where the compiler is not
//! installed; `make test` installs musl-gcc.

use std::{path::PathBuf, process::Command};

use tests::{Boot, normalize_maps, program_output};

fn build(name: &str) -> Option<PathBuf> {
    tests::build_c(name, &[])
}

#[test]
fn a_static_musl_c_program_gives_the_same_output_as_on_linux() {
    let Some(program) = build("memory") else {
        return;
    };
    let linux = Command::new(&program)
        .args(["one", "two"])
        .output()
        .unwrap();
    assert!(linux.status.success());
    let linux = String::from_utf8_lossy(&linux.stdout).into_owned();

    let out = Boot::new("init=/bin/memory -- one two")
        .file(&program, "/bin/memory")
        .run();
    out.expect_status(0);
    let start = out.console.find("argc=").expect("program output");
    let end = out
        .console
        .find("[kernel] power off")
        .unwrap_or(out.console.len());
    assert_eq!(
        &out.console[start..end],
        linux,
        "kernel and Linux differ:\n{}",
        out.console
    );
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
}

/// Compiles tests/c/tiny.c with gcc and the given flags.
fn build_tiny(kind: &str, flags: &[&str]) -> Option<PathBuf> {
    if Command::new("gcc").arg("--version").output().is_err() {
        eprintln!("note: gcc is not installed; skipping");
        return None;
    }
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("c/tiny.c");
    let out = std::env::temp_dir().join(format!("vmkernel-tiny-{kind}-{}", std::process::id()));
    let status = Command::new("gcc")
        .args(flags)
        .args(["-nostdlib", "-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .unwrap();
    assert!(status.success(), "gcc failed");
    Some(out)
}

#[test]
fn bare_c_programs_run_as_et_exec_and_as_static_pie() {
    for (kind, flags) in [
        ("exec", &["-static", "-fno-pie", "-no-pie"][..]),
        ("pie", &["-static-pie", "-fPIE"][..]),
    ] {
        let Some(program) = build_tiny(kind, flags) else {
            return;
        };
        let header = std::fs::read(&program).unwrap();
        let e_type = u16::from_le_bytes([header[16], header[17]]);
        assert_eq!(
            e_type,
            if kind == "exec" { 2 } else { 3 },
            "gcc built the wrong ELF type for {kind}"
        );
        let linux = Command::new(&program).output().unwrap();
        assert!(linux.status.success());
        let out = Boot::new("init=/bin/tiny")
            .file(&program, "/bin/tiny")
            .run();
        out.expect_status(0)
            .expect_console(&String::from_utf8_lossy(&linux.stdout));
        let _ = std::fs::remove_file(program);
    }
}

#[test]
fn bss_and_heap_appear_in_maps_as_on_linux() {
    let Some(program) = build("heap") else { return };
    let linux = tests::run_native(&program, &[]);
    assert!(linux.status.success());
    let out = Boot::new("init=/bin/heap")
        .file(&program, "/bin/heap")
        .run();
    out.expect_status(0);
    let ours = normalize_maps(&program_output(&out.console));
    assert_eq!(
        ours,
        normalize_maps(&linux.stdout),
        "maps differ:\n{}",
        out.console
    );
    assert!(
        ours.iter().any(|l| l.contains("[heap]")),
        "no [heap] line: {ours:?}"
    );
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
}

/// A static-pie (ET_DYN without an interpreter, as gcc -static-pie and Rust's musl target build
/// them) is placed as Linux places a loader: right below the mmap base, with its heap at
/// ELF_ET_DYN_BASE. Compared address for address with Linux under `setarch -R`.
#[test]
fn a_static_pie_is_placed_as_on_linux() {
    if Command::new("gcc").arg("--version").output().is_err() {
        eprintln!("note: gcc is not installed; skipping");
        return;
    }
    let program = tests::build_c_dynamic("heap", &["-static-pie"]);
    let header = std::fs::read(&program).unwrap();
    assert_eq!(
        u16::from_le_bytes([header[16], header[17]]),
        3,
        "not ET_DYN"
    );
    let linux = tests::run_native(&program, &[]);
    assert!(linux.status.success());
    let out = Boot::new("init=/bin/heap")
        .file(&program, "/bin/heap")
        .run();
    out.expect_status(0);
    // Addresses, rights, offsets and names (a path cut to its last component); the areas only
    // Linux has left out.
    let exact = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.contains("[vdso]") && !l.contains("[vvar") && !l.contains("[vsyscall]"))
            .map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                let name = cols
                    .get(5)
                    .map_or("", |n| n.rsplit('/').next().unwrap_or(""));
                format!("{} {} {} {name}", cols[0], cols[1], cols[2])
            })
            .collect()
    };
    let ours = exact(&program_output(&out.console));
    assert_eq!(ours, exact(&linux.stdout), "maps differ:\n{}", out.console);
    assert!(
        ours.iter()
            .any(|l| l.starts_with("555555555000-") && l.ends_with("[heap]")),
        "heap not at ELF_ET_DYN_BASE: {ours:?}"
    );
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
}
