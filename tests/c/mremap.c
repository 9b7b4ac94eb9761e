/* mremap: shrinking, growing in place, moving (MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP),
 * file and shared anonymous mappings, locked areas, a forked child's copy, RLIMIT_AS and the
 * errors; contents, areas (relative to the mapping, never raw addresses) and errors compared
 * with Linux. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "areas.h"
#include "errname.h"

#define P 4096L
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* mremap through the system call, so that the C library adds no checks of its own. */
static char *remap(void *old, long old_len, long new_len, long flags, void *new_addr)
{
    return (char *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

#define RESULT(label, call)                                                                    \
    do {                                                                                       \
        errno = 0;                                                                             \
        char *r_ = (call);                                                                     \
        printf("%s: %s\n", (label), r_ == MAP_FAILED ? errname(errno) : "ok");                 \
    } while (0)

/* A mapping between two PROT_NONE guard pages, so that it never merges with its neighbours
 * (Linux merges anonymous areas only when their anon_vma and pgoff agree, which this kernel
 * does not model: see mremap.rs). */
static char *anon(long pages, int prot, int flags)
{
    char *p = mmap(NULL, (pages + 2) * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return mmap(p + P, pages * P, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | flags, -1, 0);
}

static void fill(char *p, long pages, char c)
{
    for (long i = 0; i < pages; i++)
        memset(p + i * P, c + i, P);
}

/* "c c+1 ..." for intact pages, '0' for zero pages, '?' for anything else. */
static void contents(const char *label, char *p, long pages, char c)
{
    printf("%s:", label);
    for (long i = 0; i < pages; i++) {
        char want = c + i, first = p[i * P];
        int same = 1;
        for (long j = 0; j < P; j++)
            same &= p[i * P + j] == first;
        printf(" %c", !same ? '?' : first == 0 ? '0' : first == want ? 'k' : '!');
    }
    printf("\n");
}

static void mapped(const char *label, void *p, long pages)
{
    unsigned char vec[64];
    printf("%s: %s\n", label, mincore(p, pages * P, vec) ? errname(errno) : "mapped");
}

int main(int argc, char **argv)
{
    (void)argc;
    setvbuf(stdout, NULL, _IONBF, 0);

    /* Shrink. */
    char *a = anon(8, PROT_READ | PROT_WRITE, 0);
    fill(a, 8, 'a');
    printf("shrink returns the address: %s\n", remap(a, 8 * P, 3 * P, 0, 0) == a ? "yes" : "no");
    contents("shrunk", a, 3, 'a');
    mapped("the tail", a + 3 * P, 5);
    show_areas("shrunk", a, 8 * P, 0);
    printf("equal lengths return the address: %s\n", remap(a, 3 * P, 3 * P, 0, 0) == a ? "yes" : "no");
    printf("a length within a page: %s\n", remap(a, 3 * P - 100, 3 * P - 5, 0, 0) == a ? "same" : "other");

    /* Grow in place, into room made just before. */
    char *r = mmap(NULL, 20 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *b = mmap(r + P, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    fill(b, 4, 'b');
    RESULT("grow with no room and no MREMAP_MAYMOVE", remap(b, 4 * P, 8 * P, 0, 0));
    munmap(r + 5 * P, 6 * P);
    char *g = remap(b, 4 * P, 8 * P, 0, 0);
    printf("grown in place: %s\n", g == b ? "yes" : g == MAP_FAILED ? errname(errno) : "moved");
    contents("grown", b, 8, 'b');
    show_areas("grown", r, 20 * P, 0);
    RESULT("grow over the next area", remap(b, 8 * P, 12 * P, 0, 0));
    RESULT("grow from the middle of an area", remap(b, 2 * P, 4 * P, 0, 0));

    /* Move: the pages go with the entries (resident memory does not change). */
    char *c = anon(4, PROT_READ | PROT_WRITE, 0);
    fill(c, 4, 'c');
    long rss = status_kb("RssAnon");
    char *m = remap(c, 4 * P, 8 * P, MREMAP_MAYMOVE, 0);
    printf("moved: %s\n", m == MAP_FAILED ? errname(errno) : m == c ? "no" : "yes");
    printf("# moved from %p to %p\n", c, m);
    printf("RssAnon change: %ld kB\n", status_kb("RssAnon") - rss);
    contents("moved", m, 8, 'c');
    mapped("the old place", c, 4);
    show_areas("moved", m, 8 * P, 0);
    m[7 * P] = 'z';
    printf("a new page written after the move: %c\n", m[7 * P]);

    /* MREMAP_FIXED into the middle of a read-only area (different flags: no merge). */
    char *d = anon(4, PROT_READ | PROT_WRITE, 0);
    fill(d, 4, 'd');
    /* (A fresh read-only area: Linux keeps VM_ACCOUNT, "ac", on memory made read-only by
     * mprotect, which this kernel derives from the rights instead.) */
    char *dst = anon(8, PROT_READ, 0);
    char *f = remap(d, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 2 * P);
    printf("MREMAP_FIXED lands there: %s\n", f == dst + 2 * P ? "yes" : f == MAP_FAILED ? errname(errno) : "no");
    contents("around it", dst, 8, 'd' - 2);
    show_areas("MREMAP_FIXED", dst, 8 * P, 0);
    mapped("the old place", d, 4);
    RESULT("MREMAP_FIXED without MREMAP_MAYMOVE", remap(dst + 2 * P, P, P, MREMAP_FIXED, dst + 16 * P));
    RESULT("MREMAP_FIXED onto itself", remap(dst + 2 * P, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 3 * P));
    RESULT("MREMAP_FIXED to an unaligned address", remap(dst + 2 * P, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 100 * P + 1));
    RESULT("MREMAP_FIXED beyond user space", remap(dst + 2 * P, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x7ffffffff000UL));
    /* MREMAP_FIXED shrinking: the tail is unmapped first. */
    char *sh = anon(4, PROT_READ | PROT_WRITE, 0);
    fill(sh, 4, 's');
    char *shd = anon(4, PROT_READ, 0);
    char *s2 = remap(sh, 4 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, shd + P);
    printf("MREMAP_FIXED shrinking: %s\n", s2 == shd + P ? "ok" : errname(errno));
    contents("moved and shrunk", shd + P, 2, 's');
    mapped("its old tail", sh + 2 * P, 2);

    /* MREMAP_DONTUNMAP: the old range stays, empty. */
    char *e = anon(2, PROT_READ | PROT_WRITE, 0);
    fill(e, 2, 'e');
    char *en = remap(e, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
    printf("MREMAP_DONTUNMAP: %s\n", en == MAP_FAILED ? errname(errno) : "ok");
    contents("moved", en, 2, 'e');
    contents("left behind", e, 2, 'e');
    show_areas("left behind", e, 2 * P, 0);
    RESULT("MREMAP_DONTUNMAP resizing", remap(en, 2 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0));
    RESULT("MREMAP_DONTUNMAP without MREMAP_MAYMOVE", remap(en, 2 * P, 2 * P, MREMAP_DONTUNMAP, 0));

    /* Files: a private mapping grows and moves, reading on in the file; a shared one writes through. */
    int fd = open(argv[0], O_RDONLY);
    char file_bytes[4 * 4096];
    pread(fd, file_bytes, sizeof file_bytes, 0);
    char *fm = mmap(NULL, 2 * P, PROT_READ, MAP_PRIVATE, fd, 0);
    (void)*(volatile char *)fm;
    mmap(fm + 2 * P, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    char *fm2 = remap(fm, 2 * P, 4 * P, MREMAP_MAYMOVE, 0);
    printf("file mapping moved: %s\n", fm2 == MAP_FAILED ? errname(errno) : fm2 == fm ? "no" : "yes");
    printf("it reads the file: %s\n", memcmp(fm2, file_bytes, 4 * P) == 0 ? "yes" : "no");
    show_areas("file mapping", fm2, 4 * P, 0);
    char *fd2 = remap(fm2, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
    printf("file MREMAP_DONTUNMAP: %s\n", fd2 == MAP_FAILED ? errname(errno) : "ok");
    printf("both read the file: %s\n",
           fd2 != MAP_FAILED && !memcmp(fd2, file_bytes, 2 * P) && !memcmp(fm2, file_bytes, 2 * P) ? "yes" : "no");
    char path[] = "/tmp/mremap-test-file-XXXXXX"; /* not a name another run may use at once */
    int wfd = mkstemp(path);
    unlink(path);
    ftruncate(wfd, 4 * P);
    char *ws = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
    ws[0] = 'w';
    mmap(ws + 2 * P, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    char *ws2 = remap(ws, 2 * P, 4 * P, MREMAP_MAYMOVE, 0);
    ws2[3 * P] = 'x';
    char got[2] = {0, 0};
    pread(wfd, &got[0], 1, 0);
    pread(wfd, &got[1], 1, 3 * P);
    printf("shared file mapping after the move: %c %c\n", got[0], got[1]);
    show_areas("shared file mapping", ws2, 4 * P, 0);

    /* Shared anonymous memory: moves keep the pages shared; old_len 0 makes a second mapping. */
    char *sa = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sa[0] = 'S';
    char *dup = remap(sa, 0, 2 * P, MREMAP_MAYMOVE, 0);
    printf("a second mapping of shared memory: %s\n", dup == MAP_FAILED ? errname(errno) : "ok");
    if (dup != MAP_FAILED) {
        dup[P] = 'T';
        printf("each sees the other's writes: %c %c\n", dup[0], sa[P]);
    }
    char *sm = remap(sa, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, anon(4, PROT_READ, 0) + P);
    printf("shared memory moved: %s\n", sm == MAP_FAILED ? errname(errno) : "ok");
    if (sm != MAP_FAILED && dup != MAP_FAILED) {
        sm[1] = 'U';
        printf("still shared: %c %c %c\n", sm[0], sm[P], dup[1]);
    }
    RESULT("old_len 0 on private memory", remap(e, 0, P, MREMAP_MAYMOVE, 0));

    /* Locked areas: what they gain is populated, and counted in VmLck. */
    char *l = anon(2, PROT_READ | PROT_WRITE, 0);
    mlock(l, 2 * P);
    long lck = status_kb("VmLck");
    char *l2 = remap(l, 2 * P, 5 * P, MREMAP_MAYMOVE, 0);
    printf("locked area moved: %s\n", l2 == MAP_FAILED ? errname(errno) : "ok");
    unsigned char vec[8];
    mincore(l2, 5 * P, vec);
    printf("resident: %d %d %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1, vec[4] & 1);
    /* Linux 6.18 counts a locked area that moves and grows twice in VmLck (mm->locked_vm gains
     * both the growth and the new length); this kernel sums the locked areas: not compared. */
    printf("# VmLck change: %ld kB\n", status_kb("VmLck") - lck);
    show_areas("locked", l2, 5 * P, 1);
    char *l3 = remap(l2, 5 * P, 5 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
    printf("locked MREMAP_DONTUNMAP: %s\n", l3 == MAP_FAILED ? errname(errno) : "ok");
    show_areas("locked, left behind", l2, 5 * P, 1);
    printf("# VmLck change: %ld kB\n", status_kb("VmLck") - lck);

    /* A forked child moves its copy: the parent's pages are untouched. */
    char *cw = anon(3, PROT_READ | PROT_WRITE, 0);
    fill(cw, 3, 'f');
    pid_t pid = fork();
    if (pid == 0) {
        char *cm = remap(cw, 3 * P, 6 * P, MREMAP_MAYMOVE, 0);
        contents("child, moved", cm, 3, 'f');
        memset(cm, 'q', P);
        cm[P] = 'q';
        printf("child wrote: %c %c\n", cm[0], cm[P]);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    contents("parent, after the child moved and wrote", cw, 3, 'f');

    /* Errors. */
    RESULT("unaligned address", remap(a + 1, P, 2 * P, MREMAP_MAYMOVE, 0));
    RESULT("flags 8", remap(a, P, 2 * P, 8, 0));
    RESULT("new length 0", remap(a, P, 0, MREMAP_MAYMOVE, 0));
    RESULT("nothing mapped there", remap(c, P, 2 * P, MREMAP_MAYMOVE, 0));
    RESULT("old range beyond the area", remap(a, 5 * P, 6 * P, MREMAP_MAYMOVE, 0));
    RESULT("a huge new length", remap(a, P, 1L << 50, MREMAP_MAYMOVE, 0));
    RESULT("a wrapping new length", remap(a, P, -P, MREMAP_MAYMOVE, 0));
    RESULT("shrinking over a hole", remap(a, 20 * P, P, 0, 0));
    mapped("after it", a, 1);
    struct rlimit old_as, as;
    getrlimit(RLIMIT_AS, &old_as);
    as.rlim_cur = as.rlim_max = (status_kb("VmSize") + 32) * 1024;
    setrlimit(RLIMIT_AS, &as);
    char *big = anon(2, PROT_READ | PROT_WRITE, 0); /* 4 pages with its guards */
    RESULT("growing past RLIMIT_AS", remap(big, 2 * P, 12 * P, MREMAP_MAYMOVE, 0));
    RESULT("growing within RLIMIT_AS", remap(big, 2 * P, 3 * P, MREMAP_MAYMOVE, 0));
    setrlimit(RLIMIT_AS, &old_as);

    /* Below vm.mmap_min_addr, an ordinary user may not map (root may on Linux, with
     * CAP_SYS_RAWIO; here nobody may). Found by the fuzzer: this kernel once moved the area to
     * address 0. (Only page 0: the host's vm.mmap_min_addr may be lower than Linux's default.) */
    REPORT("setresuid to nobody", setresuid(65534, 65534, 65534));
    char *low = anon(1, PROT_READ | PROT_WRITE, 0);
    RESULT("MREMAP_FIXED to address 0", remap(low, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, 0));
    mapped("the area after it", low, 1);
    return 0;
}
