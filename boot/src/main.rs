//! `boot`: the host side of running the kernel.
//!
//! It packs an initramfs (cpio "newc") from host files plus the kernel command line (a dynamically
//! linked program brings its loader, its libraries and the loader's cache along, at their host
//! paths: see `add_shared_objects`), builds a BIOS or
//! UEFI disk image with the `bootloader` crate, runs QEMU with the serial console on stdout and the
//! isa-debug-exit device, and turns the outcome into its own exit status.
//!
//! The console works both ways. What the runner reads on its standard input is typed into the
//! kernel's console (its tty edits and echoes it); at the end of that input the runner types ^D,
//! which a program reading the console in canonical mode sees as end of file. When the standard
//! input is a terminal, it is switched to character-at-a-time input without local echo or signals
//! for the run (so ^C reaches the kernel's tty), and restored afterwards. The console's "\r\n"
//! line ends are written as "\n", and output is passed on as it arrives
//! (a shell's prompt has no newline).
//!
//! Exit status:
//!
//! | status | meaning |
//! |---|---|
//! | 0..=255 | the kernel powered off normally; this is the status it reported (the first program's exit status, 128 + signal if a signal ended it) |
//! | 124 | timeout: the kernel did not finish in time (QEMU killed) |
//! | 252 | triple fault or reset (QEMU exited on its own without the debug-exit device) |
//! | 253 | kernel panic or fatal CPU exception in the kernel |
//! | 254 | the runner itself failed (bad arguments, QEMU missing, image creation failed) |
//!
//! Usage:
//!   boot run   --kernel K [--file HOST:DEST]... [--symlink DEST:TARGET]... [--cmdline TEXT]
//!              [--timeout SECS] [--uefi] [--gdb] [--memory SIZE] [--icount] [--quiet]
//!   boot image --kernel K [--file HOST:DEST]... [--symlink DEST:TARGET]... [--cmdline TEXT] [--uefi]
//!              --out IMAGE
//!
//! `--symlink DEST:TARGET` puts a symbolic link at DEST in the initramfs (busybox's applet links,
//! `/bin/sh -> busybox`, for `make shell`).
//!   boot exec PROGRAM [ARGS...]   (the kernel built by `make`, PROGRAM as /bin/<name>, pid 1)

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
    process::{Command, ExitCode, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

const STATUS_TIMEOUT: u8 = 124;
const STATUS_TRIPLE_FAULT: u8 = 252;
const STATUS_PANIC: u8 = 253;
const STATUS_RUNNER_ERROR: u8 = 254;

/// QEMU's exit codes for the two values the kernel writes to isa-debug-exit ((v << 1) | 1).
const QEMU_POWER_OFF: i32 = (0x10 << 1) | 1;
const QEMU_PANIC: i32 = (0x11 << 1) | 1;

const POWER_OFF_MARKER: &str = "[kernel] power off: exit status ";
/// The kernel's log line when it starts the first program: its console takes input from then on.
const READY_MARKER: &str = "init: pid 1 running";

struct Options {
    command: String,
    kernel: PathBuf,
    files: Vec<(PathBuf, String)>,
    /// Symbolic links to add: where (no leading `/`) and their target.
    symlinks: Vec<(String, String)>,
    cmdline: String,
    timeout: Duration,
    uefi: bool,
    gdb: bool,
    memory: String,
    icount: bool,
    quiet: bool,
    out: Option<PathBuf>,
}

fn usage() -> ! {
    eprintln!(
        "usage: boot exec PROGRAM [ARGS...]\n\
         \x20      boot run|image --kernel KERNEL [--file HOST:DEST]... [--symlink DEST:TARGET]...\n\
         \x20                     [--cmdline TEXT] [--timeout SECS]\n\
         \x20                     [--uefi] [--gdb] [--memory SIZE] [--icount] [--quiet] [--out IMAGE]"
    );
    std::process::exit(STATUS_RUNNER_ERROR as i32)
}

fn parse_args() -> Options {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| usage());
    let mut opts = Options {
        command,
        kernel: PathBuf::new(),
        files: Vec::new(),
        symlinks: Vec::new(),
        cmdline: String::new(),
        timeout: Duration::from_secs(60),
        uefi: false,
        gdb: false,
        memory: "512M".into(),
        icount: false,
        quiet: false,
        out: None,
    };
    if opts.command == "exec" {
        // boot exec PROGRAM [ARGS...]: the built kernel, PROGRAM as /bin/<name> and pid 1.
        let program = PathBuf::from(args.next().unwrap_or_else(|| usage()));
        let name = program
            .file_name()
            .unwrap_or_else(|| usage())
            .to_string_lossy()
            .into_owned();
        let rest: Vec<String> = args.collect();
        opts.kernel = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../target/x86_64-unknown-none/debug/kernel");
        opts.files.push((program, format!("bin/{name}")));
        opts.cmdline = format!("init=/bin/{name} -- {}", rest.join(" "));
        opts.command = "run".into();
        return opts;
    }
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--kernel" => opts.kernel = value().into(),
            "--file" => {
                let v = value();
                let (host, dest) = v.split_once(':').unwrap_or_else(|| usage());
                opts.files
                    .push((host.into(), dest.trim_start_matches('/').into()));
            }
            "--symlink" => {
                let v = value();
                let (dest, target) = v.split_once(':').unwrap_or_else(|| usage());
                opts.symlinks
                    .push((dest.trim_start_matches('/').into(), target.into()));
            }
            "--cmdline" => opts.cmdline = value(),
            "--timeout" => {
                opts.timeout = Duration::from_secs(value().parse().unwrap_or_else(|_| usage()))
            }
            "--uefi" => opts.uefi = true,
            "--gdb" => opts.gdb = true,
            "--memory" => opts.memory = value(),
            "--icount" => opts.icount = true,
            "--quiet" => opts.quiet = true,
            "--out" => opts.out = Some(value().into()),
            _ => usage(),
        }
    }
    if opts.kernel.as_os_str().is_empty() {
        usage();
    }
    opts
}

