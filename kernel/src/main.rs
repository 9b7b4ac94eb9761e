//! A bare-metal x86_64 kernel with Linux-style virtual memory.
//!
//! Boot path: the bootloader maps the kernel at -2 GiB and all physical memory at `PHYS_OFFSET`, then
//! jumps to [`kernel_main`]. From there: console → GDT/IDT → CPU protections → frames → page tables →
//! heap → a guarded kernel stack → timer → initramfs → the command line decides what runs.

#![no_std]
#![no_main]
#![feature(abi_x86_interrupt)]
#![feature(allocator_ext)]

extern crate alloc;

mod arch;
mod cmdline;
mod console;
mod entry;
mod exec;
mod fs;
mod futex;
mod initramfs;
mod ipc;
mod ktest;
mod mm;
mod net;
mod process;
mod random;
mod sched;
mod signal;
mod sync;
mod syscall;
mod tests;
mod thread;
mod time;
mod timer;
mod trap;
mod tty;

use bootloader_api::{
    BootInfo, BootloaderConfig,
    config::Mapping,
    info::{MemoryRegionKind, MemoryRegions},
};
use core::sync::atomic::{AtomicU64, Ordering};

use arch::qemu::{self, QemuExit};
use mm::{frame, kstack::KernelStack, layout};

/// What the kernel asks of the bootloader: physical memory mapped at PHYS_OFFSET, the kernel at
/// -2 GiB, and every other mapping the bootloader makes in the upper half, so that the lower half can
/// be handed to user programs whole.
pub const BOOTLOADER_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    config.mappings.physical_memory = Some(Mapping::FixedAddress(layout::PHYS_OFFSET));
    config.mappings.kernel_base = Mapping::FixedAddress(layout::KERNEL_BASE);
    config.mappings.dynamic_range_start = Some(layout::BOOT_DYNAMIC_START);
    config.kernel_stack_size = 128 * 1024;
    config
};

bootloader_api::entry_point!(kernel_main, config = &BOOTLOADER_CONFIG);

/// The ramdisk's location, kept for the second stage (which runs on another stack).
static RAMDISK: AtomicU64 = AtomicU64::new(0);
static RAMDISK_LEN: AtomicU64 = AtomicU64::new(0);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    time::early_init();
    arch::serial::init();
    console::init_logger(log::LevelFilter::Info);
    println!("\n[kernel] booting: a Linux-style virtual memory kernel for x86_64");
    arch::gdt::init();
    arch::idt::init();
    arch::percpu::init();
    arch::syscall::init();
    let prot = arch::cpu::enable_protections();
    log::info!(
        "cpu: NX {} WP {} SMEP {} SMAP {}",
        prot.nx,
        prot.write_protect,
        prot.smep,
        prot.smap
    );

    print_memory_map(&boot_info.memory_regions);
    mm::init(boot_info);
    if let Some(addr) = boot_info.ramdisk_addr.into_option() {
        RAMDISK.store(addr, Ordering::Relaxed);
        RAMDISK_LEN.store(boot_info.ramdisk_len, Ordering::Relaxed);
    }

    // Leave the bootloader's stack for one of our own, with a guard page the double-fault handler knows.
    let stack = KernelStack::new().expect("no memory for the boot kernel stack");
    let top = stack.top().as_u64();
    core::mem::forget(stack);
    // SAFETY: `top` is the top of a freshly mapped kernel stack that is never freed (forgotten above).
    unsafe { arch::context::switch_to_stack(top, kernel_main_stage2) }
}

