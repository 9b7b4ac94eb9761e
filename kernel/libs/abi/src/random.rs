//! getrandom(2) flags (include/uapi/linux/random.h).

/// Fail with EAGAIN instead of blocking while the generator is not yet seeded.
pub const GRND_NONBLOCK: u64 = 0x0001;
/// Historically the blocking pool; since Linux 5.6 the same generator.
pub const GRND_RANDOM: u64 = 0x0002;
/// Never block, even unseeded (Linux 5.6). Not with GRND_RANDOM.
pub const GRND_INSECURE: u64 = 0x0004;
