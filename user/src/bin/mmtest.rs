//! Exercises brk, mmap, munmap, mprotect and their error cases, printing one deterministic line per
//! check (no addresses), so the output on this kernel can be compared with Linux's byte for byte.

#![no_std]
#![no_main]

use user::{
    Args, errno_name, println,
    procfs::{area_of, map_count},
    sys,
    sys::*,
};

user::entry!(main);

const PAGE: u64 = 4096;

fn show(what: &str, ret: i64) {
    if ret < 0 {
        println!("{what}: {}", errno_name(ret));
    } else {
        println!("{what}: ok");
    }
}

fn peek(addr: u64) -> u8 {
    // SAFETY: the caller passes an address it mapped readable.
    unsafe { core::ptr::read_volatile(addr as *const u8) }
}

fn poke(addr: u64, v: u8) {
    // SAFETY: the caller passes an address it mapped writable.
    unsafe { core::ptr::write_volatile(addr as *mut u8, v) }
}

/// The rights and size of the area containing `addr` ("rw-p pages=3"; nothing if unmapped).
fn describe(what: &str, addr: u64) {
    match area_of(addr) {
        Some(area) => {
            let perms = core::str::from_utf8(&area.perms).unwrap_or("?");
            println!("{what}: {perms} pages={}", area.pages());
        }
        None => println!("{what}: "),
    }
}

fn brk_tests() {
    let base = brk(0);
    println!("brk(0) is page aligned: {}", base.is_multiple_of(PAGE));
    let grown = brk(base + 10_000);
    println!("brk grow returns the new break: {}", grown == base + 10_000);
    poke(base + 9_999, 7);
    println!("heap byte reads back: {}", peek(base + 9_999) == 7);
    describe("heap after grow", base);
    println!(
        "brk below start fails, keeps break: {}",
        brk(0x1000) == base + 10_000
    );
    println!("brk shrink: {}", brk(base + 100) == base + 100);
    println!("brk(0) after shrink: {}", brk(0) == base + 100);
    println!("byte below break kept: {}", peek(base + 99) == 0);
    println!("sbrk(0) is the break: {}", sys::sbrk(0) == Some(base + 100));
    let old = sys::sbrk(4096);
    println!(
        "sbrk(4096) returns the old break: {}",
        old == Some(base + 100)
    );
    println!(
        "brk huge fails, keeps break: {}",
        brk(0x7fff_0000_0000) == base + 100 + 4096
    );
    brk(base);
}

