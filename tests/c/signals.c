/* Signals and process groups, compared with Linux: rt_sigaction and its flags, the signal frame
 * (siginfo, ucontext registers a handler may change), faults as signals, masks, pending sets,
 * sigaltstack, sigsuspend, pause, sigtimedwait, kill/tkill/tgkill, interrupted and restarted
 * wait4, SIGCHLD, stop and continue, process groups and sessions, execve's reset of handlers.
 * Deterministic output only: no pids, addresses or times (those go on "# " lines). Forks a
 * handful of children, never in a loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "waitstate.h"

/* A process id that no process has: above PID_MAX_LIMIT (4194304), the most Linux's pid_max can
 * be (systemd sets it that high), where 999999 may well name a process of the host. */
#define NO_PID 0x0ffffff0

static const char *err(int e) {
    switch (e) {
    case 0: return "ok";
    case EINVAL: return "EINVAL";
    case ESRCH: return "ESRCH";
    case EPERM: return "EPERM";
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    case ECHILD: return "ECHILD";
    case ENOMEM: return "ENOMEM";
    case EFAULT: return "EFAULT";
    case EACCES: return "EACCES";
    default: return "other";
    }
}

/* Prints "what: ret errno-name" for a call returning -1/errno. */
static void show(const char *what, long ret) {
    printf("%s: %ld %s\n", what, ret < 0 ? -1L : ret, ret < 0 ? err(errno) : "ok");
}

static volatile int hits, last_sig, last_code, last_pid_is_me, last_status, blocked_in_handler;
static volatile void *last_addr;

static void on_info(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    hits++;
    last_sig = sig;
    last_code = si->si_code;
    last_pid_is_me = si->si_pid == getpid();
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    blocked_in_handler = sigismember(&cur, sig) * 1 + sigismember(&cur, SIGUSR2) * 2;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL))
        printf("sigaction %d failed: %s\n", sig, err(errno));
}

static long raw_sigaction(long sig, void *act, void *old, long size) {
    return syscall(SYS_rt_sigaction, sig, act, old, size);
}

