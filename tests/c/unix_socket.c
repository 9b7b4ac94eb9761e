/* Named AF_UNIX sockets against Linux: socket's errors; bind to paths (an S_IFSOCK node, umask,
 * EADDRINUSE, EINVAL, the lookup's errors), autobind and abstract names; listen, connect,
 * accept and accept4 with their errors and flags, backlogs, credentials, connections closed
 * before they are accepted; getsockname and getpeername with Linux's lengths; datagrams sent to
 * bound sockets by unnamed and named senders, connected datagram sockets, their queue limit and
 * EPERM; ENOTSOCK, EBADF, EFAULT. Everything happens in a fresh directory under /tmp, named
 * relatively, so that the output is the same on both kernels. One fork. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "waitstate.h"

static struct sockaddr_un addr_of(const char *path, socklen_t *len) {
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    *len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
    return a;
}

static int bind_to(int fd, const char *path) {
    socklen_t len;
    struct sockaddr_un a = addr_of(path, &len);
    return bind(fd, (struct sockaddr *)&a, len);
}

static int connect_to(int fd, const char *path) {
    socklen_t len;
    struct sockaddr_un a = addr_of(path, &len);
    return connect(fd, (struct sockaddr *)&a, len);
}

/* Prints an address as "len N: path" ("@" for a leading 0 byte of an abstract name). */
static void show_addr(const char *what, struct sockaddr_un *a, socklen_t len) {
    printf("%s: len %u", what, len);
    if (len > offsetof(struct sockaddr_un, sun_path)) {
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        printf(" family %d \"", a->sun_family);
        for (size_t i = 0; i < n && i < sizeof a->sun_path; i++)
            putchar(a->sun_path[i] ? a->sun_path[i] : '@');
        printf("\"");
    } else if (len >= 2) {
        printf(" family %d", a->sun_family);
    }
    printf("\n");
}

static void name_of(const char *what, int fd, int peer) {
    struct sockaddr_un a;
    memset(&a, 0x7a, sizeof a);
    socklen_t len = sizeof a;
    int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len)
                 : getsockname(fd, (struct sockaddr *)&a, &len);
    if (r < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        return;
    }
    show_addr(what, &a, len);
}

