//! Memory-mapping flags: `mmap`'s protections and flags, `mremap`, `madvise` and `msync`.
//!
//! From `include/uapi/asm-generic/mman-common.h` and `mman.h` (which x86_64 uses, plus
//! `MAP_32BIT` from `arch/x86/include/uapi/asm/mman.h`) and `include/uapi/linux/mman.h`. All are
//! `u64`, as the arguments arrive in registers.

// `prot` for mmap and mprotect.
pub const PROT_NONE: u64 = 0x0;
pub const PROT_READ: u64 = 0x1;
pub const PROT_WRITE: u64 = 0x2;
pub const PROT_EXEC: u64 = 0x4;
/// Atomic operations may be used on the page (ignored on x86_64).
pub const PROT_SEM: u64 = 0x8;
/// mprotect: extend the change down to the start of a grows-down (stack) area.
pub const PROT_GROWSDOWN: u64 = 0x0100_0000;
/// mprotect: extend the change up to the end of a grows-up area.
pub const PROT_GROWSUP: u64 = 0x0200_0000;

// `flags` for mmap: exactly one of the types, plus modifiers.
pub const MAP_SHARED: u64 = 0x01;
pub const MAP_PRIVATE: u64 = 0x02;
/// `MAP_SHARED` that fails with EOPNOTSUPP on unknown flags instead of ignoring them.
pub const MAP_SHARED_VALIDATE: u64 = 0x03;
/// The mask of the mapping type.
pub const MAP_TYPE: u64 = 0x0f;
/// Place the mapping exactly at `addr`, replacing what is there.
pub const MAP_FIXED: u64 = 0x10;
pub const MAP_ANONYMOUS: u64 = 0x20;
pub const MAP_ANON: u64 = MAP_ANONYMOUS;
/// x86_64: place the mapping in the first 2 GiB.
pub const MAP_32BIT: u64 = 0x40;
pub const MAP_GROWSDOWN: u64 = 0x0100;
/// Ignored (historical).
pub const MAP_DENYWRITE: u64 = 0x0800;
/// Ignored (historical).
pub const MAP_EXECUTABLE: u64 = 0x1000;
pub const MAP_LOCKED: u64 = 0x2000;
/// Do not account the mapping against the commit limit.
pub const MAP_NORESERVE: u64 = 0x4000;
/// Fault the pages in now.
pub const MAP_POPULATE: u64 = 0x8000;
pub const MAP_NONBLOCK: u64 = 0x1_0000;
pub const MAP_STACK: u64 = 0x2_0000;
pub const MAP_HUGETLB: u64 = 0x4_0000;
pub const MAP_SYNC: u64 = 0x8_0000;
/// `MAP_FIXED` that fails with EEXIST instead of replacing an existing mapping.
pub const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
pub const MAP_UNINITIALIZED: u64 = 0x400_0000;
/// The huge page size (log2) sits in bits 26..32 of the flags with `MAP_HUGETLB`.
pub const MAP_HUGE_SHIFT: u64 = 26;
pub const MAP_HUGE_MASK: u64 = 0x3f;
/// What mmap returns on failure in a C library (`(void *) -1`); the system call itself returns
/// `-errno`.
pub const MAP_FAILED: u64 = u64::MAX;

// mremap flags.
pub const MREMAP_MAYMOVE: u64 = 1;
pub const MREMAP_FIXED: u64 = 2;
pub const MREMAP_DONTUNMAP: u64 = 4;

// madvise advice.
pub const MADV_NORMAL: u64 = 0;
pub const MADV_RANDOM: u64 = 1;
pub const MADV_SEQUENTIAL: u64 = 2;
pub const MADV_WILLNEED: u64 = 3;
/// Drop the pages: the next access sees zeros (anonymous private) or the file again.
pub const MADV_DONTNEED: u64 = 4;
pub const MADV_FREE: u64 = 8;
pub const MADV_REMOVE: u64 = 9;
pub const MADV_DONTFORK: u64 = 10;
pub const MADV_DOFORK: u64 = 11;
pub const MADV_MERGEABLE: u64 = 12;
pub const MADV_UNMERGEABLE: u64 = 13;
pub const MADV_HUGEPAGE: u64 = 14;
pub const MADV_NOHUGEPAGE: u64 = 15;
pub const MADV_DONTDUMP: u64 = 16;
pub const MADV_DODUMP: u64 = 17;
pub const MADV_WIPEONFORK: u64 = 18;
pub const MADV_KEEPONFORK: u64 = 19;
pub const MADV_COLD: u64 = 20;
pub const MADV_PAGEOUT: u64 = 21;
pub const MADV_POPULATE_READ: u64 = 22;
pub const MADV_POPULATE_WRITE: u64 = 23;
pub const MADV_DONTNEED_LOCKED: u64 = 24;
pub const MADV_COLLAPSE: u64 = 25;
pub const MADV_HWPOISON: u64 = 100;
pub const MADV_SOFT_OFFLINE: u64 = 101;

// msync flags.
pub const MS_ASYNC: u64 = 1;
pub const MS_INVALIDATE: u64 = 2;
pub const MS_SYNC: u64 = 4;

// mlock2 and mlockall flags.
pub const MLOCK_ONFAULT: u64 = 1;
pub const MCL_CURRENT: u64 = 1;
pub const MCL_FUTURE: u64 = 2;
pub const MCL_ONFAULT: u64 = 4;
