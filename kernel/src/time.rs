//! Time: the periodic tick (jiffies) and a monotonic clock in nanoseconds from the TSC, whose rate is
//! calibrated at boot against the PIT. Under QEMU's `-icount shift=0` the TSC counts guest
//! instructions, which makes benchmark figures deterministic.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::arch::{cpu, pic};

/// Timer interrupts per second (Linux's CONFIG_HZ).
pub const HZ: u32 = 250;

static JIFFIES: AtomicU64 = AtomicU64::new(0);
static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static TSC_HZ: AtomicU64 = AtomicU64::new(0);

/// Records the TSC at boot, so that log timestamps start near zero.
pub fn early_init() {
    BOOT_TSC.store(cpu::rdtsc(), Ordering::Relaxed);
}

/// Calibrates the TSC over 10 ms of PIT time and starts the periodic tick.
pub fn init() {
    const CALIBRATION_PIT_TICKS: u16 = 11_932; // 10 ms at 1.193182 MHz
    let start = cpu::rdtsc();
    pic::wait_pit_ticks(CALIBRATION_PIT_TICKS);
    let elapsed = cpu::rdtsc().wrapping_sub(start);
    let hz = elapsed.saturating_mul(pic::PIT_HZ) / CALIBRATION_PIT_TICKS as u64;
    TSC_HZ.store(hz.max(1), Ordering::Relaxed);
    pic::start_periodic_timer(HZ);
}

/// Called by the timer interrupt.
pub fn tick() {
    JIFFIES.fetch_add(1, Ordering::Relaxed);
}

/// Timer ticks since the timer started.
pub fn jiffies() -> u64 {
    JIFFIES.load(Ordering::Relaxed)
}

/// The calibrated TSC frequency, or 0 before calibration.
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}

/// Nanoseconds since boot (0 until the TSC is calibrated).
pub fn now_ns() -> u64 {
    let hz = tsc_hz();
    if hz == 0 {
        return 0;
    }
    let ticks = cpu::rdtsc().wrapping_sub(BOOT_TSC.load(Ordering::Relaxed));
    ((ticks as u128 * 1_000_000_000) / hz as u128) as u64
}