/// The initramfs: every `--file` and `--symlink`, the shared objects a dynamically linked file
/// needs (see [`add_shared_objects`]), the directories above them, and `/cmdline`.
fn build_initramfs(opts: &Options) -> Result<Vec<u8>, String> {
    let mut files = opts.files.clone();
    let mut links = std::collections::BTreeMap::new();
    for (host, _) in &opts.files {
        add_shared_objects(host, &mut files, &mut links)?;
    }
    // The links asked for (`--symlink`) win over those found.
    for (dest, target) in &opts.symlinks {
        links.insert(dest.clone(), target.clone());
    }
    let mut seen = std::collections::BTreeSet::new();
    files.retain(|(_, dest)| seen.insert(dest.clone()));
    let mut writer = cpio::Writer::new();
    let mut dirs = std::collections::BTreeSet::new();
    for dest in files.iter().map(|(_, d)| d).chain(links.keys()) {
        let mut path = Path::new(dest).parent();
        while let Some(p) = path.filter(|p| !p.as_os_str().is_empty()) {
            dirs.insert(p.to_string_lossy().into_owned());
            path = p.parent();
        }
    }
    for dir in &dirs {
        writer.add_dir(dir, 0o755);
    }
    for (host, dest) in &files {
        let data = std::fs::read(host).map_err(|e| format!("reading {}: {e}", host.display()))?;
        writer.add_file(dest, 0o755, &data);
    }
    for (link, target) in &links {
        if dirs.contains(link) {
            eprintln!(
                "boot: note: /{link} is a directory here, not the host's symlink to {target}"
            );
            continue;
        }
        writer.add_symlink(link, target);
    }
    writer.add_file("cmdline", 0o644, format!("{}\n", opts.cmdline).as_bytes());
    Ok(writer.finish())
}

