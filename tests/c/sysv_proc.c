/* /proc/sysvipc/shm, sem and msg against Linux: the header lines, and the line of a segment, a
 * semaphore set and a message queue of this test, found by key (the host's IPC namespace is
 * shared with other tests, so other lines are not looked at). Each line must be exactly what
 * Linux's format makes of its own fields; the fields that are the same everywhere are printed,
 * the others (ids, pids, times) as facts about them. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "check.h"

static int shm_id = -1, sem_id = -1, msg_id = -1;

static void cleanup(void)
{
    if (shm_id >= 0)
        shmctl(shm_id, IPC_RMID, NULL);
    if (sem_id >= 0)
        semctl(sem_id, 0, IPC_RMID);
    if (msg_id >= 0)
        msgctl(msg_id, IPC_RMID, NULL);
}

/* Prints the header of /proc/sysvipc/`name` and copies the line of key `key` into `line` (of
 * id `id` instead if it is not -1: a removed segment's key is 0, as other tests' segments'
 * may be); 0 if there is none. */
static int find_line(const char *name, key_t key, int id, char *line, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", name);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("%s: -1 %s\n", path, errname(errno));
        return 0;
    }
    char buf[512];
    int found = 0;
    if (fgets(buf, sizeof buf, f))
        printf("%s header: [%s", path, buf);
    while (fgets(buf, sizeof buf, f)) {
        int k, i;
        if (sscanf(buf, "%d %d", &k, &i) == 2 && (id == -1 ? k == key : i == id)) {
            snprintf(line, size, "%s", buf);
            found++;
        }
    }
    fclose(f);
    printf("%s lines with our key: %d\n", path, found);
    return found == 1;
}

static const char *who(long pid)
{
    return pid == 0 ? "none" : pid == getpid() ? "me" : "other";
}

static void shm_line(key_t key, int by_id)
{
    char line[512], again[512];
    if (!find_line("shm", key, by_id, line, sizeof line))
        return;
    int k, id;
    unsigned mode, uid, gid, cuid, cgid;
    unsigned long size, nattch, rss, swap;
    int cpid, lpid;
    unsigned long long atime, dtime, ctime;
    int n = sscanf(line, "%d %d %o %lu %d %d %lu %u %u %u %u %llu %llu %llu %lu %lu", &k, &id,
                   &mode, &size, &cpid, &lpid, &nattch, &uid, &gid, &cuid, &cgid, &atime, &dtime,
                   &ctime, &rss, &swap);
    printf("shm fields: %d\n", n);
    snprintf(again, sizeof again,
             "%10d %10d  %4o %21lu %5u %5u  %5lu %5u %5u %5u %5u %10llu %10llu %10llu %21lu "
             "%21lu\n",
             k, id, mode, size, cpid, lpid, nattch, uid, gid, cuid, cgid, atime, dtime, ctime,
             rss, swap);
    printf("shm line in Linux's format: %d\n", strcmp(line, again) == 0);
    printf("shm: id %s perms %o size %lu cpid %s lpid %s nattch %lu uid %u gid %u cuid %u cgid "
           "%u atime %s dtime %s ctime %s rss %lu swap %lu\n",
           id == shm_id ? "ours" : "other", mode, size, who(cpid), who(lpid), nattch, uid, gid,
           cuid, cgid, atime ? "set" : "never", dtime ? "set" : "never", ctime ? "set" : "never",
           rss, swap);
}

