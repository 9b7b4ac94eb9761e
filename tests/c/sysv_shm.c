/* System V shared memory against Linux: shmget by key and IPC_PRIVATE, shmat where the kernel
 * chooses, at a given address, read-only, rounded (SHM_RND) and over a mapping (SHM_REMAP),
 * shared data between attaches and across fork, the attach count (one per area: fork and mprotect
 * add to it), shmdt of a split attach, /proc/self/maps, shmctl's IPC_STAT, IPC_SET, IPC_RMID
 * (the segment lives on while attached), SHM_STAT, SHM_LOCK, IPC_INFO, and the errors. Ids,
 * keys and times differ between systems, so they are printed as facts about them. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static int id_of_test;

/* The attach count, or -1 with the error. */
static long nattch(int id)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) != 0)
        return -1;
    return (long)ds.shm_nattch;
}

/* Where the first attach is: the maps lines are shown relative to it (Linux puts its vDSO
 * below the stack, where this kernel has none, so absolute addresses differ). */
static uintptr_t base;

/* The /proc/self/maps lines of the areas mapping a SysV segment, with their addresses relative to
 * the first attach, without the device (shmem's anonymous device number is the system's) and
 * with the inode number checked to be the segment's id, as Linux sets it. */
static void show_maps(const char *what)
{
    printf("%s:\n", what);
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "/SYSV"))
            continue;
        unsigned long start, end, ino;
        char perms[8], off[16], dev[16], name[128];
        if (sscanf(line, "%lx-%lx %7s %15s %15s %lu %127[^\n]", &start, &end, perms, off, dev,
                   &ino, name) == 7)
            printf("  %+ld-%+ld %s %s %s%s\n", (long)(start - base), (long)(end - base), perms,
                   off, strstr(name, "/SYSV") ? strstr(name, "/SYSV") : name,
                   ino == (unsigned long)id_of_test ? " (inode is the id)" : "");
    }
    fclose(f);
}

static void errors(void)
{
    printf("-- errors\n");
    CHECK(shmget(IPC_PRIVATE, 0, 0600));
    CHECK(shmget(0x7a11ab1e, 4096, 0600)); /* no such key, no IPC_CREAT */
    struct shmid_ds ds;
    CHECK(shmctl(-1, IPC_STAT, &ds));
    CHECK(shmctl(0x7ffffff0, IPC_STAT, &ds));
    CHECK((long)shmat(-1, NULL, 0));
    CHECK((long)shmat(0x7ffffff0, NULL, 0));
    CHECK(shmdt((void *)0x1001));
    CHECK(shmdt((void *)0x10000000));
    int id = shmget(IPC_PRIVATE, 8192, 0600);
    CHECK(shmctl(id, 9999, &ds));
    CHECK(shmctl(id, IPC_STAT, (void *)8));
    CHECK((long)shmat(id, (void *)0x10000001, 0));
    CHECK((long)shmat(id, NULL, SHM_REMAP));
    /* Inside an attach, not at its start: nothing is detached. */
    char *p = shmat(id, NULL, 0);
    CHECK(shmdt(p + 4096));
    CHECK(shmdt(p));
    CHECK(shmctl(id, IPC_RMID, NULL));
    CHECK(shmctl(id, IPC_RMID, NULL));
    CHECK(shmctl(id, IPC_STAT, &ds));
    /* Sizes: more than memory needs SHM_NORESERVE, and more than fits cannot be attached. */
    CHECK(shmget(IPC_PRIVATE, 1UL << 60, 0600));
    int huge = shmget(IPC_PRIVATE, 1UL << 60, 0600 | SHM_NORESERVE);
    CHECK(huge >= 0);
    CHECK((long)shmat(huge, NULL, 0));
    CHECK(shmctl(huge, IPC_RMID, NULL));
    CHECK(shmget(IPC_PRIVATE, (1UL << 63) + 4096, 0600 | SHM_NORESERVE));
    CHECK(shmget(IPC_PRIVATE, -1UL, 0600 | SHM_NORESERVE));
}

