/* hugetlbfs huge pages: MAP_HUGETLB, the pool's files and lines, smaps, pagemap.
 *
 * Without arguments (compared with Linux, natively as root on the host): nothing changes the
 * pool; what depends on it is printed only when the pool is empty (the default), else as "# "
 * lines. With "pool" (QEMU only: it writes nr_hugepages, which natively would change the host's
 * pool): grows the pool, maps, faults, forks, checks the accounting, and gives everything back. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

#define HP (2UL << 20)
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)
#endif
#define ANON_HUGE (MAP_ANONYMOUS | MAP_HUGETLB)
#define RW (PROT_READ | PROT_WRITE)

static char buf[1 << 17];

/* The whole of a file into buf; its length, or -1. */
static long slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = 0, r;
    while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += r;
    close(fd);
    buf[n] = 0;
    return n;
}

/* The number after "key:" at the start of a line of `text`, or -1. */
static long field_in(const char *text, const char *key)
{
    size_t k = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : 0)
        if (!strncmp(line, key, k) && line[k] == ':')
            return atol(line + k + 1);
    return -1;
}

static long meminfo(const char *key)
{
    if (slurp("/proc/meminfo") < 0)
        return -1;
    return field_in(buf, key);
}

/* The whole line of /proc/meminfo starting with key. */
static void meminfo_line(const char *key)
{
    slurp("/proc/meminfo");
    char *at = strstr(buf, key);
    if (!at) {
        printf("%s missing\n", key);
        return;
    }
    char *end = strchr(at, '\n');
    printf("%.*s\n", (int)(end - at), at);
}

static long number_file(const char *path)
{
    if (slurp(path) < 0)
        return -1;
    return atol(buf);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -errno;
    int r = write(fd, text, strlen(text)) < 0 ? -errno : 0;
    close(fd);
    return r;
}

/* A field of the smaps area that starts at `addr` (-1 without one); `flags` gets its VmFlags. */
static long smaps_field(void *addr, const char *key, char *flags)
{
    char head[32];
    snprintf(head, sizeof head, "%lx-", (unsigned long)addr);
    if (slurp("/proc/self/smaps") < 0)
        return -1;
    char pattern[40];
    snprintf(pattern, sizeof pattern, "\n%s", head);
    char *area = strncmp(buf, head, strlen(head)) ? strstr(buf, pattern) : buf - 1;
    if (!area)
        return -1;
    area++;
    char *end = strstr(area, "\nVmFlags:");
    if (flags && end) {
        char *eol = strchr(end + 1, '\n');
        snprintf(flags, 128, "%.*s", (int)(eol - end - 1), end + 1);
    }
    if (end)
        end[1] = 0;
    return field_in(strchr(area, '\n') + 1, key);
}

/* The maps line of the area at addr, without addresses, device and inode. */
static void maps_line(const char *what, void *addr)
{
    char head[32];
    snprintf(head, sizeof head, "%lx-", (unsigned long)addr);
    slurp("/proc/self/maps");
    for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : 0) {
        if (strncmp(line, head, strlen(head)))
            continue;
        unsigned long s, e, off;
        char perms[8], name[256] = "";
        sscanf(line, "%lx-%lx %7s %lx %*s %*s %255[^\n]", &s, &e, perms, &off, name);
        printf("%s: %lu kB %s off %lx %s\n", what, (e - s) >> 10, perms, off, name);
        return;
    }
    printf("%s: no area\n", what);
}

static void smaps_show(const char *what, void *addr)
{
    char flags[128] = "";
    long kps = smaps_field(addr, "KernelPageSize", 0);
    long mps = smaps_field(addr, "MMUPageSize", 0);
    long rss = smaps_field(addr, "Rss", 0);
    long shared = smaps_field(addr, "Shared_Hugetlb", 0);
    long priv = smaps_field(addr, "Private_Hugetlb", flags);
    printf("%s smaps: KernelPageSize %ld MMUPageSize %ld Rss %ld Shared_Hugetlb %ld "
           "Private_Hugetlb %ld %s\n",
           what, kps, mps, rss, shared, priv, flags);
}

static uint64_t pagemap(void *addr)
{
    uint64_t entry = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    pread(fd, &entry, 8, (uintptr_t)addr / 4096 * 8);
    close(fd);
    return entry;
}

