/* poll, ppoll, select and pselect6 on pipes and a regular file (the program's own binary), with
 * and without timeouts; a child's write wakes a parent blocked in poll and in select. Only
 * "returned 0" is checked of a timeout, never how long it took. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void show_poll(const char *what, struct pollfd *fds, int n, int timeout) {
    int r = poll(fds, n, timeout);
    printf("%s: %d%s%s", what, r, r < 0 ? " " : "", r < 0 ? errname(errno) : "");
    for (int i = 0; i < n; i++)
        printf(" [fd%s revents %#x]", fds[i].fd < 0 ? "<0" : "", fds[i].revents);
    printf("\n");
}

static void polls(int file) {
    printf("-- poll\n");
    int p[2];
    pipe(p);
    struct pollfd fds[2] = {{p[0], POLLIN, 0x55}, {p[1], POLLOUT, 0x55}};
    show_poll("empty pipe, 20 ms", fds, 1, 20);
    show_poll("empty pipe, 0 ms", fds, 1, 0);
    show_poll("write end", fds + 1, 1, -1);
    show_poll("both", fds, 2, 0);
    write(p[1], "x", 1);
    show_poll("one byte in", fds, 2, -1);
    fds[0].events = POLLIN | POLLOUT | POLLRDNORM | POLLPRI;
    show_poll("read end, all events", fds, 1, 0);
    fds[0].events = 0;
    show_poll("no events asked", fds, 1, 0);
    fds[0].events = POLLIN;
    close(p[1]);
    show_poll("writer gone, data left", fds, 1, 0);
    char c;
    read(p[0], &c, 1);
    show_poll("writer gone, empty", fds, 1, 0);
    fds[0].events = 0;
    show_poll("writer gone, no events asked", fds, 1, 0);
    close(p[0]);

    pipe(p);
    close(p[0]);
    struct pollfd w = {p[1], POLLOUT, 0};
    show_poll("reader gone", &w, 1, 0);
    w.events = 0;
    show_poll("reader gone, no events asked", &w, 1, 0);
    close(p[1]);

    struct pollfd odd[3] = {{99, POLLIN, 0x55}, {-1, POLLIN, 0x55}, {file, POLLIN | POLLOUT, 0x55}};
    show_poll("closed fd, negative fd, file", odd, 3, -1);
    show_poll("no fds, 20 ms", NULL, 0, 20);
    CHECK(poll(NULL, 0x7fffffff, 0));
    CHECK(poll((struct pollfd *)8, 1, 0));

    /* Full: not writable. */
    pipe2(p, O_NONBLOCK);
    static char page[4096];
    while (write(p[1], page, sizeof page) > 0)
        ;
    struct pollfd full[2] = {{p[1], POLLOUT, 0}, {p[0], POLLIN, 0}};
    show_poll("full pipe", full, 2, 0);
    read(p[0], page, 100);
    show_poll("100 bytes read, still 16 buffers", full, 2, 0);
    read(p[0], page, sizeof page);
    show_poll("one buffer free", full, 2, 0);
    close(p[0]);
    close(p[1]);
}

static void wakeups(void) {
    printf("-- a child's write wakes the parent\n");
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        poll(NULL, 0, 30);
        write(p[1], "a", 1);
        poll(NULL, 0, 30);
        write(p[1], "b", 1);
        poll(NULL, 0, 30);
        _exit(0);
    }
    close(p[1]);
    struct pollfd fd = {p[0], POLLIN, 0};
    show_poll("poll, no timeout", &fd, 1, -1);
    char c;
    read(p[0], &c, 1);
    fd_set in;
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    int r = select(p[0] + 1, &in, NULL, NULL, NULL);
    printf("select, no timeout: %d, set %d\n", r, FD_ISSET(p[0], &in));
    read(p[0], &c, 1);
    show_poll("poll until the child exits", &fd, 1, -1);
    waitpid(child, NULL, 0);
    close(p[0]);
}

