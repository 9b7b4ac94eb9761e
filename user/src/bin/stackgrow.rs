//! Grows the stack by faults: first by recursion (about 512 KiB), then alloca-style, moving the stack
//! pointer down a page at a time and touching each page, to exactly 1 MiB below the top of the
//! `[stack]` area. It prints the area's size in pages and the memory counters at each step.
//!
//! The output has no addresses and is the same on Linux and on this kernel when both start the
//! program with the same small environment (the initial `[stack]` is 128 KiB plus the page holding
//! the argument and environment strings: 33 pages). Lines starting with `# ` carry this kernel's own
//! counters (/proc/self/mmstat) and are not compared with Linux.

#![no_std]
#![no_main]

use core::arch::asm;
use user::{
    Args, print, println,
    procfs::{field, named_area},
};

user::entry!(main);

const PAGE: u64 = 4096;
const KIB: u64 = 1024;

fn stack_pages() -> u64 {
    let (s, e) = named_area("[stack]").map_or((0, 0), |a| (a.start, a.end));
    (e - s) / PAGE
}

fn rsp() -> u64 {
    let sp: u64;
    // SAFETY: reads the stack pointer.
    unsafe { asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// Recurses with about 2 KiB of stack per level, writing every byte of each level's buffer, until
/// the stack pointer is below `limit`. Returns the lowest stack pointer reached.
#[inline(never)]
fn recurse(limit: u64, depth: u64) -> u64 {
    let mut buf = [0u8; 2048];
    let buf = core::hint::black_box(&mut buf);
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (i as u64 ^ depth) as u8;
    }
    let sp = rsp();
    let lowest = if sp < limit {
        sp
    } else {
        recurse(limit, depth + 1)
    };
    // Use the buffer after the call, so the frame stays live and the call is not a tail call.
    core::hint::black_box(buf[(depth % 2048) as usize]);
    lowest
}

/// Moves the stack pointer down a page at a time, writing at each new position, while it stays at
/// or above `limit` (page aligned), then puts it back: the pages from here down to `limit` are all
/// touched, and `limit`'s page is the lowest. Returns the number of pages stepped.
fn alloca_to(limit: u64) -> u64 {
    let steps: u64;
    // SAFETY: the stack below rsp is free (no red zone on this target, no signal handlers); the
    // writes only grow the stack, and rsp is restored before the block ends.
    unsafe {
        asm!(
            "mov {saved}, rsp",
            "xor {steps:e}, {steps:e}",
            "2:",
            "sub rsp, 4096",
            "cmp rsp, {limit}",
            "jb 3f",
            "mov qword ptr [rsp], 0",
            "inc {steps}",
            "jmp 2b",
            "3:",
            "mov rsp, {saved}",
            limit = in(reg) limit,
            saved = out(reg) _,
            steps = out(reg) steps,
        );
    }
    steps
}

/// Prints the `[stack]` size and VmStk, and RssAnon when `rss` (it depends on where the strings
/// end at the start, but not once every stack page has been touched).
fn counters(when: &str, rss: bool) {
    print!(
        "{when}: [stack] pages {}, VmStk {} kB",
        stack_pages(),
        field(b"/proc/self/status\0", "VmStk").unwrap_or(0),
    );
    if rss {
        print!(
            ", RssAnon {} kB",
            field(b"/proc/self/status\0", "RssAnon").unwrap_or(0)
        );
    }
    println!();
    if let Some(anon) = field(b"/proc/self/mmstat\0", "rss_anon") {
        println!(
            "# {when}: rss_anon {anon}, faults {}",
            field(b"/proc/self/mmstat\0", "faults").unwrap_or(0)
        );
    }
}

fn main(_args: Args) -> i32 {
    let (_, end) = named_area("[stack]").map_or((0, 0), |a| (a.start, a.end));
    counters("start", false);
    let anon0 = field(b"/proc/self/status\0", "RssAnon").unwrap_or(0);

    let lowest = recurse(end - 512 * KIB, 0);
    let pages = stack_pages();
    let needed = (end - (lowest & !(PAGE - 1))) / PAGE;
    println!(
        "recursion: stack pointer went 512 KiB down: {}",
        end - lowest >= 512 * KIB
    );
    // The area reaches the page of the lowest stack pointer (or the one above, if nothing was
    // written at that very address), and no further.
    println!(
        "recursion: [stack] covers the deepest frame: {}",
        pages == needed || pages + 1 == needed
    );
    let rss1 = field(b"/proc/self/status\0", "RssAnon").unwrap_or(0);
    println!(
        "recursion: RssAnon grew by at least 480 KiB: {}",
        rss1 >= anon0 + 480
    );

    let steps = alloca_to(end - 1024 * KIB);
    println!("alloca: stepped pages: {}", steps > 100);
    counters("after 1 MiB", true);
    let rss2 = field(b"/proc/self/status\0", "RssAnon").unwrap_or(0);
    println!(
        "alloca: RssAnon grew by 1 MiB less the pages touched before: {}",
        rss2 >= anon0 + 1024 - 33 * 4 && rss2 <= anon0 + 1024
    );
    if let Some(anon) = field(b"/proc/self/mmstat\0", "rss_anon") {
        println!("# rss_anon pages: {anon}");
    }

    // The area does not shrink when the stack pointer comes back up.
    counters("back at the top", true);
    0
}
