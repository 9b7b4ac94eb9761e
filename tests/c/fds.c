/* Descriptors: dup, dup2, dup3, fcntl, close_range, lseek, pread/pwrite, readv/preadv, sendfile,
 * ioctl, and close-on-exec across execve (the program re-executes itself through argv[0] with
 * "exec-check" and the descriptors to look at). Compared with Linux: files are the program's own
 * binary (read-only), pipes and nothing else. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

static int exec_check(int argc, char **argv) {
    printf("after execve:\n");
    for (int i = 2; i + 1 < argc; i += 2) {
        int fd = atoi(argv[i + 1]);
        int flags = fcntl(fd, F_GETFD);
        if (flags == -1)
            printf("  %s (fd %d): closed, %s\n", argv[i], fd, errname(errno));
        else
            printf("  %s (fd %d): open, FD_CLOEXEC %d\n", argv[i], fd, flags);
    }
    return 0;
}

static void dups(int fd) {
    printf("-- dup, dup2, dup3\n");
    CHECK(dup(fd));
    CHECK(dup2(fd, 10));
    CHECK(dup2(fd, fd) == fd);
    CHECK(dup2(99, 11));
    CHECK(dup2(fd, -1));
    CHECK(dup2(fd, 1048576));
    CHECK(dup2(fd, 0x7fffffff));
    printf("# dup2(fd, 1024): %d\n", dup2(fd, 1024));
    /* The raw call: musl's dup3 falls back to dup2 when dup3 fails. */
    CHECK(syscall(SYS_dup3, fd, fd, 0));
    CHECK(syscall(SYS_dup3, fd, 11, 1));
    CHECK(syscall(SYS_dup3, fd, 11, O_NONBLOCK));
    CHECK(syscall(SYS_dup3, fd, -1, 0));
    CHECK(syscall(SYS_dup3, fd, 12, 1L << 32));
    CHECK(close(12));
    CHECK(dup3(fd, 11, O_CLOEXEC));
    CHECK(fcntl(11, F_GETFD));
    CHECK(dup3(99, 12, 0));
    CHECK(dup(99));
    CHECK(dup(-1));
    /* dup2 over an open descriptor closes it: 10 now refers to a pipe. */
    int p[2];
    CHECK(pipe(p));
    CHECK(dup2(p[0], 10));
    CHECK(lseek(10, 0, SEEK_SET));
    CHECK(close(p[0]));
    CHECK(close(p[1]));
    CHECK(close(p[1]));
    CHECK(close(10));
    CHECK(close(11));
    CHECK(close(-1));
}

static void fcntls(int fd) {
    printf("-- fcntl\n");
    CHECK(fcntl(fd, F_DUPFD, 20));
    CHECK(fcntl(fd, F_DUPFD, 20));
    CHECK(fcntl(fd, F_DUPFD_CLOEXEC, 20));
    CHECK(fcntl(22, F_GETFD));
    CHECK(fcntl(20, F_GETFD));
    CHECK(fcntl(20, F_SETFD, FD_CLOEXEC | 6));
    CHECK(fcntl(20, F_GETFD));
    CHECK(fcntl(20, F_SETFD, 0));
    CHECK(fcntl(20, F_GETFD));
    CHECK(fcntl(fd, F_DUPFD, -1));
    CHECK(fcntl(fd, F_DUPFD, 1048576));
    /* Only the low 32 bits of the argument count (a bug the fuzzer found, compared with Linux). */
    CHECK(syscall(SYS_fcntl, fd, F_DUPFD, (1L << 32) | 25));
    CHECK(close(25));
    printf("# F_DUPFD 1023: %d\n", fcntl(fd, F_DUPFD, 1023));
    CHECK(fcntl(99, F_GETFD));
    CHECK(fcntl(99, F_DUPFD, 0));
    CHECK(fcntl(fd, 9999));
    CHECK(fcntl(fd, F_GETFL));
    CHECK(fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND | O_CREAT | O_TRUNC | O_RDWR));
    CHECK(fcntl(fd, F_GETFL));
    CHECK(fcntl(20, F_GETFL));
    CHECK(fcntl(fd, F_SETFL, 0));
    CHECK(fcntl(21, F_GETFL));
    CHECK(fcntl(fd, F_GETPIPE_SZ));
    for (int i = 20; i <= 22; i++)
        close(i);
    printf("-- close_range\n");
    for (int i = 30; i < 36; i++)
        dup2(fd, i);
    CHECK(syscall(SYS_close_range, 31, 33, 0));
    CHECK(syscall(SYS_close_range, 34, 35, 4));
    for (int i = 30; i < 36; i++)
        printf("fd %d: F_GETFD %d\n", i, fcntl(i, F_GETFD));
    CHECK(syscall(SYS_close_range, 5, 4, 0));
    CHECK(syscall(SYS_close_range, 50, 60, 1));
    CHECK(syscall(SYS_close_range, 50, 60, 2));
    CHECK(syscall(SYS_close_range, 30, ~0u, 0));
    CHECK(fcntl(34, F_GETFD));
}

