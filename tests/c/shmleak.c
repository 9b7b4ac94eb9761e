/* System V segments give back their memory: a removed segment is freed at its last detach, by
 * shmdt, by the exit of a child that still had it attached, or at once by IPC_RMID if nothing
 * is attached; a segment that is not removed outlives the process that made it. Rounds of this
 * must end where the second round ended (MemFree + KernelHeap, KernelHeapUsed): this kernel's /proc/meminfo
 * lines are its own, so the test runs in QEMU only. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfield.h"

#define SIZE (1 << 20)

static void touch(char *p)
{
    for (int i = 0; i < SIZE; i += 4096)
        p[i] = 1;
}

static void round_of_segments(void)
{
    /* Removed while attached, freed by shmdt. */
    int id = shmget(IPC_PRIVATE, SIZE, 0600);
    char *p = shmat(id, NULL, 0);
    touch(p);
    shmctl(id, IPC_RMID, NULL);
    shmdt(p);
    /* Removed while a child has it attached: freed when the child exits. */
    id = shmget(IPC_PRIVATE, SIZE, 0600);
    pid_t pid = fork();
    if (pid == 0) {
        touch(shmat(id, NULL, 0));
        shmctl(id, IPC_RMID, NULL);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    /* Made and filled by a child that exits without removing it: it lives on, with its data,
     * until the parent removes it (nothing attached: freed at once). */
    int pipefd[2];
    pipe(pipefd);
    pid = fork();
    if (pid == 0) {
        int made = shmget(IPC_PRIVATE, SIZE, 0600);
        char *q = shmat(made, NULL, 0);
        touch(q);
        strcpy(q, "left behind");
        write(pipefd[1], &made, sizeof made);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    int left;
    read(pipefd[0], &left, sizeof left);
    close(pipefd[0]);
    close(pipefd[1]);
    char *q = shmat(left, NULL, SHM_RDONLY);
    if (strcmp(q, "left behind") != 0)
        printf("FAIL: the segment the child left lost its data\n");
    shmdt(q);
    shmctl(left, IPC_RMID, NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int failures = 0;
    long base_free = 0, base_heap = 0;
    for (int r = 1; r <= 5; r++) {
        round_of_segments();
        failures += leak_round(r, &base_free, &base_heap);
    }
    printf("%s: segments give back their memory\n", failures ? "FAIL" : "ok");
    return failures != 0;
}
