/* System V semaphores against Linux: semget by key and IPC_PRIVATE with its limits and errors,
 * semop and semtimedop (all operations or none, IPC_NOWAIT, ERANGE, EFBIG, E2BIG, a timeout,
 * duplicate semaphores in one call), semctl's GETVAL, SETVAL, GETALL, SETALL, GETPID, GETNCNT,
 * GETZCNT, IPC_STAT, SEM_STAT, SEM_STAT_ANY, IPC_SET, IPC_RMID, IPC_INFO and SEM_INFO; then
 * with a child or two: the order in which waiters wake, a wait for zero, a call of two
 * operations waiting on one and then the other, EIDRM, EINTR (not restarted, even with
 * SA_RESTART, and after a stop and a continue), SEM_UNDO at a child's exit (capped at 0, waking a
 * waiter, cleared by SETVAL) and an undo list shared by CLONE_SYSVSEM and by threads. The host's IPC namespace is shared with other tests:
 * keys come from the pid, ids are never printed, and every set is removed. Every line's place is
 * forced by waitpid or by the semaphores themselves (GETNCNT, GETZCNT), never by a sleep. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

static int sets[16];
static int nsets;

/* A new private set of `n` semaphores, remembered for removal. */
static int new_set(int n)
{
    int id = semget(IPC_PRIVATE, n, 0600);
    if (id < 0) {
        printf("FAIL: semget: %s\n", errname(errno));
        exit(1);
    }
    sets[nsets++] = id;
    return id;
}

static void remove_all(void)
{
    for (int i = 0; i < nsets; i++)
        semctl(sets[i], 0, IPC_RMID);
    nsets = 0;
}

static int op(int id, unsigned short num, short delta, short flags)
{
    struct sembuf sop = {num, delta, flags};
    return semop(id, &sop, 1);
}

static void show_all(const char *what, int id, int n)
{
    unsigned short vals[8];
    if (semctl(id, 0, GETALL, (union semun){.array = vals}) != 0) {
        printf("%s: GETALL -1 %s\n", what, errname(errno));
        return;
    }
    printf("%s:", what);
    for (int i = 0; i < n; i++)
        printf(" %u", vals[i]);
    printf("\n");
}

/* Waits until `cmd` (GETNCNT or GETZCNT) of semaphore `num` is `want`: a child is asleep. */
static void wait_count(int id, int num, int cmd, int want)
{
    for (int i = 0; i < 100000; i++) {
        int n = semctl(id, num, cmd);
        if (n == want)
            return;
        if (n < 0) {
            printf("FAIL: count: %s\n", errname(errno));
            return;
        }
        usleep(1000);
    }
    printf("FAIL: count of semaphore %d never reached %d\n", num, want);
}

/* Waits for `pid` and says how it ended: its exit code as an errno name. */
static void reap(const char *who, pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        printf("%s: waitpid -1 %s\n", who, errname(errno));
        return;
    }
    if (WIFEXITED(status))
        printf("%s: %s\n", who, errname(WEXITSTATUS(status)));
    else
        printf("%s: signal %d\n", who, WTERMSIG(status));
}

/* A child that does one operation and exits with its errno (0 if it succeeded). */
static pid_t child_op(int id, unsigned short num, short delta, short flags)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(op(id, num, delta, flags) == 0 ? 0 : errno);
    return pid;
}

