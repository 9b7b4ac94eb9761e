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

/* The leak tests' check after round `r` of work that gives everything back (QEMU only: these
 * /proc/meminfo lines are this kernel's). From the second round on, MemFree + KernelHeap (the
 * memory nothing holds: the heap's own size follows how its free space is cut up, which the
 * order of frees, moved by preemption, changes) and KernelHeapUsed (what the heap's objects
 * hold) must stay where the second round left them; the first warms up what stays allocated.
 * Returns 1 (and says so) if they moved. */
static inline int leak_round(int r, long *base_free, long *base_heap) {
    long free_kb = proc_field("/proc/meminfo", "MemFree") + proc_field("/proc/meminfo", "KernelHeap");
    long heap = proc_field("/proc/meminfo", "KernelHeapUsed");
    printf("# round %d: MemFree + KernelHeap %ld kB, kernel heap used %ld kB\n", r, free_kb, heap);
    if (r == 2) {
        *base_free = free_kb;
        *base_heap = heap;
    }
    if (r > 2 && (free_kb != *base_free || heap != *base_heap)) {
        printf("FAIL: round %d: MemFree + KernelHeap %ld kB, heap used %ld kB; %ld and %ld after "
               "round 2\n",
               r, free_kb, heap, *base_free, *base_heap);
        return 1;
    }
    return 0;
}