static void pagemap_show(const char *what, void *addr)
{
    uint64_t e = pagemap(addr);
    printf("%s pagemap: present %d file %d exclusive %d\n", what, (int)(e >> 63 & 1),
           (int)(e >> 61 & 1), (int)(e >> 56 & 1));
}

static void *map(size_t len, int flags)
{
    return mmap(0, len, RW, flags, -1, 0);
}

static void result(const char *what, long r)
{
    printf("%s: %s\n", what, r == -1 ? errname(errno) : "ok");
}

static void mapping(const char *what, size_t len, int flags)
{
    void *p = mmap(0, len, RW, flags, -1, 0);
    printf("%s: %s\n", what, p == MAP_FAILED ? errname(errno) : "ok");
    if (p != MAP_FAILED)
        munmap(p, len);
}

/* Runs `touch` in a child and says how it ended. */
static void in_child(const char *what, void (*touch)(void *), void *arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        touch(arg);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: %s\n", what, strsignal(WTERMSIG(status)));
    else
        printf("%s: exit %d\n", what, WEXITSTATUS(status));
}

static void write_byte(void *p)
{
    *(volatile char *)p = 1;
}

static void memfd_common(int empty);
static void shm_common(int empty);

/* What every kernel with an empty pool answers, and what does not depend on the pool. */
static void common(void)
{
    long nr = number_file("/proc/sys/vm/nr_hugepages");
    long free = meminfo("HugePages_Free");
    int empty = nr == 0 && free == 0 && meminfo("HugePages_Total") == 0;
    printf("# nr_hugepages %ld free %ld\n", nr, free);
    printf("sysfs nr_hugepages: %s\n",
           number_file("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") == nr ? "same"
                                                                                     : "differs");
    meminfo_line("Hugepagesize:");
    if (empty) {
        meminfo_line("HugePages_Total:");
        meminfo_line("HugePages_Free:");
        meminfo_line("HugePages_Rsvd:");
        meminfo_line("HugePages_Surp:");
        printf("sysfs free %ld resv %ld surplus %ld\n",
               number_file("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"),
               number_file("/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages"),
               number_file("/sys/kernel/mm/hugepages/hugepages-2048kB/surplus_hugepages"));
        /* hugetlb_reserve_pages: nothing to reserve from. */
        mapping("private, empty pool", 4096, MAP_PRIVATE | ANON_HUGE);
        mapping("shared, empty pool", 4096, MAP_SHARED | ANON_HUGE);
        mapping("MAP_HUGE_2MB, empty pool", 4096, MAP_PRIVATE | ANON_HUGE | MAP_HUGE_2MB);
    }
    /* Linux with 1 GiB pages configured (the host) says ENOMEM, without them EINVAL. */
    void *g = map(4096, MAP_PRIVATE | ANON_HUGE | MAP_HUGE_1GB | MAP_NORESERVE);
    printf("# MAP_HUGE_1GB: %s\n", g == MAP_FAILED ? errname(errno) : "ok");
    mapping("MAP_HUGE 4 MiB", 4096, MAP_PRIVATE | ANON_HUGE | (22 << MAP_HUGE_SHIFT) | MAP_NORESERVE);
    mapping("length 0", 0, MAP_PRIVATE | ANON_HUGE | MAP_NORESERVE);
    void *q = mmap((void *)0x40001000, 4096, RW, MAP_PRIVATE | ANON_HUGE | MAP_FIXED | MAP_NORESERVE, -1, 0);
    printf("MAP_FIXED off 2 MiB: %s\n", q == MAP_FAILED ? errname(errno) : "ok");
    q = mmap(0, 4096, RW, MAP_PRIVATE | ANON_HUGE | MAP_NORESERVE, -1, 4096);
    printf("offset 4 kB: %s\n", q == MAP_FAILED ? errname(errno) : "ok");
    q = mmap((void *)0x40001000, 4096, RW, MAP_PRIVATE | ANON_HUGE | MAP_NORESERVE, -1, 0);
    printf("hint rounded up to 2 MiB: %d\n", q == (void *)0x40200000);
    munmap(q, HP);
    q = mmap(0, 4096, RW, MAP_PRIVATE | ANON_HUGE | MAP_NORESERVE, -1, HP);
    maps_line("offset 2 MiB", q);
    munmap(q, HP);

    /* MAP_NORESERVE: no reservation, so even an empty pool maps; a fault then finds nothing
     * unless the pool has a free page. */
    char *p = map(3 * HP + 4096, MAP_PRIVATE | ANON_HUGE | MAP_NORESERVE);
    printf("noreserve: %s, aligned %d\n", p == MAP_FAILED ? errname(errno) : "ok",
           (int)((uintptr_t)p % HP == 0));
    printf("# noreserve at %p\n", p);
    maps_line("noreserve", p);
    smaps_show("noreserve", p);
    pagemap_show("noreserve untouched", p);
    if (empty)
        in_child("noreserve write, empty pool", write_byte, p);
    result("munmap first 4 kB", munmap(p, 4096));
    result("munmap inside", munmap(p + 4096, 4096));
    result("madvise DONTNEED first 4 kB", madvise(p, 4096, MADV_DONTNEED));
    result("madvise DONTNEED inside", madvise(p + 4096, HP, MADV_DONTNEED));
    result("madvise FREE", madvise(p, HP, MADV_FREE));
    result("madvise DONTFORK first 4 kB", madvise(p, 4096, MADV_DONTFORK));
    result("madvise DONTFORK whole pages", madvise(p, HP, MADV_DONTFORK));
    result("madvise DOFORK whole pages", madvise(p, HP, MADV_DOFORK));
    result("mprotect first 4 kB", mprotect(p, 4096, PROT_READ));
    result("mprotect inside", mprotect(p + 4096, HP, PROT_READ));
    maps_line("after the refusals", p);
    result("mremap grow", (long)mremap(p, HP, 2 * HP, MREMAP_MAYMOVE) == -1 ? -1 : 0);
    printf("mremap by 4 kB less: %s\n",
           mremap(p, HP, HP - 4096, 0) == p ? "same address" : errname(errno));
    result("mremap inside", (long)mremap(p + 4096, 4096, 4096, 0) == -1 ? -1 : 0);
    result("mprotect whole pages", mprotect(p, 2 * HP, PROT_READ));
    maps_line("read-only part", p);
    maps_line("the rest", p + 2 * HP);
    result("munmap middle page", munmap(p + HP, HP));
    maps_line("first page", p);
    maps_line("last pages", p + 2 * HP);
    result("munmap last pages", munmap(p + 2 * HP, 2 * HP));
    result("munmap first page", munmap(p, HP));

    char *s = map(HP, MAP_SHARED | ANON_HUGE | MAP_NORESERVE);
    maps_line("shared noreserve", s);
    smaps_show("shared noreserve", s);
    munmap(s, HP);
    if (empty) {
        char *pop = map(HP, MAP_PRIVATE | ANON_HUGE | MAP_NORESERVE | MAP_POPULATE);
        printf("MAP_POPULATE, empty pool: %s\n", pop == MAP_FAILED ? errname(errno) : "ok");
        munmap(pop, HP);
    }
    memfd_common(empty);
    shm_common(empty);
}

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 4
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif
#define MFD_HUGE_2MB (21U << 26)
#define MFD_HUGE_1GB (30U << 26)

