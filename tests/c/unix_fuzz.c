/* Random AF_UNIX calls with a fixed seed, in two processes sharing their first sockets: pairs,
 * named and abstract sockets, connections, sends and receives of every kind with random flags,
 * lengths and bad pointers, SCM_RIGHTS of random descriptors (sockets included, so cycles form),
 * shutdowns, closes, dups, options and polls; blocking calls are cut short by an interval timer
 * (EINTR). The kernel must neither panic nor hang, and once every descriptor is closed each
 * round must give back every heap byte (KernelHeapUsed) and every frame outside the heap
 * (MemFree + KernelHeap: the heap keeps what it grew by), as the second round left them. This
 * kernel's /proc/meminfo lines: QEMU only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfield.h"

#define SLOTS 24

static unsigned long long state;
static int fds[SLOTS];

static unsigned rnd(unsigned n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(state >> 33) % n;
}

static void on_alarm(int sig) {
    (void)sig;
}

static int slot_fd(void) {
    return fds[rnd(SLOTS)];
}

static void put(int fd) {
    if (fd < 0)
        return;
    int i = rnd(SLOTS);
    if (fds[i] >= 0)
        close(fds[i]);
    fds[i] = fd;
}

static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

static socklen_t random_addr(struct sockaddr_un *a) {
    memset(a, 0, sizeof *a);
    a->sun_family = rnd(8) ? AF_UNIX : rnd(3);
    switch (rnd(4)) {
    case 0:
        snprintf(a->sun_path, sizeof a->sun_path, "n%u", rnd(4));
        return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1;
    case 1:
        a->sun_path[0] = 0;
        snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "fz%u", rnd(4));
        return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a->sun_path + 1);
    case 2:
        return offsetof(struct sockaddr_un, sun_path);
    default:
        return rnd(130);
    }
}

static char buf[70000];

static void *random_buf(size_t *len) {
    *len = rnd(4) == 0 ? rnd(sizeof buf) : rnd(300);
    switch (rnd(12)) {
    case 0:
        return NULL;
    case 1:
        return (void *)(unsigned long)(4096 * (1 + rnd(4)));
    case 2:
        return (void *)0x7ffffffff000UL;
    default:
        return buf;
    }
}

static void random_sendmsg(void) {
    char ctl[CMSG_SPACE(sizeof(int) * 8)];
    memset(ctl, 0, sizeof ctl);
    size_t len;
    void *data = random_buf(&len);
    struct iovec iov[2] = {{data, len}, {buf, rnd(100)}};
    struct sockaddr_un a;
    socklen_t alen = random_addr(&a);
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 1 + rnd(2)};
    if (rnd(4) == 0) {
        m.msg_name = &a;
        m.msg_namelen = alen;
    }
    int n = rnd(9);
    if (n > 0) {
        m.msg_control = ctl;
        m.msg_controllen = rnd(6) ? CMSG_SPACE(sizeof(int) * n) : rnd(sizeof ctl + 1);
        struct cmsghdr *cm = (struct cmsghdr *)ctl;
        cm->cmsg_level = rnd(8) ? SOL_SOCKET : rnd(3);
        cm->cmsg_type = rnd(8) ? SCM_RIGHTS : rnd(4);
        cm->cmsg_len = rnd(8) ? CMSG_LEN(sizeof(int) * n) : rnd(200);
        for (int i = 0; i < n; i++) {
            int fd = rnd(10) ? slot_fd() : (int)rnd(100);
            memcpy(CMSG_DATA(cm) + i * sizeof(int), &fd, sizeof fd);
        }
    }
    syscall(SYS_sendmsg, slot_fd(), rnd(30) ? (long)&m : 8L, (long)(rnd(3) ? MSG_DONTWAIT : 0) |
                                                             (rnd(2) ? MSG_NOSIGNAL : 0));
}

static void random_recvmsg(void) {
    char ctl[CMSG_SPACE(sizeof(int) * 8)];
    size_t len;
    void *data = random_buf(&len);
    struct iovec iov = {data, len};
    struct sockaddr_un a;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_name = rnd(2) ? &a : NULL,
                       .msg_namelen = rnd(2) ? sizeof a : rnd(200)};
    if (rnd(3)) {
        static void *const bad[] = {(void *)8, (void *)-16L, (void *)-4L, (void *)0x7ffffffffff0L};
        m.msg_control = rnd(10) ? ctl : bad[rnd(4)];
        m.msg_controllen = rnd(sizeof ctl + 1);
    }
    static const int flags[] = {0, MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_TRUNC, MSG_CMSG_CLOEXEC,
                                MSG_OOB};
    int f = flags[rnd(7)] | (rnd(2) ? MSG_DONTWAIT : 0);
    ssize_t r = syscall(SYS_recvmsg, slot_fd(), (long)&m, (long)f);
    if (r >= 0 && m.msg_control == ctl)
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
                for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
                    put(fd);
                }
}

static void op(void) {
    struct sockaddr_un a;
    socklen_t alen;
    size_t len;
    void *p;
    int v, sv[2];
    socklen_t vl;
    switch (rnd(23)) {
    case 0:
        if (socketpair(AF_UNIX, types[rnd(3)] | (rnd(2) ? SOCK_NONBLOCK : 0), 0, sv) == 0) {
            put(sv[0]);
            put(sv[1]);
        }
        break;
    case 1:
        put(socket(rnd(10) ? AF_UNIX : rnd(50), types[rnd(3)] | (rnd(3) ? 0 : SOCK_NONBLOCK), 0));
        break;
    case 2: {
        int fd = slot_fd();
        alen = random_addr(&a);
        bind(fd, rnd(20) ? (struct sockaddr *)&a : (struct sockaddr *)8, alen);
        if (rnd(2))
            listen(fd, rnd(4));
        break;
    }
    case 3:
        listen(slot_fd(), rnd(4) - 1);
        break;
    case 4:
        alen = random_addr(&a);
        connect(slot_fd(), (struct sockaddr *)&a, alen);
        break;
    case 5:
    case 21:
        vl = sizeof a;
        put(accept4(slot_fd(), rnd(2) ? (struct sockaddr *)&a : NULL, &vl,
                    rnd(2) ? SOCK_NONBLOCK : SOCK_CLOEXEC));
        break;
    case 6:
    case 7:
        p = random_buf(&len);
        send(slot_fd(), p, len, (rnd(3) ? MSG_DONTWAIT : 0) | MSG_NOSIGNAL);
        break;
    case 8:
    case 9:
        p = random_buf(&len);
        recv(slot_fd(), p, len, rnd(3) ? MSG_DONTWAIT : rnd(2) ? MSG_PEEK : MSG_WAITALL);
        break;
    case 10:
        p = random_buf(&len);
        alen = random_addr(&a);
        sendto(slot_fd(), p, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&a, alen);
        break;
    case 11:
        p = random_buf(&len);
        vl = rnd(2) ? sizeof a : rnd(10);
        recvfrom(slot_fd(), p, len, MSG_DONTWAIT, (struct sockaddr *)&a, &vl);
        break;
    case 12:
    case 13:
        random_sendmsg();
        break;
    case 14:
    case 15:
        random_recvmsg();
        break;
    case 16:
        shutdown(slot_fd(), rnd(4));
        break;
    case 17: {
        int i = rnd(SLOTS);
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
        break;
    }
    case 18:
        put(dup(slot_fd()));
        break;
    case 19:
        v = rnd(300000) - 1000;
        if (rnd(3)) {
            setsockopt(slot_fd(), SOL_SOCKET, rnd(2) ? SO_SNDBUF : SO_RCVBUF, &v, sizeof v);
        } else if (rnd(2)) {
            v = rnd(2);
            setsockopt(slot_fd(), SOL_SOCKET, rnd(2) ? SO_PASSCRED : SO_REUSEADDR, &v, sizeof v);
        } else {
            struct timeval tv = {rnd(3) - 1, rnd(20000)};
            setsockopt(slot_fd(), SOL_SOCKET, rnd(2) ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, sizeof tv);
        }
        vl = rnd(20);
        getsockopt(slot_fd(), SOL_SOCKET, rnd(40), buf, &vl);
        break;
    case 20: {
        struct pollfd pf[4];
        for (int i = 0; i < 4; i++)
            pf[i] = (struct pollfd){slot_fd(), POLLIN | POLLOUT | POLLRDHUP, 0};
        poll(pf, 4, rnd(3));
        break;
    }
    default:
        p = random_buf(&len);
        if (rnd(2))
            write(slot_fd(), p, len);
        else
            read(slot_fd(), p, len);
        v = 0;
        ioctl(slot_fd(), FIONREAD, &v);
        vl = sizeof a;
        if (rnd(2))
            getsockname(slot_fd(), (struct sockaddr *)&a, &vl);
        else
            getpeername(slot_fd(), rnd(10) ? (struct sockaddr *)&a : (struct sockaddr *)8, &vl);
        break;
    }
}

static void close_all(void) {
    for (int i = 0; i < SLOTS; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

static void round_of(int ops, unsigned long long seed) {
    for (int i = 0; i < SLOTS; i++)
        fds[i] = -1;
    /* Shared sockets first, then two processes. */
    for (int i = 0; i < 4; i++) {
        int sv[2];
        socketpair(AF_UNIX, types[i % 3], 0, sv);
        fds[2 * i] = sv[0];
        fds[2 * i + 1] = sv[1];
    }
    pid_t child = fork();
    state = seed * 2 + (child == 0);
    /* Interval timers are not inherited: each process cuts its own blocking calls short. */
    struct itimerval it = {{0, 5000}, {0, 5000}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (int i = 0; i < ops; i++)
        op();
    close_all();
    if (child == 0)
        _exit(0);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        printf("FAIL: child status %#x\n", status);
    for (int i = 0; i < 4; i++)
        unlink((char[]){'n', (char)('0' + i), 0});
}

