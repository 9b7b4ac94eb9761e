/* futex(2) between processes through shared memory (threads come later), its timeouts and its
 * errors, compared with Linux. Waiters are forked children; the parent waits until each is
 * queued (a wake that returns 0 is retried) so the output does not depend on timing. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"

/* From linux/futex.h (musl-gcc has no kernel headers). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY 0xffffffff
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_OR 2
#define FUTEX_OP_ANDN 3
#define FUTEX_OP_XOR 4
#define FUTEX_OP_OPARG_SHIFT 8
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_NE 1
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP(op, oparg, cmp, cmparg)                                                       \
    ((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))

static long futex(uint32_t *uaddr, int op, uint32_t val, const void *timeout_or_val2,
                  uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

static const char *result(long r) { return r == -1 ? errname(errno) : "ok"; }

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void pause_ms(int ms)
{
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

/* Shared between the parent and its children. */
static uint32_t *shared;

/* Forks a child that waits on `word` (holding `val`) with `op` and `bitset`, then exits with
 * 0 if woken, 1 on ETIMEDOUT, 2 on anything else. */
static pid_t waiter(uint32_t *word, int op, uint32_t val, uint32_t bitset, const struct timespec *t)
{
    pid_t pid = fork();
    if (pid == 0) {
        long r = futex(word, op, val, t, NULL, bitset);
        _exit(r == 0 ? 0 : errno == ETIMEDOUT ? 1 : 2);
    }
    return pid;
}

/* Whether a minute has passed since `start` (ns): how long the loops below wait for children to
 * queue, which on a loaded machine may take them a while. */
static int minute_gone(long long start)
{
    return now_ns() - start > 60000000000LL;
}

/* Wakes waiters of `word` with `op` until `n` have been woken (each child needs time to queue). */
static long wake_until(uint32_t *word, int op, int n, uint32_t bitset)
{
    long total = 0;
    for (long long start = now_ns(); !minute_gone(start) && total < n;) {
        long r = futex(word, op, n - total, NULL, NULL, bitset);
        if (r < 0)
            return -1;
        total += r;
        if (total < n)
            pause_ms(2);
    }
    return total;
}

static int child_status(pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void errors(void)
{
    uint32_t word = 7;
    printf("FUTEX_WAIT on a changed value: %s\n", result(futex(&word, FUTEX_WAIT, 6, NULL, NULL, 0)));
    struct timespec t = {0, 20000000};
    long long start = now_ns();
    long r = futex(&word, FUTEX_WAIT_PRIVATE, 7, &t, NULL, 0);
    printf("FUTEX_WAIT with a 20 ms timeout: %s, waited 20 ms or more: %s\n", result(r),
           now_ns() - start >= 20000000 ? "yes" : "no");
    struct timespec past = {1, 0};
    printf("FUTEX_WAIT_BITSET until a time long past: %s\n",
           result(futex(&word, FUTEX_WAIT_BITSET, 7, &past, NULL, FUTEX_BITSET_MATCH_ANY)));
    printf("the same on CLOCK_REALTIME: %s\n",
           result(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 7, &past, NULL, ~0u)));
    printf("FUTEX_WAIT with FUTEX_CLOCK_REALTIME: %s\n",
           result(futex(&word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 7, &t, NULL, 0)));
    printf("FUTEX_WAIT_BITSET with bitset 0: %s\n",
           result(futex(&word, FUTEX_WAIT_BITSET, 7, NULL, NULL, 0)));
    printf("FUTEX_WAKE_BITSET with bitset 0: %s\n",
           result(futex(&word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0)));
    printf("FUTEX_WAIT at a misaligned address: %s\n",
           result(futex((uint32_t *)((char *)&word + 1), FUTEX_WAIT, 7, NULL, NULL, 0)));
    printf("FUTEX_WAIT at an unmapped address: %s\n",
           result(futex((uint32_t *)0x1000, FUTEX_WAIT, 7, NULL, NULL, 0)));
    printf("FUTEX_WAKE at an unmapped address: %s\n",
           result(futex((uint32_t *)0x1000, FUTEX_WAKE, 1, NULL, NULL, 0)));
    struct timespec bad = {0, 1000000000};
    printf("FUTEX_WAIT with tv_nsec = 1e9: %s\n",
           result(futex(&word, FUTEX_WAIT, 7, &bad, NULL, 0)));
    printf("FUTEX_WAIT with a bad timeout pointer: %s\n",
           result(futex(&word, FUTEX_WAIT, 7, (void *)8, NULL, 0)));
    printf("FUTEX_WAKE with nobody waiting: %ld\n", futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0));
    printf("operation 99: %s\n", result(futex(&word, 99, 0, NULL, NULL, 0)));
    printf("CMP_REQUEUE with a negative count: %s\n",
           result(futex(&word, FUTEX_CMP_REQUEUE, 1, (void *)-1L, &word, 7)));
    printf("CMP_REQUEUE on a changed value: %s\n",
           result(futex(&word, FUTEX_CMP_REQUEUE, 1, (void *)1L, &word, 6)));
    printf("set_tid_address returns the tid: %s\n",
           syscall(SYS_set_tid_address, NULL) == syscall(SYS_gettid) ? "yes" : "no");
}

