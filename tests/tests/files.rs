//! The writable root file system: the file calls compared with Linux (tests/c/files.c), and the
//! page cache's memory accounting, which only this kernel can show.

use tests::c_differential;

#[test]
fn file_system_calls_give_the_same_results_as_on_linux() {
    c_differential("files", &[]);
}
