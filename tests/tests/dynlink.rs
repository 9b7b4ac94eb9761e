//! Dynamically linked programs (PT_INTERP): the kernel loads the interpreter
//! (`ld-linux-x86-64.so.2`) below the mmap base and starts there; the loader maps `libc.so.6` and
//! the rest itself. The runner puts the interpreter, the libraries `ldd` lists and the loader's
//! cache into the initramfs at the host's paths, symlinks included (`/lib64`, `/lib`).
//!
//! Compared with Linux (under `setarch -R`): a C program built with plain `gcc` (tests/c/
//! dynhello.c: its auxiliary vector and its whole process map), and Debian's own programs.

use tests::{
    Boot, assert_same_output, build_c_dynamic, can_run_natively, expect_lines, normalize_maps,
    program_output, run_native, without_info_lines,
};

/// Boots `host` (a dynamically linked host program) as the first process at `dest`.
fn boot_dynamic(host: &std::path::Path, dest: &str, args: &[&str]) -> tests::Outcome {
    let mut cmdline = format!("init={dest}");
    if !args.is_empty() {
        cmdline.push_str(" -- ");
        cmdline.push_str(&args.join(" "));
    }
    Boot::new(&cmdline).file(host, dest).run()
}

/// The rights of consecutive lines of `maps` (as dynhello prints them) that name `object`, with
/// repeats collapsed.
fn rights_of(output: &str, object: &str) -> Vec<String> {
    let mut rights: Vec<String> = Vec::new();
    for line in output
        .lines()
        .filter(|l| l.ends_with(&format!(" {object}")))
    {
        let perms = line.split_whitespace().next().unwrap_or("").to_string();
        if rights.last() != Some(&perms) {
            rights.push(perms);
        }
    }
    rights
}

#[test]
fn dynamically_linked_c_program_matches_linux() {
    let program = build_c_dynamic("dynhello", &["-lm"]);
    let out = boot_dynamic(&program, "/bin/dynhello", &[]);
    out.expect_status(0);
    let output = program_output(&out.console);
    expect_lines(
        &output,
        &[
            "hello from dynhello, dynamically linked",
            "AT_BASE (the loader) set: yes",
            "AT_ENTRY is the program's _start: yes",
            "AT_PHENT 56, AT_PAGESZ 4096, AT_SECURE 0, AT_CLKTCK 100",
            "the program is a PIE at ELF_ET_DYN_BASE: yes",
            "loaded object: libc.so.6, 1 program headers",
            "sqrt(2) from libm.so.6: 1.414214",
            "the loader ends at the mmap base: yes",
        ],
    );
    // Text, read-only data, RELRO (read-only again after relocation) and data, each library.
    for object in ["libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2"] {
        assert_eq!(
            rights_of(&output, object),
            ["r--p", "r-xp", "r--p", "rw-p"],
            "{object} in:\n{output}"
        );
    }
    if can_run_natively() {
        let linux = run_native(&program, &[]);
        assert_eq!(linux.kernel_style_status(), 0, "{linux:?}");
        assert_same_output(
            "dynhello",
            &without_info_lines(&output),
            &without_info_lines(&linux.stdout),
            &out,
        );
    }
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
}

/// A Debian program from the host, unchanged, at its own path; its output must be Linux's.
fn debian_program(path: &str, args: &[&str]) -> Option<String> {
    let host = std::path::Path::new(path);
    if !host.exists() {
        eprintln!("note: no {path} on this host, skipping");
        return None;
    }
    let out = boot_dynamic(host, path, args);
    out.expect_status(0);
    let output = program_output(&out.console);
    if can_run_natively() {
        let linux = run_native(host, args);
        assert_eq!(linux.kernel_style_status(), 0, "{linux:?}");
        assert_same_output(path, &output, &linux.stdout, &out);
    }
    Some(output)
}