static void test_sigaction_errors(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    show("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL));
    show("sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL));
    show("sigaction query SIGKILL", sigaction(SIGKILL, NULL, &sa));
    long k[4] = {0};
    show("rt_sigaction sig 0", raw_sigaction(0, NULL, k, 8));
    show("rt_sigaction sig 65", raw_sigaction(65, NULL, k, 8));
    show("rt_sigaction size 4", raw_sigaction(SIGUSR1, NULL, k, 4));
    show("rt_sigaction bad act", raw_sigaction(SIGUSR1, (void *)16, NULL, 8));
    show("rt_sigaction sig 0, bad act", raw_sigaction(0, (void *)16, NULL, 8));
    show("rt_sigaction SIGKILL, bad oact", raw_sigaction(SIGKILL, NULL, (void *)16, 8));
    /* Unknown flag bits are dropped: a program can see which flags the kernel knows. */
    long act[4] = {(long)SIG_DFL, 0x00000400 /* SA_UNSUPPORTED */ | SA_RESTART, 0, 0};
    raw_sigaction(SIGUSR1, act, NULL, 8);
    raw_sigaction(SIGUSR1, NULL, k, 8);
    printf("flags kept: %#lx\n", k[1]);
    show("sigprocmask bad how", syscall(SYS_rt_sigprocmask, 7, k, NULL, 8));
    show("sigprocmask size 4", syscall(SYS_rt_sigprocmask, SIG_BLOCK, k, NULL, 4));
    show("sigpending size 9", syscall(SYS_rt_sigpending, k, 9));
    show("kill bad signal", kill(getpid(), 65));
    show("kill -1 signal", syscall(SYS_kill, getpid(), -1));
    show("kill no such pid", kill(NO_PID, 0));
    show("kill self 0", kill(getpid(), 0));
    show("kill INT_MIN", kill(-2147483647 - 1, 0));
    show("kill no such group", kill(-NO_PID, SIGUSR1));
    show("tkill tid 0", syscall(SYS_tkill, 0, SIGUSR1));
    show("tkill no such tid", syscall(SYS_tkill, NO_PID, 0));
    show("tgkill wrong group", syscall(SYS_tgkill, NO_PID, getpid(), 0));
    show("tgkill self 0", syscall(SYS_tgkill, getpid(), getpid(), 0));
    show("tgkill tgid 0", syscall(SYS_tgkill, 0, getpid(), 0));
}

static void test_delivery(void) {
    install(SIGUSR1, on_info, 0);
    hits = 0;
    raise(SIGUSR1);
    printf("raise: hits=%d sig=%d code=%d pid_is_me=%d self_blocked=%d\n", hits, last_sig,
           last_code, last_pid_is_me, blocked_in_handler & 1);
    kill(getpid(), SIGUSR1);
    printf("kill: hits=%d code=%d pid_is_me=%d\n", hits, last_code, last_pid_is_me);
    syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1);
    printf("tgkill: hits=%d code=%d\n", hits, last_code);

    /* Blocked: pending until unblocked; sigpending reports it. */
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigpending(&pend);
    printf("blocked: hits=%d pending=%d\n", hits, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    sigpending(&pend);
    printf("unblocked: hits=%d (one delivery for two sends) pending=%d\n", hits,
           sigismember(&pend, SIGUSR1));

    /* SIGKILL and SIGSTOP cannot be blocked. */
    sigset_t all, got;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &set);
    sigprocmask(SIG_SETMASK, &set, &got);
    printf("fill mask keeps out SIGKILL=%d SIGSTOP=%d, has SIGUSR2=%d\n", !sigismember(&got, SIGKILL),
           !sigismember(&got, SIGSTOP), sigismember(&got, SIGUSR2));

    /* sa_mask and SA_NODEFER. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("SA_NODEFER + sa_mask: self blocked=%d, SIGUSR2 blocked=%d\n", blocked_in_handler & 1,
           (blocked_in_handler >> 1) & 1);
    sigprocmask(SIG_BLOCK, NULL, &got);
    printf("after handler SIGUSR2 blocked=%d\n", sigismember(&got, SIGUSR2));

    /* SA_RESETHAND: the first delivery resets the action. */
    install(SIGUSR1, on_info, SA_RESETHAND);
    hits = 0;
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &sa);
    printf("SA_RESETHAND: hits=%d now default=%d\n", hits, sa.sa_handler == SIG_DFL);

    /* Ignored signals are dropped, even pending ones when the action changes to ignore. */
    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    sigpending(&pend);
    printf("ignored: pending=%d\n", sigismember(&pend, SIGUSR1));
    install(SIGUSR1, on_info, 0);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    signal(SIGUSR1, SIG_IGN);
    sigpending(&pend);
    printf("set to ignore while pending: pending=%d\n", sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    signal(SIGUSR1, SIG_DFL);
    /* Default-ignored SIGCHLD, SIGURG, SIGWINCH do nothing. */
    raise(SIGURG);
    raise(SIGWINCH);
    printf("default-ignored signals: still alive\n");
}

static sigjmp_buf jump;
static char *volatile page;

static void on_fault(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    last_sig = sig;
    last_code = si->si_code;
    last_addr = si->si_addr;
    if (++hits > 50) {
        printf("fault loop\n");
        _exit(3);
    }
    if (sig == SIGSEGV && si->si_addr == page + 8) {
        /* Fix the mapping and return: the faulting instruction runs again. */
        mprotect(page, 4096, PROT_READ | PROT_WRITE);
        return;
    }
    if (sig == SIGILL) {
        /* Skip the 2-byte ud2 and change rax: the program resumes where we say. */
        uc->uc_mcontext.gregs[REG_RIP] += 2;
        uc->uc_mcontext.gregs[REG_RAX] = 42;
        return;
    }
    if (sig == SIGTRAP) {
        /* The handler's own x87/SSE use must not leak into the interrupted code. */
        asm volatile("pcmpeqd %%xmm7, %%xmm7" : : : "xmm7");
        return;
    }
    siglongjmp(jump, 1);
}

static void test_faults(void) {
    install(SIGSEGV, on_fault, 0);
    install(SIGILL, on_fault, 0);
    install(SIGFPE, on_fault, 0);
    install(SIGTRAP, on_fault, 0);
    install(SIGBUS, on_fault, 0);

    hits = 0;
    if (!sigsetjmp(jump, 1))
        *(volatile int *)0 = 1;
    printf("NULL write: sig=%d code=%d addr_is_null=%d\n", last_sig, last_code, last_addr == NULL);
    if (!sigsetjmp(jump, 1))
        (void)*(volatile int *)(uintptr_t)0x1000;
    printf("unmapped read: sig=%d code=%d addr_ok=%d\n", last_sig, last_code,
           last_addr == (void *)0x1000);

    page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    page[8] = 7; /* SEGV_ACCERR; the handler makes it writable and the write is redone */
    printf("read-only write: sig=%d code=%d addr_ok=%d value=%d\n", last_sig, last_code,
           last_addr == page + 8, page[8]);
    munmap(page, 4096);

    /* A signal mask restored by siglongjmp: SIGSEGV is not left blocked. */
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("after siglongjmp SIGSEGV blocked=%d\n", sigismember(&cur, SIGSEGV));

    if (!sigsetjmp(jump, 1))
        asm volatile("xor %%edx, %%edx\n\tmov $1, %%eax\n\txor %%ecx, %%ecx\n\tdivl %%ecx"
                     : : : "eax", "ecx", "edx", "memory");
    printf("divide by zero: sig=%d code=%d\n", last_sig, last_code);

    long rax;
    asm volatile("mov $1, %%eax\n\tud2\n\t" : "=a"(rax) : : "memory");
    printf("ud2: sig=%d code=%d handler set rax=%ld\n", last_sig, last_code, rax);

    asm volatile("int3");
    printf("int3: sig=%d code=%d\n", last_sig, last_code);
    unsigned long long before = 0x1234567890abcdefULL, after;
    asm volatile("movq %1, %%xmm7\n\tint3\n\tmovq %%xmm7, %0" : "=r"(after) : "r"(before) : "xmm7");
    printf("xmm7 kept across a handler that changed it: %d\n", after == before);

    /* BUS: a file page beyond the end of the file is not available here; a general-protection
     * fault gives SIGSEGV with SI_KERNEL and no address. */
    if (!sigsetjmp(jump, 1))
        asm volatile("hlt");
    printf("hlt (privileged): sig=%d code=%d addr_is_null=%d\n", last_sig, last_code,
           last_addr == NULL);
    printf("fault handler ran %d times\n", hits);
}

static char altstack[16384];
static volatile int on_alt, alt_flags_inside;
static void on_usr1(int sig);

static void on_alt_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    char here;
    on_alt = &here >= altstack && &here < altstack + sizeof altstack;
    stack_t cur;
    sigaltstack(NULL, &cur);
    alt_flags_inside = cur.ss_flags;
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    errno = 0;
    sigaltstack(&ss, NULL);
    last_code = errno;
}

