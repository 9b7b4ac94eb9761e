/* signalfd against Linux: blocked signals read as signalfd_siginfo records (kill, sigqueue with
 * its value, a child's exit, several at once in Linux's order), a read that waits for a signal
 * another process sends, poll and epoll readiness, a new mask on the same descriptor, SIGKILL
 * and SIGSTOP left out, what the descriptor is, and the errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "waitstate.h"

static void show_record(const struct signalfd_siginfo *si)
{
    printf("  signo %u code %d from self %d", si->ssi_signo, si->ssi_code,
           si->ssi_pid == (unsigned)getpid());
    if (si->ssi_code == SI_QUEUE)
        printf(" int %d ptr %llu", si->ssi_int, (unsigned long long)si->ssi_ptr);
    if (si->ssi_signo == SIGCHLD)
        printf(" status %d", si->ssi_status);
    printf("\n");
}

static int drain(int fd)
{
    struct signalfd_siginfo si[4];
    ssize_t n = read(fd, si, sizeof si);
    if (n < 0)
        return show("read", -1);
    printf("read %zd bytes\n", n);
    for (int i = 0; i < n / (ssize_t)sizeof si[0]; i++)
        show_record(&si[i]);
    return (int)(n / sizeof si[0]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("record size %zu\n", sizeof(struct signalfd_siginfo));
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &mask, NULL);

    printf("-- records\n");
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(fcntl(fd, F_GETFD));
    CHECK(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
    CHECK(drain(fd));
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    union sigval v = {.sival_int = 77};
    sigqueue(getpid(), SIGRTMIN, v);
    v.sival_int = 78;
    sigqueue(getpid(), SIGRTMIN, v);
    struct pollfd p = {fd, POLLIN, 0};
    CHECK(poll(&p, 1, 0));
    CHECK(drain(fd));
    CHECK(drain(fd));
    CHECK(poll(&p, 1, 0));

    printf("-- a child's exit\n");
    pid_t child = fork();
    if (child == 0)
        _exit(3);
    struct signalfd_siginfo si;
    int blocking = signalfd(-1, &mask, 0);
    CHECK(read(blocking, &si, sizeof si));
    show_record(&si);
    waitpid(child, NULL, 0);

    printf("-- waiting for another process's signal\n");
    pid_t parent = getpid();
    child = fork();
    if (child == 0) {
        wait_until_asleep(parent); /* the signal comes while the parent's read waits */
        kill(parent, SIGUSR2);
        _exit(0);
    }
    CHECK(read(blocking, &si, sizeof si));
    printf("  signo %u from the child %d\n", si.ssi_signo, si.ssi_pid == (unsigned)child);
    waitpid(child, NULL, 0);
    drain(fd);

    printf("-- epoll, and a new mask\n");
    int ep = epoll_create1(0);
    struct epoll_event ev = {EPOLLIN, {.u64 = 5}}, out[2];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    CHECK(epoll_wait(ep, out, 2, 0));
    kill(getpid(), SIGUSR1);
    CHECK(epoll_wait(ep, out, 2, 0));
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    sigaddset(&only2, SIGKILL);
    sigaddset(&only2, SIGSTOP);
    CHECK(signalfd(fd, &only2, 0) == fd);
    CHECK(poll(&p, 1, 0));
    CHECK(drain(fd));
    sigset_t pending;
    sigpending(&pending);
    printf("SIGUSR1 still pending: %d\n", sigismember(&pending, SIGUSR1));

    printf("-- what it is, and errors\n");
    struct stat st;
    CHECK(fstat(fd, &st));
    printf("mode %o\n", st.st_mode);
    char path[64], link[64] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    CHECK(readlink(path, link, sizeof link - 1));
    printf("link: %s\n", link);
    CHECK(syscall(SYS_signalfd4, -1, &mask, 4, 0));
    CHECK(syscall(SYS_signalfd4, -1, (void *)8, 8, 0));
    CHECK(syscall(SYS_signalfd4, -1, &mask, 8, 1));
    CHECK(syscall(SYS_signalfd4, 99, &mask, 8, 0));
    CHECK(syscall(SYS_signalfd4, ep, &mask, 8, 0));
    char small[64];
    CHECK(read(fd, small, sizeof small));
    return 0;
}
