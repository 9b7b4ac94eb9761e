/* Thousands of threads created and ended must give back everything: their kernel stacks and page
 * tables (MemFree, KernelPageTables), the kernel's records of them (KernelHeap), their tasks (the
 * total in /proc/loadavg) and their user stacks (the process's resident pages). Threads are made
 * in rounds: joined ones, detached ones, ones ended by pthread_exit, and groups running at once.
 * The first round warms up what is allocated once (the C library's caches, the kernel's tables);
 * every later round must end exactly where the first ended. This kernel's /proc/meminfo lines are
 * its own, so the test runs in QEMU only. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfield.h"

static int failures;

static void check(const char *what, int ok) {
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}


/* The total number of tasks: the fourth field of /proc/loadavg, "running/total". */
static long tasks(void) {
    char buf[128];
    int fd = open("/proc/loadavg", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    char *slash = strchr(buf, '/');
    return slash ? atol(slash + 1) : -1;
}

struct snapshot {
    long free_kb, heap_kb, heap_used_kb, tables_kb, rss_kb, tasks;
};

static struct snapshot snapshot(void) {
    /* Detached threads may still be on their way out: wait until only this one is left. */
    while (proc_field("/proc/self/status", "Threads") != 1)
        sched_yield();
    struct snapshot s = {
        proc_field("/proc/meminfo", "MemFree"),
        proc_field("/proc/meminfo", "KernelHeap"),
        proc_field("/proc/meminfo", "KernelHeapUsed"),
        proc_field("/proc/meminfo", "KernelPageTables"),
        proc_field("/proc/self/status", "VmRSS"),
        tasks(),
    };
    return s;
}

static void *work(void *arg) {
    /* Touch a few pages of the stack and some heap, as a real thread would. */
    volatile char buf[3 * 4096];
    for (size_t i = 0; i < sizeof buf; i += 4096)
        buf[i] = (char)(long)arg;
    free(malloc(100));
    if ((long)arg % 3 == 0)
        pthread_exit(arg);
    return arg;
}

static void round_of_threads(int count) {
    for (int i = 0; i < count; i += 8) {
        pthread_t group[8];
        /* Eight at once; every fourth group detached. */
        int detached = (i / 8) % 4 == 3;
        for (int j = 0; j < 8; j++) {
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            if (detached)
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            if (pthread_create(&group[j], &attr, work, (void *)(long)(i + j)) != 0) {
                check("pthread_create", 0);
                exit(1);
            }
            pthread_attr_destroy(&attr);
        }
        if (!detached)
            for (int j = 0; j < 8; j++) {
                void *result;
                pthread_join(group[j], &result);
                if (result != (void *)(long)(i + j))
                    check("a joined thread's result", 0);
            }
    }
}

static void show(int round, struct snapshot s) {
    printf("# after round %d: MemFree %ld kB, KernelHeap %ld kB (%ld kB used), KernelPageTables %ld "
           "kB, VmRSS %ld kB, tasks %ld\n",
           round, s.free_kb, s.heap_kb, s.heap_used_kb, s.tables_kb, s.rss_kb, s.tasks);
}

#define ROUNDS 5

int main(int argc, char **argv) {
    int per_round = argc > 1 ? atoi(argv[1]) : 1000;
    /* Two rounds to warm up: the C library keeps a little more after its second. */
    round_of_threads(per_round);
    show(1, snapshot());
    round_of_threads(per_round);
    struct snapshot base = snapshot();
    show(2, base);
    for (int r = 3; r <= ROUNDS; r++) {
        round_of_threads(per_round);
        struct snapshot now = snapshot();
        show(r, now);
        char what[96];
        snprintf(what, sizeof what, "round %d: free memory as after round 2", r);
        check(what, now.free_kb == base.free_kb);
        snprintf(what, sizeof what, "round %d: kernel heap in use as after round 2", r);
        check(what, now.heap_used_kb == base.heap_used_kb && now.heap_kb == base.heap_kb);
        snprintf(what, sizeof what, "round %d: page tables as after round 2", r);
        check(what, now.tables_kb == base.tables_kb);
        snprintf(what, sizeof what, "round %d: resident pages as after round 2", r);
        check(what, now.rss_kb == base.rss_kb);
        snprintf(what, sizeof what, "round %d: one task again", r);
        check(what, now.tasks == base.tasks);
    }
    printf("%d threads made and ended\n", ROUNDS * per_round);
    return failures != 0;
}
