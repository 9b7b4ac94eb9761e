//! Regression tests for values a user program chose that once crashed or stalled the kernel. Each
//! check prints one deterministic line, compared with the same binary on Linux:
//!
//! - `brk` far beyond user space (once an overflow panic in mm/brk.rs);
//! - a file `mmap` whose offset leaves no room for its pages (once an overflow panic in the fault
//!   path): EOVERFLOW, as Linux's file_mmap_ok;
//! - RFLAGS.NT set by user code, then a system call that returns through `iretq` or switches tasks
//!   (once a fatal exception in ring 0);
//! - splitting one mapping page by page with mprotect (once unbounded, until the heap ran out):
//!   ENOMEM at vm.max_map_count, and a munmap that would punch one more hole refused too;
//! - a `read` whose copy to the user fails leaves the file position where it was;
//! - a long `MAP_POPULATE` lets other processes run.
//!
//! `harden fill` (this kernel only: Linux would OOM-kill it) fills memory first and then creates
//! areas until the kernel says ENOMEM, which must come as an error, never a kernel panic.

#![no_std]
#![no_main]

use user::{Args, errno_name, println, sys::*};

user::entry!(main);

const PAGE: u64 = 4096;
const MAX_MAP_COUNT: u64 = 65530;

fn show(what: &str, ret: i64) {
    if ret < 0 {
        println!("{what}: {}", errno_name(ret));
    } else {
        println!("{what}: ok");
    }
}

fn anon(pages: u64, prot: u64, extra: u64) -> u64 {
    let m = mmap(
        0,
        pages * PAGE,
        prot,
        MAP_PRIVATE | MAP_ANONYMOUS | extra,
        -1,
        0,
    );
    assert!(m >= 0, "mmap failed: {}", errno_name(m));
    m as u64
}

fn check_brk() {
    let top = brk(0);
    for (what, addr) in [
        (
            "brk(0xfffffffffffff000) keeps the break",
            0xffff_ffff_ffff_f000u64,
        ),
        ("brk(u64::MAX) keeps the break", u64::MAX),
        ("brk(non-canonical) keeps the break", 0x0000_8000_0000_0000),
        ("brk(kernel address) keeps the break", 0xffff_8000_0000_0000),
    ] {
        println!("{what}: {}", brk(addr) == top);
    }
    println!("brk still grows: {}", brk(top + PAGE) == top + PAGE);
    println!("brk shrinks back: {}", brk(top) == top);
}

fn check_file_offsets(path: &[u8]) {
    let fd = open(path, O_RDONLY);
    assert!(fd >= 0);
    for (what, off) in [
        (
            "mmap file at offset 0xfffffffffffff000",
            0xffff_ffff_ffff_f000u64,
        ),
        (
            "mmap file at offset 0x7ffffffffffff000",
            0x7fff_ffff_ffff_f000,
        ),
        (
            "mmap file at offset 0x7fffffffffffe000",
            0x7fff_ffff_ffff_e000,
        ),
    ] {
        let m = mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, off);
        show(what, m);
        if m >= 0 {
            // Far beyond the end of the file: SIGBUS on access, so only unmap it.
            munmap(m as u64, 2 * PAGE);
        }
    }
    // The largest offset that fits: the mapping is made, and its pages lie far beyond the end of
    // the file, so touching one is SIGBUS (once an overflow panic in the fault path).
    let m = mmap(
        0,
        2 * PAGE,
        PROT_READ,
        MAP_PRIVATE,
        fd,
        0x7fff_ffff_ffff_c000,
    );
    show("mmap file at offset 0x7fffffffffffc000", m);
    let child = fork();
    if child == 0 {
        // SAFETY: a read of a mapped page; the kernel answers with SIGBUS.
        let byte = unsafe { core::ptr::read_volatile((m as u64 + PAGE) as *const u8) };
        exit(byte as i32);
    }
    let mut status = 0;
    wait4(child, &mut status, 0);
    println!("touching its second page: signal {}", wtermsig(status));
    munmap(m as u64, 2 * PAGE);
    close(fd as u64);
}

/// Sets RFLAGS.NT (bit 14) in user mode; the next system call enters the kernel with it.
fn set_nt() {
    // SAFETY: only the flags register changes; NT has no effect on user-mode code in long mode.
    unsafe {
        core::arch::asm!(
            "pushfq",
            "orq $0x4000, (%rsp)",
            "popfq",
            options(att_syntax)
        )
    };
}