static void stat_line(int id)
{
    struct shmid_ds ds;
    if (show("IPC_STAT", shmctl(id, IPC_STAT, &ds)) != 0)
        return;
    printf("  size %zu mode %o nattch %lu key %s cpid mine %d lpid %s uid %u cuid %u attached "
           "%s detached %s\n",
           ds.shm_segsz, ds.shm_perm.mode, (unsigned long)ds.shm_nattch,
           ds.shm_perm.__key == IPC_PRIVATE ? "private" : "set", ds.shm_cpid == getpid(),
           ds.shm_lpid == 0 ? "none" : ds.shm_lpid == getpid() ? "me" : "other",
           ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_atime ? "yes" : "never",
           ds.shm_dtime ? "yes" : "never");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    errors();

    printf("-- a private segment\n");
    int id = shmget(IPC_PRIVATE, 10000, 0600);
    id_of_test = id;
    stat_line(id);
    char *a = shmat(id, NULL, 0);
    printf("attached: %d\n", a != (void *)-1);
    base = (uintptr_t)a;
    strcpy(a, "written through the first attach");
    a[9999] = 'z';
    stat_line(id);
    show_maps("maps");

    printf("-- a second attach, read-only, at a chosen address\n");
    char *spot = mmap(NULL, 0x10000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(spot, 0x10000);
    char *b = shmat(id, spot + 0x123, SHM_RDONLY | SHM_RND);
    printf("rounded down: %d, same data: %d %c\n", b == spot, strcmp(b, a) == 0, b[9999]);
    printf("nattch: %ld\n", nattch(id));
    show_maps("maps");
    /* Something is mapped there now: without SHM_REMAP that is EINVAL, with it the attach
     * replaces it. */
    CHECK((long)shmat(id, spot, 0) == (long)spot);
    char *c = shmat(id, spot, SHM_REMAP);
    printf("remapped writable at the same place: %d\n", c == spot);
    c[1] = 'R';
    printf("seen through the first attach: %c\n", a[1]);
    printf("nattch: %ld\n", nattch(id));

    printf("-- fork\n");
    pid_t pid = fork();
    if (pid == 0) {
        printf("child: nattch %ld\n", nattch(id));
        strcpy(a + 100, "from the child");
        shmdt(c);
        printf("child after shmdt: nattch %ld\n", nattch(id));
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent reads: %s, nattch %ld\n", a + 100, nattch(id));

    printf("-- mprotect splits an attach; shmdt takes every piece\n");
    CHECK(mprotect(c + 4096, 4096, PROT_READ));
    printf("nattch: %ld\n", nattch(id));
    show_maps("maps");
    CHECK(shmdt(c));
    printf("nattch: %ld\n", nattch(id));
    show_maps("maps");
    CHECK(shmdt(c));

    printf("-- IPC_SET, SHM_LOCK, SHM_STAT\n");
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    ds.shm_perm.mode = 0640;
    CHECK(shmctl(id, IPC_SET, &ds));
    CHECK(shmctl(id, SHM_LOCK, NULL));
    stat_line(id);
    CHECK(shmctl(id, SHM_UNLOCK, NULL));
    stat_line(id);
    struct shmid_ds by_index;
    printf("SHM_STAT gives the id: %d\n", shmctl(id & 0x7fff, SHM_STAT, &by_index) == id);
    printf("SHM_STAT_ANY gives the id: %d\n", shmctl(id & 0x7fff, SHM_STAT_ANY, &by_index) == id);
    printf("same size: %d\n", by_index.shm_segsz == 10000);

    printf("-- IPC_RMID while attached\n");
    CHECK(shmctl(id, IPC_RMID, NULL));
    stat_line(id);
    printf("still readable: %s\n", a);
    char *d = shmat(id, NULL, 0);
    printf("attach after IPC_RMID: %d\n", d != (void *)-1);
    printf("nattch: %ld\n", nattch(id));
    show_maps("maps");
    CHECK(shmdt(d));
    CHECK(shmdt(a));
    printf("after the last detach: %ld %s\n", nattch(id), errname(errno));

    printf("-- by key\n");
    /* Keys are the whole host's: one already there (another program's, or left by a run that
     * died) is skipped, not shared. */
    key_t key = 0x5eed0000 + (getpid() & 0xffff);
    int k;
    while ((k = shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0666)) < 0 && errno == EEXIST)
        key++;
    printf("made: %d\n", k >= 0);
    printf("again, same id: %d\n", shmget(key, 8192, 0) == k);
    printf("smaller size, same id: %d\n", shmget(key, 100, 0) == k);
    CHECK(shmget(key, 8193, 0));
    CHECK(shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0666));
    shmctl(k, IPC_STAT, &ds);
    printf("key kept: %d, mode %o\n", ds.shm_perm.__key == key, ds.shm_perm.mode);
    /* Another user: the mode decides. */
    CHECK(shmctl(k, IPC_STAT, &ds));
    ds.shm_perm.mode = 0604;
    CHECK(shmctl(k, IPC_SET, &ds));
    pid = fork();
    if (pid == 0) {
        if (setgid(1000) != 0 || setuid(1000) != 0)
            _exit(1);
        CHECK(shmget(key, 0, 0600));
        CHECK(shmget(key, 0, 0400) == k);
        CHECK((long)shmat(k, NULL, 0));
        char *r = shmat(k, NULL, SHM_RDONLY);
        printf("read-only attach by another user: %d\n", r != (void *)-1);
        CHECK(shmctl(k, IPC_RMID, NULL));
        CHECK(shmctl(k, IPC_SET, &ds));
        CHECK(shmctl(k, IPC_STAT, &ds) == 0);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    char *e = shmat(k, NULL, 0);
    strcpy(e, "kept between attaches");
    CHECK(shmdt(e));
    e = shmat(k, NULL, 0);
    printf("reattached: %s\n", e);
    CHECK(shmdt(e));
    CHECK(shmctl(k, IPC_RMID, NULL));
    CHECK(shmget(key, 8192, 0));

    printf("-- IPC_INFO\n");
    struct shminfo info;
    int max = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
    printf("max index >= 0: %d, shmmin %lu shmmni %lu shmseg %lu\n", max >= 0, info.shmmin,
           info.shmmni, info.shmseg);
    printf("# shmmax %lu shmall %lu\n", info.shmmax, info.shmall);
    struct shm_info usage;
    CHECK(shmctl(0, SHM_INFO, (struct shmid_ds *)&usage) >= 0);
    return 0;
}
