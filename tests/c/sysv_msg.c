/* System V message queues against Linux: msgget by key and IPC_PRIVATE and its errors, msgsnd
 * (MSGMAX, a type below 1, a full queue with IPC_NOWAIT, zero-length messages), msgrcv (msgtyp
 * 0, > 0, < 0, MSG_EXCEPT, MSG_NOERROR, E2BIG, MSG_COPY, ENOMSG), msgctl's IPC_STAT, MSG_STAT,
 * MSG_STAT_ANY, IPC_SET (mode, size, root's rule), IPC_RMID, IPC_INFO and MSG_INFO; then with a
 * child: a receiver woken by the message it wants, one whose buffer is too small, a sender
 * woken by room in a full queue, EIDRM for both, EINTR despite SA_RESTART, a restart after a
 * stop and a continue. The host's IPC
 * namespace is shared with other tests: keys come from the pid, ids are never printed, and
 * every queue is removed. A child is known to be asleep in its call from /proc/PID/stat. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct message {
    long mtype;
    char mtext[8200];
};

static int queues[8];
static int nqueues;

static int new_queue(void)
{
    int id = msgget(IPC_PRIVATE, 0600);
    if (id < 0) {
        printf("FAIL: msgget: %s\n", errname(errno));
        exit(1);
    }
    queues[nqueues++] = id;
    return id;
}

static void remove_all(void)
{
    for (int i = 0; i < nqueues; i++)
        if (queues[i] >= 0)
            msgctl(queues[i], IPC_RMID, NULL);
    nqueues = 0;
}

static int send(int id, long type, const char *text, int flags)
{
    struct message m = {.mtype = type};
    size_t len = strlen(text);
    memcpy(m.mtext, text, len);
    return msgsnd(id, &m, len, flags);
}

/* Receives and prints what came: "type N: text (len)", or the error. */
static void recv(const char *what, int id, size_t size, long type, int flags)
{
    struct message m;
    memset(&m, 0, sizeof m);
    ssize_t n = msgrcv(id, &m, size, type, flags);
    if (n < 0)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: type %ld: \"%.*s\" (%zd)\n", what, m.mtype, (int)n, m.mtext, n);
}

static void show_stat(int id)
{
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds) != 0) {
        printf("IPC_STAT: -1 %s\n", errname(errno));
        return;
    }
    printf("  qnum %lu cbytes %lu qbytes %lu mode %o lspid %s lrpid %s stime %s rtime %s\n",
           (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
           (unsigned long)ds.msg_qbytes, ds.msg_perm.mode,
           ds.msg_lspid == 0 ? "none" : ds.msg_lspid == getpid() ? "me" : "other",
           ds.msg_lrpid == 0 ? "none" : ds.msg_lrpid == getpid() ? "me" : "other",
           ds.msg_stime ? "set" : "never", ds.msg_rtime ? "set" : "never");
}

