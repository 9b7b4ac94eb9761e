/* /proc/PID/smaps and smaps_rollup: the sizes of one anonymous area as it is touched, shared with
 * a forked child (Pss halves, the pages turn Shared_Dirty), and copied by the child's writes;
 * compared with Linux. Only the area's own numbers are printed (the rest of the map differs). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char text[1 << 20];

static void slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
}

/* The value of `field` (kB) in the smaps entry of the area holding `area`. */
static long field(char *area, const char *field)
{
    slurp("/proc/self/smaps");
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        unsigned long start, end;
        if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && start <= (unsigned long)area &&
            (unsigned long)area < end) {
            char *at = strstr(line, field);
            return at ? strtol(at + strlen(field) + 1, NULL, 10) : -1;
        }
    }
    return -1;
}

static void show(const char *when, char *area)
{
    printf("%s: Size %ld Rss %ld Pss %ld Shared_Dirty %ld Private_Dirty %ld Anonymous %ld\n", when,
           field(area, "Size:"), field(area, "Rss:"), field(area, "Pss:"),
           field(area, "Shared_Dirty:"), field(area, "Private_Dirty:"), field(area, "Anonymous:"));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    /* 16 pages between two inaccessible ones, so that the area never merges with a neighbour. */
    char *block = mmap(NULL, 18 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(block, 4096, PROT_NONE);
    mprotect(block + 17 * 4096, 4096, PROT_NONE);
    char *area = block + 4096;
    show("untouched", area);
    for (int i = 0; i < 8; i++)
        area[i * 4096] = 1;
    show("8 pages written", area);

    int to_child[2], to_parent[2];
    pipe(to_child);
    pipe(to_parent);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        read(to_child[0], &c, 1);
        for (int i = 0; i < 8; i++)
            area[i * 4096] = 2;
        write(to_parent[1], "x", 1);
        read(to_child[0], &c, 1);
        _exit(0);
    }
    show("shared with a child", area);
    write(to_child[1], "x", 1);
    char c;
    read(to_parent[0], &c, 1);
    show("after the child copied them", area);
    write(to_child[1], "x", 1);
    waitpid(pid, NULL, 0);

    /* smaps_rollup's Rss is the sum of smaps's. */
    slurp("/proc/self/smaps");
    long sum = 0;
    for (char *p = strstr(text, "\nRss:"); p; p = strstr(p + 1, "\nRss:"))
        sum += strtol(p + 5, NULL, 10);
    slurp("/proc/self/smaps_rollup");
    char *rss = strstr(text, "\nRss:");
    printf("smaps_rollup's Rss is the sum of smaps's: %s\n",
           rss && strtol(rss + 5, NULL, 10) == sum ? "yes" : "no");
    printf("smaps_rollup has Pss_Anon: %s\n", strstr(text, "\nPss_Anon:") ? "yes" : "no");
    slurp("/proc/self/smaps");
    char *flags = strstr(text, "VmFlags:");
    printf("# first VmFlags line: %.40s\n", flags ? flags : "none");
    return 0;
}
