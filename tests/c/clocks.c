/* Clocks, sleeping, CPU-time accounting and interval timers, compared with Linux. Only relations
 * between times are printed (the machines differ in speed); lines starting with "# " show values. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"
#include "waitstate.h"

/* A process id that no process has: above PID_MAX_LIMIT (4194304), the most Linux's pid_max can
 * be (systemd sets it that high), where 999999 may well name a process of the host. */
#define NO_PID 0x0ffffff0

static long long ns(clockid_t c)
{
    struct timespec t;
    if (clock_gettime(c, &t) != 0)
        return -1;
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static const char *yes(int b) { return b ? "yes" : "no"; }

/* Uses `ms` milliseconds of CPU time. */
static void burn(long ms)
{
    long long start = ns(CLOCK_THREAD_CPUTIME_ID);
    volatile unsigned long x = 0;
    while (ns(CLOCK_THREAD_CPUTIME_ID) - start < ms * 1000000LL)
        for (int i = 0; i < 1000; i++)
            x += i;
}

static long long tv_ns(struct timeval tv) { return tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL; }

/* What is left of `secs` seconds once `gone` nanoseconds have passed, in whole seconds: rounded
 * down, and rounded to the nearest (halves up) as alarm() reports it. */
static long long floor_left(long secs, long long gone)
{
    long long left = secs * 1000000000LL - gone;
    return left > 0 ? left / 1000000000LL : 0;
}

static long long nearest_left(long secs, long long gone)
{
    long long left = secs * 1000000000LL - gone;
    return left > 0 ? (left + 500000000LL) / 1000000000LL : 0;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void wall_clock(void)
{
    time_t t = time(NULL);
    struct timespec ts;
    struct timeval tv;
    clock_gettime(CLOCK_REALTIME, &ts);
    gettimeofday(&tv, NULL);
    printf("time, clock_gettime and gettimeofday agree: %s\n",
           yes(llabs(ts.tv_sec - t) <= 2 && llabs(tv.tv_sec - t) <= 2));
    struct tm tm;
    gmtime_r(&t, &tm);
    printf("the year is plausible: %s\n", yes(tm.tm_year + 1900 >= 2025 && tm.tm_year + 1900 < 2100));
    printf("# now: %04d-%02d-%02d %02d:%02d:%02d UTC\n", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    long long raw = syscall(SYS_time, NULL);
    printf("time() as a raw call agrees: %s\n", yes(llabs(raw - t) <= 2));
}

static void monotonic(void)
{
    int ok = 1;
    long long last = ns(CLOCK_MONOTONIC);
    for (int i = 0; i < 10000; i++) {
        long long now = ns(CLOCK_MONOTONIC);
        ok &= now >= last;
        last = now;
    }
    printf("CLOCK_MONOTONIC never goes back: %s\n", yes(ok));
    long long mono = ns(CLOCK_MONOTONIC), boot = ns(CLOCK_BOOTTIME);
    printf("CLOCK_BOOTTIME >= CLOCK_MONOTONIC: %s\n", yes(boot >= mono));
    long long coarse = ns(CLOCK_MONOTONIC_COARSE), fine = ns(CLOCK_MONOTONIC);
    printf("CLOCK_MONOTONIC_COARSE <= CLOCK_MONOTONIC: %s\n", yes(coarse <= fine));
    printf("CLOCK_MONOTONIC_RAW works: %s\n", yes(ns(CLOCK_MONOTONIC_RAW) > 0));
    struct timespec res;
    clock_getres(CLOCK_MONOTONIC, &res);
    printf("clock_getres(CLOCK_MONOTONIC): %ld.%09ld\n", (long)res.tv_sec, res.tv_nsec);
    clock_getres(CLOCK_REALTIME, &res);
    printf("clock_getres(CLOCK_REALTIME): %ld.%09ld\n", (long)res.tv_sec, res.tv_nsec);
    clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res);
    printf("clock_getres(CLOCK_PROCESS_CPUTIME_ID): %ld.%09ld\n", (long)res.tv_sec, res.tv_nsec);
    clock_getres(CLOCK_MONOTONIC_COARSE, &res);
    printf("# clock_getres(CLOCK_MONOTONIC_COARSE): %ld.%09ld\n", (long)res.tv_sec, res.tv_nsec);
}

static void errors(void)
{
    struct timespec ts;
    REPORT("clock_gettime(123)", syscall(SYS_clock_gettime, 123, &ts));
    REPORT("clock_getres(123)", syscall(SYS_clock_getres, 123, &ts));
    REPORT("clock_getres(CLOCK_MONOTONIC, NULL)", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
    REPORT("clock_gettime to a bad address", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8));
    REPORT("gettimeofday to a bad address", syscall(SYS_gettimeofday, (void *)8, NULL));
    struct timespec bad = {0, 1000000000};
    REPORT("nanosleep with tv_nsec = 1e9", syscall(SYS_nanosleep, &bad, NULL));
    struct timespec neg = {-1, 0};
    REPORT("nanosleep with tv_sec = -1", syscall(SYS_nanosleep, &neg, NULL));
    REPORT("nanosleep from a bad address", syscall(SYS_nanosleep, (void *)8, NULL));
    struct timespec zero = {0, 0};
    REPORT("nanosleep(0)", syscall(SYS_nanosleep, &zero, NULL));
    printf("clock_nanosleep(CLOCK_THREAD_CPUTIME_ID): %s\n",
           errname(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &zero, NULL)));
    printf("clock_nanosleep(CLOCK_MONOTONIC_COARSE): %s\n",
           errname(clock_nanosleep(CLOCK_MONOTONIC_COARSE, 0, &zero, NULL)));
    printf("clock_nanosleep(123): %s\n", errname(clock_nanosleep(123, 0, &zero, NULL)));
    printf("clock_nanosleep with tv_nsec = -1: %s\n",
           errname(clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){0, -1}, NULL)));
    clockid_t c;
    printf("clock_getcpuclockid(no such pid): %s\n", errname(clock_getcpuclockid(NO_PID, &c)));
}