/// For a dynamically linked ELF program (one with a `PT_INTERP` segment), adds its interpreter
/// and the libraries it needs, as `ldd` lists them, at their host paths: so that a Debian
/// program runs here unchanged. Every symlink on the way (`/lib64` -> `usr/lib64`, `/lib` ->
/// `usr/lib`, `ld-linux-x86-64.so.2` -> its file) is recreated as a symlink with the host's
/// target, and the file it leads to is copied to its real path. The loader's cache of library
/// paths (`/etc/ld.so.cache`) comes along too: glibc's loader maps it while it looks the
/// libraries up, so with it the libraries land where they do on the host, and without it the loader
/// would search its default directories instead. Other files are left alone.
fn add_shared_objects(
    host: &Path,
    files: &mut Vec<(PathBuf, String)>,
    links: &mut std::collections::BTreeMap<String, String>,
) -> Result<(), String> {
    if !has_interpreter(host) {
        return Ok(());
    }
    let out = Command::new("ldd")
        .arg(host)
        .output()
        .map_err(|e| format!("running ldd on {}: {e}", host.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("ldd {} failed: {}", host.display(), text.trim()));
    }
    for line in text.lines() {
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", "/lib64/ld-linux-x86-64.so.2
        // (0x...)", "linux-vdso.so.1 (0x...)" (in the kernel, not a file), "libx.so => not found".
        let line = line.trim();
        let path = match line.split_once("=>") {
            Some((name, rest)) => match rest.split_whitespace().next() {
                Some(p) if p.starts_with('/') => p,
                _ => return Err(format!("{}: {} not found", host.display(), name.trim())),
            },
            None => match line.split_whitespace().next() {
                Some(p) if p.starts_with('/') => p,
                _ => continue,
            },
        };
        add_with_links(Path::new(path), files, links)?;
    }
    let cache = Path::new("/etc/ld.so.cache");
    if cache.exists() {
        add_with_links(cache, files, links)?;
    }
    Ok(())
}

/// Whether `path` is a 64-bit little-endian ELF file with a `PT_INTERP` program header.
fn has_interpreter(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let word = |at: usize, len: usize| -> Option<u64> {
        let b = bytes.get(at..at.checked_add(len)?)?;
        Some(b.iter().rev().fold(0, |acc, &x| acc << 8 | u64::from(x)))
    };
    if bytes.get(..6) != Some(b"\x7fELF\x02\x01") {
        return false;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (word(32, 8), word(54, 2), word(56, 2))
    else {
        return false;
    };
    (0..phnum).any(|i| {
        usize::try_from(phoff + i * phentsize)
            .ok()
            .and_then(|at| word(at, 4))
            == Some(3) // PT_INTERP
    })
}

/// Adds the host file `path` at the same path, resolving it one component at a time: each
/// symlink met goes into `links` with its host target, and the file it leads to into `files`.
fn add_with_links(
    path: &Path,
    files: &mut Vec<(PathBuf, String)>,
    links: &mut std::collections::BTreeMap<String, String>,
) -> Result<(), String> {
    use std::path::Component;
    let dest = |p: &Path| p.to_string_lossy().trim_start_matches('/').to_string();
    let mut rest: std::collections::VecDeque<std::ffi::OsString> = path
        .components()
        .filter(|c| !matches!(c, Component::RootDir | Component::CurDir))
        .map(|c| c.as_os_str().to_owned())
        .collect();
    let mut resolved = PathBuf::from("/");
    let mut hops = 0;
    while let Some(part) = rest.pop_front() {
        if part == ".." {
            resolved.pop();
            continue;
        }
        let next = resolved.join(&part);
        let meta =
            std::fs::symlink_metadata(&next).map_err(|e| format!("{}: {e}", next.display()))?;
        if !meta.file_type().is_symlink() {
            resolved = next;
            continue;
        }
        hops += 1;
        if hops > 40 {
            return Err(format!("{}: too many symlinks", path.display()));
        }
        let target = std::fs::read_link(&next).map_err(|e| format!("{}: {e}", next.display()))?;
        links.insert(dest(&next), target.to_string_lossy().into_owned());
        if target.is_absolute() {
            resolved = PathBuf::from("/");
        }
        for part in target.components().rev() {
            if !matches!(part, Component::RootDir | Component::CurDir) {
                rest.push_front(part.as_os_str().to_owned());
            }
        }
    }
    files.push((resolved.clone(), dest(&resolved)));
    Ok(())
}

/// A copy of the kernel without its debug sections, if a tool for that is at hand (binutils'
/// objcopy, or llvm-objcopy from the toolchain's llvm-tools). The BIOS loads the kernel file through
/// 16-bit disk calls, and under QEMU's emulation the 7 MB of DWARF cost seconds per boot; the symbols
/// stay in the original for gdb.
fn stripped_kernel(kernel: &Path, dir: &Path) -> Option<PathBuf> {
    let out = dir.join("kernel.stripped");
    let sysroot_objcopy = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| {
            PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
                .join("lib/rustlib/x86_64-unknown-linux-gnu/bin/llvm-objcopy")
        });
    let tools = [Some(PathBuf::from("objcopy")), sysroot_objcopy];
    tools.into_iter().flatten().find_map(|tool| {
        let ok = Command::new(&tool)
            .arg("--strip-debug")
            .arg(kernel)
            .arg(&out)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| out.clone())
    })
}

