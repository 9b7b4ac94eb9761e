/* Run as pid 1 (QEMU only): stop signals at their default action do not stop init, as on Linux,
 * where nothing could continue it. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    raise(SIGTSTP);
    raise(SIGSTOP);
    kill(0, SIGTTIN);
    kill(1, SIGTTOU);
    printf("pid %d went on after SIGTSTP, SIGSTOP, SIGTTIN and SIGTTOU\n", getpid());
    return 0;
}