fn clear_nt() {
    // SAFETY: as above.
    unsafe {
        core::arch::asm!(
            "pushfq",
            "andq $~0x4000, (%rsp)",
            "popfq",
            options(att_syntax)
        )
    };
}

fn check_nested_task_flag(path: &[u8]) {
    // A child spins so that sched_yield really switches tasks, and returns to this one later.
    let child = fork();
    if child == 0 {
        for _ in 0..200 {
            sched_yield();
        }
        exit(0);
    }
    set_nt();
    for _ in 0..50 {
        sched_yield();
    }
    clear_nt();
    let mut status = 0;
    wait4(child, &mut status, 0);
    println!("NT flag, then sched_yield: survived, child status {status}");

    // execve returns to the new program through iretq.
    let child = fork();
    if child == 0 {
        let argv = [path.as_ptr(), c"hello".as_ptr().cast(), core::ptr::null()];
        let envp = [core::ptr::null()];
        set_nt();
        execve(path, &argv, &envp);
        exit(99);
    }
    wait4(child, &mut status, 0);
    println!(
        "NT flag, then execve: child exit status {}",
        wexitstatus(status)
    );
}

fn check_map_count() {
    // One mapping, split page by page until the kernel refuses.
    let pages = MAX_MAP_COUNT + 1000;
    let base = anon(pages, PROT_READ | PROT_WRITE, MAP_NORESERVE);
    let mut refused = None;
    for i in 0..pages / 2 {
        let r = mprotect(base + 2 * i * PAGE, PAGE, PROT_READ);
        if r < 0 {
            refused = Some((i, r));
            break;
        }
    }
    let (i, err) = refused.expect("mprotect never refused");
    println!("mprotect split stops with: {}", errno_name(err));
    let lines = user::procfs::map_count() as u64;
    // The count at the limit depends on the areas the process started with (Linux adds [vdso],
    // [vvar] and [vsyscall]), so only its neighbourhood is compared.
    println!(
        "areas at the limit near vm.max_map_count: {}",
        (MAX_MAP_COUNT - 8..=MAX_MAP_COUNT + 3).contains(&lines)
    );
    println!("# refused after {i} splits with {lines} maps lines");
    // Linux keeps the first of two splits when the second is refused, this kernel refuses both
    // (its tree stays canonical), so the counts may differ by one here. One more area (still
    // allowed: the count is not above the limit) brings both to the limit.
    let extra = anon(1, PROT_READ | PROT_EXEC, 0);
    println!("one more area at the limit: ok");
    // A hole punched inside one area would add another: refused.
    let inside = base + (2 * i + 8) * PAGE;
    show("munmap of a hole at the limit", munmap(inside, PAGE));
    munmap(extra, PAGE);
    // Removing whole areas is always allowed, and frees the count again.
    show("munmap of the whole mapping", munmap(base, pages * PAGE));
    let lines_after = user::procfs::map_count() as u64;
    println!("areas back to normal: {}", lines_after < 32);
}

fn check_read_position(path: &[u8]) {
    let fd = open(path, O_RDONLY);
    assert!(fd >= 0);
    let fd = fd as u64;
    show("read into NULL", raw(nr::READ, [fd, 0, 16, 0, 0, 0]));
    show(
        "read into a kernel address",
        raw(nr::READ, [fd, 0xffff_8000_0000_0000, 16, 0, 0, 0]),
    );
    show(
        "writev with the iovec array at the top of memory",
        raw(nr::WRITEV, [1, u64::MAX - 7, 2, 0, 0, 0]),
    );
    show(
        "writev with 2^63 iovecs",
        raw(nr::WRITEV, [1, 0x1000, 1 << 63, 0, 0, 0]),
    );
    let mut magic = [0u8; 4];
    let n = read(fd, &mut magic);
    println!(
        "after the failed reads, the file position is still 0: {}",
        n == 4 && magic == *b"\x7fELF"
    );
    close(fd);
}

/// A word of memory shared with forked children: how a child says where it is.
struct SharedFlag(*mut u64);

impl SharedFlag {
    fn new() -> Self {
        let page = mmap(
            0,
            PAGE,
            PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_ANONYMOUS,
            -1,
            0,
        );
        assert!(page >= 0, "mmap failed");
        SharedFlag(page as u64 as *mut u64)
    }

    fn set(&self, value: u64) {
        // SAFETY: the shared page is mapped read-write for the life of the program.
        unsafe { self.0.write_volatile(value) }
    }

    fn get(&self) -> u64 {
        // SAFETY: as above.
        unsafe { self.0.read_volatile() }
    }
}

