/* The page cache's memory, as this kernel's /proc/meminfo shows it (Linux's Cached moves with
 * everything else on the machine, so this runs only in QEMU):
 *   fsmem cache  file pages count in Cached; they stay while the unlinked file is open or mapped
 *                and go with the last reference; truncation frees the pages past the new end.
 *   fsmem fill   writing file data until memory runs out fails with ENOSPC or ENOMEM (no panic),
 *                and removing the file gives the memory back.
 * Prints "ok: ..." or "FAIL: ..." lines and exits with the number of failures. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfield.h"

static int failures;

static void check(const char *what, int ok) {
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}

/* A /proc/meminfo field in kB, or -1. */
static long meminfo(const char *key) {
    return proc_field("/proc/meminfo", key);
}

#define PAGES 256

static void write_pages(int fd, int pages) {
    char page[4096];
    memset(page, 'x', sizeof page);
    for (int i = 0; i < pages; i++)
        if (write(fd, page, sizeof page) != sizeof page)
            printf("FAIL: write: %s\n", strerror(errno)), failures++;
}

/* Maps the program's own file with MAP_POPULATE, so that all its pages are in the page cache and
 * running code that was not run yet does not change Cached. */
static void cache_myself(void) {
    int fd = open("/proc/self/exe", O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    void *map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    check("own file mapped", map != MAP_FAILED);
    munmap(map, st.st_size);
    close(fd);
}

static void cache(void) {
    long base = meminfo("Cached");
    int fd = open("/tmp/big", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write_pages(fd, PAGES);
    long full = meminfo("Cached");
    printf("# Cached: %ld kB before, %ld kB with the file\n", base, full);
    check("file pages count in Cached", full - base == PAGES * 4);
    check("Shmem counts them too", meminfo("Shmem") == full);
    unlink("/tmp/big");
    check("unlinked but open: still cached", meminfo("Cached") == full);
    char *map = mmap(NULL, PAGES * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    long sum = 0;
    for (int i = 0; i < PAGES; i++)
        sum += map[i * 4096];
    check("the mapping reads the data", sum == 'x' * PAGES);
    close(fd);
    check("closed but mapped: still cached", meminfo("Cached") == full);
    munmap(map, PAGES * 4096);
    check("last reference gone: Cached is back", meminfo("Cached") == base);

    fd = open("/tmp/trunc", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write_pages(fd, PAGES);
    ftruncate(fd, 4096 + 1);
    check("ftruncate frees the pages past the end", meminfo("Cached") == base + 8);
    ftruncate(fd, PAGES * 4096);
    check("growing again allocates nothing (a hole)", meminfo("Cached") == base + 8);
    close(fd);
    check("closed: the file keeps its pages", meminfo("Cached") == base + 8);
    unlink("/tmp/trunc");
    check("unlinked and closed: freed", meminfo("Cached") == base);
}

static void fill(void) {
    long base = meminfo("Cached");
    long free_before = meminfo("MemFree");
    int fd = open("/tmp/fill", O_RDWR | O_CREAT | O_TRUNC, 0644);
    static char chunk[65536];
    memset(chunk, 'f', sizeof chunk);
    long total = 0;
    ssize_t n;
    while ((n = write(fd, chunk, sizeof chunk)) > 0)
        total += n;
    int err = errno;
    printf("# wrote %ld kB of %ld kB free, then: %s\n", total / 1024, free_before, strerror(err));
    check("writing stops with ENOSPC or ENOMEM", n < 0 && (err == ENOSPC || err == ENOMEM));
    check("file data filled a good part of memory", total / 1024 > free_before / 4);
    int other = open("/tmp/other", O_RDWR | O_CREAT, 0644);
    check("a file can still be created", other >= 0);
    close(other);
    unlink("/tmp/other");
    close(fd);
    unlink("/tmp/fill");
    check("removing the file gives the pages back", meminfo("Cached") == base);
    fd = open("/tmp/again", O_RDWR | O_CREAT, 0644);
    check("writing works again", write(fd, chunk, sizeof chunk) == sizeof chunk);
    close(fd);
    unlink("/tmp/again");
}

int main(int argc, char **argv) {
    cache_myself();
    if (argc > 1 && !strcmp(argv[1], "fill"))
        fill();
    else
        cache();
    return failures;
}
