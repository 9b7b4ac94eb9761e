/* /proc/PID/mem against Linux: a process's memory read and written at the file position's
 * address, as debuggers use it. FOLL_FORCE writes into read-only data and text and into a
 * private read-only mapping (copied, the mapping's rights unchanged, the file untouched), reads
 * of PROT_NONE memory, a shared read-only mapping refused, unmapped addresses (EIO, or a short
 * read at the edge), the unsigned positions of lseek, another process's memory (copy-on-write
 * keeps the writer's own page apart), a zombie and a reaped process, and EACCES for a process
 * that may not trace the other. One fork at a time. */
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

static char greeting[] = "hello, world";
static const char rodata_msg[] = "read-only data";

__attribute__((noinline)) int answer(void)
{
    return 42;
}

/* The rights of the area holding `addr`, from /proc/self/maps. */
static void rights_of(const void *addr, char out[5])
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    strcpy(out, "????");
    while (fgets(line, sizeof line, maps)) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && (uintptr_t)addr >= lo &&
            (uintptr_t)addr < hi) {
            memcpy(out, perms, 5);
            break;
        }
    }
    fclose(maps);
}

static void show_bytes(const char *what, long n, const char *buf)
{
    if (n < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        return;
    }
    printf("%s: %ld \"", what, n);
    for (long i = 0; i < n; i++)
        putchar(buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.');
    printf("\"\n");
}

static void own_memory(int mem)
{
    char buf[64];
    off_t at = (off_t)(uintptr_t)greeting;

    printf("-- reading and writing one's own memory\n");
    show_bytes("pread greeting", pread(mem, buf, 12, at), buf);
    printf("lseek to greeting: %d\n", lseek(mem, at, SEEK_SET) == at);
    show_bytes("read 5", read(mem, buf, 5), buf);
    printf("position moved by: %lld\n", (long long)(lseek(mem, 0, SEEK_CUR) - at));
    CHECK(pwrite(mem, "HELLO", 5, at));
    printf("greeting now: %s\n", greeting);

    printf("-- read-only data and text: written through the file (FOLL_FORCE)\n");
    char before[5], after[5];
    rights_of(rodata_msg, before);
    CHECK(pwrite(mem, "READ", 4, (off_t)(uintptr_t)rodata_msg));
    const char *volatile msg = rodata_msg;
    printf("rodata now: %s\n", msg);
    rights_of(rodata_msg, after);
    printf("rights before %s after %s\n", before, after);

    unsigned char code[16];
    int (*volatile fn)(void) = answer;
    CHECK(pread(mem, code, sizeof code, (off_t)(uintptr_t)answer));
    int patched = 0;
    for (int i = 0; i + 5 <= (int)sizeof code; i++) {
        if (code[i] == 0xb8 && code[i + 1] == 42 && !code[i + 2] && !code[i + 3] && !code[i + 4]) {
            unsigned char imm = 43;
            patched = pwrite(mem, &imm, 1, (off_t)(uintptr_t)answer + i + 1) == 1;
            break;
        }
    }
    printf("patched the text: %d, answer() now %d\n", patched, fn());
}

static void mappings(int mem)
{
    char buf[64];
    long page = sysconf(_SC_PAGESIZE);

    printf("-- a private read-only mapping of a file: copied on the forced write\n");
    int fd = memfd_create("procmem", 0);
    CHECK(write(fd, "file contents", 13));
    char *priv = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(pwrite(mem, "FILE", 4, (off_t)(uintptr_t)priv));
    printf("mapping reads: %.13s\n", priv);
    show_bytes("the file still holds", pread(fd, buf, 13, 0), buf);

    printf("-- a shared read-only mapping: not writable through the file\n");
    char *shared = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(pwrite(mem, "X", 1, (off_t)(uintptr_t)shared));
    show_bytes("pread shared", pread(mem, buf, 13, (off_t)(uintptr_t)shared), buf);

    printf("-- a private anonymous read-only mapping\n");
    char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(pwrite(mem, "anon", 4, (off_t)(uintptr_t)ro));
    printf("mapping reads: %.4s\n", ro);

    printf("-- PROT_NONE memory reads through the file\n");
    char *none = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(none, "hidden");
    mprotect(none, 2 * page, PROT_NONE);
    show_bytes("pread written page", pread(mem, buf, 6, (off_t)(uintptr_t)none), buf);
    show_bytes("pread untouched page", pread(mem, buf, 4, (off_t)(uintptr_t)(none + page)), buf);
    CHECK(pwrite(mem, "HID", 3, (off_t)(uintptr_t)none));
    CHECK(pwrite(mem, "new", 3, (off_t)(uintptr_t)(none + page)));
    mprotect(none, 2 * page, PROT_READ);
    printf("after mprotect: %s %s\n", none, none + page);

    printf("-- unmapped memory\n");
    char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + page, page);
    memset(two, 'z', page);
    CHECK(pread(mem, buf, 8, (off_t)(uintptr_t)(two + page)));
    CHECK(pwrite(mem, "w", 1, (off_t)(uintptr_t)(two + page)));
    show_bytes("read across the edge", pread(mem, buf, 8, (off_t)(uintptr_t)(two + page - 3)), buf);
    CHECK(pread(mem, buf, 8, 0));

    printf("-- positions are unsigned addresses\n");
    CHECK(pread(mem, buf, 8, (off_t)0xffff800000000000ULL));
    printf("lseek high: %d\n", lseek(mem, (off_t)0xffff800000000000ULL, SEEK_SET) ==
                                   (off_t)0xffff800000000000ULL);
    CHECK(read(mem, buf, 8));
    lseek(mem, (off_t)-16, SEEK_SET);
    CHECK(read(mem, buf, 8));
    CHECK(read(mem, buf, 32));
    CHECK(lseek(mem, 0, SEEK_END));
    CHECK(lseek(mem, 0, SEEK_DATA));
    munmap(two, page);
    munmap(none, 2 * page);
    munmap(ro, page);
    munmap(shared, page);
    munmap(priv, page);
    close(fd);
}

