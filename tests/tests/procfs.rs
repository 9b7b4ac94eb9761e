//! The /proc files ps, top, free and pmap read (tests/c/procfiles.c): stat, statm, comm, cmdline,
//! environ of a process and of a zombie, and uptime, loadavg, stat, version, cpuinfo, checked the
//! same way here and on Linux; /proc/PID/pagemap (tests/c/pagemap.c), /proc/PID/mem
//! (tests/c/procmem.c) and /proc/PID/clear_refs (tests/c/clear_refs.c).

use tests::c_differential;

#[test]
fn proc_files_agree_with_what_a_process_knows_as_on_linux() {
    let Some((_, output)) = c_differential("procfiles", &["one", "two"]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "stat: pid yes, comm procfiles, state R, ppid yes, pgrp yes, session yes",
            "stat: vsize is the sum of the areas in maps: yes",
            "cmdline: 3 strings as argv: yes, length matches: yes",
            "a zombie's state: Z",
        ],
    );
}

/// /proc/PID/pagemap: demand paging, the zero page, a written page, holes, PROT_NONE, copy-on-write
/// after fork seen from both sides, file pages mapped once and twice and their private copies,
/// and the read errors (tests/c/pagemap.c against Linux; frame numbers compared, not printed).
#[test]
fn pagemap_as_on_linux() {
    let Some((_, output)) = tests::c_differential("pagemap", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "two read pages share a frame: 1",
            "same frame: 1",
            "frames differ: 1",
            "shared, mapped twice         PF-- frame",
        ],
    );
}

/// /proc/PID/mem: reads and writes at the file position's address, forced into read-only data,
/// text, private file and PROT_NONE areas (copy-on-write, rights unchanged), refused for a shared
/// read-only mapping, EIO at unmapped addresses, unsigned positions (EOVERFLOW, EINVAL), another
/// process's memory with copy-on-write after fork, a zombie (ESRCH) and a reaped process (0),
/// and EACCES without the right to trace (tests/c/procmem.c against Linux).
#[test]
fn proc_mem_as_on_linux() {
    let Some((_, output)) = tests::c_differential("procmem", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "patched the text: 1, answer() now 43",
            "rights before r--p after r--p",
            "pwrite(mem, \"X\", 1, (off_t)(uintptr_t)shared): -1 EIO",
            "after mprotect: HIDden new",
            "child's hidden page: childt's secret",
            "open of a zombie's mem: -1 ESRCH",
        ],
    );
}

/// /proc/PID/clear_refs: the write-only file and what a write may say (EINVAL, ERANGE, at most 12
/// bytes), smaps' Referenced cleared for all, anonymous or file areas and counting the pages
/// touched since, VmHWM reset, a zombie and a reaped process; and smaps' Rss, Private_Dirty and
/// Referenced kept through mprotect, PROT_NONE included (tests/c/clear_refs.c against Linux).
#[test]
fn clear_refs_as_on_linux() {
    let Some((_, output)) = tests::c_differential("clear_refs", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "PROT_NONE: Rss 32, Private_Dirty 32, Referenced 32",
            "after 1: anon 0 kB, file 0 kB, Rss 32 kB",
            "3 + 1 touched: anon 12 kB, file 4 kB",
            "after 2: anon 0 kB, file 4 kB",
            "VmHWM fell by at least 15 MiB: 1",
        ],
    );
}
