/* timerfd against Linux: one-shot and periodic timers read blocking and non-blocking, the
 * settings timerfd_gettime and the old value report, absolute wall-clock and monotonic times,
 * disarming, poll and epoll readiness, what the descriptor is, and the errors. Only what does not
 * depend on timing is printed exactly (expiration counts of a periodic timer as a range). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS 1000000L

static struct itimerspec after(long value_ns, long interval_ns)
{
    struct itimerspec its = {{interval_ns / 1000000000L, interval_ns % 1000000000L},
                             {value_ns / 1000000000L, value_ns % 1000000000L}};
    return its;
}

static long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static uint64_t expirations(int fd)
{
    uint64_t n = 0;
    if (read(fd, &n, 8) != 8) {
        show("read", -1);
        return 0;
    }
    return n;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("-- one-shot\n");
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK(fcntl(t, F_GETFD));
    CHECK(fcntl(t, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
    uint64_t n;
    CHECK(read(t, &n, 8));
    struct itimerspec cur, old;
    CHECK(timerfd_gettime(t, &cur));
    printf("disarmed: %ld.%09ld / %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec,
           (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    struct itimerspec one = after(30 * MS, 0);
    long set = now_ns();
    CHECK(timerfd_settime(t, 0, &one, &old));
    printf("old value zero: %d\n", old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);
    CHECK(timerfd_gettime(t, &cur));
    /* 0 once it has expired, which a pause of 30 ms before timerfd_gettime lets it do. */
    int expired = cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0 && now_ns() - set >= 30 * MS;
    printf("armed, left in (0, 30 ms]: %d\n",
           (cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 30 * MS) ||
               expired);
    /* Timeouts far beyond the 30 ms: only a gross error reaches them, not a loaded machine. */
    struct pollfd p = {t, POLLIN, 0};
    CHECK(poll(&p, 1, 30000));
    printf("revents %#x\n", p.revents);
    printf("expirations: %llu\n", (unsigned long long)expirations(t));
    CHECK(read(t, &n, 8));
    CHECK(timerfd_gettime(t, &cur));
    printf("after expiring: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

    printf("-- blocking read, absolute times\n");
    int b = timerfd_create(CLOCK_REALTIME, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec abs = {{0, 0}, {now.tv_sec, now.tv_nsec + 30 * MS}};
    if (abs.it_value.tv_nsec >= 1000000000L) {
        abs.it_value.tv_sec++;
        abs.it_value.tv_nsec -= 1000000000L;
    }
    CHECK(timerfd_settime(b, TFD_TIMER_ABSTIME, &abs, NULL));
    printf("wall-clock expirations: %llu\n", (unsigned long long)expirations(b));
    int m = timerfd_create(CLOCK_MONOTONIC, 0);
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct itimerspec mabs = {{0, 0}, {now.tv_sec + 1, now.tv_nsec}};
    mabs.it_value.tv_sec -= 1; /* already past: expires at once */
    CHECK(timerfd_settime(m, TFD_TIMER_ABSTIME, &mabs, NULL));
    printf("past monotonic time expirations: %llu\n", (unsigned long long)expirations(m));

    printf("-- periodic\n");
    struct itimerspec every = after(10 * MS, 10 * MS);
    long start = now_ns();
    CHECK(timerfd_settime(t, 0, &every, NULL));
    CHECK(timerfd_gettime(t, &cur));
    printf("interval %ld.%09ld\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    struct timespec wait = {0, 105 * MS};
    nanosleep(&wait, NULL);
    uint64_t got = expirations(t);
    /* At most one per 10 ms that really passed: the sleep may run long on a loaded machine. */
    uint64_t most = (now_ns() - start) / (10 * MS);
    printf("expirations after 105 ms or more: at least 5, at most one per 10 ms: %d\n",
           got >= 5 && got <= most);
    struct itimerspec off = after(0, 0);
    CHECK(timerfd_settime(t, 0, &off, &old));
    printf("old interval %ld.%09ld\n", (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
    CHECK(read(t, &n, 8));

    printf("-- epoll\n");
    int ep = epoll_create1(0);
    struct epoll_event ev = {EPOLLIN | EPOLLET, {.u64 = 7}}, out[2];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev));
    CHECK(timerfd_settime(t, 0, &one, NULL));
    CHECK(epoll_wait(ep, out, 2, 30000));
    printf("event %#x data %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
    CHECK(epoll_wait(ep, out, 2, 0));

    printf("-- what it is, and errors\n");
    struct stat st;
    CHECK(fstat(t, &st));
    printf("mode %o\n", st.st_mode);
    char path[64], link[64] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", t);
    CHECK(readlink(path, link, sizeof link - 1));
    printf("link: %s\n", link);
    CHECK(timerfd_create(42, 0));
    CHECK(timerfd_create(CLOCK_MONOTONIC, 1));
    struct itimerspec bad = after(0, 0);
    bad.it_value.tv_nsec = 1000000000L;
    CHECK(timerfd_settime(t, 0, &bad, NULL));
    CHECK(timerfd_settime(t, 4, &one, NULL));
    CHECK(timerfd_settime(t, 0, (void *)8, NULL));
    int e = eventfd(0, 0);
    CHECK(timerfd_settime(e, 0, &one, NULL));
    CHECK(timerfd_gettime(e, &cur));
    CHECK(timerfd_settime(99, 0, &one, NULL));
    CHECK(timerfd_gettime(99, &cur));
    char small[4];
    CHECK(read(t, small, 4));
    return 0;
}
