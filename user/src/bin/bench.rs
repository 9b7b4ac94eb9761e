//! The benchmark `make bench` runs as the first process, on this kernel and on Linux 6.1 in the
//! same QEMU: address-space operations timed with the TSC. Under `-icount shift=0` the guest's TSC
//! counts guest instructions, so each figure is the instructions one operation costs, the same on
//! every run and on every machine.
//!
//! It prints one line per figure, `bench NAME VALUE` (TSC ticks per operation), which `make bench`
//! puts side by side with Linux's. The operations:
//! - `boot`: the TSC at this program's first instruction (the machine's boot, from reset);
//! - system calls and faults: getpid, a write fault in fresh anonymous memory, a read fault (the
//!   zero page), munmap of populated memory, copy-on-write faults in a forked child, per page;
//! - area operations: mmap + munmap of one page, brk up and down by a page, mprotect of one page
//!   in the middle of a block (a split, then the merge back), mremap moving 64 populated pages
//!   (MREMAP_FIXED, back and forth: the page-table entries move, the pages are not copied);
//! - fork + exit + wait of an empty process and of one with 16 MiB touched;
//! - the same at 10, 1,000, 10,000 and 60,000 areas (one-page areas that cannot merge):
//!   mmap + munmap without a hint, a fault in a fresh page, fork + exit + wait;
//! - transparent huge pages: writing every page of 32 MiB advised MADV_HUGEPAGE and of 32 MiB
//!   advised MADV_NOHUGEPAGE, per MiB, and how many TLB entries each needs to map it all (the
//!   pages smaps_rollup reports: one per 2 MiB huge page, one per small page). Under icount a
//!   TLB miss costs no instruction, so the second figure is the measure of what huge pages save
//!   there. The other figures use memory advised MADV_NOHUGEPAGE, so that they stay small-page
//!   figures on a machine where huge pages are on (both kernels turn them on from 512 MiB).
//!
//! `bench scale` runs only the `_at_N` group (for quick iterations:
//! `make run INIT=target/x86_64-unknown-none/debug/bench ARGS=scale ICOUNT=1 TIMEOUT=900`).
#![no_std]
#![no_main]

use abi::mman::{
    MADV_HUGEPAGE, MADV_NOHUGEPAGE, MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, MREMAP_FIXED,
    MREMAP_MAYMOVE, PROT_READ, PROT_WRITE,
};
use user::{Args, println, sys};

user::entry!(main);

const PAGE: u64 = 4096;

fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no side effects; user mode may run it (CR4.TSD is clear on both kernels).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// TSC ticks per call of `op`, over `reps` calls after one warm-up call.
fn per_op(reps: u64, mut op: impl FnMut()) -> u64 {
    op();
    let start = rdtsc();
    for _ in 0..reps {
        op();
    }
    (rdtsc() - start) / reps
}

fn report(name: &str, value: u64) {
    println!("bench {name} {value}");
}

fn map(len: u64, prot: u64, flags: u64) -> u64 {
    let addr = sys::mmap(0, len, prot, flags | MAP_ANONYMOUS, -1, 0);
    assert!(addr > 0, "mmap failed: {addr}");
    addr as u64
}

/// Touches every page of [addr, addr + len) with a write (or a read).
fn touch(addr: u64, len: u64, write: bool) {
    for page in (addr..addr + len).step_by(PAGE as usize) {
        // SAFETY: the page is inside a readable and (for writes) writable private mapping.
        unsafe {
            if write {
                core::ptr::write_volatile(page as *mut u8, 1);
            } else {
                core::ptr::read_volatile(page as *const u8);
            }
        }
    }
}

/// Forks a child that runs `child` and exits; returns the ticks for fork + exit + wait.
fn fork_exit_wait(child: impl FnOnce()) -> u64 {
    let start = rdtsc();
    let pid = sys::fork();
    if pid == 0 {
        child();
        sys::exit(0);
    }
    assert!(pid > 0, "fork failed: {pid}");
    let mut status = 0;
    sys::wait4(pid, &mut status, 0);
    rdtsc() - start
}

