/* flock against Linux: shared and exclusive locks held by open file descriptions (two opens of a
 * file are two holders, dup and fork share one), LOCK_NB's EWOULDBLOCK, a conversion that loses
 * the lock it had, release by LOCK_UN and by the last close, a waiter woken by the unlock in
 * another process, and the errors. One fork only (the Linux run is on the host). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "waitstate.h"

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    char path[] = "/tmp/flock-XXXXXX";
    int a = mkstemp(path);
    int b = open(path, O_RDONLY);

    printf("-- two descriptions\n");
    CHECK(flock(a, LOCK_SH));
    CHECK(flock(b, LOCK_SH | LOCK_NB));
    CHECK(flock(b, LOCK_EX | LOCK_NB));
    printf("(b's shared lock went with the failed conversion)\n");
    CHECK(flock(a, LOCK_EX | LOCK_NB));
    CHECK(flock(b, LOCK_SH | LOCK_NB));
    CHECK(flock(a, LOCK_SH));
    CHECK(flock(b, LOCK_SH | LOCK_NB));
    CHECK(flock(a, LOCK_UN));
    CHECK(flock(b, LOCK_UN));
    CHECK(flock(b, LOCK_UN));

    printf("-- dup shares the lock, close of the last descriptor releases it\n");
    int a2 = dup(a);
    CHECK(flock(a, LOCK_EX));
    CHECK(flock(a2, LOCK_EX | LOCK_NB));
    CHECK(flock(b, LOCK_SH | LOCK_NB));
    CHECK(flock(a2, LOCK_UN));
    CHECK(flock(b, LOCK_EX | LOCK_NB));
    CHECK(flock(b, LOCK_UN));
    CHECK(flock(a, LOCK_EX));
    close(a2);
    CHECK(flock(b, LOCK_EX | LOCK_NB));
    int c = open(path, O_RDONLY);
    CHECK(flock(c, LOCK_EX | LOCK_NB));
    close(a);
    CHECK(flock(c, LOCK_EX | LOCK_NB));
    CHECK(flock(b, LOCK_UN));
    close(c);

    printf("-- a waiter in another process\n");
    a = open(path, O_RDWR);
    CHECK(flock(a, LOCK_EX));
    int ready[2];
    pipe(ready);
    pid_t child = fork();
    if (child == 0) {
        int mine = open(path, O_RDONLY);
        int inherited_nb = flock(a, LOCK_EX | LOCK_NB);
        printf("child: the inherited description's lock is its own: %d\n", inherited_nb);
        write(ready[1], "r", 1);
        if (flock(mine, LOCK_SH) == 0)
            printf("child: got the shared lock after the parent's unlock\n");
        _exit(0);
    }
    /* The child's first line comes first however loaded the machine is; then it blocks on the
     * lock before the parent unlocks. */
    char byte;
    read(ready[0], &byte, 1);
    wait_until_asleep(child);
    printf("parent: unlocking\n");
    /* The unlock's result is printed after the child is gone: the child prints as soon as the
     * unlock wakes it, which would race with the parent's line. */
    int unlocked = flock(a, LOCK_UN);
    int status;
    waitpid(child, &status, 0);
    printf("flock(a, LOCK_UN) after the child: %d\n", unlocked);
    printf("child exited %d\n", WEXITSTATUS(status));

    printf("-- errors\n");
    CHECK(flock(-1, LOCK_SH));
    CHECK(flock(a, 0));
    CHECK(flock(a, LOCK_SH | LOCK_EX));
    CHECK(flock(a, LOCK_NB));
    CHECK(flock(99, LOCK_SH));
    CHECK(flock(99, 0));
    int d = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK(flock(d, LOCK_EX | LOCK_NB));
    unlink(path);
    return 0;
}
