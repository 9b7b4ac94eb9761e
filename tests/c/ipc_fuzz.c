/* Random System V IPC calls with a fixed seed, in two processes sharing a few keys: semget,
 * semop and semtimedop (random operations, flags, SEM_UNDO, counts and bad pointers), semctl
 * (every command, random arguments), msgget, msgsnd, msgrcv (random types, sizes and flags),
 * msgctl, shmget, shmat where the kernel chooses, shmdt and shmctl; blocking calls are cut short
 * by an interval timer (EINTR), and processes exit with undo lists and waiters queued. The
 * kernel must neither panic nor hang, and once every object is removed each round must give
 * back every heap byte and frame, as the second round left them. This kernel's /proc/meminfo
 * lines: QEMU only. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfield.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

static unsigned long long state;

static unsigned rnd(unsigned n)
{
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(state >> 33) % n;
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* Room for GETALL of the largest set (SEMMSL shorts) and the largest message. */
static char buf[72 * 1024];
static char *edge; /* the last bytes before an unmapped page */

/* A pointer to hand the kernel: mostly good, sometimes not. */
static void *ptr(void)
{
    switch (rnd(8)) {
    case 0:
        return NULL;
    case 1:
        return (void *)8;
    case 2:
        return (void *)0xffff800000000000UL;
    case 3:
        return edge - rnd(64);
    default:
        return buf + rnd(64);
    }
}

/* An integer: small, a boundary, or anything. */
static long num(void)
{
    static const long edges[] = {0, 1, -1, 2, 3, 7, 250, 500, 501, 8192, 8193, 16384, 32000, 32767,
                                 32768, 65535, 0x7fffffff, -0x7fffffffL - 1, 0x7fffffffffffffffL};
    switch (rnd(3)) {
    case 0:
        return edges[rnd(sizeof edges / sizeof edges[0])];
    case 1:
        return rnd(8);
    default:
        return (long)rnd(0xffffffff) - 0x7fffffff;
    }
}

static int sem_ids[4], msg_ids[4], shm_ids[4];
static void *attached[8];

static int pick(int *ids)
{
    return rnd(8) == 0 ? (int)num() : ids[rnd(4)];
}

static long ok_calls, interrupted;

/* Counts the outcome of one call. */
static void count(long r)
{
    if (r != -1)
        ok_calls++;
    else if (errno == EINTR)
        interrupted++;
}