static void errors(void)
{
    printf("-- semget\n");
    CHECK(semget(IPC_PRIVATE, 0, 0600));
    CHECK(semget(IPC_PRIVATE, -1, 0600));
    CHECK(semget(IPC_PRIVATE, 32001, 0600));
    key_t key = 0x5e000000 | (getpid() & 0xffffff);
    CHECK(semget(key, 1, 0600));
    int id = semget(key, 3, 0600 | IPC_CREAT | IPC_EXCL);
    CHECK(id >= 0);
    sets[nsets++] = id;
    CHECK(semget(key, 3, 0600 | IPC_CREAT | IPC_EXCL));
    CHECK(semget(key, 4, 0600));
    CHECK(semget(key, 2, 0600) == id);
    CHECK(semget(key, 0, 0) == id);
    CHECK(semget(key, 3, 0600 | IPC_CREAT) == id);

    printf("-- semctl errors\n");
    CHECK(semctl(-1, 0, GETVAL));
    CHECK(semctl(0x7ffffff0, 0, GETVAL));
    CHECK(semctl(id, 0, 9999));
    CHECK(semctl(id, 3, GETVAL));
    CHECK(semctl(id, -1, GETVAL));
    CHECK(semctl(id, 0, SETVAL, (union semun){.val = -1}));
    CHECK(semctl(id, 0, SETVAL, (union semun){.val = 32768}));
    CHECK(semctl(id, 3, SETVAL, (union semun){.val = 1}));
    CHECK(semctl(id, 0, GETALL, (union semun){.array = (void *)8}));
    CHECK(semctl(id, 0, IPC_STAT, (union semun){.buf = (void *)8}));
    unsigned short big[3] = {1, 40000, 2};
    CHECK(semctl(id, 0, SETALL, (union semun){.array = big}));
    show_all("after a bad SETALL", id, 3);

    printf("-- semop errors\n");
    struct sembuf ops[501];
    memset(ops, 0, sizeof ops);
    CHECK(semop(id, ops, 0));
    CHECK(semop(-1, ops, 1));
    CHECK(semop(id, ops, 501));
    CHECK(semop(id, NULL, 1));
    CHECK(semop(0x7ffffff0, ops, 1));
    CHECK(op(id, 3, 1, 0));
    CHECK(op(id, 0, -1, IPC_NOWAIT));
    CHECK(semctl(id, 0, SETVAL, (union semun){.val = 32767}));
    CHECK(op(id, 0, 1, 0));
    CHECK(op(id, 0, 0, IPC_NOWAIT));
    struct timespec bad = {0, 1000000000};
    CHECK(semtimedop(id, ops, 1, &bad));
    CHECK(semtimedop(id, ops, 1, (void *)8));
    struct timespec soon = {0, 10000000};
    CHECK(semtimedop(id, ops, 1, &soon));
    struct sembuf dec = {1, -1, 0};
    CHECK(semtimedop(id, &dec, 1, &soon));
    CHECK(semctl(id, 0, SETVAL, (union semun){.val = 0}));

    printf("-- all or nothing\n");
    struct sembuf two[2] = {{0, 1, 0}, {1, -1, IPC_NOWAIT}};
    CHECK(semop(id, two, 2));
    show_all("after EAGAIN", id, 3);
    CHECK(semctl(id, 1, SETVAL, (union semun){.val = 1}));
    struct sembuf over[3] = {{0, 5, 0}, {2, 3, 0}, {1, 32767, 0}};
    CHECK(semop(id, over, 3));
    show_all("after ERANGE", id, 3);
    struct sembuf dup[3] = {{0, 2, 0}, {0, -1, 0}, {0, -1, 0}};
    CHECK(semop(id, dup, 3));
    struct sembuf dup2[2] = {{1, 1, 0}, {1, -3, IPC_NOWAIT}};
    CHECK(semop(id, dup2, 2));
    show_all("after duplicates", id, 3);
    struct sembuf many[3] = {{0, 4, 0}, {1, 1, 0}, {2, 2, 0}};
    CHECK(semop(id, many, 3));
    show_all("after three", id, 3);

    printf("-- SEM_UNDO range\n");
    int u = new_set(1);
    CHECK(semctl(u, 0, SETVAL, (union semun){.val = 32767}));
    CHECK(op(u, 0, -32767, SEM_UNDO));
    CHECK(op(u, 0, 1, 0));
    CHECK(op(u, 0, -1, SEM_UNDO));
    CHECK(semctl(u, 0, GETVAL));
    CHECK(semctl(u, 0, SETVAL, (union semun){.val = 0}));
    CHECK(op(u, 0, 32767, SEM_UNDO));
    CHECK(semctl(u, 0, SETVAL, (union semun){.val = 0}));

    printf("-- semctl\n");
    unsigned short vals[3] = {7, 0, 32767};
    CHECK(semctl(id, 0, SETALL, (union semun){.array = vals}));
    show_all("after SETALL", id, 3);
    CHECK(semctl(id, 0, GETVAL));
    CHECK(semctl(id, 2, GETVAL));
    CHECK(semctl(id, 1, GETPID) == getpid());
    CHECK(semctl(id, 1, GETNCNT));
    CHECK(semctl(id, 1, GETZCNT));
    struct semid_ds ds;
    CHECK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
    printf("  nsems %lu mode %o key %s uid %u cuid %u otime %s ctime %s\n",
           (unsigned long)ds.sem_nsems, ds.sem_perm.mode,
           ds.sem_perm.__key == key ? "ours" : "other", ds.sem_perm.uid, ds.sem_perm.cuid,
           ds.sem_otime ? "set" : "never", ds.sem_ctime ? "set" : "never");
    ds.sem_perm.mode = 0640;
    CHECK(semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
    struct semid_ds after;
    CHECK(semctl(id, 0, IPC_STAT, (union semun){.buf = &after}));
    printf("  mode %o\n", after.sem_perm.mode);
    ds.sem_perm.uid = (uid_t)-1;
    CHECK(semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
    CHECK(semctl(id & 0x7fff, 0, SEM_STAT, (union semun){.buf = &after}) == id);
    CHECK(semctl(id & 0x7fff, 0, SEM_STAT_ANY, (union semun){.buf = &after}) == id);
    printf("  SEM_STAT nsems %lu\n", (unsigned long)after.sem_nsems);
    struct seminfo info;
    long max = semctl(0, 0, IPC_INFO, (union semun){.__buf = &info});
    printf("# IPC_INFO returns %ld\n", max);
    printf("IPC_INFO: semmsl %d semmns %d semopm %d semmni %d semvmx %d semaem %d semume %d "
           "semusz %d semmnu %d semmap %d\n",
           info.semmsl, info.semmns, info.semopm, info.semmni, info.semvmx, info.semaem,
           info.semume, info.semusz, info.semmnu, info.semmap);
    CHECK(semctl(0, 0, SEM_INFO, (union semun){.__buf = &info}) >= 0);
    printf("SEM_INFO: sets in use %s, semaphores %s\n", info.semusz >= 2 ? ">= 2" : "too few",
           info.semaem >= 4 ? ">= 4" : "too few");

    printf("-- another user\n");
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(1000) != 0 || setuid(1000) != 0)
            _exit(1);
        CHECK(op(id, 0, -1, 0));
        CHECK(op(id, 0, 0, IPC_NOWAIT));
        CHECK(semctl(id, 0, GETVAL));
        CHECK(semctl(id, 0, SETVAL, (union semun){.val = 1}));
        CHECK(semctl(id, 0, IPC_STAT, (union semun){.buf = &after}));
        CHECK(semctl(id & 0x7fff, 0, SEM_STAT, (union semun){.buf = &after}));
        CHECK(semctl(id & 0x7fff, 0, SEM_STAT_ANY, (union semun){.buf = &after}) == id);
        CHECK(semctl(id, 0, IPC_SET, (union semun){.buf = &after}));
        CHECK(semctl(id, 0, IPC_RMID));
        CHECK(semget(key, 1, 0600));
        CHECK(semget(key, 1, 0) == id);
        _exit(0);
    }
    reap("another user", pid);

    printf("-- IPC_RMID\n");
    CHECK(semctl(id, 0, IPC_RMID));
    CHECK(semctl(id, 0, IPC_RMID));
    CHECK(semctl(id, 0, GETVAL));
    CHECK(op(id, 0, 1, 0));
    CHECK(semget(key, 1, 0600));
    sets[0] = -1;
    remove_all();
}