static int ready(int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static void errors(void) {
    printf("-- socket errors\n");
    REPORT("bad flags", socket(AF_UNIX, SOCK_STREAM | 0x100, 0));
    REPORT("family 46", socket(46, SOCK_STREAM, 0));
    REPORT("family -5", socket(-5, SOCK_STREAM, 0));
    REPORT("type 0", socket(AF_UNIX, 0, 0));
    REPORT("type 15", socket(AF_UNIX, 15, 0));
    REPORT("protocol 3", socket(AF_UNIX, SOCK_DGRAM, 3));
    int raw = socket(AF_UNIX, SOCK_RAW, 0);
    int type = -1;
    socklen_t tl = sizeof type;
    getsockopt(raw, SOL_SOCKET, SO_TYPE, &type, &tl);
    printf("SOCK_RAW is SOCK_DGRAM: %d\n", type == SOCK_DGRAM);
    close(raw);
    int nb = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    printf("flags: O_NONBLOCK %d FD_CLOEXEC %d\n", (fcntl(nb, F_GETFL) & O_NONBLOCK) != 0,
           fcntl(nb, F_GETFD));
    close(nb);
    errno = 0;
    int r = socket(AF_NETLINK, SOCK_RAW, 0);
    printf("# AF_NETLINK: %d %s\n", r, errname(errno));
    if (r >= 0)
        close(r);
    errno = 0;
    r = socket(AF_INET6, SOCK_DGRAM, 0);
    printf("# AF_INET6: %d %s\n", r, errname(errno));
    if (r >= 0)
        close(r);

    printf("-- not a socket\n");
    int p[2];
    pipe(p);
    struct sockaddr_un a;
    socklen_t len = sizeof a;
    REPORT("bind", bind(p[0], (struct sockaddr *)&a, len));
    REPORT("listen", listen(p[0], 1));
    REPORT("accept", accept(p[0], NULL, NULL));
    REPORT("connect", connect(p[0], (struct sockaddr *)&a, len));
    REPORT("getsockname", getsockname(p[0], (struct sockaddr *)&a, &len));
    REPORT("getpeername", getpeername(p[0], (struct sockaddr *)&a, &len));
    REPORT("bind -1", bind(-1, (struct sockaddr *)&a, len));
    REPORT("accept4 on -1 with other flags", accept4(-1, NULL, NULL, 0x1234));
    close(p[0]);
    close(p[1]);
}

static void binding(void) {
    printf("-- bind to a path\n");
    umask(022);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    name_of("unbound name", s, 0);
    name_of("unbound peer", s, 1);
    CHECK(bind_to(s, "s1"));
    name_of("bound", s, 0);
    struct stat st;
    CHECK(stat("s1", &st));
    printf("S_ISSOCK %d mode %o size %lld\n", S_ISSOCK(st.st_mode), st.st_mode & 07777,
           (long long)st.st_size);
    REPORT("open", open("s1", O_RDWR));
    REPORT("bind again", bind_to(s, "s2"));
    REPORT("s2 left behind", access("s2", F_OK));
    int t = socket(AF_UNIX, SOCK_DGRAM, 0);
    REPORT("name taken", bind_to(t, "s1"));
    int f = open("file", O_CREAT | O_WRONLY, 0644);
    close(f);
    REPORT("a file there", bind_to(t, "file"));
    REPORT("no such directory", bind_to(t, "nodir/x"));
    REPORT("through a file", bind_to(t, "file/x"));
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    REPORT("length 1", bind(t, (struct sockaddr *)&a, 1));
    REPORT("length 0", bind(t, (struct sockaddr *)&a, 0));
    REPORT("length -1", bind(t, (struct sockaddr *)&a, -1));
    REPORT("length 111", bind(t, (struct sockaddr *)&a, 111));
    REPORT("length 129", bind(t, (struct sockaddr *)&a, 129));
    REPORT("bad pointer", bind(t, (struct sockaddr *)8, 10));
    a.sun_family = AF_INET;
    strcpy(a.sun_path, "inet");
    REPORT("family AF_INET", bind(t, (struct sockaddr *)&a, 10));
    /* A path without its NUL: the length ends it. */
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, "s3xyz", 5);
    CHECK(bind(t, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 2));
    name_of("bound without a NUL", t, 0);
    REPORT("s3 there", access("s3", F_OK));
    close(t);

    printf("-- autobind and abstract names\n");
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind(u, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path)));
    struct sockaddr_un got;
    socklen_t gl = sizeof got;
    getsockname(u, (struct sockaddr *)&got, &gl);
    printf("autobind: len %u, abstract %d\n", gl, got.sun_path[0] == 0);
    CHECK(bind(u, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path)));
    socklen_t gl2 = sizeof got;
    struct sockaddr_un got2;
    getsockname(u, (struct sockaddr *)&got2, &gl2);
    printf("autobind again keeps the name: %d\n", gl2 == gl && memcmp(&got, &got2, gl) == 0);
    close(u);

    char name[64];
    int nl = snprintf(name, sizeof name, "%cvmk-unix-test-%d", 0, (int)getpid());
    struct sockaddr_un ab;
    memset(&ab, 0, sizeof ab);
    ab.sun_family = AF_UNIX;
    memcpy(ab.sun_path, name, nl);
    socklen_t ablen = offsetof(struct sockaddr_un, sun_path) + nl;
    int x = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(x, (struct sockaddr *)&ab, ablen));
    gl = sizeof got;
    getsockname(x, (struct sockaddr *)&got, &gl);
    printf("abstract name back: %d\n", gl == ablen && memcmp(&got, &ab, ablen) == 0);
    int y = socket(AF_UNIX, SOCK_STREAM, 0);
    REPORT("abstract name taken", bind(y, (struct sockaddr *)&ab, ablen));
    REPORT("a longer name is another", bind(y, (struct sockaddr *)&ab, ablen + 1));
    REPORT("connect to a bound socket not listening", connect(y, (struct sockaddr *)&ab, ablen));
    CHECK(listen(x, 5));
    int z = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(z, (struct sockaddr *)&ab, ablen));
    gl = sizeof got;
    getpeername(z, (struct sockaddr *)&got, &gl);
    printf("peer is the abstract name: %d\n", gl == ablen && memcmp(&got, &ab, ablen) == 0);
    int acc = accept(x, NULL, NULL);
    CHECK(write(z, "abs", 3));
    char buf[64] = {0};
    CHECK(read(acc, buf, sizeof buf));
    printf("got \"%s\"\n", buf);
    close(acc);
    close(z);
    close(x);
    close(y);
    y = socket(AF_UNIX, SOCK_STREAM, 0);
    REPORT("the name is free after close", bind(y, (struct sockaddr *)&ab, ablen));
    close(y);
    y = socket(AF_UNIX, SOCK_STREAM, 0);
    REPORT("connect to a free abstract name", connect(y, (struct sockaddr *)&ab, ablen));
    close(y);
    close(s);
}