static int memfd(const char *name, unsigned flags)
{
    return syscall(SYS_memfd_create, name, flags);
}

static void stat_show(const char *what, int fd)
{
    struct stat st;
    fstat(fd, &st);
    printf("%s: size %ld blksize %ld blocks %ld\n", what, (long)st.st_size, (long)st.st_blksize,
           (long)st.st_blocks);
}

/* A MFD_HUGETLB memfd: a hugetlbfs file, whole huge pages only, read but never written. */
static void memfd_common(int empty)
{
    int fd = memfd("huge", MFD_HUGETLB);
    printf("memfd_create MFD_HUGETLB: %s\n", fd < 0 ? errname(errno) : "ok");
    int fd2 = memfd("huge2", MFD_HUGETLB | MFD_HUGE_2MB);
    printf("memfd_create MFD_HUGE_2MB: %s\n", fd2 < 0 ? errname(errno) : "ok");
    close(fd2);
    fd2 = memfd("huge4", MFD_HUGETLB | (22U << 26));
    printf("memfd_create MFD_HUGE 4 MiB: %s\n", fd2 < 0 ? errname(errno) : "ok");
    fd2 = memfd("huge1g", MFD_HUGETLB | MFD_HUGE_1GB);
    printf("# memfd_create MFD_HUGE_1GB: %s\n", fd2 < 0 ? errname(errno) : "ok");
    if (fd2 >= 0)
        close(fd2);
    if (fd < 0)
        return;
    stat_show("new memfd", fd);
    result("ftruncate 4 kB", ftruncate(fd, 4096));
    result("ftruncate 2 MiB", ftruncate(fd, HP));
    stat_show("truncated", fd);
    printf("lseek end: %ld\n", (long)lseek(fd, 0, SEEK_END));
    char b[16] = "xxxxxxxxxxxxxxx";
    long n = pread(fd, b, 8, 100);
    printf("pread of a hole: %ld, zeros %d\n", n, b[0] == 0 && b[7] == 0);
    result("write", write(fd, "x", 1));
    result("pwrite", pwrite(fd, "x", 1, 0));
    result("fallocate zero range", fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, HP));
    result("fallocate punch", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, HP));
    if (empty) {
        result("fallocate, empty pool", fallocate(fd, 0, 0, HP));
        void *m = mmap(0, HP, RW, MAP_SHARED, fd, 0);
        printf("mmap shared, empty pool: %s\n", m == MAP_FAILED ? errname(errno) : "ok");
        m = mmap(0, HP, RW, MAP_PRIVATE, fd, 0);
        printf("mmap private, empty pool: %s\n", m == MAP_FAILED ? errname(errno) : "ok");
    }
    char *m = mmap(0, 4096, RW, MAP_SHARED | MAP_NORESERVE, fd, 0);
    printf("mmap noreserve: %s\n", m == MAP_FAILED ? errname(errno) : "ok");
    maps_line("memfd", m);
    smaps_show("memfd", m);
    if (empty)
        in_child("memfd noreserve write, empty pool", write_byte, m);
    result("munmap inside", munmap(m + 4096, 4096));
    munmap(m, HP);
    /* A writable mapping past the end makes the file longer (hugetlbfs_file_mmap). */
    m = mmap(0, 2 * HP, RW, MAP_SHARED | MAP_NORESERVE, fd, 0);
    stat_show("after a longer writable mapping", fd);
    munmap(m, 2 * HP);
    close(fd);
    fd = memfd("sealed", MFD_HUGETLB | MFD_ALLOW_SEALING);
    result("F_SEAL_GROW", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    result("ftruncate sealed", ftruncate(fd, HP));
    close(fd);
}

