//! Leaving QEMU: the `isa-debug-exit` device (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`).
//!
//! A write of `v` makes QEMU exit with status `(v << 1) | 1`, so only a few bits get through. The
//! kernel therefore uses two values, "powered off normally" and "panicked", and prints the exact exit
//! status on the console just before (`[kernel] power off: exit status N`); the host runner in `boot/`
//! reads both and turns them into its own exit status.

use super::port;

const ISA_DEBUG_EXIT_PORT: u16 = 0xf4;

/// What the kernel tells the runner when it leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum QemuExit {
    /// An orderly power off; the console carries the exit status. QEMU exits with 0x21.
    PowerOff = 0x10,
    /// A kernel panic or a fatal CPU exception in the kernel. QEMU exits with 0x23.
    Panic = 0x11,
}

/// Leaves QEMU; halts forever if the device is absent (real hardware, or QEMU run without it).
pub fn exit(how: QemuExit) -> ! {
    // SAFETY: port 0xf4 is the isa-debug-exit device in every configuration the runner starts; on a
    // machine without it the write goes nowhere.
    unsafe { port::outl(ISA_DEBUG_EXIT_PORT, how as u32) };
    super::halt_forever()
}