static void one_call(void)
{
    int flags;
    switch (rnd(16)) {
    case 0:
        count(sem_ids[rnd(4)] = semget(100 + rnd(4), rnd(8) == 0 ? (int)num() : (int)rnd(6),
                                 0600 | (rnd(2) ? IPC_CREAT : 0) | (rnd(4) ? 0 : IPC_EXCL)));
        break;
    case 1:
    case 2: {
        struct sembuf ops[8];
        unsigned n = rnd(8) + 1;
        for (unsigned i = 0; i < n; i++) {
            ops[i].sem_num = rnd(10) == 0 ? (unsigned short)num() : rnd(5);
            ops[i].sem_op = rnd(6) == 0 ? (short)num() : (short)rnd(5) - 2;
            ops[i].sem_flg = (rnd(2) ? SEM_UNDO : 0) | (rnd(3) ? 0 : IPC_NOWAIT);
        }
        void *p = rnd(10) == 0 ? ptr() : ops;
        size_t n_ops = rnd(10) == 0 ? (size_t)num() : n;
        if (rnd(2)) {
            struct timespec ts = {0, rnd(3000000)};
            count(semtimedop(pick(sem_ids), p, n_ops, rnd(10) == 0 ? ptr() : &ts));
        } else {
            count(semop(pick(sem_ids), p, n_ops));
        }
        break;
    }
    case 3:
    case 4: {
        static const int cmds[] = {IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO, GETPID, GETVAL,
                                   GETALL, GETNCNT, GETZCNT, SETVAL, SETALL, SEM_STAT,
                                   SEM_INFO, SEM_STAT_ANY, 99};
        int cmd = cmds[rnd(sizeof cmds / sizeof cmds[0])];
        if (cmd == IPC_RMID && rnd(3))
            cmd = GETVAL;
        long arg = cmd == SETVAL ? num() : (long)ptr();
        if (cmd == IPC_SET || cmd == SETALL) {
            for (int i = 0; i < 64; i++)
                buf[i] = rnd(3) ? 0 : rnd(256);
            ((struct semid_ds *)buf)->sem_perm.mode = 0600;
            arg = (long)buf;
        }
        count(semctl(pick(sem_ids), rnd(6) == 0 ? (int)num() : (int)rnd(5), cmd, arg));
        break;
    }
    case 5:
        msg_ids[rnd(4)] = msgget(200 + rnd(4), 0600 | (rnd(2) ? IPC_CREAT : 0));
        break;
    case 6:
    case 7: {
        long *m = (long *)(rnd(10) == 0 ? ptr() : buf);
        if ((char *)m >= buf && (char *)m < buf + sizeof buf)
            *m = rnd(8) == 0 ? num() : (long)rnd(4) + 1;
        flags = rnd(3) ? 0 : IPC_NOWAIT;
        count(msgsnd(pick(msg_ids), m, rnd(6) == 0 ? (size_t)num() : rnd(200), flags));
        break;
    }
    case 8:
    case 9: {
        flags = (rnd(3) ? 0 : IPC_NOWAIT) | (rnd(4) ? 0 : MSG_NOERROR) |
                (rnd(4) ? 0 : MSG_EXCEPT) | (rnd(6) ? 0 : MSG_COPY);
        count(msgrcv(pick(msg_ids), rnd(10) == 0 ? ptr() : buf,
                     rnd(6) == 0 ? (size_t)num() : rnd(200), rnd(3) ? (long)rnd(5) - 2 : num(),
                     flags));
        break;
    }
    case 10: {
        static const int cmds[] = {IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO, MSG_STAT, MSG_INFO,
                                   MSG_STAT_ANY, 99};
        int cmd = cmds[rnd(sizeof cmds / sizeof cmds[0])];
        if (cmd == IPC_RMID && rnd(3))
            cmd = IPC_STAT;
        void *p = ptr();
        if (cmd == IPC_SET) {
            struct msqid_ds *ds = (struct msqid_ds *)buf;
            memset(ds, 0, sizeof *ds);
            ds->msg_perm.mode = 0600;
            ds->msg_qbytes = rnd(2) ? 16384 : (unsigned long)num();
            p = ds;
        }
        msgctl(pick(msg_ids), cmd, p);
        break;
    }
    case 11:
        shm_ids[rnd(4)] = shmget(300 + rnd(4), rnd(8) == 0 ? (size_t)num() : 4096 * (rnd(4) + 1),
                                 0600 | (rnd(2) ? IPC_CREAT : 0));
        break;
    case 12: {
        void *a = shmat(pick(shm_ids), NULL, rnd(2) ? SHM_RDONLY : 0);
        if (a != (void *)-1) {
            int slot = rnd(8);
            if (attached[slot])
                shmdt(attached[slot]);
            attached[slot] = a;
        }
        break;
    }
    case 13: {
        static const int cmds[] = {IPC_RMID, IPC_STAT, IPC_INFO, SHM_STAT, SHM_INFO, 99};
        int cmd = cmds[rnd(sizeof cmds / sizeof cmds[0])];
        if (cmd == IPC_RMID && rnd(3))
            cmd = IPC_STAT;
        shmctl(pick(shm_ids), cmd, ptr());
        break;
    }
    case 14:
        if (rnd(4) == 0) {
            /* Exit and be replaced, leaving undo lists to apply and waiters to drop. */
            pid_t child = fork();
            if (child > 0)
                _exit(0);
            struct itimerval it = {{0, 2000}, {0, 2000}};
            setitimer(ITIMER_REAL, &it, NULL);
        }
        break;
    default: {
        int slot = rnd(8);
        if (attached[slot]) {
            shmdt(attached[slot]);
            attached[slot] = NULL;
        }
        break;
    }
    }
}

/* Removes every object: the *_STAT commands by slot, up to the highest IPC_INFO reports. */
static void remove_everything(void)
{
    struct semid_ds sds;
    struct msqid_ds mds;
    struct shmid_ds hds;
    struct seminfo si;
    struct msginfo mi;
    struct shminfo shi;
    int max = semctl(0, 0, IPC_INFO, &si);
    for (int i = 0; i <= max; i++) {
        int id = semctl(i, 0, SEM_STAT, &sds);
        if (id >= 0)
            semctl(id, 0, IPC_RMID);
    }
    max = msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
    for (int i = 0; i <= max; i++) {
        int id = msgctl(i, MSG_STAT, &mds);
        if (id >= 0)
            msgctl(id, IPC_RMID, NULL);
    }
    max = shmctl(0, IPC_INFO, (struct shmid_ds *)&shi);
    for (int i = 0; i <= max; i++) {
        int id = shmctl(i, SHM_STAT, &hds);
        if (id >= 0)
            shmctl(id, IPC_RMID, NULL);
    }
}

static void worker(unsigned long long seed, int calls)
{
    state = seed;
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 2000}, {0, 2000}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (int i = 0; i < calls; i++)
        one_call();
    printf("# worker %d: %ld calls succeeded, %ld interrupted\n", getpid(), ok_calls, interrupted);
    _exit(0);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int calls = argc > 1 ? atoi(argv[1]) : 2000;
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(map + 4096, 4096);
    edge = map + 4096;
    int failures = 0;
    long base_free = 0, base_heap = 0;
    for (int r = 1; r <= 5; r++) {
        pid_t a = fork();
        if (a == 0)
            worker(1000 + r * 2, calls);
        pid_t b = fork();
        if (b == 0)
            worker(1001 + r * 2, calls);
        /* The workers' replacements are reparented to us: wait for every child. */
        while (wait(NULL) > 0 || errno == EINTR)
            ;
        remove_everything();
        failures += leak_round(r, &base_free, &base_heap);
    }
    printf("%d calls made\n", 2 * 5 * calls);
    printf("%s: random IPC calls leak nothing\n", failures ? "FAIL" : "ok");
    return failures != 0;
}
