//! The serial console on COM1. Everything the kernel and its programs print goes here, and what is
//! typed comes in here; the runner connects it to its terminal or pipes (`-serial stdio`). The
//! kernel's own messages go out with "\n" as "\r\n", as Linux's serial console writes them;
//! programs' output goes through the console tty's output processing ([`crate::tty`]), which does
//! the same by default.

use core::fmt::{self, Write};
use uart_16550::{Config, Uart16550, backend::PioBackend};

use crate::sync::IrqMutex;

const COM1: u16 = 0x3f8;

/// COM1 with `fmt::Write` on top.
struct Com1(Uart16550<PioBackend>);

impl Com1 {
    /// # Safety
    /// Only one `Com1` may be in normal use; see `emergency_write_fmt` for the exception.
    unsafe fn new() -> Self {
        // SAFETY: 0x3f8..0x3ff is COM1 on every PC and on QEMU's machines; nothing else drives it.
        Com1(unsafe { Uart16550::new_port(COM1) }.expect("COM1 is a valid port base"))
    }
}

impl Write for Com1 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for piece in s.as_bytes().split_inclusive(|&b| b == b'\n') {
            match piece.split_last() {
                Some((b'\n', line)) => {
                    self.0.send_bytes_exact(line);
                    self.0.send_bytes_exact(b"\r\n");
                }
                _ => self.0.send_bytes_exact(piece),
            }
        }
        Ok(())
    }
}

/// The interrupt line of COM1 on the legacy PIC.
pub const COM1_IRQ: u8 = 4;

static CONSOLE: IrqMutex<Option<Com1>> = IrqMutex::new(None);

/// Programs the UART (115200 8N1, FIFOs on). Call once, first thing at boot.
pub fn init() {
    // SAFETY: this is the one normal-use instance.
    let mut com1 = unsafe { Com1::new() };
    // A UART that fails its self-test still takes writes on QEMU; carry on rather than stay mute.
    let _ = com1.0.init(Config::default());
    *CONSOLE.lock() = Some(com1);
}

/// Writes formatted text to the console. Used by the `print!` family and the logger.
pub fn write_fmt(args: fmt::Arguments) {
    if let Some(com1) = CONSOLE.lock().as_mut() {
        let _ = com1.write_fmt(args);
    }
}

/// Writes raw bytes (user programs' output) to the console.
pub fn write_bytes(bytes: &[u8]) {
    if let Some(com1) = CONSOLE.lock().as_mut() {
        com1.0.send_bytes_exact(bytes);
    }
}

/// Writes to the console even if its lock is held: for panics and double faults, where the holder
/// may be the code that just failed. Output may interleave with a half-written line; that beats silence.
pub fn emergency_write_fmt(args: fmt::Arguments) {
    // SAFETY: a second handle on the already initialised UART; the worst outcome is interleaving.
    let mut com1 = unsafe { Com1::new() };
    let _ = com1.write_fmt(args);
}

/// Turns on COM1's receive interrupt and lets the PIC deliver it.
pub fn enable_receive_interrupt() {
    if let Some(com1) = CONSOLE.lock().as_mut() {
        com1.0
            .enable_interrupts(uart_16550::spec::registers::IER::DATA_READY);
    }
    super::pic::unmask(COM1_IRQ);
}

/// Takes the bytes waiting in the receive FIFO (at most `buf.len()`); 0 if none.
pub fn receive(buf: &mut [u8]) -> usize {
    CONSOLE
        .lock()
        .as_mut()
        .map_or(0, |com1| com1.0.receive_bytes(buf))
}
