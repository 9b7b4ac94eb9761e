/* System V message queues give back their memory: queues made, filled and removed, receivers
 * and senders killed while they wait, receivers and senders woken by IPC_RMID, messages handed
 * to waiting receivers. Rounds of this must end where the second round ended (MemFree,
 * KernelHeapUsed): this kernel's /proc/meminfo lines are its own, so the test runs in QEMU
 * only. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfield.h"

static struct {
    long mtype;
    char mtext[8192];
} m = {.mtype = 1};

static int failures;

/* Waits until `pid` sleeps (state S in /proc/PID/stat). */
static void wait_sleeping(pid_t pid)
{
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    while (state != 'S') {
        FILE *f = fopen(path, "r");
        if (!f || fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
            state = 0;
        if (f)
            fclose(f);
    }
}

/* Children of `kind` ('r' receive, 's' send to a full queue) waiting on `id`. */
static void waiters(int id, char kind, pid_t *pids, int n)
{
    for (int i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            if (kind == 'r')
                _exit(msgrcv(id, &m, sizeof m.mtext, 0, 0) < 0 ? errno : 0);
            _exit(msgsnd(id, &m, 8192, 0) < 0 ? errno : 0);
        }
        wait_sleeping(pids[i]);
    }
}

static void reap_all(pid_t *pids, int n, int kill_them)
{
    for (int i = 0; i < n; i++) {
        if (kill_them)
            kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
}

static void round_of_queues(void)
{
    /* Queues full of messages, removed with them. */
    int ids[32];
    for (int i = 0; i < 32; i++) {
        ids[i] = msgget(IPC_PRIVATE, 0600);
        if (ids[i] < 0) {
            printf("FAIL: msgget: %d\n", errno);
            failures++;
        }
        for (int j = 0; j < 4; j++)
            msgsnd(ids[i], &m, 1000 * j, IPC_NOWAIT);
    }
    for (int i = 0; i < 32; i++)
        msgctl(ids[i], IPC_RMID, NULL);

    pid_t pids[3];
    int id = msgget(IPC_PRIVATE, 0600);
    /* Receivers killed, then receivers handed messages. */
    waiters(id, 'r', pids, 3);
    reap_all(pids, 3, 1);
    waiters(id, 'r', pids, 3);
    for (int i = 0; i < 3; i++)
        msgsnd(id, &m, 100, 0);
    reap_all(pids, 3, 0);
    /* Senders to a full queue killed, then woken by IPC_RMID; receivers woken by it too. */
    msgsnd(id, &m, 8192, 0);
    msgsnd(id, &m, 8192, 0);
    waiters(id, 's', pids, 3);
    reap_all(pids, 3, 1);
    waiters(id, 's', pids, 3);
    int other = msgget(IPC_PRIVATE, 0600);
    pid_t receivers[2];
    waiters(other, 'r', receivers, 2);
    msgctl(id, IPC_RMID, NULL);
    msgctl(other, IPC_RMID, NULL);
    reap_all(pids, 3, 0);
    reap_all(receivers, 2, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    long base_free = 0, base_heap = 0;
    for (int r = 1; r <= 5; r++) {
        round_of_queues();
        failures += leak_round(r, &base_free, &base_heap);
    }
    printf("%s: message queues give back their memory\n", failures ? "FAIL" : "ok");
    return failures != 0;
}