#[test]
fn debian_env_and_ls_match_linux() {
    // env runs env again with an environment of its own: execve of a dynamically linked program
    // from one (the host's shell adds PWD to the first one's environment).
    if let Some(output) = debian_program(
        "/usr/bin/env",
        &["-i", "LOADER=ld.so", "LIBC=libc.so.6", "/usr/bin/env"],
    ) {
        assert_eq!(output, "LOADER=ld.so\nLIBC=libc.so.6\n");
    }
    // ls looks at each name with statx and, for -F, at what kind of file it is: the runner
    // recreated /lib64 and the loader's own symlink as the host has them.
    if let Some(output) = debian_program(
        "/bin/ls",
        &[
            "-1dF",
            "/lib64",
            "/lib64/ld-linux-x86-64.so.2",
            "/proc/self/maps",
        ],
    ) {
        expect_lines(&output, &["/lib64@", "/lib64/ld-linux-x86-64.so.2@"]);
    }
}

/// `ls -l` asks for every file's `security.selinux` and `system.posix_acl_access` attributes; it
/// takes EOPNOTSUPP as "none" but printed ENOSYS as an error. Kernel-only: the owner's name and
/// the time differ from the host's.
#[test]
fn debian_ls_long_listing_runs() {
    let ls = std::path::Path::new("/bin/ls");
    if !ls.exists() {
        return;
    }
    let out = boot_dynamic(ls, "/bin/ls", &["-l", "/proc/self/maps"]);
    out.expect_status(0);
    let output = program_output(&out.console);
    assert!(
        output.starts_with("-r--r--r-- 1 0 0 0 ") && output.trim_end().ends_with("/proc/self/maps"),
        "{}",
        out.console
    );
}

/// Debian's `cat` prints its own process map: the program, the heap, libc and the loader with
/// the same rights, offsets and sizes as on Linux. Areas without a name are left out: Linux's
/// loader allocates its first memory while it registers the vDSO, before it maps the libraries,
/// so there that memory is an area of its own, while here (no vDSO) it comes later and merges
/// with libc's bss; and cat's buffer depends on what its output is (a terminal here, a pipe on
/// the host).
#[test]
fn debian_cat_shows_its_libraries_as_linux() {
    let cat = std::path::Path::new("/bin/cat");
    if !cat.exists() {
        return;
    }
    let out = boot_dynamic(cat, "/bin/cat", &["/proc/self/maps"]);
    out.expect_status(0);
    let named = |text: &str| -> Vec<String> {
        normalize_maps(text)
            .into_iter()
            .filter(|line| !line.ends_with(' '))
            .collect()
    };
    let kernel = named(&program_output(&out.console));
    for object in [
        "cat",
        "[heap]",
        "libc.so.6",
        "ld-linux-x86-64.so.2",
        "[stack]",
    ] {
        assert!(
            kernel.iter().any(|l| l.ends_with(&format!(" {object}"))),
            "{object} missing in {kernel:#?}"
        );
    }
    if can_run_natively() {
        let linux = run_native(cat, &["/proc/self/maps"]);
        assert_eq!(linux.kernel_style_status(), 0, "{linux:?}");
        assert_eq!(kernel, named(&linux.stdout), "{}", out.console);
    }
}

/// execve of programs whose PT_INTERP is wrong (tests/c/interp.c): the path checks (ENOEXEC),
/// the interpreter's lookup (ENOENT, EACCES) and its file (EIO when shorter than an ELF header,
/// ELIBBAD when not an x86-64 ELF file or without its program headers), as on Linux.
#[test]
fn bad_interpreters_fail_execve_as_on_linux() {
    let Some((_, output)) = tests::c_differential("interp", &[]) else {
        return;
    };
    expect_lines(
        &output,
        &[
            "missing interpreter: execve: ENOENT",
            "path without its NUL: execve: ENOEXEC",
            "interpreter is a directory: execve: EACCES",
            "interpreter is a script: execve: ELIBBAD",
            "interpreter shorter than an ELF header: execve: EIO",
            "done",
        ],
    );
}