/* Two children wait to take one; two posts wake them in the order they came. */
static void wake_order(void)
{
    printf("-- wake-up order\n");
    int id = new_set(1);
    pid_t first = child_op(id, 0, -1, 0);
    wait_count(id, 0, GETNCNT, 1);
    pid_t second = child_op(id, 0, -1, 0);
    wait_count(id, 0, GETNCNT, 2);
    CHECK(semctl(id, 0, GETNCNT));
    CHECK(op(id, 0, 1, 0));
    int status;
    pid_t done = waitpid(-1, &status, 0);
    printf("the first to finish: %s\n", done == first ? "the first" : "the second");
    CHECK(semctl(id, 0, GETNCNT));
    CHECK(op(id, 0, 1, 0));
    reap("the other", done == first ? second : first);
    CHECK(semctl(id, 0, GETVAL));
    CHECK(semctl(id, 0, GETPID) == getpid());

    printf("-- wait for zero\n");
    CHECK(semctl(id, 0, SETVAL, (union semun){.val = 2}));
    pid_t zero = child_op(id, 0, 0, 0);
    wait_count(id, 0, GETZCNT, 1);
    CHECK(semctl(id, 0, GETZCNT));
    CHECK(op(id, 0, -1, 0));
    CHECK(semctl(id, 0, GETZCNT));
    CHECK(op(id, 0, -1, 0));
    reap("waiter for zero", zero);
    CHECK(semctl(id, 0, GETZCNT));

    printf("-- two operations, one at a time\n");
    int two = new_set(2);
    pid_t pid = fork();
    if (pid == 0) {
        struct sembuf ops[2] = {{0, -1, 0}, {1, -1, 0}};
        _exit(semop(two, ops, 2) == 0 ? 0 : errno);
    }
    wait_count(two, 0, GETNCNT, 1);
    CHECK(semctl(two, 0, GETNCNT));
    CHECK(semctl(two, 1, GETNCNT));
    CHECK(semctl(two, 0, SETVAL, (union semun){.val = 1}));
    CHECK(semctl(two, 0, GETNCNT));
    CHECK(semctl(two, 1, GETNCNT));
    show_all("one of two", two, 2);
    CHECK(op(two, 1, 1, 0));
    reap("two operations", pid);
    show_all("both taken", two, 2);
    remove_all();
}

