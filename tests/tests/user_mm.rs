//! User address spaces, with Linux as the oracle: the same static programs run on this host and as
//! the first process of the kernel in QEMU, and their outputs and exit statuses are compared.
//!
//! - `segv_*`: each kind of fatal fault ends the program with the signal Linux sends (exit status
//!   128 + signal on both), and the kernel reports it in one line with the pid, the faulting
//!   address, the instruction pointer and the reason.
//! - `maps`, `mmtest`, `bigmap`, `stackgrow`, `badptr`: the output is the same as on Linux (maps
//!   after removing addresses, device, inode, the executable's directory and Linux's vDSO areas).
//! - `bigmap` also checks this kernel's own counters: a 4 GiB MAP_NORESERVE mapping costs only the
//!   pages that are touched.
//! - Starting a first program that is not an ELF executable fails with ENOEXEC and status 127.

use std::path::PathBuf;

use tests::{
    Boot, assert_same_output, boot_program, can_run_natively, differential, normalize_maps,
    program_output, run_native, user_program,
};

use abi::{
    errno::ENOEXEC,
    signal::{SIGBUS, SIGILL, SIGSEGV},
};

const MIB: u64 = 1 << 20;

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16)
        .unwrap_or_else(|_| panic!("not a hex number: {s:?}"))
}

/// The addresses `segv` prints before it faults (`segv: target=.. text=..-.. stack_end=..`).
#[derive(Debug, Clone, Copy)]
struct Targets {
    target: u64,
    text: (u64, u64),
    stack_end: u64,
}

fn parse_targets(text: &str) -> Targets {
    let line = text
        .lines()
        .find(|l| l.starts_with("segv: target="))
        .unwrap_or_else(|| panic!("no target line in:\n{text}"));
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {line:?}"))
    };
    let (ts, te) = field("text=").split_once('-').expect("text range");
    Targets {
        target: hex(field("target=")),
        text: (hex(ts), hex(te)),
        stack_end: hex(field("stack_end=")),
    }
}

/// The kernel's one-line report of a process killed by a fault.
#[derive(Debug)]
struct Report {
    pid: u32,
    name: String,
    signame: String,
    signal: i32,
    addr: Option<u64>,
    rip: u64,
    why: String,
}

/// Parses `[kernel] pid 1 (/bin/segv): SIGSEGV (signal 11) at 0x0, rip 0x201234: why`.
fn parse_report(line: &str) -> Report {
    fn fail<T>(line: &str) -> T {
        panic!("malformed fault report: {line:?}")
    }
    let rest = line
        .strip_prefix("[kernel] pid ")
        .unwrap_or_else(|| fail(line));
    let (pid, rest) = rest.split_once(" (").unwrap_or_else(|| fail(line));
    let (name, rest) = rest.split_once("): ").unwrap_or_else(|| fail(line));
    let (signame, rest) = rest.split_once(" (signal ").unwrap_or_else(|| fail(line));
    let (signal, rest) = rest.split_once(')').unwrap_or_else(|| fail(line));
    let (where_, why) = rest.split_once(": ").unwrap_or_else(|| fail(line));
    let (at, rip) = where_.split_once("rip ").unwrap_or_else(|| fail(line));
    let addr = at
        .trim()
        .trim_end_matches(',')
        .strip_prefix("at ")
        .map(|a| hex(a.trim()));
    Report {
        pid: pid.parse().unwrap_or_else(|_| fail(line)),
        name: name.into(),
        signame: signame.into(),
        signal: signal.parse().unwrap_or_else(|_| fail(line)),
        addr,
        rip: hex(rip.trim()),
        why: why.into(),
    }
}

/// Where the fault must be.
#[derive(Clone, Copy)]
enum Addr {
    /// This very address.
    Exact(u64),
    /// The address the program announced.
    Target,
    /// Just below the 8 MiB stack limit under the top of the stack.
    BelowStackLimit,
    /// No address in the report (not a page fault).
    None,
}

/// What a `segv` cause must produce.
struct Expect {
    cause: &'static str,
    signal: i32,
    signame: &'static str,
    addr: Addr,
    /// The instruction pointer is the target (a jump into data), else it lies in the program text.
    rip_at_target: bool,
    /// Texts the reason must start with and end with.
    why_starts: &'static str,
    why_ends: &'static str,
}

