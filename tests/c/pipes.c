/* Pipes: data, end of file, EPIPE and SIGPIPE, the 64 KiB capacity in the ways Linux counts it,
 * O_NONBLOCK, a writer blocked until the reader drains, atomic writes from two writers, packet
 * mode, readv/writev, FIONREAD, F_GETFL. A handful of forks only (the Linux run is on the host). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char page[65536 + 4096];

static int unread(int fd) {
    int n = -1;
    ioctl(fd, FIONREAD, &n);
    return n;
}

static void basics(void) {
    printf("-- data and end of file\n");
    int p[2];
    CHECK(pipe(p));
    CHECK(fcntl(p[0], F_GETFL));
    CHECK(fcntl(p[1], F_GETFL));
    CHECK(write(p[1], "hello", 5));
    CHECK(write(p[1], "", 0));
    printf("FIONREAD: %d\n", unread(p[0]));
    char buf[16] = {0};
    CHECK(read(p[0], buf, 0));
    CHECK(read(p[0], buf, 3));
    CHECK(read(p[0], buf + 3, 10));
    printf("read: %s\n", buf);
    int extra = dup(p[1]);
    CHECK(close(p[1]));
    CHECK(write(extra, "x", 1));
    CHECK(read(p[0], buf, 10));
    CHECK(close(extra));
    CHECK(read(p[0], buf, 10));
    CHECK(read(p[0], buf, 10));
    CHECK(read(p[1], buf, 1));
    CHECK(close(p[0]));

    printf("-- readv and writev\n");
    CHECK(pipe(p));
    struct iovec out[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
    CHECK(writev(p[1], out, 3));
    char a[2], b[10] = {0};
    struct iovec in[2] = {{a, 2}, {b, 10}};
    CHECK(readv(p[0], in, 2));
    printf("readv: %c%c %s\n", a[0], a[1], b);
    CHECK(write(p[1], "12", 2));
    CHECK(readv(p[0], in, 2));
    close(p[0]);
    close(p[1]);

    printf("-- pipe2 flags\n");
    CHECK(pipe2(p, 1));
    CHECK(pipe2(p, O_APPEND));
    CHECK(syscall(SYS_pipe, 8));
    /* The flags are an int: high bits do not count. */
    CHECK(syscall(SYS_pipe2, p, (1L << 32) | O_CLOEXEC));
    CHECK(close(p[0]) | close(p[1]));
    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
    printf("the failed pipe left no descriptors: next is %d\n", p[1] + 1 == dup(0) ? 1 : 0);
    close(p[1] + 1);
    CHECK(fcntl(p[0], F_GETFD));
    CHECK(fcntl(p[0], F_GETFL));
    CHECK(fcntl(p[1], F_GETFL));
    CHECK(fcntl(p[1], F_GETPIPE_SZ));
    CHECK(read(p[0], buf, 1));
    close(p[0]);
    close(p[1]);
}

static void broken(void) {
    printf("-- EPIPE and SIGPIPE\n");
    int p[2];
    pipe(p);
    close(p[0]);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, &old);
    CHECK(write(p[1], "x", 1));
    struct iovec iov = {"xy", 2};
    CHECK(writev(p[1], &iov, 1));
    close(p[1]);

    pipe(p);
    close(p[0]);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        write(p[1], "x", 1);
        _exit(0);
    }
    close(p[1]);
    int status;
    waitpid(child, &status, 0);
    printf("writer to a pipe without readers: %s %d\n",
           WIFSIGNALED(status) ? "killed by signal" : "exited", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    /* SIGPIPE stays blocked: the two failed writes left it pending, and it would end us. */
}

static int fill(int fd, int chunk) {
    int writes = 0;
    while (write(fd, page, chunk) == chunk)
        writes++;
    printf("  %d-byte writes: %d, then %s, FIONREAD %d\n", chunk, writes, errname(errno), unread(fd));
    return writes;
}

static void drain(int fd) {
    while (read(fd, page, sizeof page) > 0)
        ;
}

