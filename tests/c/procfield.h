/* Reading one number from a /proc file of "Key: value" lines (/proc/meminfo, /proc/PID/status). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The number after "key:" at the start of a line of `path`, or -1. */
static long proc_field(const char *path, const char *key) {
    char buf[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf + 1, sizeof buf - 2);
    close(fd);
    if (n <= 0)
        return -1;
    buf[0] = '\n'; /* so that the first line matches "\nkey:" too */
    buf[n + 1] = 0;
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\n%s:", key);
    char *at = strstr(buf, pattern);
    return at ? atol(at + strlen(pattern)) : -1;
}
