/* Transparent huge pages under churn, in QEMU only (it forks hundreds of times, and reads this
 * kernel's own /proc/meminfo lines and /proc/self/mmstat):
 *
 * 1. A 16 MiB region of huge pages takes random operations (writes, mprotect and MADV_DONTNEED of
 *    random ranges, munmap and remap, mremap away and back) in the parent and in forked children
 *    running at the same time; every page is checked against a model of what it must hold after
 *    each step, on both sides of every fork.
 * 2. Once everything is unmapped and every child reaped, every frame is back (MemFree and
 *    KernelPageTables as before the first round, after a warm-up round) and no huge page is left
 *    (AnonHugePages 0).
 * 3. A child fills memory with huge pages until one cannot be had: that fault gets a small page
 *    (thp_fault_fallback), the program goes on, and everything comes back again afterwards. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfield.h"

#define HP (2UL << 20)
#define PG 4096UL
#define LEN (8 * HP)
#define PAGES (LEN / PG)

static int failures;

static void check(const char *what, int ok)
{
    if (!ok) {
        printf("FAIL: %s (pid %d)\n", what, getpid());
        fflush(stdout);
        failures++;
    }
}

static unsigned long seed = 12345;

static unsigned long rnd(unsigned long n)
{
    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
    return (seed >> 33) % n;
}

static char *region;   /* LEN bytes, 2 MiB-aligned */
static char *scratch;  /* LEN bytes, 2 MiB-aligned, where mremap moves things to and back */
static unsigned long model[PAGES]; /* what the first word of each page holds (0: never written) */