static void on_usr1(int sig)
{
    (void)sig;
}

/* A waiter whose set is removed, and one a signal interrupts. */
static void interrupted(void)
{
    printf("-- EIDRM\n");
    int id = new_set(1);
    pid_t pid = child_op(id, 0, -1, 0);
    wait_count(id, 0, GETNCNT, 1);
    CHECK(semctl(id, 0, IPC_RMID));
    nsets = 0;
    reap("waiter of a removed set", pid);

    printf("-- EINTR\n");
    id = new_set(1);
    pid = fork();
    if (pid == 0) {
        struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
        sigaction(SIGUSR1, &sa, NULL);
        _exit(op(id, 0, -1, 0) == 0 ? 0 : errno);
    }
    wait_count(id, 0, GETNCNT, 1);
    kill(pid, SIGUSR1);
    reap("interrupted waiter", pid);
    CHECK(semctl(id, 0, GETNCNT));
    pid = fork();
    if (pid == 0) {
        struct timespec ts = {30, 0};
        _exit(semtimedop(id, &(struct sembuf){0, -1, 0}, 1, &ts) == 0 ? 0 : errno);
    }
    wait_count(id, 0, GETNCNT, 1);
    kill(pid, SIGKILL);
    reap("killed waiter", pid);
    CHECK(semctl(id, 0, GETNCNT));

    /* A stop and a continue, with no handler: semop is not restarted (signal(7)). */
    pid = child_op(id, 0, -1, 0);
    wait_count(id, 0, GETNCNT, 1);
    kill(pid, SIGSTOP);
    int status;
    CHECK(waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status));
    CHECK(semctl(id, 0, GETNCNT));
    kill(pid, SIGCONT);
    reap("stopped and continued waiter", pid);
    remove_all();
}

/* SEM_UNDO in a thread: the undo list is the process's (CLONE_SYSVSEM), applied when the
 * process exits, not the thread. */
static int thread_set;

static void *take_one(void *arg)
{
    (void)arg;
    return (void *)(long)(op(thread_set, 0, -1, SEM_UNDO) == 0 ? 0 : errno);
}