static void test_altstack(void) {
    stack_t ss = {.ss_sp = altstack, .ss_size = 1024}, old;
    show("sigaltstack too small", sigaltstack(&ss, NULL));
    ss.ss_flags = 77;
    ss.ss_size = sizeof altstack;
    show("sigaltstack bad flags", sigaltstack(&ss, NULL));
    show("sigaltstack bad pointer", syscall(SYS_sigaltstack, 8, NULL));
    sigaltstack(NULL, &old);
    printf("initial: flags=%d size=%zu\n", old.ss_flags, old.ss_size);
    ss.ss_flags = 0;
    show("sigaltstack set", sigaltstack(&ss, NULL));
    sigaltstack(NULL, &old);
    printf("set: flags=%d size_ok=%d sp_ok=%d\n", old.ss_flags, old.ss_size == sizeof altstack,
           old.ss_sp == altstack);
    install(SIGUSR2, on_alt_handler, SA_ONSTACK);
    raise(SIGUSR2);
    printf("SA_ONSTACK handler: on alt stack=%d flags inside=%d change inside=%s\n", on_alt,
           alt_flags_inside, err(last_code));
    install(SIGUSR2, on_alt_handler, 0);
    raise(SIGUSR2);
    printf("without SA_ONSTACK: on alt stack=%d\n", on_alt);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    sigaltstack(NULL, &old);
    printf("disabled: flags=%d size=%zu\n", old.ss_flags, old.ss_size);
    signal(SIGUSR2, SIG_DFL);
}

static volatile int chld_code, chld_status, chld_hits;
/* The sender, compared after the wait: the child may end (and the handler run) before fork has
 * returned in the parent and expected_child is set. */