static void seeks(int fd, off_t size) {
    printf("-- lseek\n");
    CHECK(lseek(fd, 0, SEEK_END) == size);
    CHECK(lseek(fd, 100, SEEK_SET));
    CHECK(lseek(fd, -50, SEEK_CUR));
    CHECK(lseek(fd, -51, SEEK_CUR));
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(lseek(fd, -size - 1, SEEK_END));
    CHECK(lseek(fd, 1, 5));
    CHECK(lseek(fd, 1, -1));
    CHECK(lseek(fd, 0, SEEK_DATA));
    CHECK(lseek(fd, 0, SEEK_HOLE) == size);
    CHECK(lseek(fd, size, SEEK_DATA));
    CHECK(lseek(fd, -1, SEEK_DATA));
    CHECK(lseek(fd, size + 1000, SEEK_SET) == size + 1000);
    char c;
    CHECK(read(fd, &c, 1));
    CHECK(lseek(fd, 1LL << 40, SEEK_SET) == 1LL << 40);
    CHECK(read(fd, &c, 1));
    CHECK(lseek(fd, 1, SEEK_CUR) == (1LL << 40) + 1);
    CHECK(lseek(99, 0, SEEK_SET));
    int p[2];
    pipe(p);
    CHECK(lseek(p[0], 0, SEEK_CUR));
    CHECK(lseek(p[1], 0, SEEK_SET));
    CHECK(lseek(p[0], 0, 7));
    close(p[0]);
    close(p[1]);
}

static void preads(int fd) {
    printf("-- pread, pwrite, readv, preadv\n");
    char buf[16] = {0};
    lseek(fd, 5, SEEK_SET);
    CHECK(pread(fd, buf, 3, 1));
    printf("bytes 1..4: %s\n", buf);
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(pread(fd, buf, 3, -1));
    CHECK(pread(fd, buf, 3, 0x7ffffffffffffffeLL));
    CHECK(pwrite(fd, buf, 3, 0));
    CHECK(pread(99, buf, 3, 0));
    CHECK(pread(fd, (void *)8, 3, 0));
    int p[2];
    pipe(p);
    CHECK(pread(p[0], buf, 3, 0));
    CHECK(pwrite(p[1], buf, 3, 0));
    CHECK(pread(p[1], buf, 3, -1));
    CHECK(read(p[1], buf, 1));
    CHECK(write(fd, buf, 1));
    /* The mode is checked before the count and the iovecs. */
    CHECK(read(p[1], buf, 0));
    CHECK(write(fd, buf, 0));
    struct iovec one = {buf, 1};
    CHECK(readv(p[1], &one, 1025));
    CHECK(writev(p[0], (struct iovec *)8, 1));
    CHECK(preadv(fd, &one, 0, -1));
    CHECK(pwritev(fd, &one, 1025, 0));
    close(p[0]);
    close(p[1]);

    char a[4], b[1], c[3];
    struct iovec iov[3] = {{a, 4}, {b, 0}, {c, 3}};
    lseek(fd, 0, SEEK_SET);
    CHECK(readv(fd, iov, 3));
    printf("readv: %02x %c%c%c | %02x %02x %02x\n", a[0], a[1], a[2], a[3], c[0], c[1], c[2]);
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(preadv(fd, iov, 1, 1));
    printf("preadv at 1: %c%c%c\n", a[0], a[1], a[2]);
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(readv(fd, iov, 0));
    CHECK(readv(fd, iov, 1025));
    CHECK(readv(fd, iov, -1));
    struct iovec bad[2] = {{a, 4}, {b, -1}};
    CHECK(readv(fd, bad, 2));
    struct iovec fault[2] = {{a, 4}, {(void *)8, 4}};
    CHECK(readv(fd, fault, 2));
    CHECK(readv(fd, (void *)8, 1));
    CHECK(preadv(fd, iov, 1, -5));
    CHECK(lseek(fd, 0, SEEK_CUR));
}