fn build_image(opts: &Options, ramdisk: &Path, image: &Path, scratch: &Path) -> Result<(), String> {
    let mut config = bootloader::BootConfig::default();
    // The bootloader's own log is noise in test output; BOOTLOADER_LOG=1 brings it back for debugging.
    config.serial_logging = std::env::var_os("BOOTLOADER_LOG").is_some();
    config.frame_buffer_logging = false;
    let kernel = stripped_kernel(&opts.kernel, scratch).unwrap_or_else(|| opts.kernel.clone());
    let result = if opts.uefi {
        bootloader::UefiBoot::new(&kernel)
            .set_ramdisk(ramdisk)
            .set_boot_config(&config)
            .create_disk_image(image)
    } else {
        bootloader::BiosBoot::new(&kernel)
            .set_ramdisk(ramdisk)
            .set_boot_config(&config)
            .create_disk_image(image)
    };
    result.map_err(|e| format!("creating the disk image: {e:#}"))
}

fn find_ovmf() -> Option<PathBuf> {
    [
        "/usr/share/ovmf/OVMF.fd",
        "/usr/share/OVMF/OVMF_CODE.fd",
        "/usr/share/qemu/OVMF.fd",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn qemu_command(opts: &Options, image: &Path) -> Result<Command, String> {
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.arg("-drive")
        .arg(format!("format=raw,file={}", image.display()))
        .args(["-serial", "stdio", "-display", "none", "-monitor", "none"])
        .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
        .args(["-no-reboot", "-cpu", "max", "-smp", "1", "-m", &opts.memory]);
    if opts.uefi {
        let ovmf = find_ovmf().ok_or("UEFI boot needs OVMF: apt-get install ovmf")?;
        cmd.arg("-bios").arg(ovmf);
    }
    if opts.icount {
        cmd.args(["-icount", "shift=0"]);
    }
    if opts.gdb {
        cmd.args(["-s", "-S"]);
        eprintln!("boot: QEMU waits for gdb on localhost:1234 (make gdb connects it)");
    }
    Ok(cmd)
}

fn run(opts: &Options) -> Result<u8, String> {
    let dir = std::env::temp_dir().join(format!("vmkernel-boot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let result = run_in(opts, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(opts: &Options, dir: &Path) -> Result<u8, String> {
    let ramdisk = dir.join("initramfs.cpio");
    std::fs::write(&ramdisk, build_initramfs(opts)?)
        .map_err(|e| format!("writing the initramfs: {e}"))?;
    let image = match (&opts.out, opts.command.as_str()) {
        (Some(out), "image") => out.clone(),
        _ => dir.join(if opts.uefi { "uefi.img" } else { "bios.img" }),
    };
    build_image(opts, &ramdisk, &image, dir)?;
    if opts.command == "image" {
        eprintln!("boot: wrote {}", image.display());
        return Ok(0);
    }

    let terminal = RawTerminal::enter();
    let mut child = qemu_command(opts, &image)?
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("starting qemu-system-x86_64: {e} (apt-get install qemu-system-x86)")
        })?;

    // Type our input into the console, then ^D (end of file for a canonical-mode reader), once the
    // kernel is ready to take it (it says so in its log when it starts the first program; bytes
    // sent before it has programmed the UART would be lost). The thread is left behind if the input
    // never ends: the process exits without waiting for it.
    let ready = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    let mut console_in = child.stdin.take().expect("piped");
    let ready_in = ready.clone();
    std::thread::spawn(move || {
        let (flag, signal) = &*ready_in;
        let mut started = flag.lock().unwrap_or_else(|e| e.into_inner());
        while !*started {
            started = signal.wait(started).unwrap_or_else(|e| e.into_inner());
        }
        drop(started);
        let mut input = std::io::stdin().lock();
        let mut buf = [0u8; 256];
        loop {
            match input.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if console_in.write_all(&buf[..n]).is_err() {
                        return;
                    }
                    let _ = console_in.flush();
                }
            }
        }
        let _ = console_in.write_all(&[0x04]);
        let _ = console_in.flush();
        // Keep QEMU's end open: it would otherwise see end of file and stop reading.
        std::mem::forget(console_in);
    });

    // Echo the console while watching for the power-off line.
    let stdout = child.stdout.take().expect("piped");
    let quiet = opts.quiet;
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let (flag, signal) = &*ready;
        let announce = || {
            *flag.lock().unwrap_or_else(|e| e.into_inner()) = true;
            signal.notify_all();
        };
        let mut reader = stdout;
        let mut status = None;
        let mut line = Vec::new();
        let mut out = std::io::stdout();
        let mut chunk = [0u8; 4096];
        let mut pending_cr = false;
        // Forwarded as it comes, not a line at a time: a shell's prompt has no newline.
        while let Ok(n @ 1..) = reader.read(&mut chunk) {
            let mut text = Vec::with_capacity(n + 1);
            for &byte in &chunk[..n] {
                if std::mem::take(&mut pending_cr) && byte != b'\n' {
                    text.push(b'\r');
                }
                if byte == b'\r' {
                    pending_cr = true;
                } else {
                    text.push(byte);
                }
            }
            if !quiet {
                let _ = out.write_all(&text);
                let _ = out.flush();
            }
            for byte in text {
                line.push(byte);
                if byte != b'\n' {
                    // Only the end of an endless line can hold a marker still to come.
                    if line.len() > 1 << 16 {
                        line.drain(..line.len() - 256);
                    }
                    continue;
                }
                let text = String::from_utf8_lossy(&line);
                if text.contains(READY_MARKER) {
                    announce();
                }
                // The marker may follow what a program left on the line (the console echoes
                // "^C" without a newline).
                if let Some((_, rest)) = text.trim_end().split_once(POWER_OFF_MARKER) {
                    status = rest.trim().parse::<i64>().ok();
                }
                line.clear();
            }
        }
        let _ = tx.send(status);
    });
    let mut stderr = child.stderr.take().expect("piped");

    let deadline = Instant::now() + opts.timeout;
    let exit = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if !opts.gdb && Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = reader.join();
    drop(terminal);
    let power_off_status = rx.recv().ok().flatten();
    let mut qemu_err = String::new();
    let _ = stderr.read_to_string(&mut qemu_err);

    let Some(exit) = exit else {
        eprintln!(
            "boot: timeout: the kernel did not finish within {}s",
            opts.timeout.as_secs()
        );
        return Ok(STATUS_TIMEOUT);
    };
    match exit.code() {
        Some(QEMU_POWER_OFF) => match power_off_status {
            Some(status) => Ok((status & 0xff) as u8),
            None => {
                eprintln!("boot: the kernel powered off without reporting a status");
                Ok(STATUS_PANIC)
            }
        },
        Some(QEMU_PANIC) => {
            eprintln!("boot: kernel panic");
            Ok(STATUS_PANIC)
        }
        Some(0) => {
            eprintln!("boot: QEMU exited on its own: triple fault or reset");
            Ok(STATUS_TRIPLE_FAULT)
        }
        other => Err(format!("QEMU failed ({other:?}): {}", qemu_err.trim())),
    }
}

