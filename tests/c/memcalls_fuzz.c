/* Random calls to this session's memory and timer calls, in QEMU only: System V segments
 * (shmget, shmat, shmdt, shmctl), POSIX timers (timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete, with periodic timers down to 1 ns), fallocate on a memfd,
 * splice, tee, vmsplice and copy_file_range between a pipe and the memfd,
 * process_vm_readv and process_vm_writev on this process and a child, /proc/self/pagemap, and
 * /proc/PID/mem of this process (read) and the child (read and written, forced into read-only,
 * PROT_NONE, file and huge-page areas),
 * each with random flags, sizes, addresses and ids, good and bad pointers. Nothing may crash or
 * hang the kernel, and after each round (everything deleted, removed, closed) the memory must
 * be back where the second round left it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procfield.h"

static uint64_t state = 88172645463325252ULL;

static uint64_t rnd(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* What the kernel may write into: pointers go into its first two pages, and lengths that can
 * reach it are cut to a page, so that no call writes past it into the test's own variables. */
static char scratch[4 * 4096];

/* A length for a buffer at `p`: anything for a bad pointer, at most a page into scratch. */
static uint64_t length_for(const void *p, uint64_t len)
{
    const char *c = p;
    return c >= scratch && c < scratch + sizeof scratch && len > 4096 ? 4096 : len;
}

/* An interesting number: small, page-sized, huge, negative, or anything. */
static uint64_t number(void)
{
    switch (below(6)) {
    case 0: return below(16);
    case 1: return below(64) * 4096 + below(2) * below(4096);
    case 2: return 1ULL << below(64);
    case 3: return -below(16);
    case 4: return (1ULL << 63) - below(8192);
    default: return rnd();
    }
}


/* An address nothing maps (above 4 GiB, below where mmap places things), the kernel's, or any. */
static void *bad_pointer(void)
{
    switch (below(4)) {
    case 0: return NULL;
    case 1: return (void *)0xffff800000000000ULL;
    case 2: return (void *)(uintptr_t)(0x100000000ULL + below(1 << 20) * 4096 + below(2) * 7);
    default: return (void *)(uintptr_t)rnd();
    }
}

/* A pointer the kernel may write to: into scratch (nothing else of ours), or a bad one. */
static void *pointer(void)
{
    switch (below(3)) {
    case 0: return scratch + below(2 * 4096);
    case 1: return scratch;
    default: return bad_pointer();
    }
}

#define SLOTS 16
static int shm_ids[SLOTS], timer_ids[SLOTS];
static void *attaches[SLOTS];

static void shm_op(void)
{
    int slot = below(SLOTS);
    switch (below(5)) {
    case 0: {
        size_t size = below(4) ? below(1 << 22) + 1 : number();
        int flags = below(2) ? IPC_CREAT | 0600 : (int)rnd();
        key_t key = below(2) ? IPC_PRIVATE : (key_t)(0x4d000000 + below(8));
        int id = shmget(key, size, flags & ~SHM_HUGETLB);
        if (id >= 0)
            shm_ids[slot] = id;
        break;
    }
    case 1: {
        int id = below(4) ? shm_ids[slot] : (int)number();
        /* Never at our own memory: SHM_REMAP would replace it. */
        void *addr = below(3) ? NULL : bad_pointer();
        int flags = (int)(below(2) ? 0 : rnd() & 0x1f000);
        void *p = shmat(id, addr, flags);
        if (p != (void *)-1) {
            if (attaches[slot])
                shmdt(attaches[slot]);
            attaches[slot] = p;
            if (!(flags & SHM_RDONLY) && below(2))
                memset(p, (int)rnd(), 1 + below(4096));
        }
        break;
    }
    case 2:
        if (attaches[slot] && below(4)) {
            shmdt(attaches[slot]);
            attaches[slot] = NULL;
        } else {
            shmdt(pointer());
        }
        break;
    case 3: {
        int cmd = below(4) ? (int)below(16) : (int)rnd();
        if (cmd == IPC_SET && below(2))
            break; /* keep the modes usable */
        shmctl(below(4) ? shm_ids[slot] : (int)below(64), cmd, pointer());
        break;
    }
    default:
        shmctl(shm_ids[slot], IPC_RMID, NULL);
        break;
    }
}