static void sendfiles(int fd) {
    printf("-- sendfile\n");
    int p[2];
    pipe2(p, O_NONBLOCK);
    off_t off = 0;
    CHECK(sendfile(p[1], fd, &off, 100));
    CHECK(off);
    char want[100], got[100];
    pread(fd, want, 100, 0);
    CHECK(read(p[0], got, 100));
    CHECK(memcmp(want, got, 100) == 0);
    lseek(fd, 10, SEEK_SET);
    CHECK(sendfile(p[1], fd, NULL, 5000));
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(ioctl(p[0], FIONREAD, &(int){0}));
    int n;
    ioctl(p[0], FIONREAD, &n);
    printf("FIONREAD: %d\n", n);
    /* The spliced pages take no more: 10 bytes start a buffer of their own. */
    CHECK(write(p[1], "0123456789", 10));
    char page[4096] = {0};
    int writes = 0;
    while (write(p[1], page, 4096) == 4096)
        writes++;
    printf("4096-byte writes that fit after: %d (%s)\n", writes, errname(errno));
    CHECK(sendfile(p[1], fd, &off, 10));
    CHECK(off);
    CHECK(sendfile(p[0], fd, &off, 10));
    CHECK(sendfile(p[1], 99, &off, 10));
    off = -1;
    CHECK(sendfile(p[1], fd, &off, 10));
    CHECK(sendfile(p[1], fd, (off_t *)8, 10));
    close(p[0]);
    close(p[1]);
    pipe(p);
    long r = sendfile(p[1], p[0], NULL, 10);
    printf("# sendfile from a pipe: %ld %s\n", r, errname(errno));
    close(p[0]);
    close(p[1]);
}

static void ioctls(int fd) {
    printf("-- ioctl\n");
    int n = -1;
    lseek(fd, 100, SEEK_SET);
    CHECK(ioctl(fd, FIONREAD, &n));
    printf("FIONREAD + 100 == size: %d\n", n + 100 == lseek(fd, 0, SEEK_END));
    lseek(fd, 10, SEEK_END);
    CHECK(ioctl(fd, FIONREAD, &n));
    printf("FIONREAD 10 bytes past the end: %d\n", n);
    CHECK(ioctl(fd, FIOCLEX));
    CHECK(fcntl(fd, F_GETFD));
    CHECK(ioctl(fd, FIONCLEX));
    CHECK(fcntl(fd, F_GETFD));
    CHECK(ioctl(fd, FIONBIO, &(int){1}));
    CHECK(fcntl(fd, F_GETFL));
    CHECK(ioctl(fd, FIONBIO, &(int){0}));
    CHECK(fcntl(fd, F_GETFL));
    CHECK(ioctl(fd, 0x1234));
    CHECK(ioctl(99, FIONREAD, &n));
}

static void cloexec(char *self, int fd) {
    printf("-- close-on-exec\n");
    int keep = dup(fd);
    int gone = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    int flagged = dup(fd);
    fcntl(flagged, F_SETFD, FD_CLOEXEC);
    int cleared = dup3(fd, 40, O_CLOEXEC);
    fcntl(cleared, F_SETFD, 0);
    int p[2];
    pipe2(p, O_CLOEXEC);
    char fds[6][12];
    int list[6] = {keep, gone, flagged, cleared, p[0], p[1]};
    for (int i = 0; i < 6; i++)
        snprintf(fds[i], sizeof fds[i], "%d", list[i]);
    char *argv[] = {self, "exec-check", "kept", fds[0], "F_DUPFD_CLOEXEC", fds[1],
                    "F_SETFD", fds[2], "F_SETFD-cleared", fds[3], "pipe2-read", fds[4],
                    "pipe2-write", fds[5], NULL};
    char *envp[] = {NULL};
    fflush(stdout);
    execve(self, argv, envp);
    printf("execve failed: %s\n", errname(errno));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "exec-check") == 0)
        return exec_check(argc, argv);
    int fd = CHECK(open(argv[0], O_RDONLY));
    off_t size = lseek(fd, 0, SEEK_END);
    lseek(fd, 0, SEEK_SET);
    printf("# size %ld\n", (long)size);
    dups(fd);
    fcntls(fd);
    seeks(fd, size);
    preads(fd);
    sendfiles(fd);
    ioctls(fd);
    cloexec(argv[0], fd);
    return 1;
}
