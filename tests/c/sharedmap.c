/* Shared file mappings: writes through a MAP_SHARED mapping are the file's data, write() is seen
 * through every mapping and across fork, MAP_PRIVATE sees the file until it writes, msync's
 * errors, EACCES for a read-only file, and truncation: SIGBUS beyond the end, zeros in the tail.
 * Compared with Linux; the scratch file lives in a directory of its own under /tmp (from mkdtemp:
 * another run on the host at the same time has its own). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

static char dir[] = "/tmp/vmkernel-sharedmap-XXXXXX";
static char file_path[sizeof dir + 5];
#define FILE_PATH file_path

static const char *yes(int b) { return b ? "yes" : "no"; }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!mkdtemp(dir)) {
        printf("mkdtemp: %s\n", errname(errno));
        return 1;
    }
    snprintf(file_path, sizeof file_path, "%s/data", dir);
    int wfd = creat(FILE_PATH, 0644);
    printf("creat: %s, write-only: %s\n", wfd >= 0 ? "ok" : errname(errno),
           (fcntl(wfd, F_GETFL) & O_ACCMODE) == O_WRONLY ? "yes" : "no");
    close(wfd);
    sync();
    int fd = open(FILE_PATH, O_RDWR | O_TRUNC);
    REPORT("syncfs", syncfs(fd));
    REPORT("syncfs(-1)", syncfs(-1));
    char page[4096];
    memset(page, 'a', sizeof page);
    for (int i = 0; i < 3; i++)
        write(fd, page, sizeof page);

    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("shared writable mapping of a read-write file: %s\n", m == MAP_FAILED ? errname(errno) : "ok");
    m[0] = 'B';
    char c = 0;
    pread(fd, &c, 1, 0);
    printf("read() sees a write through the mapping: %s\n", yes(c == 'B'));
    pwrite(fd, "C", 1, 4096);
    printf("the mapping sees write(): %s\n", yes(m[4096] == 'C'));
    char *m2 = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    m2[100] = 'X';
    printf("a second mapping shares the page: %s\n", yes(m[100] == 'X'));
    pid_t child = fork();
    if (child == 0) {
        m[200] = 'K';
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("a forked child's write is seen: %s\n", yes(m[200] == 'K'));

    char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    pwrite(fd, "D", 1, 8192);
    printf("a private mapping sees the file's update: %s\n", yes(p[8192] == 'D'));
    p[8192] = 'E';
    pread(fd, &c, 1, 8192);
    printf("its own write stays private: file %c, mapping %c\n", c, p[8192]);

    FILE *maps = fopen("/proc/self/maps", "r");
    char line[256];
    int shared_lines = 0;
    while (fgets(line, sizeof line, maps))
        shared_lines += strstr(line, "rw-s") && strstr(line, "/data") != NULL;
    fclose(maps);
    printf("maps shows the shared mappings as rw-s: %d\n", shared_lines);

    REPORT("msync(MS_SYNC)", msync(m, 3 * 4096, MS_SYNC));
    REPORT("msync(MS_ASYNC)", msync(m, 4096, MS_ASYNC));
    REPORT("msync(MS_INVALIDATE)", msync(m, 4096, MS_INVALIDATE));
    REPORT("msync(MS_SYNC | MS_ASYNC)", msync(m, 4096, MS_SYNC | MS_ASYNC));
    REPORT("msync of an unaligned address", msync(m + 1, 4096, MS_SYNC));
    REPORT("msync(flags 8)", msync(m, 4096, 8));

    int ro = open(FILE_PATH, O_RDONLY);
    void *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("shared writable mapping of a read-only file: %s\n", r == MAP_FAILED ? errname(errno) : "ok");
    char *rr = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
    REPORT("mprotect(PROT_WRITE) on it", mprotect(rr, 4096, PROT_READ | PROT_WRITE));
    void *rp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    printf("private writable mapping of a read-only file: %s\n", rp == MAP_FAILED ? errname(errno) : "ok");

    /* Truncation: the tail of the last page reads as zero, a page beyond the end is SIGBUS, and
     * the private copy beyond the end is gone too. */
    ftruncate(fd, 4096 + 100);
    printf("the tail of the last page reads as zero: %s\n", yes(m[4096 + 100] == 0 && m[4095 + 100] == 'a'));
    child = fork();
    if (child == 0) {
        (void)*(volatile char *)(m + 8192);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("touching a page beyond the new end: %s\n",
           WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "no signal");
    child = fork();
    if (child == 0) {
        (void)*(volatile char *)(p + 8192);
        _exit(0);
    }
    waitpid(child, &status, 0);
    printf("and its private copy: %s\n", WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "no signal");
    ftruncate(fd, 3 * 4096);
    printf("grown again, the page reads zeros: %s\n", yes(m[8192] == 0));

    munmap(m, 3 * 4096);
    munmap(m2, 3 * 4096);
    close(fd);
    close(ro);
    unlink(FILE_PATH);
    rmdir(dir);
    return 0;
}
