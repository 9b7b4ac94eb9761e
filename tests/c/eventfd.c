/* eventfd against Linux: the counter's reads and writes (plain and semaphore), their EINVAL and
 * EAGAIN, a reader woken by a writer in another thread, poll and epoll readiness (edge-triggered
 * too), fstat and /proc/self/fd, close-on-exec and non-blocking flags, eventfd2's bad flags. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "waitstate.h"

static int efd;

static long rd(int fd)
{
    uint64_t v = 0;
    ssize_t n = read(fd, &v, 8);
    if (n < 0)
        return show("read", -1);
    printf("read: %zd bytes, value %llu\n", n, (unsigned long long)v);
    return (long)v;
}

static long wr(int fd, uint64_t v)
{
    printf("write %llu: ", (unsigned long long)v);
    return show("", write(fd, &v, 8));
}

static int ready(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static pid_t reader; /* the main thread, which reads */

static void *later_writer(void *arg)
{
    (void)arg;
    wait_until_thread_asleep(reader); /* the read waits for this write */
    uint64_t v = 5;
    write(efd, &v, 8);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("-- counter\n");
    efd = eventfd(3, 0);
    printf("poll: %#x\n", ready(efd));
    rd(efd);
    printf("poll when zero: %#x\n", ready(efd));
    wr(efd, 2);
    wr(efd, 40);
    rd(efd);
    CHECK(fcntl(efd, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
    CHECK(fcntl(efd, F_GETFD));
    char small[4];
    CHECK(read(efd, small, 4));
    CHECK(write(efd, small, 4));
    uint64_t max = UINT64_MAX;
    CHECK(write(efd, &max, 8));
    CHECK(write(efd, (void *)8, 8));
    CHECK(lseek(efd, 0, SEEK_CUR));

    printf("-- a reader waits for a writer\n");
    pthread_t t;
    reader = gettid();
    pthread_create(&t, NULL, later_writer, NULL);
    rd(efd);
    pthread_join(t, NULL);

    printf("-- non-blocking, semaphore, full\n");
    int nb = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE | EFD_CLOEXEC);
    CHECK(fcntl(nb, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
    CHECK(fcntl(nb, F_GETFD));
    rd(nb);
    wr(nb, 3);
    rd(nb);
    rd(nb);
    printf("poll: %#x\n", ready(nb));
    rd(nb);
    rd(nb);
    wr(nb, UINT64_MAX - 1);
    printf("poll when full: %#x\n", ready(nb));
    wr(nb, 1);
    rd(nb);
    wr(nb, UINT64_MAX - 2);
    wr(nb, 1);
    wr(nb, 1);

    printf("-- epoll\n");
    int ep = epoll_create1(0);
    int e2 = eventfd(0, EFD_NONBLOCK);
    struct epoll_event ev = {EPOLLIN | EPOLLET, {.u64 = 42}};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, e2, &ev));
    struct epoll_event out[2];
    CHECK(epoll_wait(ep, out, 2, 0));
    wr(e2, 1);
    CHECK(epoll_wait(ep, out, 2, 0));
    printf("event %#x data %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
    CHECK(epoll_wait(ep, out, 2, 0));
    wr(e2, 1);
    CHECK(epoll_wait(ep, out, 2, 0));

    printf("-- what it is\n");
    struct stat st;
    CHECK(fstat(efd, &st));
    printf("mode %o, links %lu\n", st.st_mode, (unsigned long)st.st_nlink);
    char path[64], link[64] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", efd);
    CHECK(readlink(path, link, sizeof link - 1));
    printf("link: %s\n", link);
    CHECK(syscall(SYS_eventfd2, 0, 8));
    CHECK(syscall(SYS_eventfd2, 0, 0x100));
    CHECK(syscall(SYS_eventfd, 7) >= 0);
    printf("-- reads of nothing: read() asks the file, readv() of nothing does nothing\n");
    {
        char b[8];
        struct iovec v = {b, 0};
        int e = eventfd(1, 0), t = timerfd_create(CLOCK_MONOTONIC, 0), ep = epoll_create1(0);
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGUSR1);
        int s = signalfd(-1, &m, 0), p[2];
        pipe(p);
        CHECK(read(e, b, 0));
        CHECK(read(t, b, 0));
        CHECK(read(s, b, 0));
        CHECK(read(ep, b, 0));
        CHECK(read(p[0], b, 0));
        CHECK(readv(e, &v, 1));
        CHECK(readv(t, &v, 1));
        CHECK(readv(ep, &v, 1));
        CHECK(read(ep, b, 8));
    }
    return 0;
}
