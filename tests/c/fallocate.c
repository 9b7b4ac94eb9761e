/* fallocate on tmpfs against Linux (a memfd is tmpfs on both): allocation that grows the file or
 * keeps its size (st_blocks counts the pages given memory), holes punched in the middle, across
 * page edges and within one page, reading back as zeros while the data around them stays, seen
 * through a shared mapping (the pages leave it) and not taken from a private copy, the seals, and
 * the errors in Linux's order. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

/* linux/falloc.h's modes (musl's fcntl.h has the first two). */
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#define FALLOC_FL_ZERO_RANGE 0x10
#define FALLOC_FL_INSERT_RANGE 0x20
#define FALLOC_FL_UNSHARE_RANGE 0x40

static void show_file(int fd)
{
    struct stat st;
    fstat(fd, &st);
    printf("size %ld blocks %ld\n", (long)st.st_size, (long)st.st_blocks);
}

/* Whether the bytes [from, to) of the file are all `c`. */
static int all(int fd, long from, long to, char c)
{
    char buf[4096];
    for (long at = from; at < to;) {
        long n = to - at < (long)sizeof buf ? to - at : (long)sizeof buf;
        if (pread(fd, buf, n, at) != n)
            return 0;
        for (long i = 0; i < n; i++)
            if (buf[i] != c)
                return 0;
        at += n;
    }
    return 1;
}

static void fill(int fd, long len, char c)
{
    char buf[4096];
    memset(buf, c, sizeof buf);
    for (long at = 0; at < len; at += sizeof buf)
        pwrite(fd, buf, sizeof buf, at);
}

/* QEMU only: a hole punched in a file the initramfs still holds (never written: its data is the
 * initramfs's, not the page cache's) must read as zeros, and the rest keep its data. */
static int punch_initramfs_file(const char *path)
{
    int fd = open(path, O_RDWR);
    static char before[5 * 4096], after[5 * 4096];
    if (fd < 0 || pread(fd, before, sizeof before, 0) != sizeof before) {
        printf("FAIL: %s must be a file of at least 5 pages\n", path);
        return 1;
    }
    int rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096 - 10, 2 * 4096 + 20);
    pread(fd, after, sizeof after, 0);
    memset(before + 4096 - 10, 0, 2 * 4096 + 20);
    int ok = rc == 0 && memcmp(before, after, sizeof before) == 0;
    printf("%s: a hole in a file the initramfs holds\n", ok ? "ok" : "FAIL");
    return !ok;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && strcmp(argv[1], "initramfs") == 0)
        return punch_initramfs_file(argv[2]);
    int fd = memfd_create("falloc", MFD_ALLOW_SEALING);
    printf("-- allocation\n");
    show_file(fd);
    CHECK(fallocate(fd, 0, 4096, 8192));
    show_file(fd);
    printf("zeros: %d\n", all(fd, 0, 12288, 0));
    CHECK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 12288, 16384));
    show_file(fd);
    CHECK(fallocate(fd, 0, 100, 10));
    show_file(fd);
    /* Allocation keeps what is there. */
    CHECK(pwrite(fd, "data", 4, 5000));
    CHECK(fallocate(fd, 0, 0, 20000));
    char buf[8] = {0};
    pread(fd, buf, 4, 5000);
    printf("kept: %s\n", buf);
    show_file(fd);

    printf("-- holes\n");
    CHECK(ftruncate(fd, 0));
    fill(fd, 8 * 4096, 'x');
    show_file(fd);
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192));
    show_file(fd);
    printf("hole zeros: %d, around kept: %d %d\n", all(fd, 4096, 12288, 0), all(fd, 0, 4096, 'x'),
           all(fd, 12288, 8 * 4096, 'x'));
    /* Across page edges: the partial pages are zeroed, only whole pages go. */
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 16384 + 100, 8192));
    show_file(fd);
    printf("edges: %d %d %d\n", all(fd, 16384, 16484, 'x'), all(fd, 16484, 16484 + 8192, 0),
           all(fd, 16484 + 8192, 8 * 4096, 'x'));
    /* Within one page. */
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 50));
    show_file(fd);
    printf("small: %d %d %d\n", all(fd, 0, 100, 'x'), all(fd, 100, 150, 0), all(fd, 150, 4096, 'x'));
    /* Beyond the end: nothing changes, the size neither. */
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1 << 20, 4096));
    show_file(fd);

    printf("-- far offsets (a sparse file: only the pages used cost memory)\n");
    int far = memfd_create("far", 0);
    CHECK(pwrite(far, "x", 1, 1L << 45));
    CHECK(fallocate(far, FALLOC_FL_KEEP_SIZE, 1L << 50, 4096));
    CHECK(fallocate(far, 0, (1L << 40) + 4096, 100));
    show_file(far);
    char c = 0;
    CHECK(pread(far, &c, 1, 1L << 45));
    printf("read back: %c\n", c);
    CHECK(fallocate(far, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1L << 45, 4096));
    show_file(far);
    close(far);

    printf("-- mappings\n");
    CHECK(ftruncate(fd, 0));
    fill(fd, 4 * 4096, 'y');
    char *shared = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *priv = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    priv[4096] = 'P'; /* a private copy of page 1 */
    printf("before: %c %c %c\n", shared[4096], priv[4096], priv[8192]);
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192));
    printf("after: shared %d %d, private copy %c, private file page %d\n", shared[4096],
           shared[8192], priv[4096], priv[8192]);
    shared[8192] = 'n';
    printf("written again: %c, file %d\n", priv[8192], all(fd, 8192, 8193, 'n'));
    show_file(fd);
    munmap(shared, 4 * 4096);
    munmap(priv, 4 * 4096);

    printf("-- seals\n");
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    CHECK(fallocate(fd, 0, 0, 1 << 20));
    CHECK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 << 20));
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    show_file(fd);

    printf("-- errors\n");
    int f2 = memfd_create("errors", 0);
    CHECK(fallocate(f2, 0, -1, 4096));
    CHECK(fallocate(f2, 0, 0, 0));
    CHECK(fallocate(f2, 0, 0, -5));
    CHECK(fallocate(f2, 0x100, 0, 4096));
    CHECK(fallocate(f2, FALLOC_FL_PUNCH_HOLE, 0, 4096));
    CHECK(fallocate(f2, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 1));
    CHECK(fallocate(f2, FALLOC_FL_ZERO_RANGE, 0, 4096));
    CHECK(fallocate(f2, FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
    CHECK(fallocate(f2, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    CHECK(fallocate(f2, FALLOC_FL_INSERT_RANGE, 0, 4096));
    CHECK(fallocate(f2, FALLOC_FL_UNSHARE_RANGE, 0, 4096));
    CHECK(fallocate(f2, 0, 0x7fffffffffffffffL, 2));
    CHECK(fallocate(f2, 0, 0x7ffffffffffff000L, 0x1000));
    CHECK(fallocate(99, 0, 0, 4096));
    int p[2];
    pipe(p);
    CHECK(fallocate(p[1], 0, 0, 4096));
    CHECK(fallocate(p[0], 0, 0, 4096));
    int dir = open("/", O_RDONLY | O_DIRECTORY);
    CHECK(fallocate(dir, 0, 0, 4096));
    int null = open("/dev/null", O_WRONLY);
    CHECK(fallocate(null, 0, 0, 4096));
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", f2);
    int rdonly = open(path, O_RDONLY);
    CHECK(fallocate(rdonly, 0, 0, 4096));
    return 0;
}
