//! The legacy 8259 interrupt controllers and the 8254 programmable interval timer (PIT).
//!
//! The PICs are remapped to vectors 32..48 (the CPU reserves 0..32 for exceptions) and everything but
//! the timer is masked. The PIT's channel 0 drives the periodic tick; channel 2 (gated by port 0x61)
//! serves as a known clock for calibrating the TSC.

use super::port::{inb, outb};

pub const IRQ_BASE: u8 = 32;
pub const TIMER_IRQ: u8 = 0;

const PIC1_CMD: u16 = 0x20;
const PIC1_DATA: u16 = 0x21;
const PIC2_CMD: u16 = 0xa0;
const PIC2_DATA: u16 = 0xa1;
const EOI: u8 = 0x20;

/// The PIT's input clock, in Hz.
pub const PIT_HZ: u64 = 1_193_182;
const PIT_CH0: u16 = 0x40;
const PIT_CH2: u16 = 0x42;
const PIT_CMD: u16 = 0x43;
const PORT_B: u16 = 0x61;

/// Remaps both PICs and masks every line except the timer (and the cascade).
pub fn init() {
    // SAFETY: the standard 8259 initialisation sequence (ICW1..ICW4) on the standard ports.
    unsafe {
        outb(PIC1_CMD, 0x11);
        outb(PIC2_CMD, 0x11);
        outb(PIC1_DATA, IRQ_BASE);
        outb(PIC2_DATA, IRQ_BASE + 8);
        outb(PIC1_DATA, 4); // slave on IRQ 2
        outb(PIC2_DATA, 2);
        outb(PIC1_DATA, 0x01); // 8086 mode
        outb(PIC2_DATA, 0x01);
        outb(PIC1_DATA, !((1 << TIMER_IRQ) | (1 << 2)));
        outb(PIC2_DATA, 0xff);
    }
}

/// Acknowledges an interrupt.
pub fn end_of_interrupt(irq: u8) {
    // SAFETY: writing EOI to the PIC(s) that delivered `irq`.
    unsafe {
        if irq >= 8 {
            outb(PIC2_CMD, EOI);
        }
        outb(PIC1_CMD, EOI);
    }
}

/// Handles IRQ 7 or 15, which the PIC raises spuriously: acknowledge only if it was real.
pub fn spurious(irq: u8) {
    // SAFETY: OCW3 "read ISR" then a read of the command port, the documented way to tell.
    let in_service = unsafe {
        let cmd = if irq >= 8 { PIC2_CMD } else { PIC1_CMD };
        outb(cmd, 0x0b);
        inb(cmd)
    };
    if in_service & (1 << (irq % 8)) != 0 {
        end_of_interrupt(irq);
    } else if irq >= 8 {
        // The master saw a real cascade interrupt from the slave.
        end_of_interrupt(0);
    }
}

/// Programs PIT channel 0 as a rate generator at `hz` interrupts per second.
pub fn start_periodic_timer(hz: u32) {
    let divisor = (PIT_HZ / hz as u64).clamp(1, 0xffff) as u16;
    // SAFETY: channel 0, lobyte/hibyte, mode 2; the timer IRQ handler is installed.
    unsafe {
        outb(PIT_CMD, 0b0011_0100);
        outb(PIT_CH0, divisor as u8);
        outb(PIT_CH0, (divisor >> 8) as u8);
    }
}

/// Busy-waits `ticks` PIT input clocks (at most 0xffff) on channel 2. Used to calibrate the TSC
/// against a known clock.
pub fn wait_pit_ticks(ticks: u16) {
    // SAFETY: channel 2 belongs to the PC speaker, which the kernel does not use; the speaker output
    // stays off (bit 1 of port B clear), only the gate (bit 0) is raised.
    unsafe {
        let b = inb(PORT_B);
        outb(PORT_B, (b & !0x02) | 0x01);
        outb(PIT_CMD, 0b1011_0000); // channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count)
        outb(PIT_CH2, ticks as u8);
        outb(PIT_CH2, (ticks >> 8) as u8);
        // Restart the count by toggling the gate.
        let b = inb(PORT_B);
        outb(PORT_B, b & !0x01);
        outb(PORT_B, b | 0x01);
        // Bit 5 of port B is channel 2's output: it goes high at terminal count.
        while inb(PORT_B) & 0x20 == 0 {
            core::hint::spin_loop();
        }
    }
}

/// Lets the PIC deliver `irq` (a line of the master PIC).
pub fn unmask(irq: u8) {
    debug_assert!(irq < 8, "only master lines are used");
    // SAFETY: reading and writing the master PIC's interrupt mask register; clearing a bit only
    // lets a line whose handler is installed through.
    unsafe {
        let mask = inb(PIC1_DATA);
        outb(PIC1_DATA, mask & !(1 << irq));
    }
}