static void other_process(void)
{
    char buf[64], path[64];
    int go[2], done[2];

    printf("-- another process's memory\n");
    long page = sysconf(_SC_PAGESIZE);
    char *hidden = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(hidden, "parent's secret");
    mprotect(hidden, page, PROT_NONE);
    pipe(go);
    pipe(done);
    pid_t child = fork();
    if (child == 0) {
        char byte;
        write(done[1], "r", 1);
        read(go[0], &byte, 1);
        printf("child sees: %s\n", greeting);
        printf("child's rodata: %s\n", *(const char *volatile *)&(const char *){rodata_msg});
        mprotect(hidden, page, PROT_READ);
        printf("child's hidden page: %s\n", hidden);
        _exit(0);
    }
    char byte;
    read(done[0], &byte, 1);
    snprintf(path, sizeof path, "/proc/%d/mem", child);
    int mem = open(path, O_RDWR);
    show_bytes("pread child's greeting", pread(mem, buf, 12, (off_t)(uintptr_t)greeting), buf);
    CHECK(pwrite(mem, "CHILD", 5, (off_t)(uintptr_t)greeting));
    printf("parent's own: %s\n", greeting);
    CHECK(pwrite(mem, "RO", 2, (off_t)(uintptr_t)rodata_msg));
    CHECK(pwrite(mem, "child", 5, (off_t)(uintptr_t)hidden));
    int self = open("/proc/self/mem", O_RDONLY);
    show_bytes("parent's hidden page", pread(self, buf, 15, (off_t)(uintptr_t)hidden), buf);
    show_bytes("parent's rodata", pread(self, buf, 14, (off_t)(uintptr_t)rodata_msg), buf);
    close(self);
    write(go[1], "g", 1);

    siginfo_t info;
    waitid(P_PID, child, &info, WEXITED | WNOWAIT);
    int zombie = open(path, O_RDONLY);
    if (zombie < 0)
        printf("open of a zombie's mem: -1 %s\n", errname(errno));
    CHECK(pread(mem, buf, 8, (off_t)(uintptr_t)greeting));
    waitpid(child, NULL, 0);
    CHECK(pread(mem, buf, 8, (off_t)(uintptr_t)greeting));
    close(mem);
    munmap(hidden, page);

    printf("-- a process that may not trace the other\n");
    pid_t parent = getpid();
    child = fork();
    if (child == 0) {
        snprintf(path, sizeof path, "/proc/%d/mem", parent);
        if (setgid(65534) || setuid(65534))
            _exit(1);
        CHECK(open(path, O_RDONLY));
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("child exited %d\n", WEXITSTATUS(status));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int mem = open("/proc/self/mem", O_RDWR);
    printf("open /proc/self/mem: %d\n", mem >= 0);
    struct stat st;
    fstat(mem, &st);
    printf("mode %o size %lld\n", st.st_mode, (long long)st.st_size);
    char link[64], expected[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", mem);
    ssize_t n = readlink(link, expected, sizeof expected - 1);
    expected[n > 0 ? n : 0] = 0;
    snprintf(link, sizeof link, "/proc/%d/mem", getpid());
    printf("fd link names it: %d\n", strcmp(link, expected) == 0);

    own_memory(mem);
    mappings(mem);
    close(mem);
    other_process();
    return 0;
}
