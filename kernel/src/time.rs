//! Time: the periodic tick (jiffies), a monotonic clock in nanoseconds from the TSC, whose rate is
//! calibrated at boot against the PIT, and the wall clock (CLOCK_REALTIME): the CMOS real-time
//! clock read once at boot plus the monotonic time since, as Linux's timekeeping does without NTP.
//! Under QEMU's `-icount shift=0` the TSC counts guest instructions, which makes benchmark figures
//! deterministic.
//!
//! | clock | source |
//! |---|---|
//! | CLOCK_MONOTONIC, _RAW, _COARSE, CLOCK_BOOTTIME | [`now_ns`]: TSC since boot (nothing suspends) |
//! | CLOCK_REALTIME, _COARSE, CLOCK_TAI | [`realtime_ns`]: RTC at boot + [`now_ns`] |
//! | CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID | [`crate::process::cputime`] |

use core::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::arch::{cpu, pic, rtc};

/// Timer interrupts per second (Linux's CONFIG_HZ).
pub const HZ: u32 = 250;

static JIFFIES: AtomicU64 = AtomicU64::new(0);
static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static TSC_HZ: AtomicU64 = AtomicU64::new(0);
/// CLOCK_REALTIME minus CLOCK_MONOTONIC, in ns (Linux's wall_to_monotonic, negated).
static REALTIME_OFFSET_NS: AtomicI64 = AtomicI64::new(0);

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
    let rtc_seconds = rtc::read_unix_seconds();
    let offset = rtc_seconds
        .saturating_mul(1_000_000_000)
        .saturating_sub(now_ns() as i64);
    REALTIME_OFFSET_NS.store(offset, Ordering::Relaxed);
    crate::random::init(rtc_seconds);
    pic::start_periodic_timer(HZ);
}

/// The wall clock: nanoseconds since the Unix epoch.
pub fn realtime_ns() -> i64 {
    REALTIME_OFFSET_NS
        .load(Ordering::Relaxed)
        .saturating_add(now_ns() as i64)
}

/// Linux starts jiffies five minutes before the 32-bit counter wraps (INITIAL_JIFFIES), so that
/// wrap-around bugs show early; `times()` returns clock ticks counted from there, and so does this.
pub fn clock_t_now() -> i64 {
    const INITIAL_JIFFIES: u64 = (1 << 32) - 300 * HZ as u64;
    let j = INITIAL_JIFFIES + jiffies();
    (j * abi::time::USER_HZ as u64 / HZ as u64) as i64
}

/// Called by the timer interrupt.
pub fn tick() {
    let j = JIFFIES.fetch_add(1, Ordering::Relaxed);
    if j % 64 == 0 {
        crate::random::add_interrupt_randomness();
    }
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