#ifndef SHM_HUGETLB
#define SHM_HUGETLB 04000
#endif
#ifndef SHM_NORESERVE
#define SHM_NORESERVE 010000
#endif

/* System V segments of huge pages (SHM_HUGETLB). */
static void shm_common(int empty)
{
    if (empty) {
        int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | SHM_HUGETLB | 0600);
        printf("shmget SHM_HUGETLB, empty pool: %s\n", id < 0 ? errname(errno) : "ok");
        if (id >= 0)
            shmctl(id, IPC_RMID, 0);
    }
    int bad_size = shmget(IPC_PRIVATE, 4096, IPC_CREAT | SHM_HUGETLB | SHM_NORESERVE | (22 << 26) | 0600);
    printf("shmget SHM_HUGE 4 MiB: %s\n", bad_size < 0 ? errname(errno) : "ok");
    if (bad_size >= 0)
        shmctl(bad_size, IPC_RMID, 0);
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | SHM_HUGETLB | SHM_NORESERVE | 0600);
    printf("shmget SHM_HUGETLB | SHM_NORESERVE: %s\n", id < 0 ? errname(errno) : "ok");
    if (id < 0)
        return;
    char *p = shmat(id, 0, 0);
    printf("shmat: %s, aligned %d\n", p == (void *)-1 ? errname(errno) : "ok",
           (int)((uintptr_t)p % HP == 0));
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("segment size %lu, attached %lu\n", (unsigned long)ds.shm_segsz,
           (unsigned long)ds.shm_nattch);
    maps_line("segment", p);
    smaps_show("segment", p);
    if (empty)
        in_child("segment write, empty pool", write_byte, p);
    void *q = shmat(id, (void *)0x40001000, SHM_RND);
    printf("shmat off 2 MiB: %s\n", q == (void *)-1 ? errname(errno) : "ok");
    result("munmap inside", munmap(p + 4096, 4096));
    result("shmdt", shmdt(p));
    result("IPC_RMID", shmctl(id, IPC_RMID, 0));
}

