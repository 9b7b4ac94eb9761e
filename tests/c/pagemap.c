/* /proc/PID/pagemap against Linux: demand paging (a page is present once touched), the shared
 * zero page behind pages only read, a private page written (exclusively mapped), pages outside
 * any area, copy-on-write after fork (the same frame in parent and child until one writes, then
 * each alone), file pages of a memfd mapped once or twice and their private copies, PROT_NONE
 * pages keeping their frame, another process's pagemap, and the read errors. Frame numbers
 * differ between systems: only whether two pages share a frame is printed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096L
#define PRESENT (1ULL << 63)
#define FILEPAGE (1ULL << 61)
#define EXCLUSIVE (1ULL << 56)
#define SOFT_DIRTY (1ULL << 55)
#define PFN(e) ((e) & ((1ULL << 55) - 1))

static int self_fd;

static uint64_t entry_of(int fd, const void *addr)
{
    uint64_t e = 0;
    if (pread(fd, &e, 8, (uintptr_t)addr / PAGE * 8) != 8)
        return ~0ULL;
    return e;
}

static uint64_t entry(const void *addr)
{
    return entry_of(self_fd, addr);
}

/* The entry's bits as letters: Present, File, eXclusive, Soft-dirty; and whether it names a
 * frame. */
static void show_entry(const char *what, uint64_t e)
{
    printf("%-28s %c%c%c%c%s\n", what, e & PRESENT ? 'P' : '-', e & FILEPAGE ? 'F' : '-',
           e & EXCLUSIVE ? 'X' : '-', e & SOFT_DIRTY ? 'S' : '-',
           e & PRESENT ? (PFN(e) ? " frame" : " no frame number") : "");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    self_fd = open("/proc/self/pagemap", O_RDONLY);
    printf("-- anonymous memory\n");
    char *a = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show_entry("untouched", entry(a));
    volatile char sink = a[PAGE] + a[2 * PAGE];
    (void)sink;
    show_entry("read", entry(a + PAGE));
    printf("two read pages share a frame: %d\n", PFN(entry(a + PAGE)) == PFN(entry(a + 2 * PAGE)));
    a[3 * PAGE] = 1;
    show_entry("written", entry(a + 3 * PAGE));
    printf("not the read pages' frame: %d\n", PFN(entry(a + 3 * PAGE)) != PFN(entry(a + PAGE)));
    munmap(a + 5 * PAGE, PAGE);
    show_entry("unmapped hole", entry(a + 5 * PAGE));
    show_entry("page 0x1000", entry((void *)0x1000));
    a[6 * PAGE] = 1;
    mprotect(a + 6 * PAGE, PAGE, PROT_NONE);
    show_entry("written, then PROT_NONE", entry(a + 6 * PAGE));
    /* A whole range in one read. */
    uint64_t many[8];
    CHECK(pread(self_fd, many, sizeof many, (uintptr_t)a / PAGE * 8));
    printf("in one read:");
    for (int i = 0; i < 8; i++)
        printf(" %c", many[i] & PRESENT ? 'P' : many[i] ? 's' : '0');
    printf("\n");

    printf("-- fork\n");
    a[4 * PAGE] = 2;
    int to_parent[2], to_child[2];
    pipe(to_parent);
    pipe(to_child);
    pid_t pid = fork();
    if (pid == 0) {
        /* The inherited descriptor still shows the parent (the file keeps the process that
         * opened it): the child opens its own. */
        int inherited = self_fd;
        self_fd = open("/proc/self/pagemap", O_RDONLY);
        char *own = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        own[0] = 1;
        printf("a page only the child has: inherited descriptor %d, own %d\n",
               entry_of(inherited, own) != 0, entry(own) != 0);
        uint64_t mine = entry(a + 4 * PAGE);
        write(to_parent[1], &mine, 8);
        char c;
        read(to_child[0], &c, 1);
        a[4 * PAGE] = 3; /* copy-on-write */
        mine = entry(a + 4 * PAGE);
        write(to_parent[1], &mine, 8);
        read(to_child[0], &c, 1);
        _exit(0);
    }
    uint64_t child;
    read(to_parent[0], &child, 8);
    show_entry("parent, shared", entry(a + 4 * PAGE));
    show_entry("child, shared", child);
    printf("same frame: %d\n", PFN(child) == PFN(entry(a + 4 * PAGE)));
    /* The child's pagemap, read by the parent. */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
    int child_fd = open(path, O_RDONLY);
    printf("the child's, read here, agrees: %d\n", entry_of(child_fd, a + 4 * PAGE) == child);
    write(to_child[1], "", 1);
    read(to_parent[0], &child, 8);
    show_entry("child, after its write", child);
    show_entry("parent, after the child's", entry(a + 4 * PAGE));
    printf("frames differ: %d\n", PFN(child) != PFN(entry(a + 4 * PAGE)));
    write(to_child[1], "", 1);
    int status;
    waitpid(pid, &status, 0);
    close(child_fd);

    printf("-- file pages\n");
    int fd = memfd_create("pagemap", 0);
    ftruncate(fd, 2 * PAGE);
    char *s1 = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    s1[0] = 'x';
    show_entry("shared, mapped once", entry(s1));
    show_entry("shared, untouched", entry(s1 + PAGE));
    char *s2 = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    sink = s2[0];
    show_entry("shared, mapped twice", entry(s1));
    printf("one frame: %d\n", PFN(entry(s1)) == PFN(entry(s2)));
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    sink = p[0];
    show_entry("private, read", entry(p));
    p[0] = 'y';
    show_entry("private, written", entry(p));

    printf("-- reads\n");
    uint64_t e;
    CHECK(pread(self_fd, &e, 8, 4));
    CHECK(pread(self_fd, &e, 5, 0));
    CHECK(pread(self_fd, &e, 0, 0));
    CHECK(pread(self_fd, &e, 8, (0x800000000000UL / PAGE) * 8));
    CHECK(pread(self_fd, &e, 8, (0x7ffffffff000UL / PAGE) * 8));
    CHECK(write(self_fd, &e, 8));
    return 0;
}
