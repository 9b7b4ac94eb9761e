/* POSIX timers created, fired and ended in every way must give back every byte of kernel heap:
 * timers deleted while armed, deleted with their signal pending, left to a child that exits
 * without deleting them, and left to a program that replaces itself with execve. The first round
 * warms up what is allocated once; every later round must end where the first ended. This
 * kernel's /proc/meminfo lines are its own, so the test runs in QEMU only. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procfield.h"

#define TIMERS 200

static int make_timers(int *ids, int n, int sig)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    struct itimerspec its = {{0, 1000000}, {0, 1000000}}; /* every millisecond */
    for (int i = 0; i < n; i++) {
        if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &ids[i]) != 0)
            return i;
        syscall(SYS_timer_settime, ids[i], 0, &its, NULL);
    }
    return n;
}

static void round_of_timers(void)
{
    int ids[TIMERS];
    /* Deleted while armed and while their (blocked) signals are pending. */
    int made = make_timers(ids, TIMERS, SIGRTMIN);
    usleep(20000);
    for (int i = 0; i < made; i++)
        syscall(SYS_timer_delete, ids[i]);
    /* Taken once, with overruns, then deleted. */
    made = make_timers(ids, TIMERS / 2, SIGUSR1);
    usleep(20000);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    struct timespec zero = {0, 0};
    siginfo_t si;
    while (sigtimedwait(&set, &si, &zero) > 0)
        ;
    for (int i = 0; i < made; i++)
        syscall(SYS_timer_delete, ids[i]);
    /* Left to a child that exits, and to one that execs. */
    for (int how = 0; how < 2; how++) {
        pid_t pid = fork();
        if (pid == 0) {
            make_timers(ids, TIMERS, SIGRTMIN);
            usleep(10000);
            if (how == 1)
                execl("/proc/self/exe", "timerleak", "exit", (char *)NULL);
            _exit(0);
        }
        int status;
        waitpid(pid, &status, 0);
    }
    /* Pending timer signals of deleted timers are dropped when taken. */
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    while (sigtimedwait(&set, &si, &zero) > 0)
        ;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1)
        return 0; /* the exec'd child */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int failures = 0;
    long base = 0;
    for (int r = 1; r <= 5; r++) {
        round_of_timers();
        long used = proc_field("/proc/meminfo", "KernelHeapUsed");
        printf("# round %d: kernel heap used %ld kB\n", r, used);
        if (r == 2)
            base = used;
        if (r > 2 && used != base) {
            printf("FAIL: round %d: kernel heap used %ld kB, %ld after round 2\n", r, used, base);
            failures++;
        }
    }
    printf("%s: timers give back the kernel heap\n", failures ? "FAIL" : "ok");
    return failures != 0;
}
