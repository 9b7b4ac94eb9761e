//! Commits exactly one kind of fatal fault, named by argv[1], so that the tests can check that the
//! kernel ends the process with the signal Linux would send (and reports it).
//!
//! Usage: `segv CAUSE`, where CAUSE is one of the names in [`CAUSES`].
//!
//! On stdout it prints `segv: CAUSE` (deterministic, compared with Linux). On stderr it prints the
//! addresses the tests check the kernel's report against:
//! `segv: target=0x... text=0x...-0x... stack_end=0x...`, where `target` is the address the fault
//! is expected at (for `ud2`, the address of the instruction; for `stack-overflow`, 0), `text` is
//! the executable mapping holding the code and `stack_end` the top of the `[stack]` area.
//! If the fault does not happen it prints `segv: survived CAUSE` and exits with status 1.

#![no_std]
#![no_main]

use core::arch::{asm, naked_asm};
use user::{Args, eprintln, println, sys::*};

user::entry!(main);

const PAGE: u64 = 4096;

/// Every cause this program knows, in the order the usage message lists them.
const CAUSES: [&str; 12] = [
    "null-read",
    "null-write",
    "write-rodata",
    "write-text",
    "exec-data",
    "exec-stack",
    "after-munmap",
    "prot-none",
    "kernel-address",
    "stack-overflow",
    "sigbus",
    "ud2",
];

/// A read-only static: the linker puts it in `.rodata`, in the read-only first segment.
static RODATA: [u8; 64] = [0x5a; 64];

/// Reads a byte with one `mov`, whatever the address (no Rust-level assumptions about it).
fn read8(addr: u64) -> u8 {
    let v: u8;
    // SAFETY: faulting is the point; a fault ends the process, it cannot corrupt it.
    unsafe {
        asm!("mov {v}, byte ptr [{a}]", a = in(reg) addr, v = out(reg_byte) v, options(nostack))
    };
    v
}

/// Writes a byte with one `mov`.
fn write8(addr: u64, v: u8) {
    // SAFETY: callers pass an address that faults, or memory they own.
    unsafe {
        asm!("mov byte ptr [{a}], {v}", a = in(reg) addr, v = in(reg_byte) v, options(nostack))
    };
}

/// Calls the code at `addr` (a `ret`, were it executable).
fn call(addr: u64) {
    // SAFETY: the target is a single `ret` instruction, or faults on the instruction fetch.
    unsafe { asm!("call {a}", a = in(reg) addr, clobber_abi("C")) };
}

/// A function that is nothing but `ud2`: its address is where the #UD is raised.
#[unsafe(naked)]
extern "C" fn invalid_opcode() {
    naked_asm!("ud2")
}

/// A function in `.text` whose address is the target of `write-text`.
#[inline(never)]
fn text_marker() -> u64 {
    core::hint::black_box(42)
}

/// Recurses without bound, touching a kilobyte of stack per level.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let mut buf = [0u8; 1024];
    let buf = core::hint::black_box(&mut buf);
    buf[(depth % 1024) as usize] = depth as u8;
    if core::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(depth + 1) + buf[7] as u64
}

/// The size of the file at `path` (NUL-terminated), counted by reading it (no fstat here).
fn file_size(path: &[u8]) -> Option<u64> {
    let fd = open(path, O_RDONLY);
    if fd < 0 {
        return None;
    }
    let mut buf = [0u8; 16384];
    let mut size = 0u64;
    loop {
        let n = read(fd as u64, &mut buf);
        if n < 0 {
            close(fd as u64);
            return None;
        }
        if n == 0 {
            break;
        }
        size += n as u64;
    }
    close(fd as u64);
    Some(size)
}

/// Prints the addresses the tests compare the kernel's report with.
fn announce(target: u64) {
    let local = 0u8;
    let here = core::hint::black_box(&local) as *const u8 as u64;
    let (ts, te) =
        user::procfs::area_of(text_marker as *const () as u64).map_or((0, 0), |a| (a.start, a.end));
    let (_, stack_end) = user::procfs::area_of(here).map_or((0, 0), |a| (a.start, a.end));
    eprintln!("segv: target={target:#x} text={ts:#x}-{te:#x} stack_end={stack_end:#x}");
}

fn anon(prot: u64) -> u64 {
    let m = mmap(0, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if m < 0 {
        eprintln!("segv: mmap: {}", user::errno_name(m));
        exit_group(2);
    }
    m as u64
}

fn commit(cause: &str, argv0: &[u8]) {
    match cause {
        "null-read" => {
            announce(0);
            read8(0);
        }
        "null-write" => {
            announce(0);
            write8(0, 1);
        }
        "write-rodata" => {
            let target = core::hint::black_box(&RODATA[16]) as *const u8 as u64;
            announce(target);
            write8(target, 1);
        }
        "write-text" => {
            let target = text_marker as *const () as u64;
            announce(target);
            write8(target, 0xcc);
        }
        "exec-data" => {
            // A `ret` on the heap: readable and writable, not executable.
            let base = brk(0);
            if brk(base + PAGE) != base + PAGE {
                eprintln!("segv: brk failed");
                exit_group(2);
            }
            write8(base, 0xc3);
            announce(base);
            call(base);
        }
        "exec-stack" => {
            let code = [0xc3u8; 16];
            let target = core::hint::black_box(&code).as_ptr() as u64;
            announce(target);
            call(target);
        }
        "after-munmap" => {
            let m = anon(PROT_READ | PROT_WRITE);
            write8(m, 1);
            munmap(m, PAGE);
            announce(m);
            read8(m);
        }
        "prot-none" => {
            let m = anon(PROT_NONE);
            announce(m);
            read8(m);
        }
        "kernel-address" => {
            announce(0xffff_8000_0000_0000);
            read8(0xffff_8000_0000_0000);
        }
        "stack-overflow" => {
            announce(0);
            recurse(0);
        }
        "sigbus" => {
            // Map the program's own file with one page more than the file has, and read that page:
            // it lies wholly beyond the end of the file.
            let mut path = [0u8; 512];
            if argv0.len() >= path.len() {
                exit_group(2);
            }
            path[..argv0.len()].copy_from_slice(argv0);
            let path = &path[..argv0.len() + 1];
            let Some(size) = file_size(path) else {
                eprintln!(
                    "segv: cannot read {}",
                    core::str::from_utf8(argv0).unwrap_or("?")
                );
                exit_group(2);
            };
            let fd = open(path, O_RDONLY);
            let pages = size.div_ceil(PAGE);
            let m = mmap(0, (pages + 1) * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
            if m < 0 {
                eprintln!("segv: mmap own file: {}", user::errno_name(m));
                exit_group(2);
            }
            let target = m as u64 + pages * PAGE;
            announce(target);
            read8(target);
        }
        "ud2" => {
            announce(invalid_opcode as *const () as u64);
            invalid_opcode();
        }
        _ => unreachable!(),
    }
}

fn main(args: Args) -> i32 {
    let Some(cause) = args.str(1).filter(|c| CAUSES.contains(c)) else {
        eprintln!("usage: segv CAUSE (one of {:?})", CAUSES);
        return 2;
    };
    println!("segv: {cause}");
    commit(cause, args.get(0).unwrap_or(b"/bin/segv"));
    println!("segv: survived {cause}");
    1
}
