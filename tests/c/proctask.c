/* /proc/PID/task/TID: one directory per thread, with the thread's own stat, status and comm and
 * the process's maps. Four threads (main and three workers, each naming itself) are looked at
 * while the workers wait at a barrier: one has burnt CPU time, one has a signal pending that it
 * blocks. Then the workers end, and their directories go. Run on Linux and here; the output
 * (tids replaced by their thread's index) must be the same. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"
#include "waitstate.h"

#define WORKERS 3
static pthread_barrier_t ready, done;
static pid_t tids[WORKERS + 1];
static volatile int handled;

static void on_usr1(int sig) {
    (void)sig;
    handled++;
}

static double thread_cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *worker(void *arg) {
    int i = (int)(long)arg;
    char name[16];
    snprintf(name, sizeof name, "worker-%d", i);
    prctl(PR_SET_NAME, name);
    tids[i] = syscall(SYS_gettid);
    if (i == 1) {
        /* Burn 150 ms of CPU time: it must show in this thread's stat, not the others'. */
        volatile unsigned long spin = 0;
        while (thread_cpu_ms() < 150)
            spin++;
    }
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (i == 2)
        pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    pthread_barrier_wait(&ready);
    pthread_barrier_wait(&done);
    if (i == 2)
        pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    return NULL;
}

/* The index of thread `tid` in tids[], or -1. */
static int index_of(long tid) {
    for (int i = 0; i <= WORKERS; i++)
        if (tids[i] == tid)
            return i;
    return -1;
}

static int read_file(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = 0;
    fclose(f);
    return (int)n;
}

/* The value of `key:` in a status text, or "" if it has none. */
static const char *status_field(const char *text, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\n%s:\t", key);
    const char *at = strstr(text, pattern);
    out[0] = 0;
    if (at) {
        at += strlen(pattern);
        size_t n = strcspn(at, "\n");
        if (n >= size)
            n = size - 1;
        memcpy(out, at, n);
        out[n] = 0;
    }
    return out;
}

/* Field `n` (1-based, as proc(5) numbers them) of a stat line, after the comm in parentheses. */
static long stat_field(const char *line, int n) {
    const char *p = strrchr(line, ')');
    if (!p)
        return -999;
    p += 2; /* field 3, the state */
    for (int field = 3; field < n; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -999;
        p++;
    }
    return strtol(p, NULL, 10);
}

/* Lists /proc/self/task: how many entries, and whether they are exactly the tids given. */
static void list_tasks(const char *when, int expected) {
    DIR *dir = opendir("/proc/self/task");
    if (!dir) {
        printf("%s: opendir: %s\n", when, errname(errno));
        return;
    }
    int count = 0, known = 0;
    struct dirent *d;
    while ((d = readdir(dir))) {
        if (d->d_name[0] == '.')
            continue;
        count++;
        int i = index_of(atol(d->d_name));
        known += i >= 0 && i < expected && d->d_type == DT_DIR;
    }
    closedir(dir);
    printf("%s: /proc/self/task has %d entries, all directories of our threads: %s\n", when, count,
           known == count ? "yes" : "no");
}