static void sem_line(key_t key)
{
    char line[512], again[512];
    if (!find_line("sem", key, -1, line, sizeof line))
        return;
    int k, id;
    unsigned mode, nsems, uid, gid, cuid, cgid;
    unsigned long long otime, ctime;
    int n = sscanf(line, "%d %d %o %u %u %u %u %u %llu %llu", &k, &id, &mode, &nsems, &uid, &gid,
                   &cuid, &cgid, &otime, &ctime);
    printf("sem fields: %d\n", n);
    snprintf(again, sizeof again, "%10d %10d  %4o %10u %5u %5u %5u %5u %10llu %10llu\n", k, id,
             mode, nsems, uid, gid, cuid, cgid, otime, ctime);
    printf("sem line in Linux's format: %d\n", strcmp(line, again) == 0);
    printf("sem: id %s perms %o nsems %u uid %u gid %u cuid %u cgid %u otime %s ctime %s\n",
           id == sem_id ? "ours" : "other", mode, nsems, uid, gid, cuid, cgid,
           otime ? "set" : "never", ctime ? "set" : "never");
}

static void msg_line(key_t key)
{
    char line[512], again[512];
    if (!find_line("msg", key, -1, line, sizeof line))
        return;
    int k, id, lspid, lrpid;
    unsigned mode, uid, gid, cuid, cgid;
    unsigned long cbytes, qnum;
    unsigned long long stime, rtime, ctime;
    int n = sscanf(line, "%d %d %o %lu %lu %d %d %u %u %u %u %llu %llu %llu", &k, &id, &mode,
                   &cbytes, &qnum, &lspid, &lrpid, &uid, &gid, &cuid, &cgid, &stime, &rtime,
                   &ctime);
    printf("msg fields: %d\n", n);
    snprintf(again, sizeof again,
             "%10d %10d  %4o  %10lu %10lu %5u %5u %5u %5u %5u %5u %10llu %10llu %10llu\n", k, id,
             mode, cbytes, qnum, lspid, lrpid, uid, gid, cuid, cgid, stime, rtime, ctime);
    printf("msg line in Linux's format: %d\n", strcmp(line, again) == 0);
    printf("msg: id %s perms %o cbytes %lu qnum %lu lspid %s lrpid %s uid %u gid %u cuid %u "
           "cgid %u stime %s rtime %s ctime %s\n",
           id == msg_id ? "ours" : "other", mode, cbytes, qnum, who(lspid), who(lrpid), uid, gid,
           cuid, cgid, stime ? "set" : "never", rtime ? "set" : "never", ctime ? "set" : "never");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    key_t base = 0x2b000000 | ((getpid() & 0xffff) << 4);

    shm_id = shmget(base + 1, 10000, 0640 | IPC_CREAT | IPC_EXCL);
    sem_id = semget(base + 2, 3, 0604 | IPC_CREAT | IPC_EXCL);
    msg_id = msgget(base + 3, 0620 | IPC_CREAT | IPC_EXCL);
    if (shm_id < 0 || sem_id < 0 || msg_id < 0) {
        printf("FAIL: could not make the objects: %s\n", errname(errno));
        cleanup();
        return 1;
    }
    char *p = shmat(shm_id, NULL, 0);
    p[0] = 1;
    struct sembuf op = {1, 2, 0};
    CHECK(semop(sem_id, &op, 1));
    struct {
        long mtype;
        char mtext[8];
    } m = {1, "hello"};
    CHECK(msgsnd(msg_id, &m, 5, 0));
    CHECK(msgsnd(msg_id, &m, 3, 0));

    shm_line(base + 1, -1);
    sem_line(base + 2);
    msg_line(base + 3);

    printf("-- after a detach, a receive and IPC_RMID of the attached segment\n");
    CHECK(shmctl(shm_id, IPC_RMID, NULL));
    shm_line(0, shm_id);
    char *q = shmat(shm_id, NULL, SHM_RDONLY);
    CHECK(shmdt(p));
    CHECK(msgrcv(msg_id, &m, 8, 0, 0));
    msg_line(base + 3);
    CHECK(shmdt(q));
    int gone = shm_id;
    shm_id = -1;
    cleanup();
    char line[512];
    find_line("shm", 0, gone, line, sizeof line);
    find_line("sem", base + 2, -1, line, sizeof line);
    find_line("msg", base + 3, -1, line, sizeof line);
    return 0;
}