static volatile pid_t chld_pid;
static pid_t expected_child;

static void on_chld(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    chld_hits++;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid = si->si_pid;
}

static void on_usr1(int sig) { (void)sig; hits++; }

static void on_usr1_say(int sig) {
    (void)sig;
    write(1, "handler without SA_RESTORER ran\n", 32);
}

static void on_overflow(int sig) {
    (void)sig;
    _exit(42);
}

static volatile int deeper = 1;

static int recurse(int n) {
    volatile char pad[1024];
    pad[0] = (char)n;
    return deeper ? recurse(n + 1) + pad[0] : 0;
}

static void wait_interrupted(int restart) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR1, &sa, NULL);
    hits = 0;
    int go[2];
    pipe(go);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        close(go[1]);
        /* The signal comes while the parent sleeps in waitpid, however late either of them
         * runs on a loaded machine. */
        wait_until_asleep(parent);
        kill(parent, SIGUSR1);
        /* Without SA_RESTART the child stays until the parent has seen waitpid fail: a child
         * already gone would be what waitpid returns instead of EINTR. */
        if (!restart) {
            char c;
            read(go[0], &c, 1);
        }
        _exit(7);
    }
    close(go[0]);
    int status = 0;
    errno = 0;
    pid_t got = waitpid(child, &status, 0);
    printf("%s: waitpid=%s errno=%s handler ran=%d", restart ? "SA_RESTART" : "no SA_RESTART",
           got == child ? "child" : got < 0 ? "-1" : "other", err(errno), hits);
    close(go[1]);
    if (got < 0)
        got = waitpid(child, &status, 0);
    printf(" then status=%d\n", WEXITSTATUS(status));
}

