//! System V IPC (linux/ipc.h, linux/shm.h, linux/sem.h, linux/msg.h, asm-generic/ipcbuf.h and
//! x86's shmbuf.h, sembuf.h and msgbuf.h): the keys, flags, commands, limits and structures of
//! shared memory segments, semaphore sets and message queues.

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

/// semop, msgsnd, msgrcv: fail (EAGAIN, ENOMSG) rather than wait.
pub const IPC_NOWAIT: i16 = 0o4000;
/// semop: undo the operation when the process exits.
pub const SEM_UNDO: i16 = 0x1000;

/// semctl commands (besides IPC_RMID, IPC_SET, IPC_STAT and IPC_INFO).
pub const GETPID: u64 = 11;
pub const GETVAL: u64 = 12;
pub const GETALL: u64 = 13;
pub const GETNCNT: u64 = 14;
pub const GETZCNT: u64 = 15;
pub const SETVAL: u64 = 16;
pub const SETALL: u64 = 17;
pub const SEM_STAT: u64 = 18;
pub const SEM_INFO: u64 = 19;
pub const SEM_STAT_ANY: u64 = 20;

/// Linux's semaphore limits (linux/sem.h, the defaults of /proc/sys/kernel/sem): sets, semaphores
/// per set, semaphores in all, operations per semop, the largest value and adjustment.
pub const SEMMNI: u64 = 32000;
pub const SEMMSL: u64 = 32000;
pub const SEMMNS: u64 = SEMMNI * SEMMSL;
pub const SEMOPM: u64 = 500;
pub const SEMVMX: i32 = 32767;
pub const SEMAEM: i32 = SEMVMX;
pub const SEMUME: i32 = SEMOPM as i32;
pub const SEMMNU: i32 = SEMMNS as i32;
pub const SEMMAP: i32 = SEMMNS as i32;
pub const SEMUSZ: i32 = 20;

/// One semaphore operation (`struct sembuf`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sembuf {
    pub sem_num: u16,
    pub sem_op: i16,
    pub sem_flg: i16,
}
layout!(sembuf, 6; sem_num = 0, sem_op = 2, sem_flg = 4);

/// A semaphore set as semctl(IPC_STAT) gives it (x86's `struct semid64_ds`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct semid64_ds {
    pub sem_perm: ipc64_perm,
    pub sem_otime: i64,
    pub _unused1: u64,
    pub sem_ctime: i64,
    pub _unused2: u64,
    pub sem_nsems: u64,
    pub _unused3: u64,
    pub _unused4: u64,
}
layout!(semid64_ds, 104; sem_perm = 0, sem_otime = 48, sem_ctime = 64, sem_nsems = 80);

/// semctl(IPC_INFO, SEM_INFO): the limits, or what is in use (`struct seminfo`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct seminfo {
    pub semmap: i32,
    pub semmni: i32,
    pub semmns: i32,
    pub semmnu: i32,
    pub semmsl: i32,
    pub semopm: i32,
    pub semume: i32,
    pub semusz: i32,
    pub semvmx: i32,
    pub semaem: i32,
}
layout!(seminfo, 40; semmap = 0, semmni = 4, semusz = 28, semaem = 36);

/// msgrcv: truncate a message too long for the buffer rather than fail (E2BIG).
pub const MSG_NOERROR: u64 = 0o10000;
/// msgrcv: the first message whose type is not msgtyp.
pub const MSG_EXCEPT: u64 = 0o20000;
/// msgrcv: a copy of the message at position msgtyp, left in the queue.
pub const MSG_COPY: u64 = 0o40000;

/// msgctl commands (besides IPC_RMID, IPC_SET, IPC_STAT and IPC_INFO).
pub const MSG_STAT: u64 = 11;
pub const MSG_INFO: u64 = 12;
pub const MSG_STAT_ANY: u64 = 13;

/// Linux's message queue limits (linux/msg.h, the defaults of /proc/sys/kernel/msg*): the
/// largest message, the bytes of a queue, the queues.
pub const MSGMAX: u64 = 8192;
pub const MSGMNB: u64 = 16384;
pub const MSGMNI: u64 = 32000;
pub const MSGPOOL: i32 = (MSGMNI * MSGMNB / 1024) as i32;
pub const MSGTQL: i32 = MSGMNB as i32;
pub const MSGMAP: i32 = MSGMNB as i32;
pub const MSGSSZ: i32 = 16;
pub const MSGSEG: u16 = 0xffff;

/// A message queue as msgctl(IPC_STAT) gives it (x86's `struct msqid64_ds`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct msqid64_ds {
    pub msg_perm: ipc64_perm,
    pub msg_stime: i64,
    pub msg_rtime: i64,
    pub msg_ctime: i64,
    pub msg_cbytes: u64,
    pub msg_qnum: u64,
    pub msg_qbytes: u64,
    pub msg_lspid: i32,
    pub msg_lrpid: i32,
    pub _unused4: u64,
    pub _unused5: u64,
}
layout!(msqid64_ds, 120; msg_perm = 0, msg_stime = 48, msg_rtime = 56, msg_ctime = 64,
    msg_cbytes = 72, msg_qnum = 80, msg_qbytes = 88, msg_lspid = 96, msg_lrpid = 100);

/// msgctl(IPC_INFO, MSG_INFO): the limits, or what is in use (`struct msginfo`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct msginfo {
    pub msgpool: i32,
    pub msgmap: i32,
    pub msgmax: i32,
    pub msgmnb: i32,
    pub msgmni: i32,
    pub msgssz: i32,
    pub msgtql: i32,
    pub msgseg: u16,
}
layout!(msginfo, 32; msgpool = 0, msgtql = 24, msgseg = 28);