static void sleeping(void)
{
    long long t0 = ns(CLOCK_MONOTONIC);
    long long cpu0 = ns(CLOCK_PROCESS_CPUTIME_ID);
    sleep_ms(50);
    long long t1 = ns(CLOCK_MONOTONIC);
    long long cpu1 = ns(CLOCK_PROCESS_CPUTIME_ID);
    printf("nanosleep(50 ms) slept at least 50 ms: %s\n", yes(t1 - t0 >= 50000000LL));
    /* Bounds that only a gross error crosses: a loaded machine may hold the program up for a
     * while (in QEMU, a pause of the whole machine counts as CPU time of the running thread). */
    printf("nanosleep(50 ms) came back within 20 s: %s\n", yes(t1 - t0 < 20000000000LL));
    printf("sleeping used (almost) no CPU time: %s\n", yes(cpu1 - cpu0 < 40000000LL));
    printf("# slept %lld us, CPU %lld us\n", (t1 - t0) / 1000, (cpu1 - cpu0) / 1000);

    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += 30000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    long long t2 = ns(CLOCK_MONOTONIC);
    long long target = until.tv_sec * 1000000000LL + until.tv_nsec;
    printf("absolute CLOCK_MONOTONIC sleep: %s, woke after the deadline: %s\n", errname(r),
           yes(t2 >= target));
    struct timespec past = {0, 1};
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL);
    printf("absolute sleep to a time long past: %s\n", errname(r));
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    wall.tv_sec += 0;
    wall.tv_nsec += 20000000;
    if (wall.tv_nsec >= 1000000000) {
        wall.tv_sec++;
        wall.tv_nsec -= 1000000000;
    }
    r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &wall, NULL);
    printf("absolute CLOCK_REALTIME sleep: %s, woke after the deadline: %s\n", errname(r),
           yes(ns(CLOCK_REALTIME) >= wall.tv_sec * 1000000000LL + wall.tv_nsec));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("sleeping counted voluntary context switches: %s\n", yes(ru.ru_nvcsw > 0));
}

