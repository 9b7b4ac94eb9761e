/* POSIX timers against Linux: timer_create's clocks, sigevents and ids, one-shot and periodic
 * timers on the wall clocks and the CPU clocks, absolute times, the old setting, the siginfo of
 * a timer's signal (si_code, si_timerid, si_overrun, si_value) by sigwaitinfo, a handler and
 * signalfd, overruns while the signal is blocked, SIGEV_NONE, SIGEV_THREAD_ID, the C library's
 * SIGEV_THREAD, deletion, fork (timers are not inherited), execve (timers are deleted) and the
 * errors. Only what does not depend on timing is printed exactly (counts as ranges). The calls
 * go to the kernel directly (the C library's timer_t is not the kernel's id). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS 1000000L

/* The kernel's struct sigevent. */
struct ksigevent {
    union sigval value;
    int signo;
    int notify;
    int tid;
    int pad[11];
};

static long tcreate(clockid_t clock, struct ksigevent *ev, int *id)
{
    return syscall(SYS_timer_create, clock, ev, id);
}

static long tset(int id, int flags, long value_ns, long interval_ns, struct itimerspec *old)
{
    struct itimerspec its = {{interval_ns / 1000000000L, interval_ns % 1000000000L},
                             {value_ns / 1000000000L, value_ns % 1000000000L}};
    return syscall(SYS_timer_settime, id, flags, &its, old);
}

static long tget(int id, struct itimerspec *cur)
{
    return syscall(SYS_timer_gettime, id, cur);
}

static long tdel(int id)
{
    return syscall(SYS_timer_delete, id);
}

static long ns_of(struct timespec ts)
{
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static long now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ns_of(ts);
}

static struct ksigevent event(int notify, int signo, long value)
{
    struct ksigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.notify = notify;
    ev.signo = signo;
    ev.value.sival_ptr = (void *)value;
    return ev;
}

static void print_info(const char *what, const siginfo_t *si)
{
    printf("%s: signo %d code %s timerid %d value %ld\n", what, si->si_signo,
           si->si_code == SI_TIMER ? "SI_TIMER" : "other", si->si_timerid,
           (long)si->si_value.sival_ptr);
}

/* Waits for `sig` (blocked), which is due, for up to 30 s (a loaded machine may be slow). */
static int wait_for(int sig, siginfo_t *si)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    struct timespec limit = {30, 0};
    return sigtimedwait(&set, si, &limit);
}

static void errors(void)
{
    printf("-- errors\n");
    int id = -1;
    struct ksigevent ev = event(SIGEV_SIGNAL, SIGUSR1, 0);
    CHECK(tcreate(100, &ev, &id));
    CHECK(tcreate(CLOCK_MONOTONIC_RAW, &ev, &id));
    CHECK(tcreate(CLOCK_REALTIME_COARSE, &ev, &id));
    CHECK(tcreate(CLOCK_MONOTONIC_COARSE, &ev, &id));
    CHECK(tcreate(CLOCK_MONOTONIC, (void *)1, &id));
    struct ksigevent bad = event(7, SIGUSR1, 0);
    CHECK(tcreate(CLOCK_MONOTONIC, &bad, &id));
    bad = event(SIGEV_SIGNAL, 0, 0);
    CHECK(tcreate(CLOCK_MONOTONIC, &bad, &id));
    bad = event(SIGEV_SIGNAL, 65, 0);
    CHECK(tcreate(CLOCK_MONOTONIC, &bad, &id));
    bad = event(SIGEV_THREAD_ID, SIGUSR1, 0);
    bad.tid = 999999;
    CHECK(tcreate(CLOCK_MONOTONIC, &bad, &id));
    CHECK(tcreate(CLOCK_PROCESS_CPUTIME_ID + 0x7ffff8, &ev, &id)); /* no such pid's clock */
    CHECK(tset(12345, 0, MS, 0, NULL));
    struct itimerspec cur;
    CHECK(tget(12345, &cur));
    CHECK(syscall(SYS_timer_getoverrun, 12345));
    CHECK(tdel(12345));
    CHECK(tdel(-1));
}

