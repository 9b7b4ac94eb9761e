//! Large and numerous mappings.
//!
//! Usage: `bigmap [a|b]` (default: both parts).
//!
//! Part a: a 4 GiB anonymous private mapping with MAP_NORESERVE costs only the pages that are
//! touched. It prints how much MemFree (/proc/meminfo) and the resident counters (/proc/self/status,
//! and /proc/self/mmstat where the kernel has it) moved. The memory numbers depend on the machine,
//! so part a is checked on this kernel only.
//!
//! Part b: 2048 single-page mappings side by side, alternately read-only and read-write so that no
//! two merge, then one munmap over all of them. It prints the number of /proc/self/maps lines
//! relative to the count before it started, so its output is the same on Linux and on this kernel.
//!
//! Lines starting with `# ` carry machine-dependent information and are not compared with Linux.

#![no_std]
#![no_main]

use user::{
    Args, errno_name, println,
    procfs::{field, for_each_line, map_count, parse_maps_line},
    sys::*,
};

user::entry!(main);

const PAGE: u64 = 4096;
const GIB: u64 = 1 << 30;

/// Part b's region: far from the program, the heap, the mmap area and the stack, on both kernels.
const REGION: u64 = 0x10_0000_0000;
const REGION_PAGES: u64 = 2048;

fn peek(addr: u64) -> u8 {
    // SAFETY: callers pass addresses they mapped readable.
    unsafe { core::ptr::read_volatile(addr as *const u8) }
}

fn poke(addr: u64, v: u8) {
    // SAFETY: callers pass addresses they mapped writable.
    unsafe { core::ptr::write_volatile(addr as *mut u8, v) }
}

fn mem_free_kb() -> i64 {
    field(b"/proc/meminfo\0", "MemFree").map_or(-1, |v| v as i64)
}

fn rss_anon_kb() -> i64 {
    field(b"/proc/self/status\0", "RssAnon").map_or(-1, |v| v as i64)
}

/// A counter of /proc/self/mmstat (this kernel only).
fn mmstat(key: &str) -> Option<i64> {
    field(b"/proc/self/mmstat\0", key).map(|v| v as i64)
}

fn part_a() {
    let rw = PROT_READ | PROT_WRITE;
    let anon = MAP_PRIVATE | MAP_ANONYMOUS;
    let len = 4 * GIB;

    // Larger than the RAM of the test machine (512 MiB): refused under the overcommit heuristic on
    // this kernel; on Linux it depends on the host's memory, so only the result's kind is shown.
    let r = mmap(0, len, rw, anon, -1, 0);
    println!("# a: mmap 4 GiB without MAP_NORESERVE: {}", errno_name(r));
    if r >= 0 {
        munmap(r as u64, len);
    }

    let free0 = mem_free_kb();
    let anon0 = rss_anon_kb();
    let stat_anon0 = mmstat("rss_anon");
    let tables0 = mmstat("page_tables");
    let zero0 = mmstat("zero_page_maps");

    let m = mmap(0, len, rw, anon | MAP_NORESERVE, -1, 0);
    println!("a: mmap 4 GiB MAP_NORESERVE: {}", errno_name(m));
    if m < 0 {
        return;
    }
    let m = m as u64;
    let free1 = mem_free_kb();

    // Five pages spread over the whole area: the first, one in each GiB, and the last.
    let offsets = [0, GIB + 5 * PAGE, 2 * GIB + 123 * PAGE, 3 * GIB, len - PAGE];
    for (i, off) in offsets.iter().enumerate() {
        poke(m + off + 17, i as u8 + 1);
    }
    let read_back = offsets
        .iter()
        .enumerate()
        .all(|(i, off)| peek(m + off + 17) == i as u8 + 1 && peek(m + off) == 0);
    println!("a: 5 pages written and read back: {read_back}");
    // Reading untouched pages maps the shared zero page: no memory, no resident page.
    let zeros = [GIB / 2, 3 * GIB + GIB / 2]
        .iter()
        .all(|off| peek(m + off) == 0 && peek(m + off + PAGE - 1) == 0);
    println!("a: untouched pages read as zero: {zeros}");

    let free2 = mem_free_kb();
    let anon2 = rss_anon_kb();
    println!("a: RssAnon delta kB: {}", anon2 - anon0);
    println!("# a: MemFree drop after mmap kB: {}", free0 - free1);
    println!("# a: MemFree drop after touching kB: {}", free0 - free2);
    if let (Some(a0), Some(a2)) = (stat_anon0, mmstat("rss_anon")) {
        println!("# a: mmstat rss_anon delta: {}", a2 - a0);
    }
    if let (Some(t0), Some(t2)) = (tables0, mmstat("page_tables")) {
        println!("# a: mmstat page_tables delta: {}", t2 - t0);
    }
    if let (Some(z0), Some(z2)) = (zero0, mmstat("zero_page_maps")) {
        println!("# a: mmstat zero_page_maps delta: {}", z2 - z0);
    }

    println!("a: munmap 4 GiB: {}", errno_name(munmap(m, len)));
    let free3 = mem_free_kb();
    println!(
        "a: RssAnon delta after munmap kB: {}",
        rss_anon_kb() - anon0
    );
    println!("# a: MemFree drop after munmap kB: {}", free0 - free3);
    if let (Some(a0), Some(a3)) = (stat_anon0, mmstat("rss_anon")) {
        println!("# a: mmstat rss_anon delta after munmap: {}", a3 - a0);
    }
}

