/* System V IPC ids against Linux, in an IPC namespace of the test's own (unshare(CLONE_NEWIPC)
 * on Linux; this kernel has no unshare, ENOSYS, and its one namespace is the test's: it runs as
 * the first process of its own boot). Ids are seq << 15 | slot, slots taken cyclically, the
 * sequence number growing when they wrap; *_STAT by slot, IPC_INFO's highest slot, and the
 * whole of /proc/sysvipc/sem, msg and shm (times and pids as facts about them). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "check.h"

static void sem_ids(void)
{
    printf("-- semaphore sets\n");
    int a = semget(IPC_PRIVATE, 1, 0600);
    int b = semget(0x1234, 2, 0640 | IPC_CREAT);
    printf("a %d b %d\n", a, b);
    CHECK(semctl(a, 0, IPC_RMID));
    int c = semget(IPC_PRIVATE, 3, 0600);
    printf("c %d\n", c);
    /* Made and removed until the slots wrap. */
    int last = -1;
    for (int i = 0; i < 70; i++) {
        last = semget(IPC_PRIVATE, 1, 0600);
        if (i % 10 == 9 || i > 60)
            printf("  round %d: %d\n", i, last);
        semctl(last, 0, IPC_RMID);
    }
    int d = semget(IPC_PRIVATE, 1, 0600);
    printf("d %d\n", d);
    struct seminfo info;
    int max = semctl(0, 0, IPC_INFO, &info);
    printf("IPC_INFO: %d\n", max);
    for (int i = 0; i <= max + 1; i++) {
        struct semid_ds ds;
        int id = semctl(i, 0, SEM_STAT, &ds);
        if (id >= 0)
            printf("SEM_STAT %d: %d nsems %lu\n", i, id, (unsigned long)ds.sem_nsems);
    }
    CHECK(semctl(c, 0, GETVAL));
    CHECK(semctl(c + 32768, 0, GETVAL));
}

static void msg_ids(void)
{
    printf("-- message queues\n");
    int a = msgget(IPC_PRIVATE, 0600);
    int b = msgget(0x1234, 0620 | IPC_CREAT);
    printf("a %d b %d\n", a, b);
    CHECK(msgctl(a, IPC_RMID, NULL));
    int c = msgget(IPC_PRIVATE, 0600);
    struct {
        long mtype;
        char mtext[16];
    } m = {3, "queued"};
    msgsnd(c, &m, 6, 0);
    printf("c %d\n", c);
    int max = msgctl(0, IPC_INFO, (struct msqid_ds *)&(struct msginfo){0});
    printf("IPC_INFO: %d\n", max);
}

static void shm_ids(void)
{
    printf("-- segments\n");
    int a = shmget(IPC_PRIVATE, 4096, 0600);
    int b = shmget(0x1234, 8192, 0604 | IPC_CREAT);
    printf("a %d b %d\n", a, b);
    CHECK(shmctl(a, IPC_RMID, NULL));
    int c = shmget(IPC_PRIVATE, 100, 0600);
    printf("c %d\n", c);
    char *p = shmat(c, NULL, 0);
    p[0] = 1;
    CHECK(shmctl(c, IPC_RMID, NULL));
    struct shminfo info;
    printf("IPC_INFO: %d\n", shmctl(0, IPC_INFO, (struct shmid_ds *)&info));
}

static const char *who(long pid)
{
    return pid == 0 ? "none" : pid == getpid() ? "me" : "other";
}

/* /proc/sysvipc/`name` line by line: the header as it is, the lines with times and pids shown
 * as facts. */
static void show_proc(const char *name)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", name);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("%s: %s\n", path, errname(errno));
        return;
    }
    printf("%s:\n", path);
    if (fgets(line, sizeof line, f))
        printf("%s", line);
    while (fgets(line, sizeof line, f)) {
        long v[16];
        unsigned perms;
        int n = sscanf(line, "%ld %ld %o %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld", &v[0],
                       &v[1], &perms, &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
                       &v[11], &v[12], &v[13], &v[14], &v[15]);
        if (strcmp(name, "sem") == 0 && n == 10)
            printf("key %ld id %ld perms %o nsems %ld ids %ld %ld %ld %ld otime %s ctime %s\n",
                   v[0], v[1], perms, v[3], v[4], v[5], v[6], v[7], v[8] ? "set" : "never",
                   v[9] ? "set" : "never");
        else if (strcmp(name, "msg") == 0 && n == 14)
            printf("key %ld id %ld perms %o cbytes %ld qnum %ld lspid %s lrpid %s ids %ld %ld %ld "
                   "%ld stime %s rtime %s ctime %s\n",
                   v[0], v[1], perms, v[3], v[4], who(v[5]), who(v[6]), v[7], v[8], v[9], v[10],
                   v[11] ? "set" : "never", v[12] ? "set" : "never", v[13] ? "set" : "never");
        else if (strcmp(name, "shm") == 0 && n == 16)
            printf("key %ld id %ld perms %o size %ld cpid %s lpid %s nattch %ld ids %ld %ld %ld "
                   "%ld atime %s dtime %s ctime %s rss %ld swap %ld\n",
                   v[0], v[1], perms, v[3], who(v[4]), who(v[5]), v[6], v[7], v[8], v[9], v[10],
                   v[11] ? "set" : "never", v[12] ? "set" : "never", v[13] ? "set" : "never",
                   v[14], v[15]);
        else
            printf("unexpected: %s", line);
    }
    fclose(f);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (unshare(CLONE_NEWIPC) != 0 && errno != ENOSYS) {
        printf("FAIL: unshare(CLONE_NEWIPC): %s\n", errname(errno));
        return 1;
    }
    sem_ids();
    msg_ids();
    shm_ids();
    show_proc("sem");
    show_proc("msg");
    show_proc("shm");
    /* The namespace goes with the test on Linux; removed anyway. */
    for (int i = 0; i < 80; i++) {
        struct semid_ds sds;
        struct msqid_ds mds;
        struct shmid_ds hds;
        int id;
        if ((id = semctl(i, 0, SEM_STAT, &sds)) >= 0)
            semctl(id, 0, IPC_RMID);
        if ((id = msgctl(i, MSG_STAT, &mds)) >= 0)
            msgctl(id, IPC_RMID, NULL);
        if ((id = shmctl(i, SHM_STAT, &hds)) >= 0)
            shmctl(id, IPC_RMID, NULL);
    }
    return 0;
}