static void connections(void) {
    printf("-- listen, connect, accept\n");
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    REPORT("listen on a datagram socket", listen(d, 1));
    REPORT("accept on a datagram socket", accept(d, NULL, NULL));
    close(d);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    REPORT("listen unbound", listen(l, 1));
    REPORT("accept not listening", accept(l, NULL, NULL));
    CHECK(bind_to(l, "l1"));
    CHECK(listen(l, 5));
    CHECK(listen(l, 2));
    int v = -1;
    socklen_t vl = sizeof v;
    getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
    printf("SO_ACCEPTCONN %d\n", v);
    printf("poll listener: %#x\n", ready(l));
    REPORT("send on a listener", send(l, "x", 1, MSG_NOSIGNAL));
    char c;
    REPORT("recv on a listener", recv(l, &c, 1, MSG_DONTWAIT));
    int n = 0;
    REPORT("FIONREAD on a listener", ioctl(l, FIONREAD, &n));

    int cl = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect_to(cl, "l1"));
    printf("poll listener with a connection: %#x\n", ready(l));
    printf("poll client: %#x\n", ready(cl));
    CHECK(write(cl, "early", 5));
    REPORT("connect again", connect_to(cl, "l1"));
    REPORT("connect connected elsewhere", connect_to(cl, "missing"));
    name_of("client name", cl, 0);
    name_of("client peer", cl, 1);
    struct sockaddr_un pa;
    memset(&pa, 0x7a, sizeof pa);
    socklen_t pl = sizeof pa;
    int a = accept(l, (struct sockaddr *)&pa, &pl);
    printf("accepted: %s\n", a >= 0 ? "yes" : errname(errno));
    show_addr("accept's address", &pa, pl);
    name_of("accepted name", a, 0);
    name_of("accepted peer", a, 1);
    char buf[64] = {0};
    CHECK(read(a, buf, sizeof buf));
    printf("sent before accept: \"%s\"\n", buf);
    CHECK(write(a, "reply", 5));
    memset(buf, 0, sizeof buf);
    CHECK(read(cl, buf, sizeof buf));
    printf("client got \"%s\"\n", buf);
    struct ucred cred;
    socklen_t cl_len = sizeof cred;
    getsockopt(cl, SOL_SOCKET, SO_PEERCRED, &cred, &cl_len);
    printf("client's SO_PEERCRED is mine: %d uid %u\n", cred.pid == getpid(), cred.uid);
    getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cred, &cl_len);
    printf("accepted SO_PEERCRED is mine: %d gid %u\n", cred.pid == getpid(), cred.gid);
    getsockopt(l, SOL_SOCKET, SO_PEERCRED, &cred, &cl_len);
    printf("listener SO_PEERCRED is mine: %d\n", cred.pid == getpid());
    struct stat st;
    fstat(a, &st);
    printf("accepted S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
    close(a);
    CHECK(read(cl, buf, sizeof buf));
    close(cl);

    printf("-- connect errors\n");
    cl = socket(AF_UNIX, SOCK_STREAM, 0);
    REPORT("missing path", connect_to(cl, "missing"));
    REPORT("a file", connect_to(cl, "file"));
    REPORT("a directory", connect_to(cl, "."));
    REPORT("through a file", connect_to(cl, "file/x"));
    int nl = socket(AF_UNIX, SOCK_STREAM, 0);
    bind_to(nl, "notlistening");
    REPORT("not listening", connect_to(cl, "notlistening"));
    int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind_to(dg, "dgram");
    REPORT("a datagram socket", connect_to(cl, "dgram"));
    int sp = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    REPORT("seqpacket to a stream listener", connect_to(sp, "l1"));
    struct sockaddr_un un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNSPEC;
    REPORT("AF_UNSPEC", connect(cl, (struct sockaddr *)&un, sizeof un));
    REPORT("length 2", connect(cl, (struct sockaddr *)&un, 2));
    REPORT("bad pointer", connect(cl, (struct sockaddr *)8, 10));
    REPORT("a listener connecting", connect_to(l, "l1"));
    close(nl);
    REPORT("closed, its path left", connect_to(cl, "notlistening"));
    unlink("notlistening");
    REPORT("unlinked", connect_to(cl, "notlistening"));
    close(dg);
    close(sp);
    close(cl);

    printf("-- backlog and accept4\n");
    int b = socket(AF_UNIX, SOCK_STREAM, 0);
    bind_to(b, "b1");
    CHECK(listen(b, 0));
    int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(connect_to(c1, "b1"));
    REPORT("backlog full", connect_to(c2, "b1"));
    int a1 = accept4(b, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    printf("accept4 flags: O_NONBLOCK %d FD_CLOEXEC %d\n", (fcntl(a1, F_GETFL) & O_NONBLOCK) != 0,
           fcntl(a1, F_GETFD));
    CHECK(connect_to(c2, "b1"));
    fcntl(b, F_SETFL, O_NONBLOCK);
    /* Linux 6.18 ignores accept4's other flags. */
    int a2 = accept4(b, NULL, NULL, 0x1000 | O_DSYNC);
    printf("accept4 other flags: %d F_GETFL %#x\n", a2 >= 0, fcntl(a2, F_GETFL));
    REPORT("nothing waiting", accept(b, NULL, NULL));
    socklen_t small = 3;
    struct sockaddr_un sa;
    memset(&sa, 0x7a, sizeof sa);
    CHECK(connect_to(c1 = socket(AF_UNIX, SOCK_STREAM, 0), "b1"));
    int a3 = accept(b, (struct sockaddr *)&sa, &small);
    printf("short address buffer: %u, family %d, next byte %#x\n", small, sa.sun_family,
           (unsigned char)sa.sun_path[0]);
    int c3 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect_to(c3, "b1"));
    REPORT("accept with a bad address", accept(b, (struct sockaddr *)8, &small));
    printf("dropped connection: poll %#x\n", ready(c3));
    close(a1);
    close(a2);
    close(a3);
    close(c1);
    close(c2);
    close(c3);

    printf("-- timeouts on accept and connect\n");
    int t = socket(AF_UNIX, SOCK_STREAM, 0);
    bind_to(t, "t1");
    CHECK(listen(t, 0));
    struct timeval tv = {0, 20000};
    CHECK(setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    REPORT("accept with SO_RCVTIMEO", accept(t, NULL, NULL));
    int t1 = socket(AF_UNIX, SOCK_STREAM, 0), t2 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect_to(t1, "t1"));
    CHECK(setsockopt(t2, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
    REPORT("connect to a full backlog with SO_SNDTIMEO", connect_to(t2, "t1"));
    close(t1);
    close(t2);
    close(t);
    unlink("t1");

    printf("-- a connect waiting for room in the backlog\n");
    t = socket(AF_UNIX, SOCK_STREAM, 0);
    bind_to(t, "t2");
    CHECK(listen(t, 0));
    t1 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect_to(t1, "t2"));
    pid_t waiter = fork();
    if (waiter == 0) {
        int w2 = socket(AF_UNIX, SOCK_STREAM, 0);
        int r = connect_to(w2, "t2");
        write(w2, r == 0 ? "in" : "no", 2);
        _exit(0);
    }
    wait_until_asleep(waiter); /* its connect waits for room */
    int first = accept(t, NULL, NULL);
    int second = accept(t, NULL, NULL);
    char w2buf[3] = {0};
    CHECK(read(second, w2buf, 2));
    printf("the waiting connect got %s\n", w2buf);
    waitpid(waiter, NULL, 0);
    close(first);
    close(second);
    close(t1);
    close(t);
    unlink("t2");

    printf("-- a listener closed with connections waiting\n");
    int w = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect_to(w, "b1"));
    CHECK(write(w, "lost", 4));
    close(b);
    printf("poll: %#x\n", ready(w));
    REPORT("read", read(w, buf, sizeof buf));
    REPORT("read again", read(w, buf, sizeof buf));
    REPORT("write", send(w, "x", 1, MSG_NOSIGNAL));
    close(w);
    REPORT("connect after", connect_to(socket(AF_UNIX, SOCK_STREAM, 0), "b1"));

    printf("-- a blocked accept\n");
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        wait_until_asleep(parent); /* the connection comes while the accept waits */
        int k = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        int q = socket(AF_UNIX, SOCK_STREAM, 0);
        connect_to(q, "l1");
        write(q, "from the child", 14);
        close(q);
        close(k);
        _exit(0);
    }
    int ca = accept(l, NULL, NULL);
    memset(buf, 0, sizeof buf);
    CHECK(read(ca, buf, sizeof buf));
    printf("got \"%s\"\n", buf);
    CHECK(read(ca, buf, sizeof buf));
    waitpid(child, NULL, 0);
    close(ca);
    close(l);
}