static void cpu_time(void)
{
    long long p0 = ns(CLOCK_PROCESS_CPUTIME_ID);
    burn(100);
    long long thread = ns(CLOCK_THREAD_CPUTIME_ID), process = ns(CLOCK_PROCESS_CPUTIME_ID);
    printf("burning 100 ms moved the process clock by 100 ms or more: %s\n",
           yes(process - p0 >= 100000000LL));
    printf("process CPU time >= thread CPU time: %s\n", yes(process >= thread));
    clockid_t c;
    int r = clock_getcpuclockid(getpid(), &c);
    printf("clock_getcpuclockid(getpid()): %s, reads at least the process clock: %s\n", errname(r),
           yes(ns(c) >= process));
    struct rusage ru;
    long long before = ns(CLOCK_PROCESS_CPUTIME_ID);
    getrusage(RUSAGE_SELF, &ru);
    long long after = ns(CLOCK_PROCESS_CPUTIME_ID);
    long long used = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
    printf("getrusage(RUSAGE_SELF) user+system >= 90 ms: %s\n", yes(used >= 90000000LL));
    /* Compared with the clock read on both sides of the call: a pause between the two reads
     * (which QEMU counts as CPU time) cannot make them disagree. */
    printf("getrusage agrees with the process clock within 20 ms: %s\n",
           yes(used > before - 20000000LL && used < after + 20000000LL));
    getrusage(RUSAGE_THREAD, &ru);
    printf("getrusage(RUSAGE_THREAD) >= 90 ms: %s\n",
           yes(tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime) >= 90000000LL));
    struct tms t;
    clock_t ticks = times(&t);
    printf("times(): user+system >= 9 ticks: %s, children 0: %s, returns a tick count: %s\n",
           yes(t.tms_utime + t.tms_stime >= 9), yes(t.tms_cutime + t.tms_cstime == 0),
           yes(ticks != (clock_t)-1));
    printf("# process CPU %lld us, rusage user %ld.%06ld system %ld.%06ld\n", process / 1000,
           (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec,
           (long)ru.ru_stime.tv_usec);
    REPORT("getrusage(5)", getrusage(5, &ru));
}

static void children(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        burn(100);
        char *p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (long i = 0; i < (16 << 20); i += 4096)
            p[i] = 1;
        _exit(0);
    }
    struct rusage ru;
    int status;
    pid_t got = wait4(pid, &status, 0, &ru);
    long long used = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
    printf("wait4 reaped the child: %s, status %d\n", yes(got == pid), WEXITSTATUS(status));
    printf("wait4's rusage: child used >= 90 ms: %s\n", yes(used >= 90000000LL));
    printf("wait4's rusage: child's max RSS >= 16 MiB: %s\n", yes(ru.ru_maxrss >= 16384));
    printf("wait4's rusage: child's minor faults >= 4096: %s\n", yes(ru.ru_minflt >= 4096));
    struct rusage ch;
    getrusage(RUSAGE_CHILDREN, &ch);
    printf("getrusage(RUSAGE_CHILDREN) includes it: %s\n",
           yes(tv_ns(ch.ru_utime) + tv_ns(ch.ru_stime) >= used && ch.ru_maxrss >= ru.ru_maxrss));
    struct tms t;
    times(&t);
    printf("times(): children's user+system >= 9 ticks: %s\n", yes(t.tms_cutime + t.tms_cstime >= 9));
    printf("# child maxrss %ld KiB, minflt %ld\n", ru.ru_maxrss, ru.ru_minflt);
}

/* A child that sets `which` to fire after 50 ms and waits for it; the signal's default action
 * ends it. */
static void timer_kills_child(int which, const char *name)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct itimerval v = {{0, 0}, {0, 50000}};
        setitimer(which, &v, NULL);
        if (which == ITIMER_REAL)
            for (;;)
                sleep_ms(10);
        burn(5000);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("%s ended the child with: %s\n", name,
           WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit");
}