static void errors(void)
{
    printf("-- msgget\n");
    key_t key = 0x3a000000 | (getpid() & 0xffffff);
    CHECK(msgget(key, 0600));
    int id = msgget(key, 0600 | IPC_CREAT | IPC_EXCL);
    CHECK(id >= 0);
    queues[nqueues++] = id;
    CHECK(msgget(key, 0600 | IPC_CREAT | IPC_EXCL));
    CHECK(msgget(key, 0600) == id);
    CHECK(msgget(key, IPC_CREAT) == id);

    printf("-- msgsnd errors\n");
    struct message m = {.mtype = 1};
    CHECK(msgsnd(-1, &m, 1, 0));
    CHECK(msgsnd(id, &m, 8193, 0));
    CHECK(msgsnd(id, NULL, 1, 0));
    m.mtype = 0;
    CHECK(msgsnd(id, &m, 1, 0));
    m.mtype = -5;
    CHECK(msgsnd(id, &m, 1, 0));
    m.mtype = 1;
    CHECK(msgsnd(0x7ffffff0, &m, 1, 0));
    /* The text runs into an unmapped page. */
    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page + 4096, 4096);
    struct message *edge = (struct message *)(page + 4096 - 16);
    edge->mtype = 1;
    CHECK(msgsnd(id, edge, 8, 0));
    CHECK(msgsnd(id, edge, 9, 0));
    CHECK(msgsnd(id, &m, 8192, IPC_NOWAIT));

    printf("-- msgrcv errors\n");
    CHECK(msgrcv(-1, &m, 10, 0, 0));
    CHECK(msgrcv(id, &m, -1, 0, 0));
    CHECK(msgrcv(id, &m, 10, 0, MSG_COPY));
    CHECK(msgrcv(id, &m, 10, 0, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT));
    CHECK(msgrcv(0x7ffffff0, &m, 10, 0, IPC_NOWAIT));
    CHECK(msgrcv(id, &m, 10, 2, IPC_NOWAIT));
    CHECK(msgrcv(id, &m, 7, 1, IPC_NOWAIT));
    CHECK(msgrcv(id, &m, 8, 1, IPC_NOWAIT));
    CHECK(msgrcv(id, &m, 8192, 0, IPC_NOWAIT));
    CHECK(msgrcv(id, &m, 8192, 0, IPC_NOWAIT));
    recv("lost to a bad buffer", id, 10, 0, IPC_NOWAIT);
    CHECK(send(id, 1, "abc", 0));
    CHECK(msgrcv(id, (void *)8, 10, 0, IPC_NOWAIT));
    recv("after EFAULT", id, 10, 0, IPC_NOWAIT);

    printf("-- msgctl errors\n");
    struct msqid_ds ds;
    CHECK(msgctl(-1, IPC_STAT, &ds));
    CHECK(msgctl(id, 9999, &ds));
    CHECK(msgctl(id, -1, &ds));
    CHECK(msgctl(id, IPC_STAT, (void *)8));
    CHECK(msgctl(id, IPC_SET, (void *)8));
    CHECK(msgctl(0x7ffffff0, IPC_STAT, &ds));
    munmap(page, 4096);
}