static void selects(int file) {
    printf("-- select\n");
    int p[2];
    pipe(p);
    fd_set in, out, ex;
    FD_ZERO(&in);
    FD_ZERO(&out);
    FD_ZERO(&ex);
    FD_SET(p[0], &in);
    FD_SET(p[0], &ex);
    struct timeval tv = {0, 20000};
    int r = select(p[1] + 1, &in, &out, &ex, &tv);
    printf("empty pipe, 20 ms: %d, in %d ex %d, time left %ld.%06ld\n", r, FD_ISSET(p[0], &in),
           FD_ISSET(p[0], &ex), (long)tv.tv_sec, (long)tv.tv_usec);
    FD_SET(p[0], &in);
    FD_SET(p[1], &out);
    FD_SET(file, &in);
    FD_SET(file, &out);
    tv = (struct timeval){5, 0};
    int nfds = (file > p[1] ? file : p[1]) + 1;
    r = select(nfds, &in, &out, NULL, &tv);
    printf("write end and file: %d, in: pipe %d file %d, out: pipe %d file %d, time left > 4 s: %d\n", r,
           FD_ISSET(p[0], &in), FD_ISSET(file, &in), FD_ISSET(p[1], &out), FD_ISSET(file, &out),
           tv.tv_sec >= 4);
    write(p[1], "x", 1);
    FD_ZERO(&in);
    FD_ZERO(&out);
    FD_SET(p[0], &in);
    FD_SET(p[1], &in);
    FD_SET(p[1], &out);
    tv = (struct timeval){0, 0};
    r = select(p[1] + 1, &in, &out, NULL, &tv);
    printf("data in, zero timeout: %d, in: read end %d write end %d, out: write end %d\n", r,
           FD_ISSET(p[0], &in), FD_ISSET(p[1], &in), FD_ISSET(p[1], &out));
    /* A descriptor at or above nfds is not looked at. */
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    tv = (struct timeval){0, 0};
    printf("fd above nfds: %d\n", select(p[0], &in, NULL, NULL, &tv));
    FD_ZERO(&in);
    FD_SET(40, &in);
    CHECK(select(41, &in, NULL, NULL, &tv));
    CHECK(select(-1, NULL, NULL, NULL, &tv));
    tv = (struct timeval){0, -1};
    CHECK(select(1, NULL, NULL, NULL, &tv));
    tv = (struct timeval){-1, 0};
    CHECK(select(1, NULL, NULL, NULL, &tv));
    tv = (struct timeval){0, 1500000};
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    CHECK(select(p[0] + 1, &in, NULL, NULL, &tv));
    CHECK(select(p[0] + 1, (fd_set *)8, NULL, NULL, NULL));
    tv = (struct timeval){0, 20000};
    CHECK(select(0, NULL, NULL, NULL, &tv));
    printf("time left after a timeout: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
    /* musl passes select a copy of the timeout: the raw calls show the time left stored back. */
    tv = (struct timeval){0, 20000};
    CHECK(syscall(SYS_select, 0, NULL, NULL, NULL, &tv));
    printf("raw select, time left after a timeout: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
    tv = (struct timeval){5, 0};
    FD_ZERO(&out);
    FD_SET(p[1], &out);
    CHECK(syscall(SYS_select, p[1] + 1, NULL, &out, NULL, &tv));
    printf("raw select, time left > 4 s: %d\n", tv.tv_sec >= 4 && tv.tv_sec <= 5);
    struct timespec ts = {0, 20000000};
    CHECK(syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL));
    printf("raw pselect6, time left after a timeout: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    ts = (struct timespec){0, 0};
    CHECK(syscall(SYS_pselect6, p[1] + 1, NULL, &out, NULL, &ts, NULL));
    printf("raw pselect6, zero timeout stays: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    char c;
    CHECK(read(p[0], &c, 1));
    struct pollfd pfd = {p[0], POLLIN, 0};
    ts = (struct timespec){0, 20000000};
    CHECK(syscall(SYS_ppoll, &pfd, 1, &ts, NULL, 8));
    printf("raw ppoll, time left after a timeout: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    close(p[0]);
    close(p[1]);
}

static unsigned long blocked_mask(void) {
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    unsigned long bits = 0;
    for (int s = 1; s < 32; s++)
        if (sigismember(&now, s))
            bits |= 1ul << s;
    return bits;
}

static void with_masks(void) {
    printf("-- ppoll and pselect\n");
    int p[2];
    pipe(p);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGKILL);
    unsigned long before = blocked_mask();
    struct pollfd fd = {p[0], POLLIN, 0};
    struct timespec ts = {0, 20000000};
    CHECK(ppoll(&fd, 1, &ts, &mask));
    printf("time left after a timeout: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    printf("mask restored: %d\n", blocked_mask() == before);
    ts = (struct timespec){0, 1000000000};
    CHECK(ppoll(&fd, 1, &ts, NULL));
    ts = (struct timespec){-1, 0};
    CHECK(ppoll(&fd, 1, &ts, NULL));
    CHECK(syscall(SYS_ppoll, &fd, 1, NULL, &mask, 4));
    write(p[1], "x", 1);
    ts = (struct timespec){3, 0};
    CHECK(ppoll(&fd, 1, &ts, &mask));
    printf("revents %#x, time left > 2 s: %d\n", fd.revents, ts.tv_sec >= 2);
    CHECK(ppoll(&fd, 1, NULL, NULL));
    char c;
    read(p[0], &c, 1);

    fd_set in;
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    ts = (struct timespec){0, 20000000};
    CHECK(pselect(p[0] + 1, &in, NULL, NULL, &ts, &mask));
    printf("mask restored: %d\n", blocked_mask() == before);
    write(p[1], "y", 1);
    FD_SET(p[0], &in);
    CHECK(pselect(p[0] + 1, &in, NULL, NULL, NULL, &mask));
    printf("set: %d\n", FD_ISSET(p[0], &in));
    struct {
        void *set;
        size_t size;
    } pack = {&mask, 4};
    CHECK(syscall(SYS_pselect6, p[0] + 1, &in, NULL, NULL, NULL, &pack));
    CHECK(syscall(SYS_pselect6, p[0] + 1, &in, NULL, NULL, NULL, (void *)8));
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int file = open(argv[0], O_RDONLY);
    polls(file);
    wakeups();
    selects(file);
    with_masks();
    return 0;
}
