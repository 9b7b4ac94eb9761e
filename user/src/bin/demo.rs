//! The tour `make run` gives: the areas of a process (code C, constants K, static data S, heap D,
//! memory-mapped file M, anonymous memory and the stack), each shown from the inside with an
//! address in it, then the whole /proc/self/maps with every line explained; then copy-on-write
//! after fork through /proc/self/pagemap, a huge page, ASLR and shared libraries.
//!
//! It uses only raw system calls (no allocator: every buffer is on the stack) and runs unchanged on
//! Linux and on this kernel; on Linux /proc/self/mmstat (this kernel's fault counters) is missing,
//! which the demo says and carries on.

#![no_std]
#![no_main]

use abi::mman::MADV_HUGEPAGE;
use user::{Args, errno_name, println, sys::*};

user::entry!(main);

const PAGE: u64 = 4096;

/// K: constants. A string, and a table whose entries are pointers the linker filled in.
static GREETING: &str = "hello from the read-only data";
static AREA_NAMES: [&str; 3] = ["code", "constants", "static data"];

/// S: an initialised static variable (.data: its initial value is stored in the file).
static mut COUNTER: u64 = 41;
/// S: a zero-initialised one (.bss: only its size is in the file). Two pages, so that it reaches
/// past the file's last page and needs memory of its own.
static mut ZEROS: [u8; 2 * PAGE as usize] = [0; 2 * PAGE as usize];

const MAPS: &[u8] = b"/proc/self/maps\0";
const MMSTAT: &[u8] = b"/proc/self/mmstat\0";

fn peek(addr: u64) -> u8 {
    // SAFETY: callers pass addresses they mapped readable.
    unsafe { core::ptr::read_volatile(addr as *const u8) }
}

fn poke(addr: u64, v: u8) {
    // SAFETY: callers pass addresses they mapped writable.
    unsafe { core::ptr::write_volatile(addr as *mut u8, v) }
}

/// Reads a whole (small) file into `buf` and returns it as text.
fn read_text<'a>(path: &[u8], buf: &'a mut [u8]) -> Result<&'a str, i64> {
    let n = user::read_file(path, buf);
    if n < 0 {
        return Err(n);
    }
    Ok(core::str::from_utf8(&buf[..n as usize]).unwrap_or(""))
}

/// One line of /proc/PID/maps, taken apart.
struct Area<'a> {
    line: &'a str,
    start: u64,
    end: u64,
    perms: &'a str,
    offset: u64,
    name: &'a str,
}

impl<'a> Area<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let mut cols = line.split_ascii_whitespace();
        let (s, e) = cols.next()?.split_once('-')?;
        let perms = cols.next()?;
        let offset = u64::from_str_radix(cols.next()?, 16).ok()?;
        let _dev = cols.next()?;
        let _inode = cols.next()?;
        Some(Area {
            line,
            start: u64::from_str_radix(s, 16).ok()?,
            end: u64::from_str_radix(e, 16).ok()?,
            perms,
            offset,
            name: cols.next().unwrap_or(""),
        })
    }

    fn pages(&self) -> u64 {
        (self.end - self.start) / PAGE
    }

    fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }
}

fn areas(maps: &str) -> impl Iterator<Item = Area<'_>> {
    maps.lines().filter_map(Area::parse)
}

/// Prints the maps line of the area holding `addr` (and how many pages it has).
fn show_area(addr: u64) {
    let mut buf = [0u8; 4096];
    let maps = read_text(MAPS, &mut buf).unwrap_or("");
    match areas(maps).find(|a| a.contains(addr)) {
        Some(a) => println!(
            "  {}   ({} page{})",
            a.line.trim_end(),
            a.pages(),
            if a.pages() == 1 { "" } else { "s" }
        ),
        None => println!("  (no area holds {addr:#x})"),
    }
}

