/* mincore and madvise: which pages of anonymous and file mappings are in memory, what advice
 * does to them, and the errors; compared with Linux. (Only pages this program touched are asked
 * about in file mappings: whether the rest of a file is cached depends on the host.) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    unsigned char vec[8];
    char *p = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 1;
    p[2 * 4096] = 1;
    (void)*(volatile char *)(p + 5 * 4096); /* a read: the zero page is mapped */
    REPORT("mincore of 8 anonymous pages", mincore(p, 8 * 4096, vec));
    printf("resident:");
    for (int i = 0; i < 8; i++)
        printf(" %d", vec[i] & 1);
    printf("\n");
    REPORT("a length that is not a page multiple", mincore(p, 4096 + 1, vec));
    printf("covers two pages: %d %d\n", vec[0] & 1, vec[1] & 1);
    REPORT("an unaligned start", mincore(p + 1, 4096, vec));
    REPORT("a range with a hole", (munmap(p + 4 * 4096, 4096), mincore(p, 8 * 4096, vec)));
    REPORT("length 0", mincore(p, 0, vec));
    REPORT("a bad vector", syscall(SYS_mincore, p, 4096, (void *)8));
    REPORT("beyond user space", mincore((void *)0x7ffffffff000UL, 0x10000, vec));
    madvise(p, 4096, MADV_DONTNEED);
    REPORT("after MADV_DONTNEED of page 0", mincore(p, 4096, vec));
    printf("page 0 resident: %d\n", vec[0] & 1);
    /* PROT_NONE pages keep their frames: resident (x86's pte_present), until dropped. */
    char *n = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    n[0] = n[2 * 4096] = 1;
    mprotect(n, 4 * 4096, PROT_NONE);
    REPORT("mincore of PROT_NONE pages", mincore(n, 4 * 4096, vec));
    printf("resident: %d %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
    REPORT("MADV_DONTNEED on them", madvise(n, 4 * 4096, MADV_DONTNEED));
    mincore(n, 4 * 4096, vec);
    printf("resident: %d %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
    munmap(n, 4 * 4096);

    int fd = open(argv[0], O_RDONLY);
    char *f = mmap(NULL, 2 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    (void)*(volatile char *)f;
    REPORT("mincore of a file mapping", mincore(f, 4096, vec));
    printf("its first page, read: %d\n", vec[0] & 1);

    /* madvise */
    char *a = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    a[0] = 42;
    REPORT("MADV_DONTNEED on written anonymous memory", madvise(a, 4096, MADV_DONTNEED));
    printf("it reads back as: %d\n", a[0]);
    char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    char first = w[0];
    w[0] = first + 1;
    REPORT("MADV_DONTNEED on a written private file page", madvise(w, 4096, MADV_DONTNEED));
    printf("it reads back the file's byte: %s\n", w[0] == first ? "yes" : "no");
    REPORT("MADV_FREE on a file mapping", madvise(w, 4096, MADV_FREE));
    REPORT("MADV_REMOVE on private memory", madvise(a, 4096, MADV_REMOVE));
    a[4096] = 1;
    REPORT("MADV_FREE on anonymous memory", madvise(a + 4096, 4096, MADV_FREE));
    REPORT("advice 99", madvise(a, 4096, 99));
    REPORT("an unaligned start", madvise(a + 1, 4096, MADV_NORMAL));
    REPORT("length 0", madvise(a, 0, MADV_DONTNEED));
    munmap(a + 2 * 4096, 4096);
    REPORT("a range with a hole", madvise(a, 4 * 4096, MADV_NORMAL));
    REPORT("MADV_RANDOM, SEQUENTIAL, NORMAL, COLD", madvise(a, 4096, MADV_RANDOM) |
           madvise(a, 4096, MADV_SEQUENTIAL) | madvise(a, 4096, MADV_NORMAL) | madvise(a, 4096, MADV_COLD));
    REPORT("MADV_WILLNEED on anonymous memory", madvise(a, 4096, MADV_WILLNEED));
    REPORT("MADV_WILLNEED on a file mapping", madvise(f, 2 * 4096, MADV_WILLNEED));
    char *big = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REPORT("MADV_POPULATE_WRITE of 64 pages", madvise(big, 64 * 4096, 23));
    unsigned char v64[64];
    mincore(big, 64 * 4096, v64);
    int resident = 0;
    for (int i = 0; i < 64; i++)
        resident += v64[i] & 1;
    printf("resident after it: %d\n", resident);
    REPORT("MADV_POPULATE_WRITE of a read-only mapping", madvise(f, 4096, 23));
    REPORT("MADV_POPULATE_READ of it", madvise(f, 4096, 22));
    return argc > 99;
}
