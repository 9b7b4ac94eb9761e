/* process_vm_readv and process_vm_writev against Linux: copies within the caller and with a
 * forked child, scattered over several iovecs on both sides and across page edges, a child's page
 * still shared copy-on-write with the parent (a write reaches only the child), pages never
 * touched (zeros), a megabyte in one call, partial copies that stop at an unmapped page or a
 * page without the permission, a local buffer that faults, a zombie, another user, and the
 * errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* A process id that no process has: above PID_MAX_LIMIT (4194304), the most Linux's pid_max can
 * be (systemd sets it that high), where 999999 may well name a process of the host. */
#define NO_PID 0x0ffffff0

#define PAGE 4096

static char shared_before_fork[2 * PAGE] = "the parent's words";
static int to_child[2], to_parent[2];

static void tell(int fd)
{
    char c = 1;
    write(fd, &c, 1);
}

static void await(int fd)
{
    char c;
    read(fd, &c, 1);
}

static long rv(pid_t pid, void *l, size_t ll, void *r, size_t rl)
{
    struct iovec lv = {l, ll}, rvv = {r, rl};
    return process_vm_readv(pid, &lv, 1, &rvv, 1, 0);
}

static long wv(pid_t pid, void *l, size_t ll, void *r, size_t rl)
{
    struct iovec lv = {l, ll}, rvv = {r, rl};
    return process_vm_writev(pid, &lv, 1, &rvv, 1, 0);
}

static void self_copies(void)
{
    printf("-- within the caller\n");
    char src[64] = "abcdefghijklmnopqrstuvwxyz0123456789", dst[64] = {0};
    CHECK(rv(getpid(), dst, 10, src + 5, 10));
    printf("%s\n", dst);
    /* Scattered: three local pieces, two remote ones. */
    char a[4] = {0}, b[6] = {0}, c[20] = {0};
    struct iovec local[3] = {{a, 3}, {b, 5}, {c, 12}};
    struct iovec remote[2] = {{src, 7}, {src + 20, 16}};
    CHECK(process_vm_readv(getpid(), local, 3, remote, 2, 0));
    printf("%s|%s|%s\n", a, b, c);
    char out[] = "WRITTEN";
    CHECK(wv(getpid(), out, 7, dst + 2, 7));
    printf("%s\n", dst);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    self_copies();
    pipe(to_child);
    pipe(to_parent);
    /* A region across a page edge, one never touched, one read-only, one PROT_NONE, one with a
     * hole after its first page. */
    char *edge = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *fresh = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *holed = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *big = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(holed, 'h', PAGE);
    munmap(holed + PAGE, PAGE);
    strcpy(ro, "read-only page");
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(edge + PAGE - 5, "across the edge");
        mprotect(ro, PAGE, PROT_READ);
        for (int i = 0; i < (1 << 20); i++)
            big[i] = (char)(i * 7);
        tell(to_parent[1]);
        await(to_child[0]);
        /* What the parent wrote. */
        printf("child sees: [%s] [%s]\n", shared_before_fork, edge + PAGE - 5);
        exit(0);
    }
    await(to_parent[0]);

    printf("-- reading a child\n");
    char buf[64] = {0};
    CHECK(rv(pid, buf, 15, edge + PAGE - 5, 15));
    printf("across the edge: %s (ours: %d)\n", buf, edge[PAGE - 5]);
    memset(buf, 'x', 16);
    CHECK(rv(pid, buf, 16, fresh, 16));
    printf("never touched: %d\n", buf[0] == 0 && buf[15] == 0);
    char *copy = malloc(1 << 20);
    CHECK(rv(pid, copy, 1 << 20, big, 1 << 20));
    int same = 1;
    for (int i = 0; i < (1 << 20); i++)
        same &= copy[i] == (char)(i * 7);
    printf("a megabyte: %d\n", same);

    printf("-- partial and failed copies\n");
    CHECK(rv(pid, copy, 2 * PAGE, holed + 100, 2 * PAGE));  /* stops at the hole */
    CHECK(rv(pid, copy, 100, holed + PAGE, 100));           /* only the hole */
    CHECK(rv(pid, copy, 100, none, 100));                   /* PROT_NONE */
    CHECK(rv(pid, copy, 100, (void *)0x1000, 100));         /* nothing mapped */
    CHECK(rv(pid, copy, 100, (void *)-4096L, 100));         /* the kernel's half */
    CHECK(rv(pid, (void *)8, 100, edge, 100));              /* local buffer faults */
    CHECK(wv(pid, "x", 1, ro, 1));                          /* read-only in the child */
    CHECK(rv(pid, buf, 14, ro, 14));
    printf("read-only readable: %.14s\n", buf);
    /* Two remote pieces, the second unmapped: the first counts. */
    struct iovec l1 = {copy, 200};
    struct iovec r2[2] = {{edge, 50}, {(void *)0x1000, 50}};
    CHECK(process_vm_readv(pid, &l1, 1, r2, 2, 0));
    /* A local buffer ending in an unmapped page. */
    char *lholed = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(lholed + PAGE, PAGE);
    CHECK(rv(pid, lholed + PAGE - 10, 100, big, 100));

    printf("-- writing a child\n");
    /* The page is still shared copy-on-write with us: only the child's copy changes. */
    CHECK(wv(pid, "the child's words!", 18, shared_before_fork, 18));
    printf("ours unchanged: %s\n", shared_before_fork);
    CHECK(wv(pid, "EDGE", 4, edge + PAGE - 2, 4));
    tell(to_child[1]);
    int status;
    waitpid(pid, &status, 0);

    printf("-- errors\n");
    struct iovec lv = {buf, 10}, rvv = {buf, 10};
    CHECK(process_vm_readv(getpid(), &lv, 1, &rvv, 1, 1));
    CHECK(process_vm_readv(getpid(), &lv, 1025, &rvv, 1, 0));
    CHECK(process_vm_readv(getpid(), &lv, 1, &rvv, 1025, 0));
    CHECK(process_vm_readv(getpid(), (void *)8, 1, &rvv, 1, 0));
    CHECK(process_vm_readv(getpid(), &lv, 1, (void *)8, 1, 0));
    struct iovec neg = {buf, (size_t)-1};
    CHECK(process_vm_readv(getpid(), &lv, 1, &neg, 1, 0));
    CHECK(process_vm_readv(getpid(), &neg, 1, &rvv, 1, 0));
    CHECK(process_vm_readv(NO_PID, &lv, 1, &rvv, 1, 0));
    CHECK(process_vm_readv(-1, &lv, 1, &rvv, 1, 0));
    struct iovec empty = {buf, 0};
    CHECK(process_vm_readv(NO_PID, &empty, 1, &rvv, 1, 0)); /* nothing to copy: 0 first */
    CHECK(process_vm_readv(NO_PID, &lv, 1, &empty, 1, 0));
    CHECK(process_vm_readv(NO_PID, &lv, 0, &rvv, 1, 0));

    printf("-- a zombie, another user\n");
    pid = fork();
    if (pid == 0)
        _exit(0);
    siginfo_t si;
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    CHECK(rv(pid, buf, 10, edge, 10));
    waitpid(pid, &status, 0);
    pid = fork();
    if (pid == 0) {
        if (setgid(1000) != 0 || setuid(1000) != 0)
            _exit(1);
        /* Our parent is root. */
        show("another user's memory", rv(getppid(), buf, 10, edge, 10));
        show("its own", rv(getpid(), buf, 10, edge, 10));
        _exit(0);
    }
    waitpid(pid, &status, 0);
    return 0;
}