/// Says so when the [heap] area reaches below the first heap page: the .bss area below it, also
/// anonymous and rw-, was extended rather than a new area made.
fn note_heap_joined(heap: u64) {
    let mut buf = [0u8; 4096];
    let maps = read_text(MAPS, &mut buf).unwrap_or("");
    if let Some(a) = areas(maps).find(|a| a.contains(heap) && a.start < heap) {
        println!(
            "   It starts at {:#x}, below the heap: brk extended the .bss area under it (both",
            a.start
        );
        println!("   anonymous and rw-) instead of making a new one.");
    }
}

/// A short description of the area holding `addr`: its range, rights and file offset.
fn brief(addr: u64) {
    let mut buf = [0u8; 4096];
    let maps = read_text(MAPS, &mut buf).unwrap_or("");
    if let Some(a) = areas(maps).find(|a| a.contains(addr)) {
        let (s, e, p) = (a.start, a.end, a.perms);
        if a.name.is_empty() || a.name.starts_with('[') {
            let sep = if a.name.is_empty() { "" } else { " " };
            println!(
                "     area {s:x}-{e:x} {p}, anonymous (no file){sep}{}",
                a.name
            );
        } else {
            println!("     area {s:x}-{e:x} {p}, file offset {:#x}", a.offset);
        }
    }
}

/// Finds where the executable's own areas (C, K, S) map file offset 0x1000, and compares that page
/// with the one `m` maps: one file page, seen through two VMAs.
fn same_page_elsewhere(m: u64) {
    let mut buf = [0u8; 4096];
    let maps = read_text(MAPS, &mut buf).unwrap_or("");
    let Some(file) = areas(maps).find(|a| a.contains(m)).map(|a| a.name) else {
        return;
    };
    let Some(a) = areas(maps).find(|a| {
        a.name == file && !a.contains(m) && a.offset <= PAGE && PAGE < a.offset + (a.end - a.start)
    }) else {
        return;
    };
    let there = a.start + (PAGE - a.offset);
    let same = (0..PAGE).all(|i| peek(m + i) == peek(there + i));
    println!(
        "   The {} area at {:x} maps the same file page at {there:#x}: same bytes: {}.",
        a.perms,
        a.start,
        if same { "yes" } else { "no" }
    );
}

/// The counters of /proc/self/mmstat this demo follows.
#[derive(Clone, Copy, Default)]
struct MmStat {
    faults: u64,
    zero_page_maps: u64,
    cow_copies: u64,
    rss_anon: u64,
}

/// Reads /proc/self/mmstat into `buf` (the caller reuses one buffer, so reading it faults nothing
/// new in). `None` where the file does not exist (Linux).
fn mmstat(buf: &mut [u8; 512]) -> Option<MmStat> {
    let text = read_text(MMSTAT, buf).ok()?;
    let mut s = MmStat::default();
    for line in text.lines() {
        let Some((name, value)) = line.split_once(' ') else {
            continue;
        };
        let value = value.trim().parse().unwrap_or(0);
        match name {
            "faults" => s.faults = value,
            "zero_page_maps" => s.zero_page_maps = value,
            "cow_copies" => s.cow_copies = value,
            "rss_anon" => s.rss_anon = value,
            _ => {}
        }
    }
    Some(s)
}

fn show_delta(what: &str, before: MmStat, after: MmStat) {
    println!(
        "  {what:<22} faults +{}, zero_page_maps +{}, cow_copies +{}, rss_anon +{}",
        after.faults - before.faults,
        after.zero_page_maps - before.zero_page_maps,
        after.cow_copies - before.cow_copies,
        after.rss_anon as i64 - before.rss_anon as i64,
    );
}

/// The start of the PT_GNU_RELRO segment (.data.rel.ro and .got), from the program headers the
/// kernel points at with AT_PHDR. 0 if there is none.
fn relro_start(args: &Args) -> u64 {
    const AT_PHDR: u64 = 3;
    const AT_PHNUM: u64 = 5;
    const PT_GNU_RELRO: u32 = 0x6474_e552;
    let (Some(phdr), Some(phnum)) = (args.aux(AT_PHDR), args.aux(AT_PHNUM)) else {
        return 0;
    };
    for i in 0..phnum {
        // An Elf64_Phdr is 56 bytes: p_type (u32) at 0, p_vaddr (u64) at 16.
        let ph = phdr + i * 56;
        // SAFETY: AT_PHDR points at the mapped program headers of this (non-PIE) executable.
        let (ty, vaddr) = unsafe {
            (
                core::ptr::read_unaligned(ph as *const u32),
                core::ptr::read_unaligned((ph + 16) as *const u64),
            )
        };
        if ty == PT_GNU_RELRO {
            return vaddr;
        }
    }
    0
}

