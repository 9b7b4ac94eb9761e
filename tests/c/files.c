/* The file-system calls, compared with Linux: open with its flags, read and write of regular files
 * (holes, O_APPEND, O_TRUNC), ftruncate and truncate, the stat family, statx, statfs, access,
 * mkdir, rmdir, unlink (an unlinked open file keeps its data), rename and renameat2, link,
 * symlink and readlink (loops, `..` after a link), getdents64, chdir, fchdir, getcwd, umask,
 * chmod, utimensat, /dev and /proc, and their errors.
 *
 * Everything happens under a scratch directory of its own in /tmp (from mkdtemp: another run on
 * the host at the same time has its own), removed at the end. It prints only what must agree on
 * both kernels: no inode or device numbers, no times (only relations between them), directory
 * listings sorted, paths under the scratch directory as BASE/... */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char base[] = "/tmp/vmkernel-files-XXXXXX";

/* `name` under the scratch directory. */
static const char *in_base(const char *name) {
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", base, name);
    return path;
}

/* Prints the working directory, the scratch directory's part as BASE. */
static void show_cwd(const char *what) {
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf))
        return;
    size_t n = strlen(base);
    if (!strncmp(buf, base, n) && (buf[n] == 0 || buf[n] == '/'))
        printf("%s: BASE%s\n", what, buf + n);
    else
        printf("%s: %s\n", what, buf);
}

/* statx's result (linux/stat.h), for C libraries without a statx wrapper. */
struct kstatx {
    unsigned mask, blksize;
    unsigned long attributes;
    unsigned nlink, uid, gid;
    unsigned short mode, pad;
    unsigned long ino, size, blocks, attributes_mask;
    struct {
        long sec;
        unsigned nsec;
        int reserved;
    } atime, btime, ctime, mtime;
    unsigned rdev_major, rdev_minor, dev_major, dev_minor;
    unsigned long rest[14];
};
#define KSTATX_BASIC_STATS 0x7ffu