static void ids(void)
{
    printf("-- ids\n");
    struct ksigevent ev = event(SIGEV_NONE, 0, 0);
    int a = -1, b = -1, c = -1;
    CHECK(tcreate(CLOCK_MONOTONIC, &ev, &a));
    CHECK(tcreate(CLOCK_REALTIME, &ev, &b));
    printf("ids: %d %d\n", a, b);
    CHECK(tdel(a));
    CHECK(tdel(a));
    CHECK(tcreate(CLOCK_BOOTTIME, &ev, &c));
    printf("after deleting %d: %d (not reused)\n", a, c);
    CHECK(tdel(b));
    CHECK(tdel(c));
    CHECK(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, (void *)1));
    int d = -1;
    CHECK(tcreate(CLOCK_TAI, &ev, &d));
    printf("after a create with a bad timerid pointer: %d\n", d);
    CHECK(tdel(d));
}

static void one_shot(void)
{
    printf("-- one-shot, default sigevent\n");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int id = -1;
    CHECK(tcreate(CLOCK_MONOTONIC, NULL, &id));
    struct itimerspec cur, old;
    CHECK(tget(id, &cur));
    printf("disarmed: %ld %ld\n", ns_of(cur.it_value), ns_of(cur.it_interval));
    /* Timed from before the timer is set: a loaded machine may pause the program at any point
     * after that, but the signal cannot come before its 40 ms. */
    long start = now(CLOCK_MONOTONIC);
    CHECK(tset(id, 0, 40 * MS, 0, &old));
    printf("old: %ld %ld\n", ns_of(old.it_value), ns_of(old.it_interval));
    CHECK(tget(id, &cur));
    long left = ns_of(cur.it_value);
    /* 0 once it has expired, which a pause of 40 ms before timer_gettime lets it do. */
    int expired = left == 0 && now(CLOCK_MONOTONIC) - start >= 40 * MS;
    printf("armed: left in (0, 40 ms]: %d, interval %ld\n",
           (left > 0 && left <= 40 * MS) || expired, ns_of(cur.it_interval));
    siginfo_t si;
    CHECK(wait_for(SIGALRM, &si));
    printf("waited at least 40 ms: %d\n", now(CLOCK_MONOTONIC) - start >= 40 * MS);
    print_info("SIGALRM", &si);
    printf("value is the id: %d, overrun %d\n", si.si_value.sival_int == id, si.si_overrun);
    CHECK(tget(id, &cur));
    printf("expired: %ld %ld\n", ns_of(cur.it_value), ns_of(cur.it_interval));
    CHECK(syscall(SYS_timer_getoverrun, id));
    CHECK(tdel(id));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void periodic_overrun(void)
{
    printf("-- periodic, blocked: overruns\n");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct ksigevent ev = event(SIGEV_SIGNAL, SIGRTMIN + 1, 77);
    int id = -1;
    CHECK(tcreate(CLOCK_MONOTONIC, &ev, &id));
    long set_from = now(CLOCK_MONOTONIC);
    CHECK(tset(id, 0, 10 * MS, 10 * MS, NULL));
    long set_to = now(CLOCK_MONOTONIC);
    struct timespec pause = {0, 105 * MS};
    nanosleep(&pause, NULL);
    sigset_t pending;
    sigpending(&pending);
    printf("pending: %d\n", sigismember(&pending, SIGRTMIN + 1));
    siginfo_t si, second;
    long taking = now(CLOCK_MONOTONIC);
    int got = wait_for(SIGRTMIN + 1, &si);
    long overrun = syscall(SYS_timer_getoverrun, id);
    /* Only one signal was queued for all those expiries: none is left once it is taken. Taking
     * it re-arms the timer, though, and its next expiry (on the grid of 10 ms periods from the
     * setting) queues a new one; a second signal proves something only if no expiry can have
     * come between the two calls. */
    struct timespec zero = {0, 0};
    int again = sigtimedwait(&set, &second, &zero) == SIGRTMIN + 1;
    long checked = now(CLOCK_MONOTONIC);
    int expiry_between = checked - taking >= 10 * MS ||
                         (checked - set_from) / (10 * MS) >= (taking - set_to + 10 * MS - 1) / (10 * MS);
    CHECK(got == SIGRTMIN + 1);
    print_info("signal", &si);
    /* At least 5 of the 10 periods; more if the sleep ran long (a loaded host). */
    printf("overrun at least 5: %d\n", si.si_overrun >= 5);
    printf("getoverrun the same: %d\n", overrun == si.si_overrun);
    printf("a second one at once: %d\n", again && !expiry_between);
    struct itimerspec cur;
    CHECK(tget(id, &cur));
    printf("periodic: left in (0, 10 ms]: %d, interval %ld\n",
           ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 10 * MS, ns_of(cur.it_interval));
    struct itimerspec old;
    CHECK(tset(id, 0, 0, 0, &old));
    printf("disarmed, old interval %ld\n", ns_of(old.it_interval));
    CHECK(tget(id, &cur));
    printf("now: %ld %ld\n", ns_of(cur.it_value), ns_of(cur.it_interval));
    CHECK(tdel(id));
    sigpending(&pending);
    if (sigismember(&pending, SIGRTMIN + 1))
        sigtimedwait(&set, &si, &zero);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void sigev_none(void)
{
    printf("-- SIGEV_NONE\n");
    struct ksigevent ev = event(SIGEV_NONE, 0, 0);
    int id = -1;
    CHECK(tcreate(CLOCK_MONOTONIC, &ev, &id));
    CHECK(tset(id, 0, 1000 * MS, 250 * MS, NULL));
    struct itimerspec cur;
    CHECK(tget(id, &cur));
    /* More than half left: a loaded machine may pause the program between the two calls. */
    printf("left in (500 ms, 1 s]: %d, interval %ld\n",
           ns_of(cur.it_value) > 500 * MS && ns_of(cur.it_value) <= 1000 * MS,
           ns_of(cur.it_interval));
    CHECK(tset(id, 0, 10 * MS, 0, NULL));
    struct timespec pause = {0, 30 * MS};
    nanosleep(&pause, NULL);
    CHECK(tget(id, &cur));
    printf("expired: %ld\n", ns_of(cur.it_value));
    CHECK(tdel(id));
}

static void absolute(void)
{
    printf("-- absolute times\n");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME};
    const char *names[] = {"CLOCK_MONOTONIC", "CLOCK_REALTIME", "CLOCK_BOOTTIME"};
    for (int i = 0; i < 3; i++) {
        struct ksigevent ev = event(SIGEV_SIGNAL, SIGUSR2, i);
        int id = -1;
        tcreate(clocks[i], &ev, &id);
        long start = now(CLOCK_MONOTONIC);
        CHECK(tset(id, TIMER_ABSTIME, now(clocks[i]) + 30 * MS, 0, NULL));
        siginfo_t si;
        int got = wait_for(SIGUSR2, &si);
        printf("%s: signal %d after at least 30 ms: %d, value %ld\n", names[i], got == SIGUSR2,
               now(CLOCK_MONOTONIC) - start >= 30 * MS, (long)si.si_value.sival_ptr);
        /* A time already past (half the clock's time: the machine may have booted a moment
         * ago) expires at once: well within wait_for's second. */
        CHECK(tset(id, TIMER_ABSTIME, now(clocks[i]) / 2, 0, NULL));
        got = wait_for(SIGUSR2, &si);
        printf("%s, past: signal %d\n", names[i], got == SIGUSR2);
        tdel(id);
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static volatile sig_atomic_t handled;
static volatile int handled_timerid, handled_code;

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)ctx;
    handled++;
    handled_timerid = si->si_timerid;
    handled_code = si->si_code;
}

static void handler_and_thread_id(void)
{
    printf("-- a handler, SIGEV_THREAD_ID\n");
    struct sigaction sa = {0};
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct ksigevent ev = event(SIGEV_SIGNAL | SIGEV_THREAD_ID, SIGUSR1, 5);
    ev.tid = gettid();
    int id = -1;
    CHECK(tcreate(CLOCK_MONOTONIC, &ev, &id));
    CHECK(tset(id, 0, 20 * MS, 20 * MS, NULL));
    while (handled < 3)
        pause();
    CHECK(tset(id, 0, 0, 0, NULL));
    /* At least 3: a loaded host may let one more come before the timer is disarmed. */
    printf("handled at least 3: %d, timerid right: %d, SI_TIMER: %d\n", handled >= 3,
           handled_timerid == id, handled_code == SI_TIMER);
    CHECK(tdel(id));
    signal(SIGUSR1, SIG_DFL);
}

static void with_signalfd(void)
{
    printf("-- signalfd\n");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int fd = signalfd(-1, &set, 0);
    struct ksigevent ev = event(SIGEV_SIGNAL, SIGRTMIN + 2, 1234);
    int id = -1;
    CHECK(tcreate(CLOCK_REALTIME, &ev, &id));
    CHECK(tset(id, 0, 10 * MS, 0, NULL));
    struct signalfd_siginfo ssi;
    CHECK(read(fd, &ssi, sizeof ssi) == sizeof ssi);
    printf("ssi: signo %d code %s tid right %d overrun %u int %d ptr %lu pid %u\n",
           ssi.ssi_signo - SIGRTMIN, ssi.ssi_code == SI_TIMER ? "SI_TIMER" : "other",
           ssi.ssi_tid == (unsigned)id, ssi.ssi_overrun, ssi.ssi_int,
           (unsigned long)ssi.ssi_ptr, ssi.ssi_pid);
    CHECK(tdel(id));
    close(fd);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void deleted_pending(void)
{
    printf("-- deleted while its signal is pending\n");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 3);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct ksigevent ev = event(SIGEV_SIGNAL, SIGRTMIN + 3, 9);
    int id = -1;
    tcreate(CLOCK_MONOTONIC, &ev, &id);
    tset(id, 0, 5 * MS, 0, NULL);
    siginfo_t si;
    struct timespec pause = {0, 30 * MS};
    nanosleep(&pause, NULL);
    CHECK(tdel(id));
    struct timespec zero = {0, 0};
    CHECK(sigtimedwait(&set, &si, &zero) == SIGRTMIN + 3);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static atomic_int thread_calls;
static atomic_int thread_value;

static void in_thread(union sigval value)
{
    atomic_store(&thread_value, value.sival_int);
    atomic_fetch_add(&thread_calls, 1);
}

static void sigev_thread(void)
{
    printf("-- SIGEV_THREAD (the C library's thread)\n");
    struct sigevent sev = {0};
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = in_thread;
    sev.sigev_value.sival_int = 42;
    timer_t t;
    CHECK(timer_create(CLOCK_MONOTONIC, &sev, &t));
    struct itimerspec its = {{0, 10 * MS}, {0, 10 * MS}};
    CHECK(timer_settime(t, 0, &its, NULL));
    long start = now(CLOCK_MONOTONIC);
    while (atomic_load(&thread_calls) < 3 && now(CLOCK_MONOTONIC) - start < 60000 * MS)
        usleep(1000);
    CHECK(timer_delete(t));
    printf("calls >= 3: %d, value %d\n", atomic_load(&thread_calls) >= 3,
           atomic_load(&thread_value));
}

static volatile sig_atomic_t cpu_fired;

static void on_cpu(int sig)
{
    (void)sig;
    cpu_fired = 1;
}

static void cpu_timer(void)
{
    printf("-- CPU-time clocks\n");
    signal(SIGPROF, on_cpu);
    clockid_t clocks[] = {CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
    for (int i = 0; i < 2; i++) {
        struct ksigevent ev = event(SIGEV_SIGNAL, SIGPROF, 0);
        int id = -1;
        CHECK(tcreate(clocks[i], &ev, &id));
        cpu_fired = 0;
        long start = now(clocks[i]);
        CHECK(tset(id, 0, 60 * MS, 0, NULL));
        struct itimerspec cur;
        CHECK(tget(id, &cur));
        /* 0 once it has expired: in QEMU a pause of the machine counts as CPU time. */
        int expired = ns_of(cur.it_value) == 0 && now(clocks[i]) - start >= 60 * MS;
        printf("left in (0, 60 ms]: %d\n",
               (ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 60 * MS) || expired);
        long wall = now(CLOCK_MONOTONIC);
        while (!cpu_fired && now(CLOCK_MONOTONIC) - wall < 60000 * MS)
            ;
        long used = now(clocks[i]) - start;
        printf("fired: %d after at least 50 ms of CPU: %d\n", cpu_fired, used >= 50 * MS);
        CHECK(tget(id, &cur));
        printf("expired: %ld\n", ns_of(cur.it_value));
        CHECK(tdel(id));
    }
    /* Another thread's CPU clock: the calling thread's id as a clock. */
    clockid_t mine;
    pthread_getcpuclockid(pthread_self(), &mine);
    int id = -1;
    struct ksigevent ev = event(SIGEV_NONE, 0, 0);
    CHECK(tcreate(mine, &ev, &id));
    CHECK(tdel(id));
    signal(SIGPROF, SIG_DFL);
}

static void fork_and_exec(const char *self)
{
    printf("-- fork and execve\n");
    struct ksigevent ev = event(SIGEV_NONE, 0, 0);
    int id = -1;
    CHECK(tcreate(CLOCK_MONOTONIC, &ev, &id));
    CHECK(tset(id, 0, 1000 * MS, 0, NULL));
    pid_t pid = fork();
    if (pid == 0) {
        struct itimerspec cur;
        show("child: timer_gettime", tget(id, &cur));
        int fresh = -1;
        tcreate(CLOCK_MONOTONIC, &ev, &fresh);
        printf("child's first id: %d\n", fresh);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    struct itimerspec cur;
    show("parent: timer_gettime", tget(id, &cur));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char arg[16];
        snprintf(arg, sizeof arg, "%d", id);
        execl(self, self, "after-exec", arg, (char *)NULL);
        _exit(127);
    }
    waitpid(pid, &status, 0);
    CHECK(tdel(id));
}

static void forged(void)
{
    printf("-- a process queueing an SI_TIMER siginfo itself\n");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 4);
    sigprocmask(SIG_BLOCK, &set, NULL);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGRTMIN + 4;
    si.si_code = SI_TIMER;
    si.si_timerid = 5;
    si.si_overrun = 6;
    si.si_value.sival_int = 7;
    CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 4, &si));
    memset(&si, 0, sizeof si);
    CHECK(wait_for(SIGRTMIN + 4, &si) == SIGRTMIN + 4);
    printf("code %d timerid %d overrun %d value %d\n", si.si_code, si.si_timerid, si.si_overrun,
           si.si_value.sival_int);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void limit(void)
{
    printf("-- RLIMIT_SIGPENDING bounds the timers\n");
    /* The C library's timer_delete of a SIGEV_THREAD timer leaves the kernel's timer_delete to
     * its thread: give it time to run. */
    usleep(100000);
    struct rlimit old, low = {3, 3};
    getrlimit(RLIMIT_SIGPENDING, &old);
    setrlimit(RLIMIT_SIGPENDING, &low);
    int ids[4], made = 0;
    for (int i = 0; i < 4; i++)
        made += CHECK(tcreate(CLOCK_MONOTONIC, NULL, &ids[i])) == 0;
    printf("made with a limit of 3: %d\n", made);
    for (int i = 0; i < 3; i++)
        tdel(ids[i]);
    setrlimit(RLIMIT_SIGPENDING, &old);
    int id = -1;
    CHECK(tcreate(CLOCK_MONOTONIC, NULL, &id));
    printf("next id after the refused one: %d\n", id - ids[2]);
    tdel(id);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 2 && strcmp(argv[1], "limit") == 0) {
        /* QEMU only: Linux counts RLIMIT_SIGPENDING per user, so on a host other processes of
         * the same user (tests running in parallel) take from it too. */
        limit();
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "after-exec") == 0) {
        struct itimerspec cur;
        show("after execve: timer_gettime", tget(atoi(argv[2]), &cur));
        return 0;
    }
    errors();
    ids();
    one_shot();
    periodic_overrun();
    sigev_none();
    absolute();
    handler_and_thread_id();
    with_signalfd();
    deleted_pending();
    cpu_timer();
    fork_and_exec("/proc/self/exe");
    sigev_thread();
    forged();
    return 0;
}
