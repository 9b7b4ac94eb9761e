/* /proc/PID/clear_refs against Linux: the write-only file (mode, EINVAL on read, the position
 * stays), what a write may say (a decimal integer of at most 12 bytes with blanks around it, 1 to
 * 5; EINVAL and ERANGE), smaps' Referenced cleared for all areas, anonymous ones (2) or those of
 * files (3) and counting the pages touched since, VmHWM reset to the resident size (5), a
 * zombie's and a reaped process's; and smaps' Rss, Private_Dirty and Referenced kept through
 * mprotect, PROT_NONE included. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096

/* The value of smaps' `field` for the area holding `start`, in kB (-1 if not found). */
static long smaps_field(void *start, const char *field)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[256];
    int inside = 0;
    long value = -1;
    size_t len = strlen(field);
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = lo <= (uintptr_t)start && (uintptr_t)start < hi;
            continue;
        }
        if (inside && strncmp(line, field, len) == 0 && line[len] == ':') {
            value = atol(line + len + 1);
            break;
        }
    }
    fclose(f);
    return value;
}

static long status_field(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long value = -1;
    size_t len = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            value = atol(line + len + 1);
    fclose(f);
    return value;
}

static void clear(int fd, const char *what)
{
    if (write(fd, what, strlen(what)) < 0)
        printf("write %s: %s\n", what, errname(errno));
}

static void touch(volatile char *p, int pages)
{
    for (int i = 0; i < pages; i++)
        p[i * PAGE] += 1;
}

static void the_file(void)
{
    printf("-- the file\n");
    int fd = open("/proc/self/clear_refs", O_RDONLY);
    char buf[8];
    CHECK(read(fd, buf, sizeof buf));
    close(fd);
    fd = open("/proc/self/clear_refs", O_WRONLY);
    struct stat st;
    fstat(fd, &st);
    printf("mode %o\n", st.st_mode);
    const char *inputs[] = {"1", " 1\n", "\t+2 ", "0", "6", "-1", "abc", "1x", "0x1", "",
                            "1 2", "00000000001", "000000000001", "0000000000001",
                            "99999999999", "-9999999999", "4", "5"};
    for (unsigned i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        errno = 0;
        long n = write(fd, inputs[i], strlen(inputs[i]));
        printf("write \"");
        for (const char *c = inputs[i]; *c; c++)
            printf(*c == '\n' ? "\\n" : *c == '\t' ? "\\t" : "%c", *c);
        printf("\": %ld %s\n", n, n < 0 ? errname(errno) : "");
    }
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(write(fd, (void *)16, 1));
    close(fd);
}

/* `pages` of anonymous memory between two PROT_NONE guard pages, so that its area merges with
 * no other (PROT_NONE ones excepted, which hold no pages). */
static char *isolated(int pages)
{
    char *guarded = mmap(NULL, (pages + 2) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(guarded + PAGE, pages * PAGE, PROT_READ | PROT_WRITE);
    return guarded + PAGE;
}

static void flush_tlb(char *p, int pages)
{
    mprotect(p, pages * PAGE, PROT_READ);
    mprotect(p, pages * PAGE, PROT_READ | PROT_WRITE);
}

/* Rss, Private_Dirty and Referenced of the area at `p`. */
static void show_area(const char *when, void *p)
{
    printf("%s: Rss %ld, Private_Dirty %ld, Referenced %ld\n", when, smaps_field(p, "Rss"),
           smaps_field(p, "Private_Dirty"), smaps_field(p, "Referenced"));
}

/* mprotect keeps the accessed and dirty bits, PROT_NONE pages included (x86's pte_present). */
static void through_mprotect(void)
{
    printf("-- accessed and dirty bits through mprotect\n");
    char *a = isolated(8);
    touch(a, 8);
    show_area("touched", a);
    mprotect(a, 8 * PAGE, PROT_READ);
    show_area("PROT_READ", a);
    mprotect(a, 8 * PAGE, PROT_NONE);
    show_area("PROT_NONE", a);
    mprotect(a, 8 * PAGE, PROT_READ | PROT_WRITE);
    show_area("back", a);
    munmap(a - PAGE, 10 * PAGE);
}

static void referenced(void)
{
    printf("-- Referenced\n");
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    char *anon = isolated(8);
    int memfd = memfd_create("refs", 0);
    ftruncate(memfd, 4 * PAGE);
    char *file = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    touch(anon, 8);
    touch(file, 4);
    printf("touched: anon %ld kB, file %ld kB\n", smaps_field(anon, "Referenced"),
           smaps_field(file, "Referenced"));
    clear(fd, "1");
    printf("after 1: anon %ld kB, file %ld kB, Rss %ld kB\n", smaps_field(anon, "Referenced"),
           smaps_field(file, "Referenced"), smaps_field(anon, "Rss"));
    /* Linux leaves the TLB as it is (a page whose translation is cached is not marked again
     * when touched); an mprotect there and back flushes it on both kernels. */
    flush_tlb(anon, 8);
    flush_tlb(file, 4);
    touch(anon, 3);
    (void)*(volatile char *)(file + PAGE);
    printf("3 + 1 touched: anon %ld kB, file %ld kB\n", smaps_field(anon, "Referenced"),
           smaps_field(file, "Referenced"));
    clear(fd, "2");
    printf("after 2: anon %ld kB, file %ld kB\n", smaps_field(anon, "Referenced"),
           smaps_field(file, "Referenced"));
    flush_tlb(anon, 8);
    touch(anon, 2);
    clear(fd, "3");
    printf("after 3: anon %ld kB, file %ld kB\n", smaps_field(anon, "Referenced"),
           smaps_field(file, "Referenced"));
    mprotect(anon, 8 * PAGE, PROT_NONE);
    clear(fd, "1");
    mprotect(anon, 8 * PAGE, PROT_READ);
    (void)*(volatile char *)anon;
    printf("PROT_NONE then 1, one read: anon %ld kB\n", smaps_field(anon, "Referenced"));
    munmap(anon - PAGE, 10 * PAGE);
    munmap(file, 4 * PAGE);
    close(memfd);
    close(fd);
}

static void hiwater(void)
{
    printf("-- VmHWM\n");
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    size_t len = 16 << 20;
    char *big = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(big, 1, len);
    munmap(big, len);
    long before = status_field("VmHWM");
    clear(fd, "5");
    long after = status_field("VmHWM");
    printf("VmHWM fell by at least 15 MiB: %d\n", before - after >= 15 * 1024);
    printf("VmHWM now within 1 MiB of VmRSS: %d\n", labs(after - status_field("VmRSS")) < 1024);
    close(fd);
}

static void zombie(void)
{
    printf("-- a zombie\n");
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/clear_refs", child);
    int fd = open(path, O_WRONLY);
    siginfo_t info;
    waitid(P_PID, child, &info, WEXITED | WNOWAIT);
    CHECK(write(fd, "1", 1));
    waitpid(child, NULL, 0);
    CHECK(write(fd, "1", 1));
    close(fd);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    the_file();
    through_mprotect();
    referenced();
    hiwater();
    zombie();
    return 0;
}
