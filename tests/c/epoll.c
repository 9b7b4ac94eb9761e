/* epoll: create, ctl and wait with Linux's errors; level-triggered, edge-triggered and one-shot
 * items on pipes; hang-ups; closing a watched descriptor; nesting and loops; timeouts, a wake-up
 * from another process and a signal. Run on Linux and here; the output must be the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>

#include "check.h"
#include "waitstate.h"

static int add(int ep, int fd, unsigned events, unsigned long data) {
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int cmp_u64(const void *a, const void *b) {
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

/* Waits (timeout in ms) and prints what came back, sorted by data. */
static int wait_show(const char *what, int ep, int max, int timeout) {
    struct epoll_event evs[16];
    int n = epoll_wait(ep, evs, max, timeout);
    if (n < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        return n;
    }
    unsigned long long keys[16];
    for (int i = 0; i < n; i++)
        keys[i] = (evs[i].data.u64 << 32) | evs[i].events;
    qsort(keys, n, sizeof keys[0], cmp_u64);
    printf("%s: %d", what, n);
    for (int i = 0; i < n; i++)
        printf(" [data %llu events %#llx]", keys[i] >> 32, keys[i] & 0xffffffffu);
    printf("\n");
    return n;
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_alarm(int sig) { (void)sig; }

static void errors(void) {
    CHECK(epoll_create(0));
    CHECK(epoll_create(-1));
    CHECK(epoll_create1(1));
    int ep = CHECK(epoll_create1(EPOLL_CLOEXEC));
    printf("close-on-exec: %d\n", fcntl(ep, F_GETFD) & FD_CLOEXEC);
    struct stat st;
    fstat(ep, &st);
    printf("fstat: type bits %o, mode %o, links %lu\n", st.st_mode & S_IFMT, st.st_mode & 07777,
           (unsigned long)st.st_nlink);
    char buf[8];
    CHECK(read(ep, buf, sizeof buf));
    CHECK(write(ep, buf, sizeof buf));

    int p[2];
    pipe(p);
    char path[] = "/tmp/epoll-file-XXXXXX"; /* not a name another run may use at the same time */
    int file = mkstemp(path);
    int null = open("/dev/null", O_RDWR);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
    CHECK(epoll_ctl(99, EPOLL_CTL_ADD, p[0], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev));
    CHECK(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, null, &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], NULL));
    CHECK(epoll_ctl(ep, 7, p[0], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
    ev.events = EPOLLOUT | EPOLLEXCLUSIVE;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));

    struct epoll_event out[4];
    CHECK(epoll_wait(ep, out, 0, 0));
    CHECK(epoll_wait(ep, out, -1, 0));
    CHECK(epoll_wait(ep, NULL, 4, 0));
    CHECK(epoll_wait(ep, (void *)0xffff800000000000ul, 4, 0));
    CHECK(epoll_wait(p[0], out, 4, 0));
    CHECK(epoll_wait(99, out, 4, 0));
    close(p[0]);
    close(p[1]);
    close(file);
    close(null);
    close(ep);
    unlink(path);
}