/// Small pages only in [addr, addr + len): the figures measure 4 KiB faults whatever the
/// machine's huge-page mode.
fn no_huge(addr: u64, len: u64) {
    sys::madvise(addr, len, MADV_NOHUGEPAGE);
}

fn faults() {
    const LEN: u64 = 16 << 20;
    let pages = LEN / PAGE;
    let area = map(LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    no_huge(area, LEN);
    let start = rdtsc();
    touch(area, LEN, true);
    report("anon_write_fault_per_page", (rdtsc() - start) / pages);
    let start = rdtsc();
    sys::munmap(area, LEN);
    report("munmap_populated_per_page", (rdtsc() - start) / pages);

    let area = map(LEN, PROT_READ, MAP_PRIVATE);
    no_huge(area, LEN);
    let start = rdtsc();
    touch(area, LEN, false);
    report("read_fault_zero_page_per_page", (rdtsc() - start) / pages);
    sys::munmap(area, LEN);
}

/// Rss and AnonHugePages of the whole process, in kB.
fn rss_and_huge() -> (u64, u64) {
    let path = b"/proc/self/smaps_rollup\0";
    (
        user::procfs::field(path, "Rss").unwrap_or(0),
        user::procfs::field(path, "AnonHugePages").unwrap_or(0),
    )
}

/// Writes every page of 32 MiB (2 MiB-aligned) advised `advice`: ticks per MiB, and the TLB
/// entries the memory takes once mapped.
fn huge_page_run(advice: u64) -> (u64, u64) {
    const LEN: u64 = 32 << 20;
    const HUGE: u64 = 2 << 20;
    let raw = map(LEN + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    let area = raw.next_multiple_of(HUGE);
    sys::madvise(area, LEN, advice);
    // Once before, so that the stack this reading needs is mapped before the count.
    rss_and_huge();
    let (rss0, huge0) = rss_and_huge();
    let start = rdtsc();
    touch(area, LEN, true);
    let per_mib = (rdtsc() - start) / (LEN >> 20);
    let (rss1, huge1) = rss_and_huge();
    let (rss, huge) = (rss1.saturating_sub(rss0), huge1.saturating_sub(huge0));
    let entries = (rss.saturating_sub(huge)) / 4 + huge / 2048;
    sys::munmap(raw, LEN + HUGE);
    (per_mib, entries)
}

fn huge_pages() {
    let (per_mib, entries) = huge_page_run(MADV_NOHUGEPAGE);
    report("anon_write_fault_per_mib_small_pages", per_mib);
    report("tlb_entries_for_32mib_small_pages", entries);
    let (per_mib, entries) = huge_page_run(MADV_HUGEPAGE);
    report("anon_write_fault_per_mib_huge_pages", per_mib);
    report("tlb_entries_for_32mib_huge_pages", entries);
}

fn fork_costs() {
    report(
        "fork_exit_wait_empty",
        (0..20).map(|_| fork_exit_wait(|| {})).sum::<u64>() / 20,
    );
    const LEN: u64 = 16 << 20;
    let area = map(LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    no_huge(area, LEN);
    touch(area, LEN, true);
    report(
        "fork_exit_wait_16mib_touched",
        (0..5).map(|_| fork_exit_wait(|| {})).sum::<u64>() / 5,
    );
    // The child times its own copy-on-write faults and leaves the figure in shared memory.
    let result = map(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
    fork_exit_wait(|| {
        let start = rdtsc();
        touch(area, LEN, true);
        // SAFETY: `result` is a shared writable page.
        unsafe { core::ptr::write_volatile(result as *mut u64, (rdtsc() - start) / (LEN / PAGE)) };
    });
    // SAFETY: as above; the child has exited.
    report("cow_fault_in_child_per_page", unsafe {
        core::ptr::read_volatile(result as *const u64)
    });
    sys::munmap(result, PAGE);
    sys::munmap(area, LEN);
}

fn area_ops() {
    report(
        "mmap_munmap_one_page",
        per_op(1000, || {
            let a = map(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
            sys::munmap(a, PAGE);
        }),
    );
    let base = sys::brk(0);
    report(
        "brk_grow_shrink_4k",
        per_op(1000, || {
            sys::brk(base + PAGE);
            sys::brk(base);
        }),
    );
    let block = map(16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    report(
        "mprotect_split_merge",
        per_op(1000, || {
            sys::mprotect(block + 8 * PAGE, PAGE, PROT_READ);
            sys::mprotect(block + 8 * PAGE, PAGE, PROT_READ | PROT_WRITE);
        }),
    );
    sys::munmap(block, 16 * PAGE);
    // Two places 1 GiB apart, so that the entries move between page tables.
    const MOVED: u64 = 64 * PAGE;
    let here = map(MOVED, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    touch(here, MOVED, true);
    let there = here - (1 << 30);
    let mut at = here;
    report(
        "mremap_move_64_pages",
        per_op(500, || {
            let to = if at == here { there } else { here };
            let r = sys::mremap(at, MOVED, MOVED, MREMAP_MAYMOVE | MREMAP_FIXED, to);
            assert!(r == to as i64, "mremap failed: {r}");
            at = to;
        }),
    );
    sys::munmap(at, MOVED);
}

/// Grows the process to about `count` areas: one-page areas alternating read-only and read-write,
/// which cannot merge.
fn make_areas(count: u64) -> (u64, u64) {
    let len = count * PAGE;
    let block = map(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    for i in (0..count).step_by(2) {
        sys::mprotect(block + i * PAGE, PAGE, PROT_READ);
    }
    (block, len)
}

fn scale() {
    for count in [10u64, 1000, 10_000, 60_000] {
        let (block, len) = make_areas(count);
        report(
            &scaled_name("mmap_munmap_nohint_at", count),
            per_op(200, || {
                let a = map(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
                sys::munmap(a, PAGE);
            }),
        );
        let mut fault_ticks = 0;
        for _ in 0..200 {
            let a = map(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
            let start = rdtsc();
            touch(a, PAGE, true);
            fault_ticks += rdtsc() - start;
            sys::munmap(a, PAGE);
        }
        report(
            &scaled_name("fresh_page_fault_at", count),
            fault_ticks / 200,
        );
        let reps = if count >= 10_000 { 2 } else { 5 };
        report(
            &scaled_name("fork_exit_wait_at", count),
            (0..reps).map(|_| fork_exit_wait(|| {})).sum::<u64>() / reps,
        );
        sys::munmap(block, len);
    }
}

/// `name` and `count` as one word, without an allocator: "fork_exit_wait_at_60000".
fn scaled_name(name: &str, count: u64) -> name::Name {
    name::Name::new(name, count)
}

mod name {
    /// A short name built on the stack.
    pub struct Name {
        buf: [u8; 64],
        len: usize,
    }

    impl Name {
        pub fn new(prefix: &str, count: u64) -> Name {
            let mut name = Name {
                buf: [0; 64],
                len: 0,
            };
            for &b in prefix.as_bytes() {
                name.push(b);
            }
            name.push(b'_');
            let mut digits = [0u8; 20];
            let mut n = 0;
            let mut v = count;
            loop {
                digits[n] = b'0' + (v % 10) as u8;
                n += 1;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            for i in (0..n).rev() {
                name.push(digits[i]);
            }
            name
        }

        fn push(&mut self, b: u8) {
            if self.len < self.buf.len() {
                self.buf[self.len] = b;
                self.len += 1;
            }
        }
    }

    impl core::ops::Deref for Name {
        type Target = str;
        fn deref(&self) -> &str {
            core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
        }
    }
}

fn main(args: Args) -> i32 {
    let boot = rdtsc();
    // `bench scale` (a quick iteration on the `_at_N` rows): only those.
    let only_scale = args.str(1) == Some("scale");
    report("boot_to_first_instruction", boot);
    if sys::getpid() == 1 {
        user::linux_init::mount_proc_if_missing();
    }
    report(
        "getpid",
        per_op(10_000, || {
            sys::getpid();
        }),
    );
    if !only_scale {
        faults();
        area_ops();
        fork_costs();
    }
    scale();
    if !only_scale {
        huge_pages();
    }
    println!("bench done");
    user::linux_init::power_off_if_linux_init();
    0
}
