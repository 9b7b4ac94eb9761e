//! The kernel's random numbers (Linux's drivers/char/random.c): one ChaCha20 generator (the `crng`
//! crate) behind getrandom, AT_RANDOM and /dev/random and /dev/urandom.
//!
//! It is seeded at boot from the CPU's RDSEED/RDRAND when present, and always also from the TSC
//! and the real-time clock, so that two boots differ even on a CPU without a random-number
//! instruction (QEMU's TCG default). Timer interrupts mix in the TSC now and then (its low bits
//! depend on when the interrupt was taken), so the state keeps moving as Linux's does from
//! interrupt timings. Like Linux since 5.18 there is one pool: /dev/random and /dev/urandom give
//! the same stream, and getrandom never blocks once the generator is seeded, which is at boot.

use crng::Crng;

use crate::{arch::cpu, sync::IrqMutex};

static CRNG: IrqMutex<Crng> = IrqMutex::new(Crng::new([0; 32]));

/// 32 bytes of whatever entropy the machine offers now.
fn gather() -> [u8; 32] {
    let mut seed = [0u8; 32];
    for (i, chunk) in seed.chunks_mut(8).enumerate() {
        let word = match cpu::hardware_random() {
            Some(hw) => hw ^ cpu::rdtsc(),
            None => cpu::rdtsc().rotate_left(i as u32 * 16),
        };
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    seed
}

/// Seeds the generator (at boot, once the real-time clock has been read).
pub fn init(realtime_seconds: i64) {
    let mut seed = gather();
    for (s, t) in seed.iter_mut().zip(realtime_seconds.to_le_bytes()) {
        *s ^= t;
    }
    CRNG.lock().mix(&seed);
}

/// Mixes the TSC in (called from the timer interrupt every so often).
pub fn add_interrupt_randomness() {
    let mut input = [0u8; 32];
    input[..8].copy_from_slice(&cpu::rdtsc().to_le_bytes());
    CRNG.lock().mix(&input);
}

/// Fills `out` with random bytes.
pub fn fill(out: &mut [u8]) {
    CRNG.lock().fill(out);
}