static void show_thread(int i, long process_ticks) {
    char path[96], text[4096], value[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[i]);
    read_file(path, text, sizeof text);
    printf("thread %d: comm %s", i, text);

    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[i]);
    read_file(path, text, sizeof text);
    char comm[32] = "";
    const char *open = strchr(text, '('), *close = strrchr(text, ')');
    if (open && close && close - open - 1 < (long)sizeof comm)
        memcpy(comm, open + 1, close - open - 1);
    long ticks = stat_field(text, 14) + stat_field(text, 15);
    printf("  stat: pid field is its tid %s, (%s), state %c, ppid ok %s, threads %ld, exit signal "
           "%ld\n",
           atol(text) == tids[i] ? "yes" : "no", comm, close ? close[2] : '?',
           stat_field(text, 4) == getppid() ? "yes" : "no", stat_field(text, 20),
           stat_field(text, 38));
    if (i == 1) {
        printf("  stat: the busy thread's CPU time shows: %s; within the process's: %s\n",
               ticks >= 10 ? "yes" : "no", process_ticks >= ticks ? "yes" : "no");
    } else {
        /* The busy thread's 15 ticks are the process's, not this thread's: at least 10 of the
         * process's ticks are not this one's. (Not "fewer than 15 ticks": the main thread's own
         * work costs more than that in a slow QEMU, where CPU time is counted by the clock.) */
        char process_text[4096];
        read_file("/proc/self/stat", process_text, sizeof process_text);
        long process_now = stat_field(process_text, 14) + stat_field(process_text, 15);
        printf("  stat: without the busy thread's CPU time: %s\n",
               ticks + 10 <= process_now ? "yes" : "no");
    }

    snprintf(path, sizeof path, "/proc/self/task/%d/status", tids[i]);
    text[0] = '\n'; /* status_field looks for "\nKey:": the first line has a newline before it */
    read_file(path, text + 1, sizeof text - 1);
    printf("  status: Name %s,", status_field(text, "Name", value, sizeof value));
    printf(" State %s,", status_field(text, "State", value, sizeof value));
    printf(" Tgid is the pid %s,",
           atol(status_field(text, "Tgid", value, sizeof value)) == getpid() ? "yes" : "no");
    printf(" Pid is the tid %s,",
           atol(status_field(text, "Pid", value, sizeof value)) == tids[i] ? "yes" : "no");
    printf(" Threads %s\n", status_field(text, "Threads", value, sizeof value));
    printf("  status: SigPnd %s,", status_field(text, "SigPnd", value, sizeof value));
    printf(" ShdPnd %s,", status_field(text, "ShdPnd", value, sizeof value));
    printf(" SigBlk %s,", status_field(text, "SigBlk", value, sizeof value));
    printf(" SigCgt %s\n", status_field(text, "SigCgt", value, sizeof value));

    static char maps[65536], own[65536];
    snprintf(path, sizeof path, "/proc/self/task/%d/maps", tids[i]);
    read_file(path, own, sizeof own);
    read_file("/proc/self/maps", maps, sizeof maps);
    printf("  maps: the process's: %s\n", strcmp(maps, own) == 0 ? "yes" : "no");
}

int main(void) {
    tids[0] = syscall(SYS_gettid);
    printf("the main thread's tid is the pid: %s\n", tids[0] == getpid() ? "yes" : "no");
    signal(SIGUSR1, on_usr1);
    pthread_barrier_init(&ready, NULL, WORKERS + 1);
    pthread_barrier_init(&done, NULL, WORKERS + 1);
    pthread_t threads[WORKERS + 1];
    for (long i = 1; i <= WORKERS; i++)
        pthread_create(&threads[i], NULL, worker, (void *)i);
    pthread_barrier_wait(&ready);

    /* The workers go on to the second barrier and sleep there; C libraries spin a little before
     * they sleep, so wait until each one's state says sleeping. */
    for (int i = 1; i <= WORKERS; i++)
        wait_until_thread_asleep(tids[i]);
    /* A signal for worker 2 alone, which blocks it: pending in its status, not in the others'. */
    syscall(SYS_tgkill, getpid(), tids[2], SIGUSR1);
    list_tasks("running", WORKERS + 1);

    char text[4096], path[96];
    read_file("/proc/self/stat", text, sizeof text);
    long process_ticks = stat_field(text, 14) + stat_field(text, 15);
    printf("/proc/self/stat: threads %ld\n", stat_field(text, 20));
    for (int i = 0; i <= WORKERS; i++)
        show_thread(i, process_ticks);

    snprintf(path, sizeof path, "/proc/self/task/%d/nonexistent", tids[1]);
    errno = 0;
    printf("a file a thread does not have: %s\n", fopen(path, "r") ? "opened" : errname(errno));
    printf("a tid that is no thread of ours: %s\n",
           opendir("/proc/self/task/999999") ? "opened" : errname(errno));

    pthread_barrier_wait(&done);
    for (int i = 1; i <= WORKERS; i++)
        pthread_join(threads[i], NULL);
    printf("worker 2 ran its handler once unblocked: %d\n", handled);
    list_tasks("joined", 1);
    snprintf(path, sizeof path, "/proc/self/task/%d", tids[3]);
    errno = 0;
    printf("an ended thread's directory: %s\n", opendir(path) ? "still there" : errname(errno));
    read_file("/proc/self/status", text, sizeof text);
    char value[64];
    printf("/proc/self/status: Threads %s\n", status_field(text, "Threads", value, sizeof value));
    return 0;
}
