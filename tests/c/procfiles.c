/* /proc files that ps, top, free and pmap read, checked field by field against what the program
 * knows of itself; the same checks pass on Linux. Only relations are printed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *yes(int b) { return b ? "yes" : "no"; }

/* Reads a whole (small) file; returns its length. */
static int slurp(const char *path, char *buf, int size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int n = 0, r;
    while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += r;
    close(fd);
    buf[n] = 0;
    return n;
}

extern char **environ;

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    static char buf[65536];

    /* /proc/self/stat: "pid (comm) state ppid pgrp session tty tpgid flags ..." */
    slurp("/proc/self/stat", buf, sizeof buf);
    char *close_paren = strrchr(buf, ')');
    int pid = atoi(buf);
    char comm[64] = {0};
    char *open_paren = strchr(buf, '(');
    memcpy(comm, open_paren + 1, close_paren - open_paren - 1);
    char state;
    int ppid, pgrp, session, tty, tpgid;
    unsigned long long f[60];
    sscanf(close_paren + 2, "%c %d %d %d %d %d", &state, &ppid, &pgrp, &session, &tty, &tpgid);
    char *p = close_paren + 2;
    int nf = 0;
    for (char *tok = strtok(p, " \n"); tok && nf < 60; tok = strtok(NULL, " \n"))
        f[nf++] = strtoull(tok, NULL, 10);
    /* f[0] is the state (field 3); field k is f[k - 3]. */
    printf("stat: %d fields after the name\n", nf);
    printf("stat: pid %s, comm %s, state %c, ppid %s, pgrp %s, session %s\n", yes(pid == getpid()),
           strcmp(comm, "procfiles") == 0 ? "procfiles" : comm, state, yes(ppid == getppid()),
           yes(pgrp == getpgrp()), yes(session == getsid(0)));
    unsigned long long vsize = f[23 - 3], rss = f[24 - 3], start_code = f[26 - 3],
                       end_code = f[27 - 3], start_stack = f[28 - 3], threads = f[20 - 3],
                       arg_start = f[48 - 3], arg_end = f[49 - 3], env_start = f[50 - 3],
                       env_end = f[51 - 3], exit_signal = f[38 - 3];
    /* Linux's rss counters are batched per CPU: a small process may still read 0. */
    printf("# rss %llu pages\n", rss);
    printf("stat: threads %llu, exit signal %llu\n", threads, exit_signal);
    printf("stat: main's code lies in [start_code, end_code): %s\n",
           yes((unsigned long long)main >= start_code && (unsigned long long)main < end_code));
    printf("stat: argv[0] lies in [arg_start, arg_end): %s, the stack above it: %s\n",
           yes((unsigned long long)argv[0] >= arg_start && (unsigned long long)argv[0] < arg_end),
           yes(start_stack < arg_start && start_stack > arg_start - (1 << 20)));
    printf("stat: environment in [env_start, env_end]: %s\n",
           yes(environ[0] == NULL || ((unsigned long long)environ[0] >= env_start &&
                                      (unsigned long long)environ[0] < env_end)));

    /* vsize is the sum of the areas in maps. */
    slurp("/proc/self/maps", buf, sizeof buf);
    unsigned long long total = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long long s, e;
        if (sscanf(line, "%llx-%llx", &s, &e) == 2 && !strstr(line, "[vsyscall]"))
            total += e - s;
    }
    printf("stat: vsize is the sum of the areas in maps: %s\n", yes(vsize == total));

    /* statm: size resident shared text lib data dt, in pages. */
    unsigned long long size, resident, shared, text, lib, data, dt;
    slurp("/proc/self/statm", buf, sizeof buf);
    sscanf(buf, "%llu %llu %llu %llu %llu %llu %llu", &size, &resident, &shared, &text, &lib, &data,
           &dt);
    printf("statm: size is vsize in pages: %s, resident <= size: %s, lib %llu, dt %llu\n",
           yes(size * 4096 == vsize), yes(resident <= size), lib, dt);
    printf("statm: text covers main: %s\n",
           yes(text * 4096 >= (unsigned long long)main - start_code));

    /* comm, cmdline, environ. */
    slurp("/proc/self/comm", buf, sizeof buf);
    printf("comm: %s", buf);
    int n = slurp("/proc/self/cmdline", buf, sizeof buf);
    int ok = 1, at = 0;
    for (int i = 0; i < argc; i++) {
        ok &= strcmp(buf + at, argv[i]) == 0;
        at += strlen(argv[i]) + 1;
    }
    printf("cmdline: %d strings as argv: %s, length matches: %s\n", argc, yes(ok), yes(n == at));
    n = slurp("/proc/self/environ", buf, sizeof buf);
    ok = 1;
    at = 0;
    int count = 0;
    for (char **e = environ; *e; e++, count++) {
        ok &= strcmp(buf + at, *e) == 0;
        at += strlen(*e) + 1;
    }
    printf("# %d environment strings\n", count);
    printf("environ: the environment's strings: %s\n", yes(ok && n == at));

    /* A zombie's stat says Z, its cmdline is empty. */
    pid_t child = fork();
    if (child == 0)
        _exit(7);
    /* waitid with WNOWAIT returns once the child is a zombie and leaves it one (a second of
     * polling for Z was not always enough on a loaded machine). */
    siginfo_t info;
    waitid(P_PID, child, &info, WEXITED | WNOWAIT);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", child);
    slurp(path, buf, sizeof buf);
    printf("a zombie's state: %c\n", *(strrchr(buf, ')') + 2));
    snprintf(path, sizeof path, "/proc/%d/cmdline", child);
    printf("a zombie's cmdline is empty: %s\n", yes(slurp(path, buf, sizeof buf) == 0));
    waitpid(child, NULL, 0);

    /* The system-wide files. */
    slurp("/proc/uptime", buf, sizeof buf);
    double up, idle;
    printf("uptime: two numbers: %s\n", yes(sscanf(buf, "%lf %lf", &up, &idle) == 2 && up > 0));
    slurp("/proc/loadavg", buf, sizeof buf);
    double l1, l5, l15;
    int running, threads_total, last;
    printf("loadavg: five fields: %s\n",
           yes(sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &threads_total,
                      &last) == 6 &&
               running >= 1 && threads_total >= running && last >= getpid()));
    slurp("/proc/stat", buf, sizeof buf);
    printf("stat: starts with the cpu line: %s, has btime: %s, processes: %s\n",
           yes(strncmp(buf, "cpu  ", 5) == 0), yes(strstr(buf, "\nbtime ") != NULL),
           yes(strstr(buf, "\nprocesses ") != NULL));
    slurp("/proc/version", buf, sizeof buf);
    printf("version: %s\n", yes(strncmp(buf, "Linux version ", 14) == 0));
    slurp("/proc/cpuinfo", buf, sizeof buf);
    printf("cpuinfo: processor 0 with flags: %s\n",
           yes(strncmp(buf, "processor\t: 0\n", 14) == 0 && strstr(buf, "\nflags\t\t: ") != NULL));
    return 0;
}
