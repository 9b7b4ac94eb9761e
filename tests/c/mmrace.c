/* Threads racing on one address space: while one thread maps, unmaps, re-protects and remaps a
 * region over and over, others write into it and read it back, catching SIGSEGV with
 * sigsetjmp/siglongjmp. Each access either finds a page that holds what this thread last wrote
 * there since the page came back (never another mapping's old data, never a freed frame's
 * contents) or faults. Run on Linux and here: the output says only what must hold on both. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGES 16
#define ROUNDS 3000
#define READERS 3

static char *region;
static atomic_int stop;
static __thread sigjmp_buf jump;
static __thread volatile int armed;
static atomic_long faults, accesses, bad;

static void on_segv(int sig, siginfo_t *info, void *ctx) {
    (void)sig;
    (void)ctx;
    if (!armed || (char *)info->si_addr < region || (char *)info->si_addr >= region + PAGES * 4096)
        abort();
    siglongjmp(jump, 1);
}

static void *accessor(void *arg) {
    long me = (long)arg;
    unsigned seed = (unsigned)me * 7919;
    while (!atomic_load(&stop)) {
        int page = rand_r(&seed) % PAGES;
        volatile long *slot = (volatile long *)(region + page * 4096 + me * 64);
        if (sigsetjmp(jump, 1) == 0) {
            armed = 1;
            long mark = (me << 32) | (rand_r(&seed) & 0xffff);
            *slot = mark;
            long seen = *slot;
            /* A fresh page between the two accesses reads as zero; anything else is wrong. */
            if (seen != mark && seen != 0)
                atomic_fetch_add(&bad, 1);
            armed = 0;
            atomic_fetch_add(&accesses, 1);
        } else {
            armed = 0;
            atomic_fetch_add(&faults, 1);
        }
    }
    return NULL;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    region = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_t threads[READERS];
    for (long i = 0; i < READERS; i++)
        pthread_create(&threads[i], NULL, accessor, (void *)(i + 1));
    /* ROUNDS at least, and on until the accessors have both completed an access and caught a
     * fault: on a loaded host they may not get a CPU before the rounds are over (a minute at
     * most: a kernel where neither ever happens fails). */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int round = 0;; round++) {
        if (round >= ROUNDS && round % 4 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((accesses > 0 && faults > 0) || now.tv_sec - start.tv_sec > 60)
                break;
        }
        int page = round % PAGES;
        char *at = region + page * 4096;
        switch (round % 4) {
        case 0:
            munmap(at, 4096);
            break;
        case 1:
            mmap(at, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            break;
        case 2:
            mprotect(region, PAGES * 4096, PROT_READ);
            break;
        case 3:
            mprotect(region, PAGES * 4096, PROT_READ | PROT_WRITE);
            mmap(region, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            break;
        }
        if (round % 64 == 0)
            sched_yield();
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(threads[i], NULL);
    printf("%d rounds of unmap, remap and mprotect under %d accessing threads\n", ROUNDS, READERS);
    printf("accesses that completed: %s, faults caught: %s\n", accesses > 0 ? "some" : "none",
           faults > 0 ? "some" : "none");
    printf("a completed access that saw another value than its own or zero: %ld\n", bad);
    printf("# accesses %ld faults %ld\n", (long)accesses, (long)faults);
    return 0;
}
