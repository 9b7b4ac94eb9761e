//! System V IPC against Linux: shared memory (tests/c/sysv_shm.c), semaphores
//! (tests/c/sysv_sem.c), message queues (tests/c/sysv_msg.c), /proc/sysvipc
//! (tests/c/sysv_proc.c) and ids (tests/c/sysv_ids.c); and segments, semaphore sets and queues giving back their memory,
//! also under random calls (tests/c/shmleak.c, semleak.c, msgleak.c, ipc_fuzz.c, QEMU only).

/// Keys and IPC_PRIVATE, attaches where the kernel chooses, at an address, read-only, rounded and
/// over a mapping, data shared across attaches and fork, the attach count, shmdt of a split
/// attach, /proc/self/maps, IPC_STAT, IPC_SET, IPC_RMID while attached, SHM_STAT, SHM_LOCK,
/// IPC_INFO and the errors.
#[test]
fn sysv_shm_as_on_linux() {
    let Some((_, output)) = tests::c_differential("sysv_shm", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "child: nattch 4",
            "parent reads: from the child, nattch 2",
            "  +0-+12288 rw-s 00000000 /SYSV00000000 (deleted) (inode is the id)",
            "attach after IPC_RMID: 1",
            "after the last detach: -1 EINVAL",
        ],
    );
}

/// A removed segment is freed at its last detach (shmdt, a child's exit) and one not removed
/// outlives its maker, round after round without losing a page or a heap byte.
#[test]
fn sysv_shm_gives_back_memory() {
    if let Some(out) = tests::boot_c("shmleak", &[], &[], |b| b) {
        tests::expect_ok(&out, "ok: segments give back their memory");
    }
}

/// semget's limits and errors, semop and semtimedop (all or nothing, IPC_NOWAIT, ERANGE, EFBIG,
/// E2BIG, timeouts, duplicates), every semctl command, and with children: the wake-up order, a
/// wait for zero, a two-operation wait, EIDRM, EINTR despite SA_RESTART, SEM_UNDO at exit (capped,
/// waking a waiter, cleared by SETVAL) and CLONE_SYSVSEM's shared undo list.
#[test]
fn sysv_sem_as_on_linux() {
    let Some((_, output)) = tests::c_differential("sysv_sem", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "after duplicates: 0 1 0",
            "the first to finish: the first",
            "one of two: 1 0",
            "waiter of a removed set: EIDRM",
            "interrupted waiter: EINTR",
            "value after the CLONE_SYSVSEM child's exit: 2",
        ],
    );
}

/// Sets made and removed round after round, with waiters blocked on them killed or woken by
/// IPC_RMID and undo lists applied at exit, give back every page and heap byte.
#[test]
fn sysv_sem_gives_back_memory() {
    if let Some(out) = tests::boot_c("semleak", &[], &[], |b| b) {
        tests::expect_ok(&out, "ok: semaphore sets give back their memory");
    }
}

/// msgget, msgsnd (MSGMAX, types, a full queue), msgrcv (msgtyp 0, > 0, < 0, MSG_EXCEPT,
/// MSG_NOERROR, E2BIG, MSG_COPY, ENOMSG), every msgctl command, and with children: receivers
/// handed their message or E2BIG, a sender woken by room, EIDRM for both, EINTR.
#[test]
fn sysv_msg_as_on_linux() {
    let Some((_, output)) = tests::c_differential("sysv_msg", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "type <= 2: type 1: \"one-b\" (5)",
            "copy 1: type 2: \"second\" (6)",
            "small receiver: E2BIG",
            "sender: ok",
            "receiver from a removed queue: EIDRM",
            "after the kill: type 1: \"kept\" (4)",
        ],
    );
}

/// Queues filled and removed, waiters killed or woken by IPC_RMID, round after round, give back
/// every page and heap byte.
#[test]
fn sysv_msg_gives_back_memory() {
    if let Some(out) = tests::boot_c("msgleak", &[], &[], |b| b) {
        tests::expect_ok(&out, "ok: message queues give back their memory");
    }
}

/// /proc/sysvipc/shm, sem and msg: Linux's headers, and our objects' lines exactly in Linux's
/// format, before and after a removal, a detach and a receive.
#[test]
fn proc_sysvipc_as_on_linux() {
    let Some((_, output)) = tests::c_differential("sysv_proc", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "shm line in Linux's format: 1",
            "sem line in Linux's format: 1",
            "msg: id ours perms 620 cbytes 3 qnum 1 lspid me lrpid me uid 0 gid 0 cuid 0 cgid 0 \
             stime set rtime set ctime set",
        ],
    );
}

/// Random semaphore, message queue and segment calls in two process chains, blocking ones cut
/// short by a timer and processes exiting with waiters and undo lists behind
/// (tests/c/ipc_fuzz.c, QEMU only): no panic or hang, and every round gives back every frame
/// and heap byte.
#[test]
fn random_ipc_calls_leak_nothing() {
    if let Some(out) = tests::boot_c("ipc_fuzz", &[], &["5000"], |b| b) {
        tests::expect_ok(&out, "ok: random IPC calls leak nothing");
    }
}

/// Ids exactly as Linux makes them, in an IPC namespace of the test's own: cyclic slots, the
/// sequence number after a wrap, *_STAT by slot, IPC_INFO's highest slot, and the whole of
/// /proc/sysvipc (tests/c/sysv_ids.c).
#[test]
fn sysv_ids_as_on_linux() {
    let Some((_, output)) = tests::c_differential("sysv_ids", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &["  round 61: 32768", "d 32779", "SEM_STAT 11: 32779 nsems 1"],
    );
}
