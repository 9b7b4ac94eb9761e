//! Everything that is specific to x86_64 and talks to the CPU or to devices directly.

pub mod context;
pub mod cpu;
pub mod gdt;
pub mod idt;
pub mod percpu;
pub mod pic;
pub mod port;
pub mod qemu;
pub mod rtc;
pub mod serial;
pub mod syscall;
pub mod uaccess;

/// Halts the CPU forever with interrupts off: the end of the line after a power off or a panic.
pub fn halt_forever() -> ! {
    x86_64::instructions::interrupts::disable();
    loop {
        x86_64::instructions::hlt();
    }
}
