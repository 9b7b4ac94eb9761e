//! A seeded, reproducible system-call fuzzer for the memory and process calls.
//!
//! Usage: `fuzz [SEED [OPS [WORKERS]]] [trace]`
//!
//! The first process prints `fuzz: seed S ops N workers W`, measures memory, and forks W workers.
//! Each worker runs its share of the N calls, drawn from a table of generators (one small function
//! per call, see [`GENERATORS`]) with a PRNG seeded from S and the worker's number: mmap (every flag,
//! garbage ones too, MAP_FIXED over random and existing areas, file mappings at huge and unaligned
//! offsets), munmap, mprotect (page-by-page splits), mremap (shrink, grow, MAYMOVE, FIXED into the
//! arena, DONTUNMAP), mlock/mlock2/munlock/mlockall/munlockall, madvise (every advice), brk, read/write/writev/open/openat/close/ioctl,
//! execve, wait4, fork and clone (children fork again, touch random addresses and may die of
//! SIGSEGV or SIGBUS), arch_prctl, rt_sigprocmask, set_tid_address, system calls made with odd
//! RFLAGS, and numbers Linux leaves unassigned. Arguments are zero, huge, unaligned, non-canonical,
//! kernel addresses and bad pointers in every pointer argument.
//!
//! Invariants, checked as it goes:
//! - every call returns a value or an errno in -4095..=-1, and the answers that do not depend on the
//!   kernel's choices are right (ENOSYS for unknown numbers, EFAULT for bad buffers, MAP_FIXED at
//!   the address asked for, brk within the heap, the FS base and signal mask read back as set);
//! - after every batch of calls /proc/self/maps is well formed (ranges page aligned, non-empty,
//!   sorted, disjoint, below TASK_SIZE; perms, offset, device and inode parse), and a canary array in
//!   .data is intact (children scribble on their copy-on-write copy of it);
//! - every process ends with exit status 0, SIGSEGV, SIGBUS or SIGKILL (out of memory);
//! - on this kernel, once every process has exited, MemFree + Cached + KernelHeap +
//!   KernelPageTables (and what the first process holds) is exactly what it was before: no frame
//!   leaked. Linux cannot promise that (per-CPU lists, slab caches): the check is skipped there.
//!
//! The kernel must not panic or hang meanwhile: that is the runner's status (`make fuzz`). The
//! program prints `fuzz: ok` and exits 0 when everything held, else a `fuzz: FAIL ...` line and 1.
//! `trace` prints every call before it is made (and its result), to minimise a failure.
//!
//! The same binary runs on Linux, where the invariants hold too, so everything it does is harmless
//! there as well: unknown numbers come from ranges Linux leaves unassigned; writes to the console and
//! paths with write access only ever get unusable pointers; clone flags that are not plain fork
//! always include CLONE_SIGHAND without CLONE_VM (EINVAL); workers drop their capabilities first
//! (so nothing can be mapped below mmap_min_addr and MAP_LOCKED stays bounded); ranges that could
//! reach the program's own text, data or stack are never unmapped, remapped or protected.
//!
//! The kernel bugs it found are in FUZZ_FINDINGS.md: each is fixed and has a regression test of its
//! own (tests/tests/hardening.rs), and the generators produce those inputs like any others.

#![no_std]
#![no_main]

use core::fmt;

use user::{
    Args, errno_name, println,
    procfs::{field, for_each_line},
    sys::{self, nr, *},
};

/// The errno values compared with here, as the positive numbers whose negation a call returns
/// (from the abi crate, as everywhere).
mod errno {
    use user::sys::errno::Errno;

    pub const EPERM: i64 = Errno::EPERM as i64;
    pub const ECHILD: i64 = Errno::ECHILD as i64;
    pub const EBADF: i64 = Errno::EBADF as i64;
    pub const EFAULT: i64 = Errno::EFAULT as i64;
    pub const EINVAL: i64 = Errno::EINVAL as i64;
    pub const ENOMEM: i64 = Errno::ENOMEM as i64;
    pub const ENOSYS: i64 = Errno::ENOSYS as i64;
    pub const ESPIPE: i64 = Errno::ESPIPE as i64;
}
use errno::*;

use abi::{
    fcntl::{
        F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETPIPE_SZ, F_SETFD, F_SETFL, O_CLOEXEC,
        O_DIRECT, O_NONBLOCK,
    },
    termios::{FIOCLEX, FIONCLEX, FIONREAD},
};

user::entry!(main);

const PAGE: u64 = 4096;
/// Linux's TASK_SIZE_MAX on x86_64 (and this kernel's): the first address above user space.
const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// Linux's default vm.mmap_min_addr: nothing can be mapped below it without capabilities.
const MMAP_MIN_ADDR: u64 = 0x1_0000;

const DEFAULT_OPS: u64 = 20_000;
const DEFAULT_WORKERS: u64 = 4;
/// Calls between two checks of /proc/self/maps and the canary.
const BATCH: u64 = 256;
/// Calls a forked child makes at most before touching memory and exiting.
const CHILD_OPS: u64 = 24;
/// Random memory accesses a child makes at most.
const CHILD_TOUCHES: u64 = 48;
/// Fork depth: workers are depth 0; children at MAX_DEPTH do not fork.
const MAX_DEPTH: u32 = 3;
/// Areas a process remembers (to target them again); the oldest is unmapped to make room.
const MAX_AREAS: usize = 32;
/// Files a process keeps open at most (besides the console and its own executable).
const MAX_FDS: usize = 8;
/// Pages above which MAP_POPULATE and MAP_LOCKED are dropped: they fault the whole range in at once,
/// and memory must stay bounded on Linux as well.
const POPULATE_MAX_PAGES: u64 = 64;

/// Each worker's arena: MAP_FIXED targets at random addresses. Its last page is never mapped (it
/// is the guard: a user address that is always bad), and so nothing mapped in the arena ever
/// touches what lies above it.
const ARENA_BASE: u64 = 0x1000_0000_0000;
const ARENA_SIZE: u64 = 1 << 30;
/// Most arena addresses fall in its first 16 MiB, so that mappings overlap and split each other.
const ARENA_HOT: u64 = 16 << 20;

/// Lengths that no mapping can have: from any user address, 0 included, they run past TASK_SIZE
/// or wrap. (TASK_SIZE itself is not one: munmap(0, TASK_SIZE) is valid, and unmaps everything.)
const HUGE_LENS: [u64; 8] = [
    u64::MAX,
    0xffff_ffff_ffff_f000,
    0xffff_ffff_ffff_f001,
    1 << 63,
    0x4000_0000_0000_0000,
    1 << 48,
    1 << 47,
    TASK_SIZE + 1,
];

/// File descriptors that are never open: their low 32 bits too (Linux takes `unsigned int fd`, so
/// 0x1_0000_0001 would be stdout there).
const BAD_FDS: [u64; 6] = [
    u64::MAX,
    0xffff_ffff,
    1000,
    0x7fff_ffff,
    0x1_0000_03e8,
    0x8000_0000_0000_1001,
];

/// Kernel-half addresses: the direct map, this kernel's heap and stacks, the kernel image, the
/// vsyscall page and the last page.
const KERNEL_ADDRS: [u64; 7] = [
    0xffff_8000_0000_0000,
    0xffff_8880_0000_0000,
    0xffff_c000_0000_0000,
    0xffff_c800_0000_0000,
    0xffff_ffff_8000_0000,
    0xffff_ffff_ff60_0000,
    0xffff_ffff_ffff_f000,
];

// ---------------------------------------------------------------------------------------------
// The random stream

/// splitmix64: tiny, fast, and a good stream from any seed, 0 included.
#[derive(Clone, Copy)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The stream for sub-process `n` of a run seeded with `seed`.
    fn derive(seed: u64, n: u64) -> Self {
        let mut r = Rng(seed ^ n.wrapping_add(1).wrapping_mul(0xa076_1d64_78bd_642f));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in 0..n (0 when n is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// A number in lo..=hi.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration

/// What every process of a run shares.
#[derive(Clone, Copy)]
struct Config {
    seed: u64,
    trace: bool,
    /// This program's path (argv[0]), NUL-terminated: mapped as a file, and exec'd by children.
    path: [u8; 128],
}

impl Config {
    fn path(&self) -> &[u8] {
        let len = self.path.iter().position(|&b| b == 0).unwrap_or(0);
        &self.path[..=len]
    }
}

/// Parses a decimal or 0x-prefixed hexadecimal number.
fn parse_u64(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

// ---------------------------------------------------------------------------------------------
// The canary: data each process checks, and children overwrite in their own copy

const CANARY_WORDS: usize = 1024;

const fn canary_word(i: usize) -> u64 {
    (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5a5a_0f0f_c3c3_9696
}

const fn canary_init() -> [u64; CANARY_WORDS] {
    let mut words = [0; CANARY_WORDS];
    let mut i = 0;
    while i < CANARY_WORDS {
        words[i] = canary_word(i);
        i += 1;
    }
    words
}

/// Two pages of .data: children write random words of it (copy-on-write must keep the parent's
/// copy), and a freshly exec'd child must find it as the ELF file has it.
static mut CANARY: [u64; CANARY_WORDS] = canary_init();

fn canary_addr() -> u64 {
    (&raw const CANARY) as u64
}

/// The index of the first canary word that changed.
fn canary_damage() -> Option<usize> {
    let base = canary_addr() as *const u64;
    // SAFETY: reads within the static array, volatile because children's writes are not visible to
    // the compiler (and a kernel bug may change it behind our back).
    (0..CANARY_WORDS).find(|&i| unsafe { core::ptr::read_volatile(base.add(i)) } != canary_word(i))
}

// ---------------------------------------------------------------------------------------------
// /proc/PID/maps

/// What is wrong with a maps file: the reason and the line.
struct MapsError {
    why: &'static str,
    line: [u8; 96],
    len: usize,
}

impl fmt::Display for MapsError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let line = core::str::from_utf8(&self.line[..self.len]).unwrap_or("(not UTF-8)");
        write!(f, "{}: {line:?}", self.why)
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks one maps line after the previous area's end; returns this area's end.
fn check_maps_line(line: &[u8], prev_end: u64) -> Result<u64, &'static str> {
    let text = core::str::from_utf8(line).map_err(|_| "not UTF-8")?;
    let mut cols = text.split_ascii_whitespace();
    let range = cols.next().ok_or("empty line")?;
    let (s, e) = range.split_once('-').ok_or("no range")?;
    if !is_hex(s) || !is_hex(e) {
        return Err("range not hex");
    }
    let start = u64::from_str_radix(s, 16).map_err(|_| "range not hex")?;
    let end = u64::from_str_radix(e, 16).map_err(|_| "range not hex")?;
    if start >= end {
        return Err("empty or reversed range");
    }
    if !start.is_multiple_of(PAGE) || !end.is_multiple_of(PAGE) {
        return Err("range not page aligned");
    }
    if start < prev_end {
        return Err("not sorted or overlapping");
    }
    let perms = cols.next().ok_or("no perms")?.as_bytes();
    let valid = perms.len() == 4
        && matches!(perms[0], b'r' | b'-')
        && matches!(perms[1], b'w' | b'-')
        && matches!(perms[2], b'x' | b'-')
        && matches!(perms[3], b'p' | b's');
    if !valid {
        return Err("bad perms");
    }
    if !is_hex(cols.next().ok_or("no offset")?) {
        return Err("bad offset");
    }
    let dev = cols.next().ok_or("no device")?;
    if !dev
        .split_once(':')
        .is_some_and(|(a, b)| is_hex(a) && is_hex(b))
    {
        return Err("bad device");
    }
    let inode = cols.next().ok_or("no inode")?;
    if inode.is_empty() || !inode.bytes().all(|b| b.is_ascii_digit()) {
        return Err("bad inode");
    }
    let name = cols.next();
    // Linux shows the vsyscall page, in the kernel half; nothing else may lie above user space.
    if end > TASK_SIZE && name != Some("[vsyscall]") {
        return Err("area above TASK_SIZE");
    }
    Ok(end)
}

/// Checks a whole maps file; returns the number of areas. A file that cannot be opened (a process
/// already gone, or not ours to read on Linux) counts as empty. `ordered`: also check that the areas
/// are sorted and disjoint, which holds for our own maps; Linux produces another process's maps a
/// chunk at a time while that process changes them, so there an area may overlap the previous one.
fn check_maps(path: &[u8], ordered: bool) -> Result<usize, MapsError> {
    let mut count = 0;
    let mut prev_end = 0;
    let mut error = None;
    for_each_line(path, |line| {
        if error.is_some() {
            return;
        }
        match check_maps_line(line, prev_end) {
            Ok(end) => {
                prev_end = if ordered { end } else { 0 };
                count += 1;
            }
            Err(why) => {
                let mut e = MapsError {
                    why,
                    line: [0; 96],
                    len: line.len().min(96),
                };
                e.line[..e.len].copy_from_slice(&line[..e.len]);
                error = Some(e);
            }
        }
    });
    match error {
        Some(e) => Err(e),
        None => Ok(count),
    }
}

// ---------------------------------------------------------------------------------------------
// Processes

/// Whether a wait status is one a fuzzed process may end with: exit 0, or killed by SIGSEGV,
/// SIGBUS or SIGKILL (the out-of-memory killer).
fn sane_status(status: i32) -> bool {
    const SIGBUS: i32 = 7;
    const SIGKILL: i32 = 9;
    const SIGSEGV: i32 = 11;
    match wtermsig(status) {
        0 => status & 0xff == 0 && wexitstatus(status) == 0,
        sig => matches!(sig, SIGSEGV | SIGBUS | SIGKILL) && status & !0xff == 0,
    }
}

/// SIGPIPE's bit in a signal mask. Every fuzzed process keeps it blocked (rt_sigprocmask and the
/// masks of ppoll and pselect6 never let it through): a write to a pipe whose reader was closed
/// then fails with EPIPE and leaves SIGPIPE pending instead of ending the process.
const SIGPIPE_MASK: u64 = 1 << 12;

/// Formats a wait status for a message.
struct Status(i32);

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match wtermsig(self.0) {
            0 => write!(f, "exit {}", wexitstatus(self.0)),
            sig => write!(f, "signal {sig} (raw {:#x})", self.0),
        }
    }
}

/// Drops every capability (Linux; ENOSYS here): the workers then cannot map below mmap_min_addr,
/// lock unbounded memory, or do anything else only root may.
fn drop_capabilities() {
    const CAPSET: u64 = 126;
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    let header = [LINUX_CAPABILITY_VERSION_3, 0];
    let data = [0u32; 6];
    sys::raw(
        CAPSET,
        [header.as_ptr() as u64, data.as_ptr() as u64, 0, 0, 0, 0],
    );
}

/// What a forked child does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ChildKind {
    /// Touch random addresses and exit.
    Touch,
    /// Make some calls (forking again perhaps), touch, reap its children and exit.
    Calls,
    /// As `Calls`, but exit without reaping: its children become orphans of pid 1.
    Orphans,
    /// exec this program in child mode, which then does as `Calls`.
    Exec,
}

