//! futex(2) between processes sharing memory (tests/c/futex.c): waits, wakes, bitsets, requeue,
//! wake-op, timeouts and errors give the same results here as on Linux.

use tests::c_differential;

#[test]
fn futexes_between_processes_match_linux() {
    let Some((_, output)) = c_differential("futex", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "FUTEX_WAKE woke the waiting child: 1",
            "CMP_REQUEUE(f1 -> f2, wake 1, move 10): 3",
            "children woken: 3",
        ],
    );
}