static void messages(void)
{
    int id = queues[0];
    printf("-- types\n");
    CHECK(send(id, 3, "three", 0));
    CHECK(send(id, 1, "one-a", 0));
    CHECK(send(id, 2, "two", 0));
    CHECK(send(id, 1, "one-b", 0));
    CHECK(send(id, 5, "five", 0));
    show_stat(id);
    recv("type 1", id, 100, 1, 0);
    recv("type <= 2", id, 100, -2, 0);
    recv("not type 3", id, 100, 3, MSG_EXCEPT);
    recv("type <= 9", id, 100, -9, 0);
    recv("any", id, 100, 0, 0);
    recv("type 4", id, 100, 4, IPC_NOWAIT);
    recv("any", id, 100, 0, IPC_NOWAIT);
    recv("empty", id, 100, 0, IPC_NOWAIT);
    CHECK(send(id, 7, "", 0));
    recv("zero-length", id, 0, 0, IPC_NOWAIT);
    CHECK(send(id, 7, "x", 0));
    recv("LONG_MIN", id, 10, -0x7fffffffffffffffL - 1, IPC_NOWAIT);

    printf("-- too long\n");
    CHECK(send(id, 4, "0123456789", 0));
    recv("small buffer", id, 5, 0, IPC_NOWAIT);
    show_stat(id);
    recv("MSG_NOERROR", id, 5, 0, IPC_NOWAIT | MSG_NOERROR);
    show_stat(id);

    printf("-- MSG_COPY\n");
    CHECK(send(id, 1, "first", 0));
    CHECK(send(id, 2, "second", 0));
    CHECK(send(id, 3, "third", 0));
    recv("copy 1", id, 100, 1, MSG_COPY | IPC_NOWAIT);
    recv("copy 2", id, 100, 2, MSG_COPY | IPC_NOWAIT);
    recv("copy 3", id, 100, 3, MSG_COPY | IPC_NOWAIT);
    recv("copy -1", id, 100, -1, MSG_COPY | IPC_NOWAIT);
    recv("copy small", id, 3, 0, MSG_COPY | IPC_NOWAIT);
    recv("copy small, MSG_NOERROR", id, 3, 0, MSG_COPY | IPC_NOWAIT | MSG_NOERROR);
    show_stat(id);
    recv("any", id, 100, 0, 0);
    recv("any", id, 100, 0, 0);
    recv("any", id, 100, 0, 0);

    printf("-- a full queue\n");
    struct msqid_ds ds;
    CHECK(msgctl(id, IPC_STAT, &ds));
    ds.msg_qbytes = 20;
    CHECK(msgctl(id, IPC_SET, &ds));
    CHECK(send(id, 1, "0123456789", IPC_NOWAIT));
    CHECK(send(id, 1, "0123456789", IPC_NOWAIT));
    CHECK(send(id, 1, "0", IPC_NOWAIT));
    CHECK(send(id, 1, "", IPC_NOWAIT));
    show_stat(id);
    recv("any", id, 100, 0, 0);
    ds.msg_qbytes = 2;
    CHECK(msgctl(id, IPC_SET, &ds));
    CHECK(send(id, 1, "", IPC_NOWAIT));
    CHECK(send(id, 1, "", IPC_NOWAIT));
    show_stat(id);
    ds.msg_qbytes = 16384;
    CHECK(msgctl(id, IPC_SET, &ds));
    CHECK(send(id, 1, "", IPC_NOWAIT));
    recv("any", id, 100, 0, 0);
    recv("any", id, 100, 0, 0);
    recv("any", id, 100, 0, 0);

    printf("-- msgctl\n");
    show_stat(id);
    /* Above MSGMNB needs CAP_SYS_RESOURCE, which root in a container may lack: not tried. */
    ds.msg_perm.mode = 0640;
    ds.msg_qbytes = 16000;
    CHECK(msgctl(id, IPC_SET, &ds));
    show_stat(id);
    ds.msg_perm.gid = (gid_t)-1;
    CHECK(msgctl(id, IPC_SET, &ds));
    CHECK(msgctl(id & 0x7fff, MSG_STAT, &ds) == id);
    CHECK(msgctl(id & 0x7fff, MSG_STAT_ANY, &ds) == id);
    struct msginfo info;
    long max = msgctl(0, IPC_INFO, (struct msqid_ds *)&info);
    printf("# IPC_INFO returns %ld\n", max);
    printf("IPC_INFO: msgmax %d msgmnb %d msgmni %d msgssz %d msgseg %d msgpool %d msgmap %d "
           "msgtql %d\n",
           info.msgmax, info.msgmnb, info.msgmni, info.msgssz, info.msgseg, info.msgpool,
           info.msgmap, info.msgtql);
    CHECK(send(id, 1, "counted", 0));
    CHECK(msgctl(0, MSG_INFO, (struct msqid_ds *)&info) >= 0);
    printf("MSG_INFO: queues %s, messages %s, bytes %s\n", info.msgpool >= 1 ? ">= 1" : "none",
           info.msgmap >= 1 ? ">= 1" : "none", info.msgtql >= 7 ? ">= 7" : "too few");

    printf("-- another user\n");
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(1000) != 0 || setuid(1000) != 0)
            _exit(1);
        CHECK(send(id, 1, "no", IPC_NOWAIT));
        recv("receive", id, 100, 0, IPC_NOWAIT);
        CHECK(msgctl(id, IPC_STAT, &ds));
        CHECK(msgctl(id & 0x7fff, MSG_STAT, &ds));
        CHECK(msgctl(id & 0x7fff, MSG_STAT_ANY, &ds) == id);
        CHECK(msgctl(id, IPC_SET, &ds));
        CHECK(msgctl(id, IPC_RMID, NULL));
        int own = msgget(IPC_PRIVATE, 0600);
        CHECK(msgctl(own, IPC_STAT, &ds));
        ds.msg_qbytes = 16385;
        CHECK(msgctl(own, IPC_SET, &ds));
        ds.msg_qbytes = 100;
        CHECK(msgctl(own, IPC_SET, &ds));
        CHECK(msgctl(own, IPC_RMID, NULL));
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("another user: %d\n", WEXITSTATUS(status));

    printf("-- IPC_RMID\n");
    CHECK(msgctl(id, IPC_RMID, NULL));
    CHECK(msgctl(id, IPC_RMID, NULL));
    CHECK(send(id, 1, "gone", IPC_NOWAIT));
    queues[0] = -1;
    remove_all();
}

/* Waits until `pid` sleeps (state S in /proc/PID/stat): in its msgsnd or msgrcv; or has
 * ended (Z). */
static void wait_sleeping(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    for (int i = 0; i < 100000; i++) {
        FILE *f = fopen(path, "r");
        char state = 0;
        if (f) {
            if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
                state = 0;
            fclose(f);
        }
        if (state == 'S' || state == 'Z')
            return;
        usleep(1000);
    }
    printf("FAIL: %d never slept\n", pid);
}

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

/* A child receiving: it exits 0 if it got `want`, else with the errno (or 99 for another
 * message). */
