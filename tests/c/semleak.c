/* System V semaphore sets give back their memory: sets made and removed, waiters killed while
 * blocked (with SEM_UNDO lists of their own), waiters woken by IPC_RMID, undo lists applied at
 * exit and shared by CLONE_SYSVSEM. Rounds of this must end where the second round ended
 * (MemFree + KernelHeap, KernelHeapUsed): this kernel's /proc/meminfo lines are its own, so the test runs in
 * QEMU only. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfield.h"

static int failures;

static int op(int id, unsigned short num, short delta, short flags)
{
    struct sembuf sop = {num, delta, flags};
    return semop(id, &sop, 1);
}

/* Waits until `n` processes wait on semaphore 0 of `id`. */
static void wait_ncnt(int id, int n)
{
    while (semctl(id, 0, GETNCNT) != n)
        sched_yield();
}

static void round_of_sets(void)
{
    /* Many sets, made and removed. */
    int ids[64];
    for (int i = 0; i < 64; i++) {
        ids[i] = semget(IPC_PRIVATE, 1 + i * 7, 0600);
        if (ids[i] < 0) {
            printf("FAIL: semget: %d\n", errno);
            failures++;
        }
        op(ids[i], 0, 1, SEM_UNDO);
    }
    for (int i = 0; i < 64; i++)
        semctl(ids[i], 0, IPC_RMID);

    /* Waiters killed while blocked, their undo lists with entries in the set. */
    int id = semget(IPC_PRIVATE, 4, 0600);
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            struct sembuf ops[2] = {{1, 1, SEM_UNDO}, {0, -1, SEM_UNDO}};
            semop(id, ops, 2);
            _exit(0);
        }
    }
    wait_ncnt(id, 3);
    for (int i = 0; i < 3; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
    /* Waiters woken by IPC_RMID. */
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            _exit(op(id, 0, -1, SEM_UNDO) == 0 ? 0 : errno);
    }
    wait_ncnt(id, 2);
    semctl(id, 0, IPC_RMID);
    for (int i = 0; i < 2; i++)
        waitpid(pids[i], NULL, 0);

    /* An undo list shared by CLONE_SYSVSEM, applied by the last of two. */
    id = semget(IPC_PRIVATE, 1, 0600);
    semctl(id, 0, SETVAL, 5);
    pid_t pid = fork();
    if (pid == 0) {
        long c = syscall(SYS_clone, CLONE_SYSVSEM | SIGCHLD, 0, 0, 0, 0);
        if (c == 0)
            _exit(op(id, 0, -1, SEM_UNDO));
        waitpid(c, NULL, 0);
        op(id, 0, -1, SEM_UNDO);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    if (semctl(id, 0, GETVAL) != 5) {
        printf("FAIL: the shared undo list left %d\n", semctl(id, 0, GETVAL));
        failures++;
    }
    semctl(id, 0, IPC_RMID);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    long base_free = 0, base_heap = 0;
    for (int r = 1; r <= 5; r++) {
        round_of_sets();
        failures += leak_round(r, &base_free, &base_heap);
    }
    printf("%s: semaphore sets give back their memory\n", failures ? "FAIL" : "ok");
    return failures != 0;
}