/* ---- the pool mode (QEMU only) ---- */

static void pool_lines(const char *what)
{
    long nr = number_file("/proc/sys/vm/nr_hugepages");
    slurp("/proc/meminfo");
    printf("%s: total %ld free %ld rsvd %ld surp %ld hugetlb %ld anonhuge %ld nr %ld\n", what,
           field_in(buf, "HugePages_Total"), field_in(buf, "HugePages_Free"),
           field_in(buf, "HugePages_Rsvd"), field_in(buf, "HugePages_Surp"),
           field_in(buf, "Hugetlb"), field_in(buf, "AnonHugePages"), nr);
}

static int set_pool(long n)
{
    char text[32];
    snprintf(text, sizeof text, "%ld\n", n);
    return write_file("/proc/sys/vm/nr_hugepages", text);
}

static void fill(char *p, size_t len, char seed)
{
    for (size_t i = 0; i < len; i += 4096)
        p[i] = (char)(seed + i / 4096);
}

static long bad(char *p, size_t len, char seed)
{
    long n = 0;
    for (size_t i = 0; i < len; i += 4096)
        n += p[i] != (char)(seed + i / 4096);
    return n;
}

static char *cow_area;

static void cow_child(void *arg)
{
    (void)arg;
    long before = bad(cow_area, HP, 'a');
    smaps_show("child before its write", cow_area);
    fill(cow_area, HP, 'c');
    smaps_show("child after its write", cow_area);
    pool_lines("child after its copy");
    slurp("/proc/self/status");
    printf("child status HugetlbPages %ld\n", field_in(buf, "HugetlbPages"));
    printf("child: parent's data %ld bad, own copy %ld bad\n", before, bad(cow_area, HP, 'c'));
    fflush(stdout);
}

static char *shared_area;

static void shared_child(void *arg)
{
    (void)arg;
    fill(shared_area, 2 * HP, 's');
}

/* Touches pages of a noreserve mapping until the pool runs out; counts them in shared memory. */
static long *touched;

static void touch_until_sigbus(void *p)
{
    for (int i = 0; i < 64; i++) {
        ((volatile char *)p)[i * HP] = 1;
        ++*touched;
    }
}

/* A hugetlb memfd with pages: mapped shared and private, read, fallocated, punched, truncated. */
static void memfd_pool(void)
{
    int fd = memfd("pool", MFD_HUGETLB);
    result("memfd ftruncate 4 MiB", ftruncate(fd, 2 * HP));
    char *m = mmap(0, 2 * HP, RW, MAP_SHARED, fd, 0);
    pool_lines("memfd mapped");
    fill(m, HP, 'm');
    pool_lines("memfd page written");
    char c = 0;
    pread(fd, &c, 1, 4096);
    printf("read() sees the mapping's write: %d\n", c == 'm' + 1);
    stat_show("memfd with a page", fd);
    result("fallocate second page", fallocate(fd, 0, HP, HP));
    pool_lines("memfd fallocated");
    stat_show("memfd with two pages", fd);
    char *pm = mmap(0, HP, RW, MAP_PRIVATE, fd, 0);
    pool_lines("memfd mapped private");
    printf("private mapping sees the file: %d\n", pm[0] == 'm');
    pagemap_show("private of a file page", pm);
    pm[0] = 'p';
    pool_lines("private copy written");
    printf("file unchanged: %d, copy %d\n", m[0] == 'm', pm[0] == 'p');
    pagemap_show("private copy", pm);
    munmap(pm, HP);
    pool_lines("private unmapped");
    result("punch first page", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, HP));
    pool_lines("memfd page punched");
    printf("punched page reads %d\n", m[4096]);
    pool_lines("refaulted");
    munmap(m, 2 * HP);
    result("ftruncate 0", ftruncate(fd, 0));
    pool_lines("memfd truncated");
    stat_show("memfd truncated", fd);
    close(fd);
    pool_lines("memfd closed");
}

