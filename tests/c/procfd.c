/* /proc/PID/fd, cwd, root and exe, /proc/mounts and /proc/filesystems, and what fstat says of a
 * pipe: what ls -l /proc/PID, tty (ttyname), df and mount rely on. Paths and relations are
 * printed, never inode numbers. The same output on Linux and here. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

static const char *yes(int b) { return b ? "yes" : "no"; }

/* Prints what /proc/self/fd/FD (or any link) reads, or its error. */
static void show_link(const char *what, const char *path)
{
    char buf[256];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        return;
    }
    buf[n] = 0;
    printf("%s: %s\n", what, buf);
}

/* The permission bits of a link, or the error of lstat. */
static void show_link_mode(const char *what, const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: link %s, mode %03o\n", what, yes(S_ISLNK(st.st_mode)), st.st_mode & 0777);
}

static void fd_path(char *out, int fd) { sprintf(out, "/proc/self/fd/%d", fd); }

/* Whether the directory lists `name`. */
static int lists(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        found |= strcmp(e->d_name, name) == 0;
    closedir(d);
    return found;
}

/* Whether the file has a line containing `text`. */
static int has_line(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f))
        found |= strstr(line, text) != NULL;
    fclose(f);
    return found;
}

/* The name of the program's file from /proc/self/exe ends with /procfd. */
static void show_exe(const char *who)
{
    char exe[256];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    printf("%s: exe ends with /procfd: %s\n", who, yes(n > 7 && strcmp(exe + n - 7, "/procfd") == 0));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
        show_exe("run through /proc/self/exe");
        return 0;
    }
    char path[64];

    /* Regular files: the link is the path, its mode the access mode. The file's name is its own
     * (mkstemp), not one another run on the host might use at the same time. */
    char file[] = "/tmp/procfd-XXXXXX";
    int rw = mkstemp(file);
    write(rw, "hello\n", 6);
    int ro = open(file, O_RDONLY);
    int wo = open(file, O_WRONLY);
    fd_path(path, rw);
    char target[256];
    ssize_t len = readlink(path, target, sizeof target - 1);
    target[len > 0 ? len : 0] = 0;
    printf("read-write file: links to its path: %s\n", yes(strcmp(target, file) == 0));
    show_link_mode("read-write file", path);
    fd_path(path, ro);
    show_link_mode("read-only file", path);
    fd_path(path, wo);
    show_link_mode("write-only file", path);

    /* Opening the link opens the file. */
    fd_path(path, rw);
    int again = open(path, O_RDONLY);
    char data[16] = {0};
    printf("open through the link: %s, reads %zd\n", yes(again >= 0), read(again, data, sizeof data));
    printf("same data: %s\n", yes(strcmp(data, "hello\n") == 0));
    close(again);

    /* The directory lists the descriptors; a closed one goes (50: opendir takes the lowest). */
    dup2(wo, 50);
    printf("fd dir lists 50: %s\n", yes(lists("/proc/self/fd", "50")));
    close(50);
    close(wo);
    printf("after close, lists it: %s\n", yes(lists("/proc/self/fd", "50")));
    show_link_mode("closed descriptor", "/proc/self/fd/50");
    show_link("closed descriptor", "/proc/self/fd/50");
    int high = dup2(ro, 100);
    printf("dup2 to 100: %d, listed: %s\n", high, yes(lists("/proc/self/fd", "100")));
    show_link_mode("fd 100", "/proc/self/fd/100");
    show_link_mode("fd 0100 (not canonical)", "/proc/self/fd/0100");
    show_link_mode("fd 9999", "/proc/self/fd/9999");
    show_link_mode("fd -1", "/proc/self/fd/-1");

    /* A directory descriptor reads as its path. */
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    fd_path(path, dir);
    show_link("directory /tmp", path);
    close(dir);

    /* Pipes: a FIFO on pipefs, both ends "pipe:[ino]" with fstat's inode number. */
    int p[2];
    pipe(p);
    struct stat st0, st1;
    fstat(p[0], &st0);
    fstat(p[1], &st1);
    printf("pipe: fifo %s, mode %03o, links %lu, size %ld\n", yes(S_ISFIFO(st0.st_mode)),
           st0.st_mode & 0777, (unsigned long)st0.st_nlink, (long)st0.st_size);
    printf("pipe ends share an inode: %s, on one device: %s\n", yes(st0.st_ino == st1.st_ino),
           yes(st0.st_dev == st1.st_dev));
    char want[64], got[64];
    sprintf(want, "pipe:[%lu]", (unsigned long)st0.st_ino);
    fd_path(path, p[0]);
    ssize_t n = readlink(path, got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    printf("read end links to pipe:[st_ino]: %s\n", yes(strcmp(got, want) == 0));
    fd_path(path, p[1]);
    n = readlink(path, got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    printf("write end links to pipe:[st_ino]: %s\n", yes(strcmp(got, want) == 0));
    fd_path(path, p[0]);
    show_link_mode("read end", path);
    fd_path(path, p[1]);
    show_link_mode("write end", path);
    int p2[2];
    pipe(p2);
    struct stat st2;
    fstat(p2[0], &st2);
    printf("another pipe, another inode: %s\n", yes(st2.st_ino != st0.st_ino));

    /* Opening a pipe's link opens another end of the same pipe (Linux's fifo_open): a second
     * writer and a second reader, data through them, end of file once every writer is gone; stat
     * through the link sees the FIFO. */
    fd_path(path, p[1]);
    int w2 = open(path, O_WRONLY);
    fd_path(path, p[0]);
    int r2 = open(path, O_RDONLY);
    printf("pipe reopened: writer %s, reader %s\n", yes(w2 >= 0), yes(r2 >= 0));
    struct stat sl;
    int stat_result = stat(path, &sl);
    printf("stat through the link: %d, fifo %s, same inode %s\n", stat_result,
           yes(S_ISFIFO(sl.st_mode)), yes(sl.st_ino == st0.st_ino));
    write(w2, "via w2", 6);
    char pb[16] = {0};
    printf("read %zd: %s\n", read(p[0], pb, sizeof pb - 1), pb);
    close(p[0]);
    write(p[1], "to r2", 5);
    memset(pb, 0, sizeof pb);
    printf("read %zd: %s\n", read(r2, pb, sizeof pb - 1), pb);
    close(p[1]);
    close(w2);
    printf("all writers gone, read: %zd\n", read(r2, pb, sizeof pb));
    close(r2);

    /* A file unlinked while open can still be opened through its link. */
    char gone_file[] = "/tmp/procfd-gone-XXXXXX";
    int gone = mkstemp(gone_file);
    write(gone, "still here", 10);
    unlink(gone_file);
    fd_path(path, gone);
    int back = open(path, O_RDONLY);
    memset(data, 0, sizeof data);
    printf("unlinked file reopened: %s, reads %zd: %s\n", yes(back >= 0), read(back, data, 10), data);
    close(back);
    close(gone);

    /* cwd, root, exe. */
    chdir("/tmp");
    show_link("cwd in /tmp", "/proc/self/cwd");
    show_link_mode("cwd", "/proc/self/cwd");
    chdir("/");
    show_link("cwd in /", "/proc/self/cwd");
    show_link("root", "/proc/self/root");
    show_link_mode("root", "/proc/self/root");
    show_exe("first run");
    /* Run again through the link (as busybox re-executes itself): a regression test, the
     * kernel once followed the link into itself forever. */
    pid_t child = fork();
    if (child == 0) {
        execl("/proc/self/exe", "procfd", "exec-child", (char *)0);
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    printf("child exit status %d\n", WEXITSTATUS(status));
    char mine[64], cwd[128];
    sprintf(mine, "/proc/%d/fd", getpid());
    printf("chdir /proc/self/fd: %d\n", chdir("/proc/self/fd"));
    printf("getcwd is /proc/PID/fd: %s\n", yes(getcwd(cwd, sizeof cwd) && strcmp(cwd, mine) == 0));
    chdir("..");
    sprintf(mine, "/proc/%d", getpid());
    printf("its parent is /proc/PID: %s\n", yes(getcwd(cwd, sizeof cwd) && strcmp(cwd, mine) == 0));
    chdir("/");
    const char *names[] = {"fd", "cwd", "root", "exe", "maps", "status"};
    for (int i = 0; i < 6; i++)
        printf("/proc/self lists %s: %s\n", names[i], yes(lists("/proc/self", names[i])));

    /* The mount table and the file-system types. */
    printf("/proc/mounts has /proc: %s\n", yes(has_line("/proc/mounts", " /proc proc ")));
    printf("/proc/filesystems has proc: %s, tmpfs: %s\n", yes(has_line("/proc/filesystems", "nodev\tproc")),
           yes(has_line("/proc/filesystems", "nodev\ttmpfs")));

    unlink(file);
    return 0;
}