fn mmap_tests() {
    let rw = PROT_READ | PROT_WRITE;
    let anon = MAP_PRIVATE | MAP_ANONYMOUS;
    show("mmap len 0", mmap(0, 0, rw, anon, -1, 0));
    show("mmap no type", mmap(0, PAGE, rw, MAP_ANONYMOUS, -1, 0));
    show(
        "mmap both types",
        mmap(0, PAGE, rw, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
    );
    show("mmap unaligned offset", mmap(0, PAGE, rw, anon, -1, 100));
    show(
        "mmap fixed unaligned",
        mmap(0x10_0001, PAGE, rw, anon | MAP_FIXED, -1, 0),
    );
    show("mmap bad fd", mmap(0, PAGE, rw, MAP_PRIVATE, 99, 0));
    show("mmap huge", mmap(0, 1 << 47, rw, anon, -1, 0));
    let dir = open(b"/\0", O_RDONLY);
    show(
        "mmap a directory",
        mmap(0, PAGE, PROT_READ, MAP_PRIVATE, dir, 0),
    );
    close(dir as u64);

    let a = mmap(0, 3 * PAGE, rw, anon, -1, 0);
    show("mmap anon 3 pages", a);
    let a = a as u64;
    println!(
        "fresh anon memory is zero: {}",
        peek(a) == 0 && peek(a + 2 * PAGE + 4095) == 0
    );
    poke(a + PAGE, 42);
    println!("anon write reads back: {}", peek(a + PAGE) == 42);
    describe("anon area", a);

    // A hint in free space is honoured.
    let hint = 0x5000_0000u64;
    let h = mmap(hint, PAGE, rw, anon, -1, 0);
    println!("free hint honoured: {}", h as u64 == hint);
    // A hint on top of an existing mapping is not, and nothing is replaced.
    poke(hint, 9);
    let h2 = mmap(hint, PAGE, rw, anon, -1, 0);
    println!(
        "busy hint moved elsewhere: {}",
        h2 > 0 && h2 as u64 != hint && peek(hint) == 9
    );
    show(
        "MAP_FIXED_NOREPLACE on busy range",
        mmap(hint, PAGE, rw, anon | MAP_FIXED_NOREPLACE, -1, 0),
    );
    let f = mmap(hint, PAGE, PROT_READ, anon | MAP_FIXED, -1, 0);
    println!(
        "MAP_FIXED replaces: {}",
        f as u64 == hint && peek(hint) == 0
    );
    describe("replaced page", hint);
    munmap(hint, PAGE);
    munmap(h2 as u64, PAGE);
    let n = mmap(0x6000_0000, 2 * PAGE, rw, anon | MAP_FIXED_NOREPLACE, -1, 0);
    println!(
        "MAP_FIXED_NOREPLACE on free range: {}",
        n as u64 == 0x6000_0000
    );
    munmap(0x6000_0000, 2 * PAGE);
    let nr = mmap(0, 16 * PAGE, rw, anon | MAP_NORESERVE, -1, 0);
    show("MAP_NORESERVE", nr);
    munmap(nr as u64, 16 * PAGE);

    // Adjacent anonymous mappings with the same rights merge into one area.
    let m1 = mmap(0x7000_0000, PAGE, rw, anon | MAP_FIXED, -1, 0) as u64;
    let _m2 = mmap(0x7000_1000, PAGE, rw, anon | MAP_FIXED, -1, 0);
    describe("two adjacent anon maps", m1);
    munmap(m1, 2 * PAGE);

    // munmap: a middle page splits an area; holes and several areas go in one call.
    show("munmap unaligned", munmap(a + 1, PAGE));
    show("munmap len 0", munmap(a, 0));
    show("munmap middle", munmap(a + PAGE, PAGE));
    describe("left part", a);
    describe("right part", a + 2 * PAGE);
    show("munmap across hole", munmap(a, 3 * PAGE));
    show("munmap nothing mapped", munmap(a, 3 * PAGE));
    show(
        "munmap beyond user space",
        munmap(0x7fff_ffff_f000, 2 * PAGE),
    );
}

fn mprotect_tests() {
    let rw = PROT_READ | PROT_WRITE;
    let a = mmap(0, 4 * PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) as u64;
    poke(a + PAGE, 5);
    show("mprotect unaligned", mprotect(a + 1, PAGE, PROT_READ));
    show("mprotect bad prot", mprotect(a, PAGE, 0x80));
    show(
        "mprotect middle read-only",
        mprotect(a + PAGE, PAGE, PROT_READ),
    );
    describe("before", a);
    describe("middle", a + PAGE);
    describe("after", a + 2 * PAGE);
    println!("read-only page keeps data: {}", peek(a + PAGE) == 5);
    show("mprotect back", mprotect(a + PAGE, PAGE, rw));
    describe("re-merged", a);
    show("mprotect PROT_NONE", mprotect(a + PAGE, PAGE, PROT_NONE));
    describe("none", a + PAGE);
    show("mprotect back from NONE", mprotect(a + PAGE, PAGE, rw));
    println!("data survives PROT_NONE: {}", peek(a + PAGE) == 5);
    munmap(a + 2 * PAGE, PAGE);
    show("mprotect over hole", mprotect(a, 4 * PAGE, PROT_READ));
    describe("first page after ENOMEM", a);
    show("mprotect unmapped", mprotect(a + 2 * PAGE, PAGE, PROT_READ));
    show("mprotect len 0", mprotect(a, 0, PROT_READ));
    munmap(a, 4 * PAGE);
}

fn file_tests(argv0: &[u8]) {
    let mut path = [0u8; 256];
    path[..argv0.len()].copy_from_slice(argv0);
    let fd = open(&path[..argv0.len() + 1], O_RDONLY);
    show("open own executable", fd);
    let mut magic = [0u8; 4];
    show("read", read(fd as u64, &mut magic));
    println!("ELF magic: {}", &magic == b"\x7fELF");
    let m = mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    show("mmap file private", m);
    println!(
        "mapped file starts with ELF magic: {}",
        peek(m as u64) == 0x7f && peek(m as u64 + 1) == b'E'
    );
    let off = mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    show("mmap file at offset", off);
    describe("file mapping at offset", off as u64);
    let w = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    poke(w as u64, b'X');
    println!(
        "private write is private: {}",
        peek(w as u64) == b'X' && peek(m as u64) == 0x7f
    );
    show(
        "mmap shared read-only",
        mmap(0, PAGE, PROT_READ, MAP_SHARED, fd, 0),
    );
    show(
        "mmap shared writable on O_RDONLY",
        mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
    );
    show("open missing", open(b"/no/such/file\0", O_RDONLY));
    show("open dir for write", open(b"/bin\0", O_WRONLY));
    show("close", close(fd as u64));
    show("close again", close(fd as u64));
    show("read closed", read(fd as u64, &mut magic));
    show("write bad pointer", raw(nr::WRITE, [1, 0x10, 10, 0, 0, 0]));
    show(
        "write kernel pointer",
        raw(nr::WRITE, [1, 0xffff_8000_0000_0000, 10, 0, 0, 0]),
    );
    show(
        "read into bad pointer",
        raw(nr::READ, [0, 0x10, 10, 0, 0, 0]),
    );
    show("open bad pointer", raw(nr::OPEN, [0x10, 0, 0, 0, 0, 0]));
    show(
        "openat missing",
        raw(
            nr::OPENAT,
            [AT_FDCWD as u64, c"/nope".as_ptr() as u64, 0, 0, 0, 0],
        ),
    );
    show("unknown syscall", raw(500, [0; 6]));
}

fn main(args: Args) -> i32 {
    println!("-- brk");
    brk_tests();
    println!("-- mmap/munmap");
    mmap_tests();
    println!("-- mprotect");
    mprotect_tests();
    println!("-- files");
    file_tests(args.get(0).unwrap_or(b"/bin/mmtest"));
    println!("maps lines stable: {}", map_count() > 3);
    0
}
