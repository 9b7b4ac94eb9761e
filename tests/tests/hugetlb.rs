//! hugetlbfs huge pages (MAP_HUGETLB, the pool): tests/c/hugetlb.c compared with Linux without
//! touching the host's pool, then its `pool` mode in QEMU only, which grows the pool by writing
//! nr_hugepages (natively that would change the host's pool, shared with everything on it).

/// The empty-pool answers (ENOMEM, EINVAL), the 2 MiB rounding and alignment, MAP_NORESERVE's
/// SIGBUS, the munmap/mprotect/mremap rules, maps and smaps of a hugetlb area: as on Linux.
#[test]
fn hugetlb_mappings_match_linux() {
    let Some((_, output)) = tests::c_differential("hugetlb", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "private, empty pool: ENOMEM",
            "noreserve: 8192 kB rw-p off 0 /anon_hugepage (deleted)",
            "VmFlags: rd wr mr mw me de nr ht",
            "noreserve write, empty pool: Bus error",
            "memfd_create MFD_HUGETLB: ok",
            "pread of a hole: 8, zeros 1",
            "write: EINVAL",
            "memfd: 2048 kB rw-s off 0 /memfd:huge (deleted)",
            "shmget SHM_HUGETLB, empty pool: ENOMEM",
            "segment: 2048 kB rw-s off 0 /SYSV00000000 (deleted)",
            "segment write, empty pool: Bus error",
        ],
    );
}

