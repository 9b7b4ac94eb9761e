/* memfd_create against Linux: the file it makes (its name in /proc/self/fd and maps, its mode and
 * links, reads, writes, truncation, shared and private mappings, across fork), and the seals:
 * F_GET_SEALS, F_ADD_SEALS with each seal and what it forbids (write, mmap for writing, mprotect
 * to writable, shrink, grow, more seals), EBUSY while mapped writable; the flags' and the name's
 * errors. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Newer than musl's headers (Linux 6.3). */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x8U
#define MFD_EXEC 0x10U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x10
#endif

static void show_link(int fd)
{
    char path[64], link[128] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    printf("fd link: %s\n", n < 0 ? "unreadable" : link);
}

/* The maps line of the area holding `addr`, from its permissions on. */
static void show_map(const void *addr)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[256];
    while (fgets(line, sizeof line, f)) {
        unsigned long s, e;
        char perms[8], name[128] = "";
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %127[^\n]", &s, &e, perms, name) >= 3 &&
            (unsigned long)addr >= s && (unsigned long)addr < e)
            printf("map: %s %lu pages %s\n", perms, (e - s) / 4096, name);
    }
    fclose(f);
}

static void show_stat(int fd)
{
    struct stat st;
    CHECK(fstat(fd, &st));
    printf("mode %o, links %lu, size %lld\n", st.st_mode, (unsigned long)st.st_nlink,
           (long long)st.st_size);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("-- the file\n");
    int fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETFD));
    CHECK(fcntl(fd, F_GETFL) & O_ACCMODE);
    show_link(fd);
    show_stat(fd);
    char buf[10000];
    memset(buf, 'x', sizeof buf);
    CHECK(write(fd, buf, sizeof buf));
    show_stat(fd);
    CHECK(ftruncate(fd, 3 * 4096));
    char *shared = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    show_map(shared);
    shared[5000] = 'S';
    char got[4] = "";
    CHECK(pread(fd, got, 1, 5000));
    printf("read back through read(): %c\n", got[0]);
    char *private = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    private[5000] = 'P';
    printf("shared sees %c, private sees %c\n", shared[5000], private[5000]);
    show_map(private);
    pid_t child = fork();
    if (child == 0) {
        shared[6000] = 'C';
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("the child's write: %c\n", shared[6000]);
    munmap(private, 3 * 4096);

    printf("-- seals\n");
    CHECK(fcntl(fd, F_GET_SEALS));
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    munmap(shared, 3 * 4096);
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    CHECK(fcntl(fd, F_GET_SEALS));
    CHECK(write(fd, "a", 1));
    CHECK(pwrite(fd, "a", 1, 0));
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(ro != MAP_FAILED);
    CHECK(mprotect(ro, 4096, PROT_READ | PROT_WRITE));
    char *cow = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(cow != MAP_FAILED);
    cow[0] = 'w';
    printf("private copy writable: %c, file still %c\n", cow[0], ro[0]);
    CHECK(ftruncate(fd, 5 * 4096));
    CHECK(ftruncate(fd, 4 * 4096));
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
    CHECK(ftruncate(fd, 2 * 4096));
    CHECK(ftruncate(fd, 6 * 4096));
    CHECK(ftruncate(fd, 4 * 4096));
    CHECK(fcntl(fd, F_ADD_SEALS, 0x1000));
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
    CHECK(fcntl(fd, F_GET_SEALS));

    printf("-- without MFD_ALLOW_SEALING, and with MFD_NOEXEC_SEAL\n");
    int plain = memfd_create("plain", 0);
    CHECK(fcntl(plain, F_GETFD));
    CHECK(fcntl(plain, F_GET_SEALS));
    CHECK(fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE));
    int noexec = memfd_create("noexec", MFD_NOEXEC_SEAL);
    show_stat(noexec);
    CHECK(fcntl(noexec, F_GET_SEALS));
    CHECK(fcntl(noexec, F_ADD_SEALS, F_SEAL_GROW));
    CHECK(fcntl(noexec, F_GET_SEALS));
    CHECK(fcntl(0, F_GET_SEALS));

    printf("-- an unlinked file's link says so, as a memfd's does\n");
    char tmp[] = "/tmp/memfd-test-XXXXXX";
    int t = mkstemp(tmp);
    char path[64], link[128] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", t);
    unlink(tmp);
    ssize_t n = readlink(path, link, sizeof link - 1);
    printf("unlinked: %s\n", n > 10 && strcmp(link + n - 10, " (deleted)") == 0 ? "(deleted)" : link);
    close(t);

    printf("-- errors\n");
    char name[300];
    memset(name, 'n', sizeof name);
    name[249] = 0;
    CHECK(memfd_create(name, 0) >= 0);
    name[249] = 'n';
    name[250] = 0;
    CHECK(memfd_create(name, 0));
    CHECK(syscall(SYS_memfd_create, (void *)8, 0));
    CHECK(memfd_create("x", 0x100));
    CHECK(memfd_create("x", MFD_EXEC | MFD_NOEXEC_SEAL));
    CHECK(memfd_create("x", 1U << 26));
    return 0;
}
