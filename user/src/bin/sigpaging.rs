//! User-level paging with a SIGSEGV handler: the classic demonstration (and how garbage collectors
//! and distributed shared memory use page protection). The program reserves an area with no
//! access, then uses it as if it were ordinary memory; every first touch of a page faults, and its
//! SIGSEGV handler reads the address from siginfo, makes that one page accessible with mprotect
//! and returns, so that the faulting instruction runs again and succeeds. At the end it prints how
//! many faults the handler served: one per page.
//!
//! Usage: `sigpaging [PAGES]` (default 32). Runs unchanged on Linux (same output).

#![no_std]
#![no_main]

use core::{
    arch::naked_asm,
    sync::atomic::{AtomicU64, Ordering},
};
use user::{Args, println, sys::*};

user::entry!(main);

const PAGE: u64 = 4096;

static FAULTS: AtomicU64 = AtomicU64::new(0);
static ACCERR: AtomicU64 = AtomicU64::new(0);
static AREA: AtomicU64 = AtomicU64::new(0);
static AREA_LEN: AtomicU64 = AtomicU64::new(0);

/// The kernel's `struct sigaction` (what rt_sigaction takes).
#[repr(C)]
struct KSigaction {
    handler: u64,
    flags: u64,
    restorer: u64,
    mask: u64,
}

const SA_SIGINFO: u64 = abi::signal::SA_SIGINFO;
const SA_RESTORER: u64 = abi::signal::SA_RESTORER;

/// Where the handler returns: straight into rt_sigreturn, as a C library's `__restore_rt`.
#[unsafe(naked)]
extern "C" fn restore_rt() {
    naked_asm!("mov eax, 15", "syscall", "ud2")
}

/// The SIGSEGV handler: maps the page of the faulting address, if it is in the area; anything
/// else is a real bug, and the program ends.
extern "C" fn on_segv(_sig: i32, info: *const abi::signal::siginfo, _uc: *mut u8) {
    // SAFETY: the kernel passes a valid siginfo; for SIGSEGV its fault member is the valid one.
    let (addr, code) = unsafe { ((*info).fields.sigfault.si_addr, (*info).si_code) };
    let start = AREA.load(Ordering::Relaxed);
    if addr < start || addr >= start + AREA_LEN.load(Ordering::Relaxed) {
        println!("sigpaging: unexpected fault at {addr:#x}");
        exit_group(1);
    }
    FAULTS.fetch_add(1, Ordering::Relaxed);
    if code == abi::signal::SEGV_ACCERR {
        ACCERR.fetch_add(1, Ordering::Relaxed);
    }
    let page = addr & !(PAGE - 1);
    if mprotect(page, PAGE, PROT_READ | PROT_WRITE) != 0 {
        exit_group(2);
    }
}

fn main(args: Args) -> i32 {
    let pages = args
        .get(1)
        .and_then(|a| core::str::from_utf8(a).ok()?.parse::<u64>().ok())
        .unwrap_or(32);
    let len = pages * PAGE;
    let area = mmap(0, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if area < 0 {
        println!("sigpaging: mmap failed: {area}");
        return 1;
    }
    let area = area as u64;
    AREA.store(area, Ordering::Relaxed);
    AREA_LEN.store(len, Ordering::Relaxed);
    let act = KSigaction {
        handler: on_segv as *const () as u64,
        flags: SA_SIGINFO | SA_RESTORER,
        restorer: restore_rt as *const () as u64,
        mask: 0,
    };
    let r = raw(
        nr::RT_SIGACTION,
        [
            abi::signal::SIGSEGV as u64,
            &act as *const _ as u64,
            0,
            8,
            0,
            0,
        ],
    );
    if r != 0 {
        println!("sigpaging: rt_sigaction failed: {r}");
        return 1;
    }
    println!("sigpaging: {pages} pages reserved with PROT_NONE; the SIGSEGV handler maps them");
    // Write every page, in a stride that is not sequential, then read everything back.
    let mut i = 0;
    for _ in 0..pages {
        i = (i + 7) % pages;
        // SAFETY: inside the area; the handler makes the page accessible on the first touch.
        unsafe { core::ptr::write_volatile((area + i * PAGE + 8) as *mut u64, i * 3 + 1) };
    }
    let after_writes = FAULTS.load(Ordering::Relaxed);
    println!("sigpaging: writing touched every page once: {after_writes} faults");
    let mut sum = 0;
    for i in 0..pages {
        // SAFETY: as above.
        sum += unsafe { core::ptr::read_volatile((area + i * PAGE + 8) as *const u64) };
    }
    println!(
        "sigpaging: wrote and read back {pages} pages, sum {sum} (expected {})",
        (0..pages).map(|i| i * 3 + 1).sum::<u64>()
    );
    println!(
        "sigpaging: {} faults handled, {} of them SEGV_ACCERR",
        FAULTS.load(Ordering::Relaxed),
        ACCERR.load(Ordering::Relaxed)
    );
    0
}