/// Maps the region's pages one by one, alternately read-only and read-write.
fn map_alternating() -> bool {
    (0..REGION_PAGES).all(|i| {
        let prot = if i % 2 == 0 {
            PROT_READ
        } else {
            PROT_READ | PROT_WRITE
        };
        let addr = REGION + i * PAGE;
        let r = mmap(
            addr,
            PAGE,
            prot,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
            -1,
            0,
        );
        r as u64 == addr
    })
}

/// Counts the maps lines inside the region and checks that they alternate r--p / rw-p page by page.
fn region_lines() -> (u64, bool) {
    let mut count = 0;
    let mut ok = true;
    for_each_line(b"/proc/self/maps\0", |line| {
        let Some(user::procfs::MapsArea {
            start: s,
            end: e,
            perms,
        }) = parse_maps_line(line)
        else {
            return;
        };
        if e <= REGION || s >= REGION + REGION_PAGES * PAGE {
            return;
        }
        let expect: &[u8; 4] = if count % 2 == 0 { b"r--p" } else { b"rw-p" };
        ok &= s == REGION + count * PAGE && e == s + PAGE && &perms == expect;
        count += 1;
    });
    (count, ok)
}

fn part_b() {
    let base = map_count() as i64;
    let delta = |what: &str| println!("b: {what}: {:+}", (map_count() as i64) - base);
    let len = REGION_PAGES * PAGE;

    println!("b: map 2048 pages: {}", map_alternating());
    delta("maps lines after mapping");
    let (lines, alternating) = region_lines();
    println!("b: region lines: {lines}, alternating r--p/rw-p: {alternating}");
    // Fault every page in: writes to the writable ones, reads of the read-only ones.
    for i in 0..REGION_PAGES {
        let addr = REGION + i * PAGE;
        if i % 2 == 1 {
            poke(addr + i % PAGE, i as u8);
        }
    }
    let read_back = (0..REGION_PAGES).all(|i| {
        let addr = REGION + i * PAGE;
        if i % 2 == 1 {
            peek(addr + i % PAGE) == i as u8
        } else {
            peek(addr) == 0
        }
    });
    println!("b: pages read back: {read_back}");
    delta("maps lines after touching");
    println!(
        "b: one munmap over the region: {}",
        errno_name(munmap(REGION, len))
    );
    delta("maps lines after munmap");
    println!("b: munmap again: {}", errno_name(munmap(REGION, len)));

    println!("b: map 2048 pages again: {}", map_alternating());
    delta("maps lines after mapping again");
    println!(
        "b: mprotect whole region rw: {}",
        errno_name(mprotect(REGION, len, PROT_READ | PROT_WRITE))
    );
    delta("maps lines after mprotect (merged)");
    println!(
        "b: mprotect middle page read-only: {}",
        errno_name(mprotect(REGION + 1000 * PAGE, PAGE, PROT_READ))
    );
    delta("maps lines after splitting");
    println!("b: munmap the region: {}", errno_name(munmap(REGION, len)));
    delta("maps lines at the end");
}

fn main(args: Args) -> i32 {
    let part = args.str(1).unwrap_or("all");
    if !matches!(part, "a" | "b" | "all") {
        user::eprintln!("usage: bigmap [a|b]");
        return 2;
    }
    if part != "b" {
        part_a();
    }
    if part != "a" {
        part_b();
    }
    0
}