static void timer_op(void)
{
    int slot = below(SLOTS);
    switch (below(5)) {
    case 0: {
        struct { uint64_t value; int signo, notify, tid, pad[11]; } ev = {
            rnd(), (int)below(70), (int)below(6), below(2) ? gettid() : (int)rnd(), {0}};
        /* Not what cannot be blocked, nor the C library's own (32 to 34: musl's sigprocmask
         * will not block them). */
        if (ev.signo == SIGKILL || ev.signo == SIGSTOP || ev.signo == SIGCHLD ||
            (ev.signo >= 32 && ev.signo <= 34))
            ev.signo = SIGUSR1;
        clockid_t clock = below(4) ? (clockid_t)below(12) : (clockid_t)rnd();
        int id;
        if (syscall(SYS_timer_create, clock, below(5) ? (void *)&ev : pointer(), &id) == 0)
            timer_ids[slot] = id;
        break;
    }
    case 1: {
        struct itimerspec its = {{0, below(3) ? (long)below(3000000) : (long)number()},
                                 {(long)below(2), (long)below(1000000000)}};
        if (below(3) == 0)
            its.it_interval.tv_nsec = 1; /* a 1 ns period */
        syscall(SYS_timer_settime, timer_ids[slot], (int)below(3),
                below(6) ? (void *)&its : pointer(), below(2) ? pointer() : NULL);
        break;
    }
    case 2:
        syscall(SYS_timer_gettime, below(4) ? timer_ids[slot] : (int)rnd(), pointer());
        syscall(SYS_timer_getoverrun, timer_ids[slot]);
        break;
    default:
        syscall(SYS_timer_delete, below(4) ? timer_ids[slot] : (int)rnd());
        break;
    }
}

static int memfd = -1;

static void fallocate_op(void)
{
    int mode = below(3) ? (int)below(4) : (int)rnd();
    off_t offset = below(3) ? (off_t)below(1 << 22) : (off_t)number();
    /* Small, or far beyond memory (ENOSPC): a length near the size of memory would fill it,
     * which Linux's OOM killer would answer too. */
    off_t len = below(3) ? (off_t)below(1 << 22) + 1 : (off_t)(number() | (1ULL << 40));
    fallocate(memfd, mode, offset, len);
    if (below(8) == 0)
        ftruncate(memfd, below(1 << 22));
    if (below(8) == 0) {
        char *m = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
        off_t size = lseek(memfd, 0, SEEK_END);
        if (m != MAP_FAILED) {
            /* A page inside the file (one past its end would be SIGBUS). */
            long page = below(8);
            if (page * 4096 < size)
                m[page * 4096] += 1;
            munmap(m, 8 * 4096);
        }
    }
}

static void process_vm_op(pid_t child)
{
    struct iovec local[3], remote[3];
    for (int i = 0; i < 3; i++) {
        local[i].iov_base = pointer();
        local[i].iov_len = length_for(local[i].iov_base, below(3) ? below(8192) : number());
        remote[i].iov_base = below(2) ? (void *)scratch : bad_pointer();
        remote[i].iov_len = below(3) ? below(8192) : number();
    }
    /* Writes go to the child only (what it holds does not matter); reads come from either. */
    pid_t pid = below(2) ? getpid() : child;
    if (below(2) || pid == child)
        process_vm_readv(pid, local, below(4), remote, below(4), below(8) ? 0 : rnd());
    if (pid == child)
        process_vm_writev(pid, local, below(4), remote, below(4), below(8) ? 0 : rnd());
}

static int pipes[2] = {-1, -1};