const CHILD_KINDS: [ChildKind; 4] = [
    ChildKind::Touch,
    ChildKind::Calls,
    ChildKind::Orphans,
    ChildKind::Exec,
];

/// Children a process at `depth` keeps alive at once.
fn max_live(depth: u32) -> u32 {
    match depth {
        0 => 3,
        1 => 2,
        d if d < MAX_DEPTH => 1,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// The fuzzer state of one process

/// A range this process mapped (it may have been partly unmapped or remapped since).
#[derive(Clone, Copy, Default)]
struct Area {
    start: u64,
    len: u64,
}

struct Fuzzer {
    cfg: Config,
    rng: Rng,
    worker: u64,
    depth: u32,
    pid: i64,
    /// Calls made by this process, for messages and the trace.
    calls: u64,
    /// The generator running now, for messages.
    current: &'static str,
    areas: [Area; MAX_AREAS],
    nareas: usize,
    /// Open files (not the console, not `exe_fd`).
    fds: [u64; MAX_FDS],
    nfds: usize,
    /// This program's file, open read-only.
    exe_fd: u64,
    /// Children believed alive (a garbage wait4 may reap one unseen: then this is too high).
    live: u32,
    arena: u64,
    heap_start: u64,
    heap_top: u64,
    /// The number of areas at the last check, plus those made by splits since.
    map_count: usize,
    /// What arch_prctl must give back, once set.
    fs_base: Option<u64>,
    gs_base: Option<u64>,
    /// What rt_sigprocmask must give back, once set.
    sigmask: Option<u64>,
}

/// One call generator: makes a call (or a few) with random arguments and checks the answer.
type Generator = fn(&mut Fuzzer);

/// The generators and their weights. One entry per call (or family), each a small function below.
const GENERATORS: &[(u64, &str, Generator)] = &[
    (14, "mmap", Fuzzer::gen_mmap),
    (5, "mmap_file", Fuzzer::gen_mmap_file),
    (8, "munmap", Fuzzer::gen_munmap),
    (8, "mprotect", Fuzzer::gen_mprotect),
    (1, "split", Fuzzer::gen_split),
    (4, "mremap", Fuzzer::gen_mremap),
    (2, "mlock", Fuzzer::gen_mlock),
    (3, "madvise", Fuzzer::gen_madvise),
    (5, "brk", Fuzzer::gen_brk),
    (6, "read", Fuzzer::gen_read),
    (1, "read_efault", Fuzzer::gen_read_efault),
    (4, "write", Fuzzer::gen_write),
    (3, "writev", Fuzzer::gen_writev),
    (4, "open", Fuzzer::gen_open),
    (2, "close", Fuzzer::gen_close),
    (2, "ioctl", Fuzzer::gen_ioctl),
    (2, "execve", Fuzzer::gen_execve),
    (3, "wait4", Fuzzer::gen_wait4),
    (3, "fork", Fuzzer::gen_fork),
    (2, "clone", Fuzzer::gen_clone),
    (2, "arch_prctl", Fuzzer::gen_arch_prctl),
    (2, "rt_sigprocmask", Fuzzer::gen_sigprocmask),
    (3, "ids", Fuzzer::gen_ids),
    (2, "rflags", Fuzzer::gen_rflags),
    (3, "unknown", Fuzzer::gen_unknown),
    (1, "proc_maps", Fuzzer::gen_proc_maps),
    (2, "pipe2", Fuzzer::gen_pipe),
    (2, "dup", Fuzzer::gen_dup),
    (2, "fcntl", Fuzzer::gen_fcntl),
    (3, "positioned_vectored", Fuzzer::gen_positioned),
    (2, "poll", Fuzzer::gen_poll),
    (2, "select", Fuzzer::gen_select),
    (1, "sendfile", Fuzzer::gen_sendfile),
];

impl Fuzzer {
    fn new(cfg: Config, rng: Rng, worker: u64, depth: u32) -> Self {
        let exe_fd = sys::open(cfg.path(), O_RDONLY);
        let heap = sys::brk(0);
        let mut f = Fuzzer {
            cfg,
            rng,
            worker,
            depth,
            pid: sys::getpid(),
            calls: 0,
            current: "start",
            areas: [Area::default(); MAX_AREAS],
            nareas: 0,
            fds: [0; MAX_FDS],
            nfds: 0,
            exe_fd: exe_fd as u64,
            live: 0,
            arena: ARENA_BASE + worker * 2 * ARENA_SIZE,
            heap_start: heap,
            heap_top: heap,
            map_count: 0,
            fs_base: None,
            gs_base: None,
            sigmask: None,
        };
        if exe_fd < 0 {
            f.fail(format_args!(
                "cannot open own executable: {}",
                errno_name(exe_fd)
            ));
        }
        let block = SIGPIPE_MASK;
        let r = sys::raw(nr::RT_SIGPROCMASK, [0, &raw const block as u64, 0, 8, 0, 0]);
        if r != 0 {
            f.fail(format_args!("blocking SIGPIPE: {}", errno_name(r)));
        }
        f.sigmask = f.sigmask.map(|m| m | SIGPIPE_MASK);
        f.checkpoint();
        f
    }

    /// Reports a broken invariant and ends this process with status 1 (which its parent, and in
    /// the end the first process, report too).
    fn fail(&self, what: fmt::Arguments) -> ! {
        if self.cfg.trace {
            println!("{} /proc/self/maps:", self.tag());
            for_each_line(b"/proc/self/maps\0", |line| {
                println!("  {}", core::str::from_utf8(line).unwrap_or("?"));
            });
        }
        println!(
            "fuzz: FAIL worker {} depth {} pid {} call {} ({}): {what}",
            self.worker, self.depth, self.pid, self.calls, self.current
        );
        sys::exit_group(1)
    }

    // --- making calls -------------------------------------------------------------------------

    /// How trace lines name this process and call: worker, depth, pid, call number.
    fn tag(&self) -> impl fmt::Display {
        let (w, d, p, c) = (self.worker, self.depth, self.pid, self.calls);
        fmt::from_fn(move |f| write!(f, "w{w}.{d} p{p} #{c}"))
    }

    /// Makes one system call, traced if asked, and checks what holds for every call: the result is
    /// a value or an errno in -4095..=-1.
    fn call(&mut self, name: &str, nr: u64, a: [u64; 6]) -> i64 {
        self.calls += 1;
        if self.cfg.trace {
            println!(
                "{} {name}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x})",
                self.tag(),
                a[0],
                a[1],
                a[2],
                a[3],
                a[4],
                a[5]
            );
        }
        let r = sys::raw(nr, a);
        if self.cfg.trace {
            println!("{} = {r:#x} {}", self.tag(), errno_name(r));
        }
        if r < -4095 {
            self.fail(format_args!("{name} returned {r:#x}"));
        }
        r
    }

    /// Fails unless `r` is the error `want`.
    fn expect_err(&self, what: &str, r: i64, want: i64) {
        if r != -want {
            self.fail(format_args!(
                "{what}: expected {}, got {r:#x} ({})",
                errno_name(-want),
                errno_name(r)
            ));
        }
    }

    // --- random values ------------------------------------------------------------------------

    /// The page of the arena that is never mapped: a user address that is always bad.
    fn guard(&self) -> u64 {
        self.arena + ARENA_SIZE - PAGE
    }

    /// An address no process can use: NULL and the first pages (below mmap_min_addr), the kernel
    /// half, non-canonical ones, the arena's guard page; sometimes unaligned.
    fn bad_addr(&mut self) -> u64 {
        let r = &mut self.rng;
        let addr = match r.below(7) {
            0 => 0,
            1 => r.below(MMAP_MIN_ADDR - PAGE),
            2 => r.pick(&KERNEL_ADDRS).wrapping_add(r.below(16) * PAGE),
            3 => u64::MAX - r.below(PAGE),
            4 => (1 << 47) + r.below(1 << 35) * PAGE,
            5 => 0x8000_0000_0000_0000 + r.below(1 << 62),
            _ => self.guard(),
        };
        if self.rng.percent(25) {
            addr.wrapping_add(self.rng.range(1, PAGE - 1)) | 1
        } else {
            addr
        }
    }

    /// A page address in the arena (most often in its hot part), never the guard page.
    fn arena_addr(&mut self) -> u64 {
        let span = if self.rng.percent(75) {
            ARENA_HOT
        } else {
            ARENA_SIZE - PAGE
        };
        self.arena + self.rng.below(span / PAGE) * PAGE
    }

    /// A length: often a few pages, sometimes zero, unaligned, gigabytes, or impossible.
    fn len(&mut self) -> u64 {
        let r = &mut self.rng;
        match r.below(20) {
            0 => 0,
            1..=8 => r.range(1, 16) * PAGE,
            9..=12 => r.range(1, 1024) * PAGE,
            13..=15 => r.range(1, 3 * PAGE),
            16 => r.range(1, 4096) << 20,
            _ => r.pick(&HUGE_LENS),
        }
    }

    fn is_huge(len: u64) -> bool {
        len >= TASK_SIZE
    }

    /// One of the remembered areas, if any.
    fn some_area(&mut self) -> Option<Area> {
        (self.nareas > 0).then(|| self.areas[self.rng.below(self.nareas as u64) as usize])
    }

    /// A range to unmap, remap or protect: part of a remembered area, of the heap or of the arena;
    /// bad addresses; impossible lengths. A range that starts at a usable address and has a
    /// possible length stays within the area it starts in, so it never reaches this program's
    /// text, data or stack.
    fn range(&mut self) -> (u64, u64) {
        let len = self.len();
        let (start, limit) = match self.rng.below(10) {
            0..=4 => match self.some_area() {
                Some(a) => {
                    let off = self.rng.below(a.len / PAGE) * PAGE;
                    (a.start + off, a.start + a.len)
                }
                None => (self.arena_addr(), self.guard()),
            },
            5 if self.heap_top > self.heap_start => {
                let pages = (self.heap_top - self.heap_start).div_ceil(PAGE);
                let start = self.heap_start + self.rng.below(pages) * PAGE;
                (start, self.heap_start + pages * PAGE)
            }
            5..=7 => (self.arena_addr(), self.guard()),
            _ => {
                // Keep clear of usable memory: a range from a low address or the guard page ends
                // below mmap_min_addr or within the guard (or is impossibly long).
                let addr = self.bad_addr();
                let room = if addr < MMAP_MIN_ADDR {
                    MMAP_MIN_ADDR - addr
                } else if addr >= self.guard() && addr < self.guard() + PAGE {
                    self.guard() + PAGE - addr
                } else {
                    u64::MAX
                };
                return (
                    addr,
                    if Self::is_huge(len) {
                        len
                    } else {
                        len.min(room)
                    },
                );
            }
        };
        let start = if self.rng.percent(5) {
            start + self.rng.range(1, PAGE - 1)
        } else {
            start
        };
        if Self::is_huge(len) {
            return (start, len);
        }
        let room = limit.saturating_sub(start);
        if room == 0 {
            return (start, 0);
        }
        // Keep the length (rounded up to pages) within the room.
        let len = if len.div_ceil(PAGE) * PAGE > room {
            self.rng.range(1, room)
        } else {
            len
        };
        (start, len.min(room))
    }

    /// A range crossing TASK_SIZE: mmap and munmap must refuse it.
    fn range_across_top(&mut self) -> (u64, u64) {
        let below = self.rng.range(0, 2) * PAGE;
        (TASK_SIZE - below, below + self.rng.range(1, 3) * PAGE)
    }

    /// A buffer for the kernel to read from or write to, and a count: in a remembered area (which
    /// may be unmapped or read-only), in the heap, or a bad pointer; the count small, crossing
    /// pages, or huge. File reads end at the end of the file: buffers in areas are followed only by
    /// other areas or unmapped memory, never by this program's data. `None`: use the stack buffer.
    fn user_buffer(&mut self) -> Option<(u64, u64)> {
        let count = match self.rng.below(8) {
            0 => 0,
            1..=4 => self.rng.range(1, 2 * PAGE),
            5 => self.rng.range(1, 64) * PAGE,
            _ => self.rng.pick(&HUGE_LENS),
        };
        let addr = match self.rng.below(8) {
            0..=3 => {
                let a = self.some_area()?;
                a.start + self.rng.below(a.len)
            }
            4 if self.heap_top > self.heap_start => {
                self.heap_start + self.rng.below(self.heap_top - self.heap_start)
            }
            4 | 5 => return None,
            _ => self.bad_addr(),
        };
        Some((addr, count))
    }

    /// An open file descriptor, or a bad one.
    fn fd(&mut self) -> u64 {
        match self.rng.below(6) {
            0 | 1 => self.exe_fd,
            2 | 3 if self.nfds > 0 => self.fds[self.rng.below(self.nfds as u64) as usize],
            _ => self.rng.pick(&BAD_FDS),
        }
    }

    /// Random bits from a mask, often none.
    fn bits(&mut self, mask: u64) -> u64 {
        if self.rng.percent(30) {
            0
        } else {
            self.rng.next() & self.rng.next() & mask
        }
    }

    /// PROT_READ, PROT_WRITE, PROT_EXEC, sometimes with a garbage bit. Never PROT_GROWSDOWN or
    /// PROT_GROWSUP: with them Linux's mprotect starts at the first area above the address, which
    /// could be the stack.
    fn prot(&mut self) -> u64 {
        const GROWS: u64 = 0x0300_0000;
        let prot = self.rng.below(8);
        if self.rng.percent(5) {
            prot | (1 << self.rng.range(3, 63)) & !GROWS
        } else {
            prot
        }
    }

    // --- bookkeeping --------------------------------------------------------------------------

    /// Remembers a new mapping; when the table is full, unmaps a random old one for room (which
    /// also keeps the memory a process holds bounded).
    fn remember(&mut self, start: u64, len: u64) {
        let len = len.div_ceil(PAGE).saturating_mul(PAGE);
        if self.nareas == MAX_AREAS {
            let i = self.rng.below(MAX_AREAS as u64) as usize;
            let old = self.areas[i];
            let r = self.call("munmap", nr::MUNMAP, [old.start, old.len, 0, 0, 0, 0]);
            // ENOMEM: splitting an area would pass the map count limit.
            if r != 0 && r != -ENOMEM {
                self.fail(format_args!(
                    "munmap of a remembered area {:#x}+{:#x}: {}",
                    old.start,
                    old.len,
                    errno_name(r)
                ));
            }
            self.areas[i] = Area { start, len };
        } else {
            self.areas[self.nareas] = Area { start, len };
            self.nareas += 1;
        }
    }

    /// Checks an mmap result: a page-aligned user range, where MAP_FIXED asked for it.
    fn check_mapped(&mut self, r: i64, addr: u64, len: u64, flags: u64) {
        if r < 0 {
            return;
        }
        let start = r as u64;
        let end = start.checked_add(len.div_ceil(PAGE).saturating_mul(PAGE));
        if !start.is_multiple_of(PAGE) || start < MMAP_MIN_ADDR || end.is_none_or(|e| e > TASK_SIZE)
        {
            self.fail(format_args!("mmap gave {start:#x}+{len:#x}"));
        }
        if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 && start != addr {
            self.fail(format_args!("MAP_FIXED at {addr:#x} gave {start:#x}"));
        }
        // Hugetlb mappings (mm/hugetlb.rs) are whole 2 MiB pages, and can only be unmapped or
        // split as such: not worth remembering, unmapped at once.
        const MAP_HUGETLB: u64 = 0x4_0000;
        if flags & MAP_HUGETLB != 0 {
            let len = len.div_ceil(2 << 20).saturating_mul(2 << 20);
            let r = self.call("munmap", nr::MUNMAP, [start, len, 0, 0, 0, 0]);
            if r != 0 {
                self.fail(format_args!(
                    "munmap of a hugetlb mapping: {}",
                    errno_name(r)
                ));
            }
            return;
        }
        self.remember(start, len);
    }

    // --- the generators -----------------------------------------------------------------------

    /// mmap flags: a mapping type (sometimes none or garbage), any known flag, sometimes garbage.
    fn map_flags(&mut self, fixed_ok: bool) -> u64 {
        const KNOWN: u64 = MAP_GROWSDOWN
            | 0x40 // MAP_32BIT
            | 0x800 // MAP_DENYWRITE
            | 0x1000 // MAP_EXECUTABLE
            | 0x2000 // MAP_LOCKED
            | MAP_NORESERVE
            | MAP_POPULATE
            | 0x1_0000 // MAP_NONBLOCK
            | 0x2_0000 // MAP_STACK
            | 0x4_0000 // MAP_HUGETLB
            | 0x8_0000 // MAP_SYNC
            | MAP_FIXED_NOREPLACE;
        let ty = match self.rng.below(10) {
            0..=5 => MAP_PRIVATE,
            6..=8 => MAP_SHARED,
            _ => self.rng.pick(&[0, 3, 0xf, 7]), // none, MAP_SHARED_VALIDATE, garbage
        };
        let mut flags = ty | self.bits(KNOWN);
        if fixed_ok && self.rng.percent(40) {
            flags |= MAP_FIXED;
        }
        if self.rng.percent(3) {
            flags |= 1 << self.rng.range(21, 63);
        }
        flags
    }

    /// An mmap address that is never the guard page: a hint there would map it. (Moved to the
    /// non-canonical alias of the address.)
    fn not_guard(&self, addr: u64) -> u64 {
        if (self.guard()..self.guard() + PAGE).contains(&addr) {
            addr | (1 << 47)
        } else {
            addr
        }
    }

    /// Drops the flags that fault a large range in at once: a program that populates more than
    /// memory is killed by the out-of-memory killer, on Linux too, and the workers must live.
    fn bound_flags(&self, flags: u64, len: u64) -> u64 {
        const MAP_LOCKED: u64 = 0x2000;
        if len > POPULATE_MAX_PAGES * PAGE {
            flags & !(MAP_POPULATE | MAP_LOCKED)
        } else {
            flags
        }
    }

    fn gen_mmap(&mut self) {
        let (addr, len, fixed_ok) = match self.rng.below(10) {
            0..=3 => (0, self.len(), false),
            4 => {
                let (a, l) = self.range_across_top();
                (a, l, true)
            }
            _ => {
                let (a, l) = self.range();
                (a, l, true)
            }
        };
        let prot = self.prot();
        let flags = self.map_flags(fixed_ok) | MAP_ANONYMOUS;
        let addr = self.not_guard(addr);
        let flags = self.bound_flags(flags, len);
        let fd = if self.rng.percent(90) {
            u64::MAX
        } else {
            self.fd()
        };
        let off = if self.rng.percent(90) {
            0
        } else {
            self.rng.next() & !0xfff
        };
        let r = self.call("mmap", nr::MMAP, [addr, len, prot, flags, fd, off]);
        self.check_mapped(r, addr, len, flags);
    }

    fn gen_mmap_file(&mut self) {
        let (addr, len) = if self.rng.percent(50) {
            (0, self.len())
        } else {
            self.range()
        };
        let prot = self.prot();
        let flags = self.map_flags(addr != 0) & !MAP_ANONYMOUS;
        let addr = self.not_guard(addr);
        let flags = self.bound_flags(flags, len);
        let fd = if self.rng.percent(70) {
            self.exe_fd
        } else {
            self.fd()
        };
        let off = match self.rng.below(8) {
            0 | 1 => 0,
            2..=4 => self.rng.below(80) * PAGE,
            5 => self.rng.range(1, 80 * PAGE),
            6 => self.rng.pick(&[
                0xffff_ffff_ffff_f000,
                0xffff_ffff_ffff_e000,
                1 << 63,
                TASK_SIZE,
                u64::MAX,
            ]),
            _ => self.rng.next() & !0xfff,
        };
        let r = self.call("mmap", nr::MMAP, [addr, len, prot, flags, fd, off]);
        self.check_mapped(r, addr, len, flags);
    }

    fn gen_munmap(&mut self) {
        let (addr, len) = if self.rng.percent(5) {
            self.range_across_top()
        } else {
            self.range()
        };
        let r = self.call("munmap", nr::MUNMAP, [addr, len, 0, 0, 0, 0]);
        if r > 0 {
            self.fail(format_args!("munmap returned {r}"));
        }
    }

    fn gen_mprotect(&mut self) {
        let (addr, len) = self.range();
        let prot = self.prot();
        let r = self.call("mprotect", nr::MPROTECT, [addr, len, prot, 0, 0, 0]);
        if r > 0 {
            self.fail(format_args!("mprotect returned {r}"));
        }
    }

    /// mremap of a range from [`range`](Self::range): shrinking, growing, moving (MREMAP_MAYMOVE,
    /// MREMAP_FIXED into the arena, MREMAP_DONTUNMAP), garbage flags and lengths. A destination
    /// of MREMAP_FIXED is always in the arena and ends below its guard page, so nothing of this
    /// program is ever replaced, and an arena area never grows in place over the guard page.
    fn gen_mremap(&mut self) {
        const MAYMOVE: u64 = 1;
        const FIXED: u64 = 2;
        const DONTUNMAP: u64 = 4;
        let (addr, old_len) = self.range();
        let mut new_len = self.len();
        let flags = match self.rng.below(10) {
            0..=2 => 0,
            3..=5 => MAYMOVE,
            6 => MAYMOVE | FIXED,
            7 => {
                new_len = old_len;
                MAYMOVE | DONTUNMAP
            }
            8 => self.rng.below(8),
            _ => self.rng.next(),
        };
        let new_addr = if flags & FIXED != 0 {
            // Never the guard page or anything outside the arena that a program could use.
            let at = if self.rng.percent(5) {
                let unaligned = self.arena_addr() + 1;
                self.rng
                    .pick(&[0, PAGE, MMAP_MIN_ADDR - PAGE, unaligned, !0xfff])
            } else {
                self.arena_addr()
            };
            // MREMAP_FIXED unmaps the destination before anything else can fail (on Linux too,
            // where the EPERM for an address below mmap_min_addr comes after): keep it within the
            // arena, or below mmap_min_addr where nothing is ever mapped.
            if at >= self.arena && at < self.guard() && !Self::is_huge(new_len) {
                new_len = new_len.min(self.guard() - at);
            } else if at < MMAP_MIN_ADDR {
                new_len = new_len.min(MMAP_MIN_ADDR - at);
            }
            at
        } else {
            // Growing in place (tried first with or without MREMAP_MAYMOVE) takes what follows
            // the area: never up to the guard page, which would then read as zeros.
            if addr >= self.arena && addr < self.guard() && !Self::is_huge(new_len) {
                new_len = new_len.min(self.guard() - (addr & !(PAGE - 1)));
            }
            let (random, arena) = (self.rng.next(), self.arena_addr());
            self.rng.pick(&[0, random, arena])
        };
        // A locked area that grows is populated: keep that within bounds, on Linux too.
        if new_len > old_len.saturating_add(POPULATE_MAX_PAGES * PAGE) && !Self::is_huge(old_len) {
            self.call("munlock", nr::MUNLOCK, [addr, old_len, 0, 0, 0, 0]);
        }
        let r = self.call(
            "mremap",
            nr::MREMAP,
            [addr, old_len, new_len, flags, new_addr, 0],
        );
        if r < 0 {
            return;
        }
        let start = r as u64;
        if !start.is_multiple_of(PAGE) || !(MMAP_MIN_ADDR..TASK_SIZE).contains(&start) {
            self.fail(format_args!("mremap gave {start:#x}"));
        }
        if flags & FIXED != 0 && start != new_addr {
            self.fail(format_args!(
                "MREMAP_FIXED to {new_addr:#x} gave {start:#x}"
            ));
        }
        if flags & MAYMOVE == 0 && start != addr {
            self.fail(format_args!(
                "mremap without MREMAP_MAYMOVE moved {addr:#x} to {start:#x}"
            ));
        }
        self.remember(start, new_len);
    }

    /// mlock, mlock2, munlock, mlockall and munlockall. Locking populates, so the lengths locked
    /// without MLOCK_ONFAULT stay small, and mlockall always keeps MCL_ONFAULT: memory stays
    /// bounded on Linux too.
    fn gen_mlock(&mut self) {
        const MLOCK_ONFAULT: u64 = 1;
        const MCL_CURRENT: u64 = 1;
        const MCL_FUTURE: u64 = 2;
        const MCL_ONFAULT: u64 = 4;
        let (addr, len) = self.range();
        let small = if Self::is_huge(len) {
            len
        } else {
            len.min(POPULATE_MAX_PAGES * PAGE)
        };
        match self.rng.below(8) {
            0 | 1 => {
                self.call("mlock", nr::MLOCK, [addr, small, 0, 0, 0, 0]);
            }
            2 => {
                let flags = self.rng.pick(&[MLOCK_ONFAULT, 2, 3, u64::MAX]);
                self.call("mlock2", nr::MLOCK2, [addr, len, flags, 0, 0, 0]);
            }
            3 => {
                self.call("mlock2", nr::MLOCK2, [addr, small, 0, 0, 0, 0]);
            }
            4 | 5 => {
                self.call("munlock", nr::MUNLOCK, [addr, len, 0, 0, 0, 0]);
            }
            6 => {
                let flags = self.rng.pick(&[
                    MCL_CURRENT | MCL_ONFAULT,
                    MCL_FUTURE | MCL_ONFAULT,
                    MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT,
                    MCL_ONFAULT,
                    0,
                    8,
                ]);
                self.call("mlockall", nr::MLOCKALL, [flags, 0, 0, 0, 0, 0]);
            }
            _ => {
                let r = self.call("munlockall", nr::MUNLOCKALL, [0; 6]);
                if r != 0 {
                    self.fail(format_args!("munlockall: {}", errno_name(r)));
                }
            }
        }
    }

    /// madvise with every advice Linux knows (but the memory-failure ones, which need privilege
    /// and would poison pages on Linux) and garbage ones; the advices that read pages in get small
    /// lengths, and those that drop pages never a length reaching past the range's area.
    fn gen_madvise(&mut self) {
        let (addr, len) = self.range();
        let mut advice = if self.rng.percent(5) {
            self.rng.next()
        } else {
            self.rng.below(27)
        };
        // A huge length runs past the area into this program's own memory (on Linux too, madvise
        // advises every area up to the end): only advice that leaves the pages alone, there.
        // (DONTNEED, FREE, REMOVE, WIPEONFORK, DONTFORK, DONTNEED_LOCKED would take them.)
        if Self::is_huge(len) && matches!(advice, 4 | 8 | 9 | 10 | 18 | 24) {
            advice = 0;
        }
        // WILLNEED, POPULATE_READ, POPULATE_WRITE fault the range in.
        let len = if matches!(advice, 3 | 22 | 23) && !Self::is_huge(len) {
            len.min(POPULATE_MAX_PAGES * PAGE)
        } else {
            len
        };
        let r = self.call("madvise", nr::MADVISE, [addr, len, advice, 0, 0, 0]);
        if r > 0 {
            self.fail(format_args!("madvise returned {r}"));
        }
    }

    /// A new mapping protected page by page, alternating rights: one area per page, up to the map
    /// count limit (ENOMEM past it, on Linux).
    fn gen_split(&mut self) {
        /// Linux's default vm.max_map_count.
        const MAX_MAP_COUNT: usize = 65530;
        let max = if self.depth == 0 { 1024 } else { 64 };
        let step = self.rng.range(1, 3);
        let mut pages = self.rng.range(2, max);
        let beyond_limit = self.rng.percent(10);
        if beyond_limit {
            pages = (MAX_MAP_COUNT as u64 + 500) * step;
        }
        let len = pages * PAGE;
        let rw = PROT_READ | PROT_WRITE;
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
        let base = self.call("mmap", nr::MMAP, [0, len, rw, flags, u64::MAX, 0]);
        if base < 0 {
            return;
        }
        let base = base as u64;
        self.remember(base, len);
        for p in (0..pages).step_by(step as usize * 2) {
            let r = self.call(
                "mprotect",
                nr::MPROTECT,
                [
                    base + p * PAGE,
                    step.min(pages - p) * PAGE,
                    PROT_READ,
                    0,
                    0,
                    0,
                ],
            );
            if r < 0 {
                if r != -ENOMEM {
                    self.fail(format_args!("splitting mprotect: {}", errno_name(r)));
                }
                break;
            }
            self.map_count += 2;
        }
        if beyond_limit {
            // Each call split off two areas: past the limit, mprotect must have said ENOMEM.
            match check_maps(b"/proc/self/maps\0", true) {
                Ok(n) if n > MAX_MAP_COUNT + 1 => self.fail(format_args!(
                    "{n} areas, more than Linux's limit of {MAX_MAP_COUNT}: mprotect never failed"
                )),
                Ok(n) => self.map_count = n,
                Err(e) => self.fail(format_args!("/proc/self/maps: {e}")),
            }
            // Tens of thousands of areas make every later call slow: give them back (removing
            // whole areas is always allowed, at the limit too).
            let r = self.call("munmap", nr::MUNMAP, [base, len, 0, 0, 0, 0]);
            if r != 0 {
                self.fail(format_args!(
                    "munmap of the split mapping: {}",
                    errno_name(r)
                ));
            }
            match check_maps(b"/proc/self/maps\0", true) {
                Ok(n) => self.map_count = n,
                Err(e) => self.fail(format_args!("/proc/self/maps: {e}")),
            }
        }
    }

    fn gen_brk(&mut self) {
        let r = &mut self.rng;
        let top = self.heap_top;
        let want = match r.below(12) {
            0 => 0,
            1..=3 => top + r.range(1, 64) * PAGE,
            4 => top + r.range(1, 3 * PAGE),
            5 => top.saturating_sub(r.range(1, 32) * PAGE),
            6 => self.heap_start + r.below(PAGE),
            7 => r.below(self.heap_start),
            8 => top + (r.range(1, 64) << 20),
            9 => top + (r.range(1, 4) << 30),
            10 => r.pick(&[
                0xffff_ffff_ffff_f000,
                0xffff_ffff_ffff_e000,
                u64::MAX,
                1 << 47,
                TASK_SIZE,
                TASK_SIZE - PAGE,
                0x0000_8000_0000_0000,
                0xffff_8000_0000_0000,
            ]),
            _ => r.next(),
        };
        let got = self.call("brk", nr::BRK, [want, 0, 0, 0, 0, 0]) as u64;
        // The break moves to exactly what was asked, or stays; never below the heap's start, and
        // never anywhere near the mappings above (it grows by at most 4 GiB here).
        if got != want && got != top || got < self.heap_start || got > top.max(want) {
            self.fail(format_args!(
                "brk({want:#x}) from {top:#x} gave {got:#x} (heap starts at {:#x})",
                self.heap_start
            ));
        }
        self.heap_top = got;
    }

    fn gen_read(&mut self) {
        let fd = if self.rng.percent(80) && self.nfds > 0 {
            self.fds[self.rng.below(self.nfds as u64) as usize]
        } else {
            self.fd()
        };
        let mut stack = [0u8; 512];
        let (buf, count) = self.user_buffer().unwrap_or_else(|| {
            let n = self.rng.range(0, stack.len() as u64);
            (stack.as_mut_ptr() as u64, n)
        });
        let r = self.call("read", nr::READ, [fd, buf, count, 0, 0, 0]);
        if r > 0 && r as u64 > count {
            self.fail(format_args!("read of {count} gave {r}"));
        }
    }

    /// read into a bad buffer fails with EFAULT and must not move the file position: the next read
    /// starts at the beginning of the file.
    fn gen_read_efault(&mut self) {
        let fd = self.call(
            "open",
            nr::OPEN,
            [self.cfg.path().as_ptr() as u64, 0, 0, 0, 0, 0],
        );
        if fd < 0 {
            self.fail(format_args!("open own executable: {}", errno_name(fd)));
        }
        let bad = self.bad_addr();
        let count = self.rng.range(1, 3 * PAGE);
        let r = self.call("read", nr::READ, [fd as u64, bad, count, 0, 0, 0]);
        self.expect_err("read into a bad buffer", r, EFAULT);
        let mut head = [0u8; 4];
        let r = self.call(
            "read",
            nr::READ,
            [fd as u64, head.as_mut_ptr() as u64, 4, 0, 0, 0],
        );
        // The failed read must not have moved the position.
        if r != 4 || &head != b"\x7fELF" {
            self.fail(format_args!(
                "read after EFAULT: {r} bytes {head:?}, not the ELF header"
            ));
        }
        self.call("close", nr::CLOSE, [fd as u64, 0, 0, 0, 0, 0]);
    }

    fn gen_write(&mut self) {
        // The console only ever gets unusable pointers (or a count of 0): its output must stay
        // readable. Files here are all open read-only (EBADF) or bad (EBADF).
        let console = self.rng.percent(50);
        let fd = if console {
            self.rng.range(1, 2)
        } else {
            self.fd()
        };
        let (buf, count) = if console {
            let buf = self.bad_addr();
            let count = if self.rng.percent(10) {
                0
            } else {
                self.rng
                    .pick(&[1, 100, PAGE + 1, u64::MAX, 1 << 63, 0x7fff_ffff])
            };
            (buf, count)
        } else {
            self.user_buffer().unwrap_or((self.bad_addr(), 16))
        };
        let r = self.call("write", nr::WRITE, [fd, buf, count, 0, 0, 0]);
        if console && count > 0 {
            self.expect_err("write to the console from a bad buffer", r, EFAULT);
        } else if r > 0 && !self.is_pipe(fd) {
            self.fail(format_args!("write to a read-only or bad fd gave {r}"));
        }
    }

    fn gen_writev(&mut self) {
        let fd = if self.rng.percent(60) {
            self.rng.range(1, 2)
        } else {
            self.fd()
        };
        // Vectors whose bases are all bad (or lengths 0), so nothing reaches the console.
        let mut iov = [[0u64; 2]; 4];
        for v in iov.iter_mut() {
            v[0] = self.bad_addr();
            v[1] = match self.rng.below(4) {
                0 => 0,
                1 => self.rng.range(1, PAGE),
                2 => self.rng.pick(&HUGE_LENS),
                _ => 1 << 62,
            };
        }
        let (ptr, cnt) = match self.rng.below(6) {
            0 => (self.bad_addr(), self.rng.range(1, 4)),
            1 => (
                iov.as_ptr() as u64,
                self.rng.pick(&[1025, u64::MAX, 1 << 31, 1 << 32]),
            ),
            // The array's end: the kernel walks off it into unmapped or kernel memory.
            2 => (
                self.rng.pick(&[
                    u64::MAX - 15,
                    u64::MAX - 7,
                    TASK_SIZE - 16,
                    self.guard() - 16,
                ]),
                self.rng.range(1, 3),
            ),
            _ => (iov.as_ptr() as u64, self.rng.range(0, 4)),
        };
        let r = self.call("writev", nr::WRITEV, [fd, ptr, cnt, 0, 0, 0]);
        if r > 0 {
            self.fail(format_args!("writev from bad buffers gave {r}"));
        }
    }

    /// Paths: files that exist (this program, /proc), that do not, too long, and bad pointers.
    fn gen_open(&mut self) {
        const PATHS: [&[u8]; 12] = [
            b"/proc/self/maps\0",
            b"/proc/self/status\0",
            b"/proc/self/mmstat\0",
            b"/proc/meminfo\0",
            b"/proc/1/maps\0",
            b"/proc/99999/maps\0",
            b"/proc/self/nothing\0",
            b"/nonexistent\0",
            b"/\0",
            b"\0",
            b"proc/self/maps\0",
            b"/proc/self/maps/\0",
        ];
        const SAFE_FLAGS: u64 = 0x80000 | 0x800 | 0x20000 | 0x10000 | 0x8000 | 0x100;
        let long = [b'a'; 5000];
        let (path, writable_ok) = match self.rng.below(10) {
            0..=4 => {
                let p = self.rng.pick(&PATHS);
                (p.as_ptr() as u64, true)
            }
            5 | 6 => (self.cfg.path().as_ptr() as u64, true),
            7 => (long.as_ptr() as u64, false), // no NUL within PATH_MAX
            _ => (self.bad_addr(), true),
        };
        let bad_path = !(MMAP_MIN_ADDR..TASK_SIZE).contains(&path) || path == self.guard();
        // Write access only where it must fail: /proc (EACCES), this running program (ETXTBSY on
        // Linux), paths that cannot be read. Never O_CREAT or O_TRUNC on a real path.
        let mut flags = self.bits(SAFE_FLAGS);
        if writable_ok && self.rng.percent(15) {
            flags |= self.rng.range(1, 3);
        }
        if bad_path {
            flags |= self.rng.next() & 0xffff_ffff; // O_CREAT, O_TRUNC, anything: EFAULT first
        }
        let r = if self.rng.percent(50) {
            self.call("open", nr::OPEN, [path, flags, 0o644, 0, 0, 0])
        } else {
            let dirfd = match self.rng.below(4) {
                0 | 1 => AT_FDCWD as u64,
                2 => self.fd(),
                _ => self.rng.next(),
            };
            self.call("openat", nr::OPENAT, [dirfd, path, flags, 0o644, 0, 0])
        };
        if r >= 0 {
            if r <= 2 {
                self.fail(format_args!("open returned the console's fd {r}"));
            }
            if self.nfds == MAX_FDS {
                let i = self.rng.below(MAX_FDS as u64) as usize;
                let old = self.fds[i];
                self.call("close", nr::CLOSE, [old, 0, 0, 0, 0, 0]);
                self.fds[i] = r as u64;
            } else {
                self.fds[self.nfds] = r as u64;
                self.nfds += 1;
            }
        }
    }

    fn gen_close(&mut self) {
        if self.nfds > 0 && self.rng.percent(50) {
            let i = self.rng.below(self.nfds as u64) as usize;
            let fd = self.fds[i];
            let r = self.call("close", nr::CLOSE, [fd, 0, 0, 0, 0, 0]);
            if r != 0 {
                self.fail(format_args!("close of open fd {fd}: {}", errno_name(r)));
            }
            self.nfds -= 1;
            self.fds[i] = self.fds[self.nfds];
        } else {
            let fd = self.rng.pick(&BAD_FDS);
            let r = self.call("close", nr::CLOSE, [fd, 0, 0, 0, 0, 0]);
            self.expect_err("close of a bad fd", r, EBADF);
        }
    }

    /// Whether `fd` is a pipe (F_GETPIPE_SZ answers only for pipes).
    fn is_pipe(&mut self, fd: u64) -> bool {
        self.call("fcntl", nr::FCNTL, [fd, F_GETPIPE_SZ, 0, 0, 0, 0]) > 0
    }

    /// Remembers a descriptor a call opened (once), closing an older one if the list is full.
    fn keep_fd(&mut self, fd: u64) {
        if fd <= 2 || fd == self.exe_fd || self.fds[..self.nfds].contains(&fd) {
            return;
        }
        if self.nfds == MAX_FDS {
            let i = self.rng.below(MAX_FDS as u64) as usize;
            let old = self.fds[i];
            self.call("close", nr::CLOSE, [old, 0, 0, 0, 0, 0]);
            self.fds[i] = fd;
        } else {
            self.fds[self.nfds] = fd;
            self.nfds += 1;
        }
    }

    /// A descriptor for the descriptor calls: one of ours (pipes among them), this program's
    /// file, or a bad one. Never the console.
    fn any_fd(&mut self) -> u64 {
        if self.nfds > 0 && self.rng.percent(60) {
            self.fds[self.rng.below(self.nfds as u64) as usize]
        } else {
            self.fd()
        }
    }

    /// A descriptor number to dup onto: 3..=63 but not this program's file, or one at or above
    /// every limit (never 1000 or what truncates to it: that is one of BAD_FDS).
    fn dup_target(&mut self) -> u64 {
        if self.rng.percent(80) {
            let t = self.rng.range(3, 63);
            if t == self.exe_fd { 63 } else { t }
        } else {
            self.rng.pick(&[
                u64::MAX,
                0xffff_ffff,
                0x7fff_ffff,
                1 << 20,
                0x8000_0000_0000_1001,
            ])
        }
    }

    /// Pipes, always O_NONBLOCK (so that no later read or write can wait for ever), into a good
    /// or bad pointer, with O_CLOEXEC, O_DIRECT or an invalid flag; sometimes some data in, or
    /// the read end closed (writes then fail with EPIPE and SIGPIPE).
    fn gen_pipe(&mut self) {
        const O_TRUNC: u64 = 0o1000;
        let mut fds = [-1i32; 2];
        let good = fds.as_mut_ptr() as u64;
        let flags = O_NONBLOCK | self.bits(O_CLOEXEC | O_DIRECT | O_TRUNC);
        let ptr = if self.rng.percent(15) {
            self.bad_addr()
        } else {
            good
        };
        let r = self.call("pipe2", nr::PIPE2, [ptr, flags, 0, 0, 0, 0]);
        if flags & O_TRUNC != 0 {
            return self.expect_err("pipe2 with O_TRUNC", r, EINVAL);
        }
        if ptr != good {
            return self.expect_err("pipe2 into a bad pointer", r, EFAULT);
        }
        if r != 0 || fds[0] <= 2 || fds[1] <= 2 || fds[0] == fds[1] {
            self.fail(format_args!("pipe2: {} gave {fds:?}", errno_name(r)));
        }
        let (rd, wr) = (fds[0] as u64, fds[1] as u64);
        if let Some((buf, count)) = self.user_buffer() {
            let r = self.call("write", nr::WRITE, [wr, buf, count, 0, 0, 0]);
            if r > 65536 {
                self.fail(format_args!("write of {count} into an empty pipe gave {r}"));
            }
        }
        if self.rng.percent(30) {
            self.call("close", nr::CLOSE, [rd, 0, 0, 0, 0, 0]);
        } else {
            self.keep_fd(rd);
        }
        self.keep_fd(wr);
    }

    /// dup, dup2, dup3, F_DUPFD(_CLOEXEC) and close_range (above every descriptor in use).
    fn gen_dup(&mut self) {
        let old = self.any_fd();
        let target = self.dup_target();
        let r = match self.rng.below(5) {
            0 => self.call("dup", nr::DUP, [old, 0, 0, 0, 0, 0]),
            1 => {
                let r = self.call("dup2", nr::DUP2, [old, target, 0, 0, 0, 0]);
                if r >= 0 && r as u64 != target & 0xffff_ffff {
                    self.fail(format_args!("dup2 onto {target:#x} gave {r}"));
                }
                r
            }
            2 => {
                let flags = self.bits(O_CLOEXEC | 1 | O_NONBLOCK);
                let r = self.call("dup3", nr::DUP3, [old, target, flags, 0, 0, 0]);
                if r >= 0 && flags & !O_CLOEXEC != 0 {
                    self.fail(format_args!("dup3 with flags {flags:#x} gave {r}"));
                }
                r
            }
            3 => {
                let cmd = self.rng.pick(&[F_DUPFD, F_DUPFD_CLOEXEC]);
                let arg = if self.rng.percent(70) {
                    self.rng.range(0, 63)
                } else {
                    self.rng.pick(&[1024, 1 << 20, u64::MAX, 1 << 32])
                };
                let r = self.call("fcntl", nr::FCNTL, [old, cmd, arg, 0, 0, 0]);
                // Linux takes the argument as an unsigned int.
                if r >= 0 && (r as u64) < arg & 0xffff_ffff {
                    self.fail(format_args!("F_DUPFD {arg} gave {r}"));
                }
                r
            }
            _ => {
                let first = self.rng.range(64, 2000);
                let last = if self.rng.percent(50) {
                    u64::MAX
                } else {
                    self.rng.range(0, 4000)
                };
                let flags = self.bits(2 | 4 | 1 | 8);
                let r = self.call(
                    "close_range",
                    nr::CLOSE_RANGE,
                    [first, last, flags, 0, 0, 0],
                );
                if r == 0 && (flags & !6 != 0 || first > last & 0xffff_ffff) {
                    self.fail(format_args!(
                        "close_range({first}, {last:#x}, {flags:#x}) gave 0"
                    ));
                }
                return;
            }
        };
        if r >= 0 {
            self.keep_fd(r as u64);
        }
    }

    /// fcntl's flag commands (F_SETFL always keeps O_NONBLOCK), F_GETPIPE_SZ, commands nobody
    /// knows, and the ioctls every file answers (never FIONBIO off).
    fn gen_fcntl(&mut self) {
        let fd = self.any_fd();
        let mut n = 0i32;
        let ptr = if self.rng.percent(30) {
            self.bad_addr()
        } else {
            &raw mut n as u64
        };
        let (name, nr, cmd, arg) = match self.rng.below(8) {
            0 => ("fcntl", nr::FCNTL, F_GETFD, 0),
            1 => ("fcntl", nr::FCNTL, F_SETFD, self.rng.next()),
            2 => ("fcntl", nr::FCNTL, F_GETFL, 0),
            3 => ("fcntl", nr::FCNTL, F_SETFL, self.rng.next() | O_NONBLOCK),
            4 => ("fcntl", nr::FCNTL, F_GETPIPE_SZ, 0),
            5 => ("ioctl", nr::IOCTL, FIONREAD, ptr),
            6 => ("ioctl", nr::IOCTL, self.rng.pick(&[FIOCLEX, FIONCLEX]), 0),
            _ => (
                "fcntl",
                nr::FCNTL,
                self.rng.range(1100, 2000),
                self.rng.next(),
            ),
        };
        let r = self.call(name, nr, [fd, cmd, arg, 0, 0, 0]);
        if nr == nr::FCNTL && cmd >= 1100 && r >= 0 {
            self.fail(format_args!("fcntl command {cmd} succeeded"));
        }
        if cmd == F_GETPIPE_SZ && r >= 0 && r != 65536 {
            self.fail(format_args!("F_GETPIPE_SZ gave {r}"));
        }
    }

    /// Four iovecs over the stack buffer, remembered areas and bad addresses (for readv, preadv,
    /// writev to a pipe, pwritev).
    fn iovecs(&mut self, stack: &mut [u8; 512]) -> [[u64; 2]; 4] {
        let mut iov = [[0u64; 2]; 4];
        for v in iov.iter_mut() {
            *v = match self.user_buffer() {
                Some((addr, len)) => [addr, len],
                None => {
                    let at = self.rng.below(512);
                    [stack.as_mut_ptr() as u64 + at, self.rng.range(0, 512 - at)]
                }
            };
        }
        iov
    }

    /// lseek, pread64, pwrite64, readv, preadv, pwritev and plain writes, on pipes, this program
    /// and bad descriptors, at ordinary and extreme offsets.
    fn gen_positioned(&mut self) {
        let fd = self.any_fd();
        let mut stack = [0u8; 512];
        let (buf, count) = self.user_buffer().unwrap_or_else(|| {
            let n = self.rng.range(0, stack.len() as u64);
            (stack.as_mut_ptr() as u64, n)
        });
        let pos = if self.rng.percent(50) {
            self.rng.range(0, 100_000)
        } else {
            self.rng.pick(&[
                4095,
                1 << 40,
                u64::MAX,
                1 << 63,
                i64::MAX as u64 - 1,
                i64::MAX as u64,
            ])
        };
        let mut iov = self.iovecs(&mut stack);
        let (iov_ptr, iov_cnt) = match self.rng.below(6) {
            0 => (self.bad_addr(), self.rng.range(1, 4)),
            1 => (
                iov.as_mut_ptr() as u64,
                self.rng.pick(&[1025, u64::MAX, 1 << 32]),
            ),
            _ => (iov.as_mut_ptr() as u64, self.rng.range(0, 4)),
        };
        let (name, nr, args) = match self.rng.below(7) {
            0 => {
                let whence = self.rng.pick(&[0, 1, 2, 3, 4, 5, u64::MAX]);
                ("lseek", nr::LSEEK, [fd, pos, whence, 0, 0, 0])
            }
            1 => ("pread64", nr::PREAD64, [fd, buf, count, pos, 0, 0]),
            2 => ("pwrite64", nr::PWRITE64, [fd, buf, count, pos, 0, 0]),
            3 => ("readv", nr::READV, [fd, iov_ptr, iov_cnt, 0, 0, 0]),
            4 => ("preadv", nr::PREADV, [fd, iov_ptr, iov_cnt, pos, 0, 0]),
            5 => ("pwritev", nr::PWRITEV, [fd, iov_ptr, iov_cnt, pos, 0, 0]),
            _ => ("write", nr::WRITE, [fd, buf, count, 0, 0, 0]),
        };
        let r = self.call(name, nr, args);
        if (nr == nr::PREAD64 || nr == nr::PWRITE64) && r > 0 && r as u64 > count {
            self.fail(format_args!("{name} of {count} gave {r}"));
        }
        if (nr == nr::PWRITE64 || nr == nr::PWRITEV) && r >= 0 && args[2] > 0 {
            // Nothing here is writable at an offset: pipes are ESPIPE, files read-only.
            self.fail(format_args!("{name} succeeded"));
        }
        if nr == nr::PREAD64 && fd == self.exe_fd && (pos as i64) >= 0 && r == -ESPIPE {
            self.fail(format_args!("pread64 of this program: ESPIPE"));
        }
    }

    /// A bad address for a timeout: never NULL, which means no timeout (waiting for ever).
    fn bad_timeout(&mut self) -> u64 {
        match self.bad_addr() {
            0 => self.guard(),
            addr => addr,
        }
    }

    /// poll and ppoll over pipes, this program, closed and negative descriptors, with zero or
    /// tiny timeouts (never none: nothing may wait for ever), bad arrays, counts above the
    /// limit, and random signal masks for the duration.
    fn gen_poll(&mut self) {
        let mut pfds = [[0u32; 2]; 4];
        for p in pfds.iter_mut() {
            let fd = match self.rng.below(4) {
                0 => u32::MAX, // -1: skipped
                _ => self.any_fd() as u32,
            };
            *p = [fd, self.rng.next() as u32 & 0xffff];
        }
        let ptr = if self.rng.percent(15) {
            self.bad_addr()
        } else {
            pfds.as_mut_ptr() as u64
        };
        // Never more entries than the array holds (poll writes every revents back), unless the
        // count is above every limit (EINVAL before anything is read).
        let n = if self.rng.percent(85) {
            self.rng.range(0, 4)
        } else {
            self.rng.pick(&[1 << 21, u64::MAX, 0x7fff_ffff])
        };
        let r = if self.rng.percent(50) {
            let ms = self.rng.pick(&[0, 0, 0, 1]);
            self.call("poll", nr::POLL, [ptr, n, ms, 0, 0, 0])
        } else {
            let mut ts = [0i64, self.rng.pick(&[0, 0, 1_000_000, 1_000_000_000, -1])];
            let tsp = if self.rng.percent(15) {
                self.bad_timeout()
            } else {
                ts.as_mut_ptr() as u64
            };
            let mut mask = self.rng.next() | SIGPIPE_MASK;
            let (set, size) = match self.rng.below(4) {
                0 => (0, 8),
                1 => (self.bad_addr(), 8),
                2 => (&raw mut mask as u64, self.rng.pick(&[0, 4, 16])),
                _ => (&raw mut mask as u64, 8),
            };
            self.call("ppoll", nr::PPOLL, [ptr, n, tsp, set, size, 0])
        };
        if r > 0 && r as u64 > n {
            self.fail(format_args!("poll of {n} descriptors gave {r}"));
        }
    }

    /// select and pselect6: counts negative, small, large; sets on the stack (1024 bits, enough
    /// for any table a worker has), absent or bad; a zero or tiny timeout, or a bad one.
    fn gen_select(&mut self) {
        let mut sets = [[0u64; 16]; 3];
        for set in sets.iter_mut() {
            for _ in 0..self.rng.below(4) {
                let fd = self.any_fd();
                if fd < 1024 {
                    set[fd as usize / 64] |= 1 << (fd % 64);
                }
            }
        }
        let n = if self.rng.percent(70) {
            self.rng.range(0, 65)
        } else {
            self.rng.pick(&[u64::MAX, 1 << 31, 1024, 4096, 1 << 32])
        };
        let mut ptrs = [0u64; 3];
        for (i, p) in ptrs.iter_mut().enumerate() {
            *p = match self.rng.below(5) {
                0 => 0,
                1 => self.bad_addr(),
                _ => sets[i].as_mut_ptr() as u64,
            };
        }
        let pselect = self.rng.percent(50);
        // A timeval for select, a timespec for pselect6: zero, a microsecond, invalid, too big.
        let frac = self.rng.pick(&[0, 0, 1000, -1]);
        let mut t = [0i64, if pselect { frac * 1000 } else { frac }];
        let tp = if self.rng.percent(15) {
            self.bad_timeout()
        } else {
            t.as_mut_ptr() as u64
        };
        let r = if !pselect {
            self.call("select", nr::SELECT, [n, ptrs[0], ptrs[1], ptrs[2], tp, 0])
        } else {
            let mut mask = self.rng.next() | SIGPIPE_MASK;
            let mut pack = [&raw mut mask as u64, 8];
            let sig = match self.rng.below(4) {
                0 => 0,
                1 => self.bad_addr(),
                2 => {
                    pack[1] = 4;
                    pack.as_mut_ptr() as u64
                }
                _ => pack.as_mut_ptr() as u64,
            };
            self.call(
                "pselect6",
                nr::PSELECT6,
                [n, ptrs[0], ptrs[1], ptrs[2], tp, sig],
            )
        };
        if r > 3 * 1024 {
            self.fail(format_args!("select gave {r}"));
        }
    }

    /// sendfile from this program (or anything) into pipes (or anything), with and without an
    /// offset, at ordinary and extreme offsets and counts.
    fn gen_sendfile(&mut self) {
        let out = self.any_fd();
        let input = if self.rng.percent(70) {
            self.exe_fd
        } else {
            self.any_fd()
        };
        let mut off: i64 = if self.rng.percent(70) {
            self.rng.range(0, 100_000) as i64
        } else {
            self.rng.pick(&[-1, i64::MAX, i64::MAX - 10, 1 << 40])
        };
        let offp = match self.rng.below(4) {
            0 => 0,
            1 => self.bad_addr(),
            _ => &raw mut off as u64,
        };
        let count = if self.rng.percent(70) {
            self.rng.range(0, 3 * PAGE)
        } else {
            self.rng.pick(&HUGE_LENS)
        };
        let r = self.call("sendfile", nr::SENDFILE, [out, input, offp, count, 0, 0]);
        if r > 0 && (r as u64 > count || r > 65536) {
            self.fail(format_args!("sendfile of {count} gave {r}"));
        }
    }

    /// Requests no driver knows, on files, /proc and bad fds (never on the console, whose settings
    /// must not change on Linux).
    fn gen_ioctl(&mut self) {
        let fd = self.fd();
        let request = 0xdead_0000 | self.rng.below(0x1_0000);
        let arg = if self.rng.percent(50) {
            self.bad_addr()
        } else {
            self.rng.next()
        };
        let r = self.call("ioctl", nr::IOCTL, [fd, request, arg, 0, 0, 0]);
        if r >= 0 {
            self.fail(format_args!("unknown ioctl {request:#x} succeeded"));
        }
    }

    /// execve that must fail: missing or non-executable paths, bad path, argv or envp pointers,
    /// argv entries that are bad. (Successful execs happen in children: see `spawn`.)
    fn gen_execve(&mut self) {
        const NOT_PROGRAMS: [&[u8]; 4] = [b"/nonexistent\0", b"/proc/self/maps\0", b"/\0", b"\0"];
        let arg0 = b"fuzz\0";
        let bad = self.bad_addr();
        let bad_argv = [arg0.as_ptr() as u64, bad, 0];
        let good_argv = [arg0.as_ptr() as u64, 0];
        let envp = [0u64];
        let bad_ptr = loop {
            // A pointer exec must refuse (NULL would be an empty argv or envp on Linux).
            let p = self.bad_addr();
            if p != 0 {
                break p;
            }
        };
        let (path, argv, env) = match self.rng.below(5) {
            0 => (
                self.rng.pick(&NOT_PROGRAMS).as_ptr() as u64,
                good_argv.as_ptr() as u64,
                0,
            ),
            1 => (bad, good_argv.as_ptr() as u64, envp.as_ptr() as u64),
            2 => (self.cfg.path().as_ptr() as u64, bad_ptr, 0),
            3 => (
                self.cfg.path().as_ptr() as u64,
                good_argv.as_ptr() as u64,
                bad_ptr,
            ),
            _ => (
                self.cfg.path().as_ptr() as u64,
                bad_argv.as_ptr() as u64,
                envp.as_ptr() as u64,
            ),
        };
        // bad_argv[1] may be NULL, which ends the list: then exec would work. Not that.
        if argv == bad_argv.as_ptr() as u64 && bad == 0 {
            return;
        }
        let r = self.call("execve", nr::EXECVE, [path, argv, env, 0, 0, 0]);
        if r >= 0 {
            self.fail(format_args!("execve that must fail returned {r}"));
        }
    }

    fn gen_wait4(&mut self) {
        let pid = self.rng.pick(&[
            -1,
            0,
            -1,
            i64::MIN,
            1 << 40,
            self.pid,
            self.pid + 1,
            99999,
            -99999,
        ]);
        let mut status = 0i32;
        let mut rusage = [0u8; 144];
        let status_ptr = match self.rng.below(3) {
            0 => 0,
            1 => &raw mut status as u64,
            _ => self.bad_addr(),
        };
        let rusage_ptr = match self.rng.below(3) {
            0 => 0,
            1 => rusage.as_mut_ptr() as u64,
            _ => self.bad_addr(),
        };
        // Blocking waits only while children live (they all end).
        let options = match self.rng.below(4) {
            0 if self.live > 0 => 0,
            0 | 1 => WNOHANG,
            2 => WNOHANG | self.bits(0x4000_000a), // __WALL, WUNTRACED, WCONTINUED
            _ => self.rng.next() | WNOHANG,
        };
        let r = self.call(
            "wait4",
            nr::WAIT4,
            [pid as u64, status_ptr, options, rusage_ptr, 0, 0],
        );
        if r > 0 || r == -EFAULT {
            // A child was reaped (with EFAULT too, as on Linux, when the status was unwritable).
            self.live = self.live.saturating_sub(1);
        }
        if r > 0 && status_ptr == &raw mut status as u64 && !sane_status(status) {
            self.fail(format_args!("child {r} ended with {}", Status(status)));
        }
        if r == -ECHILD && pid == -1 {
            self.live = 0;
        }
    }

    fn gen_fork(&mut self) {
        self.spawn(false);
    }

    /// clone: the fork-like form, or flags Linux refuses before doing anything (CLONE_SIGHAND
    /// without CLONE_VM) with garbage pointers.
    fn gen_clone(&mut self) {
        const CLONE_VM: u64 = 0x100;
        const CLONE_SIGHAND: u64 = 0x800;
        if self.rng.percent(30) {
            self.spawn(true);
            return;
        }
        let flags = (self.rng.next() | CLONE_SIGHAND) & !CLONE_VM;
        let a = [
            flags,
            self.bad_addr(),
            self.bad_addr(),
            self.bad_addr(),
            self.bad_addr(),
            0,
        ];
        let r = self.call("clone", nr::CLONE, a);
        self.expect_err("clone with CLONE_SIGHAND and no CLONE_VM", r, EINVAL);
    }

    fn gen_arch_prctl(&mut self) {
        const SET_GS: u64 = 0x1001;
        const SET_FS: u64 = 0x1002;
        const GET_FS: u64 = 0x1003;
        const GET_GS: u64 = 0x1004;
        let code = match self.rng.below(6) {
            0 => SET_FS,
            1 => SET_GS,
            2 => GET_FS,
            3 => GET_GS,
            // Unassigned codes only (Linux has CPUID, XCOMP, VDSO, LAM and shadow-stack ones).
            4 => self.rng.range(0, 0xfff),
            _ => (self.rng.next() << 32) | self.rng.range(0x6000, 0xffff),
        };
        let mut value = 0u64;
        match code {
            SET_FS | SET_GS => {
                let addr = match self.rng.below(4) {
                    0 => self.bad_addr(),
                    1 => self.rng.pick(&[0, TASK_SIZE - 1, TASK_SIZE, 1 << 47]),
                    _ => self.rng.below(TASK_SIZE),
                };
                let r = self.call("arch_prctl", nr::ARCH_PRCTL, [code, addr, 0, 0, 0, 0]);
                let want = if addr < TASK_SIZE { 0 } else { -EPERM };
                if r != want {
                    self.fail(format_args!("arch_prctl set {addr:#x}: {}", errno_name(r)));
                }
                if r == 0 {
                    *(if code == SET_FS {
                        &mut self.fs_base
                    } else {
                        &mut self.gs_base
                    }) = Some(addr);
                }
            }
            GET_FS | GET_GS => {
                let good = self.rng.percent(60);
                let ptr = if good {
                    &raw mut value as u64
                } else {
                    self.bad_addr()
                };
                let r = self.call("arch_prctl", nr::ARCH_PRCTL, [code, ptr, 0, 0, 0, 0]);
                let expected = if code == GET_FS {
                    self.fs_base
                } else {
                    self.gs_base
                };
                if good && (r != 0 || expected.is_some_and(|v| v != value)) {
                    self.fail(format_args!(
                        "arch_prctl get: {} value {value:#x}, set {expected:#x?}",
                        errno_name(r)
                    ));
                }
                if !good {
                    self.expect_err("arch_prctl get into a bad pointer", r, EFAULT);
                }
            }
            _ => {
                let arg = self.rng.next();
                let r = self.call("arch_prctl", nr::ARCH_PRCTL, [code, arg, 0, 0, 0, 0]);
                self.expect_err("arch_prctl unknown code", r, EINVAL);
            }
        }
    }

    fn gen_sigprocmask(&mut self) {
        const UNBLOCKABLE: u64 = (1 << 8) | (1 << 18); // SIGKILL, SIGSTOP
        let how = self.rng.pick(&[0, 1, 2, 2, 3, u64::MAX]);
        let size = if self.rng.percent(85) {
            8
        } else {
            self.rng.pick(&[0, 4, 16, 128, u64::MAX])
        };
        let mut new = self.rng.next();
        if how == 1 {
            new &= !SIGPIPE_MASK;
        } else {
            new |= SIGPIPE_MASK;
        }
        let mut old = 0u64;
        let set = match self.rng.below(4) {
            0 => 0,
            1 => self.bad_addr(),
            _ => &raw mut new as u64,
        };
        let oldset = match self.rng.below(3) {
            0 => 0,
            1 => self.bad_addr(),
            _ => &raw mut old as u64,
        };
        let r = self.call(
            "rt_sigprocmask",
            nr::RT_SIGPROCMASK,
            [how, set, oldset, size, 0, 0],
        );
        let set_ok = set == &raw mut new as u64;
        let old_ok = oldset == &raw mut old as u64;
        if size != 8 {
            return self.expect_err("rt_sigprocmask size", r, EINVAL);
        }
        if set_ok && how > 2 {
            return self.expect_err("rt_sigprocmask how", r, EINVAL);
        }
        if r == 0 && old_ok && self.sigmask.is_some_and(|m| m != old) {
            self.fail(format_args!(
                "rt_sigprocmask old mask {old:#x}, set {:#x?}",
                self.sigmask
            ));
        }
        if r != 0 && (set == 0 || set_ok) && (oldset == 0 || old_ok) {
            self.fail(format_args!("rt_sigprocmask failed: {}", errno_name(r)));
        }
        // The new mask applies even when the old one cannot be stored (EFAULT), as on Linux.
        if set_ok && (r == 0 || r == -EFAULT && !old_ok && oldset != 0) {
            new &= !UNBLOCKABLE;
            self.sigmask = match how {
                0 => self.sigmask.map(|m| m | new),
                1 => self.sigmask.map(|m| m & !new),
                _ => Some(new),
            };
        }
    }

    /// getpid, gettid, getppid, set_tid_address (any pointer), sched_yield.
    fn gen_ids(&mut self) {
        match self.rng.below(5) {
            0 => {
                let r = self.call("getpid", nr::GETPID, [0; 6]);
                if r != self.pid {
                    self.fail(format_args!("getpid {r}, was {}", self.pid));
                }
            }
            1 => {
                let r = self.call("gettid", nr::GETTID, [0; 6]);
                if r != self.pid {
                    self.fail(format_args!("gettid {r}, pid {}", self.pid));
                }
            }
            2 => {
                let r = self.call("getppid", nr::GETPPID, [0; 6]);
                if r < 0 || r == self.pid {
                    self.fail(format_args!("getppid {r}"));
                }
            }
            3 => {
                let ptr = if self.rng.percent(50) {
                    self.bad_addr()
                } else {
                    self.rng.next()
                };
                let r = self.call("set_tid_address", nr::SET_TID_ADDRESS, [ptr, 0, 0, 0, 0, 0]);
                if r != self.pid {
                    self.fail(format_args!("set_tid_address returned {r}"));
                }
            }
            _ => {
                let r = self.call("sched_yield", nr::SCHED_YIELD, [0; 6]);
                if r != 0 {
                    self.fail(format_args!("sched_yield returned {r}"));
                }
            }
        }
    }

    /// A harmless call made with odd flags in RFLAGS (direction, alignment check, nested task, ID,
    /// IOPL and IF, which user mode cannot change; never TF), restored right after.
    fn gen_rflags(&mut self) {
        // CF PF AF ZF SF IF DF OF IOPL NT ID: not TF (0x100), which would trap after the call.
        const CHOOSABLE: u64 = 0x0020_7ed5;
        const AC: u64 = 1 << 18;
        let set = self.rng.next() & (CHOOSABLE | AC);
        let nr = self.rng.pick(&[nr::GETPID, nr::SCHED_YIELD, nr::GETTID]);
        self.calls += 1;
        if self.cfg.trace {
            println!("{} syscall {nr} with rflags |= {set:#x}", self.tag());
        }
        let r: i64;
        // SAFETY: only flags change between pushfq and the final popfq, which restores them all;
        // nothing touches memory in between but the stack slots pushed and popped.
        unsafe {
            core::arch::asm!(
                "pushfq",
                "pushfq",
                "or qword ptr [rsp], {set}",
                "popfq",
                "syscall",
                "popfq",
                set = in(reg) set,
                inlateout("rax") nr as i64 => r,
                lateout("rcx") _, lateout("r11") _,
            );
        }
        let want = if nr == nr::SCHED_YIELD { 0 } else { self.pid };
        if r != want {
            self.fail(format_args!("call {nr} with rflags {set:#x} returned {r}"));
        }
    }

    /// Numbers Linux leaves unassigned on x86_64: after rseq (334) up to pidfd_send_signal (424),
    /// and far above the table. (Never with high bits: Linux uses only the low 32.)
    fn gen_unknown(&mut self) {
        let nr = if self.rng.percent(50) {
            self.rng.range(335, 423)
        } else {
            self.rng.range(1000, 100_000)
        };
        let a = [
            self.rng.next(),
            self.bad_addr(),
            self.rng.next(),
            self.bad_addr(),
            self.rng.next(),
            self.rng.next(),
        ];
        let r = self.call("unknown", nr, a);
        self.expect_err("unknown system call", r, ENOSYS);
    }

    /// Reads the maps of some process (ours, the parent, the first process, a child, none) and
    /// checks them.
    fn gen_proc_maps(&mut self) {
        let pid = self.rng.pick(&[0, 1, self.pid + 1, self.pid + 2, 99999]) as u64;
        let mut path = [0u8; 32];
        let mut w = Cursor {
            buf: &mut path,
            len: 0,
        };
        let _ = if pid == 0 {
            fmt::Write::write_str(&mut w, "/proc/self/maps\0")
        } else {
            fmt::Write::write_fmt(&mut w, format_args!("/proc/{pid}/maps\0"))
        };
        let len = w.len;
        self.calls += 1;
        if let Err(e) = check_maps(&path[..len], pid == 0) {
            self.fail(format_args!("/proc/{pid}/maps: {e}"));
        }
    }

    // --- processes ----------------------------------------------------------------------------

    /// Forks (or clones like fork) a child of a random kind, within the depth and live-children
    /// limits; waits for it at once, sometimes.
    fn spawn(&mut self, clone: bool) {
        let seed = self.rng.next();
        let kind = self.rng.pick(&CHILD_KINDS);
        let wait_now = self.rng.percent(40);
        if self.live >= max_live(self.depth) {
            self.reap(false);
            if self.live >= max_live(self.depth) {
                return;
            }
        }
        let pid = if clone {
            let a = [SIGCHLD as u64, 0, self.bad_addr(), self.bad_addr(), 0, 0];
            self.call("clone", nr::CLONE, a)
        } else {
            self.call("fork", nr::FORK, [0; 6])
        };
        if pid == 0 {
            self.child(seed, kind);
        }
        if pid < 0 {
            const EAGAIN: i64 = 11;
            if pid != -ENOMEM && pid != -EAGAIN {
                self.fail(format_args!("fork: {}", errno_name(pid)));
            }
            return;
        }
        self.live += 1;
        if wait_now {
            self.wait(pid);
        }
    }

    /// Waits for one child and checks how it ended.
    fn wait(&mut self, pid: i64) {
        let mut status = 0;
        let r = self.call(
            "wait4",
            nr::WAIT4,
            [pid as u64, &raw mut status as u64, 0, 0, 0, 0],
        );
        if r == -ECHILD && pid != -1 {
            // Reaped already, by a garbage wait4.
            self.live = self.live.saturating_sub(1);
            return;
        }
        if r < 0 {
            if r == -ECHILD {
                self.live = 0;
                return;
            }
            self.fail(format_args!("wait4({pid}): {}", errno_name(r)));
        }
        self.live = self.live.saturating_sub(1);
        if !sane_status(status) {
            self.fail(format_args!("child {r} ended with {}", Status(status)));
        }
    }

    /// Reaps children: those already ended, or (`all`) every one.
    fn reap(&mut self, all: bool) {
        loop {
            let mut status = 0;
            let options = if all { 0 } else { WNOHANG };
            let r = self.call(
                "wait4",
                nr::WAIT4,
                [u64::MAX, &raw mut status as u64, options, 0, 0, 0],
            );
            if r == -ECHILD {
                self.live = 0;
                return;
            }
            if r < 0 {
                self.fail(format_args!("wait4(-1): {}", errno_name(r)));
            }
            if r == 0 {
                return;
            }
            self.live = self.live.saturating_sub(1);
            if !sane_status(status) {
                self.fail(format_args!("child {r} ended with {}", Status(status)));
            }
        }
    }

    /// The child side of `spawn`: checks it sees its parent's memory, does what its kind says,
    /// touches memory and exits.
    fn child(&mut self, seed: u64, kind: ChildKind) -> ! {
        self.rng = Rng::new(seed);
        self.depth += 1;
        self.pid = sys::getpid();
        self.calls = 0;
        self.live = 0;
        self.current = "child";
        if let Some(i) = canary_damage() {
            self.fail(format_args!("child sees the canary changed at word {i}"));
        }
        if self.rng.percent(25) {
            self.checkpoint();
        }
        match kind {
            ChildKind::Exec => self.exec_child(seed),
            ChildKind::Touch => {}
            ChildKind::Calls | ChildKind::Orphans => {
                let n = self.rng.below(CHILD_OPS);
                self.run(n);
            }
        }
        self.touch_and_exit(kind != ChildKind::Orphans)
    }

    /// exec this program as `fuzz child SEED DEPTH [trace]`.
    fn exec_child(&mut self, seed: u64) -> ! {
        let mut bufs = [[0u8; 24]; 3];
        for (buf, value) in bufs.iter_mut().zip([seed, self.depth as u64]) {
            let mut w = Cursor { buf, len: 0 };
            let _ = fmt::Write::write_fmt(&mut w, format_args!("{value:#x}\0"));
        }
        let argv = [
            self.cfg.path().as_ptr() as u64,
            c"child".as_ptr() as u64,
            bufs[0].as_ptr() as u64,
            bufs[1].as_ptr() as u64,
            bufs[2].as_ptr() as u64,
            if self.cfg.trace {
                c"trace".as_ptr() as u64
            } else {
                0
            },
            0,
        ];
        let envp = [c"FUZZ=1".as_ptr() as u64, 0];
        let env = if self.rng.percent(50) {
            envp.as_ptr() as u64
        } else {
            0
        };
        let path = self.cfg.path().as_ptr() as u64;
        let r = self.call(
            "execve",
            nr::EXECVE,
            [path, argv.as_ptr() as u64, env, 0, 0, 0],
        );
        if r != -ENOMEM {
            self.fail(format_args!("execve of this program: {}", errno_name(r)));
        }
        sys::exit_group(0)
    }

    /// Reads or writes random addresses: in remembered areas (which may be gone, read-only, or
    /// beyond the end of their file: SIGSEGV, SIGBUS), the canary, the heap, the arena, bad ones.
    /// Then reaps the children (or leaves them to pid 1) and exits.
    fn touch_and_exit(&mut self, reap: bool) -> ! {
        let n = self.rng.below(CHILD_TOUCHES);
        for _ in 0..n {
            let addr = match self.rng.below(16) {
                0..=7 => match self.some_area() {
                    Some(a) => a.start + self.rng.below(a.len),
                    None => self.arena_addr(),
                },
                8..=10 => canary_addr() + self.rng.below(CANARY_WORDS as u64 * 8),
                11 | 12 => {
                    self.heap_start + self.rng.below(self.heap_top - self.heap_start + 2 * PAGE)
                }
                13 => self.arena_addr(),
                _ => self.bad_addr(),
            };
            let write = self.rng.percent(50);
            let value = self.rng.next() as u8;
            if self.cfg.trace {
                let what = if write { "write" } else { "read" };
                println!("{} touch {what} {addr:#x}", self.tag());
            }
            // SAFETY: none, on purpose: the address may be anything but this program's text,
            // stack and the fuzzer's own state (none of those are ever chosen). A bad access ends
            // this process with SIGSEGV or SIGBUS, which its parent expects.
            unsafe {
                if write {
                    core::ptr::write_volatile(addr as *mut u8, value);
                } else {
                    core::ptr::read_volatile(addr as *const u8);
                }
            }
        }
        if reap {
            self.reap(true);
        }
        sys::exit_group(0)
    }

    // --- the loop -----------------------------------------------------------------------------

    /// One random call from the table.
    fn step(&mut self) {
        let total: u64 = GENERATORS.iter().map(|g| g.0).sum();
        let mut pick = self.rng.below(total);
        for &(weight, name, generator) in GENERATORS {
            if pick < weight {
                self.current = name;
                generator(self);
                return;
            }
            pick -= weight;
        }
    }

    /// Makes `n` random calls, checking after each batch.
    fn run(&mut self, n: u64) {
        for i in 0..n {
            self.step();
            if (i + 1) % BATCH == 0 {
                self.checkpoint();
            }
        }
    }

    /// The checks between batches: /proc/self/maps well formed, the canary intact, ended children
    /// reaped.
    fn checkpoint(&mut self) {
        self.current = "checkpoint";
        match check_maps(b"/proc/self/maps\0", true) {
            Ok(n) if n > 0 => self.map_count = n,
            Ok(_) => self.fail(format_args!("/proc/self/maps is empty")),
            Err(e) => self.fail(format_args!("/proc/self/maps: {e}")),
        }
        if let Some(i) = canary_damage() {
            self.fail(format_args!("canary changed at word {i}"));
        }
        self.reap(false);
    }
}

/// A small formatting target on a byte buffer.
struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The first process

/// Memory this kernel accounts for exactly, in kB: free frames, what the kernel keeps on purpose
/// (page cache, heap, page tables), and what this process holds. `None` on Linux (no KernelHeap).
fn balance() -> Option<u64> {
    let meminfo = b"/proc/meminfo\0";
    let heap = field(meminfo, "KernelHeap")?;
    let system = heap
        + ["MemFree", "Cached", "KernelPageTables"]
            .iter()
            .map(|k| field(meminfo, k).unwrap_or(0))
            .sum::<u64>();
    let own: u64 = ["RssAnon", "VmPTE"]
        .iter()
        .map(|k| field(b"/proc/self/status\0", k).unwrap_or(0))
        .sum();
    Some(system + own)
}

/// The run's parameters from the command line.
fn parse_args(args: &Args) -> (u64, u64, u64, Config) {
    let mut numbers = [None; 3];
    let mut n = 0;
    let mut trace = false;
    for i in 1..args.len() {
        let arg = args.str(i).unwrap_or("");
        if arg == "trace" {
            trace = true;
        } else if let (Some(v), true) = (parse_u64(arg), n < 3) {
            numbers[n] = Some(v);
            n += 1;
        } else {
            println!("usage: fuzz [SEED [OPS [WORKERS]]] [trace]");
            sys::exit_group(2);
        }
    }
    let cfg = Config {
        seed: numbers[0].unwrap_or(1),
        trace,
        path: own_path(args),
    };
    let ops = numbers[1].unwrap_or(DEFAULT_OPS);
    let workers = numbers[2].unwrap_or(DEFAULT_WORKERS).clamp(1, 16);
    (cfg.seed, ops, workers, cfg)
}

fn own_path(args: &Args) -> [u8; 128] {
    let argv0 = args.get(0).unwrap_or(b"/bin/fuzz");
    let mut path = [0u8; 128];
    let n = argv0.len().min(127);
    path[..n].copy_from_slice(&argv0[..n]);
    path
}

/// `fuzz child SEED DEPTH [trace]`: a child that a worker's descendant exec'd.
fn child_main(args: &Args) -> i32 {
    // Linux gives root its capabilities back at exec.
    drop_capabilities();
    let num = |i| args.str(i).and_then(parse_u64).unwrap_or(0);
    let cfg = Config {
        seed: 0,
        trace: args.str(4) == Some("trace"),
        path: own_path(args),
    };
    let seed = num(2);
    let mut f = Fuzzer::new(cfg, Rng::new(seed), 99, num(3) as u32);
    f.current = "exec'd child";
    if let Some(i) = canary_damage() {
        f.fail(format_args!("exec'd child: the canary differs at word {i}"));
    }
    let n = f.rng.below(CHILD_OPS);
    f.run(n);
    f.touch_and_exit(true)
}

/// A worker: its share of the calls, then its children reaped and a last check.
fn worker(cfg: Config, id: u64, ops: u64) -> ! {
    drop_capabilities();
    let mut f = Fuzzer::new(cfg, Rng::derive(cfg.seed, id), id, 0);
    f.run(ops);
    f.reap(true);
    f.checkpoint();
    sys::exit_group(0)
}

fn main(args: Args) -> i32 {
    if args.str(1) == Some("child") {
        return child_main(&args);
    }
    if sys::getpid() == 1 {
        user::linux_init::mount_proc_if_missing();
    }
    let status = fuzz(&args);
    user::linux_init::power_off_if_linux_init();
    status
}

/// The first process: forks the workers, reaps everything, checks that memory came back.
fn fuzz(args: &Args) -> i32 {
    let (seed, ops, workers, cfg) = parse_args(args);
    println!("fuzz: seed {seed} ops {ops} workers {workers}");
    // Exact accounting needs this kernel's counters, and every orphan coming back to us (pid 1).
    let exact = sys::getpid() == 1;
    // Measure twice: the first reads may grow this process's stack.
    balance();
    let before = if exact { balance() } else { None };

    let mut pids = [0i64; 16];
    for w in 0..workers {
        let pid = sys::fork();
        if pid == 0 {
            worker(cfg, w, ops / workers + (w < ops % workers) as u64);
        }
        if pid < 0 {
            println!("fuzz: FAIL fork of worker {w}: {}", errno_name(pid));
            return 1;
        }
        pids[w as usize] = pid;
    }

    // Reap the workers and every orphan that comes to us.
    let mut failed = false;
    loop {
        let mut status = 0;
        let pid = sys::wait4(-1, &mut status, 0);
        if pid == -ECHILD {
            break;
        }
        if pid < 0 {
            println!("fuzz: FAIL wait4: {}", errno_name(pid));
            return 1;
        }
        if let Some(w) = pids.iter().position(|&p| p == pid) {
            if status != 0 {
                println!("fuzz: FAIL worker {w} ended with {}", Status(status));
                failed = true;
            }
        } else if !sane_status(status) {
            println!("fuzz: FAIL orphan {pid} ended with {}", Status(status));
            failed = true;
        }
    }
    if failed {
        return 1;
    }

    if let Some(before) = before {
        // Frames of the last processes may be freed a moment after they are reaped.
        let mut after = balance();
        for _ in 0..20 {
            if after == Some(before) {
                break;
            }
            sys::sched_yield();
            after = balance();
        }
        if after != Some(before) {
            println!(
                "fuzz: FAIL memory not all back: {before} kB before, {} kB after",
                after.unwrap_or(0)
            );
            return 1;
        }
    }
    println!("fuzz: ok");
    0
}
