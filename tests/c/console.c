/* The console as a terminal: what a program sees of the lines typed at it (the runner types the
 * test's input, then ^D), its settings, raw-mode timeouts, and ^C. Run on this kernel only: on the
 * Linux host the test's standard input is a pipe, not a terminal. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "wait-for-interrupt") == 0) {
        printf("waiting for ^C\n");
        for (;;)
            pause();
    }
    struct termios t;
    printf("stdin is a terminal: %s, stdout too: %s\n", isatty(0) ? "yes" : "no",
           isatty(1) ? "yes" : "no");
    tcgetattr(0, &t);
    printf("canonical %s, echo %s, signals %s, ICRNL %s, ONLCR %s, VERASE %#o, VINTR %#o\n",
           t.c_lflag & ICANON ? "on" : "off", t.c_lflag & ECHO ? "on" : "off",
           t.c_lflag & ISIG ? "on" : "off", t.c_iflag & ICRNL ? "on" : "off",
           t.c_oflag & ONLCR ? "on" : "off", t.c_cc[VERASE], t.c_cc[VINTR]);
    struct winsize ws;
    ioctl(0, TIOCGWINSZ, &ws);
    printf("window %dx%d\n", ws.ws_col, ws.ws_row);
    printf("foreground group is ours: %s\n", tcgetpgrp(0) == getpgrp() ? "yes" : "no");

    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        printf("line %d: [%s]\n", ++n, line);
    }
    printf("end of file after %d lines\n", n);

    t.c_lflag &= ~(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 2;
    tcsetattr(0, TCSANOW, &t);
    char buf[8];
    long long start = now_ms();
    ssize_t r = read(0, buf, sizeof buf);
    printf("raw read with VTIME 0.2 s and nothing typed: %zd after >= 150 ms: %s\n", r,
           now_ms() - start >= 150 ? "yes" : "no");
    t.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &t);
    printf("raw read with VMIN 0 and VTIME 0: %zd\n", read(0, buf, sizeof buf));
    tcgetattr(0, &t);
    printf("settings kept: canonical %s\n", t.c_lflag & ICANON ? "on" : "off");
    return 0;
}
