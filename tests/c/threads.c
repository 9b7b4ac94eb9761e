/* Threads (pthreads on clone with CLONE_VM/CLONE_THREAD, futexes, TLS) compared with Linux: exact
 * totals under contention, condition variables, barriers, thread-local storage, joins, a faulting
 * thread ending its process, exit from a thread, fork from a threaded process, vfork and
 * posix_spawn. Forks are few and bounded (the Linux run is on the host). */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *add(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return (void *)n;
}

static void contention(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, add, (void *)50000L);
    long sum = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)r;
    }
    printf("mutex: counter %ld, joined results %ld\n", counter, sum);
}

/* A bounded queue with two condition variables. */
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int queue[8], head, count;

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= 2000; i++) {
        pthread_mutex_lock(&lock);
        while (count == 8)
            pthread_cond_wait(&not_full, &lock);
        queue[(head + count++) % 8] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void condvars(void)
{
    pthread_t p;
    pthread_create(&p, NULL, producer, NULL);
    long sum = 0;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&lock);
        while (count == 0)
            pthread_cond_wait(&not_empty, &lock);
        sum += queue[head];
        head = (head + 1) % 8;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
    }
    pthread_join(p, NULL);
    printf("condition variables: consumed sum %ld (expected %d)\n", sum, 2000 * 2001 / 2);
}

static pthread_barrier_t barrier;
static int arrived[3];
static __thread int mine;

static void *barrier_worker(void *arg)
{
    mine = (int)(long)arg;
    for (int round = 0; round < 3; round++) {
        __atomic_fetch_add(&arrived[round], 1, __ATOMIC_SEQ_CST);
        pthread_barrier_wait(&barrier);
        if (__atomic_load_n(&arrived[round], __ATOMIC_SEQ_CST) != 4)
            return (void *)-1L;
    }
    usleep(1000);
    return (void *)(long)mine;
}

static void barriers_and_tls(void)
{
    pthread_barrier_init(&barrier, NULL, 4);
    pthread_t t[4];
    mine = 100;
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, barrier_worker, (void *)(i + 1));
    long ok = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        ok += (long)r == i + 1;
    }
    printf("barrier: 3 rounds, every thread kept its own TLS value: %ld of 4; main's is still %d\n",
           ok, mine);
}

static void *ids(void *arg)
{
    long *out = arg;
    out[0] = getpid();
    out[1] = syscall(SYS_gettid);
    return NULL;
}

static void identities(void)
{
    long got[2];
    pthread_t t;
    pthread_create(&t, NULL, ids, got);
    pthread_join(t, NULL);
    printf("a thread has the process's pid: %s, a tid of its own: %s\n",
           got[0] == getpid() ? "yes" : "no", got[1] != getpid() ? "yes" : "no");
}

static void *nothing(void *arg) { return arg; }

static void many_threads(void)
{
    int joined = 0;
    for (long i = 0; i < 500; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, nothing, (void *)i) != 0)
            break;
        void *r;
        pthread_join(t, &r);
        joined += (long)r == i;
    }
    printf("500 threads created and joined one after another: %d\n", joined);
}

static void *crash(void *arg)
{
    (void)arg;
    usleep(10000);
    raise(SIGSEGV);
    return NULL;
}

static void *exit_seven(void *arg)
{
    (void)arg;
    exit(7);
}

static void *forker(void *arg)
{
    (void)arg;
    pid_t c = fork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, NULL, nothing, NULL);
        pthread_join(t, NULL);
        _exit(4);
    }
    int status;
    waitpid(c, &status, 0);
    return (void *)(long)WEXITSTATUS(status);
}

/* Runs `f` in a forked child and reports how the child ended. */
static void in_child(const char *what, void (*f)(void))
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        f();
        _exit(0);
    }
    int status;
    waitpid(c, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: ended by %s\n", what, strsignal(WTERMSIG(status)));
    else
        printf("%s: exit status %d\n", what, WEXITSTATUS(status));
}

/* The program exec'd by a thread: the process's only thread now, whose tid is the pid (Linux's
 * de_thread gives the exec'ing thread the leader's id). */
static int after_exec(void)
{
    int threads = 0;
    DIR *dir = opendir("/proc/self/task");
    struct dirent *d;
    while (dir && (d = readdir(dir)))
        threads += d->d_name[0] != '.';
    if (dir)
        closedir(dir);
    printf("  the new program: tid is the pid: %s, threads: %d\n",
           syscall(SYS_gettid) == getpid() ? "yes" : "no", threads);
    return 6;
}

static const char *self_path;

static void *exec_self(void *arg)
{
    if (arg)
        usleep(50000); /* let the main thread end first */
    char *args[] = {"threads", "exec-from-thread", NULL};
    execv(self_path, args);
    perror("execv");
    return NULL;
}

static void exec_in_thread(void)
{
    pthread_t t;
    pthread_create(&t, NULL, exec_self, NULL);
    for (;;)
        pause();
}

static void exec_after_main_ended(void)
{
    pthread_t t;
    pthread_create(&t, NULL, exec_self, (void *)1);
    pthread_exit(NULL);
}

static void fault_in_thread(void)
{
    pthread_t t;
    pthread_create(&t, NULL, crash, NULL);
    for (;;)
        pause();
}

static void exit_from_thread(void)
{
    pthread_t t;
    pthread_create(&t, NULL, exit_seven, NULL);
    for (;;)
        pause();
}

static void fork_from_thread(void)
{
    pthread_t t;
    pthread_create(&t, NULL, forker, NULL);
    void *r;
    pthread_join(t, &r);
    _exit((int)(long)r);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "spawned") == 0)
        return 3;
    if (argc > 1 && strcmp(argv[1], "exec-from-thread") == 0)
        return after_exec();
    setvbuf(stdout, NULL, _IONBF, 0);
    self_path = argv[0];
    contention();
    condvars();
    barriers_and_tls();
    identities();
    many_threads();
    in_child("a thread faults", fault_in_thread);
    in_child("a thread calls exit(7)", exit_from_thread);
    in_child("fork from a thread (the child makes a thread of its own)", fork_from_thread);
    in_child("execve from a thread that is not the main one", exec_in_thread);
    in_child("execve from a thread after the main thread ended", exec_after_main_ended);

    pid_t c = vfork();
    if (c == 0)
        _exit(5);
    int status;
    waitpid(c, &status, 0);
    printf("vfork: exit status %d\n", WEXITSTATUS(status));

    char *args[] = {argv[0], "spawned", NULL};
    int r = posix_spawn(&c, argv[0], NULL, NULL, args, NULL);
    waitpid(c, &status, 0);
    printf("posix_spawn: %d, exit status %d\n", r, WEXITSTATUS(status));
    char *bad[] = {"/nonexistent", NULL};
    r = posix_spawn(&c, "/nonexistent", NULL, NULL, bad, NULL);
    printf("posix_spawn of a missing program: %s\n", strerror(r));
    return 0;
}