/// Runs `segv CAUSE` on Linux and in the kernel and checks both against `e`.
fn check_segv(e: Expect) {
    let prog = user_program("segv");
    let expected_stdout = format!("segv: {}\n", e.cause);

    if can_run_natively() {
        let linux = run_native(&prog, &[e.cause]);
        assert_eq!(
            linux.signal(),
            Some(e.signal),
            "on Linux, segv {} ended with {:?}; stdout {:?} stderr {:?}",
            e.cause,
            linux.status,
            linux.stdout,
            linux.stderr
        );
        assert_eq!(linux.kernel_style_status(), 128 + e.signal);
        assert_eq!(linux.stdout, expected_stdout, "stdout on Linux");
    }

    let out = boot_program("segv", &[e.cause]);
    out.expect_status(128 + e.signal);
    let output = program_output(&out.console);
    assert!(
        output.starts_with(&expected_stdout) && !output.contains("survived"),
        "segv {}: unexpected output:\n{}",
        e.cause,
        out.console
    );
    let t = parse_targets(&output);
    let reports: Vec<&str> = out
        .console
        .lines()
        .filter(|l| l.starts_with("[kernel] pid "))
        .collect();
    assert_eq!(
        reports.len(),
        1,
        "segv {}: expected one fault report:\n{}",
        e.cause,
        out.console
    );
    let r = parse_report(reports[0]);
    let ctx = format!("segv {}: report {:?}, targets {t:x?}", e.cause, reports[0]);
    assert_eq!(r.pid, 1, "{ctx}");
    assert_eq!(r.name, "/bin/segv", "{ctx}");
    assert_eq!(r.signal, e.signal, "{ctx}");
    assert_eq!(r.signame, e.signame, "{ctx}");
    match e.addr {
        Addr::Exact(a) => assert_eq!(r.addr, Some(a), "{ctx}"),
        Addr::Target => assert_eq!(r.addr, Some(t.target), "{ctx}"),
        Addr::BelowStackLimit => {
            let a = r.addr.unwrap_or_else(|| panic!("no address: {ctx}"));
            assert!(
                a < t.stack_end - 8 * MIB && a >= t.stack_end - 8 * MIB - 64 * 1024,
                "the overflow must fault just below the 8 MiB stack limit: {ctx}"
            );
        }
        Addr::None => assert_eq!(r.addr, None, "{ctx}"),
    }
    if e.rip_at_target {
        assert_eq!(r.rip, t.target, "{ctx}");
    } else {
        assert!(
            t.text.0 <= r.rip && r.rip < t.text.1 && t.text.0 >= 0x20_0000,
            "rip must be in the program's text: {ctx}"
        );
    }
    assert!(
        r.why.starts_with(e.why_starts) && r.why.ends_with(e.why_ends),
        "reason must be {:?}..{:?}: {ctx}",
        e.why_starts,
        e.why_ends
    );
}

const NO_MAPPING: &str = "no mapping at this address (";
const NOT_PERMITTED: &str = "access not permitted by the mapping (";

#[test]
fn segv_null_read() {
    check_segv(Expect {
        cause: "null-read",
        signal: SIGSEGV,
        signame: "SIGSEGV",
        addr: Addr::Exact(0),
        rip_at_target: false,
        why_starts: NO_MAPPING,
        why_ends: "not-present read user)",
    });
}

#[test]
fn segv_null_write() {
    check_segv(Expect {
        cause: "null-write",
        signal: SIGSEGV,
        signame: "SIGSEGV",
        addr: Addr::Exact(0),
        rip_at_target: false,
        why_starts: NO_MAPPING,
        why_ends: "not-present write user)",
    });
}

#[test]
fn segv_write_rodata() {
    check_segv(Expect {
        cause: "write-rodata",
        signal: SIGSEGV,
        signame: "SIGSEGV",
        addr: Addr::Target,
        rip_at_target: false,
        why_starts: NOT_PERMITTED,
        why_ends: " write user)",
    });
}

#[test]
fn segv_write_text() {
    check_segv(Expect {
        cause: "write-text",
        signal: SIGSEGV,
        signame: "SIGSEGV",
        addr: Addr::Target,
        rip_at_target: false,
        why_starts: NOT_PERMITTED,
        why_ends: " write user)",
    });
}

