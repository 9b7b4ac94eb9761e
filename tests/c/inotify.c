/* inotify against Linux: instances (flags, /proc link, read-only), watch descriptors (numbering,
 * the same inode again, IN_MASK_ADD, IN_MASK_CREATE, rm_watch and IN_IGNORED), the errors, the
 * events of the VFS operations on a watched directory and on watched files (create, open,
 * access, modify, attrib, close, rename with its cookie, link, symlink, unlink, rmdir, delete
 * self, move self), IN_ONESHOT, coalescing, one IN_ACCESS and one IN_MODIFY per call for
 * multi-page reads, writes, sendfile, copy_file_range and splice, the read format (padded names, EINVAL for a buffer
 * too small, partial reads), FIONREAD, non-blocking reads, poll and epoll, and the queue overflow.
 * Everything happens in a fresh directory under /tmp that is removed at the end. Events are
 * printed as "watch-label mask-names name". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char base[64];
static const char *labels[64];

static char *at(const char *name) {
    static char paths[4][PATH_MAX];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, PATH_MAX, "%s/%s", base, name);
    return p;
}

static const char *label(int wd) {
    if (wd == -1)
        return "Q";
    if (wd > 0 && wd < 64 && labels[wd])
        return labels[wd];
    return "?";
}

static void mask_names(unsigned mask, char *out) {
    static const struct {
        unsigned bit;
        const char *name;
    } bits[] = {
        {IN_ACCESS, "ACCESS"},         {IN_MODIFY, "MODIFY"},
        {IN_ATTRIB, "ATTRIB"},         {IN_CLOSE_WRITE, "CLOSE_WRITE"},
        {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
        {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
        {IN_CREATE, "CREATE"},         {IN_DELETE, "DELETE"},
        {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
        {IN_UNMOUNT, "UNMOUNT"},       {IN_Q_OVERFLOW, "Q_OVERFLOW"},
        {IN_IGNORED, "IGNORED"},       {IN_ISDIR, "ISDIR"},
    };
    out[0] = 0;
    for (unsigned i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        if (mask & bits[i].bit) {
            if (out[0])
                strcat(out, "|");
            strcat(out, bits[i].name);
            mask &= ~bits[i].bit;
        }
    }
    if (mask)
        sprintf(out + strlen(out), "|0x%x", mask);
}

static unsigned last_cookie;

/* Reads and prints every queued event (the descriptor is non-blocking). */
static int drain(int fd, const char *what) {
    char buf[4096] __attribute__((aligned(8)));
    int count = 0;
    printf("-- %s\n", what);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno != EAGAIN)
                printf("read: -1 %s\n", errname(errno));
            break;
        }
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            char names[256];
            mask_names(ev->mask, names);
            printf("%s %s %s", label(ev->wd), names, ev->len ? ev->name : "-");
            if (ev->cookie) {
                printf(" (cookie %s)", ev->cookie == last_cookie ? "same" : "new");
                last_cookie = ev->cookie;
            }
            printf("\n");
            p += sizeof *ev + ev->len;
            count++;
        }
    }
    return count;
}

static int watch(int fd, const char *path, unsigned mask, const char *name) {
    int wd = inotify_add_watch(fd, path, mask);
    if (wd > 0 && wd < 64)
        labels[wd] = name;
    return wd;
}

static void touch(const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd >= 0)
        close(fd);
    else
        printf("open %s: %s\n", path, errname(errno));
}

static void put(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (write(fd, text, strlen(text)) < 0)
        printf("write: %s\n", errname(errno));
    close(fd);
}