static void test_children(void) {
    pid_t c0;
    wait_interrupted(0);
    wait_interrupted(1);

    /* SIGCHLD with siginfo. */
    install(SIGCHLD, on_chld, SA_RESTART);
    chld_hits = 0;
    expected_child = fork();
    if (expected_child == 0)
        _exit(5);
    int status;
    waitpid(expected_child, &status, 0);
    printf("SIGCHLD exit: hits=%d code=%d status=%d pid_ok=%d\n", chld_hits, chld_code,
           chld_status, chld_pid == expected_child);
    expected_child = fork();
    if (expected_child == 0) {
        signal(SIGTERM, SIG_DFL);
        raise(SIGTERM);
        _exit(1);
    }
    waitpid(expected_child, &status, 0);
    printf("SIGCHLD kill: code=%d status=%d; wait: signaled=%d sig=%d\n", chld_code, chld_status,
           WIFSIGNALED(status), WTERMSIG(status));

    /* Stop and continue. */
    expected_child = fork();
    if (expected_child == 0) {
        for (;;)
            pause();
    }
    kill(expected_child, SIGSTOP);
    pid_t got = waitpid(expected_child, &status, WUNTRACED);
    printf("stopped: ok=%d WIFSTOPPED=%d sig=%d; SIGCHLD code=%d status=%d\n",
           got == expected_child, WIFSTOPPED(status), WSTOPSIG(status), chld_code, chld_status);
    printf("again WNOHANG|WUNTRACED: %d\n", waitpid(expected_child, &status, WNOHANG | WUNTRACED));
    kill(expected_child, SIGCONT);
    got = waitpid(expected_child, &status, WCONTINUED);
    /* Linux sends CLD_CONTINUED once the child runs again, possibly after wait saw it: wait for
     * it by the clock (the child may take a while to get a CPU on a loaded machine). */
    struct timespec since, now;
    clock_gettime(CLOCK_MONOTONIC, &since);
    do {
        if (chld_code == CLD_CONTINUED)
            break;
        usleep(1000);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - since.tv_sec < 60);
    printf("continued: ok=%d WIFCONTINUED=%d; SIGCHLD code=%d status=%d\n", got == expected_child,
           WIFCONTINUED(status), chld_code, chld_status);
    kill(expected_child, SIGKILL);
    waitpid(expected_child, &status, 0);
    printf("killed: sig=%d\n", WTERMSIG(status));

    /* SA_NOCLDSTOP: no SIGCHLD for a stop. */
    install(SIGCHLD, on_chld, SA_RESTART | SA_NOCLDSTOP);
    chld_hits = 0;
    expected_child = fork();
    if (expected_child == 0) {
        for (;;)
            pause();
    }
    kill(expected_child, SIGTSTP);
    waitpid(expected_child, &status, WUNTRACED);
    printf("SA_NOCLDSTOP: stopped by %d, SIGCHLD hits=%d\n", WSTOPSIG(status), chld_hits);
    kill(expected_child, SIGKILL);
    waitpid(expected_child, &status, 0);
    printf("then killed while stopped: sig=%d hits=%d\n", WTERMSIG(status), chld_hits);

    /* fork: handlers and the mask are inherited, pending signals are not. */
    install(SIGUSR1, on_info, 0);
    sigset_t usr1, pend;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    raise(SIGUSR1);
    c0 = fork();
    if (c0 == 0) {
        sigpending(&pend);
        sigset_t m;
        sigprocmask(SIG_BLOCK, NULL, &m);
        printf("child: pending SIGUSR1=%d, blocked SIGUSR1=%d", sigismember(&pend, SIGUSR1),
               sigismember(&m, SIGUSR1));
        hits = 0;
        sigprocmask(SIG_UNBLOCK, &usr1, NULL);
        raise(SIGUSR1);
        printf(", inherited handler ran=%d\n", hits);
        _exit(0);
    }
    waitpid(c0, NULL, 0);
    hits = 0;
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    printf("parent: its pending SIGUSR1 delivered=%d\n", hits);
    signal(SIGUSR1, SIG_DFL);

    /* waitid: siginfo results, WNOWAIT, WNOHANG, WSTOPPED. */
    signal(SIGCHLD, SIG_DFL);
    siginfo_t wi;
    c0 = fork();
    if (c0 == 0)
        _exit(9);
    memset(&wi, 0xff, sizeof wi);
    int r = waitid(P_PID, c0, &wi, WEXITED | WNOWAIT);
    printf("waitid WNOWAIT: %d signo=%d code=%d status=%d pid_ok=%d\n", r, wi.si_signo, wi.si_code,
           wi.si_status, wi.si_pid == c0);
    r = waitid(P_PID, c0, &wi, WEXITED);
    printf("waitid again: %d code=%d status=%d pid_ok=%d\n", r, wi.si_code, wi.si_status,
           wi.si_pid == c0);
    show("waitid reaped", waitid(P_PID, c0, &wi, WEXITED));
    show("waitid no options", waitid(P_ALL, 0, &wi, 0));
    show("waitid pid 0", waitid(P_PID, 0, &wi, WEXITED));
    show("waitid bad idtype", waitid(7, 0, &wi, WEXITED));
    c0 = fork();
    if (c0 == 0) {
        for (;;)
            pause();
    }
    memset(&wi, 0xff, sizeof wi);
    r = waitid(P_PID, c0, &wi, WEXITED | WNOHANG);
    printf("waitid WNOHANG, nothing yet: %d signo=%d pid=%d\n", r, wi.si_signo, wi.si_pid);
    kill(c0, SIGSTOP);
    r = waitid(P_ALL, 0, &wi, WSTOPPED);
    printf("waitid WSTOPPED: %d code=%d status=%d\n", r, wi.si_code, wi.si_status);
    kill(c0, SIGKILL);
    r = waitid(P_PGID, 0, &wi, WEXITED);
    printf("waitid P_PGID 0 after SIGKILL: %d code=%d status=%d\n", r, wi.si_code, wi.si_status);

    /* Ignored SIGCHLD: children are reaped at once; wait finds none. */
    signal(SIGCHLD, SIG_IGN);
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    errno = 0;
    got = waitpid(-1, &status, 0);
    printf("SIGCHLD ignored: waitpid=%d errno=%s\n", got, err(errno));
    signal(SIGCHLD, SIG_DFL);

    /* A fault with SIGSEGV blocked kills, whatever the handler. */
    c = fork();
    if (c == 0) {
        install(SIGSEGV, on_fault, 0);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGSEGV);
        sigprocmask(SIG_BLOCK, &s, NULL);
        *(volatile int *)0 = 1;
        _exit(0);
    }
    waitpid(c, &status, 0);
    printf("fault with SIGSEGV blocked: signaled=%d sig=%d\n", WIFSIGNALED(status),
           WTERMSIG(status));
    c = fork();
    if (c == 0) {
        abort();
    }
    waitpid(c, &status, 0);
    printf("abort: sig=%d\n", WTERMSIG(status));

    /* rt_sigreturn with an unreadable frame, or one resuming at a non-canonical address: SIGSEGV. */
    c = fork();
    if (c == 0) {
        signal(SIGSEGV, SIG_DFL);
        asm volatile("mov $0x1000, %%rsp\n\tmov $15, %%eax\n\tsyscall" : : : "memory");
        _exit(0);
    }
    waitpid(c, &status, 0);
    printf("rt_sigreturn with a bad frame: sig=%d\n", WTERMSIG(status));
    c = fork();
    if (c == 0) {
        static unsigned long frame[64];
        signal(SIGSEGV, SIG_DFL);
        frame[1 + 5 + 16] = 0x8000000000000000UL; /* uc_mcontext.rip */
        frame[1 + 5 + 15] = (unsigned long)&frame[32]; /* uc_mcontext.rsp */
        asm volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall" : : "r"(&frame[1]) : "memory");
        _exit(0);
    }
    waitpid(c, &status, 0);
    printf("rt_sigreturn to a non-canonical rip: sig=%d\n", WTERMSIG(status));

    /* A handler without SA_RESTORER never runs on x86_64: delivery fails with SIGSEGV. */
    c = fork();
    if (c == 0) {
        signal(SIGSEGV, SIG_DFL);
        long act[4] = {(long)on_usr1_say, 0, 0, 0};
        raw_sigaction(SIGUSR1, act, NULL, 8);
        raise(SIGUSR1);
        _exit(0);
    }
    waitpid(c, &status, 0);
    printf("handler without SA_RESTORER: sig=%d\n", WTERMSIG(status));

    /* Stack overflow: a SIGSEGV handler runs on the alternate stack; without one, death. */
    for (int alt = 1; alt >= 0; alt--) {
        c = fork();
        if (c == 0) {
            if (alt) {
                stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
                sigaltstack(&ss, NULL);
            }
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_overflow;
            sa.sa_flags = SA_ONSTACK;
            sigaction(SIGSEGV, &sa, NULL);
            recurse(1);
            _exit(0);
        }
        waitpid(c, &status, 0);
        printf("stack overflow %s: exited=%d code=%d signaled=%d sig=%d\n",
               alt ? "with an alternate stack" : "without", WIFEXITED(status), WEXITSTATUS(status),
               WIFSIGNALED(status), WTERMSIG(status));
    }
}

