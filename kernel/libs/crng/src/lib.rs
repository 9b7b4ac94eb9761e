//! The kernel's random numbers (what getrandom, /dev/urandom and AT_RANDOM give): a ChaCha20
//! generator with fast key erasure, as Linux's drivers/char/random.c `crng`. The kernel seeds it
//! at boot from whatever entropy the machine has (RDSEED/RDRAND where the CPU has them, the TSC and
//! the real-time clock otherwise) and mixes more in later with [`Crng::mix`].
//!
//! Each request runs ChaCha20 on the current key: the first 32 bytes of output become the next key
//! at once (so a later compromise of the state cannot recover earlier output), the rest is
//! returned. This crate is pure: RFC 8439's test vector checks the block function.
#![no_std]

/// ChaCha20's constant words, "expand 32-byte k".
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

fn quarter_round(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// One ChaCha20 block (RFC 8439 section 2.3): 64 bytes of key stream for `key`, block `counter`
/// and `nonce`.
pub fn chacha20_block(key: &[u8; 32], counter: u32, nonce: &[u8; 12]) -> [u8; 64] {
    let mut state = [0u32; 16];
    state[..4].copy_from_slice(&SIGMA);
    for i in 0..8 {
        state[4 + i] = u32::from_le_bytes(key[4 * i..4 * i + 4].try_into().unwrap());
    }
    state[12] = counter;
    for i in 0..3 {
        state[13 + i] = u32::from_le_bytes(nonce[4 * i..4 * i + 4].try_into().unwrap());
    }
    let mut working = state;
    for _ in 0..10 {
        quarter_round(&mut working, 0, 4, 8, 12);
        quarter_round(&mut working, 1, 5, 9, 13);
        quarter_round(&mut working, 2, 6, 10, 14);
        quarter_round(&mut working, 3, 7, 11, 15);
        quarter_round(&mut working, 0, 5, 10, 15);
        quarter_round(&mut working, 1, 6, 11, 12);
        quarter_round(&mut working, 2, 7, 8, 13);
        quarter_round(&mut working, 3, 4, 9, 14);
    }
    let mut out = [0u8; 64];
    for i in 0..16 {
        let word = working[i].wrapping_add(state[i]);
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// The generator's state: a key, and a counter of requests used as the nonce so that two requests
/// never share a key stream even if the key were to repeat.
pub struct Crng {
    key: [u8; 32],
    generation: u64,
}

impl Crng {
    /// A generator keyed with `seed` (which should hold all the entropy the caller has).
    pub const fn new(seed: [u8; 32]) -> Self {
        Crng {
            key: seed,
            generation: 0,
        }
    }

    /// Mixes more entropy into the key: the new key is a block of the old key stream XORed with
    /// `input` (hashing by the cipher itself; whatever `input` is, the key does not get weaker).
    pub fn mix(&mut self, input: &[u8; 32]) {
        let block = self.next_block();
        for (i, k) in self.key.iter_mut().enumerate() {
            *k = block[i] ^ input[i];
        }
    }

    fn next_block(&mut self) -> [u8; 64] {
        self.generation = self.generation.wrapping_add(1);
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&self.generation.to_le_bytes());
        chacha20_block(&self.key, 0, &nonce)
    }

    /// Fills `out` with random bytes. The key is replaced after every block, so every 32 bytes of
    /// output cost one ChaCha20 block.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(32) {
            let block = self.next_block();
            self.key.copy_from_slice(&block[..32]);
            chunk.copy_from_slice(&block[32..32 + chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8439, section 2.3.2.
    #[test]
    fn rfc8439_block() {
        let key: [u8; 32] = core::array::from_fn(|i| i as u8);
        let nonce = [0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0];
        let out = chacha20_block(&key, 1, &nonce);
        let expected: [u8; 64] = [
            0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20,
            0x71, 0xc4, 0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a,
            0xc3, 0xd4, 0x6c, 0x4e, 0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2,
            0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2, 0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9,
            0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e,
        ];
        assert_eq!(out, expected);
    }

    #[test]
    fn output_differs_between_requests_and_seeds() {
        let mut a = Crng::new([7; 32]);
        let mut b = Crng::new([7; 32]);
        let (mut x, mut y, mut z) = ([0u8; 48], [0u8; 48], [0u8; 48]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y, "the same seed gives the same stream");
        a.fill(&mut z);
        assert_ne!(x, z, "a second request gives new bytes");
        let mut c = Crng::new([8; 32]);
        c.fill(&mut z);
        assert_ne!(x, z);
        b.mix(&[1; 32]);
        b.fill(&mut y);
        a.fill(&mut x);
        assert_ne!(x, y, "mixing changes the stream");
    }

    #[test]
    fn bytes_look_uniform() {
        let mut g = Crng::new([0; 32]);
        let mut buf = [0u8; 64 * 1024];
        g.fill(&mut buf);
        let mut counts = [0u32; 256];
        for b in buf {
            counts[b as usize] += 1;
        }
        // 256 expected per value; a generous bound that a broken generator fails.
        assert!(
            counts.iter().all(|&c| (150..370).contains(&c)),
            "{counts:?}"
        );
    }
}
