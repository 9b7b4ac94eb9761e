/* FIFOs and mknod against Linux: mkfifo and mknod's file types, what stat and getdents say of
 * them, a FIFO's opens (non-blocking readers at once, non-blocking writers ENXIO without a
 * reader, blocking opens waiting for the other side, O_RDWR never waiting, a blocked open cut
 * short by a signal), its data (gone once every end is closed), poll's POLLHUP only after a
 * writer came and went, links to it, a pipe reopened O_RDWR through /proc/self/fd, device nodes
 * (root only) of a known device and of none, and the errors. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "waitstate.h"

/* Everything happens in a directory of its own (the program's working directory), made under
 * /tmp: another run of the program on the host at the same time has its own. */
#define DIR_ "."
#define FIFO DIR_ "/fifo"

static short revents(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static void show_poll(const char *what, int fd)
{
    short r = revents(fd);
    printf("%s:%s%s%s%s\n", what, r & POLLIN ? " IN" : "", r & POLLOUT ? " OUT" : "",
           r & POLLHUP ? " HUP" : "", r & POLLERR ? " ERR" : "");
}

static void show_type(const char *path)
{
    struct stat st;
    if (show(path, lstat(path, &st)) != 0)
        return;
    const char *t = S_ISFIFO(st.st_mode) ? "fifo" : S_ISREG(st.st_mode) ? "regular"
                    : S_ISCHR(st.st_mode) ? "char" : S_ISBLK(st.st_mode) ? "block"
                    : S_ISSOCK(st.st_mode) ? "socket" : "other";
    printf("  %s mode %o size %ld rdev %u:%u\n", t, st.st_mode & 07777, (long)st.st_size,
           major(st.st_rdev), minor(st.st_rdev));
}

static void on_alarm(int sig)
{
    (void)sig;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    umask(022);
    char dir[] = "/tmp/fifo-test-XXXXXX";
    if (!mkdtemp(dir) || chmod(dir, 0755) != 0 || chdir(dir) != 0) {
        printf("no directory: %s\n", errname(errno));
        return 1;
    }

    printf("-- mkfifo and mknod\n");
    CHECK(mkfifo(FIFO, 0666));
    show_type(FIFO);
    CHECK(mkfifo(FIFO, 0666));
    CHECK(mknod(DIR_ "/reg", S_IFREG | 0640, 0));
    show_type(DIR_ "/reg");
    CHECK(mknod(DIR_ "/zero-mode", 0644, 0));
    show_type(DIR_ "/zero-mode");
    CHECK(mknod(DIR_ "/sock", S_IFSOCK | 0600, 0));
    show_type(DIR_ "/sock");
    CHECK(mknod(DIR_ "/dir", S_IFDIR | 0755, 0));
    CHECK(mknod(DIR_ "/bad", 0170000 | 0644, 0));
    CHECK(mknod(DIR_ "/nodir/x", S_IFIFO | 0644, 0));
    CHECK(mknodat(AT_FDCWD, DIR_ "/at-fifo", S_IFIFO | 0600, 0));
    show_type(DIR_ "/at-fifo");
    CHECK(mknod(DIR_ "/null", S_IFCHR | 0666, makedev(1, 3)));
    show_type(DIR_ "/null");
    CHECK(mknod(DIR_ "/nodev", S_IFCHR | 0666, makedev(60, 1)));
    show_type(DIR_ "/nodev");
    CHECK(mknod(DIR_ "/blk", S_IFBLK | 0600, makedev(120, 7)));
    show_type(DIR_ "/blk");
    int null = open(DIR_ "/null", O_RDWR);
    CHECK(write(null, "gone", 4));
    char c;
    CHECK(read(null, &c, 1));
    close(null);
    CHECK(open(DIR_ "/nodev", O_RDONLY));
    CHECK(open(DIR_ "/blk", O_RDONLY));
    CHECK(open(DIR_ "/sock", O_RDONLY));
    CHECK(link(FIFO, DIR_ "/fifo-link"));
    show_type(DIR_ "/fifo-link");
    DIR *d = opendir(DIR_);
    struct dirent *e;
    int types = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, "fifo") == 0 || strcmp(e->d_name, "sock") == 0 ||
            strcmp(e->d_name, "blk") == 0)
            types |= (e->d_type == DT_FIFO) << 0 | (e->d_type == DT_SOCK) << 1 |
                     (e->d_type == DT_BLK) << 2;
    closedir(d);
    printf("d_type of fifo, sock, blk: %d\n", types);

    printf("-- non-blocking opens\n");
    CHECK(open(FIFO, O_WRONLY | O_NONBLOCK));
    int r = open(FIFO, O_RDONLY | O_NONBLOCK);
    printf("reader at once: %d\n", r >= 0);
    CHECK(read(r, &c, 1));
    show_poll("reader, no writer yet", r);
    int w = open(FIFO, O_WRONLY | O_NONBLOCK);
    printf("writer with a reader: %d\n", w >= 0);
    show_poll("writer", w);
    CHECK(write(w, "hi", 2));
    show_poll("reader, data", r);
    char buf[32] = {0};
    CHECK(read(r, buf, sizeof buf));
    printf("read: %s\n", buf);
    CHECK(read(r, buf, sizeof buf));
    close(w);
    show_poll("reader, writer gone", r);
    CHECK(read(r, buf, sizeof buf));
    CHECK(lseek(r, 0, SEEK_SET));
    close(r);

    printf("-- O_RDWR\n");
    int rw = open(FIFO, O_RDWR | O_NONBLOCK);
    CHECK(write(rw, "self", 4));
    memset(buf, 0, sizeof buf);
    CHECK(read(rw, buf, sizeof buf));
    printf("read back: %s\n", buf);
    CHECK(write(rw, "left", 4));
    close(rw);
    rw = open(FIFO, O_RDWR | O_NONBLOCK);
    CHECK(read(rw, buf, sizeof buf)); /* every end was closed: the data went */
    close(rw);

    printf("-- blocking opens\n");
    pid_t pid = fork();
    if (pid == 0) {
        int cw = open(FIFO, O_WRONLY); /* waits for the parent's reader */
        write(cw, "from the child", 14);
        close(cw);
        _exit(0);
    }
    wait_until_asleep(pid);
    r = open(FIFO, O_RDONLY);
    memset(buf, 0, sizeof buf);
    int n = 0, got;
    while ((got = read(r, buf + n, sizeof buf - 1 - n)) > 0)
        n += got;
    printf("reader got: %s\n", buf);
    close(r);
    waitpid(pid, NULL, 0);
    /* The child's reader comes once the parent waits in its open, and stays until the open has
     * returned: a reader that came and went before the parent's open would leave it waiting for
     * ever (a loaded machine can hold the parent up for as long as it likes). */
    int opened[2];
    pipe(opened);
    pid_t parent = getpid();
    pid = fork();
    if (pid == 0) {
        close(opened[1]);
        wait_until_asleep(parent);
        int cr = open(FIFO, O_RDONLY | O_NONBLOCK);
        read(opened[0], &c, 1);
        close(cr);
        _exit(0);
    }
    close(opened[0]);
    w = open(FIFO, O_WRONLY); /* waits for the child's reader */
    close(opened[1]);
    printf("writer opened: %d\n", w >= 0);
    waitpid(pid, NULL, 0);
    signal(SIGPIPE, SIG_IGN);
    CHECK(write(w, "x", 1)); /* the reader left: EPIPE */
    close(w);

    printf("-- a blocked open and a signal\n");
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    /* Every 50 ms: one that comes before the open blocks (a loaded machine) is not the last. */
    struct itimerval it = {{0, 50000}, {0, 50000}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, NULL);
    r = open(FIFO, O_RDONLY);
    int open_errno = errno;
    setitimer(ITIMER_REAL, &off, NULL);
    errno = open_errno;
    show("open(FIFO, O_RDONLY)", r);

    printf("-- a pipe reopened through /proc/self/fd\n");
    int p[2];
    pipe(p);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    int again = open(path, O_RDWR);
    printf("O_RDWR: %d\n", again >= 0);
    CHECK(write(again, "both", 4));
    memset(buf, 0, sizeof buf);
    CHECK(read(p[0], buf, sizeof buf));
    printf("read: %s\n", buf);
    close(again);

    printf("-- another user\n");
    mkdir("user", 0777);
    chmod("user", 01777);
    pid = fork();
    if (pid == 0) {
        if (setgid(1000) != 0 || setuid(1000) != 0)
            _exit(1);
        CHECK(mknod("user/null", S_IFCHR | 0666, makedev(1, 3)));
        CHECK(mkfifo("user/fifo", 0600));
        unlink("user/fifo");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    rmdir("user");

    const char *names[] = {"fifo", "fifo-link", "reg", "zero-mode", "sock", "at-fifo",
                           "null", "nodev", "blk"};
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, DIR_ "/%s", names[i]);
        unlink(path);
    }
    chdir("/");
    CHECK(rmdir(dir));
    return 0;
}