/* Prints "what = ok" (or the value, for VAL), or the error's text. */
static long show(const char *what, long r, int value) {
    if (r < 0)
        printf("%s = -1 %s\n", what, strerror(errno));
    else if (value)
        printf("%s = %ld\n", what, r);
    else
        printf("%s = ok\n", what);
    return r;
}
#define OK(e) show(#e, (long)(e), 0)
#define VAL(e) show(#e, (long)(e), 1)
#define YES(what, cond) printf("%s: %s\n", what, (cond) ? "yes" : "no")

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes a tree (with opendir/readdir, so getdents64 too), quietly. */
static void rm_rf(const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[PATH_MAX];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Lists a directory sorted, with each entry's type letter. */
static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s: %s\n", path, strerror(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        char type = e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : e->d_type == DT_LNK ? 'l' : '?';
        char *s = malloc(strlen(e->d_name) + 3);
        sprintf(s, "%s:%c", e->d_name, type);
        names[n++] = s;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("ls %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void put(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        printf("put %s failed: %s\n", path, strerror(errno));
    close(fd);
}

/* Prints the whole file, with zero bytes shown as '0'. */
static void cat(const char *path) {
    char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("cat %s: %s\n", path, strerror(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == 0)
            buf[i] = '0';
    printf("cat %s (%zd): %.*s\n", path, n, (int)(n < 0 ? 0 : n), buf);
}

static void show_stat(const char *what, const char *path, int follow) {
    struct stat st;
    int r = follow ? stat(path, &st) : lstat(path, &st);
    if (r < 0) {
        printf("%s %s: %s\n", what, path, strerror(errno));
        return;
    }
    printf("%s %s: mode=%o nlink=%ld size=%ld uid=%d gid=%d\n", what, path, st.st_mode,
           (long)st.st_nlink, S_ISDIR(st.st_mode) ? -1L : (long)st.st_size, st.st_uid, st.st_gid);
}

static void test_create_read_write(void) {
    printf("-- create, read, write\n");
    int fd = OK(open("a", O_RDWR | O_CREAT | O_EXCL, 0666));
    VAL(write(fd, "hello", 5));
    OK(open("a", O_RDWR | O_CREAT | O_EXCL, 0666));
    OK(close(fd));
    show_stat("stat", "a", 1);
    cat("a");
    fd = OK(open("a", O_WRONLY | O_APPEND));
    VAL(write(fd, " world", 6));
    OK(close(fd));
    cat("a");
    fd = OK(open("a", O_RDONLY));
    VAL(write(fd, "x", 1));
    char c;
    VAL(read(fd, &c, 1));
    OK(close(fd));
    fd = OK(open("a", O_WRONLY));
    VAL(read(fd, &c, 1));
    VAL(write(fd, "J", 1));
    OK(close(fd));
    cat("a");
    fd = OK(open("a", O_WRONLY | O_TRUNC));
    OK(close(fd));
    show_stat("after O_TRUNC", "a", 1);
    OK(open("missing", O_RDONLY));
    OK(open("a", O_RDONLY | O_DIRECTORY));
    OK(open(".", O_WRONLY));
    OK(open(".", O_RDONLY | O_CREAT, 0644));
    OK(open("a/", O_RDONLY));
    OK(open("a/b", O_RDONLY));
    OK(open("newdir/", O_RDWR | O_CREAT, 0644));
    OK(open("nodir/x", O_RDWR | O_CREAT, 0644));
    OK(open("a", 3));
    OK(close(1000));
    OK(read(1000, &c, 1));
}

static void test_holes_and_truncate(void) {
    printf("-- holes, truncate\n");
    put("h", "abcdefgh");
    int fd = OK(open("h", O_RDWR));
    OK(ftruncate(fd, 4));
    OK(ftruncate(fd, 12));
    OK(close(fd));
    cat("h");
    show_stat("stat", "h", 1);
    /* Past a page: a write after a hole. */
    fd = OK(open("h", O_WRONLY | O_APPEND));
    OK(ftruncate(fd, 10000));
    VAL(write(fd, "END", 3));
    OK(close(fd));
    show_stat("stat", "h", 1);
    fd = OK(open("h", O_RDONLY));
    char buf[10003];
    VAL(read(fd, buf, sizeof buf));
    OK(close(fd));
    int zeros = 1;
    for (int i = 12; i < 10000; i++)
        zeros &= buf[i] == 0;
    YES("hole reads as zeros", zeros);
    YES("data after the hole", !memcmp(buf + 10000, "END", 3));
    /* Shrinking cuts the data: growing again shows zeros, not the old bytes. */
    OK(truncate("h", 2));
    OK(truncate("h", 6));
    cat("h");
    OK(truncate("h", -1));
    OK(truncate(".", 0));
    OK(truncate("missing", 0));
    fd = OK(open("h", O_RDONLY));
    OK(ftruncate(fd, 0));
    OK(close(fd));
    OK(ftruncate(fd, 0));
    fd = OK(open(".", O_RDONLY));
    OK(ftruncate(fd, 0));
    OK(fsync(fd));
    OK(close(fd));
    fd = OK(open("h", O_RDWR));
    OK(fsync(fd));
    OK(fdatasync(fd));
    OK(close(fd));
}

static void test_dirs(void) {
    printf("-- directories\n");
    OK(mkdir("d", 0777));
    OK(mkdir("d", 0777));
    OK(mkdir("d/", 0777));
    OK(mkdir("d/e", 0700));
    OK(mkdir("missing/e", 0777));
    OK(mkdir("a/e", 0777));
    show_stat("stat", "d", 1);
    show_stat("stat", "d/e", 1);
    put("d/f", "f");
    list("d");
    OK(rmdir("d"));
    OK(rmdir("d/f"));
    OK(unlink("d"));
    OK(unlink("d/e"));
    OK(rmdir("d/e/."));
    OK(rmdir("d/e/.."));
    OK(rmdir("d/e"));
    OK(rmdir("d/e"));
    OK(unlink("d/f/"));
    OK(unlink("d/f"));
    show_stat("stat", "d", 1);
    OK(rmdir("d/"));
    int dfd = OK(open(".", O_RDONLY | O_DIRECTORY));
    OK(mkdirat(dfd, "at", 0755));
    OK(mkdirat(dfd, "at/x", 0755));
    OK(unlinkat(dfd, "at/x", 0));
    OK(unlinkat(dfd, "at/x", AT_REMOVEDIR));
    OK(unlinkat(dfd, "at", 0x1));
    int ffd = OK(openat(dfd, "a", O_RDONLY));
    OK(openat(ffd, "x", O_RDONLY));
    OK(openat(1000, "x", O_RDONLY));
    OK(close(ffd));
    OK(unlinkat(dfd, "at", AT_REMOVEDIR));
    OK(close(dfd));
}

static void test_links(void) {
    printf("-- links\n");
    put("t", "target");
    OK(link("t", "t2"));
    show_stat("stat", "t", 1);
    OK(link("t", "t2"));
    OK(link("missing", "t3"));
    OK(mkdir("ld", 0755));
    OK(link("ld", "ld2"));
    OK(symlink("t", "s"));
    OK(symlink("t", "s"));
    OK(symlink("", "empty"));
    OK(symlink("missing", "dangling"));
    OK(symlink("loop1", "loop2"));
    OK(symlink("loop2", "loop1"));
    show_stat("stat", "s", 1);
    show_stat("lstat", "s", 0);
    show_stat("stat", "dangling", 1);
    show_stat("lstat", "dangling", 0);
    show_stat("stat", "loop1", 1);
    char buf[64];
    long n = VAL(readlink("s", buf, sizeof buf));
    if (n > 0)
        printf("readlink s: %.*s\n", (int)n, buf);
    VAL(readlink("s", buf, 2));
    VAL(readlink("t", buf, sizeof buf));
    VAL(readlink("s", buf, 0));
    VAL(readlink("missing", buf, sizeof buf));
    cat("s");
    OK(open("s", O_RDONLY | O_NOFOLLOW));
    OK(open("loop1", O_RDONLY));
    OK(open("s/", O_RDONLY));
    /* O_CREAT through a dangling link makes the target? Only without O_EXCL; with it, EEXIST. */
    OK(open("dangling", O_RDWR | O_CREAT | O_EXCL, 0644));
    OK(symlink("made-through-link", "dangling2"));
    OK(close(OK(open("dangling2", O_RDWR | O_CREAT, 0644))));
    show_stat("stat", "made-through-link", 1);
    OK(unlink("made-through-link"));
    OK(open("dangling2", O_RDWR | O_CREAT | O_NOFOLLOW, 0644));
    /* link of a symlink: the link itself unless AT_SYMLINK_FOLLOW. */
    OK(linkat(AT_FDCWD, "s", AT_FDCWD, "hs", 0));
    show_stat("lstat", "hs", 0);
    OK(linkat(AT_FDCWD, "s", AT_FDCWD, "hf", AT_SYMLINK_FOLLOW));
    show_stat("lstat", "hf", 0);
    OK(linkat(AT_FDCWD, "s", AT_FDCWD, "hx", 0x8000));
    /* `..` after a link is the parent of its target. */
    OK(mkdir("p", 0755));
    OK(mkdir("p/q", 0755));
    OK(symlink("p/q", "pq"));
    struct stat st1, st2;
    OK(stat("pq/..", &st1));
    OK(stat("p", &st2));
    YES("pq/.. is p", st1.st_ino == st2.st_ino);
    OK(symlink(in_base("p"), "abs"));
    show_stat("stat", "abs/q", 1);
    OK(symlinkat("t", AT_FDCWD, "s2"));
    VAL(readlinkat(AT_FDCWD, "s2", buf, sizeof buf));
    /* ENAMETOOLONG: a name over 255 bytes, a path of PATH_MAX bytes. */
    char name[300];
    memset(name, 'n', sizeof name);
    name[299] = 0;
    OK(open(name, O_RDONLY));
    OK(mkdir(name, 0755));
    char *longpath = malloc(PATH_MAX + 10);
    memset(longpath, 'x', PATH_MAX + 9);
    for (int i = 100; i < PATH_MAX + 9; i += 100)
        longpath[i] = '/';
    longpath[PATH_MAX + 9] = 0;
    OK(open(longpath, O_RDONLY));
    free(longpath);
    /* 40 links are fine, 41 are too many. */
    OK(mkdir("chain", 0755));
    OK(symlink(".", "chain/l0"));
    char path[512] = "chain";
    for (int i = 0; i < 41; i++)
        strcat(path, "/l0");
    OK(stat(path, &st1));
    path[strlen(path) - 3] = 0;
    OK(stat(path, &st1));
}

static void test_rename(void) {
    printf("-- rename\n");
    put("r1", "one");
    put("r2", "two");
    OK(rename("r1", "r3"));
    cat("r3");
    OK(rename("r3", "r2"));
    cat("r2");
    OK(rename("missing", "r4"));
    OK(mkdir("rd", 0755));
    OK(mkdir("rd/sub", 0755));
    OK(mkdir("re", 0755));
    put("re/f", "f");
    OK(rename("rd", "rd/sub/x"));
    OK(rename("rd", "re"));
    OK(rename("r2", "rd"));
    OK(rename("rd", "r2"));
    OK(rename("r2", "r2"));
    OK(rename("r2/", "r5"));
    OK(rename(".", "x"));
    OK(rename("r2", "."));
    OK(rename("rd/sub", "rf"));
    show_stat("stat", "rd", 1);
    show_stat("stat", "rf", 1);
    OK(mkdir("empty", 0755));
    OK(rename("rf", "empty"));
    list(".");
    put("r6", "six");
    OK(syscall(SYS_renameat2, AT_FDCWD, "r6", AT_FDCWD, "r2", 1 /* RENAME_NOREPLACE */));
    OK(syscall(SYS_renameat2, AT_FDCWD, "r6", AT_FDCWD, "r7", 1));
    OK(syscall(SYS_renameat2, AT_FDCWD, "r7", AT_FDCWD, "r8", 8));
    OK(renameat(AT_FDCWD, "r7", AT_FDCWD, "re/r7"));
    list("re");
}

static void test_unlinked_open_file(void) {
    printf("-- unlinked open file\n");
    int fd = OK(open("u", O_RDWR | O_CREAT, 0600));
    char page[8192];
    memset(page, 'u', sizeof page);
    VAL(write(fd, page, sizeof page));
    OK(unlink("u"));
    struct stat st;
    OK(fstat(fd, &st));
    printf("fstat after unlink: nlink=%ld size=%ld\n", (long)st.st_nlink, (long)st.st_size);
    char *map = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
    YES("mapping of the unlinked file reads its data", map != MAP_FAILED && map[8191] == 'u');
    char want[64], text[512];
    snprintf(want, sizeof want, "%lx-", (unsigned long)map);
    FILE *maps = fopen("/proc/self/maps", "r");
    int deleted = 0;
    while (maps && fgets(text, sizeof text, maps))
        if (!strncmp(text, want, strlen(want)))
            deleted = strstr(text, in_base("u (deleted)\n")) != NULL;
    if (maps)
        fclose(maps);
    YES("maps shows the unlinked file as (deleted)", deleted);
    /* write() after mapping: the private mapping's unwritten page sees it (the same page). */
    VAL(write(fd, "tail", 4));
    OK(ftruncate(fd, 3));
    OK(fstat(fd, &st));
    printf("after ftruncate: size=%ld\n", (long)st.st_size);
    OK(close(fd));
    munmap(map, 8192);
    OK(stat("u", &st));
}

static void test_mmap_sees_writes(void) {
    printf("-- mmap and write\n");
    put("m", "0123456789");
    int fd = OK(open("m", O_RDWR));
    char *map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    YES("mapped", map != MAP_FAILED);
    printf("map: %.10s\n", map);
    VAL(write(fd, "ABC", 3));
    printf("map after write: %.10s\n", map);
    munmap(map, 4096);
    OK(close(fd));
}

static void test_attributes(void) {
    printf("-- attributes\n");
    VAL(umask(027));
    put("c", "c");
    show_stat("stat", "c", 1);
    VAL(umask(022));
    OK(chmod("c", 0755));
    show_stat("stat", "c", 1);
    OK(access("c", X_OK));
    OK(chmod("c", 04600));
    show_stat("stat", "c", 1);
    OK(access("c", X_OK));
    OK(access("c", R_OK | W_OK));
    OK(access("c", 8));
    OK(access("missing", F_OK));
    OK(access(".", X_OK));
    int fd = OK(open("c", O_RDONLY));
    OK(fchmod(fd, 0640));
    OK(close(fd));
    OK(fchmodat(AT_FDCWD, "c", 0604, 0));
    show_stat("stat", "c", 1);
    OK(faccessat(AT_FDCWD, "c", R_OK, 0));
    OK(chmod("missing", 0644));

    struct timespec ts[2] = {{1000000000, 5}, {1200000000, 123456789}};
    OK(utimensat(AT_FDCWD, "c", ts, 0));
    struct stat st;
    OK(stat("c", &st));
    printf("times: atime=%ld.%09ld mtime=%ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {7, 0}};
    OK(utimensat(AT_FDCWD, "c", omit, 0));
    OK(stat("c", &st));
    printf("times: atime=%ld mtime=%ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    OK(utimensat(AT_FDCWD, "c", bad, 0));
    OK(utimensat(AT_FDCWD, "c", NULL, 0x4));
    OK(utimensat(AT_FDCWD, "missing", NULL, 0));
    struct stat before, after;
    stat("c", &before);
    fd = open("c", O_WRONLY);
    write(fd, "more", 4);
    close(fd);
    stat("c", &after);
    YES("mtime changed by write", after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
                                      after.st_mtim.tv_nsec != before.st_mtim.tv_nsec);
    OK(utimensat(AT_FDCWD, "c", NULL, 0));
    OK(stat("c", &after));
    YES("utimensat(NULL) sets a recent time", after.st_mtim.tv_sec > 1200000000 || after.st_mtim.tv_sec < 1000);

    struct kstatx stx;
    OK(syscall(SYS_statx, AT_FDCWD, "c", 0, KSTATX_BASIC_STATS, &stx));
    OK(stat("c", &st));
    YES("statx agrees with stat", sizeof stx == 256 && stx.size == (unsigned long)st.st_size &&
                                      stx.mode == st.st_mode && stx.nlink == st.st_nlink &&
                                      stx.ino == st.st_ino && stx.mtime.sec == st.st_mtim.tv_sec &&
                                      stx.mtime.nsec == st.st_mtim.tv_nsec &&
                                      (stx.mask & KSTATX_BASIC_STATS) == KSTATX_BASIC_STATS);
    OK(syscall(SYS_statx, AT_FDCWD, "c", 0x6000, KSTATX_BASIC_STATS, &stx));
    OK(syscall(SYS_statx, AT_FDCWD, "missing", 0, KSTATX_BASIC_STATS, &stx));
    fd = open("c", O_RDONLY);
    OK(fstatat(fd, "", &st, AT_EMPTY_PATH));
    printf("fstatat AT_EMPTY_PATH: size=%ld\n", (long)st.st_size);
    OK(fstatat(fd, "", &st, 0));
    OK(fstatat(AT_FDCWD, "c", &st, 0x8000));
    close(fd);

    struct statfs sfs;
    OK(statfs(".", &sfs));
    printf("statfs: namelen=%ld bsize=%ld\n", (long)sfs.f_namelen, (long)sfs.f_bsize);
    OK(statfs("missing", &sfs));
}

static void test_cwd(void) {
    printf("-- working directory\n");
    char buf[PATH_MAX];
    OK(mkdir("w", 0755));
    OK(chdir("w"));
    show_cwd("getcwd");
    OK(syscall(SYS_getcwd, buf, 5));
    OK(chdir(".."));
    OK(chdir("a"));
    OK(chdir("missing"));
    int fd = OK(open("w", O_RDONLY | O_DIRECTORY));
    OK(fchdir(fd));
    OK(close(fd));
    show_cwd("getcwd after fchdir");
    fd = OK(open("../a", O_RDONLY));
    OK(fchdir(fd));
    OK(close(fd));
    OK(rmdir(in_base("w")));
    OK(syscall(SYS_getcwd, buf, sizeof buf));
    OK(open("x", O_RDWR | O_CREAT, 0644));
    OK(chdir(base));
    show_cwd("getcwd");
}

static void test_dev_and_proc(void) {
    printf("-- /dev and /proc\n");
    char buf[16];
    int fd = OK(open("/dev/null", O_RDWR));
    VAL(write(fd, "x", 1));
    VAL(read(fd, buf, sizeof buf));
    OK(fsync(fd));
    OK(close(fd));
    fd = OK(open("/dev/zero", O_RDWR));
    memset(buf, 1, sizeof buf);
    VAL(read(fd, buf, sizeof buf));
    YES("zeros", buf[0] == 0 && buf[15] == 0);
    VAL(write(fd, "x", 1));
    OK(close(fd));
    fd = OK(open("/dev/full", O_WRONLY));
    VAL(write(fd, "x", 1));
    OK(close(fd));
    fd = OK(open("/dev/urandom", O_RDONLY));
    VAL(read(fd, buf, sizeof buf));
    OK(close(fd));
    /* mmap of /dev/zero: private is anonymous memory, shared a shmem object. */
    fd = OK(open("/dev/zero", O_RDWR));
    char *priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    char *shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    YES("both mapped", priv != MAP_FAILED && shared != MAP_FAILED);
    YES("zero-filled", priv[0] == 0 && priv[8191] == 0 && shared[0] == 0 && shared[4096] == 0);
    priv[1] = 1;
    shared[1] = 2;
    YES("writable", priv[1] == 1 && shared[1] == 2);
    char line[256];
    snprintf(line, sizeof line, "%lx-", (unsigned long)shared);
    FILE *mapsf = fopen("/proc/self/maps", "r");
    int named = 0;
    char text[512];
    while (mapsf && fgets(text, sizeof text, mapsf))
        if (!strncmp(text, line, strlen(line)))
            named = strstr(text, " rw-s ") && strstr(text, "/dev/zero (deleted)");
    if (mapsf)
        fclose(mapsf);
    YES("the shared mapping is /dev/zero (deleted), rw-s", named);
    munmap(priv, 8192);
    munmap(shared, 8192);
    OK(close(fd));
    fd = OK(open("/dev/zero", O_RDONLY));
    YES("shared writable mapping of a read-only /dev/zero: EACCES",
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EACCES);
    OK(close(fd));
    show_stat("stat", "/dev/null", 1);
    struct stat st;
    OK(stat("/dev/zero", &st));
    printf("/dev/zero rdev: %d:%d\n", major(st.st_rdev), minor(st.st_rdev));

    char link[64];
    long n = readlink("/proc/self", link, sizeof link - 1);
    link[n < 0 ? 0 : n] = 0;
    YES("/proc/self is the pid", n > 0 && atoi(link) == getpid());
    n = readlink("/proc/self/exe", link, sizeof link - 1);
    link[n < 0 ? 0 : n] = 0;
    YES("/proc/self/exe ends with /files", n > 6 && !strcmp(link + n - 6, "/files"));
    DIR *d = opendir("/proc");
    struct dirent *e;
    int self = 0, me = 0;
    while (d && (e = readdir(d))) {
        self |= !strcmp(e->d_name, "self") && e->d_type == DT_LNK;
        me |= atoi(e->d_name) == getpid() && e->d_type == DT_DIR;
    }
    if (d)
        closedir(d);
    YES("/proc lists self", self);
    YES("/proc lists my pid", me);
    d = opendir("/proc/self");
    int maps = 0;
    while (d && (e = readdir(d)))
        maps |= !strcmp(e->d_name, "maps");
    if (d)
        closedir(d);
    YES("/proc/self lists maps", maps);
    OK(stat("/proc/self/", &st));
    YES("/proc/self/ is a directory", S_ISDIR(st.st_mode));
    OK(mkdir("/proc/self/x", 0755));
    OK(access("/tmp", W_OK));
    OK(stat("/tmp", &st));
    YES("/tmp is sticky", (st.st_mode & 01000) != 0);
}

/* exec of a file written here (a copy of this program), and exec's errors. */
static void test_exec(void) {
    printf("-- exec\n");
    int in = OK(open("/proc/self/exe", O_RDONLY));
    int out = OK(open("copy", O_WRONLY | O_CREAT | O_TRUNC, 0755));
    char buf[4096];
    ssize_t n;
    long total = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
        total += write(out, buf, n);
    close(in);
    close(out);
    YES("copied", total > 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"copy", "child", NULL};
        execv("copy", argv);
        _exit(99);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child status: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    char *argv[] = {"x", NULL};
    int w = OK(open("copy", O_WRONLY));
    OK(execv("copy", argv));
    OK(close(w));
    OK(chmod("copy", 0644));
    OK(execv("copy", argv));
    OK(execv(".", argv));
    OK(execv("missing", argv));
    OK(execv("a/b", argv));
    /* A running program's file cannot be written. */
    OK(open("/proc/self/exe", O_WRONLY));
    OK(open("/proc/self/exe", O_RDONLY | O_TRUNC));
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "child")) {
        printf("child: running a copy written by its parent\n");
        return 7;
    }
    umask(022);
    if (!mkdtemp(base)) {
        printf("mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    OK(chmod(base, 0755));
    OK(chdir(base));
    test_create_read_write();
    test_holes_and_truncate();
    test_dirs();
    test_links();
    test_rename();
    test_unlinked_open_file();
    test_mmap_sees_writes();
    test_attributes();
    test_cwd();
    test_dev_and_proc();
    fflush(stdout);
    test_exec();
    list(".");
    OK(chdir("/"));
    rm_rf(base);
    OK(access(base, F_OK));
    return 0;
}
