//! Address-space layout randomisation (Linux's randomize_va_space with the x86-64 choices of
//! arch/x86/mm/mmap.c, fs/binfmt_elf.c and mm/util.c): each execve places the stack top, the mmap
//! base and the heap start at random, page-aligned, each independently, within Linux's ranges.
//!
//! | mode (`/proc/sys/kernel/randomize_va_space`) | randomised |
//! |---|---|
//! | 0 (`norandmaps` on the command line) | nothing |
//! | 1 | the stack and the mmap base (so shared libraries and mappings) |
//! | 2 (the default) | those, and the heap start (brk) |
//!
//! A process whose personality has ADDR_NO_RANDOMIZE (`setarch -R`, personality(2)) gets the
//! fixed layout at its next execve, whatever the mode. The random bits come from the kernel's
//! ChaCha20 generator ([`crate::random`]).

use core::sync::atomic::{AtomicU8, Ordering};

use super::{
    layout::{PAGE_SIZE, TASK_SIZE},
    mm_struct::{MMAP_BASE, STACK_GUARD_GAP, STACK_TOP},
};

/// Linux's ADDR_NO_RANDOMIZE personality flag.
pub const ADDR_NO_RANDOMIZE: u32 = 0x0040000;
/// The stack top moves down by up to this many pages (STACK_RND_MASK: 16 GiB).
const STACK_RND_PAGES: u64 = 0x3f_ffff;
/// The mmap base moves down by up to 2^28 pages (1 TiB; CONFIG_ARCH_MMAP_RND_BITS = 28).
const MMAP_RND_BITS: u32 = 28;
/// The heap starts up to 32 MiB above the end of the program (arch_randomize_brk).
const BRK_RND_RANGE: u64 = 0x0200_0000;
/// The smallest and largest gap between the stack and the mmap base (mm/util.c's mmap_base).
const MMAP_GAP_MIN: u64 = 128 << 20;
const MMAP_GAP_MAX: u64 = TASK_SIZE / 6 * 5;

/// The mode (see the table above).
static MODE: AtomicU8 = AtomicU8::new(2);

pub fn mode() -> u8 {
    MODE.load(Ordering::Relaxed)
}

/// Sets the mode (0, 1 or 2; root only, checked by the caller).
pub fn set_mode(mode: u8) {
    MODE.store(mode.min(2), Ordering::Relaxed);
}

/// Where one execve puts things.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Randomization {
    /// The top of the stack area (STACK_TOP without randomisation).
    pub stack_top: u64,
    /// Bytes the initial stack pointer goes further down, inside the top page (arch_align_stack).
    pub sp_offset: u64,
    /// Where top-down mmap starts.
    pub mmap_base: u64,
    /// Bytes the heap start moves up from the end of the program.
    pub brk_offset: u64,
    /// Bytes a position-independent program (or interpreter) moves up from its base.
    pub mmap_rnd: u64,
}

impl Randomization {
    /// The fixed layout (mode 0, or ADDR_NO_RANDOMIZE).
    pub const NONE: Randomization = Randomization {
        stack_top: STACK_TOP,
        sp_offset: 0,
        mmap_base: MMAP_BASE,
        brk_offset: 0,
        mmap_rnd: 0,
    };

    /// The layout for the next program of a process with this `personality`, for a stack limit
    /// of `stack_limit` bytes.
    pub fn for_exec(personality: u32, stack_limit: u64) -> Randomization {
        let mode = mode();
        if mode == 0 || personality & ADDR_NO_RANDOMIZE != 0 {
            return Self::NONE;
        }
        let stack_rnd = (random_u64() & STACK_RND_PAGES) * PAGE_SIZE;
        let mmap_rnd = (random_u64() & ((1 << MMAP_RND_BITS) - 1)) * PAGE_SIZE;
        // Linux's mmap_base: the gap below the stack is its limit plus the room the stack's own
        // randomisation may take and the guard gap, clamped; then the random offset.
        let gap = stack_limit
            .saturating_add(STACK_RND_PAGES * PAGE_SIZE + STACK_GUARD_GAP)
            .clamp(MMAP_GAP_MIN, MMAP_GAP_MAX);
        let brk_offset = if mode >= 2 {
            (random_u64() % (BRK_RND_RANGE / PAGE_SIZE)) * PAGE_SIZE
        } else {
            0
        };
        Randomization {
            stack_top: STACK_TOP - stack_rnd,
            sp_offset: random_u64() % 8192,
            mmap_base: (TASK_SIZE - gap - mmap_rnd) & !(PAGE_SIZE - 1),
            brk_offset,
            mmap_rnd,
        }
    }
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    crate::random::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}
