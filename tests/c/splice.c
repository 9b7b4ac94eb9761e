/* splice, tee, vmsplice and copy_file_range against Linux: file to pipe and pipe to file with and
 * without offsets (which offset or position moves), pipe to pipe, tee leaving its input in place,
 * vmsplice into a pipe and out of it, end of file and non-blocking cases, SIGPIPE, copies between
 * files and within one, and the errors in Linux's order. Files are memfds (tmpfs on both). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

static int file_with(const char *name, const char *text)
{
    int fd = memfd_create(name, 0);
    write(fd, text, strlen(text));
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void show_pos(const char *what, int fd)
{
    printf("%s position: %ld\n", what, (long)lseek(fd, 0, SEEK_CUR));
}

static void drain(const char *what, int fd)
{
    char buf[256] = {0};
    int n = read(fd, buf, sizeof buf - 1);
    printf("%s: %d [%s]\n", what, n, n > 0 ? buf : "");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    int p[2], q[2];
    pipe(p);
    pipe(q);

    printf("-- file to pipe\n");
    int f = file_with("in", "0123456789abcdefghij");
    CHECK(splice(f, NULL, p[1], NULL, 5, 0));
    show_pos("file", f);
    loff_t off = 10;
    CHECK(splice(f, &off, p[1], NULL, 4, 0));
    printf("offset now %ld\n", (long)off);
    show_pos("file", f);
    drain("pipe", p[0]);
    off = 100;
    CHECK(splice(f, &off, p[1], NULL, 4, 0)); /* past the end */

    printf("-- pipe to file\n");
    int g = memfd_create("out", 0);
    write(p[1], "spliced in", 10);
    CHECK(splice(p[0], NULL, g, NULL, 7, 0));
    show_pos("out", g);
    off = 20;
    CHECK(splice(p[0], NULL, g, &off, 100, 0)); /* the rest: 3 bytes */
    printf("offset now %ld\n", (long)off);
    char buf[64] = {0};
    CHECK(pread(g, buf, sizeof buf, 0));
    printf("out holds: %.7s|%d %d|%.3s\n", buf, buf[7], buf[19], buf + 20);
    CHECK(splice(p[0], NULL, g, NULL, 10, SPLICE_F_NONBLOCK)); /* empty pipe */

    printf("-- pipe to pipe\n");
    write(p[1], "through two pipes", 17);
    CHECK(splice(p[0], NULL, q[1], NULL, 8, 0));
    drain("second pipe", q[0]);
    drain("first pipe", p[0]);

    printf("-- tee\n");
    write(p[1], "copied, not taken", 17);
    CHECK(tee(p[0], q[1], 100, 0));
    drain("tee'd pipe", q[0]);
    drain("original pipe", p[0]);
    CHECK(tee(p[0], q[1], 10, SPLICE_F_NONBLOCK)); /* nothing to copy */
    CHECK(tee(p[0], p[1], 10, 0));
    CHECK(tee(f, q[1], 10, 0));

    printf("-- vmsplice\n");
    char one[] = "first ", two[] = "second";
    struct iovec iov[2] = {{one, 6}, {two, 6}};
    CHECK(vmsplice(p[1], iov, 2, 0));
    drain("pipe", p[0]);
    write(p[1], "to the user", 11);
    char a[4] = {0}, b[16] = {0};
    struct iovec out[2] = {{a, 3}, {b, 15}};
    CHECK(vmsplice(p[0], out, 2, 0));
    printf("user got: %s|%s\n", a, b);
    CHECK(vmsplice(p[0], out, 2, SPLICE_F_NONBLOCK));
    CHECK(vmsplice(f, iov, 2, 0));
    CHECK(vmsplice(p[1], iov, 2, 0x100));

    printf("-- end of file and broken pipes\n");
    int r[2];
    pipe(r);
    close(r[1]);
    CHECK(splice(r[0], NULL, g, NULL, 10, 0));
    CHECK(splice(r[0], NULL, q[1], NULL, 10, 0));
    CHECK(tee(r[0], q[1], 10, 0));
    close(r[0]);
    pipe(r);
    close(r[0]);
    lseek(f, 0, SEEK_SET);
    CHECK(splice(f, NULL, r[1], NULL, 5, 0));
    write(p[1], "x", 1);
    CHECK(splice(p[0], NULL, r[1], NULL, 1, 0));
    CHECK(tee(p[0], r[1], 1, 0));
    drain("p", p[0]);
    close(r[1]);

    printf("-- splice errors\n");
    CHECK(splice(f, NULL, p[1], NULL, 0, 0));
    CHECK(splice(f, NULL, p[1], NULL, 5, 0x10));
    CHECK(splice(99, NULL, p[1], NULL, 5, 0));
    off = 0;
    CHECK(splice(p[0], &off, g, NULL, 5, 0));
    CHECK(splice(f, NULL, p[1], &off, 5, 0));
    CHECK(splice(f, (loff_t *)8, p[1], NULL, 5, 0));
    CHECK(splice(f, NULL, g, NULL, 5, 0));
    CHECK(splice(p[0], NULL, p[1], NULL, 5, 0));
    CHECK(splice(p[1], NULL, g, NULL, 5, 0));
    off = -1;
    CHECK(splice(f, &off, p[1], NULL, 5, 0));
    int app = memfd_create("append", 0);
    int app2 = open("/proc/self/fd/0", O_RDONLY);
    (void)app2;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", app);
    int appended = open(path, O_WRONLY | O_APPEND);
    write(p[1], "abc", 3);
    CHECK(splice(p[0], NULL, appended, NULL, 3, 0));
    drain("p", p[0]);

    printf("-- copy_file_range\n");
    int src = file_with("src", "copy this range of bytes");
    int dst = memfd_create("dst", 0);
    CHECK(copy_file_range(src, NULL, dst, NULL, 9, 0));
    show_pos("src", src);
    show_pos("dst", dst);
    loff_t in_off = 10, out_off = 30;
    CHECK(copy_file_range(src, &in_off, dst, &out_off, 100, 0)); /* to the end: 14 */
    printf("offsets now %ld %ld\n", (long)in_off, (long)out_off);
    memset(buf, 0, sizeof buf);
    CHECK(pread(dst, buf, sizeof buf, 0));
    printf("dst: %.9s|%d|%.14s\n", buf, buf[9], buf + 30);
    in_off = 100;
    CHECK(copy_file_range(src, &in_off, dst, NULL, 5, 0)); /* past the end */
    /* Within one file: apart is fine, overlapping is not. */
    in_off = 0, out_off = 50;
    CHECK(copy_file_range(src, &in_off, src, &out_off, 4, 0));
    in_off = 0, out_off = 2;
    CHECK(copy_file_range(src, &in_off, src, &out_off, 4, 0));
    CHECK(copy_file_range(src, NULL, dst, NULL, 0, 0));
    CHECK(copy_file_range(src, NULL, dst, NULL, 5, 1));
    CHECK(copy_file_range(99, NULL, dst, NULL, 5, 0));
    CHECK(copy_file_range(src, NULL, p[1], NULL, 5, 0));
    CHECK(copy_file_range(p[0], NULL, dst, NULL, 5, 0));
    int dir = open("/", O_RDONLY | O_DIRECTORY);
    CHECK(copy_file_range(dir, NULL, dst, NULL, 5, 0));
    CHECK(copy_file_range(src, NULL, appended, NULL, 5, 0));
    snprintf(path, sizeof path, "/proc/self/fd/%d", dst);
    int ro = open(path, O_RDONLY);
    CHECK(copy_file_range(src, NULL, ro, NULL, 5, 0));
    /* Offsets that wrap as unsigned numbers, negative ones, ones at the far end. */
    long long cases[][2] = {{-1, 0}, {0, -1}, {0, -100}, {-100, 0}, {5, -5}, {100, 0}};
    for (int i = 0; i < 6; i++) {
        loff_t a = cases[i][0], b = cases[i][1];
        printf("offsets %lld %lld: ", cases[i][0], cases[i][1]);
        show("copy", copy_file_range(src, &a, dst, &b, 5, 0));
    }
    in_off = 0x7ffffffffffffff0L;
    CHECK(copy_file_range(src, &in_off, dst, NULL, 0x100, 0));
    CHECK(copy_file_range(src, (loff_t *)8, dst, NULL, 5, 0));
    return 0;
}
