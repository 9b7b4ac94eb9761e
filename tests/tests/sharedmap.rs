//! Shared file mappings (tests/c/sharedmap.c): writes through MAP_SHARED are the file's data,
//! seen by read(), by other mappings and across fork; MAP_PRIVATE sees the file until it writes;
//! msync; EACCES for read-only files; truncation unmaps the pages beyond the end (SIGBUS), as on
//! Linux.

use tests::c_differential;

#[test]
fn shared_file_mappings_match_linux() {
    let Some((_, output)) = c_differential("sharedmap", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "read() sees a write through the mapping: yes",
            "a forked child's write is seen: yes",
            "touching a page beyond the new end: Bus error",
            "and its private copy: Bus error",
        ],
    );
}

#[test]
fn the_file_mapping_demo_runs_as_on_linux() {
    let (_, output) = tests::differential("filedemo", &[]);
    assert!(
        output.contains("ends a child with signal 7 (SIGBUS)"),
        "{output}"
    );
}