static void triggers(void) {
    int lt[2], et[2], one[2];
    pipe(lt);
    pipe(et);
    pipe(one);
    int ep = epoll_create1(0);
    add(ep, lt[0], EPOLLIN, 1);
    add(ep, et[0], EPOLLIN | EPOLLET, 2);
    add(ep, one[0], EPOLLIN | EPOLLONESHOT, 3);
    add(ep, lt[1], EPOLLOUT, 4);
    wait_show("only the write end is ready", ep, 16, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, lt[1], NULL);
    wait_show("nothing ready", ep, 16, 0);
    write(lt[1], "a", 1);
    write(et[1], "b", 1);
    write(one[1], "c", 1);
    wait_show("all three readable", ep, 16, 0);
    wait_show("again: level-triggered only", ep, 16, 0);
    char c;
    read(et[0], &c, 1);
    wait_show("edge drained, nothing new", ep, 16, 0);
    write(et[1], "d", 1);
    write(one[1], "e", 1);
    wait_show("the edge again; one-shot stays disarmed", ep, 16, 0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 30};
    epoll_ctl(ep, EPOLL_CTL_MOD, one[0], &ev);
    wait_show("one-shot re-armed with new data", ep, 16, 0);
    wait_show("maxevents 1", ep, 1, 0);

    /* Hang-ups. */
    close(lt[1]);
    wait_show("write end closed, data left", ep, 16, 0);
    read(lt[0], &c, 1);
    wait_show("write end closed, drained", ep, 16, 0);
    int q[2];
    pipe(q);
    add(ep, q[1], EPOLLOUT, 5);
    close(q[0]);
    wait_show("read end closed (the write end)", ep, 16, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, lt[0], NULL);
    epoll_ctl(ep, EPOLL_CTL_DEL, q[1], NULL);
    close(q[1]);

    /* Closing the only descriptor removes the item; closing a duplicate does not. */
    int dupd = dup(et[0]);
    close(et[0]);
    write(et[1], "f", 1);
    wait_show("closed but duplicated: still reported", ep, 16, 0);
    close(dupd);
    wait_show("last descriptor closed: gone", ep, 16, 0);
    close(ep);
}

static void nesting(void) {
    int p[2];
    pipe(p);
    int inner = epoll_create1(0), outer = epoll_create1(0);
    add(inner, p[0], EPOLLIN, 7);
    CHECK(add(outer, inner, EPOLLIN, 8));
    wait_show("outer, nothing ready", outer, 16, 0);
    write(p[1], "x", 1);
    wait_show("outer sees the inner instance ready", outer, 16, 0);
    struct pollfd pfd = {.fd = inner, .events = POLLIN};
    printf("poll on an instance: %d revents %#x\n", poll(&pfd, 1, 0), pfd.revents);
    CHECK(add(inner, outer, EPOLLIN, 9));
    int chain[6];
    chain[0] = inner;
    for (int i = 1; i < 6; i++) {
        chain[i] = epoll_create1(0);
        printf("chain of %d: ", i + 1);
        CHECK(add(chain[i], chain[i - 1], EPOLLIN, i));
    }
    for (int i = 1; i < 6; i++)
        close(chain[i]);
    close(inner);
    close(outer);
    close(p[0]);
    close(p[1]);
}

static void waiting(void) {
    int p[2];
    pipe(p);
    int ep = epoll_create1(0);
    add(ep, p[0], EPOLLIN, 1);
    struct epoll_event out[4];
    long start = now_ms();
    int n = epoll_wait(ep, out, 4, 100);
    printf("timeout 100 ms: %d, waited at least 100 ms: %s\n", n,
           now_ms() - start >= 100 ? "yes" : "no");

    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        wait_until_asleep(parent); /* the write comes while the parent waits */
        write(p[1], "z", 1);
        _exit(0);
    }
    n = epoll_wait(ep, out, 4, -1);
    printf("woken by a child's write: %d data %llu\n", n, (unsigned long long)out[0].data.u64);
    waitpid(child, NULL, 0);
    char c;
    read(p[0], &c, 1);

    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sa, NULL);
    /* Every 100 ms until the wait has ended: one that comes before epoll_wait blocks (a loaded
     * machine) is not the last, which would leave it waiting for ever. */
    struct itimerval every = {{0, 100000}, {0, 100000}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &every, NULL);
    n = epoll_wait(ep, out, 4, -1);
    int wait_errno = errno;
    setitimer(ITIMER_REAL, &off, NULL);
    printf("a signal with SA_RESTART: %d %s\n", n, n < 0 ? errname(wait_errno) : "");

    /* epoll_pwait with SIGALRM blocked for the call: the alarm waits, the timeout ends it. */
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    alarm(1);
    n = epoll_pwait(ep, out, 4, 1500, &block);
    printf("epoll_pwait with the signal blocked: %d\n", n);
    close(ep);
    close(p[0]);
    close(p[1]);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    errors();
    triggers();
    nesting();
    waiting();
    return 0;
}