static void datagrams(void) {
    printf("-- datagrams to names\n");
    int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind_to(srv, "d1"));
    int anon = socket(AF_UNIX, SOCK_DGRAM, 0);
    socklen_t len;
    struct sockaddr_un d1 = addr_of("d1", &len);
    CHECK(sendto(anon, "unnamed", 7, 0, (struct sockaddr *)&d1, len));
    struct sockaddr_un from;
    memset(&from, 0x7a, sizeof from);
    socklen_t fl = sizeof from;
    char buf[64] = {0};
    CHECK(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    printf("\"%s\" from length %u\n", buf, fl);
    int named = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind_to(named, "d2"));
    CHECK(sendto(named, "named", 5, 0, (struct sockaddr *)&d1, len));
    fl = sizeof from;
    memset(buf, 0, sizeof buf);
    CHECK(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    show_addr(buf, &from, fl);
    CHECK(sendto(srv, "back", 4, 0, (struct sockaddr *)&from, fl));
    memset(buf, 0, sizeof buf);
    char ctl[64];
    struct iovec iov = {buf, sizeof buf};
    struct sockaddr_un mfrom;
    struct msghdr msg = {.msg_name = &mfrom, .msg_namelen = sizeof mfrom, .msg_iov = &iov,
                         .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    CHECK(recvmsg(named, &msg, 0));
    show_addr(buf, &mfrom, msg.msg_namelen);
    REPORT("send without a destination", send(anon, "x", 1, 0));
    REPORT("to a missing path", sendto(anon, "x", 1, 0, (struct sockaddr *)&d1, 2));
    struct sockaddr_un miss = addr_of("missing", &len);
    REPORT("to a missing name", sendto(anon, "x", 1, 0, (struct sockaddr *)&miss, len));
    int st = socket(AF_UNIX, SOCK_STREAM, 0);
    bind_to(st, "stream");
    struct sockaddr_un sa = addr_of("stream", &len);
    REPORT("to a stream socket", sendto(anon, "x", 1, 0, (struct sockaddr *)&sa, len));
    close(st);

    printf("-- connected datagram sockets\n");
    CHECK(connect_to(anon, "d1"));
    name_of("peer", anon, 1);
    CHECK(send(anon, "connected", 9, 0));
    memset(buf, 0, sizeof buf);
    CHECK(recv(srv, buf, sizeof buf, 0));
    printf("got \"%s\"\n", buf);
    REPORT("connect to a stream socket", connect_to(anon, "stream"));
    REPORT("connect to a missing name", connect_to(anon, "missing"));
    name_of("peer kept", anon, 1);
    struct sockaddr_un un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNSPEC;
    REPORT("length 1", connect(anon, (struct sockaddr *)&un, 1));
    CHECK(connect(anon, (struct sockaddr *)&un, sizeof un));
    name_of("disconnected", anon, 1);
    REPORT("send", send(anon, "x", 1, 0));

    /* The server connected to d2 takes datagrams from d2 alone. */
    CHECK(connect_to(srv, "d2"));
    REPORT("a third sender", sendto(anon, "x", 1, 0, (struct sockaddr *)&d1, sizeof d1));
    REPORT("connect to it", connect_to(anon, "d1"));
    CHECK(sendto(named, "ok", 2, 0, (struct sockaddr *)&d1, sizeof d1));
    CHECK(recv(srv, buf, sizeof buf, 0));
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNSPEC;
    CHECK(connect(srv, (struct sockaddr *)&un, sizeof un));

    printf("-- a full queue\n");
    int sender = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    CHECK(connect_to(sender, "d1"));
    int count = 0;
    while (send(sender, "q", 1, 0) == 1)
        count++;
    printf("queued %d, then %s\n", count, errname(errno));
    printf("poll sender: %#x\n", ready(sender));
    REPORT("blocking-flag send", sendto(anon, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&d1, sizeof d1));
    CHECK(recv(srv, buf, sizeof buf, 0));
    printf("poll sender after one read: %#x\n", ready(sender));
    CHECK(send(sender, "q", 1, 0));
    REPORT("full again", send(sender, "q", 1, 0));
    /* The server's own peer is not held back. */
    CHECK(connect_to(srv, "d2"));
    CHECK(connect_to(named, "d1"));
    CHECK(send(named, "mutual", 6, 0));

    printf("-- a sender waiting for room in the queue\n");
    /* Disconnected, the server takes from anyone again; its queue goes with the old peer. */
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNSPEC;
    CHECK(connect(srv, (struct sockaddr *)&un, sizeof un));
    REPORT("queue emptied", recv(srv, buf, sizeof buf, MSG_DONTWAIT));
    int filler = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int filled = 0;
    while (sendto(filler, "f", 1, 0, (struct sockaddr *)&d1, sizeof d1) == 1)
        filled++;
    printf("filled %d: %s\n", filled, errname(errno));
    pid_t blocked = fork();
    if (blocked == 0) {
        int b2 = socket(AF_UNIX, SOCK_DGRAM, 0);
        _exit(sendto(b2, "late", 4, 0, (struct sockaddr *)&d1, sizeof d1) == 4 ? 0 : 1);
    }
    wait_until_asleep(blocked); /* its sendto waits for room */
    /* The fillers' datagrams come first, whenever the waiting sender gets its turn. */
    int drained = 0;
    for (int i = 0; i < filled; i++)
        drained += recv(srv, buf, sizeof buf, MSG_DONTWAIT) == 1;
    int bstatus;
    waitpid(blocked, &bstatus, 0);
    memset(buf, 0, sizeof buf);
    CHECK(recv(srv, buf, sizeof buf, MSG_DONTWAIT));
    printf("drained %d, then \"%s\", the sender's status %d\n", drained, buf, WEXITSTATUS(bstatus));
    close(filler);

    printf("-- the destination closed\n");
    close(srv);
    REPORT("send to a closed peer", send(sender, "x", 1, 0));
    REPORT("and then", send(sender, "x", 1, 0));
    REPORT("sendto its path", sendto(anon, "x", 1, 0, (struct sockaddr *)&d1, sizeof d1));
    REPORT("connect to its path", connect_to(anon, "d1"));
    close(sender);
    close(anon);
    close(named);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char dir[] = "/tmp/unix_socket.XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0) {
        printf("no directory\n");
        return 1;
    }
    errors();
    binding();
    connections();
    datagrams();
    const char *names[] = {"s1", "s3", "file", "l1", "dgram", "b1", "d1", "d2", "stream"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unlink(names[i]);
    chdir("/");
    if (rmdir(dir) != 0)
        printf("directory left: %s\n", errname(errno));
    return 0;
}
