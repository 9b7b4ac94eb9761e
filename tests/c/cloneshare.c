/* clone without CLONE_THREAD, with what the child shares with its parent: signal actions
 * (CLONE_SIGHAND, with CLONE_VM), the working directory and umask (CLONE_FS), the descriptor table
 * (CLONE_FILES); and what execve unshares. clone3's CLONE_CLEAR_SIGHAND, and Linux's EINVAL for
 * the combinations it refuses. Run on Linux and here; the output must be the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

/* clone3's argument (linux/sched.h, which musl-gcc does not have). */
struct clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};
#define CLONE_CLEAR_SIGHAND 0x100000000ULL

static char stack[65536] __attribute__((aligned(16)));
static const char *self;

static void on_usr1(int sig) { (void)sig; }
static void on_usr2(int sig) { (void)sig; }

static int child_sets_handler(void *arg) {
    (void)arg;
    signal(SIGUSR1, on_usr1);
    return 0;
}

static int child_moves(void *arg) {
    (void)arg;
    chdir("/tmp");
    umask(077);
    return 0;
}

static int child_opens(void *arg) {
    int fd = open("/dev/null", O_RDONLY);
    *(int *)arg = fd;
    return 0;
}

static int child_execs(void *arg) {
    (void)arg;
    char *args[] = {"cloneshare", "exec", NULL};
    execv(self, args);
    _exit(127);
}

/* Runs `fn` in a clone with `flags` and waits for it. */
static int run(int (*fn)(void *), int flags, void *arg) {
    pid_t pid = clone(fn, stack + sizeof stack, flags | SIGCHLD, arg);
    if (pid < 0)
        return -1;
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *handler_name(int sig) {
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    if (sa.sa_handler == SIG_DFL)
        return "default";
    if (sa.sa_handler == SIG_IGN)
        return "ignored";
    return sa.sa_handler == on_usr1 ? "on_usr1" : sa.sa_handler == on_usr2 ? "on_usr2" : "other";
}

static void cwd_and_umask(const char *when) {
    char buf[256];
    mode_t old = umask(0);
    umask(old);
    printf("%s: cwd %s, umask %03o\n", when, getcwd(buf, sizeof buf) ? buf : "?", old);
}

/* The program exec'd by a CLONE_SIGHAND child: its handlers are reset, its parent's are not. */
static int after_exec(void) {
    printf("  exec'd child: SIGUSR2 %s, SIGPIPE %s\n", handler_name(SIGUSR2), handler_name(SIGPIPE));
    return 4;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "exec") == 0)
        return after_exec();
    self = argv[0];
    setvbuf(stdout, NULL, _IONBF, 0);
    chdir("/");
    umask(022);

    int r = clone(child_sets_handler, stack + sizeof stack, CLONE_SIGHAND | SIGCHLD, NULL);
    printf("CLONE_SIGHAND without CLONE_VM: %d %s\n", r, errname(errno));
    run(child_sets_handler, CLONE_VM, NULL);
    printf("CLONE_VM child's handler, seen by the parent: %s\n", handler_name(SIGUSR1));
    run(child_sets_handler, CLONE_VM | CLONE_SIGHAND, NULL);
    printf("CLONE_VM|CLONE_SIGHAND child's handler, seen by the parent: %s\n", handler_name(SIGUSR1));
    signal(SIGUSR1, SIG_DFL);

    run(child_moves, 0, NULL);
    cwd_and_umask("after a child without CLONE_FS");
    run(child_moves, CLONE_FS, NULL);
    cwd_and_umask("after a CLONE_FS child");
    chdir("/");
    umask(022);

    int fd = -1;
    run(child_opens, CLONE_VM, &fd);
    printf("CLONE_VM child's descriptor, in the parent: %s\n", fcntl(fd, F_GETFD) < 0 ? errname(errno) : "open");
    fd = -1;
    run(child_opens, CLONE_VM | CLONE_FILES, &fd);
    printf("CLONE_VM|CLONE_FILES child's descriptor, in the parent: %s\n", fcntl(fd, F_GETFD) < 0 ? errname(errno) : "open");
    close(fd);

    /* execve in a child sharing the actions: the child's copy is reset, the parent's kept. */
    signal(SIGUSR2, on_usr2);
    signal(SIGPIPE, SIG_IGN);
    int status = run(child_execs, CLONE_VM | CLONE_SIGHAND | CLONE_VFORK, NULL);
    printf("exec'd child's status %d; the parent's SIGUSR2 is still %s\n", status, handler_name(SIGUSR2));
    /* And a descriptor table shared with CLONE_FILES: close-on-exec closes the child's copy only. */
    int keep = open("/dev/null", O_RDONLY | O_CLOEXEC);
    status = run(child_execs, CLONE_VM | CLONE_FILES | CLONE_VFORK, NULL);
    printf("after a CLONE_FILES child's exec the parent's close-on-exec descriptor is %s\n", fcntl(keep, F_GETFD) < 0 ? errname(errno) : "open");

    /* clone3 with CLONE_CLEAR_SIGHAND: handlers reset in the child, ignored signals stay. */
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_CLEAR_SIGHAND;
    ca.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &ca, sizeof ca);
    if (pid == 0) {
        printf("  CLONE_CLEAR_SIGHAND child: SIGUSR2 %s, SIGPIPE %s\n", handler_name(SIGUSR2), handler_name(SIGPIPE));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    ca.flags = CLONE_CLEAR_SIGHAND | CLONE_SIGHAND | CLONE_VM;
    pid = syscall(SYS_clone3, &ca, sizeof ca);
    printf("CLONE_CLEAR_SIGHAND|CLONE_SIGHAND: %ld %s\n", pid, errname(errno));
    return 0;
}