/* splice, tee, vmsplice and copy_file_range between a non-blocking pipe and the memfd, with
 * random lengths, offsets and flags (nothing may wait: the pipe is non-blocking). */
static void splice_op(void)
{
    loff_t off = below(2) ? (loff_t)below(1 << 16) : (loff_t)number();
    loff_t *offp = below(3) ? NULL : (below(4) ? &off : bad_pointer());
    size_t len = below(3) ? below(1 << 17) : number();
    unsigned flags = below(4) ? SPLICE_F_NONBLOCK : (unsigned)rnd();
    flags |= SPLICE_F_NONBLOCK;
    struct iovec iov[2] = {{scratch, length_for(scratch, below(8192))}, {pointer(), below(64)}};
    iov[1].iov_len = length_for(iov[1].iov_base, iov[1].iov_len);
    switch (below(5)) {
    case 0: splice(memfd, offp, pipes[1], NULL, len, flags); break;
    case 1: splice(pipes[0], NULL, memfd, offp, len, flags); break;
    case 2: tee(pipes[0], pipes[1], len, flags); break;
    case 3: vmsplice(pipes[below(2)], iov, below(3), flags); break;
    default: {
        loff_t a = (loff_t)below(1 << 16), b = (loff_t)below(1 << 16);
        /* Not the far lengths: copying a sparse file's holes fills memory, on Linux too. */
        copy_file_range(memfd, below(2) ? &a : NULL, memfd, below(2) ? &b : NULL,
                        below(1 << 17), 0);
    }
    }
}

static void pagemap_op(int fd)
{
    uint64_t offset = below(2) ? ((uintptr_t)scratch / 4096) * 8 : number();
    void *buf = pointer();
    pread(fd, buf, length_for(buf, below(4) ? below(512) : number()), (off_t)offset);
}

/* Areas of every kind for /proc/PID/mem to reach, made before the child is forked so that it
 * shares them copy-on-write: PROT_NONE (part written first), read-only anonymous, private and
 * shared read-only views of the memfd, and 4 MiB that huge pages may back. */
#define REGIONS 5
static char *regions[REGIONS];
static const size_t region_len[REGIONS] = {8 * 4096, 8 * 4096, 8 * 4096, 8 * 4096, 4 << 20};

static void make_regions(void)
{
    int anon = MAP_PRIVATE | MAP_ANONYMOUS;
    regions[0] = mmap(NULL, region_len[0], PROT_READ | PROT_WRITE, anon, -1, 0);
    memset(regions[0], 1, 3 * 4096);
    mprotect(regions[0], region_len[0], PROT_NONE);
    regions[1] = mmap(NULL, region_len[1], PROT_READ, anon, -1, 0);
    ftruncate(memfd, region_len[2]);
    regions[2] = mmap(NULL, region_len[2], PROT_READ, MAP_PRIVATE, memfd, 0);
    regions[3] = mmap(NULL, region_len[3], PROT_READ, MAP_SHARED, memfd, 0);
    regions[4] = mmap(NULL, region_len[4], PROT_READ | PROT_WRITE, anon, -1, 0);
    madvise(regions[4], region_len[4], MADV_HUGEPAGE);
    memset(regions[4] + (2 << 20), 2, 4096);
}

/* /proc/PID/mem: reads from this process or the child, writes to the child only (what it holds
 * does not matter: it only waits to be killed), at an address in a region or anywhere. */
static void procmem_op(int self, int child)
{
    int r = below(REGIONS);
    uint64_t addr = below(4) ? (uintptr_t)regions[r] + below(region_len[r] + 4096) : number();
    void *buf = pointer();
    size_t len = length_for(buf, below(4) ? below(3 * 4096) : number());
    switch (below(4)) {
    case 0: pread(self, buf, len, (off_t)addr); break;
    case 1: pread(child, buf, len, (off_t)addr); break;
    case 2: pwrite(child, buf, len, (off_t)addr); break;
    default:
        lseek(child, (off_t)addr, below(2) ? SEEK_SET : SEEK_CUR);
        if (below(2))
            read(child, buf, len);
        else
            write(child, buf, len);
    }
    if (below(64) == 0)
        mprotect(regions[1], region_len[1], below(2) ? PROT_NONE : PROT_READ);
}