fn main() -> ExitCode {
    let opts = parse_args();
    if !matches!(opts.command.as_str(), "run" | "image") {
        usage();
    }
    match run(&opts) {
        Ok(status) => ExitCode::from(status),
        Err(err) => {
            eprintln!("boot: {err}");
            ExitCode::from(STATUS_RUNNER_ERROR)
        }
    }
}

/// The runner's terminal, switched to what a serial line gives the kernel (every key at once, no
/// local echo, ^C and ^Z passed on, CR kept as CR) while QEMU runs, and restored when dropped.
/// Nothing happens when standard input is not a terminal.
struct RawTerminal {
    saved: Option<String>,
}

impl RawTerminal {
    fn enter() -> RawTerminal {
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() {
            return RawTerminal { saved: None };
        }
        let saved = Command::new("stty")
            .arg("-g")
            .stdin(Stdio::inherit())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        if saved.is_some() {
            let _ = Command::new("stty")
                .args([
                    "-icanon", "-echo", "-isig", "-ixon", "-icrnl", "min", "1", "time", "0",
                ])
                .stdin(Stdio::inherit())
                .status();
        }
        RawTerminal { saved }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = Command::new("stty")
                .arg(saved)
                .stdin(Stdio::inherit())
                .status();
        }
    }
}