static void itimers(void)
{
    /* What is left is checked against the time that passed since the timer was set: 9 s and
     * more, unless a loaded machine held the program up for longer than a second. */
    struct itimerval v = {{0, 0}, {10, 0}}, old;
    long long set = ns(CLOCK_MONOTONIC);
    REPORT("setitimer(ITIMER_REAL, 10 s)", setitimer(ITIMER_REAL, &v, NULL));
    getitimer(ITIMER_REAL, &old);
    long long lowest = floor_left(10, ns(CLOCK_MONOTONIC) - set);
    printf("getitimer: between 9 and 10 s left: %s, no interval: %s\n",
           yes(old.it_value.tv_sec >= (lowest < 9 ? lowest : 9) && old.it_value.tv_sec <= 10),
           yes(old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 0));
    long long five = ns(CLOCK_MONOTONIC);
    unsigned left_of_ten = alarm(5), left_of_five = alarm(0);
    long long end = ns(CLOCK_MONOTONIC);
    printf("alarm(5) returns the 10 s left: %s\n",
           yes(left_of_ten <= 10 && left_of_ten >= nearest_left(10, end - set)));
    printf("alarm(0) returns the 5 s left: %s\n",
           yes(left_of_five <= 5 && left_of_five >= nearest_left(5, end - five)));
    getitimer(ITIMER_REAL, &old);
    printf("now disarmed: %s\n", yes(old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0));
    struct itimerval periodic = {{1, 500000}, {3, 0}};
    setitimer(ITIMER_VIRTUAL, &periodic, NULL);
    REPORT("setitimer(ITIMER_VIRTUAL, 0) returning the old one", setitimer(ITIMER_VIRTUAL, &(struct itimerval){0}, &old));
    printf("old ITIMER_VIRTUAL: interval %ld.%06ld, value at most 3 s: %s\n",
           (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec,
           yes(old.it_value.tv_sec <= 3));
    REPORT("getitimer(3)", getitimer(3, &old));
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    REPORT("setitimer with tv_usec = 1e6", setitimer(ITIMER_REAL, &bad, NULL));
    REPORT("setitimer(7)", setitimer(7, &v, NULL));
    timer_kills_child(ITIMER_REAL, "ITIMER_REAL");
    timer_kills_child(ITIMER_VIRTUAL, "ITIMER_VIRTUAL");
    timer_kills_child(ITIMER_PROF, "ITIMER_PROF");
}

static void on_usr1(int sig) { (void)sig; }

/* A sleep interrupted by a handled signal fails with EINTR and says what was left; one stopped
 * and continued (no handler runs) goes on to its deadline through restart_syscall. */
static void interrupted_sleep(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        /* The signal comes while the parent sleeps: one that came first would be handled before
         * the sleep began, and the sleep would run its course. */
        wait_until_asleep(parent);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct timespec req = {10, 0}, rem = {0, 0};
    int r = nanosleep(&req, &rem);
    long long left = rem.tv_sec * 1000000000LL + rem.tv_nsec;
    printf("nanosleep interrupted by a handler: %s, time left in (0, 10 s): %s\n",
           r == -1 ? errname(errno) : "ok", left > 0 && left < 10000000000LL ? "yes" : "no");
    waitpid(child, NULL, 0);

    child = fork();
    if (child == 0) {
        long long start = ns(CLOCK_MONOTONIC);
        struct timespec t = {0, 200000000};
        int r = nanosleep(&t, NULL);
        _exit(r == 0 && ns(CLOCK_MONOTONIC) - start >= 200000000 ? 0 : 1);
    }
    sleep_ms(50);
    kill(child, SIGSTOP);
    sleep_ms(50);
    kill(child, SIGCONT);
    int status;
    waitpid(child, &status, 0);
    printf("nanosleep stopped and continued: completed its 200 ms: %s\n",
           WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    wall_clock();
    monotonic();
    errors();
    sleeping();
    cpu_time();
    children();
    itimers();
    interrupted_sleep();
    return 0;
}