static void test_waiting(void) {
    /* sigsuspend: the mask is swapped for the wait and restored after the handler. */
    sigset_t block, empty, cur;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigprocmask(SIG_BLOCK, &block, NULL);
    hits = 0;
    /* Each child signals once the parent sleeps in the call (for pause, a signal that came
     * before it would be handled first and leave pause waiting for ever). */
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        wait_until_asleep(parent);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    errno = 0;
    int r = sigsuspend(&empty);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("sigsuspend: %d %s hits=%d mask restored=%d\n", r, err(errno), hits,
           sigismember(&cur, SIGUSR1));
    waitpid(c, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    /* pause */
    c = fork();
    if (c == 0) {
        wait_until_asleep(parent);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    errno = 0;
    r = pause();
    printf("pause: %d %s hits=%d\n", r, err(errno), hits);
    waitpid(c, NULL, 0);

    /* sigtimedwait takes a pending signal without its handler. */
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    siginfo_t si;
    struct timespec zero = {0, 0}, short_wait = {0, 20 * 1000 * 1000};
    r = sigtimedwait(&block, &si, &zero);
    printf("sigtimedwait pending: %d code=%d hits=%d\n", r, si.si_code, hits);
    errno = 0;
    r = sigtimedwait(&block, &si, &zero);
    printf("sigtimedwait none, zero timeout: %d %s\n", r, err(errno));
    errno = 0;
    r = sigtimedwait(&block, &si, &short_wait);
    printf("sigtimedwait none, 20 ms: %d %s\n", r, err(errno));
    struct timespec bad = {0, 1000000000};
    errno = 0;
    r = sigtimedwait(&block, &si, &bad);
    printf("sigtimedwait bad timeout: %d %s\n", r, err(errno));
    c = fork();
    if (c == 0) {
        wait_until_asleep(parent);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    r = sigtimedwait(&block, &si, NULL);
    printf("sigtimedwait from child: %d code=%d pid_ok=%d\n", r, si.si_code, si.si_pid == c);
    waitpid(c, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
}

static void test_groups(void) {
    int status;
    show("getpgid no such pid", getpgid(NO_PID));
    show("getsid no such pid", getsid(NO_PID));
    show("setpgid negative", setpgid(0, -1));
    show("setpgid no such group", setpgid(0, NO_PID));
    show("setpgid no such pid", setpgid(NO_PID, 0));
    printf("getpgrp == getpgid(0): %d\n", getpgrp() == getpgid(0));
    pid_t c = fork();
    if (c == 0) {
        pid_t me = getpid();
        printf("child: setsid gives its pid=%d\n", setsid() == me);
        printf("child: getsid=%d getpgrp=%d\n", getsid(0) == me, getpgrp() == me);
        show("child: setsid again", setsid());
        show("child: setpgid as session leader", setpgid(0, 0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, &status, 0);
    show("setpgid on child in another session", setpgid(c, c));

    c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    show("setpgid child to own group", setpgid(c, c));
    printf("child pgid is its pid=%d, sid same as ours=%d\n", getpgid(c) == c,
           getsid(c) == getsid(0));
    pid_t c2 = fork();
    if (c2 == 0) {
        for (;;)
            pause();
    }
    show("setpgid second child into that group", setpgid(c2, c));
    show("kill group 0 signal", kill(-c, 0));
    kill(-c, SIGTERM);
    int n = 0;
    pid_t got;
    while ((got = waitpid(-c, &status, 0)) > 0)
        n += WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
    printf("kill(-pgid): %d children got SIGTERM, then waitpid(-pgid): %s\n", n, err(errno));

    /* waitpid(0): only children in the caller's group. */
    c = fork();
    if (c == 0) {
        setpgid(0, 0);
        _exit(3);
    }
    setpgid(c, c);
    c2 = fork();
    if (c2 == 0)
        _exit(4);
    got = waitpid(0, &status, 0);
    printf("waitpid(0) got the child in our group: %d status=%d\n", got == c2, WEXITSTATUS(status));
    got = waitpid(-1, &status, 0);
    printf("then waitpid(-1) the other: %d status=%d\n", got == c, WEXITSTATUS(status));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "kill-minus-one")) {
        /* Only in the kernel, never natively: kill(-1) reaches every process but init and the
         * caller. */
        pid_t a = fork();
        if (a == 0)
            for (;;)
                pause();
        pid_t b = fork();
        if (b == 0)
            for (;;)
                pause();
        sched_yield();
        show("kill(-1, SIGTERM)", kill(-1, SIGTERM));
        int st, n = 0;
        while (waitpid(-1, &st, 0) > 0)
            n += WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
        printf("children killed by SIGTERM: %d; the caller survives\n", n);
        show("kill(-1, 0) with nobody left", kill(-1, 0));
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "after-exec")) {
        struct sigaction sa;
        sigaction(SIGUSR1, NULL, &sa);
        printf("after execve: SIGUSR1 ignored=%d", sa.sa_handler == SIG_IGN);
        sigaction(SIGUSR2, NULL, &sa);
        printf(" SIGUSR2 default=%d", sa.sa_handler == SIG_DFL);
        sigset_t pend, cur;
        sigpending(&pend);
        sigprocmask(SIG_BLOCK, NULL, &cur);
        printf(" SIGHUP still pending=%d blocked=%d", sigismember(&pend, SIGHUP),
               sigismember(&cur, SIGHUP));
        stack_t old;
        sigaltstack(NULL, &old);
        printf(" altstack flags=%d\n", old.ss_flags);
        return 0;
    }
    test_sigaction_errors();
    test_delivery();
    test_faults();
    test_altstack();
    test_children();
    test_waiting();
    test_groups();

    /* execve: handlers reset, ignored stays ignored, mask and pending kept, altstack cleared. */
    signal(SIGUSR1, SIG_IGN);
    install(SIGUSR2, on_info, 0);
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(SIG_BLOCK, &hup, NULL);
    raise(SIGHUP);
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    char *args[] = {argv[0], "after-exec", NULL};
    execv(argv[0], args);
    printf("execv failed: %s\n", err(errno));
    return 1;
}