fn main(args: Args) -> i32 {
    if args.get(1) == Some(b"aslr-child") {
        return aslr_child();
    }
    println!(
        "=== A process's address space, seen from inside (pid {}) ===",
        getpid()
    );
    println!("Memory is a set of areas (VMAs): runs of whole pages with the same rights.");
    println!("The seed notes name them C, K, S, D, M and the stack. One address from each:");

    // 1. C, K and S: the three areas the executable file itself provides.
    let code = main as fn(Args) -> i32 as usize as u64;
    println!("\n-- C (code): main() is at {code:#x}");
    println!("   instructions, read+execute, backed by the executable file itself.");
    brief(code);

    let konst = GREETING.as_ptr() as u64;
    let table = (&raw const AREA_NAMES) as u64;
    println!("-- K (constants): the string {GREETING:?} is at {konst:#x},");
    println!(
        "   and a table of {} string pointers (\"{}\", ...) at {table:#x}: read-only data.",
        AREA_NAMES.len(),
        AREA_NAMES[0]
    );
    brief(konst);
    let relro = relro_start(&args);
    println!("   The seed's K is the table of addresses (.got, .data.rel.ro) the dynamic linker");
    println!(
        "   fills in, then makes read-only (RELRO). ELF's PT_GNU_RELRO puts ours at {relro:#x}:"
    );
    brief(relro);
    println!(
        "   Static binary: the linker wrote final addresses (our table even went to .rodata);"
    );
    println!("   no dynamic linker runs, so nobody makes this page read-only: it stays rw-p.");

    let data = (&raw mut COUNTER) as u64;
    let bss = (&raw mut ZEROS) as u64;
    let bss_last = bss + 2 * PAGE - 1;
    // SAFETY: single-threaded; plain reads and writes of our own statics through raw pointers.
    let counter = unsafe {
        let c = &raw mut COUNTER;
        c.write_volatile(c.read_volatile() + 1);
        c.read_volatile()
    };
    poke(bss_last, 1);
    println!("-- S (static data): COUNTER, initialised to 41, is at {data:#x}; now {counter}.");
    println!(
        "   Read-write, private (p): writes go to a private copy of the file's page, never to"
    );
    println!("   the file (copy-on-write).");
    brief(data);
    println!("   ZEROS (8 KiB, zero-initialised: .bss) is at {bss:#x}. The file only records its");
    println!("   size; past the last file page it gets anonymous zero-filled pages.");
    brief(bss_last);
    println!("   C, K and S are backed by the executable (vm_file) at the file offset where each");
    println!("   segment starts (vm_pgoff = offset / 4096): the offset column of /proc/self/maps.");

    // 2. D: the heap, grown by sbrk.
    println!("\n-- D (heap): grown on request with sbrk, a thin layer over the brk system call.");
    let top = sbrk(0).unwrap_or(0);
    println!("   sbrk(0) = {top:#x}: the current top of the heap (nothing allocated yet).");
    let Some(old) = sbrk(3 * PAGE as i64) else {
        println!("   sbrk(3*4096) failed");
        return 1;
    };
    poke(old, 0xd);
    poke(old + 3 * PAGE - 1, 0xd);
    let heap = old;
    println!(
        "   sbrk(3*4096) = {old:#x}: the old top, start of the new space; written at both ends."
    );
    println!(
        "   sbrk(0) = {:#x}: 3 pages higher. The area:",
        sbrk(0).unwrap_or(0)
    );
    show_area(old);
    note_heap_joined(old);

    // 3. M: a file mapped into memory.
    let argv0 = args.get(0).unwrap_or(b"/bin/demo");
    let mut path = [0u8; 256];
    let len = argv0.len().min(path.len() - 1);
    path[..len].copy_from_slice(&argv0[..len]);
    let fd = open(&path[..len + 1], O_RDONLY);
    println!(
        "\n-- M (memory-mapped file): open(\"{}\") = {fd}: our own executable.",
        args.argv0()
    );
    if fd < 0 {
        println!("   open failed: {}", errno_name(fd));
        return 1;
    }
    let m = mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    close(fd as u64);
    if m < 0 {
        println!("   mmap failed: {}", errno_name(m));
        return 1;
    }
    let m = m as u64;
    println!("   mmap(1 page, read-only, file offset 0x1000) = {m:#x}:");
    show_area(m);
    println!("   vm_file = the file, vm_pgoff = 1 (0x1000 / 4096): the offset column. A fault");
    println!("   reads the page at vm_pgoff + (address - start) / 4096 from the file.");
    same_page_elsewhere(m);

    // 4. Anonymous memory and demand paging.
    let anon = mmap(
        0,
        2 * PAGE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    );
    if anon < 0 {
        println!("   mmap anonymous failed: {}", errno_name(anon));
        return 1;
    }
    let anon = anon as u64;
    println!(
        "\n-- Anonymous mmap: 2 pages rw at {anon:#x}, no file behind them (malloc's big blocks)."
    );
    show_area(anon);
    println!("   Demand paging: mmap only recorded the area; pages come in on first touch.");
    let mut buf = [0u8; 512];
    let counters = mmstat(&mut buf).and_then(|_| mmstat(&mut buf)); // the first read warms buf
    match counters {
        None => {
            println!("   /proc/self/mmstat does not exist (Linux): no counters; touching anyway.");
            let _ = peek(anon);
            poke(anon, 1);
        }
        Some(s0) => {
            println!(
                "   /proc/self/mmstat now: faults {} zero_page_maps {} rss_anon {}",
                s0.faults, s0.zero_page_maps, s0.rss_anon
            );
            let _ = peek(anon);
            let s1 = mmstat(&mut buf).unwrap_or(s0);
            show_delta("read page 0:", s0, s1);
            println!("     (a read maps the shared zero page, read-only: no memory used yet)");
            poke(anon, 1);
            let s2 = mmstat(&mut buf).unwrap_or(s1);
            show_delta("write page 0:", s1, s2);
            println!(
                "     (a write gets a fresh zeroed frame of its own in place of the zero page)"
            );
            poke(anon + 1, 2);
            let s3 = mmstat(&mut buf).unwrap_or(s2);
            show_delta("write page 0 again:", s2, s3);
            println!("     (page 1, never touched, still uses no memory)");
        }
    }

    // 5. The stack.
    let local = 0u64;
    let here = (&raw const local) as u64;
    println!(
        "\n-- Stack: a local variable is at {here:#x}. The area grows down by itself on faults."
    );
    let mut buf = [0u8; 4096];
    let maps = read_text(MAPS, &mut buf).unwrap_or("");
    if let Some(st) = areas(maps).find(|a| a.contains(here)) {
        println!("  {}", st.line.trim_end());
        // The argument and environment strings are the highest things on the stack; argv[0]'s is
        // the lowest of them.
        let strings = argv0.as_ptr() as u64 & !(PAGE - 1);
        let arg_pages = (st.end - strings) / PAGE;
        println!(
            "   {} pages: at exec, Linux's setup_arg_pages gives the stack the pages holding the",
            st.pages()
        );
        println!(
            "   argv/envp strings ({arg_pages} here) plus 128 KiB (32 pages) below them. The seed's"
        );
        println!("   process had 2 pages of arguments and environment: 34 pages.");
        if st.pages() != 32 + arg_pages {
            println!(
                "   (Here that rule gives 32 + {arg_pages} = {} pages.)",
                32 + arg_pages
            );
        }
    }

    // 6. mprotect splits an area, and restoring the rights merges it back.
    println!("\n-- mprotect(page 1 of the anonymous area, read-only): one area becomes two:");
    let r = mprotect(anon + PAGE, PAGE, PROT_READ);
    if r < 0 {
        println!("   mprotect failed: {}", errno_name(r));
    }
    show_area(anon);
    show_area(anon + PAGE);
    println!("   Rights belong to the whole area, so different rights need different areas.");
    mprotect(anon + PAGE, PAGE, PROT_READ | PROT_WRITE);
    println!("   mprotect(rw again): equal neighbours merge back into one area:");
    show_area(anon);

    // 7. The whole map, each line explained.
    println!(
        "\n-- /proc/self/maps: start-end, rights (p = private), file offset, device, inode, name"
    );
    let known: [(&str, u64); 10] = [
        ("C code", code),
        ("K read-only data", konst),
        ("K .got/.data.rel.ro (RELRO)", relro),
        ("S data", data),
        ("bss", bss),
        ("bss", bss_last),
        ("heap (D)", heap),
        ("M file mapping", m),
        ("anonymous mmap", anon),
        ("stack", here),
    ];
    let mut buf = [0u8; 4096];
    let maps = match read_text(MAPS, &mut buf) {
        Ok(text) => text,
        Err(e) => {
            println!("   open /proc/self/maps: {}", errno_name(e));
            return 1;
        }
    };
    for area in areas(maps) {
        println!("{}", area.line.trim_end());
        let mut w = user::fmt::FdWriter::new(1);
        let mut first = true;
        let mut last = "";
        for (label, addr) in known {
            if area.contains(addr) && label != last {
                let sep = if first { "    ^ " } else { " + " };
                let _ = core::fmt::Write::write_fmt(&mut w, format_args!("{sep}{label}"));
                first = false;
                last = label;
            }
        }
        if first {
            let what = match area.name {
                "[vdso]" => "the vDSO: kernel code run in user mode (fast clock calls)",
                "[vvar]" | "[vvar_vclock]" => "read-only kernel data for the vDSO",
                "[vsyscall]" => "legacy fixed-address system-call page",
                _ => "not one of ours",
            };
            let _ = core::fmt::Write::write_fmt(&mut w, format_args!("    ^ {what}"));
        }
        let _ = core::fmt::Write::write_str(&mut w, "\n");
    }
    munmap(anon, 2 * PAGE);
    munmap(m, PAGE);
    println!("Every area above is a VMA in the kernel's tree for this process.");
    copy_on_write();
    huge_page();
    aslr(&args);
    shared_libraries();
    println!("Done.");
    0
}

