//! mincore and madvise (tests/c/memadvice.c): residency of anonymous, zero-page and file pages,
//! what MADV_DONTNEED, FREE, WILLNEED and POPULATE do, and the errors, as on Linux.

use tests::c_differential;

#[test]
fn mincore_and_madvise_match_linux() {
    let Some((_, output)) = c_differential("memadvice", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "resident: 1 0 1 0 0 1 0 0",
            "it reads back as: 0",
            "it reads back the file's byte: yes",
            "resident after it: 64",
        ],
    );
}
