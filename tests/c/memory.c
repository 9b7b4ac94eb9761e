/* An ordinary C program, built with `musl-gcc -static`: the kernel runs it unmodified.
 * Exercises the C library's use of brk, mmap, fork and wait, and prints only deterministic output
 * so the integration tests can compare it with Linux's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int counter = 41;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);

    /* malloc: small blocks from brk, large ones from mmap. */
    char *small = malloc(1000), *large = malloc(1 << 20);
    memset(small, 1, 1000);
    memset(large, 2, 1 << 20);
    printf("malloc small and large: %d %d\n", small[999], large[(1 << 20) - 1]);
    free(large);
    free(small);

    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    m[2 * 4096] = 9;
    int seen = m[2 * 4096];
    int protect = mprotect(m, 4096, PROT_READ);
    int unmap = munmap(m, 3 * 4096);
    printf("mmap: %d, mprotect: %d, munmap: %d\n", seen, protect, unmap);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        counter++;
        printf("child sees counter %d\n", counter);
        exit(7);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child exited %d, parent's counter still %d\n", WEXITSTATUS(status), counter);
    return 0;
}