/// The Rss and AnonHugePages lines (kB) of the smaps entry of the area holding `addr`.
fn smaps_sizes(addr: u64) -> Option<(u64, u64)> {
    let mut buf = [0u8; 16384];
    let smaps = read_text(b"/proc/self/smaps\0", &mut buf).ok()?;
    let mut lines = smaps.lines();
    lines.find(|l| Area::parse(l).is_some_and(|a| a.contains(addr)))?;
    let kb = |key: &str| {
        let line = lines.clone().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches(" kB")
            .trim()
            .parse()
            .ok()
    };
    Some((kb("Rss:")?, kb("AnonHugePages:")?))
}

/// Prints what smaps says of the area holding `addr`.
fn show_sizes(addr: u64) {
    match smaps_sizes(addr) {
        Some((rss, huge)) => println!("   smaps: Rss {rss} kB, AnonHugePages {huge} kB"),
        None => println!("   (no smaps entry)"),
    }
}

const PAGEMAP: &[u8] = b"/proc/self/pagemap\0";

/// What /proc/self/pagemap says of the page at `addr`: (present, mapped by this process alone,
/// frame number: 0 unless root).
fn pagemap_entry(addr: u64) -> Option<(bool, bool, u64)> {
    let fd = open(PAGEMAP, 0);
    if fd < 0 {
        return None;
    }
    let mut entry = 0u64;
    let offset = addr / PAGE * 8;
    let n = raw(
        abi::nr::PREAD64,
        [fd as u64, (&raw mut entry) as u64, 8, offset, 0, 0],
    );
    close(fd as u64);
    (n == 8).then_some((
        entry >> 63 != 0,
        entry >> 56 & 1 != 0,
        entry & ((1 << 55) - 1),
    ))
}

