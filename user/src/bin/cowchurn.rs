//! Copy-on-write under memory pressure: a parent with MIB MiB of anonymous memory forks ROUNDS
//! children in turn; each child writes every page (a copy-on-write copy of each) and exits. With the
//! defaults (64 MiB, 16 rounds) that is 1 GiB of copies churned through a machine with 256 MiB.
//! Then the parent writes its pages again: each is now the parent's alone, so each write fault
//! reuses the frame in place instead of copying. Prints the counters that prove both, and the
//! free-memory balance before and after (this kernel's /proc/meminfo and /proc/self/mmstat).
//!
//! Usage: cowchurn [MIB [ROUNDS]]

#![no_std]
#![no_main]

use user::{Args, println, procfs::field, sys::*};

user::entry!(main);

const PAGE: u64 = 4096;

/// Memory the kernel can account for exactly, in kB: free frames, what the kernel keeps on purpose
/// (page cache, heap, its page tables), and what this process itself holds (its anonymous pages and
/// page tables). With no other process alive, this must not change.
fn balance() -> u64 {
    let system: u64 = ["MemFree", "Cached", "KernelHeap", "KernelPageTables"]
        .iter()
        .map(|k| field(b"/proc/meminfo\0", k).unwrap_or(0))
        .sum();
    let own: u64 = ["RssAnon", "VmPTE"]
        .iter()
        .map(|k| field(b"/proc/self/status\0", k).unwrap_or(0))
        .sum();
    system + own
}

fn arg(args: &Args, i: usize, default: u64) -> u64 {
    args.str(i).and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn main(args: Args) -> i32 {
    let mib = arg(&args, 1, 64);
    let rounds = arg(&args, 2, 16);
    let len = mib << 20;
    let base = mmap(
        0,
        len,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    );
    if base < 0 {
        println!("mmap failed: {}", user::errno_name(base));
        return 1;
    }
    let base = base as u64;
    let pages = len / PAGE;
    for p in 0..pages {
        // SAFETY: inside the mapping just made.
        unsafe { core::ptr::write_volatile((base + p * PAGE) as *mut u64, p) };
    }
    // Measure twice: the first call may itself grow this process's stack (a page that would be
    // counted in RssAnon but taken from MemFree between the two reads).
    balance();
    let before = balance();
    let mut all_ok = true;
    for round in 0..rounds {
        let pid = fork();
        if pid == 0 {
            let mut ok = true;
            for p in 0..pages {
                let at = (base + p * PAGE) as *mut u64;
                // SAFETY: inside the inherited mapping.
                unsafe {
                    ok &= core::ptr::read_volatile(at) == p;
                    core::ptr::write_volatile(at, p + 1_000_000 * (round + 1));
                }
            }
            let copies = field(b"/proc/self/mmstat\0", "cow_copies").unwrap_or(0);
            exit_group(if ok && copies >= pages { 0 } else { 1 });
        }
        let mut status = 0;
        wait4(pid, &mut status, 0);
        all_ok &= status == 0;
    }
    balance();
    let after = balance();
    println!("{rounds} children each copied all {pages} pages: {all_ok}");
    println!("copied in total: {} MiB", rounds * mib);
    let mut intact = true;
    for p in 0..pages {
        let at = (base + p * PAGE) as *mut u64;
        // SAFETY: inside the mapping.
        unsafe {
            intact &= core::ptr::read_volatile(at) == p;
            core::ptr::write_volatile(at, 0);
        }
    }
    println!("parent's pages untouched by the children: {intact}");
    let copies = field(b"/proc/self/mmstat\0", "cow_copies").unwrap_or(u64::MAX);
    let reuses = field(b"/proc/self/mmstat\0", "cow_reuses").unwrap_or(0);
    println!("parent's writes afterwards: {copies} copies, {reuses} reuses (of {pages} pages)");
    println!(
        "memory balance before {before} kB, after {after} kB: {}",
        if before == after {
            "equal"
        } else {
            "DIFFERENT"
        }
    );
    munmap(base, len);
    0
}
