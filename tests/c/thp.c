#define _GNU_SOURCE
/* Transparent huge pages, compared with Linux: which areas get them (THPeligible, MADV_HUGEPAGE,
 * MADV_NOHUGEPAGE), what a write fault maps (AnonHugePages, Rss), and what becomes of a huge page
 * when part of it is mprotected, unmapped, dropped or moved (split, contents kept) or when all of
 * it is (kept whole), and across fork (shared copy-on-write: Pss halves, a write in the child
 * splits only the child's, the parent reuses its own once alone).
 *
 * Run on both kernels with the same mode: the test boots this kernel with the host's
 * transparent_hugepage setting and enough memory for huge pages (Linux turns them off below
 * 512 MiB). Areas are printed relative to their base, in kB, never as addresses. A read fault
 * before the first write is avoided: Linux maps a huge zero page there, and what a later write
 * does with it changed across versions. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "areas.h"

#define HP (2UL << 20)
#define PG 4096UL

/* A private anonymous read-write area of `len` bytes starting on a 2 MiB boundary, with nothing
 * mapped in the 2 MiB on each side of it (so that it merges with nothing). */
static char *aligned_area(unsigned long len)
{
    char *raw = mmap(NULL, len + 3 * HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    char *a = (char *)(((unsigned long)raw + 2 * HP - 1) & ~(HP - 1));
    munmap(raw, a - raw);
    munmap(a + len, raw + len + 3 * HP - (a + len));
    return a;
}

/* One line per area overlapping [base, base + len): bounds in kB from base, then the fields that
 * say what huge pages do. */
static void show(const char *label, const char *base, unsigned long len)
{
    unsigned long b = (unsigned long)base, s, e;
    int shown = 0;
    for (const char *a = find_area(read_smaps(), &s, &e); a; a = next_area(a, &s, &e)) {
        if (e <= b || s >= b + len)
            continue;
        printf("%s: %+ld..%+ld kB rss %ld pss %ld anonhuge %ld eligible %ld\n", label,
               ((long)s - (long)b) / 1024, ((long)e - (long)b) / 1024, area_field(a, "Rss"),
               area_field(a, "Pss"), area_field(a, "AnonHugePages"), area_field(a, "THPeligible"));
        shown++;
    }
    if (!shown)
        printf("%s: nothing mapped\n", label);
    fflush(stdout);
}

/* Writes a word naming each page into [a, a + len). */
static void fill(char *a, unsigned long len, unsigned long tag)
{
    for (unsigned long off = 0; off < len; off += PG)
        *(unsigned long *)(a + off) = tag + off / PG;
}

/* Counts the pages of [a, a + len) that do not hold what fill() wrote (0 expected). */
static unsigned long check(const char *a, unsigned long len, unsigned long tag)
{
    unsigned long bad = 0;
    for (unsigned long off = 0; off < len; off += PG)
        if (*(const unsigned long *)(a + off) != tag + off / PG)
            bad++;
    return bad;
}

static char *huge_area(unsigned long len, unsigned long tag)
{
    char *a = aligned_area(len);
    if (madvise(a, len, MADV_HUGEPAGE))
        perror("madvise");
    fill(a, len, tag);
    return a;
}

/* A small text file's contents, as one line. */
static void show_file(const char *path)
{
    char buf[128] = "";
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    printf("%s: %s%s", path, n < 0 ? "unreadable" : buf, n > 0 && buf[n - 1] == '\n' ? "" : "\n");
}

int main(void)
{
    show_file("/sys/kernel/mm/transparent_hugepage/enabled");
    show_file("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");

    /* Eligibility and the first faults. */
    char *a = aligned_area(4 * HP);
    show("fresh", a, 4 * HP);
    madvise(a, 4 * HP, MADV_HUGEPAGE);
    show("advised", a, 4 * HP);
    a[0] = 1;
    a[HP + 5] = 1;
    show("two written", a, 4 * HP);
    fill(a, 2 * HP, 100);
    show("filled", a, 4 * HP);

    /* mprotect of one page splits its huge page; the other stays whole. */
    mprotect(a + PG, PG, PROT_READ);
    show("one page read-only", a, 4 * HP);
    printf("contents: %lu bad\n", check(a, 2 * HP, 100));
    mprotect(a + PG, PG, PROT_READ | PROT_WRITE);
    show("writable again", a, 4 * HP);

    /* mprotect of a whole huge page keeps it whole. */
    mprotect(a + HP, HP, PROT_READ);
    show("huge page read-only", a, 4 * HP);
    mprotect(a + HP, HP, PROT_READ | PROT_WRITE);
    a[HP + 7] = 2;
    show("and writable", a, 4 * HP);

    /* munmap of one page inside the second huge page splits it. */
    munmap(a + HP + 2 * PG, PG);
    show("hole punched", a, 4 * HP);
    printf("contents below the hole: %lu bad\n", check(a, HP + 2 * PG, 100) - 1);
    printf("contents above the hole: %lu bad\n",
           check(a + HP + 3 * PG, HP - 3 * PG, 100 + HP / PG + 3));
    munmap(a, 4 * HP);

    /* Areas where huge pages do not go. */
    char *n = aligned_area(2 * HP);
    madvise(n, 2 * HP, MADV_NOHUGEPAGE);
    fill(n, 2 * HP, 5);
    show("nohugepage", n, 2 * HP);
    munmap(n, 2 * HP);
    char *s = aligned_area(HP + 64 * PG);
    madvise(s + 32 * PG, HP, MADV_HUGEPAGE);
    show("advised but unaligned", s, HP + 64 * PG);
    fill(s, HP + 64 * PG, 9);
    show("written", s, HP + 64 * PG);
    munmap(s, HP + 64 * PG);
    char *sh = mmap(NULL, 4 * HP, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    madvise(sh, 4 * HP, MADV_HUGEPAGE);
    printf("shared anonymous eligible: %s\n", strstr(read_smaps(), "THPeligible:    1") ? "some" : "none");
    munmap(sh, 4 * HP);

    /* MADV_DONTNEED of one page splits; of a whole huge page drops it. */
    char *d = huge_area(2 * HP, 300);
    show("before dontneed", d, 2 * HP);
    madvise(d + 4 * PG, PG, MADV_DONTNEED);
    show("one page dropped", d, 2 * HP);
    printf("dropped page reads %lu, others %lu bad\n", *(unsigned long *)(d + 4 * PG),
           check(d, 4 * PG, 300) + check(d + 5 * PG, 2 * HP - 5 * PG, 300 + 5));
    madvise(d + HP, HP, MADV_DONTNEED);
    show("huge page dropped", d, 2 * HP);
    munmap(d, 2 * HP);

    /* mincore sees a huge page as resident pages. */
    char *m = huge_area(HP, 400);
    unsigned char vec[512];
    mincore(m, HP, vec);
    int resident = 0;
    for (int i = 0; i < 512; i++)
        resident += vec[i] & 1;
    printf("mincore: %d of 512 resident\n", resident);
    munmap(m, HP);

    /* mremap: to a 2 MiB boundary the huge pages move whole, elsewhere they are split. */
    char *r = huge_area(2 * HP, 500);
    char *dest = aligned_area(4 * HP);
    char *moved = mremap(r, 2 * HP, 2 * HP, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
    show("moved to 2 MiB", moved, 2 * HP);
    printf("moved contents: %lu bad\n", check(moved, 2 * HP, 500));
    char *moved2 = mremap(moved, 2 * HP, 2 * HP, MREMAP_MAYMOVE | MREMAP_FIXED, dest + 2 * HP + PG);
    show("moved off the boundary", moved2, 2 * HP);
    printf("moved contents: %lu bad\n", check(moved2, 2 * HP, 500));
    munmap(dest, 5 * HP);

    /* fork: shared copy-on-write. */
    char *f = huge_area(2 * HP, 600);
    show("parent before fork", f, 2 * HP);
    pid_t pid = fork();
    if (pid == 0) {
        show("child", f, 2 * HP);
        f[3 * PG] = 7;
        show("child after a write", f, 2 * HP);
        printf("child contents: %lu bad (1 written)\n", check(f, 2 * HP, 600));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child status %d\n", WEXITSTATUS(status));
    show("parent after the child", f, 2 * HP);
    printf("parent contents: %lu bad\n", check(f, 2 * HP, 600));
    f[5] = 1;
    f[HP + 5] = 1;
    show("parent after its writes", f, 2 * HP);

    /* A child that is still alive when the parent writes: the parent's huge page is split. The
     * child waits for the parent to have written and printed (it slept a second, which a loaded
     * machine may not give the parent: then the lines came out swapped). */
    int written[2];
    pipe(written);
    pid = fork();
    if (pid == 0) {
        close(written[1]);
        char c;
        read(written[0], &c, 1);
        printf("second child contents: %lu bad\n", check(f + HP, HP, 600 + HP / PG));
        fflush(stdout);
        _exit(0);
    }
    close(written[0]);
    *(unsigned long *)(f + HP) = 1;
    show("parent writes while shared", f, 2 * HP);
    fflush(stdout);
    close(written[1]);
    waitpid(pid, &status, 0);
    printf("second child status %d\n", WEXITSTATUS(status));
    munmap(f, 2 * HP);

    /* PR_SET_THP_DISABLE: no huge page, not eligible, kept across fork; and back. */
    fflush(stdout);
    printf("PR_GET_THP_DISABLE: %d\n", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
    printf("PR_SET_THP_DISABLE: %d\n", prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
    printf("PR_GET_THP_DISABLE: %d\n", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
    int rc = prctl(PR_GET_THP_DISABLE, 1, 0, 0, 0);
    printf("PR_GET_THP_DISABLE with an argument: %d %s\n", rc, rc < 0 && errno == EINVAL ? "EINVAL" : "");
    char *x = huge_area(2 * HP, 700);
    show("disabled", x, 2 * HP);
    printf("status THP_enabled: %ld\n", status_kb("THP_enabled"));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        printf("child PR_GET_THP_DISABLE: %d\n", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    printf("PR_SET_THP_DISABLE 0: %d\n", prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0));
    munmap(x, 2 * HP);
    x = huge_area(2 * HP, 800);
    show("enabled again", x, 2 * HP);
    munmap(x, 2 * HP);
    printf("done\n");
    return 0;
}
