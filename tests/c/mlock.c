/* mlock, mlock2, munlock, mlockall, munlockall and MAP_LOCKED: which areas get locked (smaps'
 * VmFlags and Locked), VmLck, population, the errors, fork, and RLIMIT_MEMLOCK for an ordinary
 * user (as root, CAP_IPC_LOCK lifts it); compared with Linux. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "areas.h"
#include "errname.h"

#define P 4096
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif

static void resident(const char *label, void *p, int pages)
{
    unsigned char vec[64];
    if (mincore(p, pages * P, vec)) {
        printf("%s: mincore %s\n", label, errname(errno));
        return;
    }
    printf("%s:", label);
    for (int i = 0; i < pages; i++)
        printf(" %d", vec[i] & 1);
    printf("\n");
}

/* A mapping between two PROT_NONE guard pages, so that it never merges with its neighbours:
 * Linux merges anonymous areas only when they share their anon_vma (their pages' reverse-map
 * root), which this kernel does not model, so the tests keep to areas split from one mapping. */
static char *anon(int pages, int prot, int flags)
{
    char *p = mmap(NULL, (pages + 2) * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return p;
    return mmap(p + P, pages * P, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | flags, -1, 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    setvbuf(stdout, NULL, _IONBF, 0);
    long base_lck = status_kb("VmLck");
    printf("VmLck at start: %ld kB\n", base_lck);

    char *a = anon(8, PROT_READ | PROT_WRITE, 0);
    REPORT("mlock of an unaligned start, 2 pages long", mlock(a + P + 5, 2 * P));
    show_areas("after mlock", a, 8 * P, 1);
    resident("resident", a, 8);
    printf("VmLck: %ld kB\n", status_kb("VmLck"));
    REPORT("MADV_DONTNEED on locked memory", madvise(a + P, P, MADV_DONTNEED));
    REPORT("MADV_FREE on locked memory", madvise(a + P, P, MADV_FREE));
    REPORT("MADV_DONTNEED over locked and unlocked", madvise(a, 8 * P, MADV_DONTNEED));
    REPORT("MADV_DONTNEED_LOCKED on locked memory", madvise(a + P, P, MADV_DONTNEED_LOCKED));
    resident("after MADV_DONTNEED_LOCKED", a, 8);
    REPORT("mlock again, over the whole area", mlock(a, 8 * P));
    show_areas("all locked", a, 8 * P, 1);
    REPORT("munlock of the middle", munlock(a + 2 * P, 4 * P));
    show_areas("middle unlocked", a, 8 * P, 1);
    REPORT("munlock of everything", munlock(a, 8 * P));
    show_areas("unlocked", a, 8 * P, 1);
    printf("VmLck: %ld kB\n", status_kb("VmLck"));

    /* mlock2 */
    char *b = anon(4, PROT_READ | PROT_WRITE, 0);
    REPORT("mlock2 MLOCK_ONFAULT", syscall(SYS_mlock2, b, 4 * P, 1));
    resident("onfault, untouched", b, 4);
    b[P] = 1;
    resident("onfault, one page written", b, 4);
    show_areas("onfault", b, 4 * P, 1);
    REPORT("mlock2 with flags 2", syscall(SYS_mlock2, b, P, 2));
    REPORT("mlock (not onfault) over it", mlock(b, 4 * P));
    show_areas("relocked", b, 4 * P, 1);
    resident("relocked", b, 4);

    /* Errors and edges. */
    char *h = anon(6, PROT_READ | PROT_WRITE, 0);
    munmap(h + 2 * P, 2 * P);
    REPORT("mlock over a hole", mlock(h, 6 * P));
    show_areas("around the hole", h, 6 * P, 1);
    REPORT("munlock over a hole", munlock(h, 6 * P));
    show_areas("around the hole, unlocked", h, 6 * P, 1);
    REPORT("mlock of the hole", mlock(h + 2 * P, P));
    REPORT("mlock of length 0", mlock(h, 0));
    REPORT("mlock of a huge length", syscall(SYS_mlock, h, -1L));
    REPORT("mlock wrapping around", syscall(SYS_mlock, h, -(long)(unsigned long)h - 2 * P));
    REPORT("mlock beyond user space", mlock((void *)0x7ffffffff000UL, 2 * P));
    char *n = anon(2, PROT_NONE, 0);
    REPORT("mlock of PROT_NONE memory", mlock(n, 2 * P));
    show_areas("PROT_NONE", n, 2 * P, 1);
    munlock(n, 2 * P);

    /* MAP_LOCKED: populated at once. */
    char *l = anon(4, PROT_READ | PROT_WRITE, MAP_LOCKED);
    show_areas("MAP_LOCKED", l, 4 * P, 1);
    resident("MAP_LOCKED", l, 4);
    int fd = open(argv[0], O_RDONLY);
    char *f = mmap(NULL, 2 * P, PROT_READ, MAP_PRIVATE | MAP_LOCKED, fd, 0);
    resident("MAP_LOCKED file", f, 2);
    show_areas("MAP_LOCKED file", f, 2 * P, 1);
    REPORT("munlock of the file mapping", munlock(f, 2 * P));
    REPORT("MAP_STACK", (f = anon(2, PROT_READ | PROT_WRITE, MAP_STACK)) == MAP_FAILED ? -1 : 0);
    show_areas("MAP_STACK", f, 2 * P, 0);

    /* fork: the child's areas are not locked. */
    pid_t pid = fork();
    if (pid == 0) {
        show_areas("child", l, 4 * P, 1);
        printf("child VmLck: %ld kB\n", status_kb("VmLck"));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent VmLck: %ld kB\n", status_kb("VmLck") - base_lck);
    munmap(l, 4 * P);
    printf("VmLck after munmap: %ld kB\n", status_kb("VmLck") - base_lck);

    /* mlockall */
    REPORT("mlockall(0)", mlockall(0));
    REPORT("mlockall(MCL_ONFAULT)", mlockall(MCL_ONFAULT));
    REPORT("mlockall(8)", mlockall(8));
    REPORT("mlockall(MCL_FUTURE)", mlockall(MCL_FUTURE));
    show_areas("existing area after MCL_FUTURE", a, 8 * P, 1);
    char *fu = anon(3, PROT_READ | PROT_WRITE, 0);
    show_areas("new area after MCL_FUTURE", fu, 3 * P, 1);
    resident("new area after MCL_FUTURE", fu, 3);
    char *brk0 = sbrk(0);
    char *brk1 = (char *)syscall(SYS_brk, brk0 + 3 * P);
    printf("brk grew: %s\n", brk1 == brk0 + 3 * P ? "yes" : "no");
    resident("new heap after MCL_FUTURE", (char *)(((unsigned long)brk0 + P - 1) & ~(P - 1UL)), 2);
    REPORT("mlockall(MCL_FUTURE | MCL_ONFAULT)", mlockall(MCL_FUTURE | MCL_ONFAULT));
    char *fo = anon(3, PROT_READ | PROT_WRITE, 0);
    show_areas("new area after MCL_ONFAULT", fo, 3 * P, 1);
    resident("new area after MCL_ONFAULT", fo, 3);
    REPORT("mlockall(MCL_CURRENT)", mlockall(MCL_CURRENT));
    show_areas("after MCL_CURRENT", a, 8 * P, 1);
    resident("after MCL_CURRENT", a, 8);
    printf("# VmLck %ld kB of VmSize %ld kB\n", status_kb("VmLck"), status_kb("VmSize"));
    char *nf = anon(2, PROT_READ | PROT_WRITE, 0);
    show_areas("new area after MCL_CURRENT alone", nf, 2 * P, 1);
    REPORT("munlockall", munlockall());
    printf("VmLck after munlockall: %ld kB\n", status_kb("VmLck"));
    show_areas("after munlockall", a, 8 * P, 1);

    /* An ordinary user: RLIMIT_MEMLOCK counts. */
    struct rlimit rl = {8 * P, 8 * P};
    REPORT("RLIMIT_MEMLOCK of 8 pages", setrlimit(RLIMIT_MEMLOCK, &rl));
    REPORT("setresuid to nobody", setresuid(65534, 65534, 65534));
    char *u = anon(16, PROT_READ | PROT_WRITE, 0);
    REPORT("mlock of 6 pages", mlock(u, 6 * P));
    REPORT("mlock of 6 more", mlock(u + 6 * P, 6 * P));
    REPORT("mlock of 8, 6 of them locked already", mlock(u, 8 * P));
    printf("VmLck: %ld kB\n", status_kb("VmLck"));
    REPORT("MAP_LOCKED beyond the limit",
           anon(4, PROT_READ | PROT_WRITE, MAP_LOCKED) == MAP_FAILED ? -1 : 0);
    REPORT("mlockall(MCL_CURRENT) beyond the limit", mlockall(MCL_CURRENT));
    REPORT("mlockall(MCL_FUTURE)", mlockall(MCL_FUTURE));
    REPORT("a mapping beyond the limit after MCL_FUTURE",
           anon(4, PROT_READ | PROT_WRITE, 0) == MAP_FAILED ? -1 : 0);
    REPORT("munlockall", munlockall());
    rl.rlim_cur = 0;
    REPORT("RLIMIT_MEMLOCK of 0", setrlimit(RLIMIT_MEMLOCK, &rl));
    REPORT("mlock with no limit left", mlock(u, P));
    REPORT("mlock2 with no limit left", syscall(SYS_mlock2, u, P, 1));
    REPORT("MAP_LOCKED with no limit left",
           anon(1, PROT_READ | PROT_WRITE, MAP_LOCKED) == MAP_FAILED ? -1 : 0);
    REPORT("mlockall with no limit left", mlockall(MCL_CURRENT));
    REPORT("munlock with no limit left", munlock(u, 16 * P));
    return 0;
}
