/* Socketpairs with descriptors in flight, made and closed by the thousand, must give back every
 * frame (MemFree) and every heap byte (KernelHeap, KernelHeapUsed): messages dropped unread with
 * their descriptors, sockets sent over themselves (collected at close), two sockets holding each
 * other, descriptors received and closed. The first two rounds warm up; every later one must end
 * where the second ended. This kernel's /proc/meminfo lines are its own: QEMU only. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfield.h"

static int failures;

static void check(const char *what, int ok) {
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}

static void send_fds(int sock, const int *fds, int n) {
    char ctl[CMSG_SPACE(sizeof(int) * 4)];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {"data", 4};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                         .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
    if (syscall(SYS_sendmsg, sock, &msg, 0) != 4) {
        check("sendmsg", 0);
        exit(1);
    }
}

static void receive_and_close(int sock) {
    char buf[16], ctl[CMSG_SPACE(sizeof(int) * 4)];
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                         .msg_controllen = sizeof ctl};
    if (recvmsg(sock, &msg, 0) < 0) {
        check("recvmsg", 0);
        exit(1);
    }
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
        for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
            close(fd);
        }
}

static void one(int i) {
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
    int sv[2], p[2];
    if (socketpair(AF_UNIX, types[i % 3], 0, sv) != 0 || pipe(p) != 0) {
        check("socketpair and pipe", 0);
        exit(1);
    }
    switch (i % 5) {
    case 0: /* a pipe in flight, never read */
        send_fds(sv[0], p, 2);
        break;
    case 1: /* a socket in its own queue */
        send_fds(sv[0], &sv[1], 1);
        break;
    case 2: { /* two sockets in each other's queues, with a pipe */
        int a[2] = {sv[0], p[0]}, b[2] = {sv[1], p[1]};
        send_fds(sv[0], a, 2);
        send_fds(sv[1], b, 2);
        break;
    }
    case 3: /* received and closed */
        send_fds(sv[0], p, 2);
        receive_and_close(sv[1]);
        break;
    case 4: /* a socket sent over itself, plus data left unread the other way */
        send_fds(sv[1], &sv[1], 1);
        write(sv[0], "x", 1);
        break;
    }
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

struct snapshot {
    long free_kb, heap_kb, heap_used_kb;
};

static struct snapshot snapshot(void) {
    struct snapshot s = {
        proc_field("/proc/meminfo", "MemFree"),
        proc_field("/proc/meminfo", "KernelHeap"),
        proc_field("/proc/meminfo", "KernelHeapUsed"),
    };
    return s;
}

#define ROUNDS 5

int main(int argc, char **argv) {
    int per_round = argc > 1 ? atoi(argv[1]) : 1000;
    struct snapshot base = {0};
    for (int r = 1; r <= ROUNDS; r++) {
        for (int i = 0; i < per_round; i++)
            one(i);
        struct snapshot now = snapshot();
        printf("# after round %d: MemFree %ld kB, KernelHeap %ld kB (%ld kB used)\n", r,
               now.free_kb, now.heap_kb, now.heap_used_kb);
        if (r == 2)
            base = now;
        if (r <= 2)
            continue;
        char what[96];
        snprintf(what, sizeof what, "round %d: free memory as after round 2", r);
        check(what, now.free_kb == base.free_kb);
        snprintf(what, sizeof what, "round %d: kernel heap as after round 2", r);
        check(what, now.heap_used_kb == base.heap_used_kb && now.heap_kb == base.heap_kb);
    }
    /* Nothing may be left open: the next descriptor is the first after stdio. */
    int fd = dup(0);
    check("no descriptor left", fd == 3);
    printf("%d socketpairs made and closed\n", ROUNDS * per_round);
    return failures != 0;
}