static char *aligned(unsigned long len)
{
    char *raw = mmap(NULL, len + 2 * HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    char *a = (char *)(((unsigned long)raw + HP - 1) & ~(HP - 1));
    munmap(raw, a - raw);
    munmap(a + len, raw + len + 2 * HP - (a + len));
    return a;
}

static void verify(const char *after)
{
    for (unsigned long i = 0; i < PAGES; i++)
        if (*(volatile unsigned long *)(region + i * PG) != model[i]) {
            char what[96];
            snprintf(what, sizeof what, "page %lu after %s", i, after);
            check(what, 0);
            return;
        }
}

/* A random range of whole pages, sometimes whole huge pages. */
static void range(unsigned long *first, unsigned long *count)
{
    if (rnd(3) == 0) {
        *first = rnd(LEN / HP) * (HP / PG);
        *count = (1 + rnd(2)) * (HP / PG);
    } else {
        *first = rnd(PAGES);
        *count = 1 + rnd(600);
    }
    if (*first + *count > PAGES)
        *count = PAGES - *first;
}

static void one_op(void)
{
    unsigned long first, count;
    range(&first, &count);
    char *at = region + first * PG;
    unsigned long len = count * PG;
    switch (rnd(6)) {
    case 0: /* writes */
    case 1:
        for (unsigned long i = first; i < first + count; i += 1 + rnd(40)) {
            model[i] = (unsigned long)getpid() << 32 | rnd(1UL << 31) | 1;
            *(unsigned long *)(region + i * PG) = model[i];
        }
        verify("writes");
        break;
    case 2: /* read-only and back: splits where the range cuts a huge page */
        check("mprotect", mprotect(at, len, PROT_READ) == 0);
        verify("mprotect read-only");
        check("mprotect back", mprotect(at, len, PROT_READ | PROT_WRITE) == 0);
        break;
    case 3: /* dropped pages read zero */
        check("madvise", madvise(at, len, MADV_DONTNEED) == 0);
        memset(&model[first], 0, count * sizeof model[0]);
        verify("MADV_DONTNEED");
        break;
    case 4: /* unmapped and mapped again: zero */
        check("munmap", munmap(at, len) == 0);
        check("mmap", mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == at);
        madvise(region, LEN, MADV_HUGEPAGE);
        memset(&model[first], 0, count * sizeof model[0]);
        verify("munmap and mmap");
        break;
    case 5: { /* moved away (to an aligned or unaligned place) and back */
        char *to = scratch + (rnd(2) ? 0 : rnd(HP / PG) * PG);
        check("mremap away", mremap(at, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) == to);
        check("mremap back", mremap(to, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, at) == at);
        madvise(region, LEN, MADV_HUGEPAGE);
        verify("mremap");
        break;
    }
    }
}

/* One round: the parent and its children churn the region; children check their own copy. */
static void churn(int forks)
{
    region = aligned(LEN);
    scratch = aligned(LEN + HP);
    madvise(region, LEN, MADV_HUGEPAGE);
    memset(model, 0, sizeof model);
    for (unsigned long i = 0; i < PAGES; i++) {
        model[i] = i | 1;
        *(unsigned long *)(region + i * PG) = model[i];
    }
    verify("fill");
    for (int f = 0; f < forks; f++) {
        pid_t pid = fork();
        if (pid == 0) {
            seed += 7919 * (f + 1);
            for (int k = 0; k < 8; k++)
                one_op();
            verify("the child's operations");
            _exit(failures ? 1 : 0);
        }
        /* The parent goes on while the child runs: both write to pages they share. */
        for (int k = 0; k < 3; k++)
            one_op();
        int status;
        waitpid(pid, &status, 0);
        check("child succeeded", WIFEXITED(status) && WEXITSTATUS(status) == 0);
        verify("the child's end");
    }
    munmap(region, LEN);
    munmap(scratch, LEN + HP);
}

struct balance {
    long free_kb, tables_kb, anon_huge_kb, pte_kb, rss_kb;
};

/* Free memory, counting as free what may stay with good reason: the kernel heap keeps what it
 * grew by, the page cache keeps the program's pages that children read first, and this process
 * keeps its page tables. */
static struct balance balance(void)
{
    struct balance b = {
        proc_field("/proc/meminfo", "MemFree") + proc_field("/proc/meminfo", "KernelHeap") +
            proc_field("/proc/meminfo", "Cached") + proc_field("/proc/self/status", "VmPTE"),
        proc_field("/proc/meminfo", "KernelPageTables"),
        proc_field("/proc/meminfo", "AnonHugePages"),
        proc_field("/proc/self/status", "VmPTE"),
        proc_field("/proc/self/status", "VmRSS"),
    };
    return b;
}

static void show(const char *when, struct balance b)
{
    printf("# %s: MemFree+KernelHeap+Cached+VmPTE %ld kB, KernelPageTables %ld kB, AnonHugePages %ld kB, "
           "VmPTE %ld kB, VmRSS %ld kB\n",
           when, b.free_kb, b.tables_kb, b.anon_huge_kb, b.pte_kb, b.rss_kb);
}

/* A counter of /proc/self/mmstat ("name value" lines, this kernel's own file), or -1. */
static long mmstat(const char *name)
{
    char buf[1024], key[64];
    FILE *f = fopen("/proc/self/mmstat", "r");
    long value = -1, v;
    if (!f)
        return -1;
    while (fgets(buf, sizeof buf, f))
        if (sscanf(buf, "%63s %ld", key, &v) == 2 && strcmp(key, name) == 0)
            value = v;
    fclose(f);
    return value;
}

/* In a child: huge pages until the first fault that falls back to a small page. */
static void fill_until_fallback(void)
{
    unsigned long chunk = 64 * HP;
    for (int round = 0; round < 64; round++) {
        char *a = aligned(chunk);
        madvise(a, chunk, MADV_HUGEPAGE);
        for (unsigned long off = 0; off < chunk; off += HP) {
            a[off] = 1;
            if (mmstat("thp_fault_fallback") > 0) {
                printf("# fallback after %ld huge pages\n", mmstat("thp_fault_alloc"));
                printf("a fault with no 2 MiB block left got a small page\n");
                a[off + PG] = 2; /* and the small pages go on */
                fflush(stdout);
                _exit(a[off] == 1 && a[off + PG] == 2 ? 0 : 1);
            }
        }
    }
    printf("no fallback\n");
    _exit(1);
}

/* The mode in /sys/kernel/mm/transparent_hugepage/enabled, changed at run time by root: "never"
 * stops huge pages for the next faults, a word Linux does not know is EINVAL, and the mode read
 * back is the bracketed one. */
static void sysfs_setting(void)
{
    const char *path = "/sys/kernel/mm/transparent_hugepage/enabled";
    char before[64] = "", after[64] = "";
    int fd = open(path, O_RDONLY);
    check("read the mode", fd >= 0 && read(fd, before, sizeof before - 1) > 0);
    close(fd);
    fd = open(path, O_WRONLY);
    check("open the mode for writing", fd >= 0);
    check("set never", write(fd, "never\n", 6) == 6);
    check("a bad word is EINVAL", write(fd, "sometimes", 9) == -1 && errno == EINVAL);
    close(fd);
    fd = open(path, O_RDONLY);
    check("read never back", read(fd, after, sizeof after - 1) > 0 && strcmp(after, "always madvise [never]\n") == 0);
    close(fd);
    long huge = mmstat("thp_fault_alloc");
    char *a = aligned(HP);
    madvise(a, HP, MADV_HUGEPAGE);
    a[0] = 1;
    check("no huge page while never", mmstat("thp_fault_alloc") == huge);
    munmap(a, HP);
    /* Back to the mode the machine booted with. */
    char word[16] = "";
    sscanf(strchr(before, '[') ? strchr(before, '[') + 1 : "never", "%15[a-z]", word);
    fd = open(path, O_WRONLY);
    check("restore the mode", write(fd, word, strlen(word)) == (ssize_t)strlen(word));
    close(fd);
    fd = open(path, O_RDONLY);
    memset(after, 0, sizeof after);
    check("the mode restored", read(fd, after, sizeof after - 1) > 0 && strcmp(after, before) == 0);
    close(fd);
    printf("sysfs: the mode changed and restored\n");
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 4;
    int forks = argc > 2 ? atoi(argv[2]) : 40;
    sysfs_setting();
    /* Warm-up: what the C library (stdout's buffer, the heap) and the kernel keep once. */
    printf("thp_stress: %d rounds of %d forks\n", rounds, forks);
    fflush(stdout);
    churn(forks);
    struct balance base = balance();
    show("after warm-up", base);
    for (int r = 0; r < rounds; r++)
        churn(forks);
    struct balance after = balance();
    show("after churn", after);
    check("every frame back after the churn", after.free_kb == base.free_kb);
    check("every page table back", after.tables_kb == base.tables_kb);
    check("no huge page left", after.anon_huge_kb == 0);

    pid_t pid = fork();
    if (pid == 0)
        fill_until_fallback();
    int status;
    waitpid(pid, &status, 0);
    check("the filling child succeeded", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct balance end = balance();
    show("after the filling child", end);
    check("every frame back after the filling child", end.free_kb == base.free_kb);
    check("no huge page left at the end", end.anon_huge_kb == 0);
    printf("%s\n", failures ? "thp_stress: FAILED" : "thp_stress: ok");
    return failures != 0;
}