#[test]
fn segv_exec_data() {
    check_segv(Expect {
        cause: "exec-data",
        signal: SIGSEGV,
        signame: "SIGSEGV",
        addr: Addr::Target,
        rip_at_target: true,
        why_starts: NOT_PERMITTED,
        why_ends: "protection-violation instruction-fetch user)",
    });
}

#[test]
fn segv_exec_stack() {
    check_segv(Expect {
        cause: "exec-stack",
        signal: SIGSEGV,
        signame: "SIGSEGV",
        addr: Addr::Target,
        rip_at_target: true,
        why_starts: NOT_PERMITTED,
        why_ends: "protection-violation instruction-fetch user)",
    });
}

#[test]
fn segv_after_munmap() {
    check_segv(Expect {
        cause: "after-munmap",
        signal: SIGSEGV,
        signame: "SIGSEGV",
        addr: Addr::Target,
        rip_at_target: false,
        why_starts: NO_MAPPING,
        why_ends: "not-present read user)",
    });
}

#[test]
fn segv_prot_none() {
    check_segv(Expect {
        cause: "prot-none",
        signal: SIGSEGV,
        signame: "SIGSEGV",
        addr: Addr::Target,
        rip_at_target: false,
        why_starts: NOT_PERMITTED,
        why_ends: "not-present read user)",
    });
}

#[test]
fn segv_kernel_address() {
    check_segv(Expect {
        cause: "kernel-address",
        signal: SIGSEGV,
        signame: "SIGSEGV",
        addr: Addr::Exact(0xffff_8000_0000_0000),
        rip_at_target: false,
        why_starts: NO_MAPPING,
        why_ends: " read user)",
    });
}

#[test]
fn segv_stack_overflow() {
    check_segv(Expect {
        cause: "stack-overflow",
        signal: SIGSEGV,
        signame: "SIGSEGV",
        addr: Addr::BelowStackLimit,
        rip_at_target: false,
        why_starts: NO_MAPPING,
        why_ends: " user)",
    });
}

#[test]
fn segv_sigbus_beyond_end_of_file() {
    check_segv(Expect {
        cause: "sigbus",
        signal: SIGBUS,
        signame: "SIGBUS",
        addr: Addr::Target,
        rip_at_target: false,
        why_starts: "file page beyond the end of the file (",
        why_ends: "not-present read user)",
    });
}

#[test]
fn segv_ud2_is_sigill() {
    check_segv(Expect {
        cause: "ud2",
        signal: SIGILL,
        signame: "SIGILL",
        addr: Addr::None,
        rip_at_target: true,
        why_starts: "invalid opcode (#UD)",
        why_ends: "invalid opcode (#UD)",
    });
}

#[test]
fn maps_matches_linux() {
    let out = boot_program("maps", &[]);
    out.expect_status(0);
    let kernel = normalize_maps(&program_output(&out.console));
    let expected_names = ["maps", "maps", "maps", "[heap]", "[stack]"];
    let names: Vec<&str> = kernel
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(names, expected_names, "kernel maps: {kernel:#?}");
    assert!(
        kernel.iter().any(|l| l == "rw-p 00000000 pages=3 [heap]")
            && kernel.iter().any(|l| l == "rw-p 00000000 pages=33 [stack]"),
        "kernel maps: {kernel:#?}"
    );
    if can_run_natively() {
        let linux = run_native(&user_program("maps"), &[]);
        assert_eq!(linux.kernel_style_status(), 0, "{linux:?}");
        let linux = normalize_maps(&linux.stdout);
        assert_same_output("maps", &kernel.join("\n"), &linux.join("\n"), &out);
    }
}

#[test]
fn mmtest_matches_linux() {
    let (_, output) = differential("mmtest", &[]);
    for line in [
        "mmap huge: ENOMEM",
        "MAP_FIXED replaces: true",
        "munmap middle: ok",
        "private write is private: true",
    ] {
        assert!(
            output.lines().any(|l| l == line),
            "mmtest lacks {line:?}:\n{output}"
        );
    }
}