/// Forks a child that sets `flag` to 1, populates `len` bytes of read-only anonymous memory with
/// MAP_POPULATE (the zero page everywhere, page tables for all of it), sets `flag` to 2 and exits
/// 0 (1 if the mmap failed). Returns once the child has set 1, that is, is about to populate.
fn populating_child(flag: &SharedFlag, len: u64) -> i64 {
    flag.set(0);
    let child = fork();
    if child == 0 {
        flag.set(1);
        let m = mmap(
            0,
            len,
            PROT_READ,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE,
            -1,
            0,
        );
        flag.set(2);
        exit(if m >= 0 { 0 } else { 1 });
    }
    while flag.get() == 0 {
        sched_yield();
    }
    child
}

fn check_populate_yields(flag: &SharedFlag) {
    let child = populating_child(flag, 1 << 30);
    let mut ran_meanwhile = 0u64;
    while flag.get() == 1 {
        ran_meanwhile += 1;
        sched_yield();
    }
    let mut status = 0;
    wait4(child, &mut status, 0);
    println!(
        "others ran during a 1 GiB MAP_POPULATE: {}, child status {status}",
        ran_meanwhile > 0
    );
}

/// kill: the default actions (SIGTERM ends a process, SIGCHLD is ignored), signal 0 and the errors;
/// and SIGKILL ends a process in the middle of a long MAP_POPULATE.
fn check_kill(flag: &SharedFlag) {
    let spin = || {
        let child = fork();
        if child == 0 {
            loop {
                sched_yield();
            }
        }
        child
    };
    let child = spin();
    for (what, sig) in [
        ("kill(child, 0)", 0),
        ("kill(child, SIGCHLD)", 17),
        ("kill(child, 65)", 65),
        ("kill(child, SIGTERM)", 15),
    ] {
        show(what, raw(nr::KILL, [child as u64, sig, 0, 0, 0, 0]));
    }
    let mut status = 0;
    wait4(child, &mut status, 0);
    println!("child ended by signal {}", wtermsig(status));
    show(
        "kill(no such process, 0)",
        raw(nr::KILL, [0x3fff_ffff, 0, 0, 0, 0, 0]),
    );

    let child = populating_child(flag, 16 << 30);
    raw(nr::KILL, [child as u64, 9, 0, 0, 0, 0]);
    wait4(child, &mut status, 0);
    println!(
        "SIGKILL during a 16 GiB MAP_POPULATE: signal {}",
        wtermsig(status)
    );
}

/// Touches every page of the program's own readable areas, so that nothing it runs later needs a
/// new frame: once memory is full, a fault for a page not yet present would get it OOM-killed.
fn fault_in_own_areas() {
    let mut areas = [(0u64, 0u64); 32];
    let mut n = 0;
    user::procfs::for_each_line(b"/proc/self/maps\0", |line| {
        if let Some(area) = user::procfs::parse_maps_line(line)
            && area.perms[0] == b'r'
            && n < areas.len()
        {
            areas[n] = (area.start, area.end);
            n += 1;
        }
    });
    for &(start, end) in &areas[..n] {
        for page in (start..end).step_by(PAGE as usize) {
            // SAFETY: a readable page of this process's own mappings.
            unsafe { core::ptr::read_volatile(page as *const u8) };
        }
    }
}

/// msync's argument rules: every error Linux gives, a huge length that wraps to nothing, a range
/// with a hole (ENOMEM after doing the rest), and MS_SYNC on shared memory.
fn check_msync() {
    let rw = PROT_READ | PROT_WRITE;
    let shared = mmap(0, 4 * PAGE, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0) as u64;
    let msync = |addr: u64, len: u64, flags: u64| raw(nr::MSYNC, [addr, len, flags, 0, 0, 0]);
    show("msync MS_SYNC of shared memory", msync(shared, 4 * PAGE, 4));
    show("msync MS_ASYNC", msync(shared, PAGE, 1));
    show("msync MS_INVALIDATE", msync(shared, PAGE, 2));
    show("msync unaligned", msync(shared + 1, PAGE, 4));
    show("msync unknown flag", msync(shared, PAGE, 8));
    show("msync MS_ASYNC|MS_SYNC", msync(shared, PAGE, 5));
    show("msync length 0", msync(shared, 0, 4));
    show("msync length wrapping to 0", msync(shared, u64::MAX, 4));
    show(
        "msync length past the top",
        msync(shared, u64::MAX - 2 * PAGE, 4),
    );
    munmap(shared + PAGE, PAGE);
    show("msync across a hole", msync(shared, 4 * PAGE, 4));
    show("msync of nothing mapped", msync(shared + PAGE, PAGE, 4));
    show(
        "msync kernel address",
        msync(0xffff_8000_0000_0000, PAGE, 4),
    );
    munmap(shared, 4 * PAGE);
}