/// The pool grown to 8 pages and used: reservations, faults, copy-on-write after fork, shared
/// pages, MAP_NORESERVE running the pool dry, a hugetlb memfd (read, fallocate, punched hole,
/// private copy of its page, truncation), a System V segment of huge pages (reserved at shmget,
/// kept past shmdt, gone with the last detach after IPC_RMID), mremap moving an area with its
/// reservations, shrinking while pages are in use (surplus), /proc/self/mem on a huge page (a
/// forced write into a read-only one refused; mprotect back to writable charges nothing), and every
/// page and frame back at the end. Every line is what Debian's Linux 6.1 printed running the
/// same program as /init in QEMU (its VmFlags add `sd`, soft-dirty, which this kernel has not).
#[test]
fn hugetlb_pool_accounts_and_gives_everything_back() {
    let Some(out) = tests::boot_c("hugetlb", &[], &["pool"], |b| b) else {
        return;
    };
    out.expect_status(0);
    let output = tests::program_output(&out.console);
    tests::expect_lines(
        &output,
        &[
            "start: total 0 free 0 rsvd 0 surp 0 hugetlb 0 anonhuge 0 nr 0",
            "grown to: 8",
            "grown: total 8 free 8 rsvd 0 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "sysfs nr 8 free 8 resv 0 surplus 0",
            "private 3 pages: ok",
            "reserved: total 8 free 8 rsvd 3 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "one faulted: total 8 free 7 rsvd 2 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "mem read of the huge page: 4 ",
            "mem write: 4, reads back WXYZ",
            "forced write into read-only huge pages: EIO",
            "faulted smaps: KernelPageSize 2048 MMUPageSize 2048 Rss 0 Shared_Hugetlb 0 Private_Hugetlb 2048 VmFlags: rd wr mr mw me de ht",
            "faulted pagemap: present 1 file 0 exclusive 1",
            "status HugetlbPages 2048 RssAnon below 2048 1",
            "frames: head aligned 1, contiguous 1",
            "child before its write smaps: KernelPageSize 2048 MMUPageSize 2048 Rss 0 Shared_Hugetlb 2048 Private_Hugetlb 0 VmFlags: rd wr mr mw me de ht",
            "child after its write smaps: KernelPageSize 2048 MMUPageSize 2048 Rss 0 Shared_Hugetlb 0 Private_Hugetlb 2048 VmFlags: rd wr mr mw me de ht",
            "child after its copy: total 8 free 6 rsvd 2 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "child status HugetlbPages 2048",
            "child: parent's data 0 bad, own copy 0 bad",
            "child: exit 0",
            "child gone: total 8 free 7 rsvd 2 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "status after the child: HugetlbPages 2048",
            "parent: 0 bad",
            "parent smaps: KernelPageSize 2048 MMUPageSize 2048 Rss 0 Shared_Hugetlb 0 Private_Hugetlb 2048 VmFlags: rd wr mr mw me de ht",
            "munmap +4 kB: EINVAL",
            "munmap middle page: ok",
            "middle page unmapped: total 8 free 7 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "one more than free: ENOMEM",
            "exactly what is free: ok",
            "shared reserved: total 8 free 7 rsvd 3 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "shared child: exit 0",
            "shared: child's writes seen, 0 bad",
            "shared pagemap: present 1 file 1 exclusive 1",
            "shared smaps: KernelPageSize 2048 MMUPageSize 2048 Rss 0 Shared_Hugetlb 0 Private_Hugetlb 4096 VmFlags: rd wr sh mr mw me ms de ht",
            "shared: 4096 kB rw-s off 0 /anon_hugepage (deleted)",
            "shared faulted: total 8 free 5 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "shared unmapped: total 8 free 7 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "noreserve child: Bus error",
            "noreserve pages faulted before SIGBUS: 6",
            "noreserve unmapped: total 8 free 7 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "memfd ftruncate 4 MiB: ok",
            "memfd mapped: total 8 free 7 rsvd 3 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "memfd page written: total 8 free 6 rsvd 2 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "read() sees the mapping's write: 1",
            "memfd with a page: size 4194304 blksize 2097152 blocks 4096",
            "fallocate second page: ok",
            "memfd fallocated: total 8 free 5 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "memfd with two pages: size 4194304 blksize 2097152 blocks 8192",
            "memfd mapped private: total 8 free 5 rsvd 2 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "private mapping sees the file: 1",
            "private of a file page pagemap: present 1 file 1 exclusive 0",
            "private copy written: total 8 free 4 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "file unchanged: 1, copy 1",
            "private copy pagemap: present 1 file 0 exclusive 1",
            "private unmapped: total 8 free 5 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "punch first page: ok",
            "memfd page punched: total 8 free 6 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "punched page reads 0",
            "refaulted: total 8 free 5 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "ftruncate 0: ok",
            "memfd truncated: total 8 free 7 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "memfd truncated: size 0 blksize 2097152 blocks 0",
            "memfd closed: total 8 free 7 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "segment made: total 8 free 7 rsvd 2 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "segment written: total 8 free 6 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "segment size 4096, attached 1",
            "segment smaps: KernelPageSize 2048 MMUPageSize 2048 Rss 0 Shared_Hugetlb 0 Private_Hugetlb 2048 VmFlags: rd wr sh mr mw me ms de ht",
            "shmdt: ok",
            "segment detached: total 8 free 6 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "segment kept its data: 0 bad",
            "IPC_RMID while attached: ok",
            "segment removed, attached: total 8 free 6 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "shmdt: ok",
            "segment gone: total 8 free 7 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "to be moved: total 8 free 6 rsvd 2 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "mremap to 2 MiB: ok",
            "moved: total 8 free 6 rsvd 2 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "moved data: 0 bad",
            "moved area's second page: total 8 free 5 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "moved area unmapped: total 8 free 7 rsvd 1 surp 0 hugetlb 16384 anonhuge 0 nr 8",
            "shrink to 0: ok",
            "shrunk while used: total 2 free 1 rsvd 1 surp 2 hugetlb 4096 anonhuge 0 nr 0",
            "all unmapped: total 0 free 0 rsvd 0 surp 0 hugetlb 0 anonhuge 0 nr 0",
            "emptied: total 0 free 0 rsvd 0 surp 0 hugetlb 0 anonhuge 0 nr 0",
            "MemFree back: 1",
            "memory back: 1",
            "huge request: as many as memory allows",
            "done: total 0 free 0 rsvd 0 surp 0 hugetlb 0 anonhuge 0 nr 0",
        ],
    );
}