static void pool_cycle(int verbose)
{
    long nr = set_pool(8) == 0 ? number_file("/proc/sys/vm/nr_hugepages") : -1;
    if (verbose) {
        printf("grown to: %ld\n", nr);
        pool_lines("grown");
        printf("sysfs nr %ld free %ld resv %ld surplus %ld\n",
               number_file("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"),
               number_file("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"),
               number_file("/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages"),
               number_file("/sys/kernel/mm/hugepages/hugepages-2048kB/surplus_hugepages"));
    }
    char *p = map(3 * HP, MAP_PRIVATE | ANON_HUGE);
    if (verbose) {
        printf("private 3 pages: %s\n", p == MAP_FAILED ? errname(errno) : "ok");
        pool_lines("reserved");
    }
    fill(p, HP, 'a');
    if (verbose) {
        pool_lines("one faulted");
        /* /proc/PID/mem reaches a huge page, but a forced write into a read-only hugetlb area
         * is refused (Linux: "hugetlb does not support FOLL_FORCE|FOLL_WRITE"). */
        int mem = open("/proc/self/mem", O_RDWR);
        char four[5] = {0};
        long got = pread(mem, four, 4, (off_t)(uintptr_t)(p + 100));
        printf("mem read of the huge page: %ld %s\n", got, four);
        got = pwrite(mem, "WXYZ", 4, (off_t)(uintptr_t)(p + 100));
        printf("mem write: %ld, reads back %.4s\n", got, p + 100);
        mprotect(p, 3 * HP, PROT_READ);
        got = pwrite(mem, "w", 1, (off_t)(uintptr_t)p);
        printf("forced write into read-only huge pages: %s\n",
               got < 0 ? errname(errno) : "written");
        mprotect(p, 3 * HP, PROT_READ | PROT_WRITE);
        memset(p + 100, 'a', 4);
        close(mem);
        smaps_show("faulted", p);
        pagemap_show("faulted", p);
        slurp("/proc/self/status");
        printf("status HugetlbPages %ld RssAnon below 2048 %d\n", field_in(buf, "HugetlbPages"),
               field_in(buf, "RssAnon") < 2048);
        uint64_t a = pagemap(p) & ((1ULL << 55) - 1), b = pagemap(p + 4096) & ((1ULL << 55) - 1);
        uint64_t last = pagemap(p + HP - 4096) & ((1ULL << 55) - 1);
        printf("frames: head aligned %d, contiguous %d\n", (int)(a % 512 == 0),
               (int)(b == a + 1 && last == a + 511));
        cow_area = p;
        in_child("child", cow_child, 0);
        pool_lines("child gone");
        slurp("/proc/self/status");
        printf("status after the child: HugetlbPages %ld\n", field_in(buf, "HugetlbPages"));
        printf("parent: %ld bad\n", bad(p, HP, 'a'));
        smaps_show("parent", p);
        /* The unfaulted pages' reservations go with their part of the area. */
        result("munmap +4 kB", munmap(p + 4096, 4096));
        result("munmap middle page", munmap(p + HP, HP));
        pool_lines("middle page unmapped");
        /* More than the pool has left: hugetlb_reserve_pages refuses. */
        long avail = meminfo("HugePages_Free") - meminfo("HugePages_Rsvd");
        mapping("one more than free", (avail + 1) * HP, MAP_PRIVATE | ANON_HUGE);
        mapping("exactly what is free", avail * HP, MAP_SHARED | ANON_HUGE);
        shared_area = map(2 * HP, MAP_SHARED | ANON_HUGE);
        pool_lines("shared reserved");
        in_child("shared child", shared_child, 0);
        printf("shared: child's writes seen, %ld bad\n", bad(shared_area, 2 * HP, 's'));
        pagemap_show("shared", shared_area);
        smaps_show("shared", shared_area);
        maps_line("shared", shared_area);
        pool_lines("shared faulted");
        munmap(shared_area, 2 * HP);
        pool_lines("shared unmapped");
        /* Noreserve: faults take what is free and unreserved, then SIGBUS. */
        touched = map(4096, MAP_SHARED | MAP_ANONYMOUS);
        char *n = map(64 * HP, MAP_PRIVATE | ANON_HUGE | MAP_NORESERVE);
        in_child("noreserve child", touch_until_sigbus, n);
        printf("noreserve pages faulted before SIGBUS: %ld\n", *touched);
        munmap(n, 64 * HP);
        munmap(touched, 4096);
        pool_lines("noreserve unmapped");
        memfd_pool();
        /* A System V segment of huge pages: reserved at shmget, its page kept by the segment
         * after shmdt, given back with IPC_RMID. */
        int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | SHM_HUGETLB | 0600);
        pool_lines("segment made");
        char *seg = shmat(id, 0, 0);
        fill(seg, HP, 'v');
        pool_lines("segment written");
        struct shmid_ds ds;
        shmctl(id, IPC_STAT, &ds);
        printf("segment size %lu, attached %lu\n", (unsigned long)ds.shm_segsz,
               (unsigned long)ds.shm_nattch);
        smaps_show("segment", seg);
        result("shmdt", shmdt(seg));
        pool_lines("segment detached");
        seg = shmat(id, 0, 0);
        printf("segment kept its data: %ld bad\n", bad(seg, HP, 'v'));
        result("IPC_RMID while attached", shmctl(id, IPC_RMID, 0));
        pool_lines("segment removed, attached");
        result("shmdt", shmdt(seg));
        pool_lines("segment gone");
        /* mremap moves an area whole, its pages and its reservations with it. */
        char *area = map(2 * HP, MAP_PRIVATE | ANON_HUGE);
        fill(area, HP, 'r');
        pool_lines("to be moved");
        char *to = map(4 * HP, MAP_PRIVATE | ANON_HUGE | MAP_NORESERVE);
        char *moved = mremap(area, 2 * HP, 2 * HP, MREMAP_MAYMOVE | MREMAP_FIXED, to + 2 * HP);
        printf("mremap to 2 MiB: %s\n", moved == MAP_FAILED ? errname(errno) : "ok");
        pool_lines("moved");
        printf("moved data: %ld bad\n", bad(moved, HP, 'r'));
        fill(moved + HP, HP, 's');
        pool_lines("moved area's second page");
        munmap(to, 4 * HP);
        pool_lines("moved area unmapped");
        /* Shrinking below what is used: the pages in use become surplus. */
        printf("shrink to 0: %s\n", errname(-set_pool(0)));
        pool_lines("shrunk while used");
        munmap(p, HP);
        munmap(p + 2 * HP, HP);
        pool_lines("all unmapped");
    } else {
        munmap(p, 3 * HP);
    }
    set_pool(0);
    if (verbose)
        pool_lines("emptied");
}

