//! Extended attributes (tests/c/xattr.c): on files that have none, every call answers as Linux's
//! procfs does, with Linux's argument checks in Linux's order.

use tests::c_differential;

#[test]
fn xattr_calls_match_linux() {
    let Some((_, output)) = c_differential("xattr", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "lgetxattr(\"/proc/self/status\", \"system.posix_acl_access\", NULL, 0): -1 ENOTSUP",
            "listxattr(\"/proc/self/status\", list, sizeof list): 0",
            "lsetxattr(\"/proc/self\", \"user.comment\", \"x\", 1, 0): -1 EPERM",
        ],
    );
}
