/* Address-space layout randomisation: the same program exec'd several times gets its stack, its
 * mmap area and its heap at different places, each moved independently and within Linux's
 * ranges; with personality(ADDR_NO_RANDOMIZE) (what setarch -R sets) every run has the same
 * layout. Run on Linux and here with randomisation on; the output must be the same.
 * `aslr write` (QEMU only: it changes a system setting) also sets randomize_va_space. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNS 4

extern char end; /* the end of the program's bss */

struct layout {
    unsigned long stack, mmap, brk;
};

static const char *self;

/* Runs `self probe` and reads the layout it prints. */
static struct layout probe(void) {
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        char *args[] = {"aslr", "probe", NULL};
        execv(self, args);
        _exit(127);
    }
    close(p[1]);
    char buf[256] = "";
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    close(p[0]);
    waitpid(pid, NULL, 0);
    struct layout l = {0, 0, 0};
    sscanf(buf, "%lx %lx %lx", &l.stack, &l.mmap, &l.brk);
    return l;
}

/* Whether the runs put `field` at different places: all of them, or all but one pair. A heap
 * moves by one of 8192 pages (32 MiB on Linux 6.1 and here), so two of four runs have it at the
 * same place once in 1400 runs of the test; one coincidence is chance, more would be a pattern. */
static int all_differ(const struct layout *l, int n, size_t field) {
    int same = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            same += *(const unsigned long *)((const char *)&l[i] + field) ==
                    *(const unsigned long *)((const char *)&l[j] + field);
    return same <= 1;
}

static int all_same(const struct layout *l, int n) {
    for (int i = 1; i < n; i++)
        if (memcmp(&l[0], &l[i], sizeof l[0]) != 0)
            return 0;
    return 1;
}

static void show_mode(void) {
    char buf[16] = "";
    int fd = open("/proc/sys/kernel/randomize_va_space", O_RDONLY);
    read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("randomize_va_space: %s", buf);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "probe") == 0) {
        int local;
        void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("%lx %lx %lx\n", (unsigned long)&local, (unsigned long)m, (unsigned long)syscall(SYS_brk, 0));
        return 0;
    }
    self = argv[0];
    setvbuf(stdout, NULL, _IONBF, 0);
    /* setarch -R (the Linux run) set ADDR_NO_RANDOMIZE: take it away for the next execs. */
    int persona = personality(0xffffffff);
    personality(persona & ~ADDR_NO_RANDOMIZE);
    show_mode();

    struct layout l[RUNS];
    for (int i = 0; i < RUNS; i++)
        l[i] = probe();
    printf("%d runs: stacks all differ %s, mmap areas all differ %s, heaps all differ %s\n", RUNS,
           all_differ(l, RUNS, offsetof(struct layout, stack)) ? "yes" : "no",
           all_differ(l, RUNS, offsetof(struct layout, mmap)) ? "yes" : "no",
           all_differ(l, RUNS, offsetof(struct layout, brk)) ? "yes" : "no");
    int independent = 1;
    for (int i = 1; i < RUNS; i++)
        if (l[i].stack - l[0].stack == l[i].mmap - l[0].mmap)
            independent = 0;
    printf("the stack and the mmap area move independently: %s\n", independent ? "yes" : "no");
    unsigned long top = 0x7ffffffff000ul, program_end = (unsigned long)&end;
    int ranges = 1;
    for (int i = 0; i < RUNS; i++) {
        ranges &= l[i].stack < top && l[i].stack > top - (17ul << 30);
        ranges &= l[i].mmap < l[i].stack && l[i].mmap > top - (1ul << 40) - (18ul << 30);
        /* Linux 6.1 moves the heap up to 32 MiB, later kernels up to 1 GiB. */
        ranges &= l[i].brk >= program_end && l[i].brk < program_end + (1ul << 30) + 4096;
    }
    printf("within Linux's ranges (stack: 16 GiB below the top; mmap: 1 TiB below the stack gap; "
           "heap: above the program): %s\n",
           ranges ? "yes" : "no");

    personality(persona | ADDR_NO_RANDOMIZE);
    printf("personality now has ADDR_NO_RANDOMIZE: %s\n",
           personality(0xffffffff) & ADDR_NO_RANDOMIZE ? "yes" : "no");
    for (int i = 0; i < RUNS; i++)
        l[i] = probe();
    printf("with ADDR_NO_RANDOMIZE every run has the same layout: %s\n", all_same(l, RUNS) ? "yes" : "no");
    printf("# fixed layout: stack %lx mmap %lx brk %lx\n", l[0].stack, l[0].mmap, l[0].brk);

    if (argc > 1 && strcmp(argv[1], "write") == 0) {
        personality(persona & ~ADDR_NO_RANDOMIZE);
        int fd = open("/proc/sys/kernel/randomize_va_space", O_WRONLY);
        printf("# write 0: %zd\n", write(fd, "0\n", 2));
        for (int i = 0; i < RUNS; i++)
            l[i] = probe();
        printf("# mode 0: every run the same: %s\n", all_same(l, RUNS) ? "yes" : "no");
        printf("# write 3: %zd\n", write(fd, "3", 1));
        printf("# write 1: %zd\n", write(fd, "1", 1));
        for (int i = 0; i < RUNS; i++)
            l[i] = probe();
        printf("# mode 1: stacks differ %s, heaps the same %s\n",
               all_differ(l, RUNS, offsetof(struct layout, stack)) ? "yes" : "no",
               l[0].brk == l[1].brk && l[1].brk == l[2].brk ? "yes" : "no");
        close(fd);
    }
    return 0;
}
