/* Real-time signals are queued: each one sent while blocked is delivered, in the order sent, with
 * the value sigqueue gave it, lowest signal number first; a standard signal sent three times is
 * delivered once. sigqueue's errors: EPERM for a kernel or tkill si_code towards another
 * process, EAGAIN past RLIMIT_SIGPENDING (while kill still queues), EINVAL, ESRCH; and
 * rt_tgsigqueueinfo to a thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static const char *code_name(int code)
{
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    default: return "other";
    }
}

static void name(int sig, char *out)
{
    if (sig >= SIGRTMIN)
        sprintf(out, "SIGRTMIN+%d", sig - SIGRTMIN);
    else
        sprintf(out, "%s", sig == SIGUSR1 ? "SIGUSR1" : "?");
}

/* Takes every pending signal of `set` with sigtimedwait and prints each; returns how many. */
static int drain(const sigset_t *set)
{
    struct timespec zero = {0, 0};
    siginfo_t si;
    int n = 0, sig;
    while ((sig = sigtimedwait(set, &si, &zero)) > 0) {
        char buf[32];
        name(sig, buf);
        printf("  %s %s value %d from self %d\n", buf, code_name(si.si_code), si.si_code == SI_QUEUE ? si.si_value.sival_int : -1,
               si.si_pid == getpid());
        n++;
    }
    return n;
}

static long sigq(void)
{
    char buf[4096];
    FILE *f = fopen("/proc/self/status", "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *l = strstr(buf, "\nSigQ:");
    return l ? atol(l + 6) : -1;
}

/* Linux counts queued signals per user, every process of the user included (SigQ, and what
 * RLIMIT_SIGPENDING bounds): other programs of the same user on the host, tests running at the
 * same time among them, would move the counts under this one. It counts them per user namespace
 * too, so a namespace of its own, or else (as root) a user id of its own, keeps them to this
 * program. This kernel counts per process, and has neither call. */
static void own_signal_counts(void)
{
    if (unshare(CLONE_NEWUSER) == 0 || getuid() != 0)
        return;
    uid_t uid = 200000 + getpid() % 100000;
    if (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0)
        printf("# no user id of its own: %s\n", errname(errno));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    own_signal_counts();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 1);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    /* Whatever the user has queued already is the base of every count here. */
    long base = sigq();

    printf("-- queued while blocked\n");
    union sigval v;
    v.sival_int = 10;
    CHECK(sigqueue(getpid(), SIGRTMIN + 1, v));
    v.sival_int = 20;
    CHECK(sigqueue(getpid(), SIGRTMIN, v));
    v.sival_int = 21;
    CHECK(sigqueue(getpid(), SIGRTMIN, v));
    CHECK(kill(getpid(), SIGRTMIN));
    for (int i = 30; i < 33; i++) {
        v.sival_int = i;
        CHECK(sigqueue(getpid(), SIGUSR1, v));
    }
    v.sival_int = 11;
    CHECK(sigqueue(getpid(), SIGRTMIN + 1, v));
    printf("SigQ: %ld\n", sigq() - base);
    printf("taken: %d\n", drain(&set));
    printf("SigQ: %ld\n", sigq() - base);

    printf("-- errors\n");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), 65, &si));
    CHECK(syscall(SYS_rt_sigqueueinfo, 0x7ffffff0, SIGRTMIN, &si));
    CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, (void *)8));
    CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), 0, &si));
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    si.si_code = SI_USER;
    CHECK(syscall(SYS_rt_sigqueueinfo, child, SIGRTMIN, &si));
    si.si_code = SI_TKILL;
    CHECK(syscall(SYS_rt_sigqueueinfo, child, SIGRTMIN, &si));
    si.si_code = SI_KERNEL;
    CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, &si));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    drain(&set);
    si.si_code = SI_QUEUE;
    si.si_value.sival_int = 7;
    CHECK(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN, &si));
    CHECK(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0x7ffffff0, SIGRTMIN, &si));
    CHECK(syscall(SYS_rt_tgsigqueueinfo, 0, gettid(), SIGRTMIN, &si));
    printf("taken: %d\n", drain(&set));

    printf("-- RLIMIT_SIGPENDING\n");
    struct rlimit lim = {base + 4, base + 4};
    CHECK(setrlimit(RLIMIT_SIGPENDING, &lim));
    int ok = 0, again = 0;
    for (int i = 0; i < 6; i++) {
        v.sival_int = 100 + i;
        if (sigqueue(getpid(), SIGRTMIN, v) == 0)
            ok++;
        else if (errno == EAGAIN)
            again++;
    }
    printf("sigqueue: %d queued, %d EAGAIN\n", ok, again);
    CHECK(kill(getpid(), SIGRTMIN));
    printf("taken: %d\n", drain(&set));
    return 0;
}