static pid_t receiver(int id, size_t size, long type, int flags, const char *want)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct message m;
        ssize_t n = msgrcv(id, &m, size, type, flags);
        if (n < 0)
            _exit(errno);
        _exit(n == (ssize_t)strlen(want) && memcmp(m.mtext, want, n) == 0 ? 0 : 99);
    }
    return pid;
}

static void on_usr1(int sig)
{
    (void)sig;
}

static void blocking(void)
{
    printf("-- a receiver waits\n");
    int id = new_queue();
    pid_t pid = receiver(id, 100, 2, 0, "for you");
    wait_sleeping(pid);
    CHECK(send(id, 1, "not for you", 0));
    CHECK(send(id, 2, "for you", 0));
    reap("receiver of type 2", pid);
    show_stat(id);
    recv("left", id, 100, 0, IPC_NOWAIT);

    printf("-- a receiver with a small buffer\n");
    pid = receiver(id, 4, 0, 0, "");
    wait_sleeping(pid);
    CHECK(send(id, 1, "too long", 0));
    reap("small receiver", pid);
    show_stat(id);
    recv("left", id, 100, 0, IPC_NOWAIT);

    printf("-- a sender waits\n");
    struct msqid_ds ds;
    msgctl(id, IPC_STAT, &ds);
    ds.msg_qbytes = 10;
    CHECK(msgctl(id, IPC_SET, &ds));
    CHECK(send(id, 1, "full queue", 0));
    pid = fork();
    if (pid == 0)
        _exit(send(id, 2, "waited", 0) == 0 ? 0 : errno);
    wait_sleeping(pid);
    show_stat(id);
    recv("room", id, 100, 0, 0);
    reap("sender", pid);
    recv("sent", id, 100, 0, IPC_NOWAIT);

    printf("-- EIDRM\n");
    CHECK(send(id, 1, "full queue", 0));
    pid_t sender = fork();
    if (sender == 0)
        _exit(send(id, 2, "never", 0) == 0 ? 0 : errno);
    wait_sleeping(sender);
    int other = new_queue();
    pid = receiver(other, 100, 0, 0, "");
    wait_sleeping(pid);
    CHECK(msgctl(id, IPC_RMID, NULL));
    CHECK(msgctl(other, IPC_RMID, NULL));
    nqueues = 0;
    reap("sender to a removed queue", sender);
    reap("receiver from a removed queue", pid);

    printf("-- EINTR\n");
    id = new_queue();
    pid = fork();
    if (pid == 0) {
        struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
        sigaction(SIGUSR1, &sa, NULL);
        struct message m;
        _exit(msgrcv(id, &m, 100, 0, 0) < 0 ? errno : 0);
    }
    wait_sleeping(pid);
    kill(pid, SIGUSR1);
    reap("interrupted receiver", pid);
    pid = receiver(id, 100, 0, 0, "");
    wait_sleeping(pid);
    kill(pid, SIGKILL);
    reap("killed receiver", pid);
    CHECK(send(id, 1, "kept", 0));
    recv("after the kill", id, 100, 0, IPC_NOWAIT);

    /* A stop and a continue, with no handler: msgrcv and msgsnd go on waiting (restarted). */
    pid = receiver(id, 100, 0, 0, "after the stop");
    wait_sleeping(pid);
    kill(pid, SIGSTOP);
    int status;
    CHECK(waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status));
    kill(pid, SIGCONT);
    wait_sleeping(pid);
    CHECK(send(id, 1, "after the stop", 0));
    reap("stopped and continued receiver", pid);
    recv("left", id, 100, 0, IPC_NOWAIT);
    msgctl(id, IPC_STAT, &ds);
    ds.msg_qbytes = 4;
    CHECK(msgctl(id, IPC_SET, &ds));
    CHECK(send(id, 1, "full", 0));
    pid = fork();
    if (pid == 0)
        _exit(send(id, 2, "more", 0) == 0 ? 0 : errno);
    wait_sleeping(pid);
    kill(pid, SIGSTOP);
    CHECK(waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status));
    kill(pid, SIGCONT);
    wait_sleeping(pid);
    recv("room", id, 100, 0, 0);
    reap("stopped and continued sender", pid);
    recv("sent", id, 100, 0, IPC_NOWAIT);
    remove_all();
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    errors();
    messages();
    blocking();
    return 0;
}
