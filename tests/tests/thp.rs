//! Transparent huge pages (issue 13): tests/c/thp.c compared with Linux, this kernel booted with
//! the host's `transparent_hugepage` mode and 1 GiB of memory (both kernels turn huge pages off
//! below 512 MiB).

use tests::c_differential_with;

/// The host's mode, the bracketed word of /sys/kernel/mm/transparent_hugepage/enabled.
fn host_mode() -> String {
    let text = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .unwrap_or_else(|_| "always madvise [never]".into());
    text.split_whitespace()
        .find_map(|w| w.strip_prefix('[')?.strip_suffix(']'))
        .unwrap_or("never")
        .to_string()
}

#[test]
fn huge_pages_match_linux() {
    let mode = host_mode();
    let options = format!("transparent_hugepage={mode}");
    let Some((_, output)) = c_differential_with("thp", &[], &options, |b| b.memory("1G")) else {
        return;
    };
    if mode == "never" {
        return;
    }
    tests::expect_lines(
        &output,
        &[
            "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size: 2097152",
            "two written: +0..+8192 kB rss 4096 pss 4096 anonhuge 4096 eligible 1",
            "one page read-only: +8..+8192 kB rss 4088 pss 4088 anonhuge 2048 eligible 1",
            "contents: 0 bad",
            "hole punched: +2060..+8192 kB rss 2036 pss 2036 anonhuge 0 eligible 1",
            "moved to 2 MiB: +0..+4096 kB rss 4096 pss 4096 anonhuge 4096 eligible 1",
            "child: +0..+4096 kB rss 4096 pss 2048 anonhuge 4096 eligible 1",
            "parent after its writes: +0..+4096 kB rss 4096 pss 4096 anonhuge 4096 eligible 1",
            "disabled: +0..+4096 kB rss 4096 pss 4096 anonhuge 0 eligible 0",
            "child PR_GET_THP_DISABLE: 1",
            "enabled again: +0..+4096 kB rss 4096 pss 4096 anonhuge 4096 eligible 1",
            "done",
        ],
    );
}

/// Huge pages churned by mprotect, MADV_DONTNEED, munmap, mremap and hundreds of forks writing
/// to shared huge pages at once, every page checked against a model; then every frame back, and a
/// fault with no 2 MiB block left served by a small page. QEMU only: it forks without bound, and
/// reads this kernel's own counters.
#[test]
fn huge_pages_survive_churn_and_give_everything_back() {
    let Some(program) = tests::build_c("thp_stress", &[]) else {
        return;
    };
    for mode in ["madvise", "always"] {
        let out = tests::Boot::new(&format!(
            "init=/bin/thp_stress transparent_hugepage={mode} -- 4 40"
        ))
        .file(&program, "/bin/thp_stress")
        .memory("1G")
        .timeout(600)
        .run();
        let output = tests::program_output(&out.console);
        assert!(
            output.contains("thp_stress: ok")
                && output.contains("sysfs: the mode changed and restored")
                && output.contains("a fault with no 2 MiB block left got a small page"),
            "mode {mode}:\n{}",
            out.console
        );
        out.expect_status(0);
    }
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
}
