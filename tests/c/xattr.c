/* Extended attributes on files that have none (procfs here and on Linux; no file system of this
 * kernel stores them): what getxattr, setxattr, listxattr and removexattr and their l* and f*
 * variants answer, and their argument checks in Linux's order. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "check.h"

int main(void) {
    char value[64], list[256], longname[300];
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return 1;
    int fd = open("/proc/self/status", O_RDONLY);

    /* What Debian's ls -l asks for, on a file, a directory and a symlink. */
    CHECK(getxattr("/proc/self/status", "security.selinux", value, sizeof value));
    CHECK(lgetxattr("/proc/self/status", "system.posix_acl_access", NULL, 0));
    CHECK(getxattr("/proc/self", "system.posix_acl_default", value, sizeof value));
    CHECK(lgetxattr("/proc/self", "security.selinux", value, sizeof value));
    CHECK(getxattr("/proc/self/status", "user.comment", value, sizeof value));
    CHECK(getxattr("/proc/self/status", "trusted.x", value, sizeof value));
    /* user. attributes exist only on regular files and directories. */
    CHECK(lgetxattr("/proc/self", "user.comment", value, sizeof value));
    CHECK(fgetxattr(pipefd[0], "user.comment", value, sizeof value));
    CHECK(fgetxattr(pipefd[0], "security.selinux", value, sizeof value));
    CHECK(fgetxattr(fd, "user.comment", value, sizeof value));

    /* Listing finds nothing. */
    CHECK(listxattr("/proc/self/status", list, sizeof list));
    CHECK(llistxattr("/proc/self", list, sizeof list));
    CHECK(listxattr("/proc/self", NULL, 0));
    CHECK(flistxattr(fd, list, sizeof list));
    CHECK(flistxattr(pipefd[1], list, 1));

    /* Writing and removing. */
    CHECK(setxattr("/proc/self/status", "user.comment", "x", 1, 0));
    CHECK(lsetxattr("/proc/self", "user.comment", "x", 1, 0));
    CHECK(fsetxattr(pipefd[0], "user.comment", "x", 1, 0));
    CHECK(fsetxattr(fd, "trusted.x", "x", 1, XATTR_CREATE));
    CHECK(removexattr("/proc/self/status", "user.comment"));
    CHECK(lremovexattr("/proc/self", "user.comment"));
    CHECK(fremovexattr(pipefd[1], "user.comment"));
    CHECK(fremovexattr(fd, "security.selinux"));

    /* The checks before the file: the name, the flags, the value. */
    CHECK(getxattr("/proc/self/status", "", value, sizeof value));
    memset(longname, 'a', sizeof longname);
    memcpy(longname, "user.", 5);
    longname[256] = 0;
    CHECK(getxattr("/proc/self/status", longname, value, sizeof value));
    longname[255] = 0;
    CHECK(getxattr("/proc/self/status", longname, value, sizeof value));
    CHECK(getxattr("/proc/self/status", (const char *)8, value, sizeof value));
    CHECK(getxattr("/nonexistent", "", value, sizeof value));
    CHECK(getxattr("/nonexistent", "user.x", value, sizeof value));
    CHECK(setxattr("/nonexistent", "user.x", "x", 1, 4));
    CHECK(setxattr("/nonexistent", "user.x", "x", 65537, 0));
    CHECK(setxattr("/nonexistent", "user.x", (const char *)8, 16, 0));
    CHECK(setxattr("/nonexistent", "user.x", "x", 1, XATTR_REPLACE));
    CHECK(listxattr("/nonexistent", list, sizeof list));
    CHECK(removexattr("/nonexistent", ""));
    CHECK(fgetxattr(99, "", value, sizeof value));
    CHECK(fsetxattr(99, "user.x", "x", 1, 4));
    CHECK(flistxattr(99, list, sizeof list));
    CHECK(fremovexattr(99, ""));
    CHECK(fgetxattr(fd, "", value, sizeof value));
    CHECK(fsetxattr(fd, "user.x", "x", 1, 4));
    return 0;
}