static void instances(void) {
    printf("== instances\n");
    CHECK(inotify_init1(IN_NONBLOCK << 1));
    CHECK(inotify_init1(0x1));
    int fd = CHECK(inotify_init() >= 0);
    int a = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(fcntl(a, F_GETFD));
    CHECK(fcntl(a, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
    char link[64], target[64] = {0};
    snprintf(link, sizeof link, "/proc/self/fd/%d", a);
    CHECK(readlink(link, target, sizeof target - 1));
    printf("link: %s\n", target);
    CHECK(write(a, "x", 1));
    CHECK(lseek(a, 0, SEEK_SET));
    struct stat st;
    CHECK(fstat(a, &st));
    printf("mode %o\n", st.st_mode);
    char buf[64];
    CHECK(read(a, buf, sizeof buf));
    int n = -1;
    CHECK(ioctl(a, FIONREAD, &n));
    printf("FIONREAD %d\n", n);
    close(a);
    (void)fd;
}

static void errors(int fd) {
    printf("== errors\n");
    int p[2];
    pipe(p);
    CHECK(inotify_add_watch(-1, base, IN_ALL_EVENTS));
    CHECK(inotify_add_watch(99, base, IN_ALL_EVENTS));
    CHECK(inotify_add_watch(p[0], base, IN_ALL_EVENTS));
    CHECK(inotify_add_watch(fd, base, 0));
    CHECK(inotify_add_watch(-1, base, 0));
    CHECK(inotify_add_watch(fd, base, IN_ACCESS | 0x1000));
    CHECK(inotify_add_watch(fd, base, IN_ACCESS | 0x00800000));
    CHECK(inotify_add_watch(fd, base, IN_MASK_ADD | IN_MASK_CREATE | IN_ACCESS));
    CHECK(inotify_add_watch(fd, at("missing"), IN_ALL_EVENTS));
    CHECK(inotify_add_watch(fd, "", IN_ALL_EVENTS));
    CHECK(inotify_add_watch(fd, NULL, IN_ALL_EVENTS));
    CHECK(inotify_add_watch(fd, (char *)1, IN_ALL_EVENTS));
    touch(at("plain"), O_CREAT | O_WRONLY);
    CHECK(inotify_add_watch(fd, at("plain/x"), IN_ALL_EVENTS));
    CHECK(inotify_add_watch(fd, at("plain"), IN_ALL_EVENTS | IN_ONLYDIR));
    CHECK(inotify_rm_watch(fd, 1000));
    CHECK(inotify_rm_watch(fd, -1));
    CHECK(inotify_rm_watch(p[0], 1));
    CHECK(inotify_rm_watch(-1, 1));
    unlink(at("plain"));
    close(p[0]);
    close(p[1]);
}

static void numbering(void) {
    printf("== numbering\n");
    int fd = inotify_init1(IN_NONBLOCK);
    CHECK(watch(fd, base, IN_CREATE, "D"));
    CHECK(watch(fd, base, IN_DELETE | IN_MASK_ADD, "D"));
    CHECK(inotify_add_watch(fd, base, IN_DELETE | IN_MASK_CREATE));
    touch(at("f"), O_CREAT | O_WRONLY);
    CHECK(watch(fd, at("f"), IN_ATTRIB, "F"));
    CHECK(watch(fd, at("f"), IN_ATTRIB | IN_ONLYDIR, "F"));
    mkdir(at("sub"), 0755);
    unlink(at("f"));
    drain(fd, "create and delete with IN_MASK_ADD");
    CHECK(watch(fd, base, IN_DELETE, "D"));
    touch(at("g"), O_CREAT | O_WRONLY);
    unlink(at("g"));
    drain(fd, "mask replaced: deletes only");
    CHECK(inotify_rm_watch(fd, 1));
    CHECK(inotify_rm_watch(fd, 1));
    drain(fd, "removed");
    CHECK(watch(fd, at("sub"), IN_ALL_EVENTS, "S"));
    CHECK(watch(fd, base, IN_ALL_EVENTS, "D"));
    symlink("sub", at("link"));
    CHECK(watch(fd, at("link"), IN_ALL_EVENTS, "S"));
    CHECK(watch(fd, at("link"), IN_ALL_EVENTS | IN_DONT_FOLLOW, "L"));
    CHECK(watch(fd, at("link"), IN_ALL_EVENTS | IN_DONT_FOLLOW | IN_ONLYDIR, "L"));
    unlink(at("link"));
    rmdir(at("sub"));
    drain(fd, "symlink and subdirectory removed");
    close(fd);
}

static void directory_events(void) {
    printf("== directory events\n");
    int fd = inotify_init1(IN_NONBLOCK);
    CHECK(watch(fd, base, IN_ALL_EVENTS, "D"));
    int f = open(at("a"), O_CREAT | O_RDWR, 0644);
    write(f, "hello", 5);
    write(f, "world", 5);
    pwrite(f, "!", 1, 20);
    char buf[16];
    pread(f, buf, sizeof buf, 0);
    pread(f, buf, sizeof buf, 100);
    close(f);
    drain(fd, "create, write twice, read, close");
    f = open(at("a"), O_RDONLY);
    read(f, buf, 4);
    close(f);
    touch(at("a"), O_WRONLY | O_TRUNC);
    drain(fd, "read-only open, O_TRUNC open");
    chmod(at("a"), 0600);
    truncate(at("a"), 3);
    truncate(at("a"), 3);
    struct timespec both[2] = {{1, 0}, {2, 0}};
    utimensat(AT_FDCWD, at("a"), both, 0);
    struct timespec only_m[2] = {{0, UTIME_OMIT}, {3, 0}};
    utimensat(AT_FDCWD, at("a"), only_m, 0);
    struct timespec only_a[2] = {{4, 0}, {0, UTIME_OMIT}};
    utimensat(AT_FDCWD, at("a"), only_a, 0);
    struct timespec none[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    utimensat(AT_FDCWD, at("a"), none, 0);
    drain(fd, "chmod, truncate twice, utimensat");
    mkdir(at("d"), 0755);
    DIR *dir = opendir(at("d"));
    while (readdir(dir))
        ;
    closedir(dir);
    mknod(at("fifo"), S_IFIFO | 0644, 0);
    symlink("a", at("s"));
    link(at("a"), at("h"));
    drain(fd, "mkdir, listing, mknod, symlink, link");
    rename(at("a"), at("b"));
    rename(at("d"), at("e"));
    rename(at("h"), at("b"));
    drain(fd, "renames");
    unlink(at("b"));
    unlink(at("h"));
    unlink(at("s"));
    unlink(at("fifo"));
    rmdir(at("e"));
    drain(fd, "unlink, rmdir");
    close(fd);
}

static void self_events(void) {
    printf("== self events\n");
    int fd = inotify_init1(IN_NONBLOCK);
    mkdir(at("one"), 0755);
    mkdir(at("two"), 0755);
    touch(at("one/f"), O_CREAT | O_WRONLY);
    touch(at("two/target"), O_CREAT | O_WRONLY);
    CHECK(watch(fd, at("one"), IN_ALL_EVENTS, "ONE"));
    CHECK(watch(fd, at("two"), IN_ALL_EVENTS, "TWO"));
    CHECK(watch(fd, at("one/f"), IN_ALL_EVENTS, "F"));
    CHECK(watch(fd, at("two/target"), IN_ALL_EVENTS, "T"));
    put(at("one/f"), "data");
    chmod(at("one/f"), 0640);
    drain(fd, "write and chmod a file watched with its directory");
    link(at("one/f"), at("one/g"));
    unlink(at("one/g"));
    drain(fd, "a second name made and removed");
    rename(at("one/f"), at("two/target"));
    drain(fd, "moved over another watched file");
    unlink(at("two/target"));
    drain(fd, "unlinked");
    CHECK(watch(fd, at("one"), IN_ALL_EVENTS, "ONE"));
    rmdir(at("one"));
    drain(fd, "watched directory removed");
    mkdir(at("one"), 0755);
    rename(at("two"), at("one/two"));
    drain(fd, "watched directory moved");
    rmdir(at("one/two"));
    rmdir(at("one"));
    drain(fd, "removed");
    close(fd);
}

/* The end of a file or directory removed while open is reported at its last close. */
static void removed_while_open(void) {
    printf("== removed while open\n");
    int fd = inotify_init1(IN_NONBLOCK);
    touch(at("f"), O_CREAT | O_WRONLY);
    mkdir(at("sub"), 0755);
    CHECK(watch(fd, at("f"), IN_ALL_EVENTS, "F"));
    CHECK(watch(fd, at("sub"), IN_ALL_EVENTS, "S"));
    int f = open(at("f"), O_RDWR);
    int g = dup(f);
    int d = open(at("sub"), O_RDONLY | O_DIRECTORY);
    unlink(at("f"));
    rmdir(at("sub"));
    drain(fd, "unlinked and removed while open");
    write(f, "x", 1);
    close(f);
    drain(fd, "written, one descriptor closed");
    close(g);
    close(d);
    drain(fd, "closed");
    /* A directory watch with IN_EXCL_UNLINK: the children's open and delete. */
    CHECK(watch(fd, base, IN_ALL_EVENTS | IN_EXCL_UNLINK, "D"));
    touch(at("g"), O_CREAT | O_WRONLY);
    f = open(at("g"), O_RDWR);
    unlink(at("g"));
    write(f, "x", 1);
    close(f);
    drain(fd, "IN_EXCL_UNLINK");
    close(fd);
}

static void oneshot_and_coalescing(void) {
    printf("== oneshot and coalescing\n");
    int fd = inotify_init1(IN_NONBLOCK);
    touch(at("f"), O_CREAT | O_WRONLY);
    CHECK(watch(fd, at("f"), IN_MODIFY | IN_ONESHOT, "F"));
    put(at("f"), "a");
    put(at("f"), "b");
    drain(fd, "oneshot");
    CHECK(watch(fd, at("f"), IN_MODIFY | IN_ATTRIB, "G"));
    int f = open(at("f"), O_WRONLY);
    for (int i = 0; i < 5; i++)
        write(f, "x", 1);
    chmod(at("f"), 0600);
    write(f, "x", 1);
    write(f, "x", 1);
    close(f);
    drain(fd, "identical events coalesced");
    close(fd);
    unlink(at("f"));
}

/* Each call that moves data reports once, however many pages it moved: IN_ACCESS on its input,
 * IN_MODIFY on its output, in that order (Linux's fsnotify_access and fsnotify_modify). */
static void transfers(void) {
    printf("== transfers\n");
    static char big[3 * 4096];
    memset(big, 'q', sizeof big);
    int a = open(at("a"), O_CREAT | O_RDWR, 0644), b = open(at("b"), O_CREAT | O_RDWR, 0644);
    write(a, big, sizeof big);
    int fd = inotify_init1(IN_NONBLOCK);
    CHECK(watch(fd, base, IN_ACCESS | IN_MODIFY, "D"));
    CHECK(pread(a, big, sizeof big, 0));
    CHECK(pwrite(b, big, sizeof big, 0));
    drain(fd, "a read and a write of three pages");
    off_t off = 0;
    CHECK(sendfile(b, a, &off, sizeof big));
    drain(fd, "sendfile");
    loff_t in = 0, out = 0;
    CHECK(copy_file_range(a, &in, b, &out, sizeof big, 0));
    drain(fd, "copy_file_range");
    int p[2];
    pipe(p);
    in = 0;
    CHECK(splice(a, &in, p[1], NULL, 2 * 4096, 0));
    drain(fd, "splice from the file");
    out = 0;
    CHECK(splice(p[0], NULL, b, &out, 2 * 4096, 0));
    drain(fd, "splice into the file");
    CHECK(pread(a, big, 0, 0));
    drain(fd, "a read of nothing");
    close(p[0]);
    close(p[1]);
    close(fd);
    close(a);
    close(b);
    unlink(at("a"));
    unlink(at("b"));
}

static void read_format(void) {
    printf("== read format\n");
    int fd = inotify_init1(IN_NONBLOCK);
    CHECK(watch(fd, base, IN_CREATE | IN_DELETE, "D"));
    touch(at("x"), O_CREAT | O_WRONLY);
    touch(at("fifteen-chars-x"), O_CREAT | O_WRONLY);
    touch(at("sixteen-chars-xx"), O_CREAT | O_WRONLY);
    int n = -1;
    CHECK(ioctl(fd, FIONREAD, &n));
    printf("FIONREAD %d\n", n);
    char buf[256] __attribute__((aligned(8)));
    CHECK(read(fd, buf, 0));
    CHECK(read(fd, buf, 16));
    CHECK(read(fd, buf, 31));
    CHECK(read(fd, buf, 32));
    struct inotify_event *ev = (struct inotify_event *)buf;
    printf("len %u name %s pad %d\n", ev->len, ev->name, buf[16 + ev->len - 1]);
    CHECK(read(fd, buf, 100));
    printf("len %u name %s\n", ev->len, ev->name);
    CHECK(read(fd, buf, 100));
    printf("len %u name %s\n", ev->len, ev->name);
    CHECK(read(fd, buf, sizeof buf));
    unlink(at("x"));
    CHECK(read(fd, NULL, sizeof buf));
    CHECK(ioctl(fd, FIONREAD, &n));
    printf("FIONREAD after EFAULT %d\n", n);
    unlink(at("fifteen-chars-x"));
    unlink(at("sixteen-chars-xx"));
    drain(fd, "after the failed read");
    close(fd);
}

static void readiness(void) {
    printf("== readiness\n");
    int fd = inotify_init1(IN_NONBLOCK);
    CHECK(watch(fd, base, IN_CREATE, "D"));
    struct pollfd pfd = {fd, POLLIN | POLLOUT, 0};
    CHECK(poll(&pfd, 1, 0));
    int ep = epoll_create1(0);
    struct epoll_event ee = {.events = EPOLLIN | EPOLLET, .data.u32 = 7};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee));
    CHECK(epoll_wait(ep, &ee, 1, 0));
    touch(at("r"), O_CREAT | O_WRONLY);
    CHECK(poll(&pfd, 1, 0));
    printf("revents %x\n", pfd.revents);
    CHECK(epoll_wait(ep, &ee, 1, 0));
    printf("events %x data %u\n", ee.events, ee.data.u32);
    CHECK(epoll_wait(ep, &ee, 1, 0));
    unlink(at("r"));
    touch(at("r2"), O_CREAT | O_WRONLY);
    CHECK(epoll_wait(ep, &ee, 1, 0));
    /* Blocking read with events waiting returns them at once. */
    fcntl(fd, F_SETFL, 0);
    char buf[256];
    CHECK(read(fd, buf, sizeof buf));
    fcntl(fd, F_SETFL, O_NONBLOCK);
    CHECK(read(fd, buf, sizeof buf));
    CHECK(poll(&pfd, 1, 0));
    unlink(at("r2"));
    close(ep);
    close(fd);
}

static void overflow(void) {
    printf("== overflow\n");
    int fd = inotify_init1(IN_NONBLOCK);
    touch(at("o"), O_CREAT | O_WRONLY);
    CHECK(watch(fd, at("o"), IN_MODIFY | IN_ATTRIB, "O"));
    int f = open(at("o"), O_WRONLY);
    for (int i = 0; i < 9000; i++) {
        write(f, "x", 1);
        fchmod(f, i % 2 ? 0600 : 0644);
    }
    close(f);
    int n = -1;
    ioctl(fd, FIONREAD, &n);
    printf("FIONREAD %d\n", n);
    char buf[4096] __attribute__((aligned(8)));
    long events = 0, overflows = 0, modify = 0;
    int last_wd = 0;
    unsigned last_mask = 0;
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf)) > 0) {
        for (char *p = buf; p < buf + got;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            events++;
            overflows += ev->mask == IN_Q_OVERFLOW;
            modify += ev->mask == IN_MODIFY;
            last_wd = ev->wd;
            last_mask = ev->mask;
            p += sizeof *ev + ev->len;
        }
    }
    printf("events %ld overflows %ld modify %ld last wd %d mask %x\n", events, overflows, modify,
           last_wd, last_mask);
    chmod(at("o"), 0644);
    drain(fd, "after the overflow was read");
    unlink(at("o"));
    drain(fd, "unlinked");
    close(fd);
}

