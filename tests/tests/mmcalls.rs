//! The rest of the memory calls, compared with Linux: madvise's flag advices and what fork does
//! with them (tests/c/vmflags.c), the mlock family (tests/c/mlock.c) and mremap
//! (tests/c/mremap.c).

use tests::c_differential;

#[test]
fn madvise_flag_advices_match_linux() {
    let Some((_, output)) = c_differential("vmflags", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "MADV_DONTFORK: +2..+4 rd wr mr mw me dc ac ",
            "MADV_WIPEONFORK on a file mapping: EINVAL",
            "child: DONTFORK page: ENOMEM",
            "child: WIPEONFORK page reads 0",
            "parent: pages read k n w, child status 0",
        ],
    );
}

#[test]
fn mlock_family_matches_linux() {
    let Some((_, output)) = c_differential("mlock", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "after mlock: +1..+4 rd wr mr mw me lo ac  locked 12 kB",
            "resident: 0 1 1 1 0 0 0 0",
            "MADV_DONTNEED on locked memory: EINVAL",
            "onfault, one page written: 0 1 0 0",
            "child VmLck: 0 kB",
            "mlock of 6 more: ENOMEM",
            "mlock with no limit left: EPERM",
        ],
    );
}

#[test]
fn mremap_matches_linux() {
    let Some((_, output)) = c_differential("mremap", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "grown in place: yes",
            "moved: yes",
            "RssAnon change: 0 kB",
            "moved: k k k k 0 0 0 0",
            "left behind: 0 0",
            "shared file mapping after the move: w x",
            "still shared: S T U",
            "resident: 1 1 1 1 1",
            "parent, after the child moved and wrote: k k k",
            "growing past RLIMIT_AS: ENOMEM",
        ],
    );
}

/// tests/c/mremap_stress.c in QEMU only: thousands of random mremaps with every page checked,
/// a forked child moving its copy-on-write copy, every frame and page table given back, and the
/// vm.max_map_count refusal. It reads this kernel's /proc/self/mmstat, which Linux does not have.
#[test]
fn mremap_stress_keeps_every_page_and_gives_memory_back() {
    let Some(program) = tests::build_c("mremap_stress", &[]) else {
        return;
    };
    let out = tests::Boot::new("init=/bin/mremap_stress")
        .file(&program, "/bin/mremap_stress")
        .timeout(300)
        .run();
    let output = tests::program_output(&out.console);
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
    assert!(!output.contains("FAIL"), "{}", out.console);
    tests::expect_lines(
        &output,
        &[
            "ok: all checks",
            "mprotect refused at ENOMEM, areas 65531",
            "mremap move near the limit: ENOMEM",
            "mremap MREMAP_FIXED near the limit: ENOMEM",
        ],
    );
    out.expect_status(0);
}

/// memfd_create and the seals: the file, its mappings and links, what each seal forbids, the
/// errors (tests/c/memfd.c against Linux).
#[test]
fn memfd_and_seals_match_linux() {
    let Some((_, output)) = c_differential("memfd", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "fd link: /memfd:test (deleted)",
            "map: rw-s 3 pages /memfd:test (deleted)",
            "fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE): -1 Resource busy",
            "mprotect(ro, 4096, PROT_READ | PROT_WRITE): -1 EACCES",
            "unlinked: (deleted)",
        ],
    );
}

/// process_vm_readv and process_vm_writev: within the caller and with a child, scattered iovecs,
/// page edges, a page shared copy-on-write (a write reaches only the child), untouched pages, a
/// megabyte, partial copies at unmapped or protected pages and at a faulting local buffer, a
/// zombie, another user, the errors (tests/c/process_vm.c against Linux).
#[test]
fn process_vm_readv_and_writev_match_linux() {
    let Some((_, output)) = tests::c_differential("process_vm", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "ours unchanged: the parent's words",
            "child sees: [the child's words!] [acrEDGEthe edge]",
            "a megabyte: 1",
        ],
    );
}
