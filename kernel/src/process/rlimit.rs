//! Resource limits (Linux's struct rlimit array in signal_struct, kernel/sys.c's do_prlimit): what
//! getrlimit, setrlimit and prlimit64 read and change, and what the kernel enforces.
//!
//! | limit | enforced by |
//! |---|---|
//! | RLIMIT_STACK | stack growth (the fault path), read at each growth as Linux's acct_stack_growth |
//! | RLIMIT_NOFILE | the lowest descriptor that may be allocated (EMFILE), dup2's EBADF |
//! | RLIMIT_AS | mmap, brk and stack growth: the total size of the address space (ENOMEM) |
//! | RLIMIT_DATA | mmap of private writable memory and brk (ENOMEM), as Linux since 4.7 |
//!
//! The others are kept and reported, and inherited across fork and execve as on Linux.

use abi::resource::{
    RLIM_INFINITY, RLIM_NLIMITS, RLIMIT_CORE, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NOFILE,
    RLIMIT_NPROC, RLIMIT_SIGPENDING, RLIMIT_STACK, rlimit,
};

use crate::syscall::errno::{EINVAL, EPERM, Errno};

/// Linux's fs.nr_open: the highest RLIMIT_NOFILE that may be set.
pub const NR_OPEN: u64 = 1 << 20;

/// The limits of one process.
#[derive(Clone, Copy, Debug)]
pub struct Rlimits([rlimit; RLIM_NLIMITS as usize]);

const fn limit(cur: u64, max: u64) -> rlimit {
    rlimit {
        rlim_cur: cur,
        rlim_max: max,
    }
}

impl Rlimits {
    /// The limits the first process starts with: Linux's INIT_RLIMITS (include/asm-generic/
    /// resource.h), with NPROC and SIGPENDING as Linux derives them for this machine's memory.
    pub fn init(total_frames: u64) -> Self {
        let mut limits = [limit(RLIM_INFINITY, RLIM_INFINITY); RLIM_NLIMITS as usize];
        // Linux: max_threads = totalram_pages / (8 * THREAD_SIZE / PAGE_SIZE) with 16 KiB stacks,
        // and init's NPROC and SIGPENDING limits are half of it.
        let max_threads = (total_frames / 32).clamp(20, 0x3fff_ffff);
        // _STK_LIM: 8 MiB.
        limits[RLIMIT_STACK as usize] = limit(8 << 20, RLIM_INFINITY);
        limits[RLIMIT_CORE as usize] = limit(0, RLIM_INFINITY);
        limits[RLIMIT_NPROC as usize] = limit(max_threads / 2, max_threads / 2);
        limits[RLIMIT_NOFILE as usize] = limit(1024, 4096);
        limits[RLIMIT_MEMLOCK as usize] = limit(8 << 20, 8 << 20);
        limits[RLIMIT_SIGPENDING as usize] = limit(max_threads / 2, max_threads / 2);
        limits[RLIMIT_MSGQUEUE as usize] = limit(819_200, 819_200);
        limits[abi::resource::RLIMIT_NICE as usize] = limit(0, 0);
        limits[abi::resource::RLIMIT_RTPRIO as usize] = limit(0, 0);
        Rlimits(limits)
    }

    /// The limit of `resource` (which must be below RLIM_NLIMITS).
    pub fn get(&self, resource: u64) -> rlimit {
        self.0[resource as usize]
    }

    /// The soft limit of `resource`.
    pub fn cur(&self, resource: u64) -> u64 {
        self.get(resource).rlim_cur
    }

    /// Sets a limit with Linux's checks: EINVAL if the soft limit exceeds the hard one, or a
    /// NOFILE limit above nr_open (EPERM); raising a hard limit needs privilege (EPERM).
    pub fn set(&mut self, resource: u64, new: rlimit, privileged: bool) -> Result<(), Errno> {
        if resource >= RLIM_NLIMITS {
            return Err(EINVAL);
        }
        if new.rlim_cur > new.rlim_max {
            return Err(EINVAL);
        }
        if resource == RLIMIT_NOFILE && new.rlim_max > NR_OPEN {
            return Err(EPERM);
        }
        let old = self.0[resource as usize];
        if new.rlim_max > old.rlim_max && !privileged {
            return Err(EPERM);
        }
        self.0[resource as usize] = new;
        Ok(())
    }
}