static void capacity(void) {
    printf("-- capacity (O_NONBLOCK)\n");
    int p[2];
    pipe2(p, O_NONBLOCK);
    CHECK(read(p[0], page, 1));
    fill(p[1], 4096);
    CHECK(write(p[1], page, 1));
    CHECK(read(p[0], page, 1));
    CHECK(write(p[1], page, 1));
    CHECK(read(p[0], page, 4095));
    CHECK(write(p[1], page, 4096));
    CHECK(write(p[1], page, 1));
    drain(p[0]);
    fill(p[1], 1000);
    drain(p[0]);
    fill(p[1], 100);
    drain(p[0]);
    fill(p[1], 4097);
    drain(p[0]);
    CHECK(write(p[1], page, 100000));
    drain(p[0]);
    CHECK(write(p[1], page, 10));
    CHECK(write(p[1], page, 65536));
    drain(p[0]);
    CHECK(read(p[0], page, 1));
    close(p[1]);
    CHECK(read(p[0], page, 1));
    close(p[0]);
}

static void blocking(void) {
    printf("-- a blocking writer waits for the reader\n");
    int p[2], done[2];
    pipe(p);
    pipe(done);
    for (int i = 0; i < 100000; i++)
        page[i % sizeof page] = 0;
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        close(done[0]);
        static char big[100000];
        for (int i = 0; i < 100000; i++)
            big[i] = (char)(i * 7);
        long n = write(p[1], big, sizeof big);
        write(done[1], &n, sizeof n);
        _exit(0);
    }
    close(p[1]);
    close(done[1]);
    /* Wait until the pipe is full: the child is then blocked with 34464 bytes to go. */
    while (unread(p[0]) < 65536)
        poll(NULL, 0, 5);
    struct pollfd pfd = {done[0], POLLIN, 0};
    printf("full: FIONREAD %d; the writer has not returned: %d\n", unread(p[0]), poll(&pfd, 1, 20));
    long total = 0, bad = 0, n;
    static char buf[10000];
    while ((n = read(p[0], buf, sizeof buf)) > 0) {
        for (long i = 0; i < n; i++)
            bad += buf[i] != (char)((total + i) * 7);
        total += n;
    }
    long written = 0;
    CHECK(read(done[0], &written, sizeof written));
    printf("read %ld bytes (%ld wrong), the writer's write returned %ld\n", total, bad, written);
    waitpid(child, NULL, 0);
    close(p[0]);
    close(done[0]);
}

static void atomic(void) {
    printf("-- writes of PIPE_BUF bytes are not interleaved\n");
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            close(p[0]);
            char block[4096];
            memset(block, 'a' + k, sizeof block);
            for (int i = 0; i < 40; i++)
                write(p[1], block, sizeof block);
            _exit(0);
        }
    }
    close(p[1]);
    char block[4096];
    int blocks[2] = {0, 0}, mixed = 0, short_reads = 0;
    long n;
    while ((n = read(p[0], block, sizeof block)) > 0) {
        if (n != sizeof block) {
            short_reads++;
            continue;
        }
        int k = block[0] - 'a';
        for (int i = 1; i < 4096; i++)
            if (block[i] != block[0]) {
                mixed++;
                break;
            }
        if (k == 0 || k == 1)
            blocks[k]++;
    }
    printf("blocks: %d of a, %d of b, %d mixed, %d short reads\n", blocks[0], blocks[1], mixed, short_reads);
    waitpid(kids[0], NULL, 0);
    waitpid(kids[1], NULL, 0);
    close(p[0]);
}

static void packets(void) {
    printf("-- packet mode (O_DIRECT)\n");
    int p[2];
    CHECK(pipe2(p, O_DIRECT | O_NONBLOCK));
    CHECK(fcntl(p[0], F_GETFL));
    CHECK(fcntl(p[1], F_GETFL));
    CHECK(write(p[1], "abc", 3));
    CHECK(write(p[1], "defg", 4));
    CHECK(write(p[1], page, 5000));
    char buf[8] = {0};
    CHECK(read(p[0], buf, 100));
    printf("first packet: %s\n", buf);
    CHECK(read(p[0], buf, 2));
    CHECK(read(p[0], page, 10000));
    CHECK(read(p[0], page, 10000));
    CHECK(read(p[0], page, 10000));
    /* F_SETFL can turn it off: small writes merge again. */
    CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK));
    CHECK(write(p[1], "ab", 2));
    CHECK(write(p[1], "cd", 2));
    CHECK(read(p[0], buf, 100));
    close(p[0]);
    close(p[1]);
}

