/* Identity, limits and what programs ask at start-up: user and group ids with Linux's set*id
 * rules, uname, sysinfo, getrandom, resource limits and their enforcement, prctl names, CPU
 * affinity and scheduling policy. Compared with Linux (run as root on both). */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

/* A process id that no process has: above PID_MAX_LIMIT (4194304), the most Linux's pid_max can
 * be (systemd sets it that high), where 999999 may well name a process of the host. */
#define NO_PID 0x0ffffff0

static const char *yes(int b) { return b ? "yes" : "no"; }

static void print_ids(const char *when)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    printf("%s: uid %u %u %u (getuid %u geteuid %u), gid %u %u %u, fsuid %d\n", when, r, e, s,
           getuid(), geteuid(), gr, ge, gs, setfsuid(-1));
}

/* Runs `f` in a child (so that dropping root does not affect the rest) and waits for it. */
static void in_child(void (*f)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        f();
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("child killed by %s\n", strsignal(WTERMSIG(status)));
}

static void drop_root(void)
{
    REPORT("setresuid(1000, 1000, 0)", setresuid(1000, 1000, 0));
    print_ids("after setresuid");
    REPORT("setgid(5) without root", setgid(5));
    REPORT("setgroups without root", setgroups(0, NULL));
    REPORT("seteuid(0) back through the saved uid", seteuid(0));
    print_ids("after seteuid(0)");
    REPORT("setuid(1000) as root: all ids", setuid(1000));
    print_ids("after setuid(1000)");
    REPORT("setuid(0) now", setuid(0));
    REPORT("setreuid(-1, 0) now", setreuid(-1, 0));
    REPORT("setresuid(-1, 2000, -1) now", setresuid(-1, 2000, -1));
    printf("setfsuid(0) returns the old fsuid: %d, and changes nothing: %s\n", setfsuid(0),
           yes(setfsuid(-1) == 1000));
    REPORT("setuid(1000) to itself", setuid(1000));
}

static void regid(void)
{
    REPORT("setregid(7, 8)", setregid(7, 8));
    print_ids("after setregid(7, 8)");
    REPORT("setreuid(3, -1)", setreuid(3, -1));
    print_ids("after setreuid(3, -1)");
    REPORT("setreuid(-1, 4) while the effective uid is still 0", setreuid(-1, 4));
    REPORT("setreuid(0, -1) now (the real uid may only become the effective one)", setreuid(0, -1));
    REPORT("setresuid(-1, 0, -1)", setresuid(-1, 0, -1));
    print_ids("after setresuid(-1, 0, -1)");
}

static void identity(void)
{
    print_ids("at start");
    REPORT("setgroups(0)", setgroups(0, NULL));
    printf("getgroups(0, NULL): %d\n", getgroups(0, NULL));
    gid_t set[3] = {50, 3, 20}, got[8];
    REPORT("setgroups(50 3 20)", setgroups(3, set));
    int n = getgroups(8, got);
    printf("getgroups: %d:", n);
    for (int i = 0; i < n; i++)
        printf(" %u", got[i]);
    printf("\n");
    REPORT("getgroups with too small a buffer", getgroups(1, got));
    REPORT("setuid(-1)", setuid(-1));
    in_child(drop_root);
    in_child(regid);
    print_ids("the parent still");
}

static void system_info(void)
{
    struct utsname u;
    REPORT("uname", uname(&u));
    int dots = 0;
    for (char *p = u.release; *p; p++)
        dots += *p == '.';
    printf("sysname %s, machine %s, release looks like a version: %s\n", u.sysname, u.machine,
           yes(u.release[0] >= '1' && u.release[0] <= '9' && dots >= 2));
    printf("# release %s, version %s, nodename %s\n", u.release, u.version, u.nodename);
    struct sysinfo si;
    REPORT("sysinfo", sysinfo(&si));
    printf("sysinfo: total > free > 0: %s, mem_unit %u, uptime > 0: %s, procs >= 1: %s, no "
           "high memory: %s\n",
           yes(si.totalram > si.freeram && si.freeram > 0), si.mem_unit, yes(si.uptime > 0),
           yes(si.procs >= 1), yes(si.totalhigh == 0));
    REPORT("sysinfo to a bad address", syscall(SYS_sysinfo, (void *)8));
}

static void randomness(void)
{
    unsigned char a[64], b[64];
    printf("getrandom(64): %zd\n", getrandom(a, sizeof a, 0));
    getrandom(b, sizeof b, GRND_NONBLOCK);
    printf("two draws differ: %s\n", yes(memcmp(a, b, sizeof a) != 0));
    printf("getrandom(0): %zd\n", getrandom(a, 0, 0));
    REPORT("getrandom(flags 0x100)", getrandom(a, 8, 0x100));
    REPORT("getrandom(GRND_RANDOM | GRND_INSECURE)", getrandom(a, 8, GRND_RANDOM | 4));
    REPORT("getrandom to a bad address", syscall(SYS_getrandom, (void *)8, 8, 0));
    static unsigned char big[1 << 20];
    printf("getrandom(1 MiB): %zd\n", getrandom(big, sizeof big, 0));
    int counts[256] = {0};
    for (size_t i = 0; i < sizeof big; i++)
        counts[big[i]]++;
    int ok = 1;
    for (int i = 0; i < 256; i++)
        ok &= counts[i] > 3500 && counts[i] < 4700;
    printf("every byte value about equally often: %s\n", yes(ok));
}

static void stack_overflow(void);

