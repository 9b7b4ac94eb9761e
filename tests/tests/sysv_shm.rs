//! System V shared memory: shmget, shmat, shmdt and shmctl against Linux (tests/c/sysv_shm.c),
//! and segments giving back their memory (tests/c/shmleak.c, QEMU only).

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
