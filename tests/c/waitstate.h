/* Waiting for another process or thread to block, instead of sleeping for a while and hoping it
 * has: the state letter of /proc/PID/stat (and /proc/PID/task/TID/stat) is 'S' while the task
 * sleeps in a blocking call, on Linux and on this kernel alike. A loaded machine may keep the
 * other side from running for any length of time; a test that needs it blocked before it goes on
 * (to interrupt the call with a signal, say) waits for its state here. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* The state letter of the stat file at `path`, or 0 when it cannot be read. */
static inline char stat_state(const char *path)
{
    char buf[1024];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' ? close_paren[2] : 0;
}

/* Waits until the task of the stat file at `path` is in one of `states` ("S", "SZ", ...), for
 * at most a minute. Returns 1 when it got there, 0 when the minute ran out. */
static inline int wait_for_state(const char *path, const char *states)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        char state = stat_state(path);
        if (state && strchr(states, state))
            return 1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 60)
            return 0;
        usleep(1000);
    }
}

/* Waits until process `pid` (its main thread) sleeps in a blocking call. */
static inline int wait_until_asleep(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    return wait_for_state(path, "S");
}

/* Waits until thread `tid` of the calling process sleeps in a blocking call. */
static inline int wait_until_thread_asleep(pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    return wait_for_state(path, "S");
}
