//! System calls given bad user pointers fail with EFAULT and do not kill the caller; good pointers to
//! memory that is not yet present (untouched anonymous pages, stack not yet grown) are faulted in by
//! the kernel's user copies. One deterministic line per check (no addresses), compared with Linux.

#![no_std]
#![no_main]

use user::{Args, errno_name, println, sys::*};

user::entry!(main);

const PAGE: u64 = 4096;

/// Read-only data: a destination the kernel must refuse to write.
static RODATA: [u8; 64] = [7; 64];

fn show(what: &str, ret: i64) {
    if ret < 0 {
        println!("{what}: {}", errno_name(ret));
    } else {
        println!("{what}: {ret}");
    }
}

fn peek(addr: u64) -> u8 {
    // SAFETY: callers pass addresses they mapped readable.
    unsafe { core::ptr::read_volatile(addr as *const u8) }
}

fn anon(prot: u64, pages: u64) -> u64 {
    let m = mmap(0, pages * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert!(m >= 0, "mmap failed");
    m as u64
}

#[inline(never)]
fn text_marker() -> u64 {
    core::hint::black_box(1)
}

fn main(args: Args) -> i32 {
    let argv0 = args.get(0).unwrap_or(b"/bin/badptr");
    let mut path = [0u8; 512];
    path[..argv0.len()].copy_from_slice(argv0);
    let path = &path[..argv0.len() + 1];
    let fd = open(path, O_RDONLY);
    println!("open own executable: {}", errno_name(fd));
    let fd = fd as u64;
    let rewind = || {
        // No lseek here: reopen to read from the start.
        let f = open(path, O_RDONLY);
        assert!(f >= 0);
        f as u64
    };

    // Writes from bad sources.
    show("write from NULL", raw(nr::WRITE, [1, 0, 10, 0, 0, 0]));
    show(
        "write from a kernel address",
        raw(nr::WRITE, [1, 0xffff_8000_0000_0000, 10, 0, 0, 0]),
    );
    show(
        "write from a non-canonical address",
        raw(nr::WRITE, [1, 0x8000_0000_0000_0000, 10, 0, 0, 0]),
    );
    let none = anon(PROT_NONE, 1);
    show(
        "write from PROT_NONE",
        raw(nr::WRITE, [1, none, 10, 0, 0, 0]),
    );
    let gone = anon(PROT_READ | PROT_WRITE, 1);
    munmap(gone, PAGE);
    show(
        "write from an unmapped page",
        raw(nr::WRITE, [1, gone, 10, 0, 0, 0]),
    );

    // Reads into bad destinations.
    let rodata = RODATA.as_ptr() as u64;
    show(
        "read into .rodata",
        raw(nr::READ, [fd, rodata, 16, 0, 0, 0]),
    );
    println!("rodata unchanged: {}", RODATA.iter().all(|&b| b == 7));
    show(
        "read into .text",
        raw(nr::READ, [fd, text_marker as *const () as u64, 16, 0, 0, 0]),
    );
    let ro = anon(PROT_READ, 1);
    show("read into PROT_READ", raw(nr::READ, [fd, ro, 16, 0, 0, 0]));
    show(
        "read into PROT_NONE",
        raw(nr::READ, [fd, none, 16, 0, 0, 0]),
    );
    show(
        "read into an unmapped page",
        raw(nr::READ, [fd, gone, 16, 0, 0, 0]),
    );
    show(
        "read into a kernel address",
        raw(nr::READ, [fd, 0xffff_8000_0000_0000, 16, 0, 0, 0]),
    );
    close(fd);

    // Paths.
    show("open NULL", raw(nr::OPEN, [0, 0, 0, 0, 0, 0]));
    show("open PROT_NONE", raw(nr::OPEN, [none, 0, 0, 0, 0, 0]));
    // A path that runs up to the end of a page with no NUL, the next page unmapped.
    let two = anon(PROT_READ | PROT_WRITE, 2);
    munmap(two + PAGE, PAGE);
    let tail = two + PAGE - 8;
    for i in 0..8 {
        // SAFETY: the first page of `two` is mapped read-write.
        unsafe { core::ptr::write_volatile((tail + i) as *mut u8, b'a') };
    }
    show(
        "open path running into an unmapped page",
        raw(nr::OPEN, [tail, 0, 0, 0, 0, 0]),
    );

    // Good pointers to memory not yet present: the kernel faults it in during the copy.
    let fresh = anon(PROT_READ | PROT_WRITE, 4);
    let f = rewind();
    show(
        "read into untouched anonymous pages",
        raw(nr::READ, [f, fresh + PAGE - 2, 2 * PAGE, 0, 0, 0]),
    );
    println!(
        "data arrived: {}",
        peek(fresh + PAGE - 2) == 0x7f
            && peek(fresh + PAGE - 1) == b'E'
            && peek(fresh + PAGE) == b'L'
    );
    close(f);
    let f = rewind();
    let sp: u64;
    // SAFETY: reads the stack pointer.
    unsafe { core::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack)) };
    // 256 KiB below the stack pointer: below the initial [stack], within the stack limit.
    let deep = (sp - 256 * 1024) & !(PAGE - 1);
    show(
        "read into the stack below its current end",
        raw(nr::READ, [f, deep, 16, 0, 0, 0]),
    );
    println!("stack data arrived: {}", peek(deep + 1) == b'E');
    close(f);
    show(
        "write of 0 bytes from NULL",
        raw(nr::WRITE, [1, 0, 0, 0, 0, 0]),
    );
    println!("still alive");
    0
}