static void limits(void)
{
    struct rlimit r;
    getrlimit(RLIMIT_STACK, &r);
    printf("RLIMIT_STACK soft: %llu\n", (unsigned long long)r.rlim_cur);
    REPORT("setrlimit(NOFILE, 10/10)", setrlimit(RLIMIT_NOFILE, &(struct rlimit){10, 10}));
    int opened = 0;
    while (open("/proc/self/maps", O_RDONLY) >= 0)
        opened++;
    printf("opens until the limit: %d, then %s\n", opened, errname(errno));
    /* Raising a hard limit needs CAP_SYS_RESOURCE, which root in a container may lack: not
     * tested here. */
    REPORT("lower the soft limit below the open fds", setrlimit(RLIMIT_NOFILE, &(struct rlimit){5, 10}));
    printf("open now: %s\n", open("/proc/self/maps", O_RDONLY) >= 0 ? "ok" : errname(errno));
    REPORT("soft above hard", setrlimit(RLIMIT_NOFILE, &(struct rlimit){30, 10}));
    REPORT("NOFILE above nr_open", setrlimit(RLIMIT_NOFILE, &(struct rlimit){1 << 21, 1 << 21}));
    REPORT("resource 99", syscall(SYS_prlimit64, 0, 99, NULL, &r));
    REPORT("prlimit64 of no such pid", syscall(SYS_prlimit64, NO_PID, RLIMIT_CORE, NULL, &r));
    struct rlimit old;
    REPORT("prlimit(getpid(), NOFILE)", prlimit(getpid(), RLIMIT_NOFILE, &(struct rlimit){8, 9}, &old));
    printf("old NOFILE %llu/%llu\n", (unsigned long long)old.rlim_cur, (unsigned long long)old.rlim_max);
    REPORT("setrlimit from a bad address", syscall(SYS_setrlimit, RLIMIT_CORE, (void *)8));
    getrlimit(RLIMIT_NOFILE, &r);
    printf("NOFILE now %llu/%llu\n", (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
    in_child(stack_overflow);
}

static void address_space_limits(void)
{
    REPORT("setrlimit(AS, 64 MiB)", setrlimit(RLIMIT_AS, &(struct rlimit){64 << 20, 64 << 20}));
    void *p = mmap(NULL, 128 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap 128 MiB under it: %s\n", p == MAP_FAILED ? errname(errno) : "ok");
    p = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap 1 MiB under it: %s\n", p == MAP_FAILED ? errname(errno) : "ok");
}

static void data_limits(void)
{
    REPORT("setrlimit(DATA, 1 MiB)", setrlimit(RLIMIT_DATA, &(struct rlimit){1 << 20, 1 << 20}));
    void *p = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("private writable 2 MiB: %s\n", p == MAP_FAILED ? errname(errno) : "ok");
    p = mmap(NULL, 2 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("read-only 2 MiB: %s\n", p == MAP_FAILED ? errname(errno) : "ok");
    p = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    printf("shared writable 2 MiB: %s\n", p == MAP_FAILED ? errname(errno) : "ok");
    void *before = sbrk(0);
    printf("sbrk(2 MiB): %s\n", sbrk(2 << 20) == (void *)-1 ? errname(errno) : "ok");
    printf("the break did not move: %s\n", yes(sbrk(0) == before));
}

static int depth(int n)
{
    volatile char pad[4096];
    pad[0] = n;
    return n == 0 ? pad[0] : depth(n - 1) + pad[0];
}

static void stack_overflow(void)
{
    setrlimit(RLIMIT_STACK, &(struct rlimit){256 << 10, 256 << 10});
    printf("64 KiB of stack under a 256 KiB limit: %d\n", depth(16) >= 0);
    fflush(stdout);
    depth(1024); /* 4 MiB: beyond the limit */
    printf("not reached\n");
}

static void names_and_scheduling(void)
{
    char name[32] = {0};
    prctl(PR_GET_NAME, name);
    printf("PR_GET_NAME: %s\n", name);
    REPORT("PR_SET_NAME", prctl(PR_SET_NAME, "a-rather-long-thread-name"));
    memset(name, 0, sizeof name);
    prctl(PR_GET_NAME, name);
    printf("PR_GET_NAME after: %s (%zu bytes)\n", name, strlen(name));
    REPORT("prctl(9999)", prctl(9999, 0, 0, 0, 0));
    cpu_set_t set;
    REPORT("sched_getaffinity", sched_getaffinity(0, sizeof set, &set));
    printf("CPU 0 in the mask: %s\n", yes(CPU_ISSET(0, &set)));
    REPORT("sched_getaffinity with 0 bytes", syscall(SYS_sched_getaffinity, 0, 0, &set));
    REPORT("sched_getaffinity with 7 bytes", syscall(SYS_sched_getaffinity, 0, 7, &set));
    REPORT("sched_getaffinity of no such pid", sched_getaffinity(NO_PID, sizeof set, &set));
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    REPORT("sched_setaffinity(CPU 0)", sched_setaffinity(0, sizeof set, &set));
    printf("priorities: FIFO %d..%d, RR %d..%d, OTHER %d..%d\n", sched_get_priority_min(SCHED_FIFO),
           sched_get_priority_max(SCHED_FIFO), sched_get_priority_min(SCHED_RR),
           sched_get_priority_max(SCHED_RR), sched_get_priority_min(SCHED_OTHER),
           sched_get_priority_max(SCHED_OTHER));
    REPORT("sched_get_priority_max(77)", sched_get_priority_max(77));
    printf("sched_getscheduler(0): %d\n", (int)syscall(SYS_sched_getscheduler, 0));
    REPORT("sched_getscheduler(no such pid)", syscall(SYS_sched_getscheduler, NO_PID));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    identity();
    system_info();
    randomness();
    limits();
    in_child(address_space_limits);
    in_child(data_limits);
    names_and_scheduling();
    return 0;
}