#[test]
fn badptr_matches_linux() {
    let (_, output) = differential("badptr", &[]);
    assert!(
        output.ends_with("still alive\n")
            && output.contains("write from NULL: EFAULT\n")
            && output.contains("read into .rodata: EFAULT\n")
            && output.contains("read into untouched anonymous pages: 8192\n")
            && output.contains("stack data arrived: true\n"),
        "badptr:\n{output}"
    );
}

/// The value after `prefix` on the line that starts with it, as a number.
fn number_after(output: &str, prefix: &str) -> i64 {
    let line = output
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{output}"));
    line.trim()
        .trim_start_matches('+')
        .parse()
        .unwrap_or_else(|_| panic!("not a number after {prefix:?}: {line:?}"))
}

#[test]
fn bigmap_matches_linux_and_costs_only_touched_pages() {
    let (_, output) = differential("bigmap", &[]);
    let has = |line: &str| {
        assert!(
            output.lines().any(|l| l == line),
            "bigmap lacks {line:?}:\n{output}"
        )
    };
    // Part b: 2048 areas that cannot merge, gone with one munmap.
    has("b: map 2048 pages: true");
    has("b: maps lines after mapping: +2048");
    has("b: region lines: 2048, alternating r--p/rw-p: true");
    has("b: pages read back: true");
    has("b: maps lines after munmap: +0");
    has("b: maps lines after mprotect (merged): +1");
    has("b: maps lines after splitting: +3");
    has("b: maps lines at the end: +0");
    // Part a: the overcommit heuristic refuses more than RAM without MAP_NORESERVE...
    has("# a: mmap 4 GiB without MAP_NORESERVE: ENOMEM");
    // ...and with it, 4 GiB cost the 5 touched pages and their page tables.
    has("a: mmap 4 GiB MAP_NORESERVE: ok");
    has("a: 5 pages written and read back: true");
    has("a: untouched pages read as zero: true");
    has("a: RssAnon delta kB: 20");
    has("a: RssAnon delta after munmap kB: 0");
    assert_eq!(number_after(&output, "# a: mmstat rss_anon delta: "), 5);
    assert_eq!(
        number_after(&output, "# a: mmstat rss_anon delta after munmap: "),
        0
    );
    // The two reads of untouched pages map the zero page.
    assert_eq!(
        number_after(&output, "# a: mmstat zero_page_maps delta: "),
        2
    );
    let tables = number_after(&output, "# a: mmstat page_tables delta: ");
    assert!(
        (2..=16).contains(&tables),
        "page tables for 5 pages over 4 GiB: {tables}\n{output}"
    );
    let after_mmap = number_after(&output, "# a: MemFree drop after mmap kB: ");
    let after_touch = number_after(&output, "# a: MemFree drop after touching kB: ");
    let after_munmap = number_after(&output, "# a: MemFree drop after munmap kB: ");
    assert!(
        (0..16).contains(&after_mmap),
        "mapping 4 GiB must cost (almost) nothing: {after_mmap} kB\n{output}"
    );
    assert!(
        (20 + 4 * tables..200).contains(&after_touch),
        "touching 5 pages must cost about 5 pages and {tables} page tables: {after_touch} kB\n{output}"
    );
    assert!(
        after_munmap <= after_touch - 20,
        "munmap must give the pages back: {after_munmap} kB still used\n{output}"
    );
}

#[test]
fn stackgrow_matches_linux() {
    let (_, output) = differential("stackgrow", &[]);
    for line in [
        "start: [stack] pages 33, VmStk 132 kB",
        "recursion: stack pointer went 512 KiB down: true",
        "recursion: [stack] covers the deepest frame: true",
        "recursion: RssAnon grew by at least 480 KiB: true",
        "after 1 MiB: [stack] pages 256, VmStk 1024 kB, RssAnon 1028 kB",
        "back at the top: [stack] pages 256, VmStk 1024 kB, RssAnon 1028 kB",
    ] {
        assert!(
            output.lines().any(|l| l == line),
            "stackgrow lacks {line:?}:\n{output}"
        );
    }
    // Every page of the 1 MiB stack is resident (plus the data page).
    assert_eq!(number_after(&output, "# rss_anon pages: "), 257, "{output}");
}