static long kernel_total(void)
{
    slurp("/proc/meminfo");
    return field_in(buf, "MemFree") + field_in(buf, "KernelHeap") + field_in(buf, "Cached") +
           field_in(buf, "KernelPageTables");
}

static void pool_mode(void)
{
    pool_lines("start");
    /* A first cycle warms up what stays allocated (the pool's list, page tables). */
    pool_cycle(0);
    /* A second, all of it but with its output thrown away, for the stack and stdio. */
    fflush(stdout);
    int out = dup(1), null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    pool_cycle(1);
    fflush(stdout);
    dup2(out, 1);
    close(null);
    close(out);
    long memfree = meminfo("MemFree"), total = kernel_total();
    pool_cycle(1);
    printf("MemFree back: %d\n", meminfo("MemFree") == memfree);
    printf("# MemFree %ld -> %ld, total %ld -> %ld\n", memfree, meminfo("MemFree"), total,
           kernel_total());
    printf("memory back: %d\n", kernel_total() == total);
    /* More than memory holds: as many as there are. */
    set_pool(1L << 40);
    long most = number_file("/proc/sys/vm/nr_hugepages");
    printf("huge request: %s\n", most > 8 ? "as many as memory allows" : "too few");
    printf("# %ld pages\n", most);
    set_pool(0);
    pool_lines("done");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, 0, _IOLBF, 0);
    /* As /init of a Linux initramfs (to record what Linux prints in the pool mode), nothing is
     * mounted yet. */
    int linux_init = getpid() == 1 && access("/proc/meminfo", F_OK) != 0;
    if (linux_init) {
        mkdir("/proc", 0555);
        mkdir("/sys", 0555);
        mkdir("/dev", 0755);
        mount("proc", "/proc", "proc", 0, 0);
        mount("sysfs", "/sys", "sysfs", 0, 0);
        mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
    }
    if (argc > 1 && !strcmp(argv[1], "pool"))
        pool_mode();
    else
        common();
    if (linux_init)
        reboot(RB_POWER_OFF);
    return 0;
}