static void round_of_calls(int calls)
{
    memfd = memfd_create("fuzz", MFD_ALLOW_SEALING);
    pipe2(pipes, O_NONBLOCK);
    int pagemap = open("/proc/self/pagemap", O_RDONLY);
    make_regions();
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", child);
    int self_mem = open("/proc/self/mem", O_RDONLY);
    int child_mem = open(path, O_RDWR);
    for (int i = 0; i < calls; i++) {
        switch (below(7)) {
        case 0: shm_op(); break;
        case 1: timer_op(); break;
        case 2: fallocate_op(); break;
        case 3: process_vm_op(child); break;
        case 4: splice_op(); break;
        case 5: procmem_op(self_mem, child_mem); break;
        default: pagemap_op(pagemap); break;
        }
    }
    /* Give everything back. */
    for (int i = 0; i < SLOTS; i++) {
        if (attaches[i])
            shmdt(attaches[i]);
        attaches[i] = NULL;
    }
    struct shmid_ds ds;
    for (int index = 0; index < 4096; index++) {
        int id = shmctl(index, SHM_STAT_ANY, &ds);
        if (id >= 0)
            shmctl(id, IPC_RMID, NULL);
    }
    for (int i = 0; i < SLOTS; i++)
        syscall(SYS_timer_delete, timer_ids[i]);
    for (int id = 0; id < 4096; id++)
        syscall(SYS_timer_delete, id);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(memfd);
    close(pagemap);
    close(self_mem);
    close(child_mem);
    for (int i = 0; i < REGIONS; i++)
        munmap(regions[i], region_len[i]);
    close(pipes[0]);
    close(pipes[1]);
    /* Signals the timers left pending. */
    sigset_t all;
    sigfillset(&all);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&all, NULL, &zero) > 0)
        ;
}

/* The program's own image, from the linker. */
extern char __executable_start[], end[];

/* Brings every page of the program's image in, so that the rounds do not count the page-cache
 * pages of code a round runs for the first time. */
static void touch_image(void)
{
    for (volatile char *p = __executable_start; p < end; p += 4096)
        (void)*p;
}

int main(int argc, char **argv)
{
    touch_image();
    setvbuf(stdout, NULL, _IONBF, 0);
    int calls = argc > 1 ? atoi(argv[1]) : 3000;
    if (argc > 2)
        state += strtoull(argv[2], NULL, 0) * 0x9e3779b97f4a7c15ULL;
    /* Timer signals must not end the test: block them all (SIGKILL and SIGSTOP cannot be). */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    int failures = 0;
    long base_free = 0, base_heap = 0;
    printf("# at start: MemFree %ld kB, Cached %ld kB\n", proc_field("/proc/meminfo", "MemFree"),
           proc_field("/proc/meminfo", "Cached"));
    for (int r = 1; r <= 4; r++) {
        round_of_calls(calls);
        failures += leak_round(r, &base_free, &base_heap);
        struct shm_info si;
        int max = shmctl(0, SHM_INFO, (struct shmid_ds *)&si);
        printf("# segments %d (max index %d), pages %lu resident %lu; Cached %ld Shmem %ld "
               "tables %ld\n",
               si.used_ids, max, si.shm_tot, si.shm_rss, proc_field("/proc/meminfo", "Cached"),
               proc_field("/proc/meminfo", "Shmem"), proc_field("/proc/meminfo", "KernelPageTables"));
    }
    printf("%s: %d random calls a round gave back their memory\n", failures ? "FAIL" : "ok",
           calls);
    return failures != 0;
}
