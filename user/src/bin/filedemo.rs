//! The second tour: a file mapped into memory. A file's pages live in the page cache, and a
//! MAP_SHARED mapping maps those very pages: a store through the mapping is a write to the file,
//! write() is seen through the mapping, and a forked child shares them. msync asks for the dirty
//! pages to reach the disk (here the file system is memory, so they already have), and truncating
//! the file takes the pages beyond its new end out of every mapping: touching one is SIGBUS.
//!
//! `make run INIT=target/x86_64-unknown-none/debug/filedemo` runs it; it runs on Linux too.

#![no_std]
#![no_main]

use abi::{
    fcntl::{O_CREAT, O_RDWR, O_TRUNC},
    mman::{MAP_PRIVATE, MAP_SHARED, MS_SYNC, PROT_READ, PROT_WRITE},
    nr,
};
use user::{Args, println, sys};

user::entry!(main);

const PAGE: u64 = 4096;

/// The demo's directory and file, NUL-terminated: /tmp/filedemo-PID and /tmp/filedemo-PID/notes,
/// so that another run at the same time (the tests run it on the host too) has its own.
fn paths() -> ([u8; 64], [u8; 64]) {
    let mut dir = [0u8; 64];
    let prefix = b"/tmp/filedemo-";
    dir[..prefix.len()].copy_from_slice(prefix);
    let mut len = prefix.len();
    let (mut digits, mut count, mut pid) = ([0u8; 20], 0, sys::getpid() as u64);
    loop {
        digits[count] = b'0' + (pid % 10) as u8;
        count += 1;
        pid /= 10;
        if pid == 0 {
            break;
        }
    }
    while count > 0 {
        count -= 1;
        dir[len] = digits[count];
        len += 1;
    }
    let mut file = dir;
    file[len..len + 6].copy_from_slice(b"/notes");
    (dir, file)
}

fn peek(addr: u64) -> u8 {
    // SAFETY: callers pass addresses inside a readable mapping.
    unsafe { core::ptr::read_volatile(addr as *const u8) }
}

fn poke(addr: u64, v: u8) {
    // SAFETY: callers pass addresses inside a writable mapping.
    unsafe { core::ptr::write_volatile(addr as *mut u8, v) }
}

fn pread(fd: u64, buf: &mut [u8], off: u64) -> i64 {
    sys::raw(
        nr::PREAD64,
        [fd, buf.as_mut_ptr() as u64, buf.len() as u64, off, 0, 0],
    )
}

fn pwrite(fd: u64, buf: &[u8], off: u64) -> i64 {
    sys::raw(
        nr::PWRITE64,
        [fd, buf.as_ptr() as u64, buf.len() as u64, off, 0, 0],
    )
}

fn main(_args: Args) -> i32 {
    let (dir, path) = paths();
    sys::raw(nr::MKDIR, [dir.as_ptr() as u64, 0o755, 0, 0, 0, 0]);
    let fd = sys::open(&path, O_RDWR | O_CREAT | O_TRUNC);
    if fd < 0 {
        println!(
            "cannot create /tmp/filedemo-PID/notes: {}",
            user::errno_name(fd)
        );
        return 1;
    }
    let fd = fd as u64;
    let mut page = [b'.'; PAGE as usize];
    page[..24].copy_from_slice(b"page 0 of the file notes");
    sys::write(fd, &page);
    page[..24].copy_from_slice(b"page 1 of the file notes");
    sys::write(fd, &page);
    println!("A file of two pages, written with write(). Its pages are in the page cache.");

    let shared = sys::mmap(
        0,
        2 * PAGE,
        PROT_READ | PROT_WRITE,
        MAP_SHARED,
        fd as i64,
        0,
    ) as u64;
    let private = sys::mmap(
        0,
        2 * PAGE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE,
        fd as i64,
        0,
    ) as u64;
    println!("Mapped twice: once MAP_SHARED, once MAP_PRIVATE.");

    poke(shared + 5, b'X');
    let mut b = [0u8; 1];
    pread(fd, &mut b, 5);
    println!(
        "A store of 'X' through the shared mapping; read() of the file says '{}':",
        b[0] as char
    );
    println!("  the mapping and the file are the same page.");
    println!(
        "The private mapping sees it too, as long as it has not written: '{}'.",
        peek(private + 5) as char
    );
    poke(private + 7, b'P');
    pread(fd, &mut b, 7);
    println!(
        "A store of 'P' through the private mapping copies the page first: the file still has '{}'.",
        b[0] as char
    );

    pwrite(fd, b"W", PAGE);
    println!(
        "write() of 'W' at the start of page 1: the shared mapping reads '{}'.",
        peek(shared + PAGE) as char
    );

    let child = sys::fork();
    if child == 0 {
        poke(shared + PAGE + 1, b'C');
        sys::exit(0);
    }
    let mut status = 0;
    sys::wait4(child, &mut status, 0);
    println!(
        "A forked child stored 'C' through its copy of the shared mapping; the parent reads '{}'.",
        peek(shared + PAGE + 1) as char
    );

    let r = sys::raw(nr::MSYNC, [shared, 2 * PAGE, MS_SYNC, 0, 0, 0]);
    println!(
        "msync(MS_SYNC) = {r}: the dirty pages would go to the disk now; the file system is memory."
    );

    sys::raw(nr::FTRUNCATE, [fd, PAGE + 10, 0, 0, 0, 0]);
    println!("ftruncate to one page and 10 bytes:");
    println!(
        "  the last page's tail past the end reads as zero: byte 10 of page 1 is {}.",
        peek(shared + PAGE + 10)
    );
    let child = sys::fork();
    if child == 0 {
        sys::raw(nr::FTRUNCATE, [fd, PAGE, 0, 0, 0, 0]);
        let _ = peek(shared + PAGE);
        sys::exit(0);
    }
    sys::wait4(child, &mut status, 0);
    println!(
        "  after truncating to exactly one page, touching page 1 ends a child with signal {} (SIGBUS).",
        status & 0x7f
    );

    sys::munmap(shared, 2 * PAGE);
    sys::munmap(private, 2 * PAGE);
    sys::close(fd);
    sys::raw(nr::UNLINK, [path.as_ptr() as u64, 0, 0, 0, 0, 0]);
    sys::raw(nr::RMDIR, [dir.as_ptr() as u64, 0, 0, 0, 0, 0]);
    0
}
