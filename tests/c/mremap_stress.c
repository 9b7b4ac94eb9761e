/* mremap under load, in QEMU only (it reads this kernel's /proc/meminfo and /proc/self/mmstat):
 * thousands of random grows, shrinks and moves (MAYMOVE, FIXED, DONTUNMAP) of filled areas,
 * checking every page after each step, a forked child moving its copy-on-write copy, and at the
 * end every frame and page table back; then vm.max_map_count: mremap refuses to move, with
 * ENOMEM, when the areas are near the limit. Prints "FAIL ..." on any error. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

#define P 4096L
#define SLOTS 16
#define MAXPAGES 48
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

static unsigned long rng = 12345;
static unsigned long next(void)
{
    rng = rng * 6364136223846793005UL + 1442695040888963407UL;
    return rng >> 33;
}

static long meminfo(const char *key)
{
    static char buf[4096];
    FILE *f = fopen("/proc/meminfo", "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    char *l = strstr(buf, key);
    return l ? strtol(l + strlen(key) + 1, NULL, 10) : -1;
}

static long mmstat(const char *key)
{
    static char buf[4096];
    FILE *f = fopen("/proc/self/mmstat", "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    char *l = strstr(buf, key);
    return l ? strtol(l + strlen(key) + 1, NULL, 10) : -1;
}

struct slot {
    char *p;
    long pages; /* pages holding the pattern; beyond them, zeros up to len */
    long len;
    unsigned char seed;
};

static int failures;

static void check(struct slot *s, const char *what, int step)
{
    for (long i = 0; i < s->len; i++) {
        unsigned char want = i < s->pages ? (unsigned char)(s->seed + i) : 0;
        unsigned char *page = (unsigned char *)s->p + i * P;
        if (page[0] != want || page[P - 1] != want) {
            if (failures++ < 10)
                printf("FAIL step %d %s: page %ld of %ld reads %d, not %d\n", step, what, i,
                       s->len, page[0], want);
            return;
        }
    }
}

static void fill(struct slot *s)
{
    for (long i = 0; i < s->len; i++)
        memset(s->p + i * P, (unsigned char)(s->seed + i), P);
    s->pages = s->len;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct slot slots[SLOTS] = {0};
    long free0 = meminfo("MemFree:"), tables0 = mmstat("page_tables");
    int moves = 0, grows = 0, shrinks = 0, in_place = 0;
    for (int step = 0; step < 4000; step++) {
        struct slot *s = &slots[next() % SLOTS];
        if (!s->p) {
            s->len = 1 + next() % MAXPAGES;
            s->p = mmap(NULL, s->len * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            s->seed = next();
            fill(s);
            continue;
        }
        long new_len = 1 + next() % MAXPAGES;
        int how = next() % 4;
        char *r;
        if (how == 3) {
            /* MREMAP_FIXED to a fresh place, or MREMAP_DONTUNMAP then drop the old range. */
            if (next() % 2) {
                char *dst = mmap(NULL, new_len * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                r = (char *)syscall(SYS_mremap, s->p, s->len * P, new_len * P,
                                    MREMAP_MAYMOVE | MREMAP_FIXED, dst);
            } else {
                new_len = s->len;
                r = (char *)syscall(SYS_mremap, s->p, s->len * P, new_len * P,
                                    MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
                if (r != MAP_FAILED) {
                    for (long i = 0; i < s->len; i++)
                        if (s->p[i * P] != 0 && failures++ < 10)
                            printf("FAIL step %d: DONTUNMAP left page %ld\n", step, i);
                    munmap(s->p, s->len * P);
                }
            }
        } else {
            r = (char *)syscall(SYS_mremap, s->p, s->len * P, new_len * P, how ? MREMAP_MAYMOVE : 0, 0);
        }
        if (r == MAP_FAILED) {
            if (how != 0 || errno != ENOMEM) {
                printf("FAIL step %d: mremap %s\n", step, errname(errno));
                failures++;
            }
            continue;
        }
        moves += r != s->p;
        in_place += r == s->p && new_len > s->len;
        grows += new_len > s->len;
        shrinks += new_len < s->len;
        s->p = r;
        if (new_len < s->pages)
            s->pages = new_len;
        s->len = new_len;
        check(s, "after mremap", step);
        if (next() % 8 == 0) {
            s->seed = next();
            fill(s);
        }
        if (step == 2000) {
            /* A child moves its copy and writes it; the parent's stays. */
            pid_t pid = fork();
            if (pid == 0) {
                for (int i = 0; i < SLOTS; i++) {
                    if (!slots[i].p)
                        continue;
                    char *c = (char *)syscall(SYS_mremap, slots[i].p, slots[i].len * P,
                                              (slots[i].len + 3) * P, MREMAP_MAYMOVE, 0);
                    slots[i].p = c;
                    slots[i].len += 3;
                    check(&slots[i], "child", step);
                    memset(c, 0x5a, slots[i].len * P);
                }
                _exit(failures ? 1 : 0);
            }
            int status;
            waitpid(pid, &status, 0);
            if (status != 0)
                printf("FAIL child status %d\n", status), failures++;
            for (int i = 0; i < SLOTS; i++)
                if (slots[i].p)
                    check(&slots[i], "parent after the child", step);
        }
    }
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].p)
            munmap(slots[i].p, slots[i].len * P);
    printf("ok: %d moves, %d grows (%d in place), %d shrinks\n", moves, grows, in_place, shrinks);
    long free1 = meminfo("MemFree:"), tables1 = mmstat("page_tables");
    printf("MemFree %ld -> %ld kB, page tables %ld -> %ld\n", free0, free1, tables0, tables1);
    if (free1 < free0 - 64 || tables1 > tables0 + 2)
        printf("FAIL memory not given back\n"), failures++;
    if (moves < 100 || in_place < 10 || shrinks < 100)
        printf("FAIL too few of each kind\n"), failures++;

    /* vm.max_map_count: split a large area page by page until mprotect refuses. */
    long n = 66000;
    char *big = mmap(NULL, n * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    long i = 0;
    while (i < n && mprotect(big + i * P, P, PROT_READ) == 0)
        i += 2;
    printf("mprotect refused at %s, areas %ld\n", errname(errno), mmstat("vmas"));
    /* From the middle of the last area: it cannot grow in place, so it must move. */
    char *x = (char *)syscall(SYS_mremap, big + (n - 2) * P, P, 2 * P, MREMAP_MAYMOVE, 0);
    printf("mremap move near the limit: %s\n", x == MAP_FAILED ? errname(errno) : "ok");
    if (x != MAP_FAILED)
        failures++;
    x = (char *)syscall(SYS_mremap, big + (n - 1) * P, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, big - 16 * P);
    printf("mremap MREMAP_FIXED near the limit: %s\n", x == MAP_FAILED ? errname(errno) : "ok");
    if (x != MAP_FAILED)
        failures++;
    x = (char *)syscall(SYS_mremap, big + (n - 1) * P, P, P / 2, 0, 0);
    printf("mremap of the same size near the limit: %s\n", x == MAP_FAILED ? errname(errno) : "ok");
    munmap(big, n * P);
    printf("%s\n", failures ? "FAIL" : "ok: all checks");
    return failures != 0;
}