#[test]
fn hello_with_three_args_exits_3() {
    let args = ["one", "two", "three"];
    let out = boot_program("hello", &args);
    out.expect_status(3)
        .expect_console("[kernel] power off: exit status 3");
    let output = program_output(&out.console);
    let lines: Vec<&str> = output.lines().collect();
    assert!(
        lines
            .first()
            .is_some_and(|l| l.starts_with("hello from /bin/hello")),
        "{output}"
    );
    assert_eq!(
        lines[1..],
        ["argv[1] = one", "argv[2] = two", "argv[3] = three"],
        "{output}"
    );
    if can_run_natively() {
        // The same on Linux, but for argv[0], the host path.
        let linux = run_native(&user_program("hello"), &args);
        assert_eq!(linux.kernel_style_status(), 3, "{linux:?}");
        let host_path = user_program("hello").display().to_string();
        assert_eq!(linux.stdout.replace(&host_path, "/bin/hello"), output);
    }
}

/// A file in this test binary's scratch directory, executable.
fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("user_mm");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("writing a scratch file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    path
}

/// Boots with `host` as `/bin/<name>`, the first program; it must be refused with ENOEXEC.
fn expect_enoexec(host: PathBuf, name: &str, why: &str) {
    let out = Boot::new(&format!("init=/bin/{name}"))
        .file(host, &format!("/bin/{name}"))
        .run();
    out.expect_status(127)
        .expect_console(&format!("exec /bin/{name}: {why}"))
        .expect_console(&format!(
            "cannot run /bin/{name}: ENOEXEC (not an executable this kernel can run)"
        ))
        .expect_console("[kernel] power off: exit status 127");
    assert!(
        !out.console.contains("init: pid 1 running"),
        "{}",
        out.console
    );
}

#[test]
fn text_file_as_init_is_enoexec() {
    let path = scratch_file("notelf", b"this is a text file, not a program\n");
    if can_run_natively() {
        // Linux refuses it the same way (a shell would then run it as a script; execve does not).
        let err = std::process::Command::new(&path)
            .output()
            .expect_err("Linux must refuse a non-ELF file without a valid interpreter");
        assert_eq!(
            err.raw_os_error(),
            Some(ENOEXEC.raw()),
            "ENOEXEC on Linux: {err}"
        );
    }
    expect_enoexec(path, "notelf", "not an ELF file (bad magic number)");
}

#[test]
fn truncated_elf_as_init_is_enoexec() {
    let hello = std::fs::read(user_program("hello")).expect("hello");
    // Cut inside the program header table.
    let path = scratch_file("hello-100", &hello[..100]);
    if can_run_natively() {
        let err = std::process::Command::new(&path)
            .output()
            .expect_err("Linux must refuse an ELF file cut inside its program headers");
        assert_eq!(
            err.raw_os_error(),
            Some(ENOEXEC.raw()),
            "ENOEXEC on Linux: {err}"
        );
    }
    expect_enoexec(path, "hello-100", "malformed ELF program header table");
}

/// `(index, p_offset, p_filesz)` of each PT_LOAD program header of a 64-bit ELF file.
fn load_segments(elf: &[u8]) -> Vec<(usize, u64, u64)> {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap());
    let (phoff, phentsize, phnum) = (u64_at(0x20) as usize, u16_at(0x36), u16_at(0x38));
    (0..phnum)
        .map(|i| (i, phoff + i * phentsize))
        .filter(|&(_, ph)| u32_at(ph) == 1)
        .map(|(i, ph)| (i, u64_at(ph + 8), u64_at(ph + 32)))
        .collect()
}

#[test]
fn elf_cut_inside_a_segment_is_enoexec() {
    let hello = std::fs::read(user_program("hello")).expect("hello");
    // Cut in the middle of the last segment with file contents: its file contents extend past the
    // end of the file. (Linux maps it anyway; the program then dies of whatever the missing bytes
    // cause, SIGSEGV for this one.)
    let (index, offset, filesz) = load_segments(&hello)
        .into_iter()
        .rfind(|&(_, _, filesz)| filesz > 1)
        .expect("hello has a PT_LOAD segment with contents");
    let cut = (offset + filesz / 2) as usize;
    let path = scratch_file("hello-cut", &hello[..cut]);
    expect_enoexec(
        path,
        "hello-cut",
        &format!("ELF program header {index}: file contents extend past the end of the file"),
    );
}
