//! System V IPC (linux/ipc.h, linux/shm.h, asm-generic/ipcbuf.h and shmbuf.h): the keys, flags,
//! commands and structures of shared memory segments.

/// A key no other segment shares: shmget always makes a new segment for it.
pub const IPC_PRIVATE: i32 = 0;
/// shmget: make the segment if the key has none.
pub const IPC_CREAT: u64 = 0o1000;
/// shmget with IPC_CREAT: fail (EEXIST) if the key has one.
pub const IPC_EXCL: u64 = 0o2000;
/// Removed: no longer found by its key, freed at the last detach (shm_perm.mode's SHM_DEST).
pub const SHM_DEST: u32 = 0o1000;
/// Locked in memory (shm_perm.mode's SHM_LOCKED).
pub const SHM_LOCKED: u32 = 0o2000;
/// shmget: no memory is reserved for the segment.
pub const SHM_NORESERVE: u64 = 0o10000;
/// shmget: huge pages (hugetlbfs).
pub const SHM_HUGETLB: u64 = 0o4000;
/// shmat: read-only.
pub const SHM_RDONLY: u64 = 0o10000;
/// shmat: round the address down to SHMLBA.
pub const SHM_RND: u64 = 0o20000;
/// shmat: replace what is mapped at the address.
pub const SHM_REMAP: u64 = 0o40000;
/// shmat: executable.
pub const SHM_EXEC: u64 = 0o100000;

/// shmctl commands.
pub const IPC_RMID: u64 = 0;
pub const IPC_SET: u64 = 1;
pub const IPC_STAT: u64 = 2;
pub const IPC_INFO: u64 = 3;
pub const SHM_LOCK: u64 = 11;
pub const SHM_UNLOCK: u64 = 12;
pub const SHM_STAT: u64 = 13;
pub const SHM_INFO: u64 = 14;
pub const SHM_STAT_ANY: u64 = 15;

/// Linux's defaults (linux/shm.h): the largest segment, the smallest, the most segments, and the
/// most pages in all segments.
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
pub const SHMMIN: u64 = 1;
pub const SHMMNI: u64 = 4096;
pub const SHMALL: u64 = u64::MAX - (1 << 24);

/// The owner and permissions of an IPC object (`struct ipc64_perm`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ipc64_perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u16,
    pub _pad2: u16,
    pub _unused1: u64,
    pub _unused2: u64,
}
layout!(ipc64_perm, 48; key = 0, uid = 4, gid = 8, cuid = 12, cgid = 16, mode = 20, seq = 24);

/// A segment as shmctl(IPC_STAT) gives it (`struct shmid64_ds`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct shmid64_ds {
    pub shm_perm: ipc64_perm,
    pub shm_segsz: u64,
    pub shm_atime: i64,
    pub shm_dtime: i64,
    pub shm_ctime: i64,
    pub shm_cpid: i32,
    pub shm_lpid: i32,
    pub shm_nattch: u64,
    pub _unused4: u64,
    pub _unused5: u64,
}
layout!(shmid64_ds, 112; shm_perm = 0, shm_segsz = 48, shm_atime = 56, shm_dtime = 64,
    shm_ctime = 72, shm_cpid = 80, shm_lpid = 84, shm_nattch = 88);

/// shmctl(IPC_INFO): the limits (`struct shminfo64`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct shminfo64 {
    pub shmmax: u64,
    pub shmmin: u64,
    pub shmmni: u64,
    pub shmseg: u64,
    pub shmall: u64,
    pub _unused: [u64; 4],
}
layout!(shminfo64, 72; shmmax = 0, shmmin = 8, shmmni = 16, shmseg = 24, shmall = 32);

/// shmctl(SHM_INFO): what the segments use (`struct shm_info`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct shm_info {
    pub used_ids: i32,
    pub _pad: i32,
    pub shm_tot: u64,
    pub shm_rss: u64,
    pub shm_swp: u64,
    pub swap_attempts: u64,
    pub swap_successes: u64,
}
layout!(shm_info, 48; used_ids = 0, shm_tot = 8, shm_rss = 16, shm_swp = 24);
