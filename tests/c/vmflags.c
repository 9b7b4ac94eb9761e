/* madvise's flag advices (DONTFORK/DOFORK, WIPEONFORK/KEEPONFORK, DONTDUMP/DODUMP,
 * HUGEPAGE/NOHUGEPAGE, NORMAL/RANDOM/SEQUENTIAL): how they split and merge areas, the VmFlags
 * /proc/self/smaps shows, their errors, and what a forked child gets; compared with Linux. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "areas.h"
#include "errname.h"

#define P 4096

int main(int argc, char **argv)
{
    (void)argc;
    setvbuf(stdout, NULL, _IONBF, 0);
    char *a = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show_areas("fresh", a, 8 * P, 0);
    static const struct {
        int advice;
        const char *name;
    } advices[] = {
        {MADV_DONTFORK, "MADV_DONTFORK"},     {MADV_DOFORK, "MADV_DOFORK"},
        {MADV_DONTDUMP, "MADV_DONTDUMP"},     {MADV_DODUMP, "MADV_DODUMP"},
        {MADV_WIPEONFORK, "MADV_WIPEONFORK"}, {MADV_KEEPONFORK, "MADV_KEEPONFORK"},
        {MADV_HUGEPAGE, "MADV_HUGEPAGE"},     {MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE"},
        {MADV_SEQUENTIAL, "MADV_SEQUENTIAL"}, {MADV_RANDOM, "MADV_RANDOM"},
        {MADV_NORMAL, "MADV_NORMAL"},
    };
    for (unsigned i = 0; i < sizeof advices / sizeof advices[0]; i++) {
        REPORT(advices[i].name, madvise(a + 2 * P, 2 * P, advices[i].advice));
        show_areas(advices[i].name, a, 8 * P, 0);
    }
    /* Undo each: the one area comes back. */
    madvise(a + 2 * P, 2 * P, MADV_DOFORK);
    madvise(a + 2 * P, 2 * P, MADV_DODUMP);
    madvise(a + 2 * P, 2 * P, MADV_KEEPONFORK);
    show_areas("after undoing all but NOHUGEPAGE", a, 8 * P, 0);
    /* Two advices on overlapping ranges. */
    madvise(a, 3 * P, MADV_DONTDUMP);
    madvise(a + 2 * P, 4 * P, MADV_DONTFORK);
    show_areas("overlapping DONTDUMP and DONTFORK", a, 8 * P, 0);

    /* Errors. */
    int fd = open(argv[0], O_RDONLY);
    char *f = mmap(NULL, 2 * P, PROT_READ, MAP_PRIVATE, fd, 0);
    REPORT("MADV_WIPEONFORK on a file mapping", madvise(f, P, MADV_WIPEONFORK));
    REPORT("MADV_DONTFORK on a file mapping", madvise(f, P, MADV_DONTFORK));
    show_areas("the file mapping", f, 2 * P, 0);
    char *s = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REPORT("MADV_WIPEONFORK on shared memory", madvise(s, P, MADV_WIPEONFORK));
    REPORT("MADV_DONTDUMP on shared memory", madvise(s, P, MADV_DONTDUMP));
    show_areas("the shared mapping", s, 2 * P, 0);
    REPORT("MADV_DONTFORK with an unaligned start", madvise(a + 1, P, MADV_DONTFORK));
    REPORT("MADV_DONTFORK of length 0", madvise(a, 0, MADV_DONTFORK));
    char *h = mmap(NULL, 6 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(h + 2 * P, 2 * P);
    REPORT("MADV_DONTDUMP over a hole", madvise(h, 6 * P, MADV_DONTDUMP));
    show_areas("around the hole", h, 6 * P, 0);
    munmap(h, 6 * P);
    REPORT("MADV_DONTDUMP of nothing mapped", madvise(h, 6 * P, MADV_DONTDUMP));
    REPORT("MADV_DONTFORK beyond user space", madvise((void *)0x7ffffffff000UL, 2 * P, MADV_DONTFORK));
    /* Linux without KSM answers EINVAL; with KSM (most distribution kernels) 0: not compared. */
    errno = 0;
    printf("# MADV_MERGEABLE: %s\n", madvise(a, P, MADV_MERGEABLE) ? errname(errno) : "ok");

    /* fork: a DONTFORK area is absent in the child, a WIPEONFORK one empty. */
    char *d = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    d[0] = 'k', d[P] = 'n', d[2 * P] = 'w';
    madvise(d + P, P, MADV_DONTFORK);
    madvise(d + 2 * P, P, MADV_WIPEONFORK);
    show_areas("before fork", d, 3 * P, 0);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned char vec;
        printf("child: kept page reads %c\n", d[0]);
        printf("child: DONTFORK page: %s\n", mincore(d + P, P, &vec) ? errname(errno) : "mapped");
        printf("child: WIPEONFORK page reads %d\n", d[2 * P]);
        show_areas("child", d, 3 * P, 0);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent: pages read %c %c %c, child status %d\n", d[0], d[P], d[2 * P], status);
    return 0;
}