static long sysctl_read(const char *name) {
    char p[128], buf[32] = {0};
    snprintf(p, sizeof p, "/proc/sys/fs/inotify/%s", name);
    int fd = open(p, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0)
        return -1;
    close(fd);
    return atol(buf);
}

static void sysctl_write(const char *name, const char *value) {
    char p[128];
    snprintf(p, sizeof p, "/proc/sys/fs/inotify/%s", name);
    int fd = open(p, O_WRONLY);
    ssize_t n = write(fd, value, strlen(value));
    printf("write %s %s: %s\n", name, value, n < 0 ? errname(errno) : "ok");
    close(fd);
}

/* The limits, set through /proc/sys/fs/inotify (QEMU only: never change the host's). */
static void limits(void) {
    printf("== limits\n");
    sysctl_write("max_queued_events", "-1");
    sysctl_write("max_queued_events", "abc");
    sysctl_write("max_queued_events", " 3\n");
    printf("max_queued_events %ld\n", sysctl_read("max_queued_events"));
    int fd = inotify_init1(IN_NONBLOCK);
    CHECK(watch(fd, base, IN_CREATE | IN_DELETE, "D"));
    for (int i = 0; i < 3; i++) {
        touch(at("q"), O_CREAT | O_WRONLY);
        unlink(at("q"));
    }
    drain(fd, "three events, then the overflow");
    close(fd);
    sysctl_write("max_queued_events", "16384");
    sysctl_write("max_user_instances", "2");
    int a = CHECK(inotify_init1(0) >= 0);
    int b = inotify_init1(0);
    CHECK(b);
    CHECK(inotify_init1(0));
    close(b);
    b = CHECK(inotify_init1(0) >= 0);
    sysctl_write("max_user_instances", "128");
    sysctl_write("max_user_watches", "2");
    fd = inotify_init1(0);
    CHECK(inotify_add_watch(fd, base, IN_CREATE));
    CHECK(inotify_add_watch(fd, "/tmp", IN_CREATE));
    CHECK(inotify_add_watch(fd, "/", IN_CREATE));
    CHECK(inotify_add_watch(fd, base, IN_DELETE));
    sysctl_write("max_user_watches", "65536");
    CHECK(inotify_add_watch(fd, "/", IN_CREATE));
    close(fd);
    (void)a;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    strcpy(base, "/tmp/inotify-test-XXXXXX");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "limits") == 0) {
        limits();
        return rmdir(base) != 0;
    }
    printf("max_queued_events %ld, max_user_instances %ld\n", sysctl_read("max_queued_events"),
           sysctl_read("max_user_instances"));
    printf("# max_user_watches %ld\n", sysctl_read("max_user_watches"));
    instances();
    int fd = inotify_init1(IN_NONBLOCK);
    errors(fd);
    close(fd);
    numbering();
    directory_events();
    self_events();
    removed_while_open();
    oneshot_and_coalescing();
    transfers();
    read_format();
    readiness();
    overflow();
    CHECK(rmdir(base));
    return 0;
}