extern "C" fn kernel_main_stage2() -> ! {
    arch::pic::init();
    time::init();
    x86_64::instructions::interrupts::enable();
    log::info!(
        "timer: {} Hz tick, TSC {} MHz",
        time::HZ,
        time::tsc_hz() / 1_000_000
    );

    let ramdisk = match RAMDISK.load(Ordering::Relaxed) {
        0 => None,
        addr => Some((addr, RAMDISK_LEN.load(Ordering::Relaxed))),
    };
    initramfs::init(ramdisk);
    fs::init();
    tty::init();
    match initramfs::validate() {
        Ok(n) => log::info!("initramfs: {n} entries"),
        Err(e) => log::error!("initramfs: damaged archive: {e}"),
    }
    for file in initramfs::files() {
        log::info!(
            "initramfs: /{:<24} {:>8} bytes  mode {:o}",
            file.path,
            file.data.len(),
            file.mode
        );
    }
    let cmdline = initramfs::lookup("/cmdline")
        .map(|f| core::str::from_utf8(f.data).unwrap_or(""))
        .map(cmdline::Cmdline::parse)
        .unwrap_or_default();
    console::set_level(cmdline.log_level());
    if cmdline.norandmaps {
        mm::aslr::set_mode(0);
    }
    mm::huge_memory::init(cmdline.transparent_hugepage);
    mm::hugetlb::init(cmdline.hugepages);
    log::info!("cmdline: {:?}", cmdline.raw);
    print_frame_stats();

    if let Some(what) = cmdline.crash.as_deref() {
        crash(what);
    }
    if cmdline.ktest {
        let failed = ktest::run();
        power_off(if failed == 0 { 0 } else { 1 });
    }
    if let Some(init) = cmdline.init.as_deref() {
        sched::init();
        process::run_init(init, &cmdline.init_args);
    }
    power_off(0)
}

/// Prints the bootloader's physical memory map, as Linux prints the e820 map at boot.
fn print_memory_map(regions: &MemoryRegions) {
    println!("[kernel] physical memory map:");
    for r in regions.iter() {
        let kind = match r.kind {
            MemoryRegionKind::Usable => "usable",
            MemoryRegionKind::Bootloader => "bootloader (kernel, page tables, ramdisk)",
            MemoryRegionKind::UnknownBios(_) => "reserved (BIOS)",
            MemoryRegionKind::UnknownUefi(_) => "reserved (UEFI)",
            _ => "reserved",
        };
        println!(
            "    [mem {:#014x}-{:#014x}] {:>9} KiB  {}",
            r.start,
            r.end - 1,
            (r.end - r.start) / 1024,
            kind
        );
    }
}

/// Prints the frame allocator's counts.
fn print_frame_stats() {
    let stats = frame::stats();
    let per_order = frame::free_blocks_per_order();
    println!(
        "[kernel] frames: {} total, {} free, {} used ({} KiB free)",
        stats.total,
        stats.free,
        stats.used(),
        stats.free * 4
    );
    println!(
        "[kernel] free blocks per order (0..={}): {:?}",
        buddy::MAX_ORDER,
        per_order
    );
}

/// Fails on purpose, so the tests can check that failures are reported, not silent.
fn crash(what: &str) -> ! {
    match what {
        "page-fault" => {
            log::info!("crash: reading unmapped address 0xdeadbeef000");
            // SAFETY: none; this read is meant to fault, and the fault handler stops the kernel.
            let value = unsafe { core::ptr::read_volatile(0x0dea_dbee_f000 as *const u64) };
            panic!("read of an unmapped address returned {value}");
        }
        "stack-overflow" => {
            log::info!("crash: unbounded recursion on the kernel stack");
            let depth = recurse(0);
            panic!("recursion returned {depth}");
        }
        "hang" => {
            log::info!("crash: hanging with interrupts on (the runner's timeout must end this)");
            loop {
                x86_64::instructions::hlt();
            }
        }
        "triple-fault" => {
            log::info!("crash: loading an empty IDT and raising an exception");
            arch::idt::load_empty_and_trap()
        }
        other => panic!("unknown crash= value {other:?}"),
    }
}

#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let frame = [depth; 64];
    core::hint::black_box(&frame);
    recurse(depth + 1) + frame[depth as usize % 64]
}

/// Powers off, telling the runner the exit status.
pub fn power_off(status: i32) -> ! {
    println!("[kernel] power off: exit status {status}");
    qemu::exit(QemuExit::PowerOff)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    arch::serial::emergency_write_fmt(format_args!("\n[kernel] panic: {info}\n"));
    qemu::exit(QemuExit::Panic)
}