/// Nothing can be mapped below vm.mmap_min_addr (64 KiB here), neither with MAP_FIXED nor by a
/// grows-down area growing into it (found by the fuzzer: NULL became a valid pointer). On Linux
/// the process must lack CAP_SYS_RAWIO for this, so the check runs in a child that drops every
/// capability first (capset; ENOSYS here, where no process has capabilities). Page 0 is below the
/// limit whatever it is set to (Linux's default is 4096 or 65536, depending on the distribution).
fn check_mmap_min_addr() {
    let child = fork();
    if child == 0 {
        let header = [0x2008_0522u32, 0]; // _LINUX_CAPABILITY_VERSION_3, this process
        let data = [0u32; 6];
        raw(
            nr::CAPSET,
            [header.as_ptr() as u64, data.as_ptr() as u64, 0, 0, 0, 0],
        );
        let fixed = |addr: u64, flags: u64| {
            mmap(
                addr,
                PAGE,
                PROT_READ,
                MAP_PRIVATE | MAP_ANONYMOUS | flags,
                -1,
                0,
            )
        };
        show("MAP_FIXED at 0", fixed(0, MAP_FIXED));
        show("MAP_FIXED_NOREPLACE at 0", fixed(0, MAP_FIXED_NOREPLACE));
        show("MAP_FIXED unaligned and low", fixed(0x801, MAP_FIXED));
        let low = fixed(0x10000, MAP_FIXED | MAP_GROWSDOWN);
        show("MAP_FIXED|MAP_GROWSDOWN at 0x10000", low);
        // A read in page 0 would grow the area down into it: SIGSEGV instead.
        // SAFETY: the kernel answers with SIGSEGV.
        let byte = unsafe { core::ptr::read_volatile(0x800 as *const u8) };
        exit(byte as i32);
    }
    let mut status = 0;
    wait4(child, &mut status, 0);
    println!("growing down into page 0: signal {}", wtermsig(status));
}

/// Kernel only: fill memory with populated pages, then create areas until ENOMEM.
fn fill_then_split() {
    fault_in_own_areas();
    let total_kb = user::procfs::field(b"/proc/meminfo\0", "MemTotal").unwrap_or(0);
    let len = total_kb * 1024 * 2;
    let filler = mmap(
        0,
        len,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE,
        -1,
        0,
    );
    show("populate more than memory", filler);
    let free = user::procfs::field(b"/proc/meminfo\0", "MemFree").unwrap_or(0);
    println!("# free after populating: {free} kB");
    let pages = MAX_MAP_COUNT + 1000;
    let base = anon(pages, PROT_READ | PROT_WRITE, MAP_NORESERVE);
    let mut result = 0;
    let mut splits = 0;
    for i in 0..pages / 2 {
        result = mprotect(base + 2 * i * PAGE, PAGE, PROT_READ);
        if result < 0 {
            break;
        }
        splits += 1;
    }
    println!(
        "splitting with memory full stops with: {}",
        errno_name(result)
    );
    println!("# after {splits} splits");
    show("munmap everything", munmap(base, pages * PAGE));
    if filler >= 0 {
        show("munmap the filler", munmap(filler as u64, len));
    }
    // Forks that find memory short fail cleanly too.
    let child = fork();
    if child == 0 {
        exit(7);
    }
    let mut status = 0;
    if child > 0 {
        wait4(child, &mut status, 0);
    }
    println!("fork after memory came back: {}", wexitstatus(status));
}

fn main(args: Args) -> i32 {
    let argv0 = args.get(0).unwrap_or(b"/bin/harden");
    if args.get(1) == Some(b"hello") {
        println!("hello from the exec'd program");
        return 42;
    }
    let mut path = [0u8; 512];
    path[..argv0.len()].copy_from_slice(argv0);
    let path = &path[..argv0.len() + 1];
    if args.get(1) == Some(b"fill") {
        fill_then_split();
        return 0;
    }
    check_brk();
    check_file_offsets(path);
    check_nested_task_flag(path);
    check_read_position(path);
    check_map_count();
    let flag = SharedFlag::new();
    check_populate_yields(&flag);
    check_kill(&flag);
    check_msync();
    check_mmap_min_addr();
    0
}
