//! Helpers for the integration tests: boot the kernel in QEMU through the `boot` runner with a
//! command line and some files, and collect the console output and the exit status.
//!
//! The Makefile passes the paths of the kernel, the runner and the user programs in `KERNEL`, `BOOT`
//! and `USER_BIN_DIR`; without them the tests fall back to the default build locations.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
};

/// What a boot produced.
#[derive(Debug)]
pub struct Outcome {
    /// The runner's exit status (see boot/src/main.rs: 0..=255 from the kernel, 124 timeout,
    /// 252 triple fault, 253 panic, 254 runner error).
    pub status: i32,
    /// Everything the kernel and its programs printed on the console.
    pub console: String,
    /// The runner's own messages.
    pub runner: String,
}

impl Outcome {
    /// Panics with the whole console when `needle` is missing, so a failure shows what happened.
    #[track_caller]
    pub fn expect_console(&self, needle: &str) -> &Self {
        assert!(
            self.console.contains(needle),
            "console lacks {needle:?}:\n{}\n{}",
            self.console,
            self.runner
        );
        self
    }

    #[track_caller]
    pub fn expect_status(&self, status: i32) -> &Self {
        assert_eq!(
            self.status, status,
            "wrong exit status; console:\n{}\n{}",
            self.console, self.runner
        );
        self
    }
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(default))
}

pub fn kernel_path() -> PathBuf {
    env_path("KERNEL", "target/x86_64-unknown-none/debug/kernel")
}

pub fn boot_path() -> PathBuf {
    env_path("BOOT", "target/debug/boot")
}

/// A user program built from `user/` (a static ELF that also runs on Linux).
pub fn user_program(name: &str) -> PathBuf {
    env_path("USER_BIN_DIR", "target/x86_64-unknown-none/debug").join(name)
}

/// A Rust std program from `user-std/` (a static musl executable that also runs on Linux).
pub fn std_program(name: &str) -> PathBuf {
    env_path("USER_STD_BIN_DIR", "target/x86_64-unknown-linux-musl/debug").join(name)
}

/// A boot to run. Address-space randomisation is off (`norandmaps`), as the Linux runs are under
/// `setarch -R`, unless [`randomized`](Self::randomized) asks for it.
pub struct Boot {
    cmdline: String,
    files: Vec<(PathBuf, String)>,
    timeout_secs: u64,
    extra: Vec<String>,
    input: Vec<u8>,
    randomize: bool,
}

impl Boot {
    pub fn new(cmdline: &str) -> Self {
        Boot {
            cmdline: cmdline.into(),
            files: Vec::new(),
            timeout_secs: 120,
            extra: Vec::new(),
            input: Vec::new(),
            randomize: false,
        }
    }

    /// Boots with address-space randomisation on (the kernel's default).
    pub fn randomized(mut self) -> Self {
        self.randomize = true;
        self
    }

    /// What is typed into the console once the first program runs (then ^D, as the runner does at
    /// the end of its input).
    pub fn input(mut self, bytes: &[u8]) -> Self {
        self.input = bytes.to_vec();
        self
    }

    /// Adds a host file to the initramfs at `dest`.
    pub fn file(mut self, host: impl Into<PathBuf>, dest: &str) -> Self {
        self.files.push((host.into(), dest.into()));
        self
    }

    pub fn timeout(mut self, secs: u64) -> Self {
        self.timeout_secs = secs;
        self
    }

    /// QEMU's RAM size (default 512M).
    pub fn memory(mut self, size: &str) -> Self {
        self.extra.push("--memory".into());
        self.extra.push(size.into());
        self
    }

    pub fn uefi(mut self) -> Self {
        self.extra.push("--uefi".into());
        self
    }