int main(int argc, char **argv) {
    int ops = argc > 1 ? atoi(argv[1]) : 3000;
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    chdir("/tmp");
    /* The buffer random receives write anywhere in: resident from the start, so that the
     * memory counted is the kernel's alone. */
    memset(buf, 1, sizeof buf);
    long base_free = 0, base_used = 0;
    int failures = 0;
    for (int r = 1; r <= 5; r++) {
        round_of(ops, 1000 + r);
        /* A cycle left by the round is collected at the next release of a socket. */
        int sv[2];
        socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
        close(sv[0]);
        close(sv[1]);
        /* The heap keeps the frames it grew by for a round with more in flight (a high-water
         * mark): what must come back is every other frame, and every heap byte. */
        long heap_kb = proc_field("/proc/meminfo", "KernelHeap");
        long free_kb = proc_field("/proc/meminfo", "MemFree") + heap_kb;
        long used_kb = proc_field("/proc/meminfo", "KernelHeapUsed");
        printf("# after round %d: MemFree + KernelHeap %ld kB, KernelHeap %ld kB (%ld kB used)\n",
               r, free_kb, heap_kb, used_kb);
        if (r == 2) {
            base_free = free_kb;
            base_used = used_kb;
        } else if (r > 2 && (free_kb != base_free || used_kb != base_used)) {
            printf("FAIL: round %d did not give everything back\n", r);
            failures++;
        }
    }
    int fd = dup(0);
    printf("%s: no descriptor left\n", fd == 3 ? "ok" : "FAIL");
    printf("%d calls made\n", 5 * 2 * ops);
    return failures != 0 || fd != 3;
}