static void undo_in_thread(void)
{
    printf("-- SEM_UNDO in a thread\n");
    thread_set = new_set(1);
    CHECK(semctl(thread_set, 0, SETVAL, (union semun){.val = 4}));
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        void *result;
        if (pthread_create(&t, NULL, take_one, NULL) != 0 || pthread_join(t, &result) != 0)
            _exit(98);
        if (result)
            _exit(99);
        _exit(semctl(thread_set, 0, GETVAL));
    }
    int status;
    waitpid(pid, &status, 0);
    printf("value after the thread's exit: %d\n", WEXITSTATUS(status));
    CHECK(semctl(thread_set, 0, GETVAL));
    remove_all();
}

/* SEM_UNDO: a child's adjustments are applied when it exits. `gate` holds the child until the
 * parent lets it go. */
static void undo(void)
{
    printf("-- SEM_UNDO at exit\n");
    int id = new_set(2);
    CHECK(semctl(id, 0, SETVAL, (union semun){.val = 5}));
    pid_t pid = fork();
    if (pid == 0) {
        struct sembuf ops[2] = {{0, -2, SEM_UNDO}, {0, -1, SEM_UNDO}};
        _exit(semop(id, ops, 2) == 0 ? 0 : errno);
    }
    reap("child took 3", pid);
    CHECK(semctl(id, 0, GETVAL));

    /* The child adds 3, the parent takes 7 meanwhile: the undo would go below 0. */
    pid = fork();
    if (pid == 0) {
        if (op(id, 0, 3, SEM_UNDO) != 0)
            _exit(errno);
        _exit(op(id, 1, -1, 0) == 0 ? 0 : errno);
    }
    wait_count(id, 1, GETNCNT, 1);
    CHECK(semctl(id, 0, GETVAL));
    CHECK(op(id, 0, -7, 0));
    CHECK(op(id, 1, 1, 0));
    reap("child added 3", pid);
    CHECK(semctl(id, 0, GETVAL));

    /* An exit's undo wakes a waiter. */
    CHECK(semctl(id, 0, SETVAL, (union semun){.val = 1}));
    pid_t holder = fork();
    if (holder == 0) {
        if (op(id, 0, -1, SEM_UNDO) != 0)
            _exit(errno);
        _exit(op(id, 1, -1, 0) == 0 ? 0 : errno);
    }
    wait_count(id, 1, GETNCNT, 1);
    pid_t waiter = child_op(id, 0, -1, 0);
    wait_count(id, 0, GETNCNT, 1);
    CHECK(op(id, 1, 1, 0));
    reap("holder", holder);
    reap("waiter", waiter);
    CHECK(semctl(id, 0, GETVAL));
    CHECK(semctl(id, 0, GETNCNT));

    /* SETVAL clears the adjustment. */
    CHECK(semctl(id, 0, SETVAL, (union semun){.val = 2}));
    pid = fork();
    if (pid == 0) {
        if (op(id, 0, -1, SEM_UNDO) != 0)
            _exit(errno);
        _exit(op(id, 1, -1, 0) == 0 ? 0 : errno);
    }
    wait_count(id, 1, GETNCNT, 1);
    CHECK(semctl(id, 0, SETVAL, (union semun){.val = 1}));
    CHECK(op(id, 1, 1, 0));
    reap("child after SETVAL", pid);
    CHECK(semctl(id, 0, GETVAL));

    /* CLONE_SYSVSEM: a child sharing the list applies nothing at its exit; the last holder
     * does. */
    CHECK(semctl(id, 0, SETVAL, (union semun){.val = 3}));
    pid = fork();
    if (pid == 0) {
        if (op(id, 0, 0, SEM_UNDO | IPC_NOWAIT) == 0 || errno != EAGAIN)
            _exit(99);
        long c = syscall(SYS_clone, CLONE_SYSVSEM | SIGCHLD, 0, 0, 0, 0);
        if (c == 0)
            _exit(op(id, 0, -1, SEM_UNDO) == 0 ? 0 : errno);
        int status;
        waitpid(c, &status, 0);
        _exit(semctl(id, 0, GETVAL));
    }
    int status;
    waitpid(pid, &status, 0);
    printf("value after the CLONE_SYSVSEM child's exit: %d\n", WEXITSTATUS(status));
    CHECK(semctl(id, 0, GETVAL));
    remove_all();
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    errors();
    wake_order();
    interrupted();
    undo();
    undo_in_thread();
    return 0;
}