    pub fn run(self) -> Outcome {
        let mut cmd = Command::new(boot_path());
        cmd.arg("run")
            .arg("--kernel")
            .arg(kernel_path())
            .args(["--timeout", &self.timeout_secs.to_string()])
            .arg("--cmdline")
            .arg(if self.randomize {
                self.cmdline.clone()
            } else {
                format!("norandmaps {}", self.cmdline)
            })
            .args(&self.extra);
        for (host, dest) in &self.files {
            cmd.arg("--file")
                .arg(format!("{}:{}", host.display(), dest));
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running the boot runner (make build first)");
        let mut stdin = child.stdin.take().expect("piped");
        let input = self.input;
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&input);
        });
        let out = child
            .wait_with_output()
            .expect("waiting for the boot runner");
        let _ = writer.join();
        Outcome {
            status: out.status.code().unwrap_or(-1),
            console: String::from_utf8_lossy(&out.stdout).into_owned(),
            runner: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Boots with `name` from the user programs as the first process, `/bin/<name>`, with `args`.
pub fn boot_program(name: &str, args: &[&str]) -> Outcome {
    let mut cmdline = format!("init=/bin/{name}");
    if !args.is_empty() {
        cmdline.push_str(" -- ");
        cmdline.push_str(&args.join(" "));
    }
    Boot::new(&cmdline)
        .file(user_program(name), &format!("/bin/{name}"))
        .run()
}

/// Builds tests/c/NAME.c (musl, `cflags`) and boots it as the first process, `/bin/NAME`, with
/// `args`, for the checks that only this kernel can answer (QEMU only). `more` adds to the boot
/// (files, memory). None when musl-gcc is missing.
pub fn boot_c(
    name: &str,
    cflags: &[&str],
    args: &[&str],
    more: impl FnOnce(Boot) -> Boot,
) -> Option<Outcome> {
    let program = build_c(name, cflags)?;
    let mut cmdline = format!("init=/bin/{name}");
    if !args.is_empty() {
        cmdline.push_str(" -- ");
        cmdline.push_str(&args.join(" "));
    }
    let out = more(Boot::new(&cmdline).file(&program, &format!("/bin/{name}"))).run();
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
    Some(out)
}

/// The program ended with 0, printed `line` and no line with "FAIL" (the QEMU-only checks'
/// convention).
pub fn expect_ok(out: &Outcome, line: &str) {
    let output = program_output(&out.console);
    assert!(
        output.contains(line) && !output.contains("FAIL"),
        "{}",
        out.console
    );
    out.expect_status(0);
}

/// What the first program printed, taken from the console: the lines after the kernel's
/// `init: pid 1 running` line, without the kernel's own lines (they start with `[`: log lines,
/// `[kernel] ...` reports and the power-off line). Programs whose output is compared this way must
/// not print lines that start with `[`.
pub fn program_output(console: &str) -> String {
    let mut out = String::new();
    let mut started = false;
    for line in console.lines() {
        if !started {
            started = line.contains("init: pid 1 running");
            continue;
        }
        if !line.starts_with('[') {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Drops the lines that start with `# `: the test programs print machine-dependent information
/// (addresses, this kernel's own counters) on such lines, which are not compared with Linux.
pub fn without_info_lines(output: &str) -> String {
    output
        .lines()
        .filter(|l| !l.starts_with("# "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Whether this host can run the user programs itself (they are Linux x86_64 static executables):
/// Linux is the oracle the kernel is compared with.
pub fn can_run_natively() -> bool {
    cfg!(all(target_os = "linux", target_arch = "x86_64"))
}

/// A run of a user program on the host, the Linux oracle.
#[derive(Debug)]
pub struct Native {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Native {
    /// The signal that ended the program, if one did.
    pub fn signal(&self) -> Option<i32> {
        #[cfg(unix)]
        {
            std::os::unix::process::ExitStatusExt::signal(&self.status)
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    /// The status the way this kernel's runner reports it: the exit code, or 128 + the signal.
    pub fn kernel_style_status(&self) -> i32 {
        match (self.status.code(), self.signal()) {
            (Some(code), _) => code,
            (None, Some(sig)) => 128 + sig,
            (None, None) => -1,
        }
    }
}

/// Whether `setarch x86_64 -R` works here (it turns address-space randomisation off, so that
/// Linux lays out the program's areas the way this kernel does).
fn setarch_works() -> bool {
    static WORKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WORKS.get_or_init(|| {
        Command::new("setarch")
            .args(["x86_64", "-R", "true"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Runs a program on the host (Linux) the way the kernel runs its first process: the same small
/// environment (`HOME=/`, `PATH=/bin`, `TERM=linux`), an 8 MiB stack limit (RLIMIT_STACK), and no
/// address-space randomisation when `setarch` is available. `argv[0]` is the host path.
pub fn run_native(program: &std::path::Path, args: &[&str]) -> Native {
    let mut cmd = Command::new("/bin/sh");
    // `exec` keeps the program's own status: a signal that kills it is seen by the caller.
    cmd.args(["-c", "ulimit -s 8192 2>/dev/null; exec \"$@\"", "sh"]);
    if setarch_works() {
        cmd.args(["setarch", "x86_64", "-R"]);
    }
    cmd.arg(program).args(args);
    // A process group of its own in the caller's session: never an orphaned group, whatever
    // started the tests (a stop signal such as SIGTSTP is discarded in an orphaned group, and a
    // test that waits for the stop would hang).
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let out = cmd
        .env_clear()
        .env("HOME", "/")
        .env("PATH", "/bin")
        .env("TERM", "linux")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {} natively: {e}", program.display()));
    Native {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `/proc/PID/maps` text reduced to what must agree between Linux and this kernel: per line the
/// permissions, the offset, the size in pages and the name, with a file's path cut to its last
/// component (Linux shows the host path of the program, this kernel `/bin/<name>`). Addresses,
/// device and inode go, and so do the areas only Linux has: `[vdso]`, `[vvar]`, `[vvar_vclock]`
/// and `[vsyscall]`.
pub fn normalize_maps(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for line in text.lines() {
        let mut cols = line.split_whitespace();
        let (Some(range), Some(perms), Some(offset), Some(_dev), Some(_inode)) = (
            cols.next(),
            cols.next(),
            cols.next(),
            cols.next(),
            cols.next(),
        ) else {
            lines.push(format!("malformed: {line}"));
            continue;
        };
        let name = cols.collect::<Vec<_>>().join(" ");
        if matches!(
            name.as_str(),
            "[vdso]" | "[vvar]" | "[vvar_vclock]" | "[vsyscall]"
        ) {
            continue;
        }
        let name = if name.starts_with('/') {
            name.rsplit('/').next().unwrap_or("").to_string()
        } else {
            name
        };
        let pages = range
            .split_once('-')
            .and_then(|(s, e)| {
                let s = u64::from_str_radix(s, 16).ok()?;
                let e = u64::from_str_radix(e, 16).ok()?;
                e.checked_sub(s)
            })
            .map_or("?".to_string(), |len| (len / 4096).to_string());
        lines.push(format!("{perms} {offset} pages={pages} {name}"));
    }
    lines
}

/// Fails with both outputs when the program's output in the kernel differs from Linux's.
#[track_caller]
pub fn assert_same_output(program: &str, kernel: &str, linux: &str, out: &Outcome) {
    if kernel != linux {
        let diff: Vec<String> = kernel
            .lines()
            .map(Some)
            .chain(std::iter::repeat(None))
            .zip(linux.lines().map(Some).chain(std::iter::repeat(None)))
            .take_while(|(k, l)| k.is_some() || l.is_some())
            .enumerate()
            .filter(|(_, (k, l))| k != l)
            .map(|(i, (k, l))| format!("line {}: kernel {k:?}\n         linux  {l:?}", i + 1))
            .collect();
        panic!(
            "{program}: output differs from Linux:\n{}\n--- console:\n{}\n{}",
            diff.join("\n"),
            out.console,
            out.runner
        );
    }
}

/// Runs `name args` in the kernel and on Linux; both must exit with 0 and print the same
/// (lines starting with `# ` aside). Returns the kernel's outcome and its output.
pub fn differential(name: &str, args: &[&str]) -> (Outcome, String) {
    let out = boot_program(name, args);
    out.expect_status(0);
    let output = program_output(&out.console);
    assert!(
        output.lines().count() > 3,
        "{name}: too little output:\n{}",
        out.console
    );
    if can_run_natively() {
        let linux = run_native(&user_program(name), args);
        assert_eq!(linux.kernel_style_status(), 0, "{name} on Linux: {linux:?}");
        assert_same_output(
            name,
            &without_info_lines(&output),
            &without_info_lines(&linux.stdout),
            &out,
        );
    }
    (out, output)
}

/// Compiles tests/c/NAME.c with `musl-gcc -static -O2` (plus `extra` flags) into a directory of its
/// own, so the file keeps the program's name (which /proc/PID/maps shows). None, with a note, when
/// musl-gcc is not installed (`make test` installs it).
pub fn build_c(name: &str, extra: &[&str]) -> Option<PathBuf> {
    if Command::new("musl-gcc").arg("--version").output().is_err() {
        eprintln!("note: musl-gcc is not installed (apt-get install musl-tools); skipping");
        return None;
    }
    Some(compile_c("musl-gcc", name, extra))
}

/// Compiles tests/c/NAME.c against glibc (`gcc -static -O2`, plus `extra`): the C library of
/// Debian's own programs, whose start-up, fork (clone with 0x1200011) and pthreads differ from
/// musl's. `make test` installs libc6-dev, which holds the static glibc.
pub fn build_c_glibc(name: &str, extra: &[&str]) -> PathBuf {
    compile_c("gcc", name, extra)
}

/// Compiles tests/c/NAME.c with plain `gcc -O2` (plus `extra`): a dynamically linked PIE with
/// the host's `/lib64/ld-linux-x86-64.so.2` as interpreter and its `libc.so.6`, as Debian builds
/// its programs. The runner puts the interpreter and the libraries into the initramfs.
pub fn build_c_dynamic(name: &str, extra: &[&str]) -> PathBuf {
    compile_c_linked("gcc", name, false, extra)
}

fn compile_c(compiler: &str, name: &str, extra: &[&str]) -> PathBuf {
    compile_c_linked(compiler, name, true, extra)
}

fn compile_c_linked(compiler: &str, name: &str, static_link: bool, extra: &[&str]) -> PathBuf {
    let src = workspace().join("tests/c").join(format!("{name}.c"));
    // One directory per build, not per test binary: two tests of one binary that build the same
    // program run in parallel, and a build must not truncate the file the other is booting, nor
    // the other's clean-up remove it.
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let build = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let linking = if static_link { "static" } else { "dynamic" };
    let dir = std::env::temp_dir().join(format!(
        "vmkernel-c-{name}-{compiler}-{linking}-{}-{build}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(name);
    let status = Command::new(compiler)
        .args(static_link.then_some("-static"))
        .args(["-O2", "-Wall", "-o"])
        .arg(&out)
        .arg(&src)
        .args(extra)
        .status()
        .unwrap();
    assert!(status.success(), "{compiler} failed on {}", src.display());
    out
}

/// Builds tests/c/NAME.c, runs it with `args` as the first process here and natively on Linux, and
/// checks that both exit with 0 and print the same (lines starting with `# ` aside). Returns the
/// kernel's outcome and output, or None when musl-gcc is missing. Never use it for a program that
/// forks without bound: the Linux run is on the host.
pub fn c_differential(name: &str, args: &[&str]) -> Option<(Outcome, String)> {
    c_differential_with(name, args, "", |boot| boot)
}

/// [`c_differential`] with `options` added to the kernel command line and the boot changed by
/// `configure` (more memory, say).
pub fn c_differential_with(
    name: &str,
    args: &[&str],
    options: &str,
    configure: impl FnOnce(Boot) -> Boot,
) -> Option<(Outcome, String)> {
    let program = build_c(name, &[])?;
    let mut cmdline = format!("init=/bin/{name}");
    if !options.is_empty() {
        cmdline.push(' ');
        cmdline.push_str(options);
    }
    if !args.is_empty() {
        cmdline.push_str(" -- ");
        cmdline.push_str(&args.join(" "));
    }
    let out = configure(Boot::new(&cmdline).file(&program, &format!("/bin/{name}"))).run();
    let output = program_output(&out.console);
    let linux = run_native(&program, args);
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
    assert_eq!(linux.kernel_style_status(), 0, "{name} on Linux: {linux:?}");
    out.expect_status(0);
    assert_same_output(
        name,
        &without_info_lines(&output),
        &without_info_lines(&linux.stdout),
        &out,
    );
    Some((out, output))
}

/// Fails, showing all of `output`, unless it contains every one of `lines`.
#[track_caller]
pub fn expect_lines(output: &str, lines: &[&str]) {
    for line in lines {
        assert!(output.contains(line), "missing {line:?} in:\n{output}");
    }
}