static void pingpong(void) {
    printf("-- parent and child talk\n");
    int up[2], down[2];
    pipe(up);
    pipe(down);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(down[1]);
        close(up[0]);
        char buf[16];
        long n;
        while ((n = read(down[0], buf, sizeof buf)) > 0) {
            for (long i = 0; i < n; i++)
                buf[i] = buf[i] - 'a' + 'A';
            write(up[1], buf, n);
        }
        _exit(n == 0 ? 3 : 4);
    }
    close(down[0]);
    close(up[1]);
    const char *words[] = {"ping", "pong", "pipes"};
    for (int i = 0; i < 3; i++) {
        char buf[16] = {0};
        write(down[1], words[i], strlen(words[i]));
        long n = read(up[0], buf, sizeof buf);
        printf("%s -> %ld %s\n", words[i], n, buf);
    }
    close(down[1]);
    int status;
    waitpid(child, &status, 0);
    printf("child saw end of file: exit %d\n", WEXITSTATUS(status));
    char c;
    CHECK(read(up[0], &c, 1));
    close(up[0]);
}

static void killed(void) {
    printf("-- SIGKILL ends a blocked reader, writer and poller\n");
    const char *kinds[] = {"reader", "writer", "poller"};
    for (int kind = 0; kind < 3; kind++) {
        int p[2];
        pipe(p);
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            struct pollfd fd = {p[0], POLLIN, 0};
            if (kind == 0)
                read(p[0], page, 1);
            else if (kind == 1)
                write(p[1], page, sizeof page);
            else
                poll(&fd, 1, -1);
            _exit(0);
        }
        poll(NULL, 0, 20);
        kill(child, SIGKILL);
        int status;
        waitpid(child, &status, 0);
        printf("blocked %s: %s %d\n", kinds[kind], WIFSIGNALED(status) ? "killed by signal" : "exited",
               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        close(p[0]);
        close(p[1]);
    }
}

/* fstat of either end: a FIFO with mode 0600 (Linux's get_pipe_inode), not a regular file. */
static void pipe_stat(void) {
    int p[2];
    struct stat st;
    if (pipe(p) != 0)
        return;
    for (int end = 0; end < 2; end++) {
        CHECK(fstat(p[end], &st));
        printf("end %d: fifo %d, mode %o, links %lu\n", end, S_ISFIFO(st.st_mode), st.st_mode & 07777,
               (unsigned long)st.st_nlink);
    }
    close(p[0]);
    close(p[1]);
}

/* Linux's pipe_read copies one pipe buffer (a page of data) at a time and takes it out of the
 * pipe only once it is all copied: a read whose buffer faults before a whole pipe buffer fits is
 * EFAULT (or returns what the buffers before it took) and leaves the data in the pipe, even
 * though the bytes up to the hole were written. Here with a buffer whose second page is
 * unmapped, one starting in the hole, and a readv whose second vector is in the hole. */
static void bad_buffers(void) {
    printf("-- reads into partly unmapped buffers\n");
    int p[2];
    CHECK(pipe(p));
    char data[12288];
    for (int i = 0; i < (int)sizeof data; i++)
        data[i] = (char)(i * 7 + 1);
    CHECK(write(p[1], data, sizeof data));
    char *two = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + 4096, 4096);
    CHECK(read(p[0], two + 100, 8192));
    printf("first bytes right: %d\n", memcmp(two + 100, data, 4096 - 100) == 0);
    CHECK(unread(p[0]));
    CHECK(read(p[0], two + 4096, 100));
    CHECK(unread(p[0]));
    struct iovec iov[2] = {{two, 4096}, {two + 4096, 4096}};
    CHECK(readv(p[0], iov, 2));
    printf("readv bytes right: %d\n", memcmp(two, data, 4096) == 0);
    CHECK(unread(p[0]));
    char rest[8192];
    CHECK(read(p[0], rest, sizeof rest));
    printf("rest right: %d\n", memcmp(rest, data + 4096, 8192) == 0);
    munmap(two, 4096);

    /* Into the stack's room below its area: the stack grows on the copy's fault, as for any
     * write there. */
    char here;
    char *deep = (char *)(((unsigned long)&here - 512 * 1024) & ~4095UL);
    CHECK(write(p[1], data, 8192));
    CHECK(read(p[0], deep, 8192));
    printf("deep in the stack: %d\n", memcmp(deep, data, 8192) == 0);
    close(p[0]);
    close(p[1]);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    bad_buffers();
    pipe_stat();
    basics();
    broken();
    capacity();
    blocking();
    atomic();
    packets();
    pingpong();
    killed();
    return 0;
}