/// One line about the page at `addr`, as `who` sees it.
fn show_frame(who: &str, addr: u64) {
    match pagemap_entry(addr) {
        Some((true, alone, pfn)) => println!(
            "   {who}: frame {pfn:#x}, {}",
            if alone {
                "mapped by this process alone"
            } else {
                "shared with another process"
            }
        ),
        Some((false, ..)) => println!("   {who}: not present"),
        None => println!("   {who}: /proc/self/pagemap cannot be read"),
    }
}

/// Step 8, fork and copy-on-write seen through /proc/self/pagemap: the child gets the parent's
/// pages, shared and write-protected; the first write by either copies the page for the writer,
/// and the other, now alone with the page, writes to it in place.
fn copy_on_write() {
    println!(
        "
-- fork and copy-on-write, seen in /proc/self/pagemap (an entry per page: present,"
    );
    println!("   mapped once or shared, and for root the frame number):");
    let page = mmap(
        0,
        PAGE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    );
    if page < 0 {
        println!("   mmap failed: {}", errno_name(page));
        return;
    }
    let page = page as u64;
    poke(page, 1);
    show_frame("parent, a page it wrote", page);
    let mut to_parent = [0i32; 2];
    let mut to_child = [0i32; 2];
    raw(abi::nr::PIPE2, [(&raw mut to_parent) as u64, 0, 0, 0, 0, 0]);
    raw(abi::nr::PIPE2, [(&raw mut to_child) as u64, 0, 0, 0, 0, 0]);
    let pid = fork();
    if pid == 0 {
        show_frame("child, just after fork", page);
        println!("   (fork copied no page: both map the parent's frame, write-protected)");
        poke(page, 2);
        show_frame("child, after writing", page);
        println!("   (the write faulted: the page was shared, so the child got a copy)");
        write(to_parent[1] as u64, b"w");
        let mut byte = [0u8];
        read(to_child[0] as u64, &mut byte);
        exit(0);
    }
    if pid < 0 {
        println!("   fork: {}", errno_name(pid));
        return;
    }
    let mut byte = [0u8];
    read(to_parent[0] as u64, &mut byte);
    show_frame("parent, after the child's copy", page);
    poke(page, 3);
    show_frame("parent, after writing", page);
    println!("   (alone with the page again, the parent's write fault reused it in place: no");
    println!("   copy. The seeds' sole-owner reuse, Linux's do_wp_page reusing the page.)");
    write(to_child[1] as u64, b"x");
    let mut status = 0;
    wait4(pid, &mut status, 0);
    for fd in [to_parent[0], to_parent[1], to_child[0], to_child[1]] {
        close(fd as u64);
    }
    munmap(page, PAGE);
}

/// 9. A transparent huge page: one write fault maps 2 MiB with a single page-table entry.
fn huge_page() {
    const HUGE: u64 = 2 << 20;
    println!("\n-- A huge page: 2 MiB mapped by one entry of the page directory (a PMD),");
    println!("   where a 4 KiB page needs one entry in a page table below it.");
    let raw = mmap(
        0,
        2 * HUGE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    );
    if raw < 0 {
        println!("   mmap failed: {}", errno_name(raw));
        return;
    }
    let raw = raw as u64;
    let area = raw.next_multiple_of(HUGE);
    madvise(area, HUGE, MADV_HUGEPAGE);
    println!("   mmap 4 MiB; madvise(MADV_HUGEPAGE) on the 2 MiB-aligned half at {area:#x};");
    println!("   one byte written there:");
    poke(area, 1);
    show_sizes(area);
    match smaps_sizes(area) {
        Some((_, huge)) if huge > 0 => {
            println!("   One fault brought in 2 MiB: a huge page (AnonHugePages), 1 TLB entry.");
            mprotect(area + PAGE, PAGE, PROT_READ);
            println!("   mprotect of one page inside it splits it into 512 small entries, same");
            println!("   frames, contents kept. The area splits in three; the pages after it:");
            show_sizes(area + 2 * PAGE);
        }
        _ => {
            println!("   Only 4 KiB came in: huge pages are off (under 512 MiB of memory, or");
            println!("   transparent_hugepage=never). `make run` gives the machine 1 GiB.");
        }
    }
    munmap(raw, 2 * HUGE);
}

/// 10. ASLR: the same program run twice more, each run printing where its areas went.
fn aslr(args: &Args) {
    println!("\n-- ASLR: this same program, run twice more with execve, says where things are:");
    let argv0 = args.get(0).unwrap_or(b"/bin/demo");
    let mut path = [0u8; 256];
    let len = argv0.len().min(path.len() - 1);
    path[..len].copy_from_slice(&argv0[..len]);
    const CHILD: &[u8] = b"aslr-child\0";
    for _ in 0..2 {
        let pid = fork();
        if pid == 0 {
            let argv = [path.as_ptr(), CHILD.as_ptr(), core::ptr::null()];
            let envp = [core::ptr::null()];
            let r = execve(&path[..len + 1], &argv, &envp);
            println!("   (execve: {})", errno_name(r));
            exit(1);
        }
        let mut status = 0;
        wait4(pid, &mut status, 0);
    }
    println!("   Every execve puts the stack, the heap and the mmap area (with the libraries a");
    println!("   dynamic program maps there) somewhere else, each by its own random amount, as");
    println!("   Linux's randomize_va_space = 2 does; a position-independent program moves as a");
    println!("   block too (this one is not: its code stays put). `setarch -R` (personality");
    println!("   ADDR_NO_RANDOMIZE) or `norandmaps` on the kernel command line turns it off.");
}

/// The child of [`aslr`]: one line of addresses.
fn aslr_child() -> i32 {
    let local = 0u8;
    let heap = sbrk(0).unwrap_or(0);
    let m = mmap(
        0,
        PAGE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    );
    println!(
        "   pid {}: stack {:#x}  heap {heap:#x}  mmap {m:#x}  code {:#x}",
        getpid(),
        (&raw const local) as u64,
        main as fn(Args) -> i32 as usize
    );
    0
}

/// A dynamically linked program, for the last part of the tour: Debian's own `cat`, which
/// `make run` puts into the initramfs with its loader and libc.
const DYNAMIC_CAT: &[u8] = b"/usr/bin/cat\0";

/// 11. Shared libraries: a child runs Debian's `cat` on its own /proc/self/maps.
fn shared_libraries() {
    println!(
        "\n-- Shared libraries: this demo is linked statically; Debian's /usr/bin/cat is not."
    );
    println!("   Its PT_INTERP names the loader, /lib64/ld-linux-x86-64.so.2: execve maps the");
    println!("   loader right below the mmap base and starts there (AT_BASE says where it is,");
    println!("   AT_PHDR and AT_ENTRY where cat is); the loader maps libc.so.6 itself with mmap");
    println!("   and mprotect. Each library: r--p headers, r-xp code, r--p constants, r--p RELRO");
    println!("   (relocated, then made read-only), rw-p data, and its bss as anonymous memory.");
    println!("   cat's own map:");
    let pid = fork();
    if pid == 0 {
        const CAT: &[u8] = b"cat\0";
        let argv = [CAT.as_ptr(), MAPS.as_ptr(), core::ptr::null()];
        let envp = [core::ptr::null()];
        let r = execve(DYNAMIC_CAT, &argv, &envp);
        println!(
            "   (execve /usr/bin/cat: {}; `make run` adds it)",
            errno_name(r)
        );
        exit(0);
    }
    if pid < 0 {
        println!("   fork: {}", errno_name(pid));
        return;
    }
    let mut status = 0;
    wait4(pid, &mut status, 0);
}
