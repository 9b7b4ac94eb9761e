//! /proc/PID/smaps and smaps_rollup (tests/c/smaps.c): an area's Rss, Pss, shared and private
//! dirty sizes as it is written, shared with a child and copied, as Linux reports them.

use tests::c_differential;

#[test]
fn smaps_sizes_follow_writes_and_fork_as_on_linux() {
    let Some((_, output)) = c_differential("smaps", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "8 pages written: Size 64 Rss 32 Pss 32 Shared_Dirty 0 Private_Dirty 32 Anonymous 32",
            "shared with a child: Size 64 Rss 32 Pss 16 Shared_Dirty 32 Private_Dirty 0 Anonymous 32",
            "smaps_rollup's Rss is the sum of smaps's: yes",
        ],
    );
}