static void across_processes(void)
{
    uint32_t *w = &shared[0];
    *w = 0;
    pid_t pid = waiter(w, FUTEX_WAIT, 0, 0, NULL);
    printf("FUTEX_WAKE woke the waiting child: %ld\n", wake_until(w, FUTEX_WAKE, 1, 0));
    printf("its FUTEX_WAIT returned: %d (0 = woken)\n", child_status(pid));

    /* A private futex names (address space, address): another process's wake does not reach it. */
    struct timespec t = {0, 100000000};
    pid = waiter(w, FUTEX_WAIT_PRIVATE, 0, 0, &t);
    pause_ms(20);
    printf("a private wake from another process wakes: %ld\n", futex(w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    printf("so the child timed out: %d (1 = ETIMEDOUT)\n", child_status(pid));
}

static void bitsets(void)
{
    uint32_t *w = &shared[1];
    *w = 0;
    pid_t a = waiter(w, FUTEX_WAIT_BITSET, 0, 1, NULL);
    pid_t b = waiter(w, FUTEX_WAIT_BITSET, 0, 2, NULL);
    printf("FUTEX_WAKE_BITSET(2) woke: %ld\n", wake_until(w, FUTEX_WAKE_BITSET, 1, 2));
    printf("the waiter with bitset 2 ended: %d\n", child_status(b));
    printf("FUTEX_WAKE_BITSET(4) woke: %ld\n", futex(w, FUTEX_WAKE_BITSET, 1, NULL, NULL, 4));
    printf("FUTEX_WAKE_BITSET(1) woke: %ld\n", wake_until(w, FUTEX_WAKE_BITSET, 1, 1));
    printf("the waiter with bitset 1 ended: %d\n", child_status(a));
}

static void requeue(void)
{
    uint32_t *f1 = &shared[2], *f2 = &shared[3];
    *f1 = 5;
    *f2 = 0;
    pid_t kids[3];
    for (int i = 0; i < 3; i++)
        kids[i] = waiter(f1, FUTEX_WAIT, 5, 0, NULL);
    /* Wait until all three are queued: a requeue of 0 to f1 itself counts them without waking. */
    long queued = 0;
    for (long long start = now_ns(); !minute_gone(start) && queued < 3;) {
        queued = futex(f1, FUTEX_CMP_REQUEUE, 0, (void *)100L, f1, 5);
        if (queued < 3)
            pause_ms(2);
    }
    printf("waiters queued on f1: %ld\n", queued);
    printf("CMP_REQUEUE(f1 -> f2, wake 1, move 10): %ld\n",
           futex(f1, FUTEX_CMP_REQUEUE, 1, (void *)10L, f2, 5));
    printf("FUTEX_WAKE(f1) now: %ld\n", futex(f1, FUTEX_WAKE, 10, NULL, NULL, 0));
    printf("FUTEX_WAKE(f2): %ld\n", futex(f2, FUTEX_WAKE, 10, NULL, NULL, 0));
    int ok = 0;
    for (int i = 0; i < 3; i++)
        ok += child_status(kids[i]) == 0;
    printf("children woken: %d\n", ok);
}

static void wake_op(void)
{
    uint32_t *w1 = &shared[4], *w2 = &shared[5];
    *w1 = 0;
    *w2 = 5;
    pid_t a = waiter(w2, FUTEX_WAIT, 5, 0, NULL);
    /* Wait for it to queue, counted by a requeue of nobody to w2 itself, before the wake-op
     * changes w2: a child that came to its FUTEX_WAIT after the change (a wake-op retried until
     * it woke someone, undone in between, left a window) would fail with EAGAIN. */
    for (long long start = now_ns(); !minute_gone(start);) {
        if (futex(w2, FUTEX_CMP_REQUEUE, 0, (void *)100L, w2, 5) >= 1)
            break;
        pause_ms(2);
    }
    /* FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 4): w2 += 3, wake on w2 if old > 4. */
    long r = futex(w1, FUTEX_WAKE_OP, 1, (void *)1L, w2, FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 4));
    printf("FUTEX_WAKE_OP(ADD 3, old > 4) woke: %ld, w2 is now %u\n", r, *w2);
    printf("the waiter on w2 ended: %d\n", child_status(a));
    r = futex(w1, FUTEX_WAKE_OP, 1, (void *)1L, w2, FUTEX_OP(FUTEX_OP_OR, 4, FUTEX_OP_CMP_EQ, 0));
    printf("FUTEX_WAKE_OP(OR 4, old == 0): %ld, w2 %u\n", r, *w2);
    r = futex(w1, FUTEX_WAKE_OP, 1, (void *)1L, w2,
              FUTEX_OP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 3, FUTEX_OP_CMP_NE, 0));
    printf("FUTEX_WAKE_OP(SET 1 << 3 with OPARG_SHIFT): %ld, w2 %u\n", r, *w2);
    r = futex(w1, FUTEX_WAKE_OP, 1, (void *)1L, w2, (7u << 28) | 1);
    printf("FUTEX_WAKE_OP with operation 7: %s, w2 %u\n", result(r), *w2);
    r = futex(w1, FUTEX_WAKE_OP, 1, (void *)1L, w2, FUTEX_OP(FUTEX_OP_ANDN, 8, 9, 0));
    printf("FUTEX_WAKE_OP with comparison 9: %s, w2 %u (the operation happened)\n", result(r), *w2);
    r = futex(w1, FUTEX_WAKE_OP, 1, (void *)1L, (uint32_t *)0x1000, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0));
    printf("FUTEX_WAKE_OP on an unmapped second word: %s\n", result(r));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    errors();
    across_processes();
    bitsets();
    requeue();
    wake_op();
    return 0;
}
