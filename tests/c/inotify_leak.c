/* inotify instances made, filled and closed in every way must give back every byte of kernel
 * heap: instances closed with many watches and thousands of queued events (one past overflow),
 * watches removed by rm_watch, IN_ONESHOT and by deleting the watched files, instances left to a
 * child that exits, thousands of random calls (any mask, any wd, reads of any size at any
 * address) among the operations that make events; and a reader blocked in read() is woken by
 * an event. The first rounds warm
 * up what is allocated once; every later round must end where the second ended. This kernel's
 * /proc/meminfo lines are its own, so the test runs in QEMU only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfield.h"
#include "waitstate.h"

#define INSTANCES 8
#define FILES 40

static char base[64];
static int failures;

static void path(char *out, int i) {
    sprintf(out, "%s/file-%d", base, i);
}

static void fill(int *fds, int n) {
    char p[128];
    for (int i = 0; i < FILES; i++) {
        path(p, i);
        close(open(p, O_CREAT | O_WRONLY, 0644));
    }
    for (int k = 0; k < n; k++) {
        fds[k] = inotify_init1(IN_NONBLOCK);
        if (fds[k] < 0) {
            printf("FAIL: inotify_init1: %s\n", strerror(errno));
            failures++;
            return;
        }
        inotify_add_watch(fds[k], base, IN_ALL_EVENTS);
        for (int i = 0; i < FILES; i++) {
            path(p, i);
            inotify_add_watch(fds[k], p, IN_ALL_EVENTS | (i % 5 == 0 ? IN_ONESHOT : 0));
        }
    }
    /* Events: opens, writes, attribute changes, names made and removed. */
    for (int i = 0; i < FILES; i++) {
        path(p, i);
        int f = open(p, O_WRONLY);
        write(f, "data", 4);
        fchmod(f, 0600);
        close(f);
    }
}

static void round_of_instances(int r) {
    int fds[INSTANCES];
    char p[128];
    fill(fds, INSTANCES);
    /* Some watches removed, one instance read dry, one pushed past overflow. */
    for (int wd = 2; wd < 10; wd++)
        inotify_rm_watch(fds[0], wd);
    char buf[4096];
    while (read(fds[1], buf, sizeof buf) > 0)
        ;
    path(p, 1);
    int f = open(p, O_WRONLY);
    for (int i = 0; i < 9000; i++) {
        write(f, "x", 1);
        fchmod(f, i % 2 ? 0600 : 0644);
    }
    close(f);
    int n = -1;
    ioctl(fds[2], FIONREAD, &n);
    if (r == 1)
        printf("# queued bytes on a full instance: %d\n", n);
    /* Half the files deleted while watched, the rest with the instances closed. */
    for (int i = 0; i < FILES / 2; i++) {
        path(p, i);
        unlink(p);
    }
    for (int k = 0; k < INSTANCES; k++)
        close(fds[k]);
    for (int i = FILES / 2; i < FILES; i++) {
        path(p, i);
        unlink(p);
    }
    /* Instances left to a child that exits. */
    pid_t pid = fork();
    if (pid == 0) {
        fill(fds, 2);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    for (int i = 0; i < FILES; i++) {
        path(p, i);
        unlink(p);
    }
}

static unsigned long seed = 12345;

static unsigned rnd(void) {
    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
    return seed >> 33;
}

/* Random calls on two instances: masks with any bits, watch descriptors in and out of range,
 * reads of any size at any address, the VFS operations that make events. Nothing may fail
 * other than with an errno, and the memory must come back like the rest. */
static void random_calls(void) {
    char p[128], buf[512];
    int fds[2] = {inotify_init1(IN_NONBLOCK), inotify_init1(IN_NONBLOCK)};
    for (int i = 0; i < 3000; i++) {
        int fd = fds[rnd() % 2];
        sprintf(p, "%s/%s-%u", base, rnd() % 2 ? "file" : "dir", rnd() % 6);
        unsigned mask = rnd() % 4 ? (rnd() & (IN_ALL_EVENTS | IN_ONESHOT | IN_MASK_ADD)) : rnd();
        switch (rnd() % 12) {
        case 0: inotify_add_watch(fd, rnd() % 4 ? p : base, mask); break;
        case 1: inotify_rm_watch(fd, (int)(rnd() % 12) - 2); break;
        case 2: read(fd, rnd() % 8 ? buf : (char *)(unsigned long)rnd(), rnd() % sizeof buf); break;
        case 3: close(open(p, O_CREAT | O_RDWR, 0644)); break;
        case 4: unlink(p); break;
        case 5: mkdir(p, 0755); break;
        case 6: rmdir(p); break;
        case 7: { char q[128]; sprintf(q, "%s/file-%u", base, rnd() % 6); rename(p, q); } break;
        case 8: { int f = open(p, O_WRONLY); write(f, "x", 1); close(f); } break;
        case 9: chmod(p, 0600 | (rnd() & 0177)); break;
        case 10: { int n; ioctl(fd, FIONREAD, rnd() % 8 ? &n : (int *)(unsigned long)rnd()); } break;
        case 11: inotify_add_watch(fd, (char *)(unsigned long)rnd(), mask); break;
        }
    }
    close(fds[0]);
    close(fds[1]);
    for (int i = 0; i < 6; i++) {
        sprintf(p, "%s/file-%d", base, i);
        unlink(p);
        rmdir(p);
        sprintf(p, "%s/dir-%d", base, i);
        unlink(p);
        rmdir(p);
    }
}

static void blocked_reader(void) {
    int fd = inotify_init();
    inotify_add_watch(fd, base, IN_CREATE);
    pid_t pid = fork();
    if (pid == 0) {
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf);
        struct inotify_event *ev = (struct inotify_event *)buf;
        _exit(n > 0 && ev->mask == IN_CREATE && strcmp(ev->name, "woken") == 0 ? 0 : 1);
    }
    wait_until_asleep(pid); /* its read waits for the event */
    char p[128];
    sprintf(p, "%s/woken", base);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    int status;
    waitpid(pid, &status, 0);
    unlink(p);
    close(fd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("FAIL: the blocked reader did not get the event\n");
        failures++;
    } else {
        printf("blocked reader woken with the event\n");
    }
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    strcpy(base, "/tmp/inotify-leak-XXXXXX");
    if (!mkdtemp(base))
        return 1;
    blocked_reader();
    long first = 0;
    for (int r = 1; r <= 5; r++) {
        round_of_instances(r);
        random_calls();
        long used = proc_field("/proc/meminfo", "KernelHeapUsed");
        printf("# round %d: kernel heap used %ld kB\n", r, used);
        if (r == 2)
            first = used;
        if (r > 2 && used != first) {
            printf("FAIL: round %d: kernel heap used %ld kB, %ld after round 2\n", r, used, first);
            failures++;
        }
    }
    if (rmdir(base) != 0) {
        printf("FAIL: rmdir: %s\n", strerror(errno));
        failures++;
    }
    printf("%s: inotify instances give back the kernel heap\n", failures ? "FAIL" : "ok");
    return failures != 0;
}
